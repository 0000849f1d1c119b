"""Factor structure of a models x tasks score matrix.

Built on the principal components of :func:`evalcorr.stats.pca.principal_components` (complete rows,
correlation matrix by default):

- :func:`scree`: the variance of each component;
- :func:`parallel_analysis`: Horn's rule for the number of factors, keeping the leading components
  whose eigenvalue exceeds the chosen quantile of the eigenvalues of random normal data of the same
  shape;
- :func:`factor_loadings`: principal-component loadings (task-component correlations) of the first k
  components, rotated by :func:`varimax`;
- :func:`bootstrap_congruence`: the stability of those loadings when models are resampled, measured by
  Tucker's congruence coefficient after matching and sign-aligning the factors.

>>> pa = parallel_analysis(wide)                          # doctest: +SKIP
>>> loadings = factor_loadings(wide, pa.n_factors)         # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.pca import complete_rows, orient_columns, principal_components
from evalcorr.stats.results_store import stored


def scree(wide: pd.DataFrame, standardize: bool = True) -> pd.DataFrame:
    """The variance of each principal component of ``wide`` (complete rows).

    Returns
    -------
    DataFrame
        one row per component: ``component`` (1-based), ``eigenvalue``, ``variance_ratio``,
        ``cumulative`` (running sum of the ratio) and ``n`` (models used).
    """
    pca = principal_components(wide, standardize=standardize)
    ratio = pca.explained_variance_ratio.to_numpy()
    return pd.DataFrame({
        "component": np.arange(1, len(ratio) + 1),
        "eigenvalue": pca.explained_variance.to_numpy(),
        "variance_ratio": ratio,
        "cumulative": np.cumsum(ratio),
        "n": pca.n_models,
    })


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis.

    Attributes
    ----------
    table : DataFrame
        one row per component: ``component``, ``observed`` eigenvalue, ``random_mean`` and
        ``random_quantile`` (the threshold) of the random-data eigenvalues, ``retained``.
    n_factors : int
        number of leading components whose observed eigenvalue exceeds the threshold.
    n_models, n_tasks, n_iter, quantile, seed :
        the shape of the complete-case data and the settings.
    """

    table: pd.DataFrame
    n_factors: int
    n_models: int
    n_tasks: int
    n_iter: int
    quantile: float
    seed: int


