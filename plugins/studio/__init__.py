"""remixer studio: a web app and an HTTP API over the same engine (``remixer serve``).

The family above all others: it runs recipes through ``engine.runner`` and the
executors like ``remixer run`` does, and imports nothing from the other families.
Everything here but :mod:`plugins.studio.command` and :mod:`plugins.studio.worker` needs
the ``studio`` extra (FastAPI, uvicorn, python-multipart, Jinja2).
"""
