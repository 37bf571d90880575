"""What a sampler callback costs: the dashboard's live inverse design calls back every few steps, and R̂/ESS
(ArviZ) are computed only when a callback reads them. Writes ``results/callbacks.md``.

Setting: the shipped default model (19-D quadcopter DNRE), the dashboard's example target, 100 MH chains,
500 warm-up steps + 1,000 draws per chain, one torch thread. Cases, run side by side in each repeat: no callback;
a callback every 5 steps that reads only progress (the dashboard between publishes, the CLI's progress bar); one
every 5 steps that reads R̂; one every 100 steps that reads R̂. Medians over repeats; ratios to the no-callback run
of the same repeat.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

import dnre_core
from benchmarks.output import RESULTS, provenance_line, write_markdown
from benchmarks.runner import use_one_thread
from ui.inverse import example_rows
from ui.models import DEFAULT_MODEL_ID, DEFAULT_MODEL_PATH, read_info
from ui.targets import timing_point, to_target

NUM_CHAINS, WARMUP, DRAWS = 100, 500, 1000
REPEATS = 3
OUTPUT = RESULTS / "callbacks.md"
Callback = Callable[[int, torch.Tensor, dnre_core.ChainDiagnostics], bool] | None
CASES: dict[str, tuple[Callback, int]] = {
    "no callback": (None, 25),
    "every 5 steps, reads progress only": (lambda step, chains, diagnostics: True, 5),
    "every 5 steps, reads R̂": (lambda step, chains, diagnostics: diagnostics.rhat is not None, 5),
    "every 100 steps, reads R̂": (lambda step, chains, diagnostics: diagnostics.rhat is not None, 100),
}


def main() -> None:
    use_one_thread()
    info = read_info(DEFAULT_MODEL_ID, "default", DEFAULT_MODEL_PATH)
    estimator = dnre_core.load_estimator(DEFAULT_MODEL_PATH)
    x_o = timing_point(to_target(example_rows(info)), info.metric_names, info.x_min, info.x_max)
    posterior = dnre_core.RatioPosterior(estimator, sampler="mh")
    seconds: dict[str, list[float]] = {name: [] for name in CASES}
    for repeat in range(REPEATS):
        for name, (callback, every) in CASES.items():
            start = time.perf_counter()
            posterior.sample((NUM_CHAINS * DRAWS,), x=x_o, num_chains=NUM_CHAINS, warmup_steps=WARMUP, thin=1,
                             seed=repeat, callback=callback, callback_every=every)
            seconds[name].append(time.perf_counter() - start)
            print(f"repeat {repeat}, {name}: {seconds[name][-1]:.2f} s", flush=True)
    lines = [
        "## Sampler callbacks: what live diagnostics cost",
        "",
        provenance_line("python -m benchmarks speed callbacks"),
        "",
        f"The default model (19-D), the dashboard's example target, {NUM_CHAINS} MH chains, {WARMUP} warm-up steps + "
        f"{DRAWS:,} draws per chain. Medians over {REPEATS} repeats; the ratio is taken per repeat "
        "against the no-callback run beside it. R̂ and ESS (ArviZ, over all draws so far) are computed when a "
        "callback first reads them, so a callback that reads only progress costs almost nothing.",
        "",
        "| callback | wall time (s, median) | ÷ no callback |",
        "|---|---:|---:|",
    ]
    for name, times in seconds.items():
        ratio = statistics.median(t / base for t, base in zip(times, seconds["no callback"], strict=True))
        lines.append(f"| {name} | {statistics.median(times):.2f} | {ratio:.2f}× |")
    text = "\n".join(lines) + "\n"
    write_markdown(OUTPUT, text)
    print(text)

