"""Speed benchmarks, one module each with a ``main()`` that measures and writes ``benchmarks/results/NAME.md``:
``core`` (samplers and training on one CPU thread), ``callbacks`` (live sampler diagnostics), ``gpu`` (where CUDA is
present), ``simulator`` (the quadcopter simulator) and ``dashboard`` (the Design lab's sweeps and the trade-off
figures). Run as ``python -m benchmarks speed NAME``."""

SPEED = ("core", "callbacks", "gpu", "simulator", "dashboard")
