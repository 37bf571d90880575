"""The benchmark report: markdown tables (mean ± sd over observations and seeds, best per task in bold) and PNG
figures (C2ST per task and method; expected-coverage curves), from the records of a results file."""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dnre_core.benchmarks.methods import recorded_sampler_options
from dnre_core.benchmarks.results import failure_reason

Column = tuple[str, str]  # (method, sampler)

# (title, record field, which is best: min / max / None, number format)
_METRICS: tuple[tuple[str, str, Callable[[list[float]], float] | None, str], ...] = (
    ("C2ST (0.5 is perfect; lower is better)", "c2st", min, "{:.3f}"),
    ("Log posterior density at the true parameter (higher is better)", "log_prob_true", max, "{:.2f}"),
    ("Training wall time per run (s)", "train_seconds", None, "{:.1f}"),
    ("Sampling wall time per observation (s)", "sample_seconds", None, "{:.2f}"),
    ("Min bulk ESS per second of sampling", "min_ess_per_second", None, "{:.0f}"),
)


DEFAULT_TITLE = "## Benchmarks: sbibm tasks"


def write_report(
    records: list[dict[str, Any]], report_path: Path, figures_dir: Path, command: str, preamble: str | None = None
) -> None:
    """Write the markdown report to ``report_path`` and ``c2st.png`` / ``coverage.png`` under ``figures_dir``.

    ``preamble``: markdown (a title and what the run is) that replaces the default title, so that a report with a
    written introduction can be regenerated as it stands.
    """
    cells = [r for r in records if r["kind"] == "cell"]
    coverage = [r for r in records if r["kind"] == "coverage" and r["status"] == "ok"]
    report_path.parent.mkdir(parents=True, exist_ok=True)
    title = preamble.strip() if preamble is not None else DEFAULT_TITLE
    report_path.write_text(markdown_report(cells, coverage, command, figures_dir, report_path.parent, title))
    figures_dir.mkdir(parents=True, exist_ok=True)
    plot_c2st(cells, figures_dir / "c2st.png")
    plot_coverage(coverage, figures_dir / "coverage.png")


def markdown_report(
    cells: list[dict[str, Any]],
    coverage: list[dict[str, Any]],
    command: str,
    figures_dir: Path,
    report_dir: Path,
    title: str = DEFAULT_TITLE,
) -> str:
    """The BENCHMARKS section as markdown, under ``title`` (a heading, or a written introduction)."""
    budgets = sorted({r["budget"] for r in cells})
    sizes = sorted({tuple(r["c2st_samples"]) for r in cells if r["status"] == "ok"})
    lines = [
        title,
        "",
        f"Tables and figures written by `{command}` from every record of its results file; simulation budget(s): {', '.join(map(str, budgets)) or 'none'}. Entries are mean ± sd "
        "over observations and seeds (n = cells); the best mean per task is in bold. Nothing is tuned against the "
        "reference posteriors. C2ST: "
        + ("; ".join(f"{n} posterior samples against {m} reference samples" for n, m in sizes) or "none")
        + " (sbibm's protocol is 10,000 against 10,000). Each posterior sample is the last draw of its own MCMC "
        "chain after warm-up; ESS and R̂ come from each chain's few kept draws, so R̂ measures those short chains, "
        "not the samples. " + training_sentence(cells) + " Sampling settings: `SamplingSettings` in "
        "`dnre_core/benchmarks/methods.py`, the same for every task.",
        "",
        *record_options_lines(cells),
        *temperature_lines(cells),
    ]
    for title, field, best, fmt in _METRICS:
        lines += [f"### {title}", "", *_table(cells, field, best, fmt), ""]
    lines += [*goals_section(cells, coverage), ""]
    lines += [
        "### Expected coverage (mean of coverage − level over 21 levels; ≥ 0 is conservative)",
        "",
        *_coverage_table(coverage),
        "",
    ]
    failures = [r for r in cells if r["status"] != "ok"]
    if failures:
        lines += ["### Failed cells", ""]
        lines += [
            f"- {r['task']} / {r['method']} / {r['sampler']} / obs {r['observation']} / seed {r['seed']}: "
            f"{failure_reason(r)}"
            for r in failures
        ]
        lines.append("")
    rel = Path(os.path.relpath(figures_dir.resolve(), report_dir.resolve()))
    lines += [
        f"![C2ST per task and method]({rel / 'c2st.png'})",
        "",
        f"![Expected coverage]({rel / 'coverage.png'})",
        "",
    ]
    return "\n".join(lines)


