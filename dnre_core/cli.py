"""Command line ``dnre`` (also ``python -m dnre_core``): train a ratio estimator, sample its posterior.

    dnre train  --data sims.csv --theta-columns a,b --prior-low 0,0 --prior-high 1,1 --out model.pt
    dnre sample --model model.pt --target 0.3,,1.2 --out samples.csv --diagnostics diagnostics.json
    dnre design --model model.pt --target "mass<=4.5,hover>=20" --simulator quadcopter --out designs.csv

Bad input (a missing or malformed file, a target of the wrong length...) is reported as one line,
``dnre: error: <message>``, with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from torch import Tensor

from .config import DEFAULTS, TrainingConfig
from .design import DEFAULT_REPLICATES, ROUTES, DesignProgress, inverse_design
from .estimators import DNRE_HEADS
from .io import ModelFileError, load_estimator, write_csv, write_json
from .posterior import RatioPosterior
from .priors import BoxUniform
from .samplers import DEFAULT_SCALE_SPREAD
from .simulators import load_simulator
from .targets import Target, target_warnings
from .training import LR_SCHEDULES, TRAINERS, RatioTrainer, make_trainer
from .validation import InputError, as_matrix, as_vector

METHODS = tuple(method.lower() for method in TRAINERS)
USER_ERRORS = (InputError, ModelFileError)  # every user error is raised as one of these at its source
MISSING = ("", "nan", "NaN", "NA", "na")
LIST_OPTIONS = ("--prior-low", "--prior-high", "--target")  # values like "-2,-1" that argparse takes for options

TRAIN_HELP = """\
Simulations come from a CSV file with a header row of column names, or from a .npz file holding two arrays,
`theta` (N, D) and `x` (N, L). For a CSV, --theta-columns names the parameter columns; --x-columns names the
metric columns (default: every other column). Empty or NaN cells make a row unusable: such rows are dropped
and counted. Column names are stored in the model as parameter and metric names.

The prior is a uniform box that you state explicitly (bounds are never guessed from the data): either
--prior-low/--prior-high with one value per parameter, or --bounds-csv FILE with columns parameter,low,high
(one row per parameter, in any order; the names must match the theta columns)."""

DESIGN_HELP = """\
Designs whose simulated metrics meet bands: --target "name<=v,name>=v,name=v+-tol,name=free" (the model's metric
names). With --simulator module:function (module alone: module:simulator; e.g. quadcopter) the loop is closed:
designs are checked by simulation and each gets P(meet), the fraction of --replicates fresh simulations meeting every
band; the route taken (rejection from the prior or the model's proposals) is chosen by measured cost and printed.
The simulator module's DEFAULT_CONSTRAINTS (for quadcopter: no interferences) join every target that does not name
their metric (--no-default-constraints drops them). Without a simulator the designs are the model's alone,
conditioned on --reference-data (simulations of prior designs: a CSV with the model's metric columns, or a .npz
with x). The CSV lists parameters, simulated metrics, meets, P(meet), its simulation count and the margin, best
first; a JSON summary (rounds, simulations, route, warnings) goes beside it."""

SAMPLE_HELP = """\
The target is one value per metric of the model, in the model's metric order: --target "v1,v2,..." or
--target-csv FILE (a one-row CSV; with a header row, columns are matched to the model's metric names).
An empty or NaN entry leaves that metric free, which only a model trained with --mask-probability > 0
supports. Samples are written as CSV (header: the parameter names), diagnostics (R-hat, ESS, acceptance,
warnings) as JSON; both writes are atomic."""


# ---------------------------------------------------------------- parsing helpers
def parse_floats(text: str, name: str, allow_missing: bool = False) -> list[float]:
    """``"1, 2.5,,nan"`` → ``[1.0, 2.5, nan, nan]``; empty/NaN entries only when ``allow_missing``."""
    values = []
    for position, part in enumerate(text.split(",")):
        part = part.strip()
        if part in MISSING:
            if not allow_missing:
                raise InputError(f"{name}: entry {position + 1} is empty; give a number for every entry.")
            values.append(math.nan)
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(f"{name}: entry {position + 1} ({part!r}) is not a number.") from None
    return values


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell.strip() in MISSING
    return True


def parse_names(text: str | None) -> list[str] | None:
    """``"a, b"`` → ``["a", "b"]``; ``None`` stays ``None``."""
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def existing_file(text: str, what: str) -> Path:
    """``text`` as the path of an existing file; an :class:`InputError` naming ``what`` otherwise."""
    path = Path(text)
    if not path.is_file():
        raise InputError(f"{path}: no such {what}.")
    return path


def read_rows(path: Path) -> list[list[str]]:
    """The non-blank rows of a UTF-8 CSV file, cells as strings."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (it is not UTF-8).") from None
    except csv.Error as e:
        raise InputError(f"{path}: not a readable CSV file ({e}).") from None
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e}).") from None


