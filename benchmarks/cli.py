"""``python -m benchmarks COMMAND …``: the benchmarks' one entry point (``make bench`` runs every command).

- ``sbibm [options]``: the sbibm run (:mod:`benchmarks.sbibm_cli`; ``sbibm --help`` lists its options).
- ``study NAME [options]``: a follow-up study (:mod:`benchmarks.studies`).
- ``speed NAME``: a speed benchmark (:mod:`benchmarks.speed`).
- ``design [options]``: the inverse-design suite (:mod:`benchmarks.design_suite`).
- ``assemble [OUTPUT]``: ``BENCHMARKS.md`` from the results (:mod:`benchmarks.assemble`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from benchmarks.speed import SPEED
from benchmarks.studies import STUDIES

COMMANDS = {
    "sbibm": "the sbibm run: DNRE, NRE and BNRE against sbi's peers on the ten tasks (sbibm --help: its options)",
    "study": f"a follow-up study of the sbibm run: {', '.join(STUDIES)} (study --help: its options)",
    "speed": f"a speed benchmark: {', '.join(SPEED)}",
    "design": "the inverse-design suite against exact answers (design --help: its options)",
    "assemble": "write BENCHMARKS.md (or OUTPUT) from benchmarks/results/*.md",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The project's benchmarks (a development tool; run from the repository root). Results go to "
        "benchmarks/results/, which `assemble` turns into BENCHMARKS.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<9} {text}" for name, text in COMMANDS.items()),
    )
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help=", ".join(COMMANDS))
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's own arguments")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` (default: the process's arguments) to a command; returns the exit code."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "speed":
        if len(args.arguments) != 1 or args.arguments[0] not in SPEED:
            print(f"benchmarks speed: name one of {', '.join(SPEED)}", file=sys.stderr)
            return 2
        importlib.import_module(f"benchmarks.speed.{args.arguments[0]}").main()
        return 0
    module = {"sbibm": "benchmarks.sbibm_cli", "study": "benchmarks.studies", "assemble": "benchmarks.assemble",
              "design": "benchmarks.design_suite"}
    return importlib.import_module(module[args.command]).main(args.arguments)
