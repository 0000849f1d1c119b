"""`make bench`: whole-process timings of the project's heavy steps, medians over repeated runs.

Each case in bench/cases.yaml is a shell command timed from start to exit. A case may name a
`setup` command (run untimed before every run, e.g. to empty a cache) and a `baseline` command
(a plain process doing the least comparable work), and the report gives the ratio of medians.
Results are printed as a table and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def time_command(command: str, setup: str | None, runs: int) -> list[float]:
    """Wall-clock seconds of `command` over `runs` runs, each preceded by the untimed `setup`."""
    seconds = []
    for _ in range(runs):
        if setup:
            subprocess.run(setup, shell=True, cwd=ROOT, check=True, capture_output=True)
        start = time.perf_counter()
        done = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"bench: `{command}` failed with exit {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "bench" / "cases.yaml")
    parser.add_argument("--only", nargs="*", help="names of the cases to run (default: all)")
    parser.add_argument("--runs", type=int, help="override the number of runs of every case")
    args = parser.parse_args(argv)

    cases = yaml.safe_load(args.cases.read_text())
    if args.only:
        unknown = set(args.only) - {case["name"] for case in cases}
        if unknown:
            raise SystemExit(f"bench: no case named {', '.join(sorted(unknown))} in {args.cases}")
        cases = [case for case in cases if case["name"] in args.only]

    results = []
    print(f"{'case':<24} {'runs':>4} {'median s':>9} {'min s':>7} {'max s':>7} {'baseline s':>10} {'ratio':>7}  target")
    for case in cases:
        runs = args.runs or case.get("runs", 5)
        print(f"{case['name']:<24} running {runs}x ...", end="\r", file=sys.stderr, flush=True)
        seconds = time_command(case["command"], case.get("setup"), runs)
        median = statistics.median(seconds)
        base = statistics.median(time_command(case["baseline"], None, runs)) if case.get("baseline") else None
        row = {
            "name": case["name"], "runs": runs, "median_s": median, "min_s": min(seconds),
            "max_s": max(seconds), "baseline_s": base, "ratio": median / base if base else None,
            "target_s": case.get("target_s"), "command": case["command"],
        }
        results.append(row)
        target = f"< {row['target_s']} s " + ("ok" if row["target_s"] and median < row["target_s"] else "MISSED") \
            if row["target_s"] else ""
        print(f"{row['name']:<24} {runs:>4} {median:>9.2f} {min(seconds):>7.2f} {max(seconds):>7.2f} "
              f"{base if base is not None else float('nan'):>10.2f} "
              f"{row['ratio'] if row['ratio'] else float('nan'):>7.1f}  {target}")

    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
