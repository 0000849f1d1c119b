"""Latent abilities: a few components behind transfer matrices, and how they compare to correlations.

A transfer matrix (rows = trained on, columns = evaluated on) is read as observations = training
tasks, variables = evaluated tasks. Its principal components are groups of evaluated tasks that the
same training tasks move together ("latent abilities"); the loadings say which tasks make up each one
and the scores say how much each training task feeds it. Factor analysis needs many more
observations than variables, so it is fitted only where that holds: the massive-sft runs (about a
thousand fine-tuned models x benchmarks).

The bridge to the observational side compares two task structures: benchmarks that correlate across
models vs. benchmarks that respond alike to the same fine-tuning data, by the cophenetic correlation
of their dendrograms, the adjusted Rand index of flat clusters and a Mantel permutation test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import adjusted_rand_index, cluster_labels, linkage_matrix
from evalcorr.stats.pca import PCAResult, principal_components


class LatentError(EvalcorrError, ValueError):
    """Input that the latent-ability analysis cannot use."""


def fill_diagonal(matrix: pd.DataFrame, value: float = 0.0) -> pd.DataFrame:
    """Copy of ``matrix`` with every cell whose row and column name the same task set to ``value``.

    A task's effect on itself is its own training, not transfer, and some sources leave it empty;
    0 ("no transfer") keeps every row usable for a complete-case decomposition.
    """
    out = matrix.astype(float).copy()
    for task in out.index.intersection(out.columns):
        out.loc[task, task] = value
    return out


def transfer_pca(matrix: pd.DataFrame, n_components: int | None = None, standardize: bool = False,
                 diagonal: float | None = 0.0) -> PCAResult:
    """Principal components of a transfer matrix (training tasks = observations).

    Parameters
    ----------
    matrix : DataFrame
        rows trained on, columns evaluated on.
    n_components : int, optional
        components to keep (default: all that the shape allows).
    standardize : bool
        False (default) when every column shares one unit (accuracy points, relative change): the
        decomposition then keeps the columns' real spread. True for mixed scales (massive-sft
        benchmarks, where MT-Bench is on 1-10).
    diagonal : float or None
        value put on the self-transfer cells (see :func:`fill_diagonal`); None keeps them.

    Returns
    -------
    PCAResult (evalcorr.stats.pca): loadings are evaluated tasks x PCs, scores training tasks x PCs.
    """
    data = matrix if diagonal is None else fill_diagonal(matrix, diagonal)
    data = data.dropna(axis=1, how="all")
    if standardize:
        constant = data.columns[data.std(ddof=1) == 0]
        data = data.drop(columns=constant)
    return principal_components(data, n_components=n_components, standardize=standardize)


def components_table(result: PCAResult, n: int = 3, top: int = 3, labels=None) -> pd.DataFrame:
    """One row per leading component: variance share and the tasks loading most on each side.

    ``labels`` optionally maps task ids to display names.

    Returns
    -------
    DataFrame: component, variance_ratio, positive (the ``top`` largest positive loadings, as
    ``task (loading)``), negative (the ``top`` most negative).
    """
    name_of = (lambda t: labels.get(t, t)) if labels else str
    rows = []
    for name in result.loadings.columns[:n]:
        load = result.loadings[name].sort_values(ascending=False)
        pos = load[load > 0].head(top)
        neg = load[load < 0].sort_values().head(top)
        rows.append({
            "component": name,
            "variance_ratio": float(result.explained_variance_ratio[name]),
            "positive": ", ".join(f"{name_of(t)} ({v:+.2f})" for t, v in pos.items()),
            "negative": ", ".join(f"{name_of(t)} ({v:+.2f})" for t, v in neg.items()),
        })
    return pd.DataFrame(rows)


def factor_analysis(wide: pd.DataFrame, n_factors: int, seed: int = 0) -> pd.DataFrame:
    """Maximum-likelihood factor analysis with varimax rotation (sklearn, exact SVD) on standardised columns.

    Fitted on complete rows. Factors are ordered by the variance they carry and signed so their
    loadings sum to a positive number.

    Returns
    -------
    DataFrame: variables x ``F1..Fk`` loadings, plus a ``uniqueness`` column (noise variance).
    """
    data = wide.astype(float).dropna(axis=0, how="any")
    n, p = data.shape
    if n < 5 * p:
        raise LatentError(f"factor_analysis: {n} complete rows for {p} variables; factor analysis "
                          "needs many more observations than variables (use transfer_pca instead)")
    z = (data - data.mean()) / data.std(ddof=0)
    from sklearn.decomposition import FactorAnalysis   # here: importing scikit-learn takes about a second

    # Exact SVD: deterministic, and much faster than the randomized default on these small matrices.
    fa = FactorAnalysis(n_components=n_factors, rotation="varimax", svd_method="lapack",
                        random_state=seed).fit(z.to_numpy())
    loadings = fa.components_.T
    order = np.argsort(-(loadings**2).sum(axis=0), kind="stable")
    loadings = loadings[:, order]
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    out = pd.DataFrame(loadings * signs, index=data.columns, columns=[f"F{i + 1}" for i in range(n_factors)])
    out["uniqueness"] = fa.noise_variance_
    return out


# --------------------------------------------------------------------------------------------------
# Task structure: correlation clustering and comparisons


def compare_structures(corr_a: pd.DataFrame, corr_b: pd.DataFrame, n_clusters: int = 4,
                       n_perm: int = 999, seed: int = 0, method: str = "average") -> pd.DataFrame:
    """How alike two task structures (correlation matrices over the same tasks) are.

    Both are clustered on 1 - r with :func:`evalcorr.stats.clustering.linkage_matrix`.

    Returns
    -------
    One-row DataFrame: n_tasks, n_clusters; cophenetic_r, the Pearson correlation of the two dendrograms'
    cophenetic distances; ari, the adjusted Rand index of the two ``n_clusters``-cluster cuts;
    mantel_r, the Pearson correlation of the two matrices' off-diagonal cells, and mantel_p, its
    permutation p-value (task labels of ``corr_b`` shuffled ``n_perm`` times, one-sided, with the
    observed value counted).
    """
    tasks = [t for t in corr_a.index if t in corr_b.index]
    if len(tasks) < 4:
        raise LatentError(f"compare_structures: only {len(tasks)} tasks in common; need at least 4")
    a = corr_a.loc[tasks, tasks]
    b = corr_b.loc[tasks, tasks]
    za, zb = linkage_matrix(a, method), linkage_matrix(b, method)
    cophenetic_r = float(np.corrcoef(hierarchy.cophenet(za), hierarchy.cophenet(zb))[0, 1])
    labels_a = cluster_labels(a, n_clusters, method).to_numpy()
    labels_b = cluster_labels(b, n_clusters, method).to_numpy()
    upper = np.triu_indices(len(tasks), 1)
    va, bv = a.to_numpy(float), b.to_numpy(float)
    observed = float(np.corrcoef(va[upper], bv[upper])[0, 1])
    rng = np.random.default_rng(seed)
    exceed = 0
    for _ in range(n_perm):
        p = rng.permutation(len(tasks))
        exceed += np.corrcoef(va[upper], bv[np.ix_(p, p)][upper])[0, 1] >= observed
    return pd.DataFrame([{
        "n_tasks": len(tasks), "n_clusters": n_clusters, "cophenetic_r": cophenetic_r,
        "ari": adjusted_rand_index(labels_a, labels_b),
        "mantel_r": observed, "mantel_p": (exceed + 1) / (n_perm + 1),
    }])


# --------------------------------------------------------------------------------------------------
# massive-sft: runs and effects as benchmark x benchmark structures


def sft_runs(df: pd.DataFrame, source: str = "massive-sft", min_share: float = 0.9) -> pd.DataFrame:
    """Every massive-sft run (SFT and pretrain rows) as a runs x benchmarks matrix.

    Benchmarks present in fewer than ``min_share`` of the runs are dropped (LongBench-v2 is empty
    for most), then runs with any missing benchmark.

    Returns
    -------
    DataFrame indexed by (model, setting, train_task, stage), one column per benchmark.
    """
    rows = df[(df["source"] == source) & df["stage"].isin(["sft", "pretrain"])]
    if rows.empty:
        raise LatentError(f"sft_runs: no {source} sft/pretrain rows; load evalcorr.load_transfer({source!r})")
    rows = rows.assign(train_task=rows["train_task"].fillna(""))
    wide = rows.pivot_table(index=["model", "setting", "train_task", "stage"], columns="eval_task",
                            values="value", aggfunc="first", sort=False)
    wide = wide.loc[:, wide.notna().mean() >= min_share]
    return wide.dropna(axis=0, how="any")


def effect_correlations(effects: pd.DataFrame, benchmarks: list[str] | None = None) -> pd.DataFrame:
    """Benchmark x benchmark Pearson correlation of SFT effects across (model, dataset) runs.

    ``effects`` is the tidy output of :func:`evalcorr.stats.transfer.sft_effects`; the correlations are
    those of the columns of :func:`effect_table`.
    """
    return effect_table(effects, benchmarks).corr()


def effect_table(effects: pd.DataFrame, benchmarks: list[str] | None = None) -> pd.DataFrame:
    """SFT effects as a (model, dataset) x benchmark table: the runs with every benchmark, constant benchmarks dropped."""
    wide = effects.pivot_table(index=["model", "train_task"], columns="eval_task", values="effect",
                               aggfunc="first", sort=False)
    if benchmarks is not None:
        wide = wide[[b for b in benchmarks if b in wide.columns]]
    wide = wide.dropna(axis=0, how="any")
    return wide.loc[:, wide.std(ddof=1) > 0]


def between_group_share(wide: pd.DataFrame, level: str = "model") -> pd.Series:
    """Share of each column's variance explained by one index level (eta squared of a one-way layout).

    For the massive-sft runs (:func:`sft_runs`) with ``level="model"``: how much of a benchmark's
    spread across runs is the base model, whatever the fine-tuning.
    """
    data = wide.astype(float)
    groups = data.index.get_level_values(level)
    fitted = data.groupby(groups).transform("mean")
    total = ((data - data.mean()) ** 2).sum()
    between = ((fitted - data.mean()) ** 2).sum()
    return (between / total).rename("share")
