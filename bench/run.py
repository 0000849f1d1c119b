"""`make bench`: whole-process timings of the project's heavy steps, medians over repeated runs.

Each case in bench/cases.yaml is a shell command timed from start to exit. A case may name a `setup`
command (run untimed before every run, e.g. to empty a cache), a `teardown` (run untimed after every
run, even a failed one, e.g. to undo an edit) and a `baseline` command (a plain process doing the
least comparable work); the report gives the ratio of medians and the time beyond the baseline.
Targets: `target_s` (median), `target_ratio` (median / baseline) and `target_beyond_s` (median minus
baseline). Every run records its CPU time and the peak resident memory of its largest process (from
wait4); a case with `tree_memory: true` also samples the summed memory of its whole process tree.

A `scaling:` case runs bench/scaling.py on synthetic tables of several sizes: for each function, number
of tasks and number of models, a load process (the baseline), a run process and a floor process (the
same number of Gram-matrix products in NumPy); it reports the time per call beyond loading, its ratio
to the floor's, and the exponent fitted over the numbers of models.

A case with `reports: FIELD` measures something that is not a time: its command prints one JSON object
as its last line of output, and the case reports the median of that field over the runs (the controlled
experiment's training throughput as a ratio to a jitted matmul's FLOP/s).

Results are printed, written to bench/results/latest.json, and (unless --no-docs) written into
docs/performance.md with one plot (bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SAMPLE_S = 0.1     # interval of the process-tree memory samples


@dataclass
class Run:
    """One timed run: wall and CPU seconds, peak RSS of the largest process and of the whole tree (kB)."""

    wall_s: float
    cpu_s: float
    max_rss_kb: int
    tree_rss_kb: int | None = None


def _tree_rss_kb(root: int) -> tuple[int, int]:
    """Summed and largest resident memory (kB) of process `root` and its descendants, from /proc."""
    parent, rss = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry.name}/statm") as f:
                resident_pages = int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parent[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024
    tree, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in tree:
                tree.add(child)
                frontier.append(child)
    sizes = [rss.get(pid, 0) for pid in tree]
    return sum(sizes), max(sizes, default=0)


def run_command(command: str, root: Path, *, tree_memory: bool = False) -> Run:
    """Run `command` (a shell command, in `root`) once; raise SystemExit with its error output if it fails."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(command, shell=True, cwd=root, stdout=output, stderr=subprocess.STDOUT)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.wait(SAMPLE_S):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid)[0])

        sampler = threading.Thread(target=sample, daemon=True) if tree_memory and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        if sampler:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            output.seek(0)
            tail = output.read().decode(errors="replace")[-3000:]
            raise SystemExit(f"bench: `{command}` failed with exit {proc.returncode}:\n{tail}")
    # ru_maxrss is in kB on Linux: the largest process of the tree (the child and what it waited for).
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, peak[0] if sampler else None)


def run_case_runs(case: dict, root: Path, runs: int) -> list[Run]:
    """The timed runs of a case, each preceded by its setup and followed by its teardown."""
    out = []
    for _ in range(runs):
        try:
            if case.get("setup"):
                run_command(case["setup"], root)
            out.append(run_command(case["command"], root, tree_memory=case.get("tree_memory", False)))
        finally:
            if case.get("teardown"):
                run_command(case["teardown"], root)
    return out


def _median(values):
    return statistics.median(values) if values else None


def measure_case(case: dict, root: Path, runs: int) -> dict:
    timed = run_case_runs(case, root, runs)
    base = [run_command(case["baseline"], root) for _ in range(runs)] if case.get("baseline") else []
    median, base_median = _median([r.wall_s for r in timed]), _median([r.wall_s for r in base])
    row = {
        "name": case["name"], "runs": runs, "command": case["command"],
        "median_s": median, "min_s": min(r.wall_s for r in timed), "max_s": max(r.wall_s for r in timed),
        "cpu_s": _median([r.cpu_s for r in timed]),
        "max_rss_mb": max(r.max_rss_kb for r in timed) / 1024,
        "tree_rss_mb": max(r.tree_rss_kb for r in timed) / 1024 if case.get("tree_memory") else None,
        "baseline_s": base_median, "ratio": median / base_median if base else None,
        "beyond_s": median - base_median if base else None,
        "target_s": case.get("target_s"), "target_ratio": case.get("target_ratio"),
        "target_beyond_s": case.get("target_beyond_s"), "runs_detail": [asdict(r) for r in timed],
    }
    checks = [(row["target_s"], median), (row["target_ratio"], row["ratio"]), (row["target_beyond_s"], row["beyond_s"])]
    row["met"] = all(value is not None and value <= target for target, value in checks if target is not None) \
        if any(target is not None for target, _ in checks) else None
    return row


