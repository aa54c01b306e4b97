"""``python -m engine`` is the ``remixer`` command."""

from engine.cli import main

main()
