"""``python -m benchmarks``: see :mod:`benchmarks.cli`."""

import os
import sys

# One BLAS thread in this process and the worker processes it starts, set before numpy or torch loads a BLAS.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks.cli import main

sys.exit(main())