def read_csv_table(path: Path) -> tuple[list[str], np.ndarray]:
    """A CSV file with a header row → (column names, values (N, K) float64); empty/NaN cells become NaN.

    Raises :class:`InputError` naming the line and column of the first non-numeric cell or ragged row.
    """
    rows = read_rows(path)
    if not rows:
        raise InputError(f"{path}: the file is empty; expected a header row of column names and data rows.")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header) or "" in header:
        raise InputError(f"{path}: the header row must name every column once; got {header}.")
    values = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InputError(f"{path}, data row {i + 1}: {len(row)} cell(s) but the header has {len(header)}.")
        for j, cell in enumerate(row):
            cell = cell.strip()
            try:
                values[i, j] = math.nan if cell in MISSING else float(cell)
            except ValueError:
                raise InputError(f"{path}, data row {i + 1}, column {header[j]!r}: {cell!r} is not a number.") from None
    return header, values


def select_columns(header: list[str], values: np.ndarray, names: list[str], path: Path) -> np.ndarray:
    """The columns ``names`` of ``values`` (N, K) → (N, len(names)); an unknown name is an :class:`InputError`."""
    unknown = [name for name in names if name not in header]
    if unknown:
        raise InputError(f"{path}: no column(s) {unknown}; the columns are {header}.")
    return values[:, [header.index(name) for name in names]]


def load_simulations(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, list[str] | None, list[str] | None]:
    """θ (N, D), x (N, L) and their column names (``None`` for .npz) from ``--data``."""
    path = existing_file(args.data, "data file")
    if path.suffix.lower() == ".npz":
        if args.theta_columns or args.x_columns:
            raise InputError("--theta-columns and --x-columns apply to CSV data; a .npz file holds arrays theta and x.")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = {"theta", "x"} - set(data.files)
                if missing:
                    raise InputError(f"{path}: missing array(s) {sorted(missing)}; the file has {sorted(data.files)}.")
                return np.asarray(data["theta"]), np.asarray(data["x"]), None, None
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
            raise InputError(f"{path}: not a readable .npz file ({e}).") from None
    theta_names = parse_names(args.theta_columns)
    if not theta_names:
        raise InputError("CSV data needs --theta-columns naming the parameter columns (e.g. --theta-columns a,b).")
    header, values = read_csv_table(path)
    x_names = parse_names(args.x_columns) or [name for name in header if name not in theta_names]
    if not x_names:
        raise InputError(f"{path}: no metric columns left after the theta columns; the columns are {header}.")
    overlap = sorted(set(theta_names) & set(x_names))
    if overlap:
        raise InputError(f"Column(s) {overlap} are named both as theta and as x columns.")
    return (select_columns(header, values, theta_names, path), select_columns(header, values, x_names, path),
            theta_names, x_names)


