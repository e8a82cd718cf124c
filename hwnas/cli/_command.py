"""The shape of one CLI command: a thin layer over one public Python function."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable

__all__ = ["Command"]


@dataclass(frozen=True)
class Command:
    """``path`` is the words that select the command, e.g. ``("fit", "latency")``;
    ``add_arguments`` declares its options and ``handler(args) -> exit code`` calls the public
    function and prints its result."""

    path: tuple[str, ...]
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]
