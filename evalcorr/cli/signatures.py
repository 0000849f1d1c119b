"""`python -m evalcorr signatures SOURCE --target TASK`: the forward-selected signature of one task as CSV.

The candidates are the source's other leaf tasks (``--features tasks``), only those of other families
(``out-of-family``), or the other tasks plus model metadata, log10 parameters and architecture indicators
(``tasks+metadata``, where the source has them). Selection is evalcorr.stats.signatures.forward_select:
greedy, by cross-validated R^2 of a linear regression, stopping when the gain is below ``--min-gain``
or at ``--max-features``::

    python -m evalcorr signatures open-llm-leaderboard-v2 --target math_geometry_hard --out geo.csv
    python -m evalcorr signatures helm-mmlu --target abstract_algebra --max-features 3 --out -

One row per step: step 0 is the intercept-only model (its ``coef`` is the intercept of the final fit),
then each selected feature in order with the CV R^2 after adding it, its gain, and its coefficient in
the final full-sample fit (``coef`` raw, ``beta`` standardised). Only models with the target and every
candidate are used; candidate tasks scored for fewer than ``--task-min-models`` models (default: half
the models that have the target) are dropped first so that sparse tasks do not empty the sample.
"""

from __future__ import annotations

import math
import sys

from evalcorr.cli._common import add_table_arguments, fail as _fail, write_csv

FEATURES = ("tasks", "out-of-family", "tasks+metadata")


def configure(parser) -> None:
    parser.add_argument("source", help="scores source id, e.g. open-llm-leaderboard-v2, helm-mmlu")
    parser.add_argument("--target", required=True, metavar="TASK", help="the task to predict (a leaf task id)")
    parser.add_argument("--features", default="tasks",
                        help=f"candidate features: {', '.join(FEATURES)} (default tasks)")
    parser.add_argument("--max-features", type=int, default=None, metavar="K",
                        help="select at most K features (default: no limit, stop by --min-gain)")
    parser.add_argument("--min-gain", type=float, default=0.005, metavar="G",
                        help="stop when the best feature adds less than G to the CV R^2 (default 0.005)")
    parser.add_argument("--cv", type=int, default=5, metavar="K", help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold assignment (default 0)")
    parser.add_argument("--task-min-models", type=int, default=None, metavar="N",
                        help="drop candidate tasks scored for fewer than N models (default: half the "
                             "models that have the target)")
    parser.add_argument("--snapshot", help="snapshot of the source (default: the latest)")
    add_table_arguments(parser)


def run(args) -> int:
    import pandas as pd

    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_families, load_scores, load_wide
    from evalcorr.stats.inputs import family_series
    from evalcorr.stats.signatures import candidate_features, forward_select, model_metadata

    def fail(message: str, code: int = 2) -> int:
        return _fail("signatures", message, code)

    if args.features not in FEATURES:
        return fail(f"unknown --features {args.features!r}; use one of {', '.join(FEATURES)}")
    if args.max_features is not None and args.max_features < 1:
        return fail(f"--max-features must be at least 1, got {args.max_features}")
    if args.cv < 2:
        return fail(f"--cv must be at least 2, got {args.cv}")
    if not math.isfinite(args.min_gain):
        return fail(f"--min-gain must be a finite number, got {args.min_gain}")
    try:
        wide = load_wide(args.source, snapshot=args.snapshot, data_dir=args.data_dir, cache_dir=args.cache_dir)
        if args.target not in wide.columns:
            return fail(f"unknown --target {args.target!r} for source {args.source!r}; its tasks are: "
                        f"{', '.join(map(str, wide.columns))}")
        n_target = int(wide[args.target].notna().sum())
        min_models = math.ceil(n_target / 2) if args.task_min_models is None else args.task_min_models
        dense = wide.loc[:, (wide.notna().sum() >= min_models) | (wide.columns == args.target)]
        families = family_series(load_families(args.source), dense.columns) \
            if args.features == "out-of-family" else None
        metadata = None
        if args.features == "tasks+metadata":
            metadata = model_metadata(load_scores(args.source, snapshot=args.snapshot, data_dir=args.data_dir,
                                                  cache_dir=args.cache_dir))
            if metadata.shape[1] == 0:
                return fail(f"source {args.source!r} has no model metadata (params_b, architecture); "
                            "use --features tasks or out-of-family")
        X = candidate_features(dense, args.target, families=families, features=args.features,
                               metadata=metadata)
        result = forward_select(X, dense[args.target], max_features=args.max_features, cv=args.cv,
                                seed=args.seed, min_gain=args.min_gain)
    except EvalcorrError as error:
        return fail(str(error))

    baseline = result.steps.iloc[[0]].assign(target=result.target, feature="(intercept)",
                                             coef=result.intercept, beta=float("nan"), n=result.n)
    table = pd.concat([baseline, result.to_frame()], ignore_index=True)[
        ["target", "step", "feature", "cv_r2", "cv_r2_gain", "coef", "beta", "n"]]
    dropped = sorted(set(wide.columns) - set(dense.columns))
    print(f"{args.target}: {len(result.selected)} feature(s) from {X.shape[1]} candidates ({args.features}), "
          f"CV R^2 {result.cv_r2:.3f}, {result.n} models ({result.n_dropped} without the target or a "
          f"candidate){'; sparse tasks dropped: ' + ', '.join(dropped) if dropped else ''}", file=sys.stderr)
    return write_csv(table, args.out, "signatures", index=False, float_format="%.6g")