def load_prior(args: argparse.Namespace, theta_dim: int, theta_names: list[str] | None) -> BoxUniform:
    """The box prior from ``--prior-low/--prior-high`` or ``--bounds-csv`` (exactly one of the two)."""
    if args.bounds_csv is not None:
        if args.prior_low is not None or args.prior_high is not None:
            raise InputError("Give either --bounds-csv or --prior-low/--prior-high, not both.")
        path = existing_file(args.bounds_csv, "bounds file")
        header, values = _read_bounds(path)
        order = (list(range(len(header))) if theta_names is None
                 else [_index(header, name, path) for name in theta_names])
        low, high = values[order, 0].tolist(), values[order, 1].tolist()
    elif args.prior_low is not None and args.prior_high is not None:
        low = parse_floats(args.prior_low, "--prior-low")
        high = parse_floats(args.prior_high, "--prior-high")
    else:
        raise InputError("The prior's bounds are required: --prior-low and --prior-high (one value per parameter), "
                         "or --bounds-csv FILE.")
    if len(low) != theta_dim or len(high) != theta_dim:
        raise InputError(f"The prior bounds give {len(low)} low and {len(high)} high value(s) but the data has "
                         f"{theta_dim} parameter(s).")
    return BoxUniform(low, high)


def _read_bounds(path: Path) -> tuple[list[str], np.ndarray]:
    """``parameter,low,high`` rows → (names, bounds (D, 2))."""
    rows = read_rows(path)
    if not rows or [cell.strip().lower() for cell in rows[0]] != ["parameter", "low", "high"]:
        raise InputError(f"{path}: expected a header row 'parameter,low,high' and one row per parameter.")
    names, bounds = [], []
    for i, row in enumerate(rows[1:]):
        if len(row) != 3:
            raise InputError(f"{path}, data row {i + 1}: expected 3 cells (parameter, low, high); got {len(row)}.")
        names.append(row[0].strip())
        bounds.append(parse_floats(",".join(row[1:]), f"{path}, data row {i + 1}"))
    return names, np.asarray(bounds, dtype=np.float64).reshape(-1, 2)


def _index(names: list[str], name: str, path: Path) -> int:
    if name not in names:
        raise InputError(f"{path}: no bounds for parameter {name!r}; the file names {names}.")
    return names.index(name)


def load_target(args: argparse.Namespace, metric_names: list[str] | None) -> list[float]:
    """The observation x_o as a list of L floats (NaN = free metric), from ``--target`` or ``--target-csv``."""
    if (args.target is None) == (args.target_csv is None):
        raise InputError("Give the target with exactly one of --target \"v1,v2,...\" or --target-csv FILE.")
    if args.target is not None:
        return parse_floats(args.target, "--target", allow_missing=True)
    path = existing_file(args.target_csv, "target file")
    rows = read_rows(path)
    if not rows:
        raise InputError(f"{path}: the target file is empty.")
    if all(_is_number(cell) for cell in rows[0]):
        if len(rows) != 1:
            raise InputError(f"{path}: expected one row of target values; got {len(rows)} rows.")
        return parse_floats(",".join(rows[0]), str(path), allow_missing=True)
    header, values = read_csv_table(path)
    if values.shape[0] != 1:
        raise InputError(f"{path}: expected one row of target values under the header; got {values.shape[0]}.")
    if metric_names is None:
        return values[0].tolist()
    return select_columns(header, values, metric_names, path)[0].tolist()


# ---------------------------------------------------------------- output helpers
def check_output(text: str, flag: str) -> Path:
    """Refuse, before any work, an output path that cannot be written: a folder, or under a file or a folder that
    this user may not write to. The file itself is written atomically later (:func:`write_output`)."""
    path = Path(text)
    if path.is_dir():
        raise InputError(f"{flag} {path} is a folder; give a file name (e.g. {path / 'out'}).")
    folder = path.parent
    while not folder.exists():  # the writer creates missing folders
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{flag} {path}: {folder} is a file, not a folder; choose another place.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {path}: the folder {folder} is not writable; choose another place.")
    return path


def write_output(path: Path, flag: str, write: Callable[[Path], None]) -> None:
    """``write(path)``, with a failed write (disk full, permissions changed meanwhile) as an :class:`InputError`."""
    try:
        write(path)
    except OSError as e:
        raise InputError(f"{flag} {path}: cannot be written ({e.strerror or e}).") from None


def report_warnings(caught: Sequence[warnings.WarningMessage]) -> None:
    for warning in caught:
        print(f"dnre: warning: {warning.message}", file=sys.stderr)


def progress_bar(total: int, description: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="step", disable=not enabled, file=sys.stderr, leave=False)


