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
                             "filter", "export", "bench", "explore")


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by what the user asked for (bad arguments, missing or unreadable files, a
    missing optional package, a diverging run). They get one line on stderr and exit code 2,
    like argparse's usage errors; anything else is a bug and keeps its traceback."""
    from .train import TrainingDiverged

    return ValueError, TypeError, OSError, ImportError, TrainingDiverged


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
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    A user error (bad argument, missing file, ...) prints ``convlens: error: <message>`` on
    stderr and returns 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except Exception as error:
        if not isinstance(error, _user_errors()):
            raise
        message = str(error) or type(error).__name__
        if isinstance(error, ModuleNotFoundError):
            message += " (an optional package is missing; pip install 'convlens[all]')"
        print(f"convlens: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
