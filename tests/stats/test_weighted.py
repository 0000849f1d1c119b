"""Moments of a resample against the table of repeated rows it stands for."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.stats.factors import factor_loadings
from evalcorr.stats.partial import partial_correlation_matrix
from evalcorr.stats.weighted import ResampledMoments

TASKS = [f"t{i}" for i in range(7)]
FAMILIES = pd.Series(["a", "a", "a", "b", "b", "c", "c"], index=TASKS)


def _table(seed=0, n=60):
    """Two planted factors plus noise, and a covariate that tracks the first."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    loadings = np.array([[.8, .1], [.7, .2], [.6, .0], [.2, .7], [.1, .8], [.4, .4], [.3, .5]])
    values = f @ loadings.T + 0.5 * rng.normal(size=(n, 7))
    params = pd.Series(10 ** (f[:, 0] + rng.normal(scale=0.3, size=n)), index=[f"m{i}" for i in range(n)])
    return pd.DataFrame(values, index=params.index, columns=TASKS), params


def _repeated(wide, counts):
    rows = np.repeat(np.arange(len(wide)), counts)
    copy = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    return pd.DataFrame(wide.to_numpy()[rows], columns=wide.columns,
                        index=[f"{wide.index[r]}#{c}" for r, c in zip(rows, copy)])


@pytest.mark.parametrize("control", [None, "pc1", "mean", "family-means", "general-factor:2", "log-params"])
def test_every_control_matches_the_repeated_rows(control):
    wide, params = _table()
    counts = np.random.default_rng(1).multinomial(len(wide), np.full(len(wide), 1 / len(wide)))
    expanded = _repeated(wide, counts)
    covariate = pd.Series(np.repeat(params.to_numpy(), counts), index=expanded.index)
    expected = partial_correlation_matrix(expanded, control=control, covariate=covariate, families=FAMILIES)
    moments = ResampledMoments(wide.to_numpy(), counts, families=FAMILIES.to_numpy(),
                               covariate=np.log10(params.to_numpy()))
    np.testing.assert_allclose(moments.partial(control), expected.to_numpy(), atol=1e-10)


def test_factor_loadings_match_the_repeated_rows():
    wide, _ = _table(2)
    counts = np.random.default_rng(3).multinomial(len(wide), np.full(len(wide), 1 / len(wide)))
    expected = factor_loadings(_repeated(wide, counts), 2)
    np.testing.assert_allclose(ResampledMoments(wide.to_numpy(), counts).factor_loadings(2), expected.to_numpy(),
                               atol=1e-8)


def test_unit_counts_are_the_table_itself():
    wide, _ = _table(4)
    moments = ResampledMoments(wide.to_numpy(), np.ones(len(wide)))
    np.testing.assert_allclose(moments.partial("pc1"), partial_correlation_matrix(wide, "pc1").to_numpy(), atol=1e-12)


def test_log_params_uses_the_models_that_have_it():
    wide, params = _table(5)
    params.iloc[:10] = np.nan
    expected = partial_correlation_matrix(wide, "log-params", covariate=params)
    moments = ResampledMoments(wide.to_numpy(), np.ones(len(wide)), covariate=np.log10(params.to_numpy()))
    np.testing.assert_allclose(moments.partial("log-params"), expected.to_numpy(), atol=1e-12)


def test_refusals():
    wide, _ = _table(6)
    with pytest.raises(EvalcorrError, match="complete table"):
        ResampledMoments(np.where(np.eye(60, 7) > 0, np.nan, wide.to_numpy()), np.ones(60))
    with pytest.raises(EvalcorrError, match="fewer than min_periods"):
        ResampledMoments(wide.to_numpy()[:20], np.ones(20))
    moments = ResampledMoments(wide.to_numpy(), np.ones(60))
    with pytest.raises(EvalcorrError, match="not computed from moments"):
        moments.partial("task:t1")
    with pytest.raises(EvalcorrError, match="between 1 and 6"):
        moments.partial("general-factor:7")
    with pytest.raises(EvalcorrError, match="needs `families`"):
        moments.partial("family-means")
    with pytest.raises(EvalcorrError, match="needs `covariate`"):
        moments.partial("log-params")
