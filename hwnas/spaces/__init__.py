"""Built-in search spaces; importing this package registers them."""

from __future__ import annotations

import importlib.util as _ilu

# Each space lives in its own module and registers itself on import.
for _mod in ("nb201", "fbnet", "mbconv"):
    if _ilu.find_spec(f"{__name__}.{_mod}") is not None:
        __import__(f"{__name__}.{_mod}")

__all__: list[str] = []
