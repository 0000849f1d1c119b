"""Resampling over models: bootstrap intervals for every correlation, and a permutation test of
within-family against between-family correlation.

The bootstrap resamples models (rows) with replacement. For Pearson a resample is a vector of row
counts, and all pairwise-complete correlations of a batch of resamples come from a few batched matrix
products (:func:`evalcorr.stats.pairwise.pairwise_pearson`), so 1,000 resamples of the 1,860 x 45
leaderboard take seconds. Spearman and Kendall materialise each resample (Kendall loops over pairs and
is much slower).

>>> draws = bootstrap_correlations(wide, n_boot=1000)           # doctest: +SKIP
>>> table = bootstrap_ci(wide, n_boot=1000)                     # doctest: +SKIP
>>> test = family_permutation_test(correlation_matrix(wide), families)   # doctest: +SKIP
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from evalcorr.errors import EvalcorrError
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pairwise import check_method, pairwise_correlations, pairwise_pearson

MIN_BOOT_CI = 100  # the fewest resamples a percentile interval is computed from

# Elements (resamples x models x tasks) per batched array: bounds memory to ~16 MB per array and keeps the products cache-friendly.
_BATCH_ELEMENTS = 2_000_000


def bootstrap_correlations(wide: pd.DataFrame, n_boot: int = 1000, seed: int = 0, method: str = "pearson",
                           min_periods: int = 30, batch_size: int | None = None) -> np.ndarray:
    """Correlation matrices of ``n_boot`` bootstrap resamples of the models.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    n_boot : int
        number of resamples (each draws ``len(wide)`` models with replacement).
    seed : int
        seed of ``numpy.random.default_rng``; the same seed gives the same resamples for every method.
    method : {"pearson", "spearman", "kendall"}
    min_periods : int
        a pair with fewer common models in a resample (counting repeats) is NaN in that resample.
    batch_size : int, optional
        resamples computed together (default: as many as fit in ~16 MB per array).

    Returns
    -------
    ndarray (n_boot, k, k)
        pairwise-complete correlation matrices, task order of ``wide.columns``.
    """
    check_method(method)
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise EvalcorrError(f"`n_boot` must be a positive number of resamples, got {n_boot!r}")
    values = score_matrix(wide)
    n_models, k = values.shape
    if n_models < 2:
        raise EvalcorrError(f"`wide` has {n_models} models; the bootstrap needs at least 2")
    rng = np.random.default_rng(seed)
    batch = batch_size or max(1, _BATCH_ELEMENTS // max(1, n_models * k))
    out = np.empty((n_boot, k, k))
    # The products are many small GEMMs: BLAS threads only add synchronisation (on a busy machine
    # they made the leaderboard bootstrap 7x slower), so run them single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        _fill_resamples(out, values, rng, batch, method, min_periods)
    return out


def _fill_resamples(out: np.ndarray, values: np.ndarray, rng: np.random.Generator, batch: int, method: str,
                    min_periods: int) -> None:
    """Write the correlation matrices of ``len(out)`` resamples into ``out``, ``batch`` at a time."""
    n_boot, (n_models, k) = len(out), values.shape
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        draws = rng.integers(0, n_models, size=(size, n_models))
        if method == "pearson":
            offsets = (np.arange(size) * n_models)[:, None]
            counts = np.bincount((draws + offsets).ravel(), minlength=size * n_models).reshape(size, n_models)
            r, n = pairwise_pearson(values, weights=counts)
        else:
            r = np.empty((size, k, k))
            n = np.empty((size, k, k))
            for b in range(size):
                r[b], n[b], _ = pairwise_correlations(values[draws[b]], method)
        out[start:start + size] = np.where(n >= max(min_periods, 2), r, np.nan)


def check_interval_resamples(n_boot) -> int:
    """``n_boot`` if it gives a percentile interval (at least :data:`MIN_BOOT_CI`), else a clear error:
    with a handful of resamples the bounds are a few draws (with 1, ci_low == ci_high)."""
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < MIN_BOOT_CI:
        raise EvalcorrError(f"`n_boot` must be at least {MIN_BOOT_CI} for a percentile interval, got {n_boot!r}; "
                            "1,000 or more give stable bounds")
    return int(n_boot)


def percentile_interval(draws: np.ndarray, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile-bootstrap bounds along the first axis (NaN draws ignored)."""
    if not 0 < ci < 1:
        raise EvalcorrError(f"`ci` must be a level between 0 and 1 (e.g. 0.95), got {ci}")
    alpha = (1.0 - ci) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # pairs NaN in every resample stay NaN
        low, high = np.nanquantile(draws, [alpha, 1.0 - alpha], axis=0)
    return low, high


