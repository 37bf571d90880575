"""``python -m dnre_core``: the ``dnre`` command line (see :mod:`dnre_core.cli`)."""

import sys

from .cli import main

sys.exit(main())
