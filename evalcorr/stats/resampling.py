"""Resampling over models: bootstrap intervals for every correlation, and a permutation test of
within-family against between-family correlation.

The bootstrap resamples models (rows) with replacement. For Pearson a resample is a vector of row
counts, and all pairwise-complete correlations of a batch of resamples come from one large matrix
product of the counts with per-row products of the scores (:class:`evalcorr.stats.pairwise.PearsonKernel`,
set up once per bootstrap), so 1,000 resamples of the 1,860 x 45 leaderboard take a fraction of a
second. Spearman and Kendall materialise each resample (Kendall loops over pairs and is much slower).

A **cluster (group) bootstrap** resamples groups of related models instead (``groups``: e.g. the
lineage groups of :mod:`evalcorr.stats.lineage`): each resample draws as many groups as there are, with
replacement, and every model of a drawn group enters once per draw. That too is a vector of row counts
(:func:`resample_counts`), so it runs on the same kernel; with every model its own group it is the
ordinary bootstrap, draw for draw.

>>> draws = bootstrap_correlations(wide, n_boot=1000)           # doctest: +SKIP
>>> table = bootstrap_ci(wide, n_boot=1000)                     # doctest: +SKIP
>>> test = family_permutation_test(correlation_matrix(wide), families)   # doctest: +SKIP
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pairwise import PearsonKernel, check_method, pairwise_correlations, pairwise_pearson

MIN_BOOT_CI = 100  # the fewest resamples a percentile interval is computed from

# What a report on a user's table may spend on one bootstrap (see affordable_resamples): correlations
# held at once (resamples x tasks^2, 200 MB of float64) and multiply-adds (resamples x models x tasks^2).
MAX_DRAW_VALUES = 25_000_000
MAX_WORK = 2e10
# Elements (resamples x models x tasks) per draw of resamples (see default_batch).
_BATCH_ELEMENTS = 2_000_000


def group_codes(index: pd.Index, groups=None, name: str = "groups") -> tuple[np.ndarray, int]:
    """Integer group code of each model of ``index`` (0..G-1), and G.

    Parameters
    ----------
    index : Index
        the models (rows of ``wide``).
    groups : Series, optional
        model -> group label. Models absent from it, or with a missing label, are groups of their own.
        None: every model is its own group (the ordinary bootstrap).
    name : str
        argument name for error messages.
    """
    if groups is None:
        return np.arange(len(index)), len(index)
    if not isinstance(groups, pd.Series):
        raise EvalcorrError(f"`{name}` must be a Series model -> group label, got {type(groups).__name__}")
    if groups.index.has_duplicates:
        dup = sorted(map(str, set(groups.index[groups.index.duplicated()])))[:5]
        raise EvalcorrError(f"`{name}` gives several groups for models {dup}; give one label per model")
    labels = groups.reindex(index)
    codes = pd.factorize(labels, use_na_sentinel=True)[0]
    lone = codes < 0
    codes[lone] = codes.max(initial=-1) + 1 + np.arange(lone.sum())   # unlabelled models stand alone
    # Renumber in order of first appearance so that singleton groups reproduce the ordinary bootstrap.
    codes = pd.factorize(codes)[0]
    return codes, int(codes.max(initial=-1) + 1)


def resample_counts(codes: np.ndarray, n_groups: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row multiplicities of ``size`` resamples: (size, n_models) counts.

    Each resample draws ``n_groups`` groups uniformly with replacement; a model's count is the number
    of times its group was drawn. With ``codes = arange(n)`` this is the ordinary bootstrap's count
    of each model, from the same random draws.
    """
    draws = rng.integers(0, n_groups, size=(size, n_groups))
    offsets = (np.arange(size) * n_groups)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=size * n_groups).reshape(size, n_groups)
    return counts[:, codes]


def resample_batches(codes: np.ndarray, n_groups: int, n_boot: int, seed: int, batch: int, draw: int | None = None):
    """Yield ``(start, counts)`` for ``n_boot`` resamples, ``batch`` at a time (see :func:`resample_counts`).

    The counts are drawn ``draw`` resamples at a time (default ``batch``): the draw size fixes the random
    stream (a seed gives the same resamples for the same draw size), the batch size only how many
    resamples are handed out together.
    """
    rng = np.random.default_rng(seed)
    draw = draw or batch
    pending: list[np.ndarray] = []
    start = 0
    for first in range(0, n_boot, draw):
        pending.append(resample_counts(codes, n_groups, min(draw, n_boot - first), rng))
        last = first + draw >= n_boot
        if sum(map(len, pending)) < batch and not last:
            continue
        block = np.concatenate(pending) if len(pending) > 1 else pending[0]
        cut = len(block) if last else len(block) - len(block) % batch      # whole batches until the last
        for i in range(0, cut, batch):
            yield start + i, block[i:min(i + batch, cut)]
        start += cut
        pending = [block[cut:]]