def bootstrap_ci(wide: pd.DataFrame, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                 method: str = "pearson", min_periods: int = 30) -> pd.DataFrame:
    """Percentile bootstrap interval of every pair's correlation, as a tidy table (``n_boot`` at
    least :data:`MIN_BOOT_CI`).

    Returns
    -------
    DataFrame
        one row per unordered pair (upper-triangle order): task_a, task_b, se (standard deviation of
        the resampled r), ci_low, ci_high, n_valid (resamples in which the pair had ``min_periods``
        models). Join it to :func:`evalcorr.stats.correlation.correlation_pairs` on task_a, task_b
        for r and n, or call that function with ``n_boot`` set.
    """
    check_interval_resamples(n_boot)
    draws = bootstrap_correlations(wide, n_boot=n_boot, seed=seed, method=method, min_periods=min_periods)
    tasks = list(wide.columns)
    ia, ib = np.triu_indices(len(tasks), 1)
    pair_draws = draws[:, ia, ib]
    low, high = percentile_interval(pair_draws, ci)
    valid = (~np.isnan(pair_draws)).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.where(valid > 1, np.nanstd(pair_draws, axis=0, ddof=1), np.nan)
    return pd.DataFrame({
        "task_a": pd.array([tasks[i] for i in ia], dtype="string"),
        "task_b": pd.array([tasks[i] for i in ib], dtype="string"),
        "se": se, "ci_low": low, "ci_high": high, "n_valid": valid.astype("int64"),
    })


def _upper_pairs(corr: pd.DataFrame, families) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """r over the finite upper-triangle pairs, with the family codes of both tasks."""
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    fam = family_series(families, corr.columns)
    codes = pd.factorize(fam.loc[list(corr.columns)].to_numpy())[0]
    ia, ib = np.triu_indices(len(corr), 1)
    r = corr.to_numpy(dtype=float)[ia, ib]
    keep = np.isfinite(r)
    return r[keep], ia[keep], ib[keep], codes


def family_permutation_test(corr: pd.DataFrame, families, n_perm: int = 10000, seed: int = 0,
                            statistic: str = "mean") -> dict:
    """Permutation test: are correlations within eval families higher than between them?

    The statistic is the mean (or median) r of within-family pairs minus that of between-family pairs,
    over the finite upper triangle of ``corr``. The null distribution permutes the family labels across
    tasks (keeping the family sizes), ``n_perm`` times. The test is one-sided (within > between), with
    p = (1 + #{null >= observed}) / (1 + n_perm).

    Parameters
    ----------
    corr : DataFrame
        task x task correlation matrix (e.g. :func:`evalcorr.stats.correlation.correlation_matrix`).
    families : Series or DataFrame
        task -> family for every task of ``corr``.
    n_perm : int
        number of label permutations.
    seed : int
        seed of the permutations.
    statistic : {"mean", "median"}

    Returns
    -------
    dict
        statistic, within, between, difference, p, n_perm, n_within_pairs, n_between_pairs.
    """
    if statistic not in ("mean", "median"):
        raise EvalcorrError(f"`statistic` must be 'mean' or 'median', got {statistic!r}")
    if n_perm < 1:
        raise EvalcorrError(f"`n_perm` must be a positive number of permutations, got {n_perm}")
    r, ia, ib, codes = _upper_pairs(corr, families)
    same = codes[ia] == codes[ib]
    if same.all() or not same.any():
        raise EvalcorrError("family_permutation_test needs both within-family and between-family pairs; "
                            "check `families` (every task in one family, or every task alone?)")

    def contrast(same_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # same_mask: (B, pairs). Returns the within and between statistic of each row.
        if statistic == "mean":
            within = (same_mask * r).sum(axis=1) / same_mask.sum(axis=1)
            between = (~same_mask * r).sum(axis=1) / (~same_mask).sum(axis=1)
        else:
            within = np.nanmedian(np.where(same_mask, r, np.nan), axis=1)
            between = np.nanmedian(np.where(same_mask, np.nan, r), axis=1)
        return within, between

    within, between = contrast(same[None, :])
    observed = float(within[0] - between[0])
    rng = np.random.default_rng(seed)
    batch = max(1, 2_000_000 // max(1, len(r)))
    exceed = 0
    for start in range(0, n_perm, batch):
        size = min(batch, n_perm - start)
        labels = rng.permuted(np.broadcast_to(codes, (size, len(codes))), axis=1)
        null_within, null_between = contrast(labels[:, ia] == labels[:, ib])
        exceed += int(np.sum(null_within - null_between >= observed - 1e-12))
    return {
        "statistic": statistic,
        "within": float(within[0]),
        "between": float(between[0]),
        "difference": observed,
        "p": (1 + exceed) / (1 + n_perm),
        "n_perm": int(n_perm),
        "n_within_pairs": int(same.sum()),
        "n_between_pairs": int((~same).sum()),
    }
