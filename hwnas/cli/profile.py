"""``hwnas profile``: time a space's units (and K whole networks) on a target into a profile directory."""

from __future__ import annotations

import argparse
import json

from ._command import Command

_PROTOCOL_FLAGS = (("warmup_s", float), ("warmup_runs", int), ("block_ms", float), ("min_runs", int),
                   ("max_runs", int), ("max_time_s", float), ("rel_iqr", float), ("network_sessions", int),
                   ("unit_sessions", int))


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", required=True, help="search space (see `hwnas spaces`)")
    p.add_argument("--target", default="ort-cpu", help="runtime to time on (ort-cpu, ort-cpu-int8, torch-cpu, ort-cuda, torch-cuda)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--out", default=None,
                   help="profile directory (default profiles/<space>-<target>-t<threads>-b<batch>)")
    p.add_argument("--networks", type=int, default=100, help="whole networks to time end to end (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the network sample and the inputs")
    p.add_argument("--shard", default="0/1", help="measure only share i of N (i/N), merge with `hwnas lut merge`")
    p.add_argument("--archs", default=None, metavar="FILE",
                   help="profile only these architectures' units (one string a line, or a CSV with an arch column)")
    p.add_argument("--dry-run", action="store_true", help="list what would be measured and the estimated time")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    g = p.add_argument_group("timing protocol (defaults: hwnas.profiler.TimingProtocol)")
    for name, kind in _PROTOCOL_FLAGS:
        g.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None)
    g.add_argument("--remeasure", action=argparse.BooleanOptionalAction, default=None,
                   help="re-measure a noisy row once (default on)")


def _protocol(args: argparse.Namespace):
    from hwnas.profiler import TimingProtocol

    names = [n for n, _ in _PROTOCOL_FLAGS] + ["remeasure"]
    return TimingProtocol(**{n: getattr(args, n) for n in names if getattr(args, n) is not None})


def _handler(args: argparse.Namespace) -> int:
    from hwnas import get_space
    from hwnas.profiler import plan_profile, profile, read_arch_file

    space = get_space(args.space)
    archs = read_arch_file(args.archs, space) if args.archs else None
    kw = dict(out_dir=args.out, archs=archs, networks=args.networks, seed=args.seed, shard=args.shard,
              protocol=_protocol(args), threads=args.threads, batch_size=args.batch_size)
    if args.dry_run:
        plan = plan_profile(space, args.target, **kw)
        if args.json:
            print(json.dumps({**plan.summary(), "pending_units": [u.to_dict() for u in plan.pending_units],
                              "pending_networks": [space.format(a) for a in plan.pending_networks]}, indent=2))
            return 0
        for u in plan.pending_units:
            print("unit    " + " ".join(f"{k}={v}" for k, v in u.to_dict().items() if v != ""))
        for a in plan.pending_networks:
            print(f"network {space.format(a)}")
        s = plan.summary()
        print(f"would measure {s['units_pending']} of {s['units']} units and {s['networks_pending']} of "
              f"{s['networks']} networks ({s['space']} on {s['target']}, shard {s['shard']}, units found by "
              f"{s['unit_coverage']}) into {s['out_dir']}: about {_duration(s['estimated_s'])}")
        return 0
    prof = profile(space, args.target, progress=not args.no_progress, **kw)
    m = prof.manifest
    result = {"out": str(prof.path), "units": len(prof.lut), "networks": len(prof.networks), **m["last_run"],
              "noise": m["noise"], "overhead_ms": prof.overhead_ms, "hash": prof.hash}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    noise = m["noise"]
    print(f"{prof.path}: {len(prof.lut)} units, {len(prof.networks)} networks "
          f"(measured now: {m['last_run']['measured_units']} units, {m['last_run']['measured_networks']} networks "
          f"in {m['last_run']['elapsed_s']:.1f} s)")
    if noise.get("rows"):
        print(f"noise: relative IQR median {noise['rel_iqr_p50']:.1%}, p90 {noise['rel_iqr_p90']:.1%}; "
              f"{noise['noisy_share']:.1%} of rows flagged noisy; "
              f"empty-graph overhead {prof.overhead_ms * 1000:.1f} us")
    print(f"hash {prof.hash}")
    return 0


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


COMMANDS = [
    Command(("profile",), "time a space's units and K whole networks on a target (resumable)",
            _add_arguments, _handler),
]
