"""Hierarchical clustering of tasks by correlation, and its agreement with eval families.

Tasks are clustered on the distance 1 - r (0 for identical tasks, 2 for perfectly opposed ones) with
scipy's linkage (average linkage by default) and optimal leaf ordering, which makes the order of the
leaves deterministic and puts similar neighbours next to each other in a heatmap.

>>> order = cluster_order(corr)                              # doctest: +SKIP
>>> cluster_family_agreement(corr, families)                 # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster import _hierarchy, hierarchy
from scipy.spatial.distance import squareform

from evalcorr.errors import EvalcorrError
from evalcorr.stats.inputs import family_series

LINKAGE_METHODS = ("average", "complete", "single", "weighted")


def _distance(corr: pd.DataFrame) -> np.ndarray:
    """Condensed 1 - r distances, after checking ``corr`` is a usable correlation matrix."""
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    if len(corr) < 2:
        raise EvalcorrError(f"clustering needs at least 2 tasks, `corr` has {len(corr)}")
    r = corr.to_numpy(dtype=float)
    if np.isnan(r).any():
        bad = sorted({corr.columns[i] for i in np.argwhere(np.isnan(r)).ravel()})
        raise EvalcorrError(f"`corr` has NaN entries for tasks {bad[:5]}{' ...' if len(bad) > 5 else ''}; "
                            "drop tasks with too few models (or lower min_periods) before clustering")
    return _condensed(r)


def _condensed(r: np.ndarray) -> np.ndarray:
    distance = 1.0 - (r + r.T) / 2.0
    np.fill_diagonal(distance, 0.0)
    return squareform(np.clip(distance, 0.0, 2.0), checks=False)


def linkage_matrix(corr: pd.DataFrame, method: str = "average") -> np.ndarray:
    """scipy linkage matrix of the tasks of ``corr`` on 1 - r, with optimal leaf ordering.

    Parameters
    ----------
    corr : DataFrame
        square task x task correlation matrix without NaN.
    method : {"average", "complete", "single", "weighted"}
        linkage rule (methods that need Euclidean input, such as Ward, are not offered for 1 - r).
    """
    tree, distance = _tree(corr, method)
    return hierarchy.optimal_leaf_ordering(tree, distance)


def _tree(corr: pd.DataFrame, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The linkage of the tasks on 1 - r (leaves in scipy's order) and the condensed distances."""
    if method not in LINKAGE_METHODS:
        raise EvalcorrError(f"unknown linkage method {method!r}; use one of {', '.join(LINKAGE_METHODS)}")
    distance = _distance(corr)
    return hierarchy.linkage(distance, method=method), distance


def cluster_order(corr: pd.DataFrame, method: str = "average") -> list[str]:
    """Tasks of ``corr`` in the leaf order of the hierarchical clustering (see :func:`linkage_matrix`)."""
    leaves = hierarchy.leaves_list(linkage_matrix(corr, method))
    return [corr.columns[i] for i in leaves]


def cluster_labels(corr: pd.DataFrame, k: int, method: str = "average") -> pd.Series:
    """Cluster number (1..k) of each task when the tree is cut into ``k`` clusters.

    The clusters are those of :func:`linkage_matrix`'s tree; the leaf ordering, which only flips
    branches, is skipped (it costs more than the clustering and cannot change a cut).
    """
    if not 1 <= k <= len(corr):
        raise EvalcorrError(f"`k` must be between 1 and the number of tasks ({len(corr)}), got {k}")
    labels = maxclust_labels(_tree(corr, method)[0], k)
    return pd.Series(labels, index=corr.columns.copy(), name="cluster")


def cut_labels(r: np.ndarray, k: int, method: str = "average") -> np.ndarray:
    """:func:`cluster_labels` of a correlation array (no NaN, ``1 <= k <=`` its size), unchecked: for the
    thousands of matrices of a bootstrap, where building and checking a frame each time is most of the cost."""
    return maxclust_labels(hierarchy.linkage(_condensed(r), method=method), k)


def maxclust_labels(tree: np.ndarray, k: int) -> np.ndarray:
    """``scipy.cluster.hierarchy.fcluster(tree, k, criterion="maxclust")`` for a linkage matrix scipy's
    ``linkage`` made, without checking it again: the check costs 25 times the cut, and bootstraps and
    permutation nulls cut thousands of trees. The compiled cut is fcluster's own (a test compares them)."""
    tree = np.ascontiguousarray(tree, dtype=np.float64)
    labels = np.zeros(len(tree) + 1, dtype="i")
    _hierarchy.cluster_maxclust_dist(tree, labels, len(labels), int(k))
    return labels


