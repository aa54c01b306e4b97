"""Brand kits: the ``remixer brand`` commands, the ``check_brand`` checks and logo rendering.

The bottom plugin family: it imports only the engine, so every other family may use it
(the video and audio transforms rasterise the logo with :func:`plugins.brands.logo.logo_png`).
"""
