"""Summaries of spaces and architectures (what ``hwnas spaces`` and ``hwnas arch`` print)."""

from __future__ import annotations

from ._space import create_space, get_space, list_spaces

__all__ = ["describe_spaces", "describe_architecture", "load_space_config"]


def load_space_config(text: str) -> dict:
    """A space configuration from JSON text or the path of a JSON file."""
    import json
    from pathlib import Path

    from ._errors import ConfigError

    source = Path(text).read_text() if text.strip().endswith(".json") else text
    try:
        config = json.loads(source)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"space config is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigError("space config must be a JSON object")
    return config


def describe_spaces() -> list[dict]:
    """Name, size, number of choices and default input of every registered space."""
    rows = []
    for name in list_spaces():
        space = get_space(name)
        rows.append({
            "space": name,
            "size": space.size,
            "choices": len(space.choices),
            "input_shape": list(space.default_input_shape),
            "description": (type(space).__doc__ or "").strip().splitlines()[0],
        })
    return rows


def describe_architecture(space_name: str, text: str, num_classes: int | None = None,
                          input_shape: tuple[int, int, int] | None = None,
                          space_config: dict | None = None) -> dict:
    """Validate ``text`` in ``space_name`` and report its parameters, FLOPs and units."""
    space = create_space(space_name, **space_config) if space_config else get_space(space_name)
    arch = space.parse(text)
    shape = input_shape or space.default_input_shape
    units = space.units(arch, shape)
    distinct: dict = {}
    for u in units:
        distinct[u] = distinct.get(u, 0) + 1
    return {
        "space": space.name,
        "arch": space.format(arch),
        "genes": list(arch.genes),
        "params": space.params(arch, num_classes, shape),
        "flops": space.flops(arch, num_classes, shape),
        "input_shape": list(shape),
        "num_units": len(units),
        "units": [dict(u.to_dict(), count=c) for u, c in distinct.items()],
    }
