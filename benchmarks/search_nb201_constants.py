"""``search_nb201.py`` with constants of the benchmark search overridden: the variant measured
through the very same code path, for the figures in the comments next to those constants.

    python benchmarks/search_nb201_constants.py '{"_FIRST_SHOTS": 3}' --strategies bayes --seeds 4 --name X

The first argument is a JSON object of names in ``hwnas.search._bench_shots`` or
``hwnas.search._bench`` (read when the search runs, so an override takes effect); every other
argument is ``search_nb201.py``'s.
"""

from __future__ import annotations

import json
import shlex
import sys


def _override(overrides: dict) -> None:
    import hwnas.search._bench as bench
    import hwnas.search._bench_shots as shots

    for name, value in overrides.items():
        module = shots if hasattr(shots, name) else bench
        if not hasattr(module, name):
            raise SystemExit(f"error: the benchmark search has no constant {name!r}")
        current = getattr(module, name)
        if not isinstance(value, type(current)) and not (isinstance(current, float) and type(value) is int):
            raise SystemExit(f"error: {name} is of type {type(current).__name__}, got {value!r}")
        setattr(module, name, value)


if __name__ == "__main__":
    usage = "the first argument must be a JSON object of constants, e.g. '{\"_FIRST_SHOTS\": 3}'"
    try:
        overrides = json.loads(sys.argv[1]) if len(sys.argv) > 1 else None
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: {usage} ({e})")
    if not isinstance(overrides, dict):
        raise SystemExit(f"error: {usage}")
    _override(overrides)
    import search_nb201

    search_nb201.main(sys.argv[2:], command="python " + shlex.join(sys.argv))  # the overrides in the record
