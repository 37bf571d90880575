"""The inverse-design job: sample the posterior for a target, publishing chains and diagnostics while it runs.

Live data (``ctx.report``): ``step``, ``total_steps``, ``phase``, ``chains`` (the first chains' traces),
``draws`` (recent draws of all chains, for the corner plot), ``diagnostics`` (a table per parameter),
``acceptance`` and ``step_size`` (means over chains), ``warnings``. The stop button keeps what was drawn.
Artifacts in the run folder: ``samples.npz`` (theta, x_o) and ``diagnostics.json``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import dnre_core
from ui import atomic
from ui.jobs import JobContext
from ui.pacing import Pacer
from ui.targets import Target

TRACE_CHAINS = 8
LIVE_DRAWS = 3000
PUBLISH_EVERY_S = 0.5
# The sampler calls back every CALLBACK_EVERY steps (the stop button acts there); R̂ and ESS are computed only when a
# callback publishes (dnre_core computes them on first use). A publish computes them over all draws so far (ArviZ:
# 0.4 s on a loaded core for the example run's 100 chains), so publishing is paced (ui.pacing): the next publish waits
# four times as long as the last one took, and at least PUBLISH_EVERY_S, so live diagnostics take at
# most a fifth of the run (0.4 s of ArviZ every 0.5 s would have taken almost half). The example run beside a busy
# core: 52.8 s publishing this way, 43.9 s publishing nothing.
CALLBACK_EVERY = 5


@dataclass(frozen=True)
class SamplingConfig:
    model_id: str
    model_path: str
    target: list[dict[str, Any]]
    sampler: str = "mh"
    num_chains: int = 100
    warmup_steps: int = 200
    num_samples: int = 2000
    thin: int = 1
    seed: int = 0


def _live(diagnostics: dnre_core.ChainDiagnostics) -> dict[str, Any]:
    chains = diagnostics.chains.numpy()
    recent = chains[:, -max(1, LIVE_DRAWS // max(1, chains.shape[0])) :, :].reshape(-1, chains.shape[2])
    return {
        "step": diagnostics.step,
        "total_steps": diagnostics.total_steps,
        "phase": diagnostics.phase,
        "chains": chains[:TRACE_CHAINS].copy(),
        "draws": recent.copy(),
        "diagnostics": diagnostics.table(),
        "acceptance": float(np.mean(diagnostics.acceptance)) if len(diagnostics.acceptance) else math.nan,
        "step_size": float(np.median(diagnostics.step_size)) if len(diagnostics.step_size) else math.nan,
        "warnings": diagnostics.warnings(),
        "seconds": diagnostics.seconds,
    }


def sampling_job(config: SamplingConfig) -> Callable[[JobContext], dict[str, Any]]:
    """A job function for :meth:`ui.jobs.JobRunner.submit`."""

    def run(ctx: JobContext) -> dict[str, Any]:
        estimator = dnre_core.load_estimator(config.model_path)
        posterior = dnre_core.RatioPosterior(estimator, sampler=config.sampler)
        x_o = Target.from_dict(config.target).conditioning_point(estimator.metadata["x_min"],
                                                                 estimator.metadata["x_max"])
        pacer = Pacer(PUBLISH_EVERY_S)

        def callback(step: int, chains: Any, diagnostics: dnre_core.ChainDiagnostics) -> bool:
            if pacer.due(force=step >= diagnostics.total_steps):
                started = pacer.clock()
                phase = "warm-up" if diagnostics.phase == "warmup" else "sampling"
                ctx.report(progress=step / max(1, diagnostics.total_steps),
                           message=f"{phase}: step {step} of {diagnostics.total_steps}", **_live(diagnostics))
                pacer.done(started)
            return not ctx.cancelled

        ctx.report(progress=0.0, message="starting chains")
        samples = posterior.sample(
            (config.num_samples,), x=x_o, num_chains=config.num_chains, warmup_steps=config.warmup_steps,
            thin=config.thin, seed=config.seed, callback=callback, callback_every=CALLBACK_EVERY,
        )
        diagnostics = posterior.diagnostics
        if diagnostics is None or samples.shape[0] == 0:
            raise RuntimeError("the sampler was stopped before it kept any draw; let warm-up finish before stopping")
        folder = ctx.workspace.run_dir(ctx.run_id)
        atomic.save_npz(folder / "samples.npz", theta=samples.numpy().astype(np.float64), x_o=x_o)
        summary = diagnostics.as_dict()
        atomic.write_json(folder / "diagnostics.json", summary)
        ctx.report(progress=1.0, message=f"kept {samples.shape[0]} draws", **_live(diagnostics))
        return {"samples": "samples.npz", "num_samples": int(samples.shape[0]), "diagnostics": summary,
                "config": asdict(config), "x_o": x_o.tolist()}

    return run


def load_samples(folder: Any) -> tuple[np.ndarray, np.ndarray]:
    """(theta (n, D), x_o (L,)) of a finished sampling run's folder."""
    with np.load(folder / "samples.npz", allow_pickle=False) as data:
        return data["theta"], data["x_o"]
