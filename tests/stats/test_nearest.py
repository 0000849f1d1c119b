"""Detecting and repairing matrices that are not correlation matrices (Higham's known case)."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.stats.nearest import eigen_check, nearest_correlation, smallest_eigenvalue


def frame(values):
    names = [f"t{i}" for i in range(len(values))]
    return pd.DataFrame(np.asarray(values, dtype=float), index=names, columns=names)


def test_higham_2002_example():
    # Higham (2002), IMA J. Numer. Anal. 22, section 4: the nearest correlation matrix to the
    # tridiagonal matrix with 2 on the diagonal and -1 beside it (values printed to 4 decimals).
    a = frame([[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]])
    expected = np.array([[1.0000, -0.8084, 0.1916, 0.1068],
                         [-0.8084, 1.0000, -0.6562, 0.1916],
                         [0.1916, -0.6562, 1.0000, -0.8084],
                         [0.1068, 0.1916, -0.8084, 1.0000]])
    np.testing.assert_allclose(nearest_correlation(a).to_numpy(), expected, atol=5e-5)


def test_an_invalid_pairwise_matrix_is_detected_and_repaired():
    # r(a,b) = r(b,c) = 0.9 but r(a,c) = -0.9: no three variables have these correlations.
    bad = frame([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    check = eigen_check(bad)
    assert not check["psd"] and check["n_negative"] == 1 and check["smallest"] == pytest.approx(smallest_eigenvalue(bad))
    assert check["smallest"] == pytest.approx(np.linalg.eigvalsh(bad.to_numpy())[0])
    fixed = nearest_correlation(bad)
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    assert smallest_eigenvalue(fixed) > -1e-8
    # A valid matrix is its own nearest correlation matrix.
    good = frame([[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]])
    np.testing.assert_allclose(nearest_correlation(good).to_numpy(), good.to_numpy(), atol=1e-9)
    assert eigen_check(good)["psd"]


def test_nan_and_non_square_inputs_are_named():
    with pytest.raises(EvalcorrError, match="NaN"):
        nearest_correlation(frame([[1, np.nan], [np.nan, 1]]))
    with pytest.raises(EvalcorrError, match="square"):
        smallest_eigenvalue(pd.DataFrame([[1.0, 0.5]]))
