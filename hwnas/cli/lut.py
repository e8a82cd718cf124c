"""``hwnas lut show | export | merge | diff``: work with finished profiles."""

from __future__ import annotations

import argparse
import json

import pandas as pd

from ._command import Command


def _show_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="profile directory")
    p.add_argument("-f", "--format", choices=("table", "json", "csv"), default="table")


def _show(args: argparse.Namespace) -> int:
    from hwnas.profiler import LUT_COLUMNS, show_profile

    shown = show_profile(args.dir)
    summary, lut = shown["summary"], shown["lut"]
    if args.format == "json":
        print(json.dumps({"summary": summary, "lut": json.loads(lut.to_json(orient="records"))}, indent=2))
    elif args.format == "csv":
        print(lut[list(LUT_COLUMNS)].to_csv(index=False), end="")
    else:
        noise = summary["noise"]
        print(f"{summary['path']}: {summary['space']} on {summary['target']} ({summary['device']}"
              f"{', ' + summary['gpu'] if summary['gpu'] else ''}), {summary['units']} units, "
              f"{summary['networks']} networks, {'complete' if summary['complete'] else 'INCOMPLETE'}")
        if noise.get("rows"):
            print(f"noise: relative IQR median {noise['rel_iqr_p50']:.1%}, p90 {noise['rel_iqr_p90']:.1%}, "
                  f"{noise['noisy_share']:.1%} flagged; overhead {summary['overhead_ms'] * 1000:.1f} us; "
                  f"hash {summary['hash'][:16]}")
        cols = ["op", "in_channels", "out_channels", "resolution", "kernel", "stride", "groups", "expansion",
                "residual", "extra", "median_ms", "rel_iqr", "noisy"]
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(lut[cols].to_string(index=False))
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="profile directory")
    p.add_argument("out", help="output file: .csv, .parquet or .json")


def _export(args: argparse.Namespace) -> int:
    from hwnas.profiler import export_lut

    print(f"wrote {export_lut(args.dir, args.out)}")
    return 0


def _merge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="output profile directory")
    p.add_argument("dirs", nargs="+", help="profile directories (shards, or runs on other hosts of the same device)")
    p.add_argument("--tolerance", type=float, default=0.10,
                   help="relative difference of two medians of one unit reported as a conflict (default 0.10)")
    p.add_argument("--json", action="store_true")


def _merge(args: argparse.Namespace) -> int:
    from hwnas.profiler import merge_profiles

    report = merge_profiles(args.out, args.dirs, tolerance=args.tolerance)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['out']}: {report['units']} units, {report['networks']} networks from "
          f"{len(report['inputs'])} profiles; {report['duplicates']} duplicate rows, "
          f"{len(report['conflicts'])} conflicts")
    for c in report["conflicts"]:
        key = " ".join(f"{k}={v}" for k, v in c["key"].items() if k != "target" and v != "")
        print(f"  conflict in {c['table']}: {key}: medians {', '.join(f'{v:.4g}' for v in c['median_ms'])} ms "
              f"(kept the quieter)")
    return 0


def _diff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir_a")
    p.add_argument("dir_b")
    p.add_argument("--json", action="store_true")


def _diff(args: argparse.Namespace) -> int:
    from hwnas.profiler import diff_profiles

    d = diff_profiles(args.dir_a, args.dir_b)
    rows = d.pop("rows")
    if args.json:
        print(json.dumps({**d, "rows": json.loads(rows.to_json(orient="records"))}, indent=2))
        return 0
    print(f"A: {d['a']['path']} ({d['a']['target']}, {d['a']['device']})")
    print(f"B: {d['b']['path']} ({d['b']['target']}, {d['b']['device']})")
    for what in ("units", "networks"):
        s = d[what]
        if not s.get("common"):
            print(f"{what}: none in common")
            continue
        tau = "n/a" if s["kendall_tau"] is None else f"{s['kendall_tau']:.3f}"
        rho = "n/a" if s["spearman"] is None else f"{s['spearman']:.3f}"
        print(f"{what}: {s['common']} in common; B/A ratio geomean {s['ratio_geomean']:.3f} "
              f"(min {s['ratio_min']:.3f}, max {s['ratio_max']:.3f}); Kendall tau {tau}, Spearman {rho}")
    cols = ["op", "in_channels", "out_channels", "resolution", "kernel", "stride", "expansion", "extra",
            "median_ms_a", "median_ms_b", "ratio"]
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(rows[cols].to_string(index=False))
    return 0


COMMANDS = [
    Command(("lut", "show"), "show a profile's lookup table", _show_args, _show),
    Command(("lut", "export"), "export a lookup table to CSV, Parquet or JSON", _export_args, _export),
    Command(("lut", "merge"), "merge profiles (shards or hosts of one device) into one", _merge_args, _merge),
    Command(("lut", "diff"), "compare two profiles: ratio per unit, rank agreement", _diff_args, _diff),
]
