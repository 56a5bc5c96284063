"""The ``convlens`` command line: ``convlens --help`` lists the subcommands.

Each subcommand lives in its own module under :mod:`convlens.commands` and provides
``register(subparsers)``, which adds its parser and sets ``run=<callable(args) -> int>``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._version import __version__

COMMANDS: tuple[str, ...] = ("train", "evaluate", "predict", "summary", "experiment", "explain",
                             "filter", "export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convlens",
        description="Train, inspect and run convolutional neural networks on NumPy and SciPy.",
    )
    parser.add_argument("--version", action="version", version=f"convlens {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"convlens.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
