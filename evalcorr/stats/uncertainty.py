"""Naive and cluster-bootstrap intervals side by side, with design effects and effective sample sizes.

The ordinary bootstrap treats every model as an independent draw. When models come in related groups
(merges and fine-tunes of one base: :mod:`evalcorr.stats.lineage`), resampling whole groups gives
honest intervals, usually wider ones. :func:`interval_comparison` runs both on the same kernel
(row counts, :func:`evalcorr.stats.resampling.resample_counts`) for three kinds of statistic:

- every pair's correlation (pairwise-complete Pearson r);
- the within-minus-between family gap: mean r of within-family pairs minus mean r of between-family
  pairs (finite pairs; the statistic of :func:`evalcorr.stats.resampling.family_permutation_test`);
- the PC1 share: the variance share of the first principal component of the correlation matrix of
  the complete rows of the PCA tasks (as :func:`evalcorr.stats.pca.principal_components`).

Design effect and effective sample size: for a statistic with bootstrap standard error ``se_naive``
(models resampled) and ``se_cluster`` (groups resampled), the design effect is the ratio of variances
``deff = se_cluster**2 / se_naive**2`` and the effective sample size is ``n_eff = n / deff``: the number
of independent models that would pin the statistic down as precisely as the ``n`` related ones do.
With groups of ``m`` exact copies, deff is about ``m`` and n_eff about the number of groups.

>>> result = interval_comparison(wide, families, {"architecture x size": groups})   # doctest: +SKIP
>>> result.summary                                                                   # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pairwise import PearsonKernel, pairwise_pearson
from evalcorr.stats.resampling import (
    check_interval_resamples, default_batch, group_codes, percentile_interval, resample_batches)
from evalcorr.stats.results_store import stored

NAIVE = "models (naive)"
STATISTICS = ("within - between", "PC1 share")


@dataclass(frozen=True)
class IntervalComparison:
    """The outcome of :func:`interval_comparison`.

    Attributes
    ----------
    pairs : DataFrame
        one row per grouping x pair: grouping, task_a, task_b, n, r, se, ci_low, ci_high, width,
        design_effect, n_eff.
    statistics : DataFrame
        one row per grouping x statistic ("within - between", "PC1 share"): grouping, statistic, n,
        estimate, se, ci_low, ci_high, width, design_effect, n_eff.
    summary : DataFrame
        one row per grouping: grouping, n_models, n_groups, largest_group, median_width (pairs with at
        least ``dense_share`` of the models), width_ratio (median over those pairs of the width over the
        naive width), median_design_effect, median_n_eff (pairs), n_boot.
    """

    pairs: pd.DataFrame
    statistics: pd.DataFrame
    summary: pd.DataFrame


def _gap(r: np.ndarray, same: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mean within-family minus mean between-family r of each matrix in ``r`` (B, k, k), finite pairs."""
    values = r[:, upper]                       # (B, pairs)
    finite = np.isfinite(values)
    within = finite & same[upper]
    between = finite & ~same[upper]
    filled = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (filled * within).sum(1) / within.sum(1) - (filled * between).sum(1) / between.sum(1)


