"""A hierarchical factor model: the Schmid-Leiman general factor of a models x tasks score matrix.

The first principal component mixes a general factor with whatever group of tasks dominates the
battery (on the leaderboard, 24 of 39 tasks are BBH). A hierarchical model separates the two:

1. **first-order factors**: iterated principal-axis factoring of the task correlation matrix
   (:func:`principal_axis`) into ``n_factors`` factors, rotated obliquely by direct quartimin
   (:func:`oblimin`, the gradient-projection algorithm of Bernaards & Jennrich 2005), which lets the
   factors correlate (factor correlation matrix ``phi``);
2. **second order**: one factor behind the first-order factors, from ``phi`` (principal-axis
   factoring of ``phi``; with two factors both load ``sqrt(phi_12)``, as in R's psych);
3. **Schmid-Leiman transformation** (Schmid & Leiman 1957): each task's loading on the general factor
   is its first-order pattern times the second-order loadings, ``g = L @ gamma``; its loading on
   group factor j is ``L_j * sqrt(1 - gamma_j**2)``. The general factor is orthogonal to the groups.

:func:`general_factor_scores` gives each model's score on the general factor by the regression
(Thurstone) method, ``Z @ R^-1 @ g``, for use as a control variable
(:func:`evalcorr.stats.partial.partial_correlation_matrix` with ``control="general-factor"``).
``omega_h`` (hierarchical omega, McDonald 1999) is the share of the variance of the unit-weighted sum
of the tasks that the general factor explains.

>>> model = schmid_leiman(wide, n_factors=4)          # doctest: +SKIP
>>> model.loadings["general"]                         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.factors import varimax
from evalcorr.stats.pca import complete_rows


def principal_axis(corr: np.ndarray, n_factors: int, max_iter: int = 1000, tol: float = 1e-10) -> np.ndarray:
    """Iterated principal-axis factor loadings (variables x factors) of a correlation matrix.

    Communalities start at the squared multiple correlations and are re-estimated from the loadings
    until they change by less than ``tol``; a communality is capped just below 1 (a Heywood case).
    """
    r = np.asarray(corr, dtype=float)
    k = len(r)
    try:
        h = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h = np.full(k, 0.5)
    h = np.clip(h, 0.0, 0.995)
    reduced = r.copy()
    diagonal = np.arange(k)
    # A bootstrap runs this loop hundreds of times per resample: plain ufuncs (np.clip's wrapper costs
    # as much as the arithmetic on a small matrix), the same numbers.
    for _ in range(max_iter):
        reduced[diagonal, diagonal] = h
        values, vectors = np.linalg.eigh(reduced)
        values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
        loadings = vectors * np.sqrt(np.maximum(values, 0.0))
        new = np.minimum(np.maximum((loadings**2).sum(axis=1), 0.0), 0.995)
        if np.max(np.abs(new - h)) < tol:
            h = new
            break
        h = new
    return loadings


def _quartimin(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    """Direct quartimin criterion and its gradient: sum over factor pairs of the products of squared loadings."""
    squared = loadings**2
    k = loadings.shape[1]
    cross = squared @ (np.ones((k, k)) - np.eye(k))
    return float((squared * cross).sum() / 4.0), loadings * cross


def oblimin(loadings: np.ndarray, max_iter: int = 5000, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Direct quartimin (oblimin, gamma = 0) rotation by gradient projection (Bernaards & Jennrich 2005).

    Parameters
    ----------
    loadings : ndarray (variables x factors)
        unrotated (or orthogonally rotated) loadings.
    max_iter, tol :
        stop when the norm of the projected gradient falls below ``tol``.

    Returns
    -------
    pattern, phi
        the rotated pattern matrix and the factor correlation matrix, ``pattern @ phi @ pattern.T ==
        loadings @ loadings.T``.
    """
    a = np.asarray(loadings, dtype=float)
    k = a.shape[1]
    if k == 1:
        return a.copy(), np.ones((1, 1))
    t = np.eye(k)
    pattern = a @ np.linalg.inv(t).T
    f, gq = _quartimin(pattern)
    gradient = -(pattern.T @ gq @ np.linalg.inv(t)).T
    step = 1.0
    for _ in range(max_iter):
        projected = gradient - t @ np.diag((t * gradient).sum(axis=0))
        size = np.linalg.norm(projected)
        if size < tol:
            break
        step *= 2.0
        for _ in range(20):
            x = t - step * projected
            candidate = x / np.sqrt((x**2).sum(axis=0))
            trial = a @ np.linalg.inv(candidate).T
            f_trial, gq = _quartimin(trial)
            if f_trial < f - 0.5 * size**2 * step:
                break
            step /= 2.0
        else:
            break           # no step decreases the criterion any more: converged to rounding
        t, pattern, f = candidate, trial, f_trial
        gradient = -(pattern.T @ gq @ np.linalg.inv(t)).T
    return pattern, t.T @ t