def training_sentence(records: list[dict[str, Any]]) -> str:
    """How dnre_core's methods were trained, as the records' settings state it (a results file holds one setting)."""
    found = {json.dumps(r["settings"]["training"], sort_keys=True) for r in records if "settings" in r}
    if len(found) != 1:
        return "Training settings: " + ("not recorded." if not found else f"**mixed** ({len(found)} settings).")
    training = json.loads(found.pop())
    return (
        f"Training of dnre_core's methods (sbi's peers use sbi's defaults): batches of {training['batch_size']}, "
        f"stopped after {training['stop_after_epochs']} epochs without a better held-out loss (at most "
        f"{training['max_epochs']}), weight averaging {training['weight_averaging']}; the same for every task."
    )


def record_options_lines(records: list[dict[str, Any]], unit: str = "cells") -> list[str]:
    """The method options and then the sampler options that ``records`` state (``options_lines`` and
    ``sampler_options_lines``)."""
    return [*options_lines(records, unit), *sampler_options_lines(records, unit)]


def options_lines(records: list[dict[str, Any]], unit: str = "cells") -> list[str]:
    """Each method's options as its records state them. A method measured with several is flagged as mixed, with
    the number of ``unit`` and the tasks behind each."""
    def text(r: dict[str, Any]) -> str:
        options = r.get("method_options")
        return _options_text(options, "sbi's defaults") if options is not None else "not recorded"

    return _variant_lines(records, "method", text, "Method options", unit)


def sampler_options_lines(records: list[dict[str, Any]], unit: str = "cells") -> list[str]:
    """Each sampler's tracked options as its records state them (a record older than the field: what the sampler
    did then), flagged as mixed where they differ."""
    return _variant_lines(records, "sampler", lambda r: _options_text(recorded_sampler_options(r), "defaults"),
                          "Sampler options", unit)


def _options_text(options: dict[str, Any], empty: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or empty


def _variant_lines(
    records: list[dict[str, Any]], by: str, describe: Callable[[dict[str, Any]], str], heading: str, unit: str
) -> list[str]:
    """One line per value of field ``by``: its records' one description, or **mixed** with the number of ``unit`` and
    the tasks behind each description."""
    seen: dict[str, dict[str, list[str]]] = defaultdict(dict)  # value of `by` -> description -> task of each record
    for r in records:
        seen[r[by]].setdefault(describe(r), []).append(r["task"])
    lines = []
    for value, variants in seen.items():
        if len(variants) == 1:
            lines.append(f"- {value}: {next(iter(variants))}")
        else:
            lines.append(f"- {value}: **mixed** — " + "; ".join(
                f"{text} ({len(tasks)} {unit}: {', '.join(sorted(set(tasks)))})" for text, tasks in variants.items()))
    return [f"{heading}, as the records state them:", "", *lines, ""] if lines else []


def temperature_lines(records: list[dict[str, Any]]) -> list[str]:
    """A table of the temperatures T that calibration found, per task and method, one per seed (records from
    before calibration, or sbi's peers, state none), and how many records were reused from an uncalibrated model."""
    found: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in records:
        if r.get("temperature") is not None:
            found[(r["task"], r["method"])][r["seed"]] = r["temperature"]
    if not found:
        return []
    methods = sorted({method for _, method in found})
    lines = [
        "Temperature T that calibration found (`calibrate_temperature`; the estimator's output divided by T ≥ 1), per "
        "seed; – where the records predate calibration:",
        "",
        "| task | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 1) + "|",
    ]
    for task in sorted({task for task, _ in found}):
        row = [" / ".join(f"{t:.3g}" for _, t in sorted(by_seed.items())) if (by_seed := found.get((task, m)))
               else "–" for m in methods]
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    reused = [r for r in records if "reused_from" in r]
    if reused:
        lines += ["", f"{len(reused)} of these cells are the records of the uncalibrated estimator, reused where T was "
                  "1 (the same estimator bit for bit) after one cell of its run, measured afresh, reproduced its "
                  "record exactly (field `reused_from`)."]
    return [*lines, ""]


def _field_values(cells: list[dict[str, Any]], field: str) -> dict[tuple[str, Column], list[float]]:
    """``field``'s values per (task, (method, sampler)) over the successful cells that recorded it."""
    values: dict[tuple[str, Column], list[float]] = defaultdict(list)
    for r in cells:
        if r["status"] == "ok" and r.get(field) is not None:
            values[(r["task"], (r["method"], r["sampler"]))].append(float(r[field]))
    return values


def coverage_gap(record: dict[str, Any]) -> float:
    """Mean of coverage − level over a coverage record's levels (≥ 0: conservative on average)."""
    return float(np.mean(np.subtract(record["coverage"], record["levels"])))


def coverage_cell(runs: list[dict[str, Any]]) -> str:
    """"mean gap / worst shortfall" over coverage records (one or more runs), e.g. "+0.012 / 1.4"."""
    return f"{np.mean([coverage_gap(r) for r in runs]):+.3f} / {max(coverage_shortfall(r) for r in runs):.1f}"


def coverage_shortfall(record: dict[str, Any]) -> float:
    """The largest shortfall of coverage below the level (≥ 0), in binomial standard errors of the coverage at that
    level with the record's number of pairs: about 2 or less is what a calibrated posterior gives by chance."""
    levels, cover = np.asarray(record["levels"]), np.asarray(record["coverage"])
    inner = (levels > 0) & (levels < 1)
    se = np.sqrt(levels[inner] * (1 - levels[inner]) / record["pairs"])
    return float(max(0.0, np.max((levels[inner] - cover[inner]) / se)))


def mean_se_cell(values: Any) -> str:
    """A signed mean of ``values`` ± its standard error, three decimals (the se is NaN below two values)."""
    v = np.asarray(values, dtype=float)
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():+.3f} ± {se:.3f}"


