"""``python -m engine`` is the ``remixer`` command.

``python -m`` puts the current folder first on ``sys.path``; run from a folder holding
its own ``plugins/`` package, ``import plugins`` would load that folder's code instead of
the built-ins. So the current folder is dropped from the path unless it is the folder
this ``engine`` package lives in (a checkout run from its root).
"""

import os
import sys

_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not sys.flags.safe_path and sys.path \
        and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd() != _HOME:
    del sys.path[0]

from engine.cli import main  # noqa: E402 - after the path is safe

main()