# ---------------------------------------------------------------- commands
def training_config(args: argparse.Namespace) -> TrainingConfig:
    """The training configuration ``dnre train``'s options describe."""
    return TrainingConfig(
        method=args.method.upper(), hidden_features=args.hidden_features, num_layers=args.num_layers,
        mask_probability=args.mask_probability, dnre_head=args.head, dnre_partners=args.num_partners,
        max_epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        lr_schedule=args.lr_schedule, weight_averaging=args.weight_averaging, seed=args.seed)


def command_train(args: argparse.Namespace) -> int:
    """``dnre train``: read simulations, train, save the model (the best weights so far when interrupted)."""
    out = check_output(args.out, "--out")
    theta, x, theta_names, x_names = load_simulations(args)
    theta = as_matrix(theta, "theta")
    prior = load_prior(args, theta.shape[1], theta_names)
    config = training_config(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = make_trainer(config, prior, theta_names, x_names).append_simulations(theta, x)
        with progress_bar(config.max_epochs, f"training {config.method}", not args.no_progress) as bar:

            def on_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
                bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}")
                bar.update(1)

            try:
                trainer.train(**config.train_options(), callback=on_epoch)
            except KeyboardInterrupt:
                report_warnings(caught)
                return save_interrupted(trainer, out)
    report_warnings(caught)
    summary = trainer.summary
    if not math.isfinite(summary.best_val_loss):
        raise InputError("Training diverged (non-finite loss from the first epoch); check the data's scale or lower "
                         "--learning-rate.")
    write_output(out, "--out", trainer.estimator.save)
    print(f"Trained {config.method} on {len(trainer.simulations()[0])} simulations ({trainer.num_dropped} "
          f"dropped): {summary.epochs} epoch(s), best validation loss {summary.best_val_loss:.4f} at epoch "
          f"{summary.best_epoch + 1}, stopped by {summary.stopped_by}. Saved {out}")
    return 0


def save_interrupted(trainer: RatioTrainer, out: Path) -> int:
    """After Ctrl-C: save the best weights so far to ``out`` (when an epoch finished) and say so; exit code 130."""
    summary = trainer.summary
    if trainer.estimator is None or not math.isfinite(summary.best_val_loss):
        print("dnre: interrupted before the first epoch finished; nothing was saved.", file=sys.stderr)
        return 130
    write_output(out, "--out", trainer.estimator.save)
    print(f"dnre: interrupted after {summary.epochs} epoch(s); saved the best weights so far (epoch "
          f"{summary.best_epoch + 1}, validation loss {summary.best_val_loss:.4f}, no temperature calibration) to "
          f"{out}", file=sys.stderr)
    return 130


