"""principal_components against numpy's eigendecomposition and sklearn's PCA, on synthetic data with a
known latent structure (tests/_synthetic.py).
"""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from evalcorr.errors import EvalcorrError
from evalcorr.stats.pca import complete_case_core, principal_components
from tests._synthetic import latent_factor_matrix


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


def test_variance_share_and_top_tasks():
    wide, families = latent_factor_matrix()
    result = principal_components(wide)
    ratios = result.explained_variance_ratio
    assert result.variance_share(1) == pytest.approx(ratios.iloc[0])
    assert result.variance_share(3) == pytest.approx(ratios.iloc[:3].sum())
    assert result.variance_share(len(ratios)) == pytest.approx(1.0)
    top = result.top_tasks("PC1", n=3)
    assert top == list(result.loadings["PC1"].nlargest(3).index)


def test_complete_case_core_drops_the_sparse_task_first():
    wide, _ = latent_factor_matrix(n_models=200, seed=3)
    wide["rare"] = np.where(np.arange(200) < 30, 1.0, np.nan)
    assert complete_case_core(wide) == [c for c in wide.columns if c != "rare"]
    assert complete_case_core(wide.drop(columns="rare")) == list(wide.columns[:-1])   # complete: all kept


def test_complete_case_core_keeps_tasks_while_complete_models_are_plentiful():
    wide, _ = latent_factor_matrix(n_models=1000, families=(("A", 10), ("B", 10)), seed=1)
    rng = np.random.default_rng(0)
    holes = wide.mask(rng.random(wide.shape) < 0.02)          # 2% of cells missing at random
    complete = holes.dropna().shape[0]                        # about 0.98^20 = 67% of the models
    assert complete >= 500 and complete_case_core(holes) == list(wide.columns)
    sparse = wide.mask(rng.random(wide.shape) < 0.06)         # 6%: about 29% complete, fewer than half
    core = complete_case_core(sparse, rows_per_task=20)
    assert len(core) < 20 and sparse[core].dropna().shape[0] >= min(500, 20 * len(core))
