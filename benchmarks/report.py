"""The sbibm run's report: a headline table (DNRE against the best other estimator, HMC against MH, DNRE's
coverage), C2ST and coverage per task and method, the cost per method, and PNG figures, from a results file's
records."""

from __future__ import annotations

import json
import math
import os
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.output import headline, provenance_line
from benchmarks.results import failure_reason

Column = tuple[str, str]  # (method, sampler)

DEFAULT_TITLE = "## sbibm tasks"
#: DNRE's HMC and MH sample one learned posterior: their C2STs should agree within this (the headline counts it).
HMC_MH_TOLERANCE = 0.03
_OURS = ("dnre", "dnre-paper")  # not compared with DNRE as "other estimators"


def write_report(
    records: list[dict[str, Any]], report_path: Path, figures_dir: Path, command: str, preamble: str | None = None
) -> None:
    """Write the markdown report to ``report_path`` and ``c2st.png`` / ``coverage.png`` under ``figures_dir``.

    ``preamble``: markdown (a title and what the run is) that replaces the default title.
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
    """The report as markdown under ``title`` (a heading, or a written introduction)."""
    budgets = sorted({r["budget"] for r in cells})
    sizes = sorted({tuple(r["c2st_samples"]) for r in cells if r["status"] == "ok"})
    lines = [
        title,
        "",
        provenance_line(command, cells + coverage),
        "",
        *headline(headline_section(cells, coverage)),
        "",
        f"Simulation budget: {', '.join(map(str, budgets)) or 'none'}. C2ST: "
        + ("; ".join(f"{n:,} posterior samples against {m:,} reference samples" for n, m in sizes) or "none")
        + ", each posterior sample the last draw of its own MCMC chain. " + training_sentence(cells)
        + " Nothing is tuned against the reference posteriors.",
        "",
        *options_lines(cells),
        *temperature_lines(cells),
        "### C2ST (mean ± sd over observations and seeds; 0.5 is perfect, the best per task in bold)",
        "",
        *_c2st_table(cells),
        "",
        "### Expected coverage (mean of coverage − level over 21 levels, mean over seeds; ≥ 0 is conservative)",
        "",
        *_coverage_table(coverage),
        "",
        "### Cost (medians over all cells; wall times on a shared machine)",
        "",
        *_cost_table(cells),
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
    lines += [f"![C2ST per task and method]({rel / 'c2st.png'})", "",
              f"![Expected coverage]({rel / 'coverage.png'})", ""]
    return "\n".join(lines)


def training_sentence(records: list[dict[str, Any]]) -> str:
    """How dnre_core's methods were trained, as the records' settings state it (a results file holds one setting)."""
    found = {json.dumps(r["settings"]["training"], sort_keys=True) for r in records if "settings" in r}
    if len(found) != 1:
        return "Training settings: " + ("not recorded." if not found else f"**mixed** ({len(found)} settings).")
    training = json.loads(found.pop())
    return (
        f"dnre_core's methods train in batches of {training['batch_size']} until {training['stop_after_epochs']} "
        f"epochs bring no better held-out loss (at most {training['max_epochs']}), weight averaging "
        f"{training['weight_averaging']}; sbi's peers with sbi's defaults."
    )


def options_lines(records: list[dict[str, Any]]) -> list[str]:
    """Each method's and sampler's options, as the first of its records states them (a results file holds one
    configuration)."""
    methods: dict[str, str] = {}
    samplers: dict[str, str] = {}
    for r in records:
        options = r.get("method_options")
        methods.setdefault(r["method"], _options_text(options, "sbi's defaults") if options is not None else "–")
        samplers.setdefault(r["sampler"], _options_text(r.get("sampler_options", {}), "defaults"))
    if not methods:
        return []
    return ["Options: " + "; ".join(f"{m}: {text}" for m, text in methods.items()) + ". Samplers: "
            + "; ".join(f"{s}: {text}" for s, text in samplers.items()) + ".", ""]


def _options_text(options: dict[str, Any], empty: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or empty


def temperature_lines(records: list[dict[str, Any]]) -> list[str]:
    """One sentence on the temperatures T that calibration found: how many trained models kept T = 1, and the
    (task, method) pairs with a T above 1.1 on some seed."""
    found: dict[tuple[str, str, int], float] = {}
    for r in records:
        if r.get("temperature") is not None:
            found[(r["task"], r["method"], r["seed"])] = r["temperature"]
    if not found:
        return []
    steep: dict[tuple[str, str], float] = defaultdict(float)
    for (task, method, _), t in found.items():
        if t > 1.1:
            steep[(task, method)] = max(steep[(task, method)], t)
    listed = "; ".join(f"{task} {method} (up to {t:.2f})" for (task, method), t in sorted(steep.items()))
    return [f"Temperature calibration (the estimator's output divided by T ≥ 1): T = 1 for "
            f"{sum(t == 1.0 for t in found.values())} of {len(found)} trained models; T > 1.1 on "
            f"{listed or 'none'}.", ""]


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


def paired_difference(
    cells: list[dict[str, Any]], task: str, first: Column, second: Column
) -> tuple[float, float, int]:
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


def headline_section(cells: list[dict[str, Any]], coverage: list[dict[str, Any]]) -> list[str]:
    """Per task, from what is recorded: DNRE (MH) against the best other ratio estimator (paired over shared
    cells), DNRE's HMC against its MH, and DNRE's coverage (MH); then a sentence that counts them."""
    means = {(task, method, sampler): float(np.mean(v))
             for (task, (method, sampler)), v in _field_values(cells, "c2st").items()}
    tasks = sorted({task for task, method, _ in means if method == "dnre"})
    if not tasks:
        return []
    lines = [
        "| task | DNRE (MH) | best other (C2ST) | DNRE − best other, paired | DNRE HMC − MH, paired "
        "| DNRE coverage gap / worst shortfall (s.e.) |",
        "|---|---|---|---|---|---|",
    ]
    wins = compared = hmc_ok = hmc_measured = not_behind = 0
    for task in tasks:
        dnre = means.get((task, "dnre", "mh"))
        others = {(m, s): v for (t, m, s), v in means.items() if t == task and m not in _OURS}
        best = min(others.items(), key=lambda item: item[1]) if others else None
        row = [task, f"{dnre:.3f}" if dnre is not None else "–"]
        if best is not None and dnre is not None:
            compared += 1
            wins += dnre <= best[1]
            row.append(f"{best[0][0]} {best[1]:.3f}")
            diff, se, pairs = paired_difference(cells, task, ("dnre", "mh"), best[0])
            not_behind += bool(diff <= 2 * se) if math.isfinite(se) else diff <= 0
            row.append(f"{diff:+.3f} ± {se:.3f} (n={pairs})" if pairs else "–")
        else:
            row += ["–", "–"]
        # on the cells both samplers recorded: HMC may cover fewer seeds than MH, whose other seeds differ
        hmc_diff, _, hmc_pairs = paired_difference(cells, task, ("dnre", "hmc"), ("dnre", "mh"))
        if hmc_pairs:
            hmc_measured += 1
            hmc_ok += abs(hmc_diff) <= HMC_MH_TOLERANCE
            row.append(f"{hmc_diff:+.3f}")
        else:
            row.append("–")
        runs = [r for r in coverage if (r["task"], r["method"], r["sampler"]) == (task, "dnre", "mh")]
        row.append(coverage_cell(runs) if runs else "–")
        lines.append("| " + " | ".join(row) + " |")
    peers = sorted({m for _, m, _ in means if m not in _OURS})
    lines += [
        "",
        f"DNRE's mean C2ST is at or below the best of the other estimators ({', '.join(peers) or 'none recorded'}) "
        f"on {wins} of {compared} tasks, and not behind it by more than two standard errors of the paired difference "
        f"on {not_behind} of {compared}; its HMC is within ±{HMC_MH_TOLERANCE} of its MH on {hmc_ok} of "
        f"{hmc_measured}. Coverage gap ≥ 0: conservative on average; a worst shortfall above about 2 standard errors "
        "is more than chance.",
    ]
    return lines


def _field_values(cells: list[dict[str, Any]], field: str) -> dict[tuple[str, Column], list[float]]:
    """``field``'s values per (task, (method, sampler)) over the successful cells that recorded it."""
    values: dict[tuple[str, Column], list[float]] = defaultdict(list)
    for r in cells:
        if r["status"] == "ok" and r.get(field) is not None:
            values[(r["task"], (r["method"], r["sampler"]))].append(float(r[field]))
    return values


