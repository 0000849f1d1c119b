"""Confidence intervals for accuracies and for comparisons of two accuracies.

An accuracy here is a proportion ``p = k / n`` of ``n`` scored items. Every function takes arrays (or
scalars) of proportions and item counts and works elementwise; ``k = p * n`` need not be a whole
number, so released accuracies that were rounded upstream can be used as they are.

- :func:`wilson_interval`: the Wilson score interval of one proportion [@wilson1927probable].
- :func:`difference_interval`: Newcombe's hybrid score interval of ``p1 - p2`` for two independent
  proportions (his method 10, built from the two Wilson intervals) [@newcombe1998interval].
- :func:`ratio_interval`: the MOVER interval of ``p1 / p2`` from the two Wilson intervals (the
  ratio form of the method of variance estimates recovery, [@zou2008construction]); finite when
  ``p1`` is 0 or 1, undefined (NaN) when ``p2`` is 0.
- :func:`log_odds_ratio`: ``logit(p1) - logit(p2)`` with Woolf's interval [@woolf1955estimating]; when one of the four
  counts (k1, n1 - k1, k2, n2 - k2) is 0, half an item is added to each of the four (Haldane and
  Anscombe), so accuracies of 0 or 1 give a finite log-odds change.
- :func:`combine_differences`: MOVER for ``a - b`` when a and b are independent estimates that come
  with their own intervals (e.g. two improvements) [@zou2008construction].

All intervals are two-sided with coverage ``ci`` (default 0.95).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def _z(ci: float) -> float:
    if not 0 < ci < 1:
        raise ValueError(f"ci={ci!r}: give the coverage as a fraction between 0 and 1, e.g. 0.95")
    return float(stats.norm.ppf(0.5 + ci / 2))


def _arrays(p, n):
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("proportions must lie in [0, 1]; convert percentages to fractions first")
    if np.any(n <= 0):
        raise ValueError("item counts must be positive")
    return p, n


def wilson_interval(p, n, ci: float = 0.95):
    """Wilson score interval of a proportion ``p`` measured on ``n`` items.

    Returns
    -------
    (low, high) arrays (floats for scalar input).

    Examples
    --------
    >>> low, high = wilson_interval(0.5, 200)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4314, 0.5686)
    """
    p, n = _arrays(p, n)
    z = _z(ci)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return _out(np.clip(centre - half, 0, 1)), _out(np.clip(centre + half, 0, 1))


def difference_interval(p1, n1, p2, n2, ci: float = 0.95):
    """Newcombe's hybrid score interval of ``p1 - p2`` (independent proportions).

    ``low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)``, ``high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``
    with ``(l, u)`` the Wilson limits of each proportion.

    Returns
    -------
    (low, high).
    """
    p1, n1 = _arrays(p1, n1)
    p2, n2 = _arrays(p2, n2)
    l1, u1 = wilson_interval(p1, n1, ci)
    l2, u2 = wilson_interval(p2, n2, ci)
    d = p1 - p2
    return (_out(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            _out(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


def ratio_interval(p1, n1, p2, n2, ci: float = 0.95):
    """MOVER interval of the ratio ``p1 / p2`` of two independent proportions.

    The limits are the roots of ``(p1 - t p2)^2 = (p1 - l1)^2 + t^2 (u2 - p2)^2`` (lower) and
    ``(p1 - t p2)^2 = (u1 - p1)^2 + t^2 (p2 - l2)^2`` (upper), with the Wilson limits ``(l, u)``.
    NaN where ``p2 = 0`` (the ratio is undefined); the upper limit is infinite when the lower
    Wilson limit of ``p2`` is 0.

    Returns
    -------
    (low, high).
    """
    p1, n1 = _arrays(p1, n1)
    p2, n2 = _arrays(p2, n2)
    l1, u1 = wilson_interval(p1, n1, ci)
    l2, u2 = wilson_interval(p2, n2, ci)
    # Each limit is a root of a t^2 - 2 b t + c = 0 with b = p1 p2. The lower root is written as
    # c / (b + sqrt(b^2 - a c)), which stays valid when a <= 0 (a small p2 on few items).
    b = p1 * p2
    with np.errstate(divide="ignore", invalid="ignore"):
        a_low, c_low = u2 * (2 * p2 - u2), l1 * (2 * p1 - l1)
        root = b + np.sqrt(np.maximum(b * b - a_low * c_low, 0.0))
        low = np.where(root > 0, c_low / root, 0.0)
        a_high, c_high = l2 * (2 * p2 - l2), u1 * (2 * p1 - u1)
        high = (b + np.sqrt(np.maximum(b * b - a_high * c_high, 0.0))) / a_high
    undefined = p2 == 0
    return _out(np.where(undefined, np.nan, low)), _out(np.where(undefined, np.nan, high))


def log_odds_ratio(p1, n1, p2, n2, ci: float = 0.95):
    """Change in log-odds ``logit(p1) - logit(p2)`` with Woolf's interval.

    Counts are ``k = p n``; when any of ``k1, n1 - k1, k2, n2 - k2`` is 0, 0.5 is added to all four
    (so an accuracy of 0 or 1 reads as half an item away from it).

    Returns
    -------
    (estimate, low, high).
    """
    p1, n1 = _arrays(p1, n1)
    p2, n2 = _arrays(p2, n2)
    a, b, c, d = p1 * n1, (1 - p1) * n1, p2 * n2, (1 - p2) * n2
    tiny = 1e-9
    zero = (a < tiny) | (b < tiny) | (c < tiny) | (d < tiny)
    a, b, c, d = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
    estimate = np.log(a / b) - np.log(c / d)
    half = _z(ci) * np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return _out(estimate), _out(estimate - half), _out(estimate + half)


def combine_differences(a, a_low, a_high, b, b_low, b_high):
    """MOVER interval of ``a - b`` for two independent estimates given with their own intervals.

    ``low = (a - b) - sqrt((a - a_low)^2 + (b_high - b)^2)`` and
    ``high = (a - b) + sqrt((a_high - a)^2 + (b - b_low)^2)``.

    Returns
    -------
    (difference, low, high).
    """
    a, a_low, a_high, b, b_low, b_high = (np.asarray(x, dtype=float)
                                          for x in (a, a_low, a_high, b, b_low, b_high))
    d = a - b
    return (_out(d), _out(d - np.sqrt((a - a_low) ** 2 + (b_high - b) ** 2)),
            _out(d + np.sqrt((a_high - a) ** 2 + (b - b_low) ** 2)))


def _out(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x
