"""The same profiles timed the old way: each whole network in one session (``network_sessions=1``).

For each space, the whole networks of the default profile (``profiles/<space>-ort-cpu-t1-b1``,
from ``benchmarks/profile_budget.py``) are profiled again into ``--root`` with their units, under
the default protocol except one session per network. Scoring the predictors on both sets of
profiles (``benchmarks/latency_profile.py --root ROOT``) shows what the sessions are worth on this
machine. Timing-sensitive: run on a quiet machine.

    python benchmarks/profile_one_session.py --root /tmp/one_session
    python benchmarks/latency_profile.py --root /tmp/one_session --name latency_profile_one_session
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, write_results  # noqa: E402


def main() -> None:
    from hwnas.profiler import TimingProtocol, default_profile_dir, load_profile, profile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", nargs="+", default=["nb201", "fbnet", "mbconv"])
    ap.add_argument("--source", default=str(REPO / "profiles"), help="profiles whose networks are re-timed")
    ap.add_argument("--root", required=True, help="where the one-session profiles go")
    ap.add_argument("--name", default="profile_one_session")
    args = ap.parse_args()
    started, rows = time.time(), []
    one = TimingProtocol(network_sessions=1)
    for name in args.spaces:
        source = load_profile(default_profile_dir(name, root=args.source))
        archs, _ = source.network_latencies()
        t0 = time.time()
        prof = profile(name, "ort-cpu", default_profile_dir(name, root=args.root), archs=archs, networks=len(archs),
                       protocol=one, progress=True)
        rows.append({"space": name, "networks": len(prof.networks), "units": len(prof.lut),
                     "time_s": round(time.time() - t0, 1), "same_networks": set(prof.networks["arch"])
                     == set(source.networks["arch"])})
        print(rows[-1], flush=True)
    print(write_results(args.name, rows, started=started,
                        notes=f"Profiles in {args.root}: the networks of {args.source}'s profiles and their units, "
                              "each network timed in one session (the protocol otherwise the default)."))


if __name__ == "__main__":
    main()
