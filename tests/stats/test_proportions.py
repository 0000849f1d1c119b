"""Tests of evalcorr.stats.proportions against scipy, Newcombe's published table and planted truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from evalcorr.stats.proportions import (combine_differences, difference_interval, log_odds_ratio, ratio_interval,
                                        wilson_interval)


@pytest.mark.parametrize("k, n", [(0, 200), (1, 200), (59, 200), (100, 200), (199, 201), (200, 200), (3, 7)])
def test_wilson_matches_scipy(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k / n, n)
    assert (low, high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    ref90 = stats.binomtest(k, n).proportion_ci(confidence_level=0.90, method="wilson")
    assert wilson_interval(k / n, n, ci=0.90) == pytest.approx((ref90.low, ref90.high), abs=1e-12)


def test_wilson_is_vectorised():
    low, high = wilson_interval(np.array([0.1, 0.5]), np.array([200, 100]))
    assert low.shape == (2,) and high[1] == pytest.approx(wilson_interval(0.5, 100)[1])


# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score), 95%.
NEWCOMBE = [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
            ((6, 7, 2, 7), (0.0582, 0.8062)), ((5, 56, 0, 29), (-0.0381, 0.1926)),
            ((0, 10, 0, 20), (-0.1611, 0.2775)), ((10, 10, 0, 10), (0.6075, 1.0000))]


@pytest.mark.parametrize("counts, expected", NEWCOMBE)
def test_difference_interval_reproduces_newcombes_table(counts, expected):
    k1, n1, k2, n2 = counts
    low, high = difference_interval(k1 / n1, n1, k2 / n2, n2)
    assert (round(low, 4), round(high, 4)) == expected


def test_difference_interval_covers_the_planted_difference():
    rng = np.random.default_rng(1)
    p1, p2, n = 0.3, 0.2, 200
    k1, k2 = rng.binomial(n, p1, 4000), rng.binomial(n, p2, 4000)
    low, high = difference_interval(k1 / n, n, k2 / n, n)
    coverage = np.mean((low <= p1 - p2) & (p1 - p2 <= high))
    assert 0.935 <= coverage <= 0.965


@pytest.mark.parametrize("k1, k2, n", [(20, 5, 200), (100, 80, 200), (3, 40, 200), (150, 160, 201), (2, 1, 20)])
def test_ratio_limits_solve_the_mover_equations(k1, k2, n):
    p1, p2 = k1 / n, k2 / n
    l1, u1 = wilson_interval(p1, n)
    l2, u2 = wilson_interval(p2, n)
    low, high = ratio_interval(p1, n, p2, n)
    ratio = p1 / p2
    lower = optimize.brentq(lambda t: (p1 - t * p2) ** 2 - (p1 - l1) ** 2 - t ** 2 * (u2 - p2) ** 2, 1e-12, ratio)
    upper = optimize.brentq(lambda t: (p1 - t * p2) ** 2 - (u1 - p1) ** 2 - t ** 2 * (p2 - l2) ** 2, ratio, 1e6)
    assert (low, high) == pytest.approx((lower, upper), rel=1e-9)
    assert low < ratio < high


def test_ratio_interval_edges_and_agreement_with_katz():
    low, high = ratio_interval(0.0, 200, 0.12, 200)
    assert low == 0 and 0 < high < 0.2
    assert np.isnan(ratio_interval(0.1, 200, 0.0, 200)).all()
    katz = stats.contingency.relative_risk(1000, 2000, 800, 2000).confidence_interval()
    assert ratio_interval(0.5, 2000, 0.4, 2000) == pytest.approx((katz.low, katz.high), rel=2e-3)


def test_log_odds_ratio_matches_scipy_and_corrects_zero_counts():
    est, low, high = log_odds_ratio(0.5, 200, 0.4, 200)
    ref = stats.contingency.odds_ratio([[100, 100], [80, 120]], kind="sample")
    assert est == pytest.approx(np.log(ref.statistic))
    assert (low, high) == pytest.approx(tuple(np.log(ref.confidence_interval(0.95))))
    est, low, high = log_odds_ratio(1.0, 200, 0.88, 200)       # 200/200 vs 176/200: add 0.5 to each count
    a, b, c, d = 200.5, 0.5, 176.5, 24.5
    assert est == pytest.approx(np.log(a / b) - np.log(c / d))
    assert high - est == pytest.approx(1.959963984540054 * np.sqrt(1 / a + 1 / b + 1 / c + 1 / d))


def test_combine_differences_is_mover():
    d, low, high = combine_differences(0.2, 0.1, 0.3, 0.05, 0.0, 0.12)
    assert d == pytest.approx(0.15)
    assert low == pytest.approx(0.15 - np.hypot(0.1, 0.07))
    assert high == pytest.approx(0.15 + np.hypot(0.1, 0.05))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="proportions must lie in"):
        wilson_interval(20, 200)
    with pytest.raises(ValueError, match="coverage"):
        wilson_interval(0.2, 200, ci=95)
