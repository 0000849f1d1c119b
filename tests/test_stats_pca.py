"""principal_components against numpy's eigendecomposition and sklearn's PCA, on synthetic data with a
known latent structure.

`latent_factor_matrix` is the synthetic generator the other statistics tests import.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from evalcorr.errors import EvalcorrError
from evalcorr.stats.pca import principal_components


def latent_factor_matrix(n_models=300, families=(("A", 4), ("B", 3), ("C", 3)), general=0.6,
                         specific=0.6, noise=0.5, missing=0.0, seed=0):
    """Synthetic models x tasks scores: a general factor, one factor per family, and noise.

    Returns ``(wide, families)``: a DataFrame (models x tasks, NaN for a ``missing`` share of cells)
    and a Series task -> family. Within-family correlations exceed between-family ones by design.
    """
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n_models)
    columns, family_of = {}, {}
    for family, size in families:
        f = rng.normal(size=n_models)
        for j in range(size):
            task = f"{family.lower()}_{j}"
            columns[task] = general * g + specific * f + noise * rng.normal(size=n_models)
            family_of[task] = family
    wide = pd.DataFrame(columns, index=pd.Index([f"model-{i:04d}" for i in range(n_models)], name="model"))
    if missing:
        wide = wide.mask(rng.random(wide.shape) < missing)
    return wide, pd.Series(family_of, name="family")


def test_matches_numpy_eigendecomposition_of_correlation_matrix():
    wide, _ = latent_factor_matrix()
    result = principal_components(wide)
    eigenvalues, vectors = np.linalg.eigh(np.corrcoef(wide.to_numpy(), rowvar=False))
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    np.testing.assert_allclose(result.explained_variance.to_numpy(), eigenvalues[: len(result.explained_variance)])
    np.testing.assert_allclose(result.explained_variance_ratio.to_numpy(),
                               eigenvalues[: len(eigenvalues)] / eigenvalues.sum())
    # Same eigenvectors up to sign.
    dots = np.abs(np.sum(result.loadings.to_numpy() * vectors, axis=0))
    np.testing.assert_allclose(dots, 1.0, atol=1e-8)


def test_matches_sklearn_scores_up_to_sign():
    wide, _ = latent_factor_matrix(seed=3)
    result = principal_components(wide, n_components=4, standardize=False)
    reference = PCA(n_components=4).fit(wide.to_numpy())
    ref_scores = reference.transform(wide.to_numpy())
    signs = np.sign(np.sum(reference.components_, axis=1))
    np.testing.assert_allclose(result.scores.to_numpy(), ref_scores * signs, atol=1e-8)
    np.testing.assert_allclose(result.loadings.to_numpy(), reference.components_.T * signs, atol=1e-10)
    np.testing.assert_allclose(result.explained_variance.to_numpy(), reference.explained_variance_)
    np.testing.assert_allclose(result.explained_variance_ratio.to_numpy(), reference.explained_variance_ratio_)


def test_sign_convention_is_deterministic_and_pc1_tracks_the_general_factor():
    wide, _ = latent_factor_matrix(general=1.0, seed=5)
    result = principal_components(wide)
    assert (result.loadings.sum(axis=0) > 0).all()
    assert (result.loadings["PC1"] > 0).all()
    # Flipping the data's column order does not change the PC1 scores.
    again = principal_components(wide[wide.columns[::-1]])
    np.testing.assert_allclose(again.scores["PC1"], result.scores["PC1"], atol=1e-10)
    # PC1 scores correlate positively with the row mean (the "better on most tasks" direction).
    assert np.corrcoef(result.scores["PC1"], wide.mean(axis=1))[0, 1] > 0.9


def test_uses_complete_rows_only():
    wide, _ = latent_factor_matrix(missing=0.05, seed=1)
    complete = wide.dropna()
    result = principal_components(wide)
    assert list(result.scores.index) == list(complete.index)
    assert result.n_models == len(complete) < len(wide)
    np.testing.assert_allclose(result.scores.to_numpy(), principal_components(complete).scores.to_numpy())


def test_scores_are_projections_of_the_standardised_data():
    wide, _ = latent_factor_matrix(seed=2)
    result = principal_components(wide)
    z = (wide - wide.mean()) / wide.std()
    np.testing.assert_allclose((z @ result.loadings).to_numpy(), result.scores.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(result.scores.var().to_numpy(), result.explained_variance.to_numpy())


def test_clear_errors_on_bad_input():
    wide, _ = latent_factor_matrix(n_models=20)
    with pytest.raises(EvalcorrError, match="n_components"):
        principal_components(wide, n_components=50)
    with pytest.raises(EvalcorrError, match="only 0 models have every one"):
        one_gap_per_row = np.zeros(wide.shape, dtype=bool)
        one_gap_per_row[np.arange(20), np.arange(20) % wide.shape[1]] = True
        principal_components(wide.mask(one_gap_per_row))
    constant = wide.assign(a_0=1.0)
    with pytest.raises(EvalcorrError, match="constant"):
        principal_components(constant)