def measure_scaling(case: dict, root: Path, runs: int, python: str, quick: bool) -> dict:
    """Time per call beyond loading of each statistic at each size, against the floor (bench/scaling.py)."""
    sys.path.insert(0, str(HERE))
    from scaling import plan

    spec = case["scaling"]
    models = [m for m in spec["models"] if not (quick and m > spec.get("quick_max_models", 10_000))]
    rows = []
    for function, task_counts in spec["tasks"].items():
        for tasks in task_counts:
            for n in models:
                steps = plan(function, n, tasks)
                stage = {}
                for name in ("load", "run", "floor"):
                    command = f"{python} bench/scaling.py {function} --models {n} --tasks {tasks} --stage {name}"
                    stage[name] = [run_command(command, root) for _ in range(runs)]
                    print(f"  {function:<18} {n:>7} x {tasks:<5} {name:<5} "
                          f"{_median([r.wall_s for r in stage[name]]):7.2f} s", file=sys.stderr, flush=True)
                load = _median([r.wall_s for r in stage["load"]])
                per_call = (_median([r.wall_s for r in stage["run"]]) - load) / steps["run"]
                floor = (_median([r.wall_s for r in stage["floor"]]) - load) / steps["floor"]
                cpu_load = _median([r.cpu_s for r in stage["load"]])
                rows.append({
                    "function": function, "models": n, "tasks": tasks, "resamples": steps["resamples"],
                    "calls_run": steps["run"], "calls_floor": steps["floor"], "load_s": load,
                    "per_call_s": per_call, "floor_s": floor,
                    "ratio": per_call / floor if per_call > 0 and floor > 0 else None,
                    "per_call_cpu_s": (_median([r.cpu_s for r in stage["run"]]) - cpu_load) / steps["run"],
                    "floor_cpu_s": (_median([r.cpu_s for r in stage["floor"]]) - cpu_load) / steps["floor"],
                    "run_rss_mb": max(r.max_rss_kb for r in stage["run"]) / 1024,
                })
    return {"name": case["name"], "runs": runs, "scaling": rows, "exponents": exponents(rows)}


def reported_values(command: str, root: Path, runs: int, field: str) -> list[float]:
    """The number `field` of the JSON object that `command` prints last, over `runs` runs."""
    values = []
    for _ in range(runs):
        done = subprocess.run(command, shell=True, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"bench: `{command}` failed with exit {done.returncode}:\n{done.stderr[-2000:]}")
        lines = done.stdout.strip().splitlines()
        try:
            values.append(float(json.loads(lines[-1])[field]))
        except (IndexError, ValueError, KeyError, TypeError):
            raise SystemExit(f"bench: `{command}` did not print a JSON object with {field!r} as its last line") from None
    return values


def measure_reported(case: dict, root: Path, runs: int) -> dict:
    """A case that reports a number its command prints (`reports: FIELD`), not a time."""
    values = reported_values(case["command"], root, runs, case["reports"])
    return {"name": case["name"], "runs": runs, "command": case["command"], "reports": case["reports"],
            "median": _median(values), "min": min(values), "max": max(values)}


def exponents(rows: list[dict]) -> list[dict]:
    """Least-squares slope of log(time per call) on log(models), per function and number of tasks, for
    the statistic and for its floor (times at or below zero are left out)."""
    import numpy as np

    out = []
    for key in sorted({(r["function"], r["tasks"]) for r in rows}, key=str):
        series = [r for r in rows if (r["function"], r["tasks"]) == key]
        fit = {}
        for column in ("per_call_s", "floor_s"):
            points = [(r["models"], r[column]) for r in series if r[column] and r[column] > 0]
            fit[column] = (float(np.polyfit(np.log([p[0] for p in points]), np.log([p[1] for p in points]), 1)[0])
                           if len(points) >= 2 else None)
        out.append({"function": key[0], "tasks": key[1], "models": [r["models"] for r in series],
                    "exponent": fit["per_call_s"], "floor_exponent": fit["floor_s"]})
    return out


