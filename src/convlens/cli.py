"""The ``convlens`` command line: ``convlens --help`` lists the subcommands.

Each subcommand lives in its own module under :mod:`convlens.commands` and provides
``register(subparsers)``, which adds its parser and sets ``run=<callable(args) -> int>``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
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


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default and, where it has them, its choices."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if action.choices is not None and "choices" not in text:
            text += f" (choices: {', '.join(map(str, action.choices))})"
        if "default" not in text:
            shown = "off" if isinstance(action, argparse._StoreTrueAction) else "%(default)s"
            text += f" (default: {shown})"
        return text.strip()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every subcommand, or for ``command`` alone: ``main`` builds only the one
    it runs (argparse took about 10 ms to build all ten, a tenth of a ``predict`` on 1,000
    digits)."""
    parser = argparse.ArgumentParser(
        prog="convlens",
        description="Train, inspect and run convolutional neural networks on NumPy and SciPy.",
    )
    parser.add_argument("--version", action="version", version=f"convlens {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if command is None else (command,):
        importlib.import_module(f"convlens.commands.{name}").register(subparsers)
    for subparser in subparsers.choices.values():
        subparser.formatter_class = HelpFormatter
    return parser


def _flag_names(message: str, parser: argparse.ArgumentParser, command: str) -> str:
    """Say ``--data-dir`` where a library message names the keyword ``data_dir=``."""
    actions = parser._subparsers._group_actions[0].choices[command]._actions
    for action in actions:
        flags = [flag for flag in action.option_strings if flag.startswith("--")]
        if not flags or action.dest in ("help", "run"):
            continue
        message = re.sub(rf"\b{action.dest}=(?![\w'\"])", flags[0], message)
        if "_" in action.dest:
            message = re.sub(rf"(?<![-\w]){action.dest}\b", flags[0], message)
    return message


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``convlens ... | head``): stop without a word."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit-time flush cannot fail again
    except (OSError, ValueError, AttributeError):
        pass
    return 141  # 128 + SIGPIPE, what a C tool killed by the signal reports


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    A user error (bad argument, missing file, ...) prints ``convlens: error: <message>`` on
    stderr and returns 2.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("convlens: interrupted", file=sys.stderr)
        return 130
    except MemoryError as error:
        print(f"convlens: error: out of memory: {str(error) or 'MemoryError'}; use smaller "
              "sizes", file=sys.stderr)
        return 2
    except Exception as error:
        if not isinstance(error, _user_errors()):
            raise
        message = _flag_names(str(error) or type(error).__name__, parser, args.command)
        if isinstance(error, ModuleNotFoundError):
            message += " (an optional package is missing; pip install 'convlens[all]')"
        print(f"convlens: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
