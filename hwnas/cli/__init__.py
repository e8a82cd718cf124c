"""The ``hwnas`` command line. Each module of this package contributes ``COMMANDS``."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import warnings
from typing import Sequence

from .._errors import HwnasError
from ._command import Command

__all__ = ["main", "build_parser", "Command"]

# One module per area; a module that is not there yet is skipped.
_MODULES = ("spaces", "profile", "lut", "latency", "accuracy", "search_cmd", "finalize", "run")

_GROUP_HELP = {
    "fit": "fit a surrogate (latency or accuracy)",
    "predict": "predict with a fitted surrogate",
    "bench": "benchmark entry points on measurement tables",
    "lut": "show, export, merge and diff lookup tables",
    "explain": "why a prediction differs from a measurement",
}


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the problem, exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _commands() -> list[Command]:
    out: list[Command] = []
    for name in _MODULES:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            out.extend(importlib.import_module(f"{__name__}.{name}").COMMANDS)
    return out


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog="hwnas", description="Predictor-first, hardware-aware NAS.")
    parser.add_argument("--version", action="version", version=f"hwnas {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    groups: dict[str, argparse._SubParsersAction] = {}
    for cmd in _commands():
        sub = top
        for word in cmd.path[:-1]:
            if word not in groups:
                g = top.add_parser(word, help=_GROUP_HELP.get(word, word))
                groups[word] = g.add_subparsers(dest=f"{word}_command", metavar="WHAT", parser_class=_Parser)
                groups[word].required = True
            sub = groups[word]
        p = sub.add_parser(cmd.path[-1], help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_handler=cmd.handler)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings reach a CLI user as one line, like errors (no source line, no traceback)."""
    print(f"hwnas: warning: {str(message).splitlines()[0] if str(message) else category.__name__}",
          file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_handler"):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return int(args._handler(args) or 0)
    except HwnasError as exc:
        print(f"hwnas: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"hwnas: error: file not found: {exc.filename or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hwnas: interrupted; what was measured is saved, rerun the same command to resume",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
