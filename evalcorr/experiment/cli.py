"""Command line of the experiment: run (resumable), or re-run and compare with committed tables.

JAX reads its threading flags when it starts, so ``--threads`` is applied before anything imports
JAX; the heavy modules are imported inside :func:`main`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_OUT = Path("data/controlled-transfer")
POPULATION_OUT = Path("data/controlled-population")
WORK_ROOT = Path(".experiment")
STAGES = ("transfer", "population")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evalcorr.experiment",
                                description="Train and score the controlled experiment: the transfer "
                                "matrices, then a population of fine-tuned models.")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The experiment's options (also those of ``python -m evalcorr experiment``)."""
    p.add_argument("--quick", action="store_true", help="the reduced configuration (minutes, not the full run)")
    p.add_argument("--config", type=Path, help="a configuration YAML (overrides --quick)")
    p.add_argument("--out", type=Path, help=f"folder of the result tables (default {DEFAULT_OUT} for the "
                   f"full run, {WORK_ROOT}/<config>/tables otherwise)")
    p.add_argument("--work", type=Path, help=f"folder of finished runs, for resuming (default {WORK_ROOT}/<config>/runs)")
    p.add_argument("--check", action="store_true",
                   help="re-run from scratch into a scratch folder and compare with the tables in --out")
    p.add_argument("--tolerance", type=float, default=0.0,
                   help="largest accepted cell-mean difference for --check (default 0: identical)")
    p.add_argument("--threads", type=int, help="CPU threads for JAX (default: all cores); results repeat "
                   "exactly only with the thread count that made them")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--stage", choices=(*STAGES, "all"), default="all",
                   help="the transfer experiment, the population of trained models (which fine-tunes the "
                   "transfer run's base models, training them first if missing), or both (default)")
    p.add_argument("--population-out", type=Path, help=f"folder of the population's tables (default "
                   f"{POPULATION_OUT} for the full run, {WORK_ROOT}/population-<config>/tables otherwise)")


def _limit_threads(threads: int) -> None:
    if threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    os.environ["OMP_NUM_THREADS"] = str(threads)


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run (or ``--check``) the configuration the arguments name; the exit code."""
    if args.threads:
        _limit_threads(args.threads)
    try:
        from evalcorr.experiment import config as C
        from evalcorr.experiment.run import compare_tables, run_experiment
    except ImportError as error:  # the optional extra is missing
        print(f"evalcorr.experiment needs JAX and Optax: pip install -e '.[experiment]' ({error})",
              file=sys.stderr)
        return 2
    cfg = C.load(args.config) if args.config else C.preset("quick" if args.quick else "full")
    out = args.out or (DEFAULT_OUT if cfg.name == "full" else WORK_ROOT / cfg.name / "tables")
    progress = not args.no_progress
    code = 0
    if args.stage in ("transfer", "all"):
        if args.check:
            scratch = WORK_ROOT / cfg.name / "check"
            run_experiment(cfg, scratch / "tables", scratch / "runs", progress)
            ok, report = compare_tables(scratch / "tables", out, args.tolerance)
            print(report)
            code = max(code, 0 if ok else 1)
        else:
            tables = run_experiment(cfg, out, args.work or WORK_ROOT / cfg.name / "runs", progress)
            from evalcorr.experiment.sanity import summary
            print(summary(tables["sanity"]).to_string(index=False))
            print(f"tables written to {out}")
    if args.stage in ("population", "all"):
        code = max(code, _population(args, cfg, progress))
    return code


def _population(args: argparse.Namespace, transfer, progress: bool) -> int:
    """The population stage: fine-tunes of the transfer configuration's base models, scored."""
    from evalcorr.experiment import population as P
    matches = [c for c in P.PRESETS.values() if c.transfer == transfer.name]
    if not matches:
        if args.stage == "all":      # this transfer configuration has no population: nothing to do
            return 0
        print(f"no population is defined for the transfer configuration {transfer.name!r}; populations "
              f"exist for {sorted({c.transfer for c in P.PRESETS.values()})}", file=sys.stderr)
        return 2
    cfg = matches[0]
    out = args.population_out or (POPULATION_OUT if cfg.name == "full" else WORK_ROOT / f"population-{cfg.name}" / "tables")
    folder = WORK_ROOT / f"population-{cfg.name}"
    if args.check:  # from scratch, sharing the base models of the transfer stage's check
        P.run_population(cfg, folder / "check" / "tables", folder / "check" / "runs",
                         WORK_ROOT / transfer.name / "check" / "runs", progress)
        ok, report = P.compare_population(folder / "check" / "tables", out, args.tolerance)
        print(report)
        return 0 if ok else 1
    P.run_population(cfg, out, folder / "runs", args.work or WORK_ROOT / transfer.name / "runs", progress)
    print(f"population tables written to {out}")
    return 0
