"""The Schmid-Leiman general factor against a planted higher-order model (population correlations)."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.stats.hierarchical import (
    general_factor_scores, oblimin, principal_axis, schmid_leiman, schmid_leiman_corr)

# Three group factors with four tasks each, behind one general factor.
PATTERN = np.zeros((12, 3))
PATTERN[0:4, 0] = [0.8, 0.7, 0.6, 0.75]
PATTERN[4:8, 1] = [0.7, 0.65, 0.8, 0.6]
PATTERN[8:12, 2] = [0.6, 0.7, 0.55, 0.75]
GAMMA = np.array([0.85, 0.7, 0.6])
PHI = np.outer(GAMMA, GAMMA) + np.diag(1 - GAMMA**2)


def population_corr():
    common = PATTERN @ PHI @ PATTERN.T
    r = common + np.diag(1 - np.diag(common))
    tasks = [f"t{i}" for i in range(12)]
    return pd.DataFrame(r, index=tasks, columns=tasks)


def test_principal_axis_recovers_the_communalities():
    loadings = principal_axis(population_corr().to_numpy(), 3)
    expected = np.diag(PATTERN @ PHI @ PATTERN.T)
    np.testing.assert_allclose((loadings**2).sum(axis=1), expected, atol=1e-6)


def test_oblimin_recovers_perfect_simple_structure():
    loadings = principal_axis(population_corr().to_numpy(), 3)
    pattern, phi = oblimin(loadings)
    # Up to order and sign of the factors, the planted pattern and factor correlations come back.
    order = np.argmax(np.abs(pattern), axis=1)[[0, 4, 8]]
    signs = np.sign(pattern[[0, 4, 8], order])
    np.testing.assert_allclose(pattern[:, order] * signs, PATTERN, atol=1e-5)
    np.testing.assert_allclose(phi[np.ix_(order, order)] * np.outer(signs, signs), PHI, atol=1e-5)
    np.testing.assert_allclose(pattern @ phi @ pattern.T, loadings @ loadings.T, atol=1e-9)


def test_schmid_leiman_recovers_the_planted_general_and_group_loadings():
    model = schmid_leiman_corr(population_corr(), 3)
    general = PATTERN @ GAMMA
    np.testing.assert_allclose(model.loadings["general"].to_numpy(), general, atol=1e-5)
    groups = PATTERN * np.sqrt(1 - GAMMA**2)
    found = model.loadings[["G1", "G2", "G3"]].to_numpy()
    # Each planted group column is one of the found columns.
    for column in groups.T:
        assert min(np.abs(found - column[:, None]).max(axis=0)) < 1e-5
    r = population_corr().to_numpy()
    assert model.omega_h == pytest.approx(general.sum() ** 2 / r.sum(), abs=1e-6)
    assert sorted(model.second_order.round(5)) == sorted(GAMMA.round(5))


def test_general_factor_scores_track_the_planted_general_factor():
    rng = np.random.default_rng(0)
    n = 4000
    g = rng.normal(size=n)
    group = GAMMA[None, :] * g[:, None] + np.sqrt(1 - GAMMA**2)[None, :] * rng.normal(size=(n, 3))
    common = group @ PATTERN.T
    noise = rng.normal(size=(n, 12)) * np.sqrt(1 - np.diag(PATTERN @ PHI @ PATTERN.T))
    wide = pd.DataFrame(common + noise, columns=[f"t{i}" for i in range(12)])
    wide.iloc[0, 0] = np.nan                          # a model without every task gets no score
    scores = general_factor_scores(wide, 3)
    assert np.isnan(scores.iloc[0])
    # The regression estimate's correlation with g is sqrt(g' R^-1 g) (its validity), here about 0.93.
    general = PATTERN @ GAMMA
    validity = np.sqrt(general @ np.linalg.solve(population_corr().to_numpy(), general))
    assert np.corrcoef(scores.iloc[1:], g[1:])[0, 1] == pytest.approx(validity, abs=0.02)
    assert schmid_leiman(wide, 3).n_models == n - 1


def test_bad_arguments_are_named():
    with pytest.raises(EvalcorrError, match="n_factors"):
        schmid_leiman_corr(population_corr(), 12)
    with pytest.raises(EvalcorrError, match="square"):
        schmid_leiman_corr(population_corr().iloc[:3], 1)