def command_sample(args: argparse.Namespace) -> int:
    """``dnre sample``: load a model, sample the posterior for a target, write samples and diagnostics."""
    out = check_output(args.out, "--out")
    diagnostics_path = check_output(args.diagnostics or str(out.with_suffix(".diagnostics.json")), "--diagnostics")
    estimator = load_estimator(args.model)
    values = load_target(args, estimator.metadata.get("metric_names"))
    target = as_vector(values, "the target", estimator.x_dim, allow_nan=estimator.masked)
    if args.scale_spread is not None and args.sampler != "mh":
        raise InputError(f"--scale-spread applies to the MH sampler only; drop it or use --sampler mh "
                         f"(got --sampler {args.sampler}).")
    options = {} if args.scale_spread is None else {"scale_spread": args.scale_spread}
    posterior = RatioPosterior(estimator, sampler=args.sampler, **options)
    for message in posterior.observation_warnings(target):
        print(f"dnre: warning: {message}", file=sys.stderr)
    draws_per_chain = math.ceil(args.num_samples / args.num_chains)
    total_steps = args.warmup + draws_per_chain
    every = max(1, total_steps // 100)
    with progress_bar(total_steps, f"sampling ({args.sampler})", not args.no_progress) as bar:

        def on_step(step: int, chains: Tensor, diagnostics: Any) -> None:
            bar.total = diagnostics.total_steps  # automatic thinning may add steps
            bar.update(step - bar.n)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            samples = posterior.sample((args.num_samples,), x=target, num_chains=args.num_chains,
                                       warmup_steps=args.warmup, thin=args.thin, seed=args.seed, callback=on_step,
                                       callback_every=every)
    diagnostics = posterior.diagnostics
    report_warnings([w for w in caught if str(w.message) not in diagnostics.warnings()])  # those are printed below
    names = posterior.parameter_names or [f"theta_{i}" for i in range(estimator.theta_dim)]
    write_output(out, "--out", lambda path: write_csv(path, names, samples.tolist()))
    write_output(diagnostics_path, "--diagnostics", lambda path: write_json(
        path, {"target": values, "model": str(args.model), **diagnostics.as_dict()}))
    for message in diagnostics.warnings():
        print(f"dnre: warning: {message}", file=sys.stderr)
    print(f"Wrote {len(samples)} samples to {out} and diagnostics to {diagnostics_path} "
          f"(max R-hat {diagnostics.max_rhat:.3f}, min bulk ESS {diagnostics.min_ess_bulk:.0f}).")
    return 0


def load_reference(path_text: str, metric_names: list[str]) -> np.ndarray:
    """Metrics (M, L) of simulated prior designs from a CSV with the model's metric columns or a .npz with x."""
    path = existing_file(path_text, "reference data")
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                if "x" not in data.files:
                    raise InputError(f"{path}: no array x; the file has {sorted(data.files)}.")
                return np.asarray(data["x"], dtype=np.float64)
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
            raise InputError(f"{path}: not a readable .npz file ({e}).") from None
    header, values = read_csv_table(path)
    return select_columns(header, values, metric_names, path)


def command_design(args: argparse.Namespace) -> int:
    """``dnre design``: designs for target bands, checked with a simulator; CSV of designs + JSON summary."""
    out = check_output(args.out, "--out")
    summary_path = check_output(args.summary or str(out.with_suffix(".summary.json")), "--summary")
    estimator = load_estimator(args.model)
    metric_names = list(estimator.metadata.get("metric_names") or [])
    if not metric_names:
        raise InputError(f"{args.model}: the model names no metrics, so a target cannot name them; train it with "
                         "named metric columns.")
    target = Target.parse(args.target)
    spec = load_simulator(args.simulator) if args.simulator else None
    if spec is not None and not args.no_default_constraints:
        target = target.with_defaults({k: v for k, v in spec.default_constraints.items() if k in metric_names})
    if spec is None and not args.reference_data:
        raise InputError("Without --simulator the designs come from the model alone: give --reference-data, "
                         "simulations of prior designs (such as the model's training data), to condition it on.")
    reference = load_reference(args.reference_data, metric_names) if args.reference_data else None
    x_range = (estimator.metadata.get("x_min"), estimator.metadata.get("x_max"))
    for message in target_warnings(target, metric_names, x_range if None not in x_range else None,
                                   spec.resolution if spec else None, exact=list(spec.exact_metrics) if spec else []):
        print(f"dnre: warning: {message}", file=sys.stderr)

    def on_progress(progress: DesignProgress) -> None:
        if not args.no_progress and progress.chains is None:
            print(f"dnre: {progress.stage}: {progress.found:,} designs, {progress.simulations:,} simulations"
                  + (f", hit rate {progress.hit_rate:.1%}" if math.isfinite(progress.hit_rate) else "")
                  + (f" ({progress.message})" if progress.message else ""), file=sys.stderr)

    result = inverse_design(
        estimator, target, spec.function if spec else None, args.num_designs, seed=args.seed, callback=on_progress,
        exact_metrics=spec.exact_metrics if spec else None, route=args.route, robust=args.robust,
        replicates=args.replicates, max_simulations=args.max_simulations, reference_x=reference,
        num_workers=args.workers)
    result.units.update(spec.units if spec else {})
    frame = result.to_frame().iloc[result.ranking()]
    write_output(out, "--out", lambda path: write_csv(path, list(frame.columns), frame.to_numpy(float).tolist()))
    write_output(summary_path, "--summary", lambda path: write_json(
        path, {"model": str(args.model), "simulator": spec.name if spec else None, **result.summary()}))
    for message in result.warnings:
        print(f"dnre: warning: {message}", file=sys.stderr)
    evidence = (f"mean P(meet) {result.hit_rate:.1%} over {int(result.p_meet_simulations.sum()):,} fresh simulations"
                if math.isfinite(result.hit_rate) else "not simulated")
    print(f"Wrote {len(result.theta)} designs to {out} ({evidence}; {result.simulations_used:,} simulations; route: "
          f"{result.route}, {result.route_reason}) and the summary to {summary_path}.")
    return 0


# ---------------------------------------------------------------- parser
def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more; got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0; got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more; got {text}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are the one line ``dnre: error: …`` (exit code 2) of every other
    bad input, pointing at ``--help`` instead of printing the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"dnre: error: {' '.join(message.split())} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="dnre", description="Direct Neural Ratio Estimation: train ratio estimators "
                                     "on simulations and sample posteriors for target metrics.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,sample,design}")
    formatter = argparse.RawDescriptionHelpFormatter

    train = commands.add_parser("train", help="train DNRE/NRE/BNRE on simulations → model file", description=TRAIN_HELP,
                                formatter_class=formatter)
    train.add_argument("--data", required=True, help="simulations: a CSV with a header row, or a .npz with theta and x")
    train.add_argument("--theta-columns", help="CSV: comma-separated parameter columns (required for CSV)")
    train.add_argument("--x-columns", help="CSV: comma-separated metric columns (default: all other columns)")
    train.add_argument("--prior-low", help="comma-separated lower bounds of the uniform prior, one per parameter")
    train.add_argument("--prior-high", help="comma-separated upper bounds of the uniform prior, one per parameter")
    train.add_argument("--bounds-csv", help="CSV with columns parameter,low,high (instead of --prior-low/--prior-high)")
    train.add_argument("--method", choices=METHODS, default=DEFAULTS.method.lower(),
                       help=f"estimator (default: {DEFAULTS.method.lower()})")
    train.add_argument("--out", required=True, help="model file to write (atomic)")
    train.add_argument("--epochs", type=positive_int, default=DEFAULTS.max_epochs,
                       help=f"maximum epochs; early stopping (default: {DEFAULTS.max_epochs})")
    train.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size,
                       help=f"default: {DEFAULTS.batch_size}")
    train.add_argument("--learning-rate", type=positive_float, default=DEFAULTS.learning_rate,
                       help=f"AdamW learning rate (default: {DEFAULTS.learning_rate:g})")
    train.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=DEFAULTS.lr_schedule,
                       help="learning rate constant (default) or annealed to 0 over --epochs (cosine)")
    train.add_argument("--weight-averaging", type=float, default=DEFAULTS.weight_averaging, metavar="DECAY",
                       help="keep an exponential moving average of the weights with this decay per optimiser step "
                            f"and return it; 0 returns the last iterate (default: {DEFAULTS.weight_averaging})")
    train.add_argument("--head", choices=DNRE_HEADS, default=DEFAULTS.dnre_head,
                       help="DNRE only: d = g(θ,x) − g(θ',x) (potential, default: consistent by construction) or the "
                            "paper's d = MLP([θ, θ', x]) (pairwise)")
    train.add_argument("--num-partners", type=positive_int, default=DEFAULTS.dnre_partners,
                       help="DNRE only: other parameters each simulation is contrasted with in the loss (default: "
                            f"{DEFAULTS.dnre_partners}; the paper's is 1)")
    train.add_argument("--seed", type=int, default=0, help="seed of every random choice in training (default: 0)")
    train.add_argument("--mask-probability", type=float, default=DEFAULTS.mask_probability,
                       help="probability of hiding each metric during training, so targets may leave metrics free "
                            "(default: 0, off)")
    train.add_argument("--hidden-features", type=positive_int, default=DEFAULTS.hidden_features,
                       help=f"MLP width (default: {DEFAULTS.hidden_features})")
    train.add_argument("--num-layers", type=positive_int, default=DEFAULTS.num_layers,
                       help=f"MLP hidden layers (default: {DEFAULTS.num_layers})")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=command_train)

    sample = commands.add_parser("sample", help="sample a model's posterior for a target → samples CSV + diagnostics",
                                 description=SAMPLE_HELP, formatter_class=formatter)
    sample.add_argument("--model", required=True, help="model file written by dnre train (or estimator.save)")
    sample.add_argument("--target", help='comma-separated metric values; empty or NaN = free metric, e.g. "1.2,,0.4"')
    sample.add_argument("--target-csv",
                        help="a one-row CSV of metric values (optionally with a header of metric names)")
    sample.add_argument("--num-samples", type=positive_int, default=1000, help="default: 1000")
    sample.add_argument("--num-chains", type=positive_int, default=100, help="parallel chains (default: 100)")
    sample.add_argument("--warmup", type=non_negative_int, default=200, help="warm-up steps per chain (default: 200)")
    sample.add_argument("--thin", type=positive_int, metavar="STEPS",
                        help="keep one draw every STEPS steps per chain (default: chosen from the measured "
                             "autocorrelation, so that the draws' bulk ESS reaches half their number)")
    sample.add_argument("--sampler", choices=("mh", "hmc"), default="mh", help="default: mh")
    sample.add_argument("--scale-spread", type=non_negative_float, metavar="DECADES",
                        help="MH only: spread each step's proposal scale over this many decades below the adapted one, "
                             "so that posteriors with parts of very different widths are crossed; 0 proposes with "
                             f"the adapted scale alone, which gains ESS on single-scale ones (default: "
                             f"{DEFAULT_SCALE_SPREAD:g})")
    sample.add_argument("--seed", type=int, default=0, help="default: 0")
    sample.add_argument("--out", required=True, help="samples CSV to write (atomic)")
    sample.add_argument("--diagnostics", help="diagnostics JSON to write (default: OUT with suffix .diagnostics.json)")
    sample.add_argument("--no-progress", action="store_true", help="no progress bar")
    sample.set_defaults(run=command_sample)

    design = commands.add_parser("design", help="designs whose simulated metrics meet target bands → designs CSV",
                                 description=DESIGN_HELP, formatter_class=formatter)
    design.add_argument("--model", required=True, help="model file written by dnre train (or estimator.save)")
    design.add_argument("--target", required=True, help='bands, e.g. "mass<=4.5,Max_Hover_Time_(s)>=20"')
    design.add_argument("--simulator", help="module:function, or module for module:simulator (e.g. quadcopter)")
    design.add_argument("--reference-data", help="without --simulator: simulated metrics to condition the model on "
                        "(CSV with the model's metric columns, or .npz with x)")
    design.add_argument("--num-designs", type=positive_int, default=1000, help="default: 1000")
    design.add_argument("--robust", type=positive_float, metavar="P",
                        help="return designs with P(meet) ≥ P instead of band-posterior designs")
    design.add_argument("--replicates", type=non_negative_int, default=DEFAULT_REPLICATES,
                        help=f"fresh simulations per design behind P(meet) (default: {DEFAULT_REPLICATES})")
    design.add_argument("--max-simulations", type=positive_int, default=1_000_000, help="budget (default: 1000000)")
    design.add_argument("--route", choices=ROUTES, default="auto", help="default: auto (by measured cost)")
    design.add_argument("--no-default-constraints", action="store_true",
                        help="do not add the simulator's default constraints (e.g. no interferences)")
    design.add_argument("--workers", type=positive_int, default=1, help="simulation processes (default: 1)")
    design.add_argument("--seed", type=int, default=0, help="default: 0")
    design.add_argument("--out", required=True, help="designs CSV to write (atomic)")
    design.add_argument("--summary", help="summary JSON to write (default: OUT with suffix .summary.json)")
    design.add_argument("--no-progress", action="store_true", help="no progress lines")
    design.set_defaults(run=command_design)

    return parser


def attach_list_values(argv: list[str]) -> list[str]:
    """Join ``--prior-low -2,-1`` into ``--prior-low=-2,-1`` so that lists starting with a minus sign parse."""
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] in LIST_OPTIONS and token.startswith("-") and not token.startswith("--"):
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dnre``; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(attach_list_values(argv))
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except USER_ERRORS as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"dnre: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dnre: interrupted", file=sys.stderr)
        return 130