def _columns(records: list[dict[str, Any]]) -> list[Column]:
    return sorted({(r["method"], r["sampler"]) for r in records})


def _header(columns: list[Column], first: str = "task") -> list[str]:
    return [f"| {first} | " + " | ".join(f"{m} {s}" for m, s in columns) + " |", "|---" * (len(columns) + 1) + "|"]


def _c2st_table(cells: list[dict[str, Any]]) -> list[str]:
    """Mean ± sd of C2ST per task and column, the lowest mean in bold; a last row counts each column's cells."""
    columns = _columns(cells)
    values = _field_values(cells, "c2st")
    lines = _header(columns)
    for task in sorted({r["task"] for r in cells}):
        means = {c: float(np.mean(values[(task, c)])) for c in columns if values[(task, c)]}
        winner = min(means.values()) if means else None
        row = []
        for c in columns:
            v = values[(task, c)]
            text = f"{np.mean(v):.3f} ± {np.std(v, ddof=1):.3f}" if len(v) > 1 else f"{v[0]:.3f}" if v else "–"
            row.append(f"**{text}**" if v and math.isclose(means[c], winner) else text)
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    counts = [sum(len(values[(task, c)]) for task in {t for t, _ in values}) for c in columns]
    lines.append("| cells | " + " | ".join(map(str, counts)) + " |")
    return lines


def _coverage_table(coverage: list[dict[str, Any]]) -> list[str]:
    columns = _columns(coverage)
    gaps: dict[tuple[str, Column], list[float]] = defaultdict(list)
    for r in coverage:
        gaps[(r["task"], (r["method"], r["sampler"]))].append(coverage_gap(r))
    lines = _header(columns)
    for task in sorted({r["task"] for r in coverage}):
        lines.append(f"| {task} | " + " | ".join(f"{np.mean(g):+.3f}" if (g := gaps[(task, c)]) else "–"
                                                  for c in columns) + " |")
    return lines


def _cost_table(cells: list[dict[str, Any]]) -> list[str]:
    """Per column: median training seconds per run, sampling seconds per observation, min bulk ESS per second."""
    columns = _columns(cells)
    fields = (("training s", "train_seconds", "{:.0f}"), ("sampling s per observation", "sample_seconds", "{:.1f}"),
              ("min bulk ESS/s", "min_ess_per_second", "{:.0f}"))
    lines = _header(columns, "median")
    for name, field, fmt in fields:
        per_column: dict[Column, list[float]] = defaultdict(list)
        for (_, column), v in _field_values(cells, field).items():
            per_column[column] += v
        lines.append(f"| {name} | " + " | ".join(fmt.format(statistics.median(per_column[c])) if per_column[c]
                                                 else "–" for c in columns) + " |")
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
