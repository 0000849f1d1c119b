"""Task x task correlations across models, pairwise-complete, by Pearson, Spearman or Kendall.

Every coefficient of a pair (a, b) uses the models that have both scores ("pairwise-complete");
pairs with fewer than ``min_periods`` such models are NaN. ``min_periods`` is at least
:data:`MIN_MODELS` (3): with two models every coefficient is +-1 and says nothing. The kernels are in
:mod:`evalcorr.stats.pairwise`.

>>> corr = correlation_matrix(wide, method="spearman")          # doctest: +SKIP
>>> pairs = correlation_pairs(wide, families=families)           # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from evalcorr.errors import EvalcorrError
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pairwise import check_method, pairwise_correlations
from evalcorr.stats.resampling import bootstrap_correlations, check_interval_resamples, percentile_interval

PAIR_COLUMNS = ["task_a", "task_b", "family_a", "family_b", "same_family", "n", "r", "ci_low", "ci_high", "p"]
MIN_MODELS = 3  # the fewest models a correlation can be tested on: with 2, every r is +-1


def check_min_periods(min_periods, minimum: int = MIN_MODELS, what: str = "a correlation") -> int:
    """``min_periods`` if it is an integer of at least `minimum`, else a clear error."""
    if not isinstance(min_periods, (int, np.integer)) or isinstance(min_periods, bool) or min_periods < minimum:
        raise EvalcorrError(f"min_periods={min_periods!r} is below {minimum}, the fewest models {what} can be "
                            f"tested on (with {minimum - 1} every {'partial ' if minimum > MIN_MODELS else ''}r is "
                            "+-1); pass min_periods >= " + str(minimum))
    return int(min_periods)


def correlation_matrix(wide: pd.DataFrame, method: str = "pearson", min_periods: int = 30) -> pd.DataFrame:
    """Task x task correlation across models, pairwise-complete.

    Parameters
    ----------
    wide : DataFrame
        models (index) x tasks (columns), NaN where a score is missing.
    method : {"pearson", "spearman", "kendall"}
        Pearson r, Spearman rho (ranks within each pair's common models, average ranks for ties) or
        Kendall tau-b.
    min_periods : int
        pairs with fewer common models are NaN (the diagonal too, for a task with fewer models);
        at least :data:`MIN_MODELS`.

    Returns
    -------
    DataFrame
        tasks x tasks, symmetric, ones on the diagonal; index and columns are ``wide.columns``.
        Agrees with ``wide.corr(method, min_periods=min_periods)``.
    """
    check_method(method)
    min_periods = check_min_periods(min_periods)
    values = score_matrix(wide)
    r, n, _ = pairwise_correlations(values, method)
    r = np.where(n >= min_periods, r, np.nan)
    return pd.DataFrame(r, index=wide.columns.copy(), columns=wide.columns.copy())


def t_test_p(r: np.ndarray, n: np.ndarray, method: str = "pearson") -> np.ndarray:
    """Two-sided p of H0: rho = 0 from the t statistic with n - 2 df, as scipy's pearsonr
    (``method="pearson"``) or spearmanr (``"spearman"``) gives it at every n: 0 for |r| = 1 from 3
    models on; at n = 2, 1.0 for Pearson (two points always lie on a line) and NaN for Spearman."""
    if method not in ("pearson", "spearman"):
        raise EvalcorrError(f"t_test_p: method must be 'pearson' or 'spearman', got {method!r}")
    r, n = np.asarray(r, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2) / ((1.0 - r) * (1.0 + r)))
        p = 2.0 * stats.t.sf(np.abs(t), n - 2)
    p = np.where(np.abs(r) >= 1.0, 0.0, p)
    p = np.where(n == 2, 1.0 if method == "pearson" else np.nan, p)
    return np.where((n < 2) | np.isnan(r), np.nan, p)


def fisher_ci(r: np.ndarray, n: np.ndarray, method: str = "pearson", ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a correlation from Fisher's z = atanh(r).

    Standard errors: 1 / sqrt(n - 3) for Pearson (as scipy's ``pearsonr(...).confidence_interval()``);
    sqrt(1.06 / (n - 3)) for Spearman and sqrt(0.437 / (n - 4)) for Kendall (Fieller, Hartley & Pearson 1957).
    """
    check_method(method)
    factor, offset = {"pearson": (1.0, 3), "spearman": (1.06, 3), "kendall": (0.437, 4)}[method]
    z_crit = stats.norm.ppf(0.5 + ci / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(factor / (n - offset))
        z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
        low, high = np.tanh(z - z_crit * se), np.tanh(z + z_crit * se)
    valid = n > offset
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def correlation_pairs(wide: pd.DataFrame, method: str = "pearson", min_periods: int = 30, families=None,
                      ci: float = 0.95, n_boot: int = 0, seed: int = 0) -> pd.DataFrame:
    """One row per unordered pair of tasks: families, n, r, confidence interval and p (pingouin style).

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    method : {"pearson", "spearman", "kendall"}
    min_periods : int
        pairs with fewer common models get r, CI and p NaN (they stay in the table with their n);
        at least :data:`MIN_MODELS`.
    families : Series or DataFrame, optional
        task -> family (see :func:`evalcorr.stats.inputs.family_series`); fills family_a, family_b and same_family.
    ci : float
        confidence level of the interval.
    n_boot : int
        0: Fisher-z interval (:func:`fisher_ci`); otherwise a percentile bootstrap over models with
        ``n_boot`` resamples (:func:`evalcorr.stats.resampling.bootstrap_correlations`), at least
        :data:`evalcorr.stats.resampling.MIN_BOOT_CI`.
    seed : int
        seed of the bootstrap.

    Returns
    -------
    DataFrame
        columns task_a, task_b, family_a, family_b, same_family, n, r, ci_low, ci_high, p; pairs in the
        order of the upper triangle of ``wide.columns``. p is two-sided as scipy's pearsonr, spearmanr
        (t with n - 2 df) and kendalltau give it.
    """
    check_method(method)
    min_periods = check_min_periods(min_periods)
    if not 0 < ci < 1:
        raise EvalcorrError(f"`ci` must be a level between 0 and 1 (e.g. 0.95), got {ci}")
    if n_boot:
        check_interval_resamples(n_boot)
    values = score_matrix(wide)
    tasks = list(wide.columns)
    r_full, n_full, p_full = pairwise_correlations(values, method)
    ia, ib = np.triu_indices(len(tasks), 1)
    n = n_full[ia, ib]
    enough = n >= min_periods
    r = np.where(enough, r_full[ia, ib], np.nan)
    p = t_test_p(r, n, method) if p_full is None else np.where(enough, p_full[ia, ib], np.nan)
    if n_boot:
        boot = bootstrap_correlations(wide, n_boot=n_boot, seed=seed, method=method, min_periods=min_periods)
        low, high = percentile_interval(boot[:, ia, ib], ci)
        low, high = np.where(enough, low, np.nan), np.where(enough, high, np.nan)
    else:
        low, high = fisher_ci(r, n, method, ci)
    # Each task's name and family looked up once, then taken for every pair (a bootstrap or a loop
    # over subsets builds this table many times).
    names = pd.array(tasks, dtype="string")
    family = task_families(families, tasks)
    family_a, family_b = family.take(ia), family.take(ib)
    return pd.DataFrame({
        "task_a": names.take(ia), "task_b": names.take(ib),
        "family_a": family_a, "family_b": family_b, "same_family": (family_a == family_b).astype("boolean"),
        "n": n.astype("int64"), "r": r, "ci_low": low, "ci_high": high, "p": p,
    }, columns=PAIR_COLUMNS)


def task_families(families, tasks) -> pd.api.extensions.ExtensionArray:
    """The family of each task in ``tasks`` order as a string array, NA where unknown (all NA for
    ``families`` None). Two tasks are in one family where their entries are equal; a pair with an NA
    entry is neither within nor between families."""
    if families is None:
        return pd.array([pd.NA] * len(tasks), dtype="string")
    return pd.array(family_series(families, tasks).loc[tasks].to_numpy(), dtype="string")


class PairValues(Mapping):
    """One column of a pairs table indexed by an unordered pair of tasks: ``values[a, b] == values[b, a]``."""

    def __init__(self, pairs: pd.DataFrame, column: str = "r"):
        missing = {"task_a", "task_b", column} - set(pairs.columns)
        if missing:
            raise EvalcorrError(f"`pairs` lacks columns {sorted(missing)}; pass a correlation_pairs table")
        self.column = column
        self._values = {frozenset((a, b)): v for a, b, v in zip(pairs["task_a"], pairs["task_b"], pairs[column])}

    def __getitem__(self, pair):
        a, b = pair
        try:
            return self._values[frozenset((a, b))]
        except KeyError:
            raise KeyError(f"no pair ({a!r}, {b!r}) in the pairs table") from None

    def __iter__(self):
        return (tuple(sorted(key)) for key in self._values)

    def __len__(self):
        return len(self._values)


def pair_values(pairs: pd.DataFrame, column: str = "r") -> PairValues:
    """``column`` of a :func:`correlation_pairs` table, looked up by an unordered pair of tasks.

    >>> r = pair_values(correlation_pairs(wide))                # doctest: +SKIP
    >>> r["math_geometry_hard", "math_prealgebra_hard"]         # doctest: +SKIP
    0.93
    """
    return PairValues(pairs, column)