@dataclass(frozen=True)
class SchmidLeiman:
    """A Schmid-Leiman solution (:func:`schmid_leiman`).

    Attributes
    ----------
    loadings : DataFrame
        tasks x (``general``, ``G1`` .. ``Gk``): loadings on the general factor and on the residualised
        group factors (orthogonal to it and to each other).
    pattern : DataFrame
        tasks x ``F1`` .. ``Fk``: the oblique first-order pattern.
    phi : DataFrame
        correlations of the first-order factors.
    second_order : Series
        loadings of the first-order factors on the general factor (gamma).
    omega_h : float
        hierarchical omega: ``sum(general)**2 / sum(R)``.
    explained_general : float
        share of the total standardised variance carried by the general factor (mean squared loading).
    n_models : int
        models behind the correlation matrix (complete rows), or 0 when a matrix was given.
    """

    loadings: pd.DataFrame
    pattern: pd.DataFrame
    phi: pd.DataFrame
    second_order: pd.Series
    omega_h: float
    explained_general: float
    n_models: int


def _second_order(phi: np.ndarray) -> np.ndarray:
    """Loadings of the first-order factors on one second-order factor."""
    k = len(phi)
    if k == 1:
        return np.ones(1)
    if k == 2:
        return np.full(2, np.sqrt(max(phi[0, 1], 0.0)))
    gamma = principal_axis(phi, 1)[:, 0]
    return gamma * (1.0 if gamma.sum() >= 0 else -1.0)


def schmid_leiman_matrix(r: np.ndarray, n_factors: int) -> tuple[np.ndarray, ...]:
    """The Schmid-Leiman solution of a correlation array, unchecked: (general, groups, pattern, phi, gamma)
    (:func:`schmid_leiman_corr` checks its input and labels these; a bootstrap calls this directly)."""
    unrotated = principal_axis(r, n_factors)
    start = varimax(unrotated)[0] if n_factors > 1 else unrotated
    pattern, phi = oblimin(start)
    # Orient each factor so its pattern sums positive (flipping a factor flips its correlations too).
    signs = np.where(pattern.sum(axis=0) >= 0, 1.0, -1.0)
    pattern, phi = pattern * signs, phi * np.outer(signs, signs)
    order = np.argsort(-(pattern**2).sum(axis=0), kind="stable")
    pattern, phi = pattern[:, order], phi[np.ix_(order, order)]
    gamma = _second_order(phi)
    general = pattern @ gamma
    groups = pattern * np.sqrt(np.clip(1.0 - gamma**2, 0.0, None))
    return general, groups, pattern, phi, gamma


# Many small decompositions: BLAS threads only add synchronisation (see factors.parallel_analysis).
@one_blas_thread
def schmid_leiman_corr(corr: pd.DataFrame, n_factors: int, n_models: int = 0) -> SchmidLeiman:
    """The Schmid-Leiman solution of a task correlation matrix (module docstring).

    Parameters
    ----------
    corr : DataFrame
        square task x task correlation matrix without NaN (positive definite for the regression scores).
    n_factors : int
        first-order factors (e.g. ``parallel_analysis(wide).n_factors``); at least 1, fewer than the tasks.
    n_models : int
        recorded in the result.
    """
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    r = corr.to_numpy(dtype=float)
    if np.isnan(r).any():
        raise EvalcorrError("`corr` has NaN entries; drop tasks with too few models before the factor model")
    k = len(r)
    if not (isinstance(n_factors, (int, np.integer)) and 1 <= n_factors < k):
        raise EvalcorrError(f"`n_factors` must be an integer between 1 and {k - 1} (the tasks less one), got {n_factors!r}")
    general, groups, pattern, phi, gamma = schmid_leiman_matrix(r, int(n_factors))
    names = [f"F{i + 1}" for i in range(n_factors)]
    loadings = pd.DataFrame(np.column_stack([general, groups]), index=corr.index.copy(),
                            columns=["general", *[f"G{i + 1}" for i in range(n_factors)]])
    return SchmidLeiman(
        loadings=loadings,
        pattern=pd.DataFrame(pattern, index=corr.index.copy(), columns=names),
        phi=pd.DataFrame(phi, index=names, columns=names),
        second_order=pd.Series(gamma, index=names, name="general"),
        omega_h=float(general.sum() ** 2 / r.sum()),
        explained_general=float((general**2).mean()),
        n_models=int(n_models),
    )


def schmid_leiman(wide: pd.DataFrame, n_factors: int) -> SchmidLeiman:
    """The Schmid-Leiman solution of the correlation matrix of the complete rows of ``wide``."""
    data = complete_rows(wide)
    if len(data) < 3:
        raise EvalcorrError(f"schmid_leiman: only {len(data)} models have every task; drop sparse tasks first")
    return schmid_leiman_corr(data.corr(), n_factors, n_models=len(data))


def general_factor_scores(wide: pd.DataFrame, n_factors: int) -> pd.Series:
    """Each model's score on the Schmid-Leiman general factor (regression method), complete rows only.

    Returns
    -------
    Series
        indexed like ``wide`` (NaN for models missing a task), named ``general_factor``; the scale is
        that of the regression estimate (unit loadings sum), its sign such that higher is better on most tasks.
    """
    data = complete_rows(wide)
    model = schmid_leiman(data, n_factors)
    z = (data - data.mean()) / data.std(ddof=1)
    weights = np.linalg.solve(data.corr().to_numpy(), model.loadings["general"].to_numpy())
    return pd.Series(z.to_numpy() @ weights, index=data.index, name="general_factor").reindex(wide.index)
