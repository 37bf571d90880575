"""``python -m dnre_core.benchmarks``: see :mod:`dnre_core.benchmarks.cli`."""

import sys

from dnre_core.benchmarks.cli import main

sys.exit(main())
