"""How far the report's methods recover a task structure that is known by construction.

On a real leaderboard nobody knows which tasks share a skill. In the controlled experiment the
ground truth is a task x primitive table (``uses``: tasks x primitives, 1 where a task is built from a
primitive; :func:`uses_table` reads it from a ground-truth table). This module scores what a method
found against it:

- :func:`pair_auc`: do pairs that share a primitive correlate more than pairs that do not? The
  probability that a random sharing pair's r exceeds a random non-sharing pair's (0.5 = chance,
  1 = every sharing pair above every other; ties count half), the Mann-Whitney form of the AUC;
- :func:`cluster_ari`: the adjusted Rand index of a hierarchical clustering cut into as many clusters
  as there are primitives, against the primitive of each single-primitive task (0 = chance);
- :func:`loading_congruence`: Tucker's congruence of factor (or component) loadings with the
  primitive columns, factors matched to primitives by the Hungarian algorithm and sign-aligned;
- :func:`category_means`: the mean r of each kind of pair (shared primitive, same surface only,
  neither), whose "same surface only" minus "neither" gap is the block that co-training alone makes;
- :func:`signature_recovery`: whether each task's benchmark signature picks the probe tokens of its
  own primitives.

Chance levels differ between scores (a general factor has a positive congruence with any 0/1 column),
so :func:`permutation_null` relabels the tasks of the truth at random and reports where the observed
score falls. :func:`cluster_bootstrap` gives intervals for any statistic of a models x tasks table by
resampling whole lineages (base models), and :func:`replicate_coverage` checks naive and lineage-aware
intervals against a truth estimated from independent replicate leaderboards. :func:`factor_drivers`
says how much of the common factor model size and training compute explain.

>>> import pandas as pd
>>> uses = pd.DataFrame({"p": [1, 1, 0, 0], "q": [0, 0, 1, 1]}, index=list("abcd"))
>>> corr = pd.DataFrame([[1, .8, .1, .2], [.8, 1, .0, .1], [.1, .0, 1, .7], [.2, .1, .7, 1]],
...                     index=list("abcd"), columns=list("abcd"))
>>> pair_auc(corr, uses), cluster_ari(corr, uses)
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import adjusted_rand_index, ari_from_counts, cluster_labels, cut_labels
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.factors import tucker_congruence
from evalcorr.stats.pairwise import BATCH_ELEMENTS
from evalcorr.stats.pca import principal_components
from evalcorr.stats.resampling import group_codes, percentile_interval, resample_counts


class RecoveryError(EvalcorrError, ValueError):
    """Input that a recovery score cannot use (tasks missing from the truth, no pair of a kind, ...)."""


# --------------------------------------------------------------------------------------------------
# The truth as a tasks x primitives table


def uses_table(truth: pd.DataFrame, tasks=None) -> pd.DataFrame:
    """tasks x primitives (0/1) of a ground-truth table (:func:`evalcorr.load_ground_truth`), in the
    order of ``tasks`` (default: the table's tasks that are not controls)."""
    from evalcorr.data.ground_truth import primitive_columns

    table = truth.set_index("task")
    tasks = list(table.index[table["control"] == ""]) if tasks is None else list(tasks)
    missing = [t for t in tasks if t not in table.index]
    if missing:
        raise RecoveryError(f"task(s) {missing} are not in the ground-truth table")
    return table.loc[tasks, primitive_columns(truth)].astype(int)


# The scores below work on NumPy arrays after one label lookup: a permutation null calls them
# thousands of times, and pandas label indexing would be most of their cost.

def _positions(index: pd.Index, labels, what: str, within: str = "the truth table") -> np.ndarray:
    """Positions of ``labels`` in ``index``; an error names the labels that are missing."""
    # a dict of a few task names: pandas' indexer on an Arrow string index costs 100 times more
    position = {label: i for i, label in enumerate(index.tolist())}
    where = np.array([position.get(label, -1) for label in labels], dtype=int)
    if (where < 0).any():
        missing = [t for t, i in zip(labels, where) if i < 0]
        raise RecoveryError(f"task(s) {missing} of the {what} are not in {within}")
    return where


def _aligned(corr: pd.DataFrame, uses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The matrix as an array and the truth's 0/1 rows in the matrix's task order."""
    return corr.to_numpy(float), uses.to_numpy(int)[_positions(uses.index, corr.index, "matrix")]


def _shared(truth: np.ndarray) -> np.ndarray:
    shared = (truth @ truth.T) > 0
    np.fill_diagonal(shared, False)
    return shared


def shared_pairs(uses: pd.DataFrame) -> pd.DataFrame:
    """tasks x tasks: True where two distinct tasks share at least one primitive."""
    return pd.DataFrame(_shared(uses.to_numpy(int)), index=uses.index, columns=uses.index)


def single_primitive(uses: pd.DataFrame) -> pd.Series:
    """The primitive of each task that uses exactly one (tasks with several belong to no single group)."""
    values = uses.to_numpy()
    single = values.sum(axis=1) == 1
    return pd.Series(uses.columns[values[single].argmax(axis=1)], index=uses.index[single], name="primitive")


# --------------------------------------------------------------------------------------------------
# Scores of a task x task matrix


class BatchScorer:
    """A score of a truth array, ``scorer(truth)``, that also scores a stack of truths at once,
    ``scorer.many(truths)`` (truths x tasks x primitives -> one score per truth), with the same numbers:
    :func:`permutation_null_rows` scores its permutations in one call."""

    def __init__(self, one: Callable[[np.ndarray], float], many: Callable[[np.ndarray], np.ndarray]):
        self._one, self.many = one, many

    def __call__(self, truth: np.ndarray) -> float:
        return self._one(truth)


def pair_auc(corr: pd.DataFrame, uses: pd.DataFrame) -> float:
    """P(r of a pair sharing a primitive > r of a pair sharing none), ties counted half.

    >>> uses = pd.DataFrame({"p": [1, 1, 0]}, index=list("abc"))
    >>> corr = pd.DataFrame([[1, .5, .2], [.5, 1, .6], [.2, .6, 1]], index=list("abc"), columns=list("abc"))
    >>> pair_auc(corr, uses)      # the sharing pair (a, b) beats (a, c) but not (b, c)
    0.5
    """
    return pair_auc_scorer(corr, uses)(uses.to_numpy(int))


def pair_auc_scorer(corr: pd.DataFrame, uses: pd.DataFrame) -> BatchScorer:
    """:func:`pair_auc` of ``corr`` as a function of a truth array (the rows of ``uses``, in its task
    order, or a relabelling of them): the matrix is read once, each truth costs microseconds."""
    where = _positions(uses.index, corr.index, "matrix")
    values = corr.to_numpy(float)
    upper = np.triu(np.ones(values.shape, dtype=bool), 1) & np.isfinite(values)

    def score(truth: np.ndarray) -> float:
        shared = _shared(truth[where])
        return _auc(values[upper & shared], values[upper & ~shared])

    # Many truths at once: the pairs' values are sorted once; for each truth, the count of non-sharing
    # pairs below (and level with) each sharing pair comes from running counts of the sharing pairs in
    # that order. The same integer counts as _auc's comparisons, and the same arithmetic on them.
    a, b = np.nonzero(upper)
    order = np.argsort(values[a, b], kind="stable")
    a, b, ranked = a[order], b[order], values[a, b][order]
    below = np.searchsorted(ranked, ranked, "left")        # pairs with a smaller value than each
    level = np.searchsorted(ranked, ranked, "right")       # ... with a smaller or equal value

    def many(truths: np.ndarray) -> np.ndarray:
        t = np.asarray(truths, dtype=np.int64)[:, where]
        batch = max(1, BATCH_ELEMENTS // max(1, len(where)) ** 2)     # truths whose task x task products fit
        inside = np.concatenate([(t[i:i + batch] @ t[i:i + batch].transpose(0, 2, 1))[:, a, b] > 0
                                 for i in range(0, len(t), batch)])      # (truths, pairs), sorted pairs
        running = np.zeros((len(t), len(ranked) + 1), dtype=np.int64)
        np.cumsum(inside, axis=1, out=running[:, 1:])
        greater = np.where(inside, below - running[:, below], 0).sum(axis=1)
        ties = np.where(inside, (level - below) - (running[:, level] - running[:, below]), 0).sum(axis=1)
        n_inside = inside.sum(axis=1)
        pairs = n_inside * (len(ranked) - n_inside)
        if (pairs == 0).any():
            raise RecoveryError("pair_auc needs pairs that share a primitive and pairs that share none")
        return greater / pairs + 0.5 * (ties / pairs)
    return BatchScorer(score, many)


def _auc(inside: np.ndarray, outside: np.ndarray) -> float:
    """P(a value of ``inside`` > a value of ``outside``), ties counted half."""
    if len(inside) == 0 or len(outside) == 0:
        raise RecoveryError("pair_auc needs pairs that share a primitive and pairs that share none")
    greater = (inside[:, None] > outside[None, :]).mean()
    ties = (inside[:, None] == outside[None, :]).mean()
    return float(greater + 0.5 * ties)


def labels_ari(labels: pd.Series, uses: pd.DataFrame) -> float:
    """ARI of a clustering (task -> cluster) against the primitives of the single-primitive tasks."""
    values = uses.to_numpy()
    single = values.sum(axis=1) == 1
    clusters = labels.to_numpy()[_positions(labels.index, uses.index[single], "truth table")]
    return adjusted_rand_index(values[single].argmax(axis=1), clusters)


def labels_ari_scorer(labels: pd.Series, uses: pd.DataFrame) -> BatchScorer:
    """:func:`labels_ari` as a function of a truth array in the task order of ``uses`` (``labels``
    must cover every task of ``uses``: a relabelled truth may make any of them single-primitive)."""
    clusters = labels.to_numpy()[_positions(labels.index, uses.index, "truth table")]

    def score(truth: np.ndarray) -> float:
        return _labels_ari(truth, clusters)

    # Many truths at once: adjusted_rand_index's integer pair counts from one contingency table per
    # truth (single-primitive tasks x clusters), then its formula. A task without a cluster label
    # makes adjusted_rand_index refuse the labelling: those truths are scored one at a time, so that
    # they fail as they would alone.
    codes = pd.factorize(clusters)[0]
    in_cluster = np.eye(codes.max(initial=-1) + 1, dtype=np.int64)[codes]         # tasks x clusters

    def many(truths: np.ndarray) -> np.ndarray:
        truths = np.asarray(truths, dtype=np.int64)
        single = truths.sum(axis=2) == 1
        if (single & (codes < 0)).any():
            return np.array([score(truth) for truth in truths], dtype=float)
        primitive = truths * single[:, :, None]                  # the single-primitive rows only
        joint = np.einsum("ptm,tc->pmc", primitive, in_cluster)
        same_both = (joint ** 2).sum(axis=(1, 2))
        same_a = (primitive.sum(axis=1) ** 2).sum(axis=1)
        same_b = ((single.astype(np.int64) @ in_cluster) ** 2).sum(axis=1)
        return ari_from_counts(single.sum(axis=1), same_both, same_a, same_b)
    return BatchScorer(score, many)


def cluster_ari(corr: pd.DataFrame, uses: pd.DataFrame, k: int | None = None, method: str = "average") -> float:
    """ARI of the ``k``-cluster cut (default: one cluster per primitive) against the primitives of the
    single-primitive tasks; the clustering itself uses every task of ``corr``."""
    truth = uses.to_numpy(int)[_positions(uses.index, corr.index, "matrix")]     # in the matrix's order
    clusters = cluster_labels(corr, uses.shape[1] if k is None else int(k), method).to_numpy()
    return _labels_ari(truth, clusters)


def _labels_ari(truth: np.ndarray, clusters: np.ndarray) -> float:
    """ARI of cluster labels against the primitive of each single-primitive row of a truth array."""
    single = truth.sum(axis=1) == 1
    return adjusted_rand_index(truth[single].argmax(axis=1), clusters[single])


class TruthScores:
    """:func:`pair_auc`, :func:`cluster_ari` and :func:`mean_congruence` of many matrices and loadings of
    one set of tasks, given as arrays in the order of ``tasks`` (a bootstrap's resamples): the truth
    is aligned with the tasks once, so each score costs microseconds. The same numbers as the functions.
    """

    def __init__(self, uses: pd.DataFrame, tasks):
        self.truth = uses.to_numpy(int)[_positions(uses.index, list(tasks), "matrix")]
        shared = _shared(self.truth)
        upper = np.triu(np.ones(shared.shape, dtype=bool), 1)
        self._inside, self._outside = upper & shared, upper & ~shared

    def pair_auc(self, values: np.ndarray) -> float:
        finite = np.isfinite(values)
        return _auc(values[self._inside & finite], values[self._outside & finite])

    def cluster_ari(self, values: np.ndarray, method: str = "average") -> float:
        if np.isnan(values).any():
            raise RecoveryError("cluster_ari: the matrix has NaN entries")
        return _labels_ari(self.truth, cut_labels(values, self.truth.shape[1], method))

    def mean_congruence(self, loadings: np.ndarray) -> float:
        return _mean_matched(self.truth.astype(float), loadings)


def category_means(corr: pd.DataFrame, uses: pd.DataFrame, surface: pd.Series) -> pd.Series:
    """Mean r of the unordered pairs of each kind (NaN where a kind has no pair):

    ``shared primitive`` (any surface), ``same surface only`` (no shared primitive, same surface
    format), ``neither``; and ``surface block`` = same surface only - neither, the block that a
    shared surface (or training the tasks of a family together) makes without a shared skill.
    """
    return pd.Series(pair_kinds(corr.index, uses, surface)(corr.to_numpy(float)))


def pair_kinds(tasks, uses: pd.DataFrame, surface: pd.Series) -> Callable[[np.ndarray], dict[str, float]]:
    """:func:`category_means` of a tasks x tasks array in the order of ``tasks``, as a function: the
    kinds of pairs are worked out once, each matrix (a bootstrap resample's) costs microseconds."""
    truth = uses.to_numpy(int)[_positions(uses.index, tasks, "matrix")]
    same = surface.to_numpy()[_positions(surface.index, tasks, "matrix", "the surface families")]
    same = same[:, None] == same[None, :]
    shared = _shared(truth)
    upper = np.triu(np.ones(shared.shape, dtype=bool), 1)
    kinds = {"shared primitive": upper & shared, "same surface only": upper & ~shared & same,
             "neither": upper & ~shared & ~same}

    def means(values: np.ndarray) -> dict[str, float]:
        finite = np.isfinite(values)
        out = {}
        for name, mask in kinds.items():
            v = values[mask & finite]
            out[name] = float(v.mean()) if len(v) else np.nan
        out["surface block"] = out["same surface only"] - out["neither"]
        return out
    return means


def loading_congruence(loadings: pd.DataFrame, uses: pd.DataFrame) -> pd.DataFrame:
    """Tucker congruence of each primitive column with the factor matched to it.

    ``loadings`` is tasks x factors (any number); primitives and factors are matched one to one to
    maximise the total absolute congruence (Hungarian algorithm), and a matched factor pointing the
    other way is flipped. Where there are fewer factors than primitives, some primitives go unmatched
    (congruence NaN).

    Returns
    -------
    DataFrame: primitive, factor, congruence (in [-1, 1] before flipping; reported >= 0).
    """
    phi, rows, cols = _matched_congruence(loadings, uses)
    matched = dict(zip(rows, cols))
    out = []
    for i, primitive in enumerate(uses.columns):
        j = matched.get(i)
        out.append({"primitive": primitive, "factor": None if j is None else str(loadings.columns[j]),
                    "congruence": np.nan if j is None else float(abs(phi[i, j]))})
    return pd.DataFrame(out)


def mean_congruence(loadings: pd.DataFrame, uses: pd.DataFrame) -> float:
    """Mean over primitives of :func:`loading_congruence` (an unmatched primitive counts 0)."""
    return mean_congruence_scorer(loadings, uses)(uses.to_numpy(float))


def mean_congruence_scorer(loadings: pd.DataFrame, uses: pd.DataFrame) -> Callable[[np.ndarray], float]:
    """:func:`mean_congruence` of ``loadings`` as a function of a truth array in the task order of ``uses``."""
    where = _positions(uses.index, loadings.index, "loadings")
    values = loadings.to_numpy(float)

    def score(truth: np.ndarray) -> float:
        return _mean_matched(np.asarray(truth, dtype=float)[where], values)
    return score


def _mean_matched(truth: np.ndarray, loadings: np.ndarray) -> float:
    """Mean over the truth's columns of the absolute congruence with the factor matched to each."""
    phi, rows, cols = _match(truth, loadings)
    return float(np.abs(phi[rows, cols]).sum() / truth.shape[1])


def _matched_congruence(loadings: pd.DataFrame, uses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Congruence of every primitive column with every factor (primitives x factors), and the one-to-one
    matching of primitives (rows) to factors (cols) that maximises the total absolute congruence."""
    truth = uses.to_numpy(float)[_positions(uses.index, loadings.index, "loadings")]
    return _match(truth, loadings.to_numpy(float))


def _match(truth: np.ndarray, loadings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    phi = tucker_congruence(truth, loadings)
    rows, cols = linear_sum_assignment(-np.abs(phi))
    return phi, rows, cols


# --------------------------------------------------------------------------------------------------
# Chance level and intervals


def permutation_null(score: Callable[[pd.DataFrame], float], uses: pd.DataFrame, n_perm: int = 999,
                     seed: int = 0) -> dict:
    """Where a score of the truth falls among the same score of task-shuffled truths.

    ``score(uses)`` computes the score against a truth table; each permutation gives the rows of
    ``uses`` to other tasks (the primitives keep their sizes and overlaps). Returns a dict: observed,
    null_mean, null_q95 (95th percentile), p (one-sided, the observed counted among the
    permutations), n_perm. :func:`permutation_null_rows` is the same null for a score of a truth array.
    """
    return permutation_null_rows(lambda rows: score(pd.DataFrame(rows, index=uses.index, columns=uses.columns)),
                                 uses, n_perm, seed)


def permutation_null_rows(score: Callable[[np.ndarray], float], uses: pd.DataFrame, n_perm: int = 999,
                          seed: int = 0) -> dict:
    """:func:`permutation_null` for a score of the truth as an array (tasks x primitives in the task
    order of ``uses``), such as the ``*_scorer`` functions give: no table is built per permutation.
    The permutations are the same as :func:`permutation_null`'s for the same seed."""
    truth = uses.to_numpy()
    observed = float(score(truth))
    rows = _permuted_rows(len(truth), n_perm, seed)
    if isinstance(score, BatchScorer):
        return null_summary(observed, np.asarray(score.many(truth[rows]), dtype=float))
    return null_summary(observed, np.array([score(truth[order]) for order in rows], dtype=float))


@lru_cache(maxsize=8)
def _permuted_rows(n: int, n_perm: int, seed: int) -> np.ndarray:
    """The row order of each permuted truth [n_perm, n] (read-only): drawn once for the many scores a
    chapter tests against the same permutations."""
    rng = np.random.default_rng(seed)
    # task uses.index[perm[i]] takes row i, so task j takes row argsort(perm)[j]
    out = np.array([np.argsort(rng.permutation(n)) for _ in range(n_perm)], dtype=np.intp).reshape(n_perm, n)
    out.flags.writeable = False
    return out


def null_summary(observed: float, null: np.ndarray) -> dict:
    """observed, null_mean, null_q95, p (one-sided, the observed counted among the n_perm draws), n_perm."""
    return {"observed": float(observed), "null_mean": float(np.nanmean(null)),
            "null_q95": float(np.nanquantile(null, 0.95)),
            "p": float((1 + np.sum(null >= observed - 1e-12)) / (len(null) + 1)), "n_perm": int(len(null))}


def cluster_bootstrap(wide: pd.DataFrame, groups: pd.Series | None,
                      statistic: Callable[..., Mapping[str, float]], n_boot: int = 500,
                      ci: float = 0.95, seed: int = 0, counts: bool = False) -> pd.DataFrame:
    """Percentile intervals of any statistics of a models x tasks table, resampling whole groups.

    ``statistic(wide)`` returns {name: value}; each resample draws groups (base models) with
    replacement and repeats their models' rows, renamed ``<model>#<copy>`` so that every row is a
    model of its own (:func:`aligned_to_rows` finds a model's covariate under either name). With
    ``counts=True`` no table is built: ``statistic(wide, counts)`` gets the table and each model's
    multiplicity in the resample (ones for the estimate), as :class:`evalcorr.stats.weighted.ResampledMoments`
    takes it; the resamples are the same. With ``groups=None`` every model is a group (the ordinary
    bootstrap). A resample in which a statistic cannot be computed (an error, or NaN) leaves it out
    for that statistic.

    Returns
    -------
    DataFrame: statistic, estimate, se, ci_low, ci_high, n_valid, n_groups.
    """
    codes, n_groups = group_codes(wide.index, groups if groups is not None else pd.Series(wide.index, wide.index))
    estimate = dict(statistic(wide, np.ones(len(wide), dtype=int)) if counts else statistic(wide))
    rng = np.random.default_rng(seed)
    draws = {name: [] for name in estimate}
    if not counts:
        values = wide.to_numpy(float)
        names = np.asarray(wide.index.astype(str), dtype=object)    # labels read once, not per resample
    for _ in range(n_boot):
        multiplicity = resample_counts(codes, n_groups, 1, rng)[0]
        try:
            if counts:
                result = statistic(wide, multiplicity)
            else:
                rows = np.repeat(np.arange(len(wide)), multiplicity)
                copy = np.arange(len(rows)) - np.repeat(np.cumsum(multiplicity) - multiplicity, multiplicity)
                result = statistic(pd.DataFrame(values[rows], columns=wide.columns,
                                                index=[f"{names[r]}#{c}" for r, c in zip(rows, copy)]))
        except (EvalcorrError, ValueError, np.linalg.LinAlgError):
            continue
        for name in draws:
            draws[name].append(result.get(name, np.nan))
    out = []
    for name, value in estimate.items():
        d = np.asarray(draws[name], dtype=float)
        d = d[np.isfinite(d)]
        low, high = percentile_interval(d, ci) if len(d) else (np.nan, np.nan)
        out.append({"statistic": name, "estimate": float(value), "se": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                    "ci_low": float(low), "ci_high": float(high), "n_valid": int(len(d)), "n_groups": int(n_groups)})
    return pd.DataFrame(out)


def aligned_to_rows(values: pd.Series, index: pd.Index) -> pd.Series:
    """``values`` (model -> value) for the rows of ``index``, whose labels are models or the
    ``<model>#<copy>`` names of a :func:`cluster_bootstrap` resample.

    >>> aligned_to_rows(pd.Series({"m": 2.0}), pd.Index(["m", "m#0", "m#1"])).tolist()
    [2.0, 2.0, 2.0]
    """
    models = [label if label in values.index else str(label).rsplit("#", 1)[0] for label in index]
    return pd.Series(values.reindex(models).to_numpy(), index=index, name=values.name)


def replicate_coverage(wide: pd.DataFrame, replicate: pd.Series, groups: pd.Series, families,
                       n_boot: int = 1000, ci: float = 0.95, seed: int = 0, min_periods: int = 30) -> pd.DataFrame:
    """Do naive and lineage-aware intervals of each pair's r cover the truth?

    ``replicate`` labels each model with the replicate leaderboard it belongs to (leaderboards drawn
    independently, from disjoint base models). For each leaderboard, the naive bootstrap (models
    resampled) and the cluster bootstrap (``groups``: base models resampled) give an interval for
    every pair r (:func:`evalcorr.stats.uncertainty.interval_comparison`); the truth for that
    leaderboard is the pair r over all the *other* leaderboards' models pooled (independent of it),
    whose own cluster-bootstrap standard error is reported as ``truth_se``.

    Returns
    -------
    DataFrame: replicate, grouping, task_a, task_b, n, r, ci_low, ci_high, width, truth, truth_se, covered.
    """
    from evalcorr.stats.uncertainty import NAIVE, interval_comparison

    labels = replicate.loc[wide.index]
    rows = []
    for k in sorted(labels.unique()):
        mine = labels.index[labels == k]
        rest = labels.index[labels != k]
        result = interval_comparison(wide.loc[mine], families, {"base model": groups.loc[mine]}, n_boot=n_boot,
                                     ci=ci, seed=seed, min_periods=min_periods)
        truth = correlation_matrix(wide.loc[rest], min_periods=min_periods)
        truth_se = interval_comparison(wide.loc[rest], families, {"base model": groups.loc[rest]}, n_boot=n_boot,
                                       ci=ci, seed=seed, min_periods=min_periods).pairs
        truth_se = truth_se[truth_se["grouping"] == "base model"].set_index(["task_a", "task_b"])["se"]
        for _, p in result.pairs.iterrows():
            t = float(truth.loc[p["task_a"], p["task_b"]])
            rows.append({"replicate": k, "grouping": "models (naive)" if p["grouping"] == NAIVE else p["grouping"],
                         "task_a": p["task_a"], "task_b": p["task_b"], "n": int(p["n"]), "r": float(p["r"]),
                         "ci_low": float(p["ci_low"]), "ci_high": float(p["ci_high"]),
                         "width": float(p["ci_high"] - p["ci_low"]), "truth": t,
                         "truth_se": float(truth_se.loc[(p["task_a"], p["task_b"])]),
                         "covered": bool(p["ci_low"] <= t <= p["ci_high"])})
    return pd.DataFrame(rows)


def attainable_coverage(width, truth_se, level: float = 0.95) -> np.ndarray:
    """The coverage a correct interval of this width reaches against a truth that is itself estimated.

    A correct normal interval of half-width ``z * s`` (``s`` = width / 2z) is compared with a truth whose
    own standard error is ``t``: the difference of the two estimates has standard deviation
    ``sqrt(s^2 + t^2)``, so the interval covers it with probability ``2 Phi(z s / sqrt(s^2 + t^2)) - 1``,
    below ``level`` whenever ``t > 0``.

    >>> float(attainable_coverage(0.4, 0.0).round(3)), float(attainable_coverage(0.4, 0.102).round(3))
    (0.95, 0.834)
    """
    from scipy.stats import norm

    z = norm.ppf(0.5 + level / 2)
    s = np.asarray(width, dtype=float) / (2 * z)
    t = np.asarray(truth_se, dtype=float)
    return 2 * norm.cdf(z * s / np.sqrt(s ** 2 + t ** 2)) - 1


def coverage_summary(coverage: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per grouping: intervals, share covering the truth with a Wilson interval (counting every pair
    and leaderboard as one trial; pairs of one leaderboard are not independent, so the interval is
    optimistic), median width, the median truth standard error, and ``attainable``: the mean coverage
    that correct intervals of these widths would reach against a truth with that error
    (:func:`attainable_coverage`), the level to hold them to instead of the nominal one."""
    from evalcorr.stats.proportions import wilson_interval

    out = []
    for grouping, rows in coverage.groupby("grouping", sort=False):
        k, n = int(rows["covered"].sum()), len(rows)
        low, high = wilson_interval(k / n, n)
        per_replicate = rows.groupby("replicate")["covered"].mean()
        out.append({"grouping": grouping, "n_intervals": n, "n_covered": k, "coverage": k / n,
                    "ci_low": float(low), "ci_high": float(high), "nominal": level,
                    "attainable": float(attainable_coverage(rows["width"], rows["truth_se"], level).mean()),
                    "min_replicate_coverage": float(per_replicate.min()),
                    "max_replicate_coverage": float(per_replicate.max()),
                    "median_width": float(rows["width"].median()),
                    "median_truth_se": float(rows["truth_se"].median())})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------------
# The common factor, and benchmark signatures


def factor_drivers(wide: pd.DataFrame, covariates: pd.DataFrame) -> pd.DataFrame:
    """How much of the first principal component model covariates explain.

    ``covariates`` is models x named covariates (e.g. log10 parameters, log10 training steps); each
    non-empty subset of them, in order of size, is regressed (OLS with intercept) on the PC1 scores of
    the complete rows. Returns: predictors (joined with " + "), r2, n, and pc1_share (PC1's share of
    the tasks' variance, the same on every row).
    """
    pca = principal_components(wide)
    score = pca.scores["PC1"]
    data = covariates.loc[score.index].astype(float)
    names = list(data.columns)
    out = []
    from itertools import combinations

    for size in range(1, len(names) + 1):
        for subset in combinations(names, size):
            x = np.column_stack([np.ones(len(score)), data[list(subset)].to_numpy()])
            coef, *_ = np.linalg.lstsq(x, score.to_numpy(), rcond=None)
            resid = score.to_numpy() - x @ coef
            r2 = 1 - (resid ** 2).sum() / ((score - score.mean()) ** 2).sum()
            out.append({"predictors": " + ".join(subset), "r2": float(r2), "n": int(len(score)),
                        "pc1_share": float(pca.explained_variance_ratio.iloc[0])})
    return pd.DataFrame(out)


def signature_recovery(selected: Mapping[str, list[str]], uses: pd.DataFrame, token_primitive: pd.Series) -> pd.DataFrame:
    """Does each task's signature pick the probe tokens of its own primitives?

    ``selected`` maps task -> selected tokens (in order); ``token_primitive`` maps every candidate token
    to the primitive whose answers it is (other tokens, e.g. ``format``, belong to none).

    Returns
    -------
    DataFrame, one row per task: task, own (its primitives), selected, n_selected, n_own (selected
    tokens of its own primitives), own_share, chance_share (share of all candidate tokens that are of
    its own primitives), first_own (the first token is one of its own).
    """
    rows = []
    for task, tokens in selected.items():
        own = [p for p in uses.columns if uses.loc[task, p]]
        hit = [token_primitive.get(t) in own for t in tokens]
        rows.append({"task": task, "own": ", ".join(own), "selected": ", ".join(tokens), "n_selected": len(tokens),
                     "n_own": int(sum(hit)), "own_share": float(np.mean(hit)) if tokens else np.nan,
                     "chance_share": float(token_primitive.isin(own).mean()),
                     "first_own": bool(hit[0]) if tokens else False})
    return pd.DataFrame(rows)


def signature_null(selected: Mapping[str, list[str]], uses: pd.DataFrame, token_primitive: pd.Series,
                   n_perm: int = 9999, seed: int = 0) -> dict:
    """Share of all selected tokens that are of their task's own primitives, against random token
    labels (token -> primitive shuffled, each primitive keeping its number of tokens).

    Returns a dict: observed, null_mean, null_q95, p (one-sided, the observed counted), n_perm.
    """
    tokens = list(token_primitive.index)
    primitives, labels = np.unique(token_primitive.to_numpy().astype(str), return_inverse=True)
    # per selected token: which primitives count as its task's own (a row of primitives flags)
    rows, own = [], []
    for task, chosen in selected.items():
        flags = np.isin(primitives, [p for p in uses.columns if uses.loc[task, p]])
        rows += [tokens.index(t) for t in chosen]
        own += [flags] * len(chosen)
    if not rows:
        raise RecoveryError("signature_null: no task selected any token")
    rows, own = np.array(rows, dtype=int), np.array(own, dtype=bool).reshape(len(rows), len(primitives))
    picked = np.arange(len(rows))

    def share(lab: np.ndarray) -> np.ndarray:
        """The share of own-primitive tokens under each labelling (a row of ``lab``)."""
        return own[picked, lab[:, rows]].mean(axis=1)

    observed = float(share(labels[None, :])[0])
    rng = np.random.default_rng(seed)
    # the same permutations, one at a time from the generator, as permuting the labels themselves
    null = share(np.array([rng.permutation(labels) for _ in range(n_perm)]))
    return null_summary(observed, null)