def adjusted_rand_index(labels_a, labels_b) -> float:
    """Adjusted Rand index of two labellings of the same items (Hubert and Arabie 1985), computed as
    scikit-learn's ``adjusted_rand_score`` computes it (from the pair confusion counts, in integers).

    1 for identical partitions (whatever the label names), about 0 for unrelated ones.
    """
    a, b = _codes(labels_a), _codes(labels_b)
    if len(a) != len(b):
        raise EvalcorrError(f"the two labellings have {len(a)} and {len(b)} items; label the same items")
    n = len(a)
    joint = np.bincount(a * (b.max(initial=-1) + 1) + b) if n else np.zeros(0, dtype=int)
    same_both = int((joint.astype(np.int64) ** 2).sum())
    same_a = int((np.bincount(a).astype(np.int64) ** 2).sum())
    same_b = int((np.bincount(b).astype(np.int64) ** 2).sum())
    return ari_from_counts(n, same_both, same_a, same_b)


def ari_from_counts(n, same_both, same_a, same_b):
    """The adjusted Rand index from ``n`` items and the sums of squared group sizes: of the joint groups
    (``same_both``), of labelling a's groups and of labelling b's. 1 where the partitions are identical.

    Python integers give a float (exact integer arithmetic, as scikit-learn's); int64 arrays, one entry
    per pair of labellings, give an array (their products stay exact up to tens of thousands of items).
    """
    tp, fp, fn = same_both - n, same_b - same_both, same_a - same_both
    tn = n * n - fp - fn - same_both
    identical = (fn == 0) & (fp == 0)
    numerator, denominator = 2.0 * (tp * tn - fn * fp), (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    if np.ndim(identical) == 0:
        return 1.0 if identical else numerator / denominator
    with np.errstate(divide="ignore", invalid="ignore"):      # 0 / 0 for some identical partitions only
        return np.where(identical, 1.0, numerator / denominator)


def _codes(labels) -> np.ndarray:
    """Non-negative integer codes of ``labels``, one per distinct label. Small non-negative integers
    (cluster numbers, a primitive's column) are their own codes: the index only counts pairs within
    labels, so unused numbers change nothing, and the thousands of calls of a permutation null skip
    factorizing."""
    values = np.asarray(labels)
    if values.dtype.kind in "iu" and values.size and 0 <= values.min() and values.max() <= 4 * values.size:
        return values.astype(np.int64, copy=False)
    return pd.factorize(values)[0]


def cluster_family_agreement(corr: pd.DataFrame, families, k: int | None = None, method: str = "average") -> float:
    """Adjusted Rand index between the task clusters and the eval families.

    Parameters
    ----------
    corr : DataFrame
        square task x task correlation matrix without NaN.
    families : Series or DataFrame
        task -> family for every task of ``corr``.
    k : int, optional
        number of clusters to cut the tree into (default: the number of families among the tasks).
    method : str
        linkage rule, as in :func:`linkage_matrix`.

    Returns
    -------
    float
        the adjusted Rand index (:func:`adjusted_rand_index`): 1 when the clusters are the families,
        about 0 for an unrelated partition.
    """
    fam = family_series(families, corr.columns).loc[list(corr.columns)]
    k = fam.nunique() if k is None else k
    return adjusted_rand_index(fam.to_numpy(), cluster_labels(corr, k, method).to_numpy())


def agreement_over_k(corr: pd.DataFrame, families, ks=range(2, 11), method: str = "average") -> pd.DataFrame:
    """Adjusted Rand index of clusters against families for every number of clusters in ``ks``.

    The ARI at one k can swing with the cut (a single task moving between clusters); this table shows
    the whole range. ``ks`` beyond the number of tasks are skipped.

    Returns
    -------
    DataFrame
        k, ari, and ``families`` (the number of families among the tasks, the default cut of
        :func:`cluster_family_agreement`) on every row.
    """
    fam = family_series(families, corr.columns).loc[list(corr.columns)]
    tree = linkage_matrix(corr, method)
    rows = []
    for k in ks:
        if 1 <= k <= len(corr):
            labels = maxclust_labels(tree, k)
            rows.append((int(k), adjusted_rand_index(fam.to_numpy(), labels)))
    table = pd.DataFrame(rows, columns=["k", "ari"])
    table["families"] = fam.nunique()
    return table
