"""Blocks of tasks: groups that move together across models, found by factor analysis.

The rule (:func:`find_blocks`), on the tasks that most models have every score of
(:func:`evalcorr.stats.pca.complete_case_core`) and the models with all of them:

1. the number of factors k is Horn's parallel analysis (:func:`evalcorr.stats.factors.parallel_analysis`:
   components whose eigenvalue beats the 95th percentile of random normal data of the same shape);
2. for k >= 1, the loadings of k principal-component factors, varimax-rotated when k >= 2
   (:func:`evalcorr.stats.factors.factor_loadings`);
3. each task joins the factor on which its loading is largest in absolute value, provided that loading
   reaches :data:`SALIENT` (0.4, the usual cut for a salient loading); a task below it on every factor
   joins no block;
4. a **block** is a factor joined by at least two tasks (a factor of one task is that task's own
   variance, not a group).

Random data of the table's shape gives k = 0 about 95% of the time, so the rule finds no block in
noise; a table built from two independent latent abilities gives k = 2 and the two blocks. How sure the
count is comes from :func:`evalcorr.stats.factors.factor_count_stability`: the share of bootstrap
resamples of the models in which parallel analysis retains the same k. The count is *supported* when
that share reaches :data:`SUPPORT`; in the 5% of noise tables where parallel analysis retains a factor
by chance, the share is typically below 30%.

>>> blocks = find_blocks(wide)                         # doctest: +SKIP
>>> blocks.n_blocks, blocks.groups()                   # doctest: +SKIP
(2, {'block 1': ['a_0', 'a_1', ...], 'block 2': [...]})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import adjusted_rand_index
from evalcorr.stats.factors import ParallelAnalysis, factor_count_stability, factor_loadings, parallel_analysis
from evalcorr.stats.inputs import family_series, has_family_structure
from evalcorr.stats.pca import complete_case_core, complete_rows

SALIENT = 0.4
# Bootstrap support needed to state the number of blocks without reserve: the share of resamples of the
# models in which parallel analysis retains the same number of factors (three in four).
SUPPORT = 0.75
NO_BLOCK = "no block"
NOT_ANALYSED = "not analysed"
MIN_BLOCK = 2
# Fewest models with every analysed score: signatures need two cross-validation folds of two models.
MIN_COMPLETE_MODELS = 4


@dataclass(frozen=True)
class Blocks:
    """The blocks of a score table (see the module docstring for the rule).

    Attributes
    ----------
    membership : Series
        task -> ``"block 1"``, ``"block 2"``, ... or ``""`` (in no block), for every task analysed;
        blocks are numbered in the order of the factors (most variance first).
    n_factors : int
        factors retained by parallel analysis.
    loadings : DataFrame or None
        tasks x factors (rotated), None when no factor is retained.
    parallel : ParallelAnalysis
    count_stability : DataFrame
        :func:`evalcorr.stats.factors.factor_count_stability` (n_factors, count, share).
    tasks : list
        the tasks analysed (the complete-case core); ``excluded`` the others.
    n_models : int
        the models with every analysed task.
    salient, n_boot, seed :
        the settings.
    """

    membership: pd.Series
    n_factors: int
    loadings: pd.DataFrame | None
    parallel: ParallelAnalysis
    count_stability: pd.DataFrame
    tasks: list
    excluded: list
    n_models: int
    salient: float
    n_boot: int
    seed: int

    @property
    def n_blocks(self) -> int:
        """Number of blocks (factors joined by at least two tasks)."""
        return int(self.membership[self.membership != ""].nunique())

    @property
    def unassigned(self) -> list:
        """Tasks analysed that join no block."""
        return list(self.membership.index[self.membership == ""])

    @property
    def count_share(self) -> float:
        """Share of bootstrap resamples in which parallel analysis retains ``n_factors`` factors."""
        match = self.count_stability.loc[self.count_stability["n_factors"] == self.n_factors, "share"]
        return float(match.iloc[0]) if len(match) else 0.0

    @property
    def supported(self) -> bool:
        """Whether at least :data:`SUPPORT` of the bootstrap resamples give the same number of factors."""
        return self.count_share >= SUPPORT

    def groups(self) -> dict[str, list]:
        """Block label -> its tasks (largest loading first)."""
        return {label: list(self.membership.index[self.membership == label])
                for label in pd.unique(self.membership) if label}

    def label_table(self, tasks, families=None) -> pd.DataFrame:
        """A families-style table for figures: task, block (``"no block"`` for analysed tasks in none,
        ``"not analysed"`` for tasks left out of the complete-case core), display, and family when
        ``families`` (Series or table) is given; in the order of ``tasks``."""
        labels = self.membership.replace("", NO_BLOCK)
        table = pd.DataFrame({"task": list(tasks)})
        table["block"] = [labels.get(t, NOT_ANALYSED) for t in table["task"]]
        if families is not None:
            fam = family_series(families, table["task"])
            table.insert(1, "family", [fam[t] for t in table["task"]])
        table["display"] = table["task"]
        return table

    def as_families(self) -> pd.Series:
        """Task -> block label for the tasks in a block (the shape a families Series has)."""
        return self.membership[self.membership != ""].rename("family")


def assign_blocks(loadings: pd.DataFrame, salient: float = SALIENT, min_block: int = MIN_BLOCK) -> pd.Series:
    """Task -> block label from factor loadings (steps 3 and 4 of the module's rule).

    Tasks are listed block by block (in factor order), each block's tasks by decreasing loading, and
    the tasks in no block last.
    """
    values = loadings.to_numpy(dtype=float)
    best = np.abs(values).argmax(axis=1)
    strength = np.abs(values[np.arange(len(values)), best])
    factor = np.where(strength >= salient, best, -1)
    sizes = np.bincount(factor[factor >= 0], minlength=values.shape[1])
    factor = np.where((factor >= 0) & (sizes[np.maximum(factor, 0)] >= min_block), factor, -1)
    labels, order = {}, []
    for f in range(values.shape[1]):
        members = np.flatnonzero(factor == f)
        if len(members):
            labels[f] = f"block {len(labels) + 1}"
            order += list(members[np.argsort(-strength[members], kind="stable")])
    order += list(np.flatnonzero(factor < 0))
    return pd.Series([labels.get(int(factor[i]), "") for i in order], index=loadings.index[order], name="block")


def complete_core(wide: pd.DataFrame, min_share: float = 0.5) -> pd.DataFrame:
    """The models x tasks table the complete-case analyses use: the tasks of
    :func:`evalcorr.stats.pca.complete_case_core` and the models with every one of them.

    Raises
    ------
    EvalcorrError
        when fewer than :data:`MIN_COMPLETE_MODELS` models have every one of those tasks.
    """
    tasks = complete_case_core(wide, min_share=min_share)
    core = complete_rows(wide[tasks])
    if len(core) < MIN_COMPLETE_MODELS:
        listed = ", ".join(map(str, tasks[:5])) + (" ..." if len(tasks) > 5 else "")
        raise EvalcorrError(f"only {len(core)} models have a score on every one of the tasks {listed}; the factor "
                            f"analysis and the signatures need at least {MIN_COMPLETE_MODELS}: add models or leave "
                            "out the tasks few models have")
    return core


def find_blocks(wide: pd.DataFrame, n_iter: int = 100, n_boot: int = 200, seed: int = 0,
                salient: float = SALIENT, min_share: float = 0.5) -> Blocks:
    """Blocks of tasks by parallel analysis and rotated loadings, with the stability of the count.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    n_iter : int
        random data sets of the parallel analysis.
    n_boot : int
        bootstrap resamples for the stability of the factor count.
    seed : int
        seed of the random data and of the resamples.
    salient : float
        the smallest absolute loading that puts a task in a block.
    min_share : float
        the complete-case core keeps tasks until at least this share of the models has all of them.

    Returns
    -------
    Blocks

    Raises
    ------
    EvalcorrError
        when fewer than :data:`MIN_COMPLETE_MODELS` models have every task of the core (:func:`complete_core`).
    """
    core = complete_core(wide, min_share=min_share)
    tasks = list(core.columns)
    parallel = parallel_analysis(core, n_iter=n_iter, seed=seed)
    stability = factor_count_stability(core, parallel, n_boot=n_boot, seed=seed)
    if parallel.n_factors == 0:
        loadings = None
        membership = pd.Series("", index=pd.Index(tasks), name="block")
    else:
        loadings = factor_loadings(core, parallel.n_factors)
        membership = assign_blocks(loadings, salient)
    return Blocks(membership=membership, n_factors=parallel.n_factors, loadings=loadings, parallel=parallel,
                  count_stability=stability, tasks=tasks, excluded=[t for t in wide.columns if t not in tasks],
                  n_models=len(core), salient=salient, n_boot=n_boot, seed=seed)


def block_family_agreement(blocks: Blocks, families) -> float:
    """Adjusted Rand index between the blocks and the families, over the tasks that are in a block.

    1 when the blocks are the families, about 0 when they are unrelated; NaN when fewer than two tasks
    are in a block.
    """
    member = blocks.as_families()
    if len(member) < 2:
        return float("nan")
    fam = family_series(families, member.index).loc[list(member.index)]
    return adjusted_rand_index(fam.to_numpy(), member.to_numpy())


ALL_TASKS = "all tasks"


def comparison_groups(blocks: Blocks, families=None) -> tuple[pd.Series, str]:
    """The groups that within- and between-group comparisons of the analysed tasks use, and their kind.

    The families when they can split pairs (:func:`evalcorr.stats.inputs.has_family_structure`), else the
    blocks when there are at least two (the tasks in a block only), else every analysed task in one group
    :data:`ALL_TASKS` (within = all pairs, no between).

    Returns
    -------
    (Series, str)
        task -> group, and ``"families"``, ``"blocks"`` or ``"none"``.
    """
    if has_family_structure(families):
        return family_series(families, blocks.tasks).loc[list(blocks.tasks)], "families"
    if blocks.n_blocks >= 2:
        return blocks.as_families(), "blocks"
    return pd.Series(ALL_TASKS, index=pd.Index(blocks.tasks), name="family"), "none"


def comparison_controls(kind: str) -> dict:
    """The common-factor controls the table report removes (label -> control of
    :func:`evalcorr.stats.partial.partial_correlation_matrix`): the first principal component and the mean
    score, and with families also the equal-weighted mean of the family means."""
    controls = {"pc1": "pc1", "mean": "mean"}
    return controls | {"family-means": "family-means"} if kind == "families" else controls
