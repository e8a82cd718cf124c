"""``hwnas spaces`` and ``hwnas arch``."""

from __future__ import annotations

import argparse
import json

from .._describe import describe_architecture, describe_spaces, load_space_config
from ._command import Command


def _spaces_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def _spaces(args: argparse.Namespace) -> int:
    rows = describe_spaces()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'space':<8} {'architectures':>16} {'choices':>8}  description")
    for r in rows:
        print(f"{r['space']:<8} {r['size']:>16,} {r['choices']:>8}  {r['description']}")
    return 0


def _arch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space name (see `hwnas spaces`)")
    p.add_argument("arch", help="the architecture's canonical string")
    p.add_argument("--num-classes", type=int, default=None)
    p.add_argument("--space-config", default=None, metavar="JSON",
                   help="configuration of a custom space variant, as JSON text or a .json file")
    p.add_argument("--json", action="store_true", help="print JSON")


def _arch(args: argparse.Namespace) -> int:
    config = load_space_config(args.space_config) if args.space_config else None
    d = describe_architecture(args.space, args.arch, num_classes=args.num_classes, space_config=config)
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(f"space   {d['space']}\narch    {d['arch']}")
    print(f"params  {d['params']:,} ({d['params'] / 1e6:.6f} M)")
    print(f"FLOPs   {d['flops']:,} ({d['flops'] / 1e6:.5f} M multiply-adds, input {tuple(d['input_shape'])})")
    print(f"units   {d['num_units']} in execution order, {len(d['units'])} distinct:")
    cols = ("in_channels", "out_channels", "resolution", "kernel", "stride", "groups", "expansion")
    width = max(len(u["op"]) for u in d["units"]) + 2
    print(f"  {'op':<{width}}" + " ".join(f"{c[:10]:>10}" for c in cols) + "  count  extra")
    for u in d["units"]:
        print(f"  {u['op']:<{width}}" + " ".join(f"{str(u[c])[:10]:>10}" for c in cols)
              + f"  {u['count']:>5}  {u['extra']}")
    return 0


COMMANDS = [
    Command(("spaces",), "list the search spaces with their sizes", _spaces_args, _spaces),
    Command(("arch",), "validate an architecture; print params, FLOPs and units", _arch_args, _arch),
]