def print_row(row: dict) -> None:
    if "reports" in row:
        print(f"{row['name']:<28} {row['runs']:>4}  {row['reports']} = {row['median']:.3g} "
              f"(min {row['min']:.3g}, max {row['max']:.3g}; not a time)", flush=True)
        return
    if "scaling" in row:
        print(f"\n{row['name']}: time per call beyond loading (s), its floor and the ratio")
        for r in row["scaling"]:
            ratio = f"{r['ratio']:.2f}" if r["ratio"] else "  n/a"
            print(f"  {r['function']:<18} {r['models']:>7} x {r['tasks']:<5} {r['per_call_s']:10.4f} "
                  f"{r['floor_s']:10.4f} {ratio:>6}  {r['run_rss_mb']:7.0f} MB")
        for e in row["exponents"]:
            exp = f"{e['exponent']:.2f}" if e["exponent"] is not None else "n/a"
            print(f"  exponent {e['function']} x {e['tasks']}: {exp}")
        return
    target = ""
    if row["met"] is not None:
        parts = [f"<= {row['target_s']} s" if row["target_s"] else "",
                 f"<= {row['target_ratio']}x" if row["target_ratio"] else "",
                 f"<= {row['target_beyond_s']} s beyond" if row["target_beyond_s"] else ""]
        target = " ".join(p for p in parts if p) + (" ok" if row["met"] else " MISSED")
    nan = float("nan")
    print(f"{row['name']:<28} {row['runs']:>4} {row['median_s']:>9.2f} {row['cpu_s']:>7.2f} "
          f"{row['max_rss_mb']:>7.0f} {row['baseline_s'] if row['baseline_s'] is not None else nan:>10.2f} "
          f"{row['ratio'] if row['ratio'] is not None else nan:>7.2f}  {target}", flush=True)


def machine() -> dict:
    """What the numbers were measured on: cores, CPU model, load average."""
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "load_average": list(os.getloadavg()),
            "python": sys.version.split()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=HERE / "cases.yaml")
    parser.add_argument("--only", nargs="*", help="names of the cases to run (default: all)")
    parser.add_argument("--runs", type=int, help="override the number of runs of every case")
    parser.add_argument("--quick", action="store_true",
                        help="one run per case, scaling without the largest tables (a few minutes)")
    parser.add_argument("--root", type=Path, default=HERE.parent,
                        help="the checkout whose commands are timed (default: this one)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)

    cases = yaml.safe_load(args.cases.read_text())
    if args.only:
        unknown = set(args.only) - {case["name"] for case in cases}
        if unknown:
            raise SystemExit(f"bench: no case named {', '.join(sorted(unknown))} in {args.cases}")
        cases = [case for case in cases if case["name"] in args.only]
    root = args.root.resolve()
    python = ".venv/bin/python"
    started = time.perf_counter()
    info = {"machine_before": machine(), "quick": args.quick}
    results = []
    print(f"{'case':<28} {'runs':>4} {'median s':>9} {'cpu s':>7} {'rss MB':>7} {'baseline s':>10} {'ratio':>7}  target")
    for case in cases:
        runs = 1 if args.quick else (args.runs or case.get("runs", 5))
        print(f"{case['name']:<28} running {runs}x ...", end="\r", file=sys.stderr, flush=True)
        if "scaling" in case:
            row = measure_scaling(case, root, runs, python, args.quick)
        else:
            row = measure_reported(case, root, runs) if "reports" in case else measure_case(case, root, runs)
        results.append(row)
        print_row(row)
    info |= {"machine_after": machine(), "bench_s": time.perf_counter() - started}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"info": info, "cases": results}, indent=1) + "\n")
    print(f"\nwritten: {args.out} ({info['bench_s'] / 60:.1f} min)")
    if not args.no_docs:
        sys.path.insert(0, str(HERE))
        from report import write_report

        for path in write_report(info, results, root / "docs"):
            print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
