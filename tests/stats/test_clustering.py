"""Clustering order and cluster/family agreement on block matrices with a known answer."""

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import (adjusted_rand_index, cluster_family_agreement, cluster_labels, cluster_order,
                                       linkage_matrix, maxclust_labels)
from evalcorr.stats.correlation import correlation_matrix


def block_matrix(sizes=(3, 4, 2), within=0.8, between=0.2, shuffle_seed=0):
    """A correlation matrix with exact family blocks, tasks listed in shuffled order."""
    families = pd.Series({f"f{b}_t{i}": f"F{b}" for b, size in enumerate(sizes) for i in range(size)})
    same = families.to_numpy()[:, None] == families.to_numpy()[None, :]
    r = np.where(same, within, between)
    np.fill_diagonal(r, 1.0)
    corr = pd.DataFrame(r, index=families.index, columns=families.index)
    order = np.random.default_rng(shuffle_seed).permutation(len(families))
    return corr.iloc[order, order], families


def test_ari_is_one_on_a_block_matrix():
    corr, families = block_matrix()
    assert cluster_family_agreement(corr, families) == pytest.approx(1.0)
    # Families passed as the families table work too.
    assert cluster_family_agreement(corr, families.rename_axis("task").rename("family").reset_index()) == 1.0


def test_ari_is_low_when_clusters_ignore_families():
    corr, families = block_matrix(sizes=(4, 4, 4))
    scrambled = pd.Series(np.random.default_rng(3).permutation(families.to_numpy()), index=families.index)
    assert cluster_family_agreement(corr, scrambled) < 0.3


def test_order_keeps_families_contiguous_and_is_deterministic():
    corr, families = block_matrix(sizes=(3, 4, 2, 3), shuffle_seed=5)
    order = cluster_order(corr)
    assert sorted(order) == sorted(corr.columns)
    runs = [families[t] for t in order]
    changes = sum(a != b for a, b in zip(runs, runs[1:]))
    assert changes == 3                       # four families, each one contiguous block
    assert cluster_order(corr) == order


def test_linkage_matches_scipy_on_one_minus_r():
    wide, families = latent_factor_matrix(n_models=300, seed=20)
    corr = correlation_matrix(wide)
    distance = squareform(1.0 - corr.to_numpy(), checks=False)
    expected = hierarchy.optimal_leaf_ordering(hierarchy.linkage(distance, "average"), distance)
    np.testing.assert_allclose(linkage_matrix(corr), expected)
    assert cluster_family_agreement(corr, families) == pytest.approx(1.0)
    labels = cluster_labels(corr, 3)
    assert labels.nunique() == 3


def test_clear_errors():
    corr, families = block_matrix()
    with pytest.raises(EvalcorrError, match="NaN"):
        cluster_order(corr.mask(corr > 0.9))
    with pytest.raises(EvalcorrError, match="linkage method"):
        linkage_matrix(corr, method="ward")
    with pytest.raises(EvalcorrError, match="`k`"):
        cluster_labels(corr, 0)
    with pytest.raises(EvalcorrError, match="square"):
        cluster_order(corr.iloc[:, :3])


def test_agreement_over_k_is_the_ari_at_each_cut():
    from evalcorr.stats.clustering import agreement_over_k

    wide, families = latent_factor_matrix(n_models=300, seed=31)
    corr = correlation_matrix(wide)
    table = agreement_over_k(corr, families, ks=range(1, 20))
    assert list(table["k"]) == list(range(1, len(corr) + 1))       # k beyond the tasks is skipped
    for row in table.itertuples():
        assert row.ari == pytest.approx(cluster_family_agreement(corr, families, k=row.k))
    assert (table["families"] == 3).all()
    assert table.set_index("k").loc[3, "ari"] == pytest.approx(1.0)   # the planted families at k = 3


@pytest.mark.parametrize("seed", range(6))
def test_adjusted_rand_index_equals_scikit_learn(seed):
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 + seed, size=40)
    b = np.where(rng.random(40) < 0.6, a, rng.integers(0, 4, size=40))
    assert adjusted_rand_index(a, b) == adjusted_rand_score(a, b)
    names = np.array(["math", "bbh", "mmlu", "gpqa", "musr", "ifeval"])[a]   # any labels, same partition
    assert adjusted_rand_index(names, b) == adjusted_rand_score(a, b)


@pytest.mark.parametrize("seed", range(4))
def test_adjusted_rand_index_does_not_depend_on_which_numbers_name_the_labels(seed):
    # Small non-negative integers are counted as they are, others are factorized: the same index.
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, size=30)
    b = np.where(rng.random(30) < 0.5, a, rng.integers(0, 5, size=30))
    expected = adjusted_rand_score(a, b)
    for renamed in (a * 7 + 3, a + 10**9, a - 2, (a + 1).astype(np.int32), a.astype(float)):
        assert adjusted_rand_index(renamed, b) == expected
        assert adjusted_rand_index(b, renamed) == expected


def test_adjusted_rand_index_of_trivial_partitions():
    assert adjusted_rand_index([1, 1, 2, 2], ["x", "x", "y", "y"]) == 1.0
    assert adjusted_rand_index([0, 0, 0], [0, 0, 0]) == 1.0
    assert adjusted_rand_index([0, 1, 2, 3], [0, 0, 0, 0]) == 0.0
    with pytest.raises(EvalcorrError, match="3 and 2 items"):
        adjusted_rand_index([0, 1, 2], [0, 1])


def test_cluster_labels_cut_the_leaf_ordered_tree():
    """The cut skips the optimal leaf ordering, which only flips branches: the same partition."""
    from evalcorr.stats.clustering import linkage_matrix
    rng = np.random.default_rng(11)
    for _ in range(20):
        x = rng.normal(size=(40, 9)) @ rng.normal(size=(9, 9))
        corr = pd.DataFrame(np.corrcoef(x.T), index=list("abcdefghi"), columns=list("abcdefghi"))
        for k in (2, 3, 5):
            ordered = hierarchy.fcluster(linkage_matrix(corr), t=k, criterion="maxclust")
            assert adjusted_rand_index(cluster_labels(corr, k).to_numpy(), ordered) == 1.0


@pytest.mark.parametrize("method", ["average", "complete", "single", "weighted"])
def test_maxclust_labels_are_fclusters_labels(method):
    rng = np.random.default_rng(3)
    points = rng.normal(size=(14, 3))
    tied = np.repeat(rng.integers(0, 3, size=(5, 2)).astype(float), 3, axis=0)   # equal merge heights
    for data in (points, tied):
        tree = hierarchy.linkage(pdist(data), method=method)
        for k in range(1, len(data) + 1):
            np.testing.assert_array_equal(maxclust_labels(tree, k), hierarchy.fcluster(tree, k, "maxclust"))