def paired_difference(cells: list[dict[str, Any]], task: str, first: Column, second: Column) -> tuple[float, float, int]:
    """Mean and standard error of C2ST(first) − C2ST(second) over the (observation, seed) cells of ``task`` that
    both recorded: ``(mean, se, n)``; ``se`` is NaN below two pairs. Pairing removes the observations' own spread."""
    by_column: dict[Column, dict[tuple[Any, Any], float]] = defaultdict(dict)
    for r in cells:
        if r["task"] == task and r["status"] == "ok" and r.get("c2st") is not None:
            by_column[(r["method"], r["sampler"])][(r.get("observation"), r.get("seed"))] = float(r["c2st"])
    shared = sorted(set(by_column[first]) & set(by_column[second]), key=str)
    diffs = np.array([by_column[first][k] - by_column[second][k] for k in shared])
    if len(diffs) == 0:
        return math.nan, math.nan, 0
    se = float(np.std(diffs, ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else math.nan
    return float(diffs.mean()), se, len(diffs)


def goals_section(cells: list[dict[str, Any]], coverage: list[dict[str, Any]]) -> list[str]:
    """Issue 4's goals per task, from what is recorded: DNRE (MH) against the best other ratio estimator, DNRE's HMC
    against its MH, and DNRE's coverage."""
    means = {(task, method, sampler): float(np.mean(v))
             for (task, (method, sampler)), v in _field_values(cells, "c2st").items()}
    tasks = sorted({task for task, method, _ in means if method == "dnre"})
    if not tasks:
        return []
    lines = [
        "### Goals (issue 4), from the records above",
        "",
        "| task | DNRE (MH) | best other (method, C2ST) | DNRE ≤ best other | DNRE − best other, paired mean ± s.e. "
        "| DNRE HMC − MH, paired mean (goal ≤ 0.03) | DNRE coverage, mean gap / worst shortfall in s.e. (MH) |",
        "|---|---|---|---|---|---|---|",
    ]
    wins = compared = hmc_ok = hmc_not_worse = hmc_measured = not_behind = 0
    for task in tasks:
        dnre = means.get((task, "dnre", "mh"))
        others = {(m, s): v for (t, m, s), v in means.items() if t == task and m not in ("dnre", "dnre-paper")}
        best = min(others.items(), key=lambda item: item[1]) if others else None
        row = [task, f"{dnre:.3f}" if dnre is not None else "–"]
        if best is not None and dnre is not None:
            compared += 1
            wins += dnre <= best[1]
            row += [f"{best[0][0]} ({best[0][1]}) {best[1]:.3f}", "yes" if dnre <= best[1] else "no"]
            diff, se, pairs = paired_difference(cells, task, ("dnre", "mh"), best[0])
            not_behind += bool(diff <= 2 * se) if math.isfinite(se) else diff <= 0
            row.append(f"{diff:+.3f} ± {se:.3f} (n={pairs})" if pairs else "–")
        else:
            row += ["–", "–", "–"]
        # on the cells both samplers recorded: HMC may cover fewer seeds than MH, whose other seeds differ
        hmc_diff, _, hmc_pairs = paired_difference(cells, task, ("dnre", "hmc"), ("dnre", "mh"))
        if hmc_pairs:
            hmc_measured += 1
            hmc_ok += abs(hmc_diff) <= 0.03
            hmc_not_worse += hmc_diff <= 0.03
            row.append(f"{hmc_diff:+.3f} (n={hmc_pairs})")
        else:
            row.append("–")
        runs = [r for r in coverage if (r["task"], r["method"], r["sampler"]) == (task, "dnre", "mh")]
        row.append(coverage_cell(runs) if runs else "–")
        lines.append("| " + " | ".join(row) + " |")
    peers = sorted({m for _, m, _ in means if m not in ("dnre", "dnre-paper")})
    lines += [
        "",
        f"DNRE's mean C2ST is at or below the best other estimator's ({', '.join(peers) or 'none recorded'}) on "
        f"{wins} of {compared} tasks (goal: 8 of 10 with all peers), and not behind it by more than two standard "
        f"errors of the paired difference on {not_behind} of {compared}; HMC is within 0.03 of MH on {hmc_ok} of "
        f"{hmc_measured} and worse than MH by more than 0.03 on {hmc_measured - hmc_not_worse}. Coverage: a mean gap ≥ 0 is conservative on average; a worst shortfall above about 2 "
        "standard errors is more than chance at that number of pairs.",
    ]
    return lines


def _columns(records: list[dict[str, Any]]) -> list[Column]:
    return sorted({(r["method"], r["sampler"]) for r in records})


def _table(cells: list[dict[str, Any]], field: str, best: Callable[[list[float]], float] | None, fmt: str) -> list[str]:
    columns = _columns(cells)
    values = _field_values(cells, field)
    lines = ["| task | " + " | ".join(f"{m} {s}" for m, s in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for task in sorted({r["task"] for r in cells}):
        means = {c: float(np.mean(values[(task, c)])) for c in columns if values[(task, c)]}
        winner = best(list(means.values())) if best and means else None
        row = []
        for c in columns:
            v = values[(task, c)]
            if not v:
                row.append("–")
                continue
            text = f"{fmt.format(np.mean(v))} ± {fmt.format(np.std(v, ddof=1)) if len(v) > 1 else '–'} (n={len(v)})"
            row.append(f"**{text}**" if winner is not None and math.isclose(means[c], winner) else text)
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    return lines


def _coverage_table(coverage: list[dict[str, Any]]) -> list[str]:
    columns = _columns(coverage)
    gaps: dict[tuple[str, Column], list[float]] = defaultdict(list)
    for r in coverage:
        gaps[(r["task"], (r["method"], r["sampler"]))].append(coverage_gap(r))
    lines = ["| task | " + " | ".join(f"{m} {s}" for m, s in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for task in sorted({r["task"] for r in coverage}):
        row = [f"{np.mean(g):+.3f} (seeds={len(g)})" if (g := gaps[(task, c)]) else "–" for c in columns]
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    return lines


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_c2st(cells: list[dict[str, Any]], path: Path) -> None:
    """C2ST (mean ± sd) per task for each (method, sampler), as offset points with error bars."""
    plt = _pyplot()
    ok = [r for r in cells if r["status"] == "ok"]
    tasks, columns, values = sorted({r["task"] for r in ok}), _columns(ok), _field_values(ok, "c2st")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(tasks) + 2), 4.5))
    width = 0.8 / max(len(columns), 1)
    for k, (method, sampler) in enumerate(columns):
        xs, means, sds = [], [], []
        for t, task in enumerate(tasks):
            if v := values.get((task, (method, sampler))):
                xs.append(t - 0.4 + width * (k + 0.5))
                means.append(np.mean(v))
                sds.append(np.std(v))
        ax.errorbar(xs, means, yerr=sds, fmt="o", capsize=3, label=f"{method} ({sampler})")
    ax.axhline(0.5, color="grey", linestyle="--", linewidth=1, label="perfect (0.5)")
    ax.set_xticks(range(len(tasks)), tasks, rotation=30, ha="right")
    ax.set_ylim(0.45, 1.02)
    ax.set_xlabel("task")
    ax.set_ylabel("C2ST accuracy (mean ± sd)")
    ax.set_title("C2ST against sbibm reference posteriors")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes, never over points
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_coverage(coverage: list[dict[str, Any]], path: Path) -> None:
    """Expected coverage against credibility level, one panel per task, mean over seeds per (method, sampler)."""
    plt = _pyplot()
    tasks, columns = sorted({r["task"] for r in coverage}), _columns(coverage)
    ncols = min(len(tasks), 5) or 1
    nrows = max(math.ceil(len(tasks) / ncols), 1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(3.6 * ncols, 7.5), 3.2 * nrows + 1.2), squeeze=False)
    for ax, task in zip(axes.flat, tasks, strict=False):
        for index, (method, sampler) in enumerate(columns):  # one colour per (method, sampler) in every panel
            runs = [r for r in coverage if (r["task"], r["method"], r["sampler"]) == (task, method, sampler)]
            if runs:
                ax.plot(runs[0]["levels"], np.mean([r["coverage"] for r in runs], axis=0), color=f"C{index % 10}",
                        linestyle="-" if sampler == "mh" else ":", label=f"{method} ({sampler})")
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
        ax.set_title(task)
        ax.set_xlabel("credibility level")
        ax.set_ylabel("expected coverage")
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    if tasks:
        labelled = {}
        for ax in axes.flat:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                labelled.setdefault(label, handle)
        fig.legend(labelled.values(), labelled.keys(), loc="lower center", ncol=min(len(labelled), 5), fontsize="small")
    fig.suptitle("Expected coverage of highest-density regions\n(above the diagonal: conservative)", fontsize="medium")
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