def check_n_boot(n_boot) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise EvalcorrError(f"`n_boot` must be a positive number of resamples, got {n_boot!r}")


def default_batch(n_models: int, k: int) -> int:
    """Resamples drawn at a time by default: as many as make about 2 million (resample, model, task)
    elements. The draw size fixes the random stream, so it stays what it has always been."""
    return max(1, _BATCH_ELEMENTS // max(1, n_models * k))


def bootstrap_correlations(wide: pd.DataFrame, n_boot: int = 1000, seed: int = 0, method: str = "pearson",
                           min_periods: int = 30, batch_size: int | None = None, groups=None) -> np.ndarray:
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
        resamples drawn at a time (default :func:`default_batch`); the draws, and so the resamples of
        a seed, depend on it. Pearson computes in batches of its own (bounded memory, see
        :class:`evalcorr.stats.pairwise.PearsonKernel`).
    groups : Series, optional
        model -> group label for a cluster bootstrap (see :func:`group_codes`); None resamples models.

    Returns
    -------
    ndarray (n_boot, k, k)
        pairwise-complete correlation matrices, task order of ``wide.columns``.
    """
    check_method(method)
    check_n_boot(n_boot)
    values = score_matrix(wide)
    n_models, k = values.shape
    if n_models < 2:
        raise EvalcorrError(f"`wide` has {n_models} models; the bootstrap needs at least 2")
    codes, n_groups = group_codes(wide.index, groups)
    if n_groups < 2:
        raise EvalcorrError("`groups` puts every model in one group; a cluster bootstrap needs at least 2 groups")
    out = np.empty((n_boot, k, k))
    draw = batch_size or default_batch(n_models, k)
    kernel = PearsonKernel(values) if method == "pearson" else None
    batch = kernel.batch_size if kernel is not None else draw
    # One BLAS thread: on a busy machine threads made the leaderboard bootstrap several times slower,
    # and a fixed thread count keeps the float sums, and so the draws' digits, the same on every machine.
    with one_blas_thread:
        for start, counts in resample_batches(codes, n_groups, n_boot, seed, batch, draw=draw):
            if kernel is not None:
                out[start:start + len(counts)] = kernel.correlations(counts, min_periods)
            else:
                r, n = weighted_correlations(values, counts, method)
                out[start:start + len(counts)] = np.where(n >= max(min_periods, 2), r, np.nan)
    return out


def weighted_correlations(values: np.ndarray, counts: np.ndarray, method: str = "pearson") -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete r and n of each resample given as row counts ((B, n_models) -> (B, k, k) each).

    Pearson works on the counts directly (:func:`evalcorr.stats.pairwise.pairwise_pearson`); the rank
    methods materialise each resample by repeating every row as often as it was drawn.
    """
    if method == "pearson":
        return pairwise_pearson(values, weights=counts)
    k = values.shape[1]
    r, n = np.empty((len(counts), k, k)), np.empty((len(counts), k, k))
    for b, row_counts in enumerate(counts):
        r[b], n[b], _ = pairwise_correlations(np.repeat(values, row_counts, axis=0), method)
    return r, n


def check_interval_resamples(n_boot) -> int:
    """``n_boot`` if it gives a percentile interval (at least :data:`MIN_BOOT_CI`), else a clear error:
    with a handful of resamples the bounds are a few draws (with 1, ci_low == ci_high)."""
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < MIN_BOOT_CI:
        raise EvalcorrError(f"`n_boot` must be at least {MIN_BOOT_CI} for a percentile interval, got {n_boot!r}; "
                            "1,000 or more give stable bounds")
    return int(n_boot)


def affordable_resamples(n_models: int, n_tasks: int, wanted: int = 1000, minimum: int = MIN_BOOT_CI) -> int:
    """How many bootstrap resamples to run on a table of this size.

    ``wanted``, unless holding every resample's correlation matrix (:data:`MAX_DRAW_VALUES`) or
    computing them (:data:`MAX_WORK`) would exceed the bounds; then as many as fit, rounded down to a
    multiple of 50, but never fewer than ``minimum``. A 1,000 x 100 table gets 1,000.
    """
    cells = max(1, n_tasks) ** 2
    fit = min(MAX_DRAW_VALUES / cells, MAX_WORK / (max(1, n_models) * cells))
    if fit >= wanted:
        return int(wanted)
    return int(max(minimum, fit // 50 * 50))


def percentile_interval(draws: np.ndarray, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile-bootstrap bounds along the first axis (NaN draws ignored)."""
    if not 0 < ci < 1:
        raise EvalcorrError(f"`ci` must be a level between 0 and 1 (e.g. 0.95), got {ci}")
    alpha = (1.0 - ci) / 2.0
    if not np.isnan(draws).any():       # the same numbers as nanquantile, in half the time
        low, high = np.quantile(draws, [alpha, 1.0 - alpha], axis=0)
        return low, high
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # pairs NaN in every resample stay NaN
        low, high = np.nanquantile(draws, [alpha, 1.0 - alpha], axis=0)
    return low, high


def bootstrap_ci(wide: pd.DataFrame, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                 method: str = "pearson", min_periods: int = 30, groups=None) -> pd.DataFrame:
    """Percentile bootstrap interval of every pair's correlation, as a tidy table (``n_boot`` at
    least :data:`MIN_BOOT_CI`).

    ``groups`` (model -> group label) makes it a cluster bootstrap (:func:`bootstrap_correlations`).

    Returns
    -------
    DataFrame
        one row per unordered pair (upper-triangle order): task_a, task_b, se (standard deviation of
        the resampled r), ci_low, ci_high, n_valid (resamples in which the pair had ``min_periods``
        models). Join it to :func:`evalcorr.stats.correlation.correlation_pairs` on task_a, task_b
        for r and n, or call that function with ``n_boot`` set.
    """
    check_interval_resamples(n_boot)
    draws = bootstrap_correlations(wide, n_boot=n_boot, seed=seed, method=method, min_periods=min_periods,
                                   groups=groups)
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
            # Permuting labels keeps the family sizes, so every row has the same number of within-family
            # pairs: the values of each side form a (B, count) array, whose medians need no NaN handling.
            values = np.broadcast_to(r, same_mask.shape)
            n_within = int(same_mask[0].sum())
            within = np.median(values[same_mask].reshape(len(same_mask), n_within), axis=1)
            between = np.median(values[~same_mask].reshape(len(same_mask), -1), axis=1)
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


def subset_permutation_test(corr: pd.DataFrame, reference, chosen, pool, n_perm: int = 100_000, seed: int = 0) -> dict:
    """Is the mean correlation of ``reference`` tasks with ``chosen`` tasks higher than with random subsets of ``pool``?

    For example: do the BBH tasks that *sound* mathematical correlate more with the MATH subjects than
    any five BBH tasks would? The statistic is the mean r over every (a, b) pair with a in
    ``reference`` and b in a subset (NaN pairs ignored); the null distribution takes every subset of
    ``pool`` of the size of ``chosen`` (exactly, when there are at most ``n_perm`` of them) or
    ``n_perm`` random ones.

    Parameters
    ----------
    corr : DataFrame
        square task x task matrix.
    reference, chosen, pool : iterables of task ids
        ``chosen`` must be part of ``pool``; no task of ``pool`` may be in ``reference``.
    n_perm : int
        the most subsets to evaluate (random ones beyond that).
    seed : int
        seed of the random subsets.

    Returns
    -------
    dict
        observed, null_mean, null_low, null_high (2.5th and 97.5th percentiles), p (one-sided:
        share of subsets at least as high, the observed one included), percentile (share of subsets
        strictly below the observed one), n_subsets, exact (every subset enumerated), size.
    """
    from itertools import combinations
    from math import comb

    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    reference, chosen, pool = list(reference), list(chosen), list(pool)
    unknown = [t for t in reference + pool if t not in corr.columns]
    if unknown:
        raise EvalcorrError(f"tasks {unknown[:5]} are not in `corr`")
    if not set(chosen) <= set(pool) or not chosen:
        raise EvalcorrError("`chosen` must be a non-empty part of `pool` (e.g. some BBH tasks out of all of them)")
    if set(reference) & set(pool):
        raise EvalcorrError("`reference` and `pool` overlap; the statistic compares two disjoint sets of tasks")
    values = corr.loc[reference, pool].to_numpy(dtype=float)
    sums = np.nansum(values, axis=0)                       # per pool task: sum and count of its finite pairs
    counts = np.isfinite(values).sum(axis=0)
    size = len(chosen)
    where = {task: i for i, task in enumerate(pool)}
    observed_idx = np.array([where[t] for t in chosen])
    observed = sums[observed_idx].sum() / counts[observed_idx].sum()
    total = comb(len(pool), size)
    exact = total <= n_perm
    if exact:
        subsets = np.array(list(combinations(range(len(pool)), size)))
    else:
        rng = np.random.default_rng(seed)
        subsets = np.argsort(rng.random((n_perm, len(pool))), axis=1)[:, :size]
    with np.errstate(invalid="ignore", divide="ignore"):
        null = sums[subsets].sum(axis=1) / counts[subsets].sum(axis=1)
    at_least = int(np.sum(null >= observed - 1e-12))
    p = at_least / len(null) if exact else (1 + at_least) / (1 + len(null))
    low, high = np.nanquantile(null, [0.025, 0.975])
    return {"observed": float(observed), "null_mean": float(np.nanmean(null)), "null_low": float(low),
            "null_high": float(high), "p": float(p), "percentile": float(np.mean(null < observed - 1e-12)),
            "n_subsets": int(len(null)), "exact": bool(exact), "size": size}