def complete_correlations(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pearson correlation matrices of complete data (no NaN) under row counts: (n, k), (B, n) -> (B, k, k).

    The complete-data case of :func:`evalcorr.stats.pairwise.pairwise_pearson` (every pair shares
    every row); a task constant in a resample gets NaN.
    """
    return PearsonKernel(values).correlations(counts)


def _pc1_share(r: np.ndarray) -> np.ndarray:
    """Largest eigenvalue over the dimension of each correlation matrix in ``r`` (B, k, k)."""
    return np.linalg.eigvalsh(r)[:, -1] / r.shape[-1]


def _bootstrap_draws(kernel, complete, codes, n_groups, n_boot, seed, min_periods, same, upper):
    """Pair r (B, k, k), gap (B,) and PC1 share (B,) of ``n_boot`` resamples of the given groups.

    ``kernel`` is the :class:`PearsonKernel` of the scores; ``complete`` is None or (rows, kernel of the
    complete rows of the PCA tasks).
    """
    k = kernel.shape[1]
    r_out = np.empty((n_boot, k, k))
    gap_out = np.empty(n_boot)
    pc1_out = np.full(n_boot, np.nan)     # stays NaN without complete rows for a PCA
    pca_kernel = complete[1] if complete is not None else None
    with one_blas_thread:
        for start, counts in resample_batches(codes, n_groups, n_boot, seed, kernel.batch_size,
                                              draw=default_batch(*kernel.shape)):
            stop = start + len(counts)
            r = kernel.correlations(counts, min_periods)
            r_out[start:stop] = r
            gap_out[start:stop] = _gap(r, same, upper)
            if pca_kernel is not None:
                rc = pca_kernel.correlations(counts[:, complete[0]])
                pc1_out[start:stop] = _pc1_share(np.nan_to_num(rc, nan=0.0))   # a constant task: no shared variance
    return r_out, gap_out, pc1_out


@stored
def interval_comparison(wide: pd.DataFrame, families, groupings: Mapping[str, pd.Series], *, n_boot: int = 1000,
                        ci: float = 0.95, seed: int = 0, min_periods: int = 30, pca_tasks=None,
                        dense_share: float = 0.5) -> IntervalComparison:
    """Percentile intervals of pair correlations, the within-minus-between gap and the PC1 share, under
    the ordinary bootstrap and a cluster bootstrap for each grouping of the models.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    families : Series or DataFrame
        task -> family for every task of ``wide``.
    groupings : mapping
        label -> Series model -> group label (:func:`evalcorr.stats.lineage.lineage_groups`); a model
        without a label is a group of its own. The ordinary bootstrap is added as :data:`NAIVE`.
    n_boot : int
        resamples per grouping (each grouping uses the same ``seed``; at least
        :data:`evalcorr.stats.resampling.MIN_BOOT_CI`).
    ci : float
        level of the percentile intervals.
    min_periods : int
        a pair with fewer models (counting repeats) is NaN in a resample, as in the plain matrix.
    pca_tasks : list of str, optional
        the tasks of the PCA (default: the tasks scored for at least ``dense_share`` of the models); the
        PC1 share uses the models that have all of them.
    dense_share : float
        pairs scored for at least this share of the models enter the summary's medians.

    Returns
    -------
    IntervalComparison
    """
    check_interval_resamples(n_boot)
    values = score_matrix(wide)          # refuses duplicated models and infinite scores
    n_models, k = values.shape
    if n_models < 3 or k < 2:
        raise EvalcorrError(f"interval_comparison needs at least 3 models and 2 tasks, got {n_models} x {k}")
    tasks = list(wide.columns)
    fam = family_series(families, tasks).loc[tasks].to_numpy()
    same = fam[:, None] == fam[None, :]
    upper = np.triu(np.ones((k, k), dtype=bool), 1)
    if same[upper].all() or not same[upper].any():
        raise EvalcorrError("interval_comparison needs within- and between-family pairs; check `families`")
    coverage = (~np.isnan(values)).sum(axis=0)
    if pca_tasks is None:
        pca_tasks = [t for t, c in zip(tasks, coverage) if c >= dense_share * n_models]
    missing = [t for t in pca_tasks if t not in tasks]
    if missing:
        raise EvalcorrError(f"`pca_tasks` names tasks that are not in `wide`: {missing[:5]}")
    pca_cols = [tasks.index(t) for t in pca_tasks]
    rows = np.flatnonzero(~np.isnan(values[:, pca_cols]).any(axis=1))
    complete = (rows, values[np.ix_(rows, pca_cols)]) if len(pca_cols) >= 2 and len(rows) >= 3 else None

    r_full, n_full = pairwise_pearson(values)
    r_full = np.where(n_full >= max(min_periods, 2), r_full, np.nan)
    estimate = {"within - between": float(_gap(r_full[None], same, upper)[0]),
                "PC1 share": float(_pc1_share(pairwise_pearson(complete[1])[0][None])[0]) if complete else np.nan}
    n_stat = {"within - between": n_models, "PC1 share": len(rows) if complete else 0}
    ia, ib = np.triu_indices(k, 1)
    n_pair = n_full[ia, ib]

    labelled = {NAIVE: None, **dict(groupings)}
    kernel = PearsonKernel(values)          # set up once, shared by every grouping
    pca = (complete[0], PearsonKernel(complete[1])) if complete is not None else None
    pair_rows, stat_rows, summary_rows = [], [], []
    naive_var = None
    for label, groups in labelled.items():
        codes, n_groups = group_codes(wide.index, groups, name=f"groupings[{label!r}]")
        if n_groups < 2:
            raise EvalcorrError(f"grouping {label!r} puts every model in one group; a bootstrap needs at least 2")
        r_draws, gap_draws, pc1_draws = _bootstrap_draws(kernel, pca, codes, n_groups, n_boot, seed,
                                                         min_periods, same, upper)
        pair_draws = r_draws[:, ia, ib]
        draws = {"pairs": pair_draws, "within - between": gap_draws, "PC1 share": pc1_draws}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            var = {name: np.nanvar(d, axis=0, ddof=1) for name, d in draws.items()}
            bounds = {name: percentile_interval(d, ci) for name, d in draws.items()}
        if naive_var is None:
            naive_var = var
        with np.errstate(invalid="ignore", divide="ignore"):
            deff = {name: var[name] / naive_var[name] for name in var}
        enough = ~np.isnan(r_full[ia, ib])
        low, high = bounds["pairs"]
        pair_rows.append(pd.DataFrame({
            "grouping": label,
            "task_a": [tasks[i] for i in ia], "task_b": [tasks[i] for i in ib],
            "n": n_pair.astype("int64"), "r": r_full[ia, ib],
            "se": np.where(enough, np.sqrt(var["pairs"]), np.nan),
            "ci_low": np.where(enough, low, np.nan), "ci_high": np.where(enough, high, np.nan),
            "design_effect": np.where(enough, deff["pairs"], np.nan),
        }))
        for name in STATISTICS:
            low, high = bounds[name]
            stat_rows.append({"grouping": label, "statistic": name, "n": n_stat[name], "estimate": estimate[name],
                              "se": float(np.sqrt(var[name])), "ci_low": float(low), "ci_high": float(high),
                              "design_effect": float(deff[name])})
        sizes = pd.Series(codes).value_counts()
        summary_rows.append({"grouping": label, "n_models": n_models, "n_groups": n_groups,
                             "largest_group": int(sizes.max()), "n_boot": int(n_boot)})
    pairs = pd.concat(pair_rows, ignore_index=True)
    pairs["width"] = pairs["ci_high"] - pairs["ci_low"]
    pairs["n_eff"] = pairs["n"] / pairs["design_effect"]
    pairs = pairs[["grouping", "task_a", "task_b", "n", "r", "se", "ci_low", "ci_high", "width", "design_effect", "n_eff"]]
    statistics = pd.DataFrame(stat_rows)
    statistics["width"] = statistics["ci_high"] - statistics["ci_low"]
    statistics["n_eff"] = statistics["n"] / statistics["design_effect"]
    statistics = statistics[["grouping", "statistic", "n", "estimate", "se", "ci_low", "ci_high", "width",
                             "design_effect", "n_eff"]]
    summary = pd.DataFrame(summary_rows)
    dense = pairs["n"] >= dense_share * n_models
    naive_width = pairs.loc[pairs["grouping"] == NAIVE, "width"].to_numpy()
    ratio = pairs["width"].to_numpy() / np.tile(naive_width, len(labelled))
    pairs_dense = pairs.assign(ratio=ratio)[dense]
    medians = pairs_dense.groupby("grouping", sort=False).agg(
        median_width=("width", "median"), width_ratio=("ratio", "median"),
        median_design_effect=("design_effect", "median"), median_n_eff=("n_eff", "median"))
    summary = summary.join(medians, on="grouping")
    summary = summary[["grouping", "n_models", "n_groups", "largest_group", "median_width", "width_ratio",
                       "median_design_effect", "median_n_eff", "n_boot"]]
    for frame in (pairs, statistics, summary):
        frame["grouping"] = frame["grouping"].astype("string")
    return IntervalComparison(pairs=pairs, statistics=statistics, summary=summary)
