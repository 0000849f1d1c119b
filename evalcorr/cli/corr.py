"""`python -m evalcorr corr SOURCE`: write a task x task correlation matrix as CSV.

Rows and columns are the source's leaf task ids (first column ``task``); entries are pairwise-complete
correlations across models, NaN for pairs with fewer than ``--min-models`` common models::

    python -m evalcorr corr open-llm-leaderboard-v2 --method spearman --out ollb_spearman.csv
    python -m evalcorr corr helm-mmlu --partial pc1 --out -

``--partial`` removes a common factor first (evalcorr.stats.partial): the first principal component
(fitted on the models with every task, so sparse tasks shrink it: see ``--task-min-models``), the PC1
of the tasks outside one family (``pc1-excluding:FAMILY``), the mean score, the equal-weighted mean of
the family means (``family-means``), the score on one task (``task:TASK``), the general factor of a
Schmid-Leiman hierarchical factor model (``general-factor`` or ``general-factor:K``), or log10 of the
parameter count where the source knows it::

    python -m evalcorr corr open-llm-leaderboard-v2 --task-min-models 930 --partial task:mmlu_pro --out -

``--long`` writes one row per pair instead, with the number of models behind each coefficient, its
95% interval and p (evalcorr.stats.correlation.correlation_pairs)::

    python -m evalcorr corr epoch-benchmark-stitching --long --out epoch_pairs.csv
"""

from __future__ import annotations

import sys

from evalcorr.cli._common import add_table_arguments, fail as _fail, write_csv

PARTIALS = ("none", "pc1", "pc1-excluding:FAMILY", "mean", "family-means", "task:TASK", "general-factor",
            "log-params")
PARAMETRISED = ("pc1-excluding:", "task:", "general-factor:")   # a control followed by its argument
METHODS = ("pearson", "spearman", "kendall")


def configure(parser) -> None:
    parser.add_argument("source", help="scores source id, e.g. open-llm-leaderboard-v2, helm-mmlu")
    parser.add_argument("--method", default="pearson",
                        help=f"correlation coefficient: {', '.join(METHODS)} (default pearson)")
    parser.add_argument("--partial", default="none",
                        help=f"common factor to remove first: {', '.join(PARTIALS)} (default none; "
                             "partial correlations support pearson and spearman)")
    parser.add_argument("--min-models", type=int, default=30, metavar="N",
                        help="pairs with fewer common models are NaN (default 30)")
    parser.add_argument("--task-min-models", type=int, default=0, metavar="N",
                        help="drop tasks scored for fewer than N models first (default 0: keep all)")
    parser.add_argument("--snapshot", help="snapshot of the source (default: the latest)")
    parser.add_argument("--long", action="store_true",
                        help="one row per pair: task_a, task_b, n (models behind the coefficient), r, ci_low, "
                             "ci_high, p (plain correlations only)")
    add_table_arguments(parser)


def _params(source: str, snapshot, data_dir, cache_dir):
    """model -> params_b of the source (NaN where unknown)."""
    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_scores

    scores = load_scores(source, snapshot=snapshot, data_dir=data_dir, cache_dir=cache_dir)
    if "params_b" not in scores.columns or scores["params_b"].notna().sum() == 0:
        raise EvalcorrError(f"--partial log-params: source {source!r} has no parameter counts (params_b); "
                            "use --partial pc1 or mean")
    return scores.drop_duplicates("model").set_index("model")["params_b"]


def run(args) -> int:
    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_families, load_wide
    from evalcorr.stats.correlation import MIN_MODELS, correlation_matrix, correlation_pairs
    from evalcorr.stats.partial import partial_correlation_matrix

    def fail(message: str, code: int = 2) -> int:
        return _fail("corr", message, code)

    if args.method not in METHODS:
        return fail(f"unknown --method {args.method!r}; use one of {', '.join(METHODS)}")
    if args.partial not in PARTIALS and not args.partial.startswith(PARAMETRISED):
        return fail(f"unknown --partial {args.partial!r}; use one of {', '.join(PARTIALS)}")
    if args.partial != "none" and args.method == "kendall":
        return fail("--partial needs --method pearson or spearman (no partial Kendall)")
    if args.min_models < MIN_MODELS:
        return fail(f"--min-models must be at least {MIN_MODELS} (with {MIN_MODELS - 1} models every r is +-1), "
                    f"got {args.min_models}")
    if args.long and args.partial != "none":
        return fail("--long writes the intervals and p-values of plain correlations; drop --partial, or write "
                    "the partial matrix without --long")
    try:
        wide = load_wide(args.source, snapshot=args.snapshot, min_models=args.task_min_models,
                         data_dir=args.data_dir, cache_dir=args.cache_dir)
        if wide.shape[1] < 2:
            every = load_wide(args.source, snapshot=args.snapshot, data_dir=args.data_dir, cache_dir=args.cache_dir)
            return fail(f"--task-min-models {args.task_min_models} leaves {wide.shape[1]} tasks of {args.source} "
                        f"(the most complete task has {int(every.notna().sum().max())} models); a correlation "
                        "needs two: lower it")
        if args.long:
            pairs = correlation_pairs(wide, method=args.method, min_periods=args.min_models)
            columns = ["task_a", "task_b", "n", "r", "ci_low", "ci_high", "p"]
            if (code := write_csv(pairs[columns], args.out, "corr", index=False)) or args.out == "-":
                return code
            print(f"wrote {len(pairs):,} {args.source} task pairs ({args.method}; n, r, 95% CI, p) to {args.out}",
                  file=sys.stderr)
            return 0
        if args.partial == "none":
            matrix = correlation_matrix(wide, method=args.method, min_periods=args.min_models)
        else:
            covariate = _params(args.source, args.snapshot, args.data_dir, args.cache_dir) \
                if args.partial == "log-params" else None
            families = load_families(args.source) if args.partial == "family-means" \
                or args.partial.startswith("pc1-excluding:") else None
            matrix = partial_correlation_matrix(wide, control=args.partial, covariate=covariate,
                                                method=args.method, min_periods=args.min_models,
                                                families=families)
    except EvalcorrError as error:
        return fail(str(error))
    matrix.index.name = "task"
    matrix.columns.name = None
    if (code := write_csv(matrix, args.out, "corr")) or args.out == "-":
        return code
    label = args.method if args.partial == "none" else f"{args.method}, partial {args.partial}"
    print(f"wrote {len(matrix)} x {len(matrix)} {args.source} correlation matrix ({label}) to {args.out}",
          file=sys.stderr)
    return 0
