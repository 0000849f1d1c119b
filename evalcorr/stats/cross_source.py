"""Correlations of every task of one source with scores from another, on the models both hold.

A question such as "does MMLU Abstract Algebra go with the other math evals?" can need two releases:
HELM's MMLU run (57 subjects) and HELM Lite's MATH and GSM8K aggregates. :func:`correlations_with`
joins them on the model ids present in both and ranks the target task among all tasks of the first
source by its correlation with each external score.

>>> table = correlations_with(helm_mmlu, helm_lite[["math", "gsm8k"]])   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import fisher_ci, t_test_p
from evalcorr.stats.inputs import score_matrix
from evalcorr.stats.pairwise import check_method

COLUMNS = ["measure", "task", "n", "r", "ci_low", "ci_high", "p", "rank", "rank_from_bottom", "n_tasks"]


def correlations_with(wide: pd.DataFrame, external: pd.DataFrame, method: str = "pearson",
                      min_periods: int = 10, ci: float = 0.95) -> pd.DataFrame:
    """Correlation of each task of ``wide`` with each column of ``external``, on the common models.

    Parameters
    ----------
    wide : DataFrame
        models x tasks of one source.
    external : DataFrame
        models x measures of another (matched to ``wide`` by exact model id).
    method : {"pearson", "spearman"}
    min_periods : int
        a (task, measure) pair with fewer models with both scores gets NaN.
    ci : float
        level of the Fisher-z interval.

    Returns
    -------
    DataFrame
        one row per measure x task (:data:`COLUMNS`): n (models with both), r, ci_low, ci_high, p
        (two-sided t test), rank (1 = the highest r with that measure among the tasks), rank_from_bottom
        (1 = the lowest) and n_tasks (tasks with a finite r).
    """
    check_method(method)
    if method == "kendall":
        raise EvalcorrError("correlations_with supports method 'pearson' or 'spearman'")
    score_matrix(wide)
    score_matrix(external, "external")
    common = wide.index.intersection(external.index)
    if len(common) < max(min_periods, 3):
        raise EvalcorrError(f"`wide` and `external` share {len(common)} models, fewer than min_periods={min_periods}; "
                            "check that the model ids of the two sources match")
    rows = []
    for measure in external.columns:
        joined = wide.loc[common].assign(__measure=external.loc[common, measure])
        n = joined.notna().astype(float).T @ joined["__measure"].notna().astype(float)
        r = joined.corr(method=method, min_periods=max(min_periods, 3))["__measure"]
        n, r = n.drop("__measure"), r.drop("__measure")
        low, high = fisher_ci(r.to_numpy(), n.to_numpy(), method, ci)
        table = pd.DataFrame({"measure": str(measure), "task": r.index.astype(str), "n": n.to_numpy().astype("int64"),
                              "r": r.to_numpy(), "ci_low": low, "ci_high": high,
                              "p": t_test_p(r.to_numpy(), n.to_numpy())})
        table["rank"] = table["r"].rank(ascending=False, method="min").astype("Int64")
        table["rank_from_bottom"] = table["r"].rank(ascending=True, method="min").astype("Int64")
        table["n_tasks"] = int(np.isfinite(table["r"]).sum())
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)[COLUMNS]
    out[["measure", "task"]] = out[["measure", "task"]].astype("string")
    return out
