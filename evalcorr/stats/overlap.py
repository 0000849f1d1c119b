"""Overlap between tasks three ways: performance correlation, signature overlap, family membership.

For the same task pairs:

- **performance correlation**: r across models (the ``correlation_pairs`` table);
- **signature overlap** of the two tasks' forward-selected signatures (:mod:`evalcorr.stats.signatures`):
  the Jaccard index of the selected sets, and the shared predictive weight;
- **family membership**: whether the two tasks belong to the same eval family.

Signatures are compared *closed*: each target counts as a member of its own signature, with weight 1
(a standardised target predicts itself with coefficient 1). Without this, two tasks that are each
other's best predictor (signatures {B} and {A}) would have no overlap at all. The shared predictive
weight is the weighted Jaccard (Ruzicka) index of the closed weight vectors, each normalised to sum
to 1: ``sum(min(w_a, w_b)) / sum(max(w_a, w_b))`` with ``w`` the absolute standardised coefficients.

>>> table = overlap_three_ways(pairs, results)       # doctest: +SKIP
>>> overlap_by_family(table); overlap_rank_agreement(table)   # doctest: +SKIP
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu, spearmanr

from evalcorr.errors import EvalcorrError
from evalcorr.stats.signatures import SignatureResult

MEASURES = ("r", "jaccard", "shared_weight")


def closed_signature(result: SignatureResult) -> pd.Series:
    """The target plus its selected features, weighted by absolute standardised coefficient (sum 1).

    The target itself gets weight 1 before normalisation.
    """
    weights = pd.Series(np.abs(result.coefficients["beta"].to_numpy()),
                        index=result.coefficients["feature"].tolist(), dtype=float)
    weights = pd.concat([pd.Series({result.target: 1.0}), weights])
    return weights / weights.sum()


def signature_overlap(results: dict[str, SignatureResult]) -> pd.DataFrame:
    """Jaccard index and shared predictive weight of the closed signatures of every pair of targets.

    Returns
    -------
    DataFrame
        task_a, task_b (pairs in the order of ``results``, as the upper triangle), jaccard,
        shared_weight.
    """
    targets = list(results)
    weights = pd.DataFrame({t: closed_signature(r) for t, r in results.items()}).T.loc[targets]
    member = weights.notna().to_numpy()                       # targets x union of features
    w = weights.fillna(0.0).to_numpy()
    ia, ib = np.triu_indices(len(targets), 1)
    shared = (member[ia] & member[ib]).sum(axis=1)
    union = (member[ia] | member[ib]).sum(axis=1)
    weight = np.minimum(w[ia], w[ib]).sum(axis=1) / np.maximum(w[ia], w[ib]).sum(axis=1)
    return pd.DataFrame({
        "task_a": pd.array([targets[i] for i in ia], dtype="string"),
        "task_b": pd.array([targets[i] for i in ib], dtype="string"),
        "jaccard": shared / union,
        "shared_weight": weight,
    })


def overlap_three_ways(pairs: pd.DataFrame, results: dict[str, SignatureResult]) -> pd.DataFrame:
    """Performance correlation, signature overlap and family membership for the same task pairs.

    Parameters
    ----------
    pairs : DataFrame
        ``evalcorr.stats.correlation.correlation_pairs(wide, families=...)`` (task_a, task_b,
        family_a, family_b, same_family, n, r, ...).
    results : dict
        target -> :class:`~evalcorr.stats.signatures.SignatureResult` (e.g. from
        :func:`evalcorr.stats.signatures.signatures`).

    Returns
    -------
    DataFrame
        one row per pair present in both: task_a, task_b, family_a, family_b, same_family, r,
        jaccard, shared_weight.
    """
    needed = {"task_a", "task_b", "family_a", "family_b", "same_family", "r"}
    missing = needed - set(pairs.columns)
    if missing:
        raise EvalcorrError(f"overlap_three_ways: `pairs` lacks columns {sorted(missing)}; pass "
                            "correlation_pairs(wide, families=...)")
    overlap = signature_overlap(results)
    # Pairs are unordered: key both tables by the sorted pair.
    def keyed(frame):
        a, b = frame["task_a"].astype(str), frame["task_b"].astype(str)
        return frame.assign(_lo=np.where(a <= b, a, b), _hi=np.where(a <= b, b, a))

    merged = keyed(pairs[list(needed)]).merge(
        keyed(overlap).drop(columns=["task_a", "task_b"]), on=["_lo", "_hi"], how="inner")
    if merged.empty:
        raise EvalcorrError("overlap_three_ways: `pairs` and the signatures share no task pair; "
                            "compute both on the same tasks")
    columns = ["task_a", "task_b", "family_a", "family_b", "same_family", *MEASURES]
    return merged[columns].reset_index(drop=True)


def overlap_by_family(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of each overlap measure within and between families, and how well it separates them.

    Returns
    -------
    DataFrame
        one row per measure: ``within`` and ``between`` (means), ``difference``, ``auc`` (the
        probability that a random within-family pair scores higher than a random between-family
        pair, ties counted half: Mann-Whitney U / (n_within * n_between)), ``p`` (two-sided
        Mann-Whitney), ``n_within``, ``n_between``.
    """
    same = table["same_family"].astype(bool).to_numpy()
    if same.all() or not same.any():
        raise EvalcorrError("overlap_by_family: needs pairs both within and between families")
    rows = []
    for measure in MEASURES:
        values = table[measure].to_numpy(dtype=float)
        ok = ~np.isnan(values)
        within, between = values[same & ok], values[~same & ok]
        test = mannwhitneyu(within, between, alternative="two-sided")
        rows.append({
            "measure": measure, "within": within.mean(), "between": between.mean(),
            "difference": within.mean() - between.mean(),
            "auc": test.statistic / (len(within) * len(between)), "p": test.pvalue,
            "n_within": len(within), "n_between": len(between),
        })
    return pd.DataFrame(rows)


def overlap_rank_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation between every two overlap measures over the same pairs.

    Returns
    -------
    DataFrame
        measure_a, measure_b, n, rho, p (scipy.stats.spearmanr).
    """
    rows = []
    for a, b in combinations(MEASURES, 2):
        values = table[[a, b]].astype(float).dropna()
        rho, p = spearmanr(values[a], values[b])
        rows.append({"measure_a": a, "measure_b": b, "n": len(values), "rho": float(rho), "p": float(p)})
    return pd.DataFrame(rows)
