"""The project's benchmarks: a development tool, not part of the installed library.

- :mod:`benchmarks.sbibm_cli`: the sbibm run (the ten tasks of :mod:`benchmarks.registry`, DNRE, NRE and BNRE
  against sbi's peers) through :func:`benchmarks.runner.run_benchmark`, reported by :mod:`benchmarks.report`.
- :mod:`benchmarks.studies`: follow-up studies, each a probe and a summary on one resumable driver.
- :mod:`benchmarks.speed`: sampler, training, GPU and simulator speed.
- :mod:`benchmarks.assemble`: ``BENCHMARKS.md`` from the sections in ``benchmarks/results/``.

Run from the repository root: ``python -m benchmarks --help`` (``make bench`` runs everything). The sbibm tasks need
the packages of ``requirements-bench.txt`` (``make bench-setup``).
"""
