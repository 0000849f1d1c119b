"""The pairwise-complete Pearson kernel against the implementation it replaced (kept here as the
reference: one masked matrix product per sum and resample) and against materialised resamples."""

import warnings

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

import evalcorr
from evalcorr.errors import EvalcorrError
from evalcorr.stats.pairwise import PearsonKernel, pairwise_pearson
from evalcorr.stats.resampling import bootstrap_correlations, default_batch, resample_batches


def reference_pairwise_pearson(values, weights=None):
    """The previous kernel, verbatim: batched masked products (B, n, k) for n, sum x, sum x^2, sum xy."""
    present = ~np.isnan(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # the empty task's mean
        x = np.where(present, values - np.nanmean(values, axis=0), 0.0)
    m = present.astype(float)
    single = weights is None
    w = np.ones((1, len(values))) if single else np.asarray(weights, dtype=float)
    wm = w[:, :, None] * m
    wx = w[:, :, None] * x
    n = np.matmul(m.T, wm)
    sx = np.matmul(x.T, wm)
    sxx = np.matmul((x * x).T, wm)
    sxy = np.matmul(x.T, wx)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * np.swapaxes(sx, 1, 2) / n
        var_a = sxx - sx**2 / n
        var_b = np.swapaxes(var_a, 1, 2)
        r = cov / np.sqrt(var_a * var_b)
    flat_a = var_a <= 1e-12 * sxx + 1e-300
    degenerate = (n < 2) | flat_a | np.swapaxes(flat_a, 1, 2)
    r = np.where(degenerate, np.nan, np.clip(r, -1.0, 1.0))
    diagonal = np.arange(values.shape[1])
    r[:, diagonal, diagonal] = np.where(np.isnan(r[:, diagonal, diagonal]), np.nan, 1.0)
    return (r[0], n[0]) if single else (r, n)


def assert_same(got, expected):
    (r, n), (r_ref, n_ref) = got, expected
    np.testing.assert_array_equal(n, n_ref)
    np.testing.assert_array_equal(np.isnan(r), np.isnan(r_ref))
    np.testing.assert_allclose(r, r_ref, atol=1e-12, rtol=0)


def awkward_matrix(seed=0):
    """Scores with block and cell-wise missingness, a constant task, a task with one score and an empty one."""
    rng = np.random.default_rng(seed)
    wide, _ = latent_factor_matrix(n_models=120, missing=0.08, seed=seed)
    values = wide.to_numpy(copy=True)
    values[rng.random(120) < 0.3, :3] = np.nan          # a block of tasks missing together
    values[:, 4] = 0.25                                  # constant
    values[1:, 5] = np.nan                               # one score
    return np.column_stack([values, np.full(120, np.nan)])   # an empty task


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unweighted_equals_the_reference(seed):
    values = awkward_matrix(seed)
    assert_same(pairwise_pearson(values), reference_pairwise_pearson(values))


@pytest.mark.parametrize("groups", [None, 6])
def test_resample_counts_equal_the_reference(groups):
    values = awkward_matrix()
    codes = np.arange(len(values)) // groups if groups else np.arange(len(values))
    counts = np.concatenate([c for _, c in resample_batches(codes, codes.max() + 1, 40, 3, 7)])
    kernel = PearsonKernel(values)
    assert_same((kernel.correlations(counts), kernel.pair_counts(counts)), reference_pairwise_pearson(values, counts))


def test_products_built_in_blocks_give_the_same_sums(monkeypatch):
    values = awkward_matrix()
    counts = np.random.default_rng(5).integers(0, 4, size=(9, len(values)))
    monkeypatch.setattr("evalcorr.stats.pairwise.BATCH_ELEMENTS", 2_000)   # a few rows per block
    kernel = PearsonKernel(values)
    assert kernel._rows_per_block < len(values)
    assert_same((kernel.correlations(counts), kernel.pair_counts(counts)), reference_pairwise_pearson(values, counts))


def test_each_resample_is_the_correlation_of_the_materialised_rows():
    values = awkward_matrix()
    counts = np.random.default_rng(1).multinomial(len(values), np.full(len(values), 1 / len(values)), size=3)
    kernel = PearsonKernel(values)
    r, n = kernel.correlations(counts), kernel.pair_counts(counts)
    for b in range(3):
        frame = pd.DataFrame(np.repeat(values, counts[b], axis=0))
        expected = frame.corr(min_periods=2).to_numpy()
        # pandas gives a constant task r = NaN but may give round-off for a near-constant one: compare
        # where both see variance
        varies = (frame.max() > frame.min()).to_numpy()
        keep = ~np.isnan(expected) & varies[None, :] & varies[:, None]
        np.testing.assert_allclose(r[b][keep], expected[keep], atol=1e-12, rtol=0)
        np.testing.assert_array_equal(n[b], frame.notna().astype(int).T @ frame.notna().astype(int))


def test_the_leaderboard_bootstrap_equals_the_reference_draw_for_draw():
    # The report's bootstrap: 1,860 models x 45 tasks and groups, the same draws as before, to 1e-12.
    wide = evalcorr.load_wide("open-llm-leaderboard-v2", level=None)
    draws = bootstrap_correlations(wide, n_boot=60, min_periods=30)
    values = wide.to_numpy()
    counts = np.concatenate([c for _, c in resample_batches(np.arange(len(wide)), len(wide), 60, 0,
                                                             default_batch(*values.shape))])
    r, n = reference_pairwise_pearson(values, counts)
    expected = np.where(n >= 30, r, np.nan)
    np.testing.assert_array_equal(np.isnan(draws), np.isnan(expected))
    np.testing.assert_allclose(draws, expected, atol=1e-12, rtol=0)


def test_weights_of_the_wrong_shape_are_refused():
    with pytest.raises(EvalcorrError, match=r"weights must be \(resamples, 120\)"):
        PearsonKernel(awkward_matrix()).correlations(np.ones((2, 7)))