@stored
def parallel_analysis(wide: pd.DataFrame, n_iter: int = 100, quantile: float = 0.95,
                      seed: int = 0) -> ParallelAnalysis:
    """Number of factors by Horn's parallel analysis on the correlation matrix.

    Each component is compared with the ``quantile`` of the same-rank eigenvalue over ``n_iter``
    matrices of independent standard normal data with the shape of the complete rows of ``wide``.
    The retained factors are the leading components that beat it (counting stops at the first that
    does not).

    Parameters
    ----------
    wide : DataFrame
        models x tasks; rows with a missing score are dropped.
    n_iter : int
        number of random data sets.
    quantile : float
        the quantile of the random eigenvalues used as threshold (0.95 is Glorfeld's variant).
    seed : int
        seed of the random data.
    """
    if not 0 < quantile < 1:
        raise EvalcorrError(f"parallel_analysis: `quantile` must be in (0, 1), got {quantile}")
    if n_iter < 1:
        raise EvalcorrError(f"parallel_analysis: `n_iter` must be >= 1, got {n_iter}")
    observed = scree(wide)
    n, k = int(observed["n"].iloc[0]), int(len(complete_rows(wide).columns))
    rng = np.random.default_rng(seed)
    # The eigenvalues of each random data set's correlation matrix (those of its principal components,
    # largest first), for batches of data sets at once. Many small decompositions: BLAS threads only add
    # synchronisation (on a busy 2-core machine they made this loop over 10x slower), so one thread.
    random = np.empty((n_iter, k))
    per_batch = max(1, 4_000_000 // (n * k))
    with one_blas_thread:
        for start in range(0, n_iter, per_batch):
            size = min(per_batch, n_iter - start)
            x = rng.standard_normal((size, n, k))     # the same draws as one (n, k) data set at a time
            x -= x.mean(axis=1, keepdims=True)
            # the correlations from the cross-products, scaled by their diagonal: the same numbers as
            # standardising the data first, without a pass over it for the standard deviations
            cross = np.matmul(np.swapaxes(x, 1, 2), x)
            scale = 1 / np.sqrt(np.diagonal(cross, axis1=1, axis2=2))
            corr = cross * scale[:, :, None] * scale[:, None, :]
            random[start:start + size] = np.linalg.eigvalsh(corr)[:, ::-1]
    m = len(observed)
    threshold = np.quantile(random[:, :m], quantile, axis=0)
    above = observed["eigenvalue"].to_numpy() > threshold
    n_factors = int(np.argmin(above)) if not above.all() else m
    table = pd.DataFrame({
        "component": observed["component"],
        "observed": observed["eigenvalue"],
        "random_mean": random[:, :m].mean(axis=0),
        "random_quantile": threshold,
        "retained": np.arange(m) < n_factors,
    })
    return ParallelAnalysis(table=table, n_factors=n_factors, n_models=n, n_tasks=k, n_iter=n_iter,
                            quantile=quantile, seed=seed)


def factor_count_stability(wide: pd.DataFrame, parallel: ParallelAnalysis, n_boot: int = 200,
                           seed: int = 0) -> pd.DataFrame:
    """How often parallel analysis retains each number of factors when models are resampled.

    A bootstrap resample repeats some models and leaves others out, which spreads the eigenvalues of
    its correlation matrix more than those of fresh data of the same size. Each resample is therefore
    compared with thresholds from random data resampled the same way: the ``parallel.quantile`` of the
    eigenvalues of ``parallel.n_iter`` bootstrap resamples of random normal data of the table's shape.
    Under pure noise the count is then 0 in about 95% of the resamples, as in parallel analysis itself.
    Resamples in which a task is constant are skipped.

    Returns
    -------
    DataFrame
        one row per number of factors found at least once: ``n_factors``, ``count``, ``share`` (of the
        valid resamples), sorted by ``n_factors``.
    """
    if n_boot < 1:
        raise EvalcorrError(f"factor_count_stability: `n_boot` must be >= 1, got {n_boot}")
    values = complete_rows(wide).to_numpy()
    n, k = values.shape
    if n < 3:
        raise EvalcorrError(f"factor_count_stability: {n} models have every score; a bootstrap needs at least 3")
    m = len(parallel.table)
    rng = np.random.default_rng(seed)

    def eigenvalues(sample):
        return np.linalg.eigvalsh(np.corrcoef(sample, rowvar=False))[::-1][:m]

    def resample():
        # a resample of a tiny table can repeat a single model: every column constant, no correlation
        while len(np.unique(rows := rng.integers(0, n, size=n))) < 2:
            pass
        return rows

    with one_blas_thread:  # small decompositions: see parallel_analysis
        null = np.stack([eigenvalues(rng.standard_normal((n, k))[resample()]) for _ in range(parallel.n_iter)])
        threshold = np.quantile(null, parallel.quantile, axis=0)
        counts = []
        for _ in range(n_boot):
            sample = values[rng.integers(0, n, size=n)]
            if (sample.std(axis=0) == 0).any():
                continue
            above = eigenvalues(sample) > threshold
            counts.append(m if above.all() else int(np.argmin(above)))
    if not counts:
        raise EvalcorrError("factor_count_stability: every resample had a constant task; the table has too "
                            "few distinct scores for a bootstrap")
    found = pd.Series(counts).value_counts().sort_index()
    return pd.DataFrame({"n_factors": found.index.astype(int), "count": found.to_numpy(),
                         "share": found.to_numpy() / len(counts)})


def varimax_criterion(loadings) -> float:
    """Kaiser's varimax criterion: the summed (over factors) variance of the squared loadings."""
    squared = np.asarray(loadings, dtype=float) ** 2
    return float(squared.var(axis=0).sum())


def varimax(loadings, normalize: bool = False, max_iter: int = 500, tol: float = 1e-8):
    """Varimax rotation of a loadings matrix (Kaiser 1958, the SVD algorithm).

    Parameters
    ----------
    loadings : array-like or DataFrame
        variables x factors.
    normalize : bool
        Kaiser normalisation: rotate the rows scaled to unit length, then scale back (R's default).
    max_iter, tol :
        stop when the relative increase of the criterion falls below ``tol``.

    Returns
    -------
    rotated, rotation
        the rotated loadings (a DataFrame when the input is one) and the orthogonal rotation matrix,
        with ``rotated == loadings @ rotation`` (before normalisation is undone).
    """
    a = np.asarray(loadings, dtype=float)
    p, k = a.shape
    norms = np.sqrt((a**2).sum(axis=1, keepdims=True)) if normalize else np.ones((p, 1))
    norms[norms == 0] = 1.0
    x = a / norms
    rotation = np.eye(k)
    objective = 0.0
    for _ in range(max_iter):
        lam = x @ rotation
        u, s, vt = np.linalg.svd(x.T @ (lam**3 - lam @ np.diag((lam**2).sum(axis=0)) / p))
        rotation = u @ vt
        previous, objective = objective, s.sum()
        if previous != 0 and objective < previous * (1 + tol):
            break
    rotated = (x @ rotation) * norms
    if isinstance(loadings, pd.DataFrame):
        rotated = pd.DataFrame(rotated, index=loadings.index, columns=loadings.columns)
    return rotated, rotation


def factor_loadings(wide: pd.DataFrame, n_factors: int, rotation: str | None = "varimax") -> pd.DataFrame:
    """Principal-component factor loadings of the first ``n_factors`` components, rotated.

    The unrotated loadings are the correlations of each task with each component (eigenvector times
    the square root of its eigenvalue). After rotation, factors are ordered by the variance they
    carry (sum of squared loadings) and each is signed so that its loadings sum to a positive number.

    Parameters
    ----------
    wide : DataFrame
        models x tasks; complete rows are used.
    n_factors : int
        number of factors to keep (e.g. ``parallel_analysis(wide).n_factors``).
    rotation : {"varimax", None}
        the rotation; None keeps the principal-component loadings.

    Returns
    -------
    DataFrame
        tasks x factors ``F1..Fk``.
    """
    if rotation not in ("varimax", None):
        raise EvalcorrError(f"factor_loadings: `rotation` must be 'varimax' or None, got {rotation!r}")
    if n_factors < 1:
        raise EvalcorrError(f"factor_loadings: `n_factors` must be >= 1, got {n_factors}")
    pca = principal_components(wide, n_components=n_factors)
    loadings = rotated_loadings(pca.loadings.to_numpy(), pca.explained_variance.to_numpy(), rotation)
    return pd.DataFrame(loadings, index=pca.loadings.index, columns=[f"F{i + 1}" for i in range(n_factors)])


def rotated_loadings(vectors: np.ndarray, eigenvalues: np.ndarray, rotation: str | None = "varimax") -> np.ndarray:
    """:func:`factor_loadings` from the leading eigenvectors and eigenvalues of the correlation matrix:
    the eigenvectors are oriented (:func:`evalcorr.stats.pca.orient_columns`), scaled to loadings,
    rotated, ordered by the variance they carry and signed to sum positive."""
    raw = orient_columns(vectors) * np.sqrt(eigenvalues)
    rotated = varimax(raw)[0] if rotation == "varimax" and raw.shape[1] > 1 else raw
    order = np.argsort(-(rotated**2).sum(axis=0), kind="stable")
    rotated = rotated[:, order]
    signs = np.sign(rotated.sum(axis=0))
    signs[signs == 0] = 1.0
    return rotated * signs


def factor_variance(loadings: pd.DataFrame) -> pd.Series:
    """Share of the total standardised variance each factor carries (sum of squared loadings / tasks)."""
    return (loadings**2).sum(axis=0) / len(loadings)


def top_loadings(loadings: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The ``k`` tasks with the largest absolute loading on each factor.

    Returns
    -------
    DataFrame
        factor, rank (1 = largest), task, loading; factors in column order.
    """
    rows = []
    for factor in loadings.columns:
        column = loadings[factor]
        for rank, task in enumerate(column.abs().sort_values(ascending=False, kind="stable").index[:k], 1):
            rows.append((factor, rank, task, float(column[task])))
    return pd.DataFrame(rows, columns=["factor", "rank", "task", "loading"])


def tucker_congruence(a, b) -> np.ndarray:
    """Tucker's congruence coefficient between every column of ``a`` and every column of ``b``.

    ``phi(x, y) = sum(x * y) / sqrt(sum(x^2) * sum(y^2))``; returns an (a columns x b columns) array.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return (a.T @ b) / np.sqrt(np.outer((a**2).sum(axis=0), (b**2).sum(axis=0)))


def match_factors(reference, candidate) -> tuple[np.ndarray, np.ndarray]:
    """Match the factors of ``candidate`` to those of ``reference`` and align their signs.

    The assignment maximises the total absolute congruence (Hungarian algorithm); a matched factor
    whose congruence is negative is flipped.

    Returns
    -------
    aligned, congruence
        ``candidate``'s columns reordered and sign-flipped to follow ``reference``, and the
        congruence of each reference factor with its match (non-negative).
    """
    phi = tucker_congruence(reference, candidate)
    rows, cols = linear_sum_assignment(-np.abs(phi))
    signs = np.sign(phi[rows, cols])
    signs[signs == 0] = 1.0
    aligned = np.asarray(candidate, dtype=float)[:, cols] * signs
    return aligned, np.abs(phi[rows, cols])


def bootstrap_congruence(wide: pd.DataFrame, n_factors: int, n_boot: int = 200, seed: int = 0,
                         rotation: str | None = "varimax") -> pd.DataFrame:
    """Stability of the factor loadings under resampling of models (bootstrap over complete rows).

    Each resample refits :func:`factor_loadings`; its factors are matched and sign-aligned to those of
    the full sample (:func:`match_factors`) and compared by Tucker's congruence (1 = identical
    pattern; 0.95 and above is usually read as the same factor, 0.85-0.94 as fair similarity).
    A resample in which some task is constant (possible in a small table) is skipped, so the table
    can hold fewer than ``n_boot`` resamples.

    Returns
    -------
    DataFrame
        one row per resample and factor: ``resample``, ``factor``, ``congruence``.
    """
    data = complete_rows(wide)
    reference = factor_loadings(data, n_factors, rotation=rotation)
    rng = np.random.default_rng(seed)
    n = len(data)
    rows = []
    with one_blas_thread:  # small decompositions: see parallel_analysis
        for b in range(n_boot):
            sample = data.iloc[rng.integers(0, n, size=n)]
            if (sample.std(axis=0) == 0).any():   # a small table's resample can repeat one score: skip it
                continue
            loadings = factor_loadings(sample, n_factors, rotation=rotation)
            _, phi = match_factors(reference.to_numpy(), loadings.to_numpy())
            rows += [(b, name, value) for name, value in zip(reference.columns, phi)]
    return pd.DataFrame(rows, columns=["resample", "factor", "congruence"])


def congruence_summary(boot: pd.DataFrame) -> pd.DataFrame:
    """Per factor: median, 5th and 95th percentile of the bootstrap congruence, share >= 0.95."""
    grouped = boot.groupby("factor", sort=False)["congruence"]
    return pd.DataFrame({
        "median": grouped.median(),
        "q05": grouped.quantile(0.05),
        "q95": grouped.quantile(0.95),
        "share_ge_095": grouped.apply(lambda s: float((s >= 0.95).mean())),
        "n_boot": grouped.size(),
    }).reset_index()
