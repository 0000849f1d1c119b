"""Headline numbers of a pairs table: how many pairs correlate positively, and how strongly within and
between eval families.

>>> pairs = correlation_pairs(wide, families=families)          # doctest: +SKIP
>>> correlation_summary(pairs)["share_positive"]                # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError

SUMMARY_FIELDS = ("n_pairs", "share_positive", "share_significant", "median_r", "mean_r", "min_r", "max_r",
                  "n_within", "n_between", "median_within", "median_between", "median_difference",
                  "mean_within", "mean_between")


def correlation_summary(pairs: pd.DataFrame, alpha: float = 0.05) -> pd.Series:
    """Summary statistics of the pairs with a finite r in a table from ``correlation_pairs``.

    Parameters
    ----------
    pairs : DataFrame
        columns r and same_family (and p for ``share_significant``), one row per pair.
    alpha : float
        significance level for ``share_significant`` (uncorrected two-sided p < alpha).

    Returns
    -------
    Series
        n_pairs, share_positive (share of pairs with r > 0), share_significant, median_r, mean_r,
        min_r, max_r, n_within, n_between (pairs in one family / across two families),
        median_within, median_between, median_difference (within minus between), mean_within,
        mean_between. Within/between entries are NaN when the table has no families.
    """
    missing = {"r", "same_family"} - set(pairs.columns)
    if missing:
        raise EvalcorrError(f"`pairs` lacks columns {sorted(missing)}; pass the table correlation_pairs returns")
    finite = pairs[np.isfinite(pairs["r"].to_numpy(dtype=float, na_value=np.nan))]
    if finite.empty:
        raise EvalcorrError("`pairs` has no pair with a finite r; lower min_periods or check the data")
    r = finite["r"].to_numpy(dtype=float)
    same = finite["same_family"].astype("boolean").to_numpy(dtype=float, na_value=np.nan)
    p = finite["p"].to_numpy(dtype=float, na_value=np.nan) if "p" in finite else None
    return summarise_pairs(r, same, p, alpha)


def summarise_pairs(r: np.ndarray, same: np.ndarray, p: np.ndarray | None = None, alpha: float = 0.05) -> pd.Series:
    """:func:`correlation_summary` of pairs given as arrays, one entry per pair.

    ``r`` is NaN for a pair without a correlation; ``same`` is 1 for a pair within one family, 0 for a
    pair across two, NaN where a family is unknown; ``p`` (optional) is the pairs' p-values. A loop over
    subsets or draws that has the correlation matrix already reads its upper triangle here instead of
    building a pairs table.
    """
    r, same = np.asarray(r, dtype=float), np.asarray(same, dtype=float)
    p = np.full(len(r), np.nan) if p is None else np.asarray(p, dtype=float)
    if not len(r) == len(same) == len(p):
        raise EvalcorrError(f"summarise_pairs: r, same and p must have one entry per pair, got {len(r)}, "
                            f"{len(same)} and {len(p)}")
    finite = np.isfinite(r)
    if not finite.any():
        raise EvalcorrError("no pair has a finite r; lower min_periods or check the data")
    r, same, p = r[finite], same[finite], p[finite]
    within = r[same == 1]
    between = r[same == 0]

    def stat(values, fn):
        return float(fn(values)) if len(values) else np.nan

    out = {
        "n_pairs": len(r),
        "share_positive": float(np.mean(r > 0)),
        "share_significant": float(np.mean(p < alpha)) if np.isfinite(p).any() else np.nan,
        "median_r": float(np.median(r)),
        "mean_r": float(np.mean(r)),
        "min_r": float(np.min(r)),
        "max_r": float(np.max(r)),
        "n_within": len(within),
        "n_between": len(between),
        "median_within": stat(within, np.median),
        "median_between": stat(between, np.median),
        "mean_within": stat(within, np.mean),
        "mean_between": stat(between, np.mean),
    }
    out["median_difference"] = out["median_within"] - out["median_between"]
    return pd.Series({field: out[field] for field in SUMMARY_FIELDS}, name="value", dtype="float64")


INTERVAL_FIELDS = ("n_pairs", "share_above_zero", "share_below_zero", "share_spanning_zero", "median_width")


def interval_summary(pairs: pd.DataFrame) -> pd.Series:
    """How the confidence intervals of a pairs table sit against zero, and how wide they are.

    Parameters
    ----------
    pairs : DataFrame
        columns ci_low and ci_high (e.g. ``correlation_pairs(wide, n_boot=1000)``); pairs with a NaN
        bound are left out.

    Returns
    -------
    Series
        n_pairs, share_above_zero (ci_low > 0), share_below_zero (ci_high < 0), share_spanning_zero,
        median_width (median of ci_high - ci_low).
    """
    missing = {"ci_low", "ci_high"} - set(pairs.columns)
    if missing:
        raise EvalcorrError(f"`pairs` lacks columns {sorted(missing)}; pass the table correlation_pairs returns")
    low = pairs["ci_low"].to_numpy(dtype=float, na_value=np.nan)
    high = pairs["ci_high"].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        raise EvalcorrError("`pairs` has no pair with a finite interval")
    low, high = low[ok], high[ok]
    above, below = float(np.mean(low > 0)), float(np.mean(high < 0))
    return pd.Series({"n_pairs": int(ok.sum()), "share_above_zero": above, "share_below_zero": below,
                      "share_spanning_zero": 1.0 - above - below, "median_width": float(np.median(high - low))},
                     name="value", dtype="float64")


# The BBH tasks the original study singled out as sounding mathematical, to set against the MATH subjects.
MATH_LIKE_BBH = ("bbh_logical_deduction_three_objects", "bbh_logical_deduction_five_objects",
                 "bbh_logical_deduction_seven_objects", "bbh_boolean_expressions", "bbh_geometric_shapes")


def mean_cross_correlation(corr: pd.DataFrame, tasks_a, tasks_b) -> float:
    """Mean r over every (a, b) pair with a in `tasks_a` and b in `tasks_b`, a != b.

    Tasks missing from `corr` are ignored (a source may lack some); NaN when no pair is left.
    """
    a = [task for task in tasks_a if task in corr.index]
    b = [task for task in tasks_b if task in corr.columns]
    values = corr.loc[a, b].to_numpy(dtype=float)
    same = np.equal.outer(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    values = values[~same]
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")
