"""A small benchmark a user can run from the Benchmarks page: sampler throughput of a model on this machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

import dnre_core
from ui.jobs import JobContext
from ui.targets import timing_point


def throughput_job(model_path: str, target: dnre_core.Target, num_chains: int = 200, steps: int = 100,
                   seed: int = 0) -> Callable[[JobContext], dict[str, Any]]:
    """Time MH and HMC on ``model_path`` at one point inside ``target``'s bands (:func:`ui.targets.timing_point`):
    chain-steps per second and minimum bulk ESS per second."""

    def run(ctx: JobContext) -> dict[str, Any]:
        estimator = dnre_core.load_estimator(model_path)
        meta = estimator.metadata
        x_o = torch.as_tensor(timing_point(target, meta["metric_names"], meta["x_min"], meta["x_max"]),
                              dtype=torch.float32)
        rows = []
        for k, sampler in enumerate(("mh", "hmc")):
            ctx.check_cancelled()
            ctx.report(progress=k / 2, message=f"timing {sampler.upper()}")
            posterior = dnre_core.RatioPosterior(estimator, sampler=sampler)
            posterior.sample((num_chains * steps // 2,), x=x_o, num_chains=num_chains, warmup_steps=steps // 2,
                             thin=1, seed=seed, callback=lambda *_: not ctx.cancelled)
            d = posterior.diagnostics
            rows.append({
                "sampler": sampler.upper(), "chains": num_chains, "steps": d.step, "seconds": d.seconds,
                "chain-steps per second": num_chains * d.step / d.seconds,
                "min bulk ESS per second": d.min_ess_per_second,
                "acceptance": float(d.acceptance.mean()),
            })
        return {"rows": rows}

    return run
