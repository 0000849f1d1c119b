"""Matrices that should be correlation matrices but are not: detect, and repair.

A pairwise-complete correlation matrix (each coefficient over the models that have both tasks) need
not be positive semidefinite: when tasks are scored on different sets of models, no single data set
has all of those correlations. Such a matrix has negative eigenvalues; methods that assume a
correlation matrix (a PCA, a factor model, some clusterings) then rest on an impossible input.

:func:`smallest_eigenvalue` detects it; :func:`nearest_correlation` repairs it with Higham's (2002)
alternating projections with Dykstra's correction: the nearest (Frobenius norm) matrix with unit
diagonal that is positive semidefinite. The alternative is the complete-case matrix (the models
with every task), which is a correlation matrix by construction but uses fewer models.

>>> smallest_eigenvalue(corr)                  # doctest: +SKIP
>>> valid = nearest_correlation(corr)          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError


def _square(corr: pd.DataFrame) -> np.ndarray:
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    r = corr.to_numpy(dtype=float)
    if np.isnan(r).any():
        raise EvalcorrError("`corr` has NaN entries; drop tasks with too few models (or lower min_periods) first")
    return (r + r.T) / 2.0


def smallest_eigenvalue(corr: pd.DataFrame) -> float:
    """The smallest eigenvalue of a symmetric matrix: negative when it is not a correlation matrix."""
    return float(np.linalg.eigvalsh(_square(corr))[0])


def eigen_check(corr: pd.DataFrame, tol: float = 1e-10) -> dict:
    """Whether ``corr`` is positive semidefinite: smallest eigenvalue, number and sum of the negative ones.

    Returns
    -------
    dict
        smallest (eigenvalue), n_negative (eigenvalues below ``-tol``), negative_mass (sum of their
        absolute values), n_tasks, psd (no eigenvalue below ``-tol``).
    """
    values = np.linalg.eigvalsh(_square(corr))
    negative = values[values < -tol]
    return {"smallest": float(values[0]), "n_negative": int(len(negative)),
            "negative_mass": float(-negative.sum()), "n_tasks": len(values), "psd": bool(len(negative) == 0)}


def nearest_correlation(corr: pd.DataFrame, tol: float = 1e-9, max_iter: int = 10_000) -> pd.DataFrame:
    """The nearest correlation matrix in the Frobenius norm (Higham 2002, unweighted).

    Alternating projections onto the positive semidefinite matrices and onto the symmetric matrices
    with unit diagonal, with Dykstra's correction on the first. A matrix that is already a
    correlation matrix comes back unchanged (up to ``tol``).

    Parameters
    ----------
    corr : DataFrame
        square, symmetric, no NaN.
    tol : float
        stop when successive iterates change by less than ``tol`` (relative Frobenius norm).
    max_iter : int
        the most iterations; not converging raises an error.

    Returns
    -------
    DataFrame
        same labels as ``corr``; unit diagonal, smallest eigenvalue >= -1e-8 (round-off).
    """
    a = _square(corr)
    y = a.copy()
    correction = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x = (vectors * np.clip(values, 0.0, None)) @ vectors.T          # projection onto the PSD cone
        correction = x - r
        previous = y
        y = x.copy()
        np.fill_diagonal(y, 1.0)                                         # projection onto unit diagonal
        if np.linalg.norm(y - previous) <= tol * np.linalg.norm(y) and np.linalg.norm(y - x) <= tol * np.linalg.norm(y):
            break
    else:
        raise EvalcorrError(f"nearest_correlation did not converge in {max_iter} iterations; raise max_iter")
    y = (y + y.T) / 2.0
    return pd.DataFrame(y, index=corr.index.copy(), columns=corr.columns.copy())
