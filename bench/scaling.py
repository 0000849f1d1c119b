"""One process of a scaling case of `make bench`: a synthetic table, then a statistic or its arithmetic floor.

    python bench/scaling.py FUNCTION --models N --tasks K --stage load|run|floor

``FUNCTION`` is ``correlation_pairs``, ``bootstrap`` or ``forward_select`` (``--tasks`` is then the
number of candidate features). Every stage imports the same libraries and builds the same seeded table;
``load`` stops there (the baseline process), ``run`` then calls the statistic, and ``floor`` does, per
call, the same number of Gram-matrix products in NumPy, the arithmetic every correct method must do
at least:

- ``correlation_pairs``: one Gram matrix ``X'X`` of the models x tasks table per call;
- ``bootstrap``: one weighted Gram matrix per resample (``resamples`` per call), each computed as NumPy
  computes a Gram matrix, ``Xw'Xw`` with ``Xw`` the rows scaled by the square roots of the counts;
- ``forward_select``: one Gram matrix of the models x (candidates + 2) design per call (the per-fold
  matrices a cross-validated selection needs sum to it).

:func:`plan` gives the calls per process and the resamples per bootstrap call from the size alone, so
that each process does about the same arithmetic at every size (a small table is repeated until its
work is measurable). Everything runs on one BLAS thread, as the statistics do. ``bench/run.py`` times
the three processes and reports the time per call beyond loading, ``(run - load) / calls``, and its
ratio to the floor's.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # as the statistics run (threadpool_limits(1))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FUNCTIONS = ("correlation_pairs", "bootstrap", "forward_select")
# Floating-point operations of the floor that one process should do, about 1 s of one core.
WORK_FLOPS = 4e10
MAX_RUN_REPEAT = 30
# Task blocks of the synthetic tables (benchmarks scored together), each missing for a share of the models.
BLOCKS = 10
MISSING_SHARE = 0.05


def plan(function: str, models: int, tasks: int) -> dict:
    """Calls per process of the run and floor stages, and for the bootstrap the resamples per call.

    Each process does about :data:`WORK_FLOPS` of floor arithmetic: a small table is repeated until
    its work is measurable. The run stage is repeated at most :data:`MAX_RUN_REPEAT` times (a call of
    the statistic on a small table costs far more than its arithmetic).
    """
    if function == "bootstrap":
        resamples = int(np.clip(round(2e10 / (models * tasks * tasks)), 10, 1000))
        work = resamples * models * tasks * tasks
    else:
        resamples = None
        columns = tasks + 2 if function == "forward_select" else tasks
        work = models * columns * columns
    repeat = max(1, round(WORK_FLOPS / work))
    return {"run": min(repeat, MAX_RUN_REPEAT), "floor": repeat, "resamples": resamples}


def synthetic_table(models: int, tasks: int, seed: int = 0, missing: float = MISSING_SHARE) -> pd.DataFrame:
    """Models x tasks scores in [0, 1] from a general factor, block factors and noise; each of
    :data:`BLOCKS` blocks of tasks is missing (NaN) for a random share ``missing`` of the models.
    Built in place: the table is the only array of its size."""
    rng = np.random.default_rng(seed)
    edges = np.arange(BLOCKS + 1) * tasks // BLOCKS
    values = rng.standard_normal((models, tasks))
    values *= 0.6
    values += 0.6 * rng.standard_normal((models, 1))
    specific = rng.standard_normal((models, BLOCKS))
    for b in range(BLOCKS):
        values[:, edges[b]:edges[b + 1]] += 0.5 * specific[:, b:b + 1]
    np.negative(values, out=values)                 # the logistic function, in place
    np.exp(values, out=values)
    values += 1.0
    np.reciprocal(values, out=values)
    for b in range(BLOCKS):
        rows = np.flatnonzero(rng.random(models) < missing)
        values[rows, edges[b]:edges[b + 1]] = np.nan
    index = pd.Index([f"model-{i:06d}" for i in range(models)], name="model")
    return pd.DataFrame(values, index=index, columns=[f"task_{j:03d}" for j in range(tasks)], copy=False)


def signature_problem(models: int, candidates: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Complete candidate features (a synthetic table without missing cells) and a target that is a
    linear function of five of them plus noise."""
    rng = np.random.default_rng(seed + 1)
    X = synthetic_table(models, candidates, seed, missing=0.0)
    y = X.iloc[:, [0, 3, 7, 11, 19]].to_numpy() @ np.array([1.0, -0.8, 0.6, 0.5, -0.4])
    return X, pd.Series(y + 0.1 * rng.standard_normal(models), index=X.index, name="target")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function", choices=FUNCTIONS)
    parser.add_argument("--models", type=int, required=True)
    parser.add_argument("--tasks", type=int, required=True, help="tasks (forward_select: candidate features)")
    parser.add_argument("--stage", choices=("load", "run", "floor"), required=True)
    args = parser.parse_args(argv)
    steps = plan(args.function, args.models, args.tasks)

    # Everything the run stage imports, in every stage, so that the stages differ by the work alone.
    import evalcorr.stats.correlation  # noqa: F401
    import evalcorr.stats.resampling  # noqa: F401
    import evalcorr.stats.signatures  # noqa: F401
    if args.function == "forward_select":
        X, y = signature_problem(args.models, args.tasks)
    else:
        wide = synthetic_table(args.models, args.tasks)
    if args.stage == "load":
        return 0

    for _ in range(steps[args.stage]):
        if args.function == "correlation_pairs":
            if args.stage == "run":
                evalcorr.stats.correlation.correlation_pairs(wide)
            else:
                filled = np.nan_to_num(wide.to_numpy())
                filled.T @ filled
        elif args.function == "bootstrap":
            if args.stage == "run":
                evalcorr.stats.resampling.bootstrap_correlations(wide, n_boot=steps["resamples"])
            else:
                filled = np.nan_to_num(wide.to_numpy())
                rng = np.random.default_rng(0)
                for _ in range(steps["resamples"]):
                    counts = np.bincount(rng.integers(0, args.models, args.models), minlength=args.models)
                    scaled = filled * np.sqrt(counts)[:, None]
                    scaled.T @ scaled
        elif args.stage == "run":
            evalcorr.stats.signatures.forward_select(X, y)
        else:
            design = np.column_stack([np.ones(len(X)), X.to_numpy(), y.to_numpy()])
            design.T @ design
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
