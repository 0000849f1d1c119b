"""Partial correlation matrices and factor loadings of a resampled complete table, from its moments.

A cluster-bootstrap resample repeats rows: model ``i`` appears ``counts[i]`` times. Building that table
and running :func:`evalcorr.stats.partial.partial_correlation_matrix` on it costs milliseconds of
pandas work per control; for a *complete* table (no missing score) everything those matrices depend on
is in the resample's weighted means and covariances, which one small matrix product gives.

Each control computed from the tasks is a linear combination ``c = z @ w`` of the standardised tasks
``z``, so its partial correlations follow from the correlation matrix ``C`` alone: the residual
covariance of ``z`` after regressing on ``c`` is ``C - (C w)(C w)' / (w' C w)``, normalised to unit
diagonal. The weights are

- ``pc1``: the first eigenvector of ``C`` (the first principal component's loadings);
- ``mean``: each task's standard deviation (the mean of the raw scores, up to a constant);
- ``family-means``: ``1 / (number of families x tasks of the task's family)`` (standardised scores);
- ``general-factor:K``: ``C^-1 g``, the regression weights of the Schmid-Leiman general factor of ``C``.

``log-params`` is a covariate: it joins the covariance matrix as one more column (over the models
that have it). ``None`` is ``C`` itself. Scaling a control changes no partial correlation, so the
conventions of each control's scale (ddof, sign) do not matter.

``tests/stats/test_weighted.py`` checks every control against the table of repeated rows.

>>> moments = ResampledMoments(values, counts)                       # doctest: +SKIP
>>> moments.partial("pc1")                                          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from evalcorr.errors import EvalcorrError
from evalcorr.stats.factors import rotated_loadings
from evalcorr.stats.hierarchical import schmid_leiman_matrix

CONTROLS = (None, "pc1", "mean", "family-means", "general-factor:K", "log-params")


def _normalised(cov: np.ndarray) -> np.ndarray:
    scale = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / np.outer(scale, scale)


def _moments(values: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Total weight and covariance (denominator n - 1) of the rows of ``values`` under ``weights``."""
    n = float(weights.sum())
    centred = values - (weights @ values) / n
    return n, (centred * weights[:, None]).T @ centred / (n - 1)


class ResampledMoments:
    """The moments of a complete models x tasks table whose model ``i`` is counted ``counts[i]`` times.

    Parameters
    ----------
    values : ndarray (models x tasks)
        scores, no NaN.
    counts : ndarray (models,)
        each model's multiplicity (a bootstrap resample's counts; ones for the table itself).
    families : array-like, optional
        each task's family, for ``family-means``.
    covariate : ndarray (models,), optional
        log10 parameter count per model (NaN where unknown), for ``log-params``.
    min_periods : int
        fewer rows than this (counted with their multiplicity) is an error, as for the table itself.
    """

    def __init__(self, values: np.ndarray, counts: np.ndarray, families=None, covariate: np.ndarray | None = None,
                 min_periods: int = 30):
        self.values = np.asarray(values, dtype=float)
        if np.isnan(self.values).any():
            raise EvalcorrError("resampled moments need a complete table (no missing score)")
        self.counts = np.asarray(counts, dtype=float)
        self.families = None if families is None else np.asarray(families)
        self.covariate = covariate
        self.min_periods = min_periods
        self.n, self.cov = _moments(self.values, self.counts)
        if self.n < min_periods:
            raise EvalcorrError(f"the resample has {self.n:.0f} models, fewer than min_periods={min_periods}")
        self.corr = _normalised(self.cov)

    def partial(self, control: str | None) -> np.ndarray:
        """The tasks x tasks partial correlation matrix under ``control`` (one of :data:`CONTROLS`)."""
        if control is None:
            return self.corr
        if control == "log-params":
            return self._covariate_partial()
        weights = self.control_weights(control)
        shared = self.corr @ weights
        variance = float(weights @ shared)
        if not variance > 0:
            raise EvalcorrError(f"control={control!r} is constant over the resample; nothing to partial out")
        return _normalised(self.corr - np.outer(shared, shared) / variance)

    def control_weights(self, control: str) -> np.ndarray:
        """The weights ``w`` of the standardised tasks whose combination is the control."""
        kind, _, argument = control.partition(":")
        if control == "pc1":
            return np.linalg.eigh(self.corr)[1][:, -1]
        if control == "mean":
            return np.sqrt(np.diag(self.cov))
        if control == "family-means":
            if self.families is None:
                raise EvalcorrError("control 'family-means' needs `families`")
            labels, codes, sizes = np.unique(self.families, return_inverse=True, return_counts=True)
            return 1.0 / (len(labels) * sizes[codes])
        if kind == "general-factor" and argument.isdigit():
            if not 1 <= int(argument) < len(self.corr):
                raise EvalcorrError(f"control {control!r}: the number of factors must be between 1 and "
                                    f"{len(self.corr) - 1} (the tasks less one)")
            general = schmid_leiman_matrix(self.corr, int(argument))[0]
            return np.linalg.solve(self.corr, general)
        raise EvalcorrError(f"control {control!r} is not computed from moments; use one of "
                            f"{', '.join(map(str, CONTROLS))} (K a number)")

    def _covariate_partial(self) -> np.ndarray:
        if self.covariate is None:
            raise EvalcorrError("control='log-params' needs `covariate` (log10 params per model)")
        known = np.isfinite(self.covariate)
        n, cov = _moments(np.column_stack([self.values[known], self.covariate[known]]), self.counts[known])
        if n < self.min_periods:
            raise EvalcorrError(f"control 'log-params' is known for {n:.0f} models, fewer than "
                                f"min_periods={self.min_periods}")
        if not cov[-1, -1] > 0:
            raise EvalcorrError("control 'log-params' is constant over the resample; nothing to partial out")
        return _normalised(cov[:-1, :-1] - np.outer(cov[:-1, -1], cov[:-1, -1]) / cov[-1, -1])

    def factor_loadings(self, n_factors: int) -> np.ndarray:
        """:func:`evalcorr.stats.factors.factor_loadings` (varimax-rotated principal-component loadings)."""
        values, vectors = np.linalg.eigh(self.corr)
        values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
        return rotated_loadings(vectors, values)
