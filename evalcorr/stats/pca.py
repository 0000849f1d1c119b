"""Principal components of a models x tasks score matrix.

PCA here is the plain eigen-decomposition of the task covariance (or correlation, when standardised)
matrix over the models that have every task (complete rows): it describes the common factor that
partial correlations remove and that the factor analyses build on. Missing scores are never imputed.

Sign convention: each component is oriented so that the sum of its loadings is positive (ties broken by
the largest absolute loading), so PC1 is "better on most tasks" and results are deterministic.

>>> result = principal_components(wide)                  # doctest: +SKIP
>>> result.explained_variance_ratio["PC1"]               # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError


@dataclass(frozen=True)
class PCAResult:
    """Principal components of a wide score matrix, fitted on its complete rows.

    Attributes
    ----------
    scores : DataFrame
        models x PCs; the (standardised) centred data projected on the components. Only models with
        every task are present (the complete rows the PCA was fitted on).
    loadings : DataFrame
        tasks x PCs; unit-length eigenvectors (sklearn's ``components_.T``), so
        ``scores == z @ loadings`` where ``z`` is the centred (and scaled) data.
    explained_variance : Series
        eigenvalues (variance of each PC's scores, ddof=1), indexed by PC name.
    explained_variance_ratio : Series
        share of the total variance each PC explains, indexed by PC name.
    mean, scale : Series
        per-task mean and standard deviation (ddof=1; all ones when not standardised) used to
        centre and scale the data before the decomposition.
    """

    scores: pd.DataFrame
    loadings: pd.DataFrame
    explained_variance: pd.Series
    explained_variance_ratio: pd.Series
    mean: pd.Series
    scale: pd.Series

    @property
    def n_models(self) -> int:
        """Number of complete rows (models) the PCA was fitted on."""
        return len(self.scores)

    def variance_share(self, k: int = 1) -> float:
        """Share of the total variance carried by the first ``k`` components together."""
        return float(self.explained_variance_ratio.iloc[:k].sum())

    def top_tasks(self, component: str = "PC1", n: int = 2) -> list:
        """The ``n`` tasks with the largest (most positive) loadings on ``component``, largest first."""
        return list(self.loadings[component].sort_values(ascending=False).index[:n])


def complete_rows(wide: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``wide`` with no missing value, as float."""
    return wide.astype(float).dropna(axis=0, how="any")


def complete_case_core(wide: pd.DataFrame, min_share: float = 0.5, rows_per_task: float = 2.0,
                       min_rows: int = 50, min_tasks: int = 2) -> list:
    """The tasks kept for complete-case analyses (PCA, factors): the sparsest task is dropped, one at a
    time, until enough models have every remaining task, or only ``min_tasks`` are left.

    Enough is ``min_share`` of the models, or ``rows_per_task`` models per remaining task (at least
    ``min_rows``) if that is fewer: a large table where most models miss some score keeps most of its
    tasks as long as there are twice as many complete models as tasks, while a task that few models
    have is dropped first.

    Returns
    -------
    list
        the kept tasks, in the order of ``wide.columns`` (all of them for a complete table).
    """
    present = wide.notna().to_numpy()
    keep = np.ones(present.shape[1], dtype=bool)
    n_models = present.any(axis=1).sum()

    def enough() -> bool:
        target = min(min_share * n_models, max(min_rows, rows_per_task * keep.sum()))
        return present[:, keep].all(axis=1).sum() >= target

    while keep.sum() > min_tasks and not enough():
        counts = np.where(keep, present.sum(axis=0), np.iinfo(np.int64).max)
        keep[int(np.argmin(counts))] = False
    return [task for task, kept in zip(wide.columns, keep) if kept]


def orient_columns(vectors: np.ndarray) -> np.ndarray:
    """Flip each column so its sum is positive (ties: its largest absolute entry positive)."""
    sums = vectors.sum(axis=0)
    peak = vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])]
    tie = np.isclose(sums, 0.0, atol=1e-12)
    signs = np.where(tie, np.sign(peak), np.sign(sums))
    signs[signs == 0] = 1.0
    return vectors * signs


def principal_components(wide: pd.DataFrame, n_components: int | None = None,
                         standardize: bool = True) -> PCAResult:
    """Principal components of a models x tasks matrix, on its complete rows.

    Parameters
    ----------
    wide : DataFrame
        models (index) x tasks (columns), NaN where a score is missing. Rows with any NaN are
        dropped before fitting (complete-case PCA); drop sparse tasks first if that loses too many.
    n_components : int, optional
        number of components to keep (default: min(n_models - 1, n_tasks)).
    standardize : bool
        scale each task to unit variance first (PCA of the correlation matrix, the default) or
        only centre it (PCA of the covariance matrix).

    Returns
    -------
    PCAResult
        scores (models x PCs), loadings (tasks x PCs), explained variance and its ratio.

    Raises
    ------
    EvalcorrError
        fewer than 3 complete rows, fewer than 2 tasks, a constant task when standardising, or an
        ``n_components`` out of range.
    """
    data = complete_rows(wide)
    n, k = data.shape
    if k < 2:
        raise EvalcorrError(f"principal_components: `wide` needs at least 2 task columns, got {k}")
    if n < 3:
        raise EvalcorrError(
            f"principal_components: only {n} models have every one of the {k} tasks; "
            "drop sparse tasks (e.g. load_wide(..., min_models=...)) before the PCA")
    max_components = min(n - 1, k)
    if n_components is None:
        n_components = max_components
    if not 1 <= n_components <= max_components:
        raise EvalcorrError(
            f"principal_components: n_components must be between 1 and {max_components}, got {n_components}")

    x = data.to_numpy()
    mean = x.mean(axis=0)
    scale = x.std(axis=0, ddof=1) if standardize else np.ones(k)
    if standardize and np.any(scale == 0):
        constant = list(data.columns[scale == 0])
        raise EvalcorrError(
            f"principal_components: tasks {constant} are constant over the complete rows; drop them "
            "or call with standardize=False")
    z = (x - mean) / scale
    # SVD of the centred data: right singular vectors are the eigenvectors of the covariance.
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    eigenvalues = singular**2 / (n - 1)
    vectors = orient_columns(vt.T[:, :n_components])
    names = [f"PC{i + 1}" for i in range(n_components)]

    loadings = pd.DataFrame(vectors, index=data.columns, columns=names)
    scores = pd.DataFrame(z @ vectors, index=data.index, columns=names)
    variance = pd.Series(eigenvalues[:n_components], index=names, name="explained_variance")
    ratio = pd.Series(eigenvalues[:n_components] / eigenvalues.sum(), index=names,
                      name="explained_variance_ratio")
    return PCAResult(
        scores=scores,
        loadings=loadings,
        explained_variance=variance,
        explained_variance_ratio=ratio,
        mean=pd.Series(mean, index=data.columns, name="mean"),
        scale=pd.Series(scale, index=data.columns, name="scale"),
    )
