"""Transfer measured with seeds and item outcomes: the controlled experiment's cells with intervals.

The controlled experiment (source ``controlled-transfer``) runs the Babbage/Davinci protocol at several
model sizes with ``S`` seeds, each seed with its own base model and its own draws of training examples,
and scores every run on the same ``I`` held-out items of the evaluated task. Its item outcomes
(:func:`evalcorr.load_item_outcomes`) are arranged here as an :class:`OutcomeCube`.

**Estimates.** A cell's accuracy is pooled over seeds and items (the mean of the 0/1 outcomes). The
six views of :mod:`evalcorr.stats.transfer_cells` are computed from pooled accuracies: ``raw`` (after
A), ``after`` (after A, then a few of B), and the improvements over the few-of-B baseline ``pp``,
``relative``, ``headroom`` and ``logodds`` (:func:`~evalcorr.stats.transfer_cells.improvement_value`,
with ``S x I`` items behind each pooled accuracy for the log-odds correction). Pooling keeps the
ceiling-aware scales finite where single seeds score 0 or 1.

**Intervals.** A two-way bootstrap over the two sources of variation the design has. Each replicate
resamples the seeds with replacement, as clusters: everything a seed produced (its base model, its
after-A models, its baseline and its few-B runs, at every size, since seed ``s`` uses the same data
draws at each size) moves together; and it resamples the held-out items of each evaluated task with
replacement, one draw per task shared by every seed, stage and size, because every run is scored on
the same items (Owen's pigeonhole bootstrap for crossed factors). The intervals are percentile
intervals of the replicates; comparisons (a cell minus another, a size minus another) are computed
within each replicate, so shared seeds and items cancel as they should. The experiment's own
``intervals.csv`` uses the same scheme for the percentage-point view (other random draws).

>>> import evalcorr
>>> from evalcorr.stats.seeded_transfer import outcome_cube, bootstrap, cell_table
>>> cube = outcome_cube(evalcorr.load_item_outcomes())                 # doctest: +SKIP
>>> reps = bootstrap(cube, n_boot=1000)                                 # doctest: +SKIP
>>> cell_table(reps, "pp", model="ct-l").head()                         # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.data.item_outcomes import ItemOutcomes
from evalcorr.stats import ground_truth as gt
from evalcorr.stats.resampling import percentile_interval, resample_counts
from evalcorr.stats.results_store import stored
from evalcorr.stats.seed_means import STAGES, SeededTransferError
from evalcorr.stats.transfer import similarity, similarity_values
from evalcorr.stats.transfer_cells import (ACCURACY_VIEWS, CELL_VIEWS, IMPROVEMENT_VIEWS, _weighted_mean,
                                           comparison_row, improvement_value, task_resample_weights)

# Item resamples counted per draw (:func:`_item_counts`): a draw's counts, 1,000 x 500 items, fit in cache.
ITEM_DRAW = 1000


@dataclass(frozen=True)
class OutcomeCube:
    """Every run's item outcomes as arrays, indexed by position in ``models``, ``tasks``, ``seeds``.

    ``raw`` and ``after`` are bool ``[models, train task, eval task, seeds, items]`` (after A; after A
    then a few of B), ``baseline`` and ``untuned`` bool ``[models, eval task, seeds, items]``.
    """

    models: tuple[str, ...]
    tasks: tuple[str, ...]
    seeds: tuple[int, ...]
    raw: np.ndarray
    after: np.ndarray
    baseline: np.ndarray
    untuned: np.ndarray

    @property
    def n_items(self) -> int:
        return self.after.shape[-1]

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def model_index(self, model: str) -> int:
        if model not in self.models:
            raise SeededTransferError(f"model={model!r} not found; choose one of {', '.join(self.models)}")
        return self.models.index(model)

    def task_index(self, tasks) -> list[int]:
        unknown = [t for t in tasks if t not in self.tasks]
        if unknown:
            raise SeededTransferError(f"task(s) {unknown} not in the experiment ({', '.join(self.tasks)})")
        return [self.tasks.index(t) for t in tasks]


def outcome_cube(outcomes: ItemOutcomes, tasks=None, models=None) -> OutcomeCube:
    """Arrange item outcomes (:func:`evalcorr.load_item_outcomes`) as an :class:`OutcomeCube`.

    ``tasks`` and ``models`` fix the order (default: the order of first appearance); every run of the
    four stages must be present for every model, task pair and seed, all scored on the same number
    of items.
    """
    runs = outcomes.runs
    models = list(pd.unique(runs["model"])) if models is None else list(models)
    tasks = list(pd.unique(runs["eval_task"])) if tasks is None else list(tasks)
    seeds = sorted(int(s) for s in pd.unique(runs["seed"]))
    if runs["n_items"].nunique() != 1:
        raise SeededTransferError("runs are scored on different numbers of items; the cube needs one")
    n_items = int(runs["n_items"].iloc[0])
    m, k, s = len(models), len(tasks), len(seeds)
    pos_m = {v: i for i, v in enumerate(models)}
    pos_t = {v: i for i, v in enumerate(tasks)}
    pos_s = {v: i for i, v in enumerate(seeds)}
    arrays = {"raw": np.zeros((m, k, k, s, n_items), bool), "after": np.zeros((m, k, k, s, n_items), bool),
              "baseline": np.zeros((m, k, s, n_items), bool), "untuned": np.zeros((m, k, s, n_items), bool)}
    for name, stage in STAGES.items():
        rows = runs[(runs["stage"] == stage) & runs["model"].isin(pos_m) & runs["eval_task"].isin(pos_t)]
        if name in ("raw", "after"):
            rows = rows[rows["train_task"].isin(pos_t)]
            index = (rows["model"].map(pos_m), rows["train_task"].map(pos_t), rows["eval_task"].map(pos_t),
                     rows["seed"].map(pos_s))
            expected = m * k * k * s
        else:
            index = (rows["model"].map(pos_m), rows["eval_task"].map(pos_t), rows["seed"].map(pos_s))
            expected = m * k * s
        if len(rows) != expected:
            raise SeededTransferError(f"stage {stage}: {len(rows)} runs found, {expected} expected "
                                      f"({m} models, {k} tasks, {s} seeds); the item outcomes are incomplete")
        arrays[name][tuple(np.asarray(i) for i in index)] = outcomes.correct[rows.index.to_numpy(), :n_items]
    return OutcomeCube(tuple(models), tuple(tasks), tuple(seeds), **arrays)


# --------------------------------------------------------------------------------------------------
# Pooled accuracies and their bootstrap replicates


@dataclass(frozen=True)
class Accuracies:
    """Pooled accuracies: ``raw``/``after`` ``[..., models, A, B]``, ``baseline``/``untuned``
    ``[..., models, B]`` (a leading replicate axis in bootstrap replicates)."""

    raw: np.ndarray
    after: np.ndarray
    baseline: np.ndarray
    untuned: np.ndarray


@dataclass(frozen=True)
class Replicates:
    """Point estimates and bootstrap replicates of an experiment's pooled accuracies (:func:`bootstrap`)."""

    models: tuple[str, ...]
    tasks: tuple[str, ...]
    n_seeds: int
    n_items: int
    point: Accuracies
    boot: Accuracies
    seed: int

    @property
    def n_boot(self) -> int:
        return self.boot.after.shape[0]

    @property
    def n_pooled(self) -> int:
        """Outcomes behind each pooled accuracy (seeds x items)."""
        return self.n_seeds * self.n_items


def _pooled(outcomes: np.ndarray, seed_w: np.ndarray | None = None, item_w: list[np.ndarray] | None = None) -> np.ndarray:
    """Mean over the last two axes (seeds, items), or its replicates under weights.

    ``outcomes`` ``[..., B, seeds, items]``; ``seed_w`` ``[b, seeds]``; ``item_w`` one array
    ``[items, b]`` per evaluated task (:func:`_item_weights`; each replicate's column sums to 1).
    Returns ``[...]`` or ``[b, ...]`` (the task axis B kept). One matrix product per evaluated task:
    every run's outcomes on that task's items times the item weights.
    """
    if seed_w is None:
        return outcomes.mean(axis=(-2, -1), dtype=np.float64)
    lead, (n_tasks, n_seeds, n_items) = outcomes.shape[:-3], outcomes.shape[-3:]
    out = np.empty((len(seed_w), *lead, n_tasks))
    for j in range(n_tasks):
        runs = outcomes[..., j, :, :].reshape(-1, n_items).astype(np.float32)           # [lead x seeds, items]
        per_item = (runs @ item_w[j]).reshape(-1, n_seeds, len(seed_w))
        pooled = np.einsum("rsb,bs->br", per_item.astype(np.float64), seed_w)           # [b, lead]
        out[..., j] = pooled.reshape(len(seed_w), *lead)
    # float32 products can stray a hair outside [0, 1]; accuracies cannot
    return np.clip(out, 0.0, 1.0)


def _item_weights(counts: np.ndarray, n_items: int) -> list[np.ndarray]:
    """Each evaluated task's item weights for the products of :func:`_pooled`: ``[items, b]`` float32.

    ``counts`` ``[b, B, items]`` are the resampled items' multiplicities (:func:`_item_counts`). Dividing
    one task at a time, and once for all four stages, spares a float64 copy of every draw (80 MB for
    2,000 replicates of 10 tasks x 500 items); the weights are the same numbers.
    """
    return [(counts[:, j, :] / n_items).T.astype(np.float32) for j in range(counts.shape[1])]


def _item_counts(rng: np.random.Generator, n_boot: int, n_tasks: int, n_items: int) -> np.ndarray:
    """How often each item is drawn when a task's ``n_items`` items are resampled with replacement:
    ``[n_boot, n_tasks, n_items]``, one resample per replicate and task.

    The multinomial distribution, counted from uniform draws of items (:func:`resample_counts`) rather
    than made by ``rng.multinomial``, which draws one binomial per item: 0.1 s instead of 0.4 s for
    2,000 replicates of 10 tasks x 500 items. ``ITEM_DRAW`` resamples are counted at a time, so that
    the counts being filled stay in the processor's cache.
    """
    items, size = np.arange(n_items), n_boot * n_tasks
    counts = np.empty((size, n_items), dtype=np.int64)
    for first in range(0, size, ITEM_DRAW):
        counts[first:first + ITEM_DRAW] = resample_counts(items, n_items, min(ITEM_DRAW, size - first), rng)
    return counts.reshape(n_boot, n_tasks, n_items)


def _accuracies(cube: OutcomeCube, seed_w=None, item_w=None) -> Accuracies:
    return Accuracies(*(_pooled(getattr(cube, name), seed_w, item_w) for name in ("raw", "after", "baseline", "untuned")))


@stored
def bootstrap(cube: OutcomeCube, n_boot: int = 2000, seed: int = 0) -> Replicates:
    """Pooled accuracies and ``n_boot`` replicates of them, seeds and items resampled (module docstring).

    The same replicate draws serve every model, stage and task, so any statistic computed replicate by
    replicate (a difference between cells, sizes or categories) keeps the pairing of the design.
    """
    if n_boot < 100:
        raise SeededTransferError(f"n_boot={n_boot}: use at least 100 replicates for 95% intervals")
    rng = np.random.default_rng(seed)
    s, k, i = cube.n_seeds, len(cube.tasks), cube.n_items
    seed_w = rng.multinomial(s, np.full(s, 1 / s), size=n_boot) / s
    item_w = _item_weights(_item_counts(rng, n_boot, k, i), i)
    return Replicates(cube.models, cube.tasks, s, i, _accuracies(cube), _accuracies(cube, seed_w, item_w), seed)


# --------------------------------------------------------------------------------------------------
# Views, cells and matrices


def view_values(acc: Accuracies, view: str, n_pooled: int) -> np.ndarray:
    """One view of every cell: ``[..., models, A, B]``."""
    if view not in CELL_VIEWS:
        raise SeededTransferError(f"view={view!r}: choose one of {', '.join(CELL_VIEWS)}")
    if view in ACCURACY_VIEWS:
        return getattr(acc, view)
    baseline = np.broadcast_to(acc.baseline[..., None, :], acc.after.shape)
    return improvement_value(view, acc.after, baseline, n_pooled)


def _interval(boot: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):       # a view undefined in some replicates (relative to a 0 baseline)
        return percentile_interval(np.asarray(boot, dtype=float), ci)


def _select(reps: Replicates, model: str | None) -> list[int]:
    if model is None:
        return list(range(len(reps.models)))
    if model not in reps.models:
        raise SeededTransferError(f"model={model!r} not found; choose one of {', '.join(reps.models)}")
    return [reps.models.index(model)]


def view_matrix(reps: Replicates, view: str, model: str, tasks=None) -> pd.DataFrame:
    """One model's view as a matrix (rows trained on, columns evaluated on), tasks in ``tasks`` order."""
    tasks = list(reps.tasks if tasks is None else tasks)
    idx = [reps.tasks.index(t) for t in tasks]
    values = view_values(reps.point, view, reps.n_pooled)[_select(reps, model)[0]]
    matrix = pd.DataFrame(values[np.ix_(idx, idx)], index=pd.Index(tasks, name="train_task"),
                          columns=pd.Index(tasks, name="eval_task"))
    return matrix


def cell_table(reps: Replicates, view: str = "pp", model: str | None = None, ci: float = 0.95) -> pd.DataFrame:
    """Tidy table of one view of every cell with its bootstrap interval.

    Returns
    -------
    DataFrame: model, train_task, eval_task, view, value, ci_low, ci_high, half_width, after, baseline
    (pooled accuracies), n_items (items per run), n (seeds), includes_zero (improvements: the
    interval contains 0; always False for accuracies).
    """
    point = view_values(reps.point, view, reps.n_pooled)
    low, high = _interval(view_values(reps.boot, view, reps.n_pooled), ci)
    rows = []
    k = len(reps.tasks)
    for m in _select(reps, model):
        a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        rows.append(pd.DataFrame({
            "model": reps.models[m], "train_task": np.asarray(reps.tasks)[a.ravel()],
            "eval_task": np.asarray(reps.tasks)[b.ravel()], "view": view,
            "value": point[m].ravel(), "ci_low": low[m].ravel(), "ci_high": high[m].ravel(),
            "after": reps.point.after[m].ravel(), "baseline": np.tile(reps.point.baseline[m], k)}))
    out = pd.concat(rows, ignore_index=True)
    out["half_width"] = (out["ci_high"] - out["ci_low"]) / 2
    out["n_items"] = reps.n_items
    out["n"] = reps.n_seeds
    out["includes_zero"] = (view in IMPROVEMENT_VIEWS) & (out["ci_low"] <= 0) & (out["ci_high"] >= 0)
    return out[["model", "train_task", "eval_task", "view", "value", "ci_low", "ci_high", "half_width",
                "after", "baseline", "n_items", "n", "includes_zero"]]


def stage_table(reps: Replicates, stage: str, ci: float = 0.95) -> pd.DataFrame:
    """Pooled accuracy of every evaluated task at a one-task stage (``baseline`` = a few of B only, or
    ``untuned``) with its interval: model, task, value, ci_low, ci_high."""
    if stage not in ("baseline", "untuned"):
        raise SeededTransferError(f"stage={stage!r}: choose baseline or untuned")
    low, high = _interval(getattr(reps.boot, stage), ci)
    point = getattr(reps.point, stage)
    return pd.DataFrame([{"model": model, "task": task, "value": point[m, j], "ci_low": low[m, j],
                          "ci_high": high[m, j]}
                         for m, model in enumerate(reps.models) for j, task in enumerate(reps.tasks)])


# --------------------------------------------------------------------------------------------------
# Asymmetry, similarity and clustering


def asymmetry_table(reps: Replicates, model: str, tasks, view: str = "pp", ci: float = 0.95) -> pd.DataFrame:
    """Both directions of every unordered pair of ``tasks`` and their difference with its interval.

    Returns
    -------
    DataFrame: task_a, task_b, a_to_b, b_to_a, difference (a_to_b - b_to_a), ci_low, ci_high,
    beyond_noise (the interval excludes 0); sorted by |difference|, largest first.
    """
    m = _select(reps, model)[0]
    point = view_values(reps.point, view, reps.n_pooled)[m]
    boot = view_values(reps.boot, view, reps.n_pooled)[:, m]
    rows = []
    for a, b in itertools.combinations(tasks, 2):
        i, j = reps.tasks.index(a), reps.tasks.index(b)
        low, high = _interval(boot[:, i, j] - boot[:, j, i], ci)
        rows.append({"task_a": a, "task_b": b, "a_to_b": point[i, j], "b_to_a": point[j, i],
                     "difference": point[i, j] - point[j, i], "ci_low": float(low), "ci_high": float(high)})
    out = pd.DataFrame(rows)
    out["beyond_noise"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    order = out["difference"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def asymmetry_cells(table: pd.DataFrame, tasks) -> pd.DataFrame:
    """:func:`asymmetry_table` as one row per ordered pair of ``tasks`` (both orientations; the diagonal
    0 with no interval): train_task, eval_task, value (A→B minus B→A), ci_low, ci_high, includes_zero."""
    forward = table.rename(columns={"task_a": "train_task", "task_b": "eval_task", "difference": "value"})
    backward = forward.assign(train_task=forward["eval_task"], eval_task=forward["train_task"], value=-forward["value"],
                              ci_low=-forward["ci_high"], ci_high=-forward["ci_low"])
    diagonal = pd.DataFrame({"train_task": list(tasks), "eval_task": list(tasks), "value": 0.0,
                             "ci_low": np.nan, "ci_high": np.nan, "beyond_noise": True})
    cells = pd.concat([forward, backward, diagonal], ignore_index=True)
    cells["includes_zero"] = ~cells["beyond_noise"].astype(bool)
    return cells[["train_task", "eval_task", "value", "ci_low", "ci_high", "includes_zero"]]


def asymmetry_within_noise(table: pd.DataFrame, tasks) -> pd.DataFrame:
    """:func:`asymmetry_table`'s verdicts as a square bool matrix over ``tasks``: True where the two
    directions' difference is within noise (both orientations), False on the diagonal."""
    cells = asymmetry_cells(table, tasks)
    within = cells.pivot(index="train_task", columns="eval_task", values="includes_zero")
    return within.reindex(index=list(tasks), columns=list(tasks)).astype(bool)


def similarity_matrix(reps: Replicates, model: str, tasks, view: str = "pp") -> pd.DataFrame:
    """The symmetric similarity (:func:`evalcorr.stats.transfer.similarity`) of one model's view."""
    return similarity(view_matrix(reps, view, model, tasks))


def similarity_replicates(reps: Replicates, model: str, tasks, view: str = "pp") -> np.ndarray:
    """The similarity in every bootstrap replicate: ``[n_boot, k, k]`` (diagonal NaN)."""
    idx = [reps.tasks.index(t) for t in tasks]
    boot = view_values(reps.boot, view, reps.n_pooled)[:, _select(reps, model)[0]]
    return similarity_values(boot[:, idx][:, :, idx])


def mutual_groups(reps: Replicates, model: str, tasks, view: str = "pp", ci: float = 0.95) -> pd.Series:
    """Tasks grouped by mutual transfer beyond noise.

    Two tasks are linked when each helps the other: both directions' improvements have an interval
    above 0. The groups are the connected components of these links (a task linked to none is a group
    of its own), labelled 1, 2, ... in ``tasks`` order. Unlike a cut of the similarity dendrogram into a
    fixed number of clusters, this needs no choice of a count, and ties at similarity 0 (most pairs
    here) cannot decide it.

    Returns
    -------
    Series task -> group.
    """
    m = _select(reps, model)[0]
    idx = [reps.tasks.index(t) for t in tasks]
    low, _ = _interval(view_values(reps.boot, view, reps.n_pooled)[:, m][:, idx][:, :, idx], ci)
    helps = low > 0
    linked = helps & helps.T
    labels = [0] * len(idx)
    group = 0
    for start in range(len(idx)):
        if labels[start]:
            continue
        group += 1
        todo = [start]
        while todo:
            i = todo.pop()
            if not labels[i]:
                labels[i] = group
                todo += [j for j in np.flatnonzero(linked[i]) if not labels[j] and j != i]
    return pd.Series(labels, index=list(tasks), name="group")


# --------------------------------------------------------------------------------------------------
# Agreement with the ground truth


def truth_agreement(reps: Replicates, truth: pd.DataFrame, view: str = "pp", ci: float = 0.95) -> pd.DataFrame:
    """How far each model's transfer similarity follows the shared primitives, and the surfaces.

    For the real tasks of ``truth``: the Mantel correlation of the similarity with the shared-primitive
    matrix and with the same-surface matrix, each with its exact permutation p-value, its bootstrap
    interval (over seeds and items) and its partial version controlling for the other reference; and
    the adjusted Rand index of the groups of mutual transfer (:func:`mutual_groups`) against the
    primitive groups (single-primitive tasks) and against the surface groups.

    Returns
    -------
    DataFrame, one row per model and reference (``shared primitives``, ``same surface``): model,
    reference, r, ci_low, ci_high, p, partial_r, partial_p, n_perm, ari, n_tasks.
    """
    tasks = gt.real_tasks(truth)
    references = {"shared primitives": gt.shared_primitives(truth, tasks), "same surface": gt.same_surface(truth, tasks)}
    groups = {"shared primitives": gt.primitive_groups(truth, tasks), "same surface": gt.surface_groups(truth, tasks)}
    rows = []
    for model in reps.models:
        sim = similarity_matrix(reps, model, tasks, view)
        boot = similarity_replicates(reps, model, tasks, view)
        clusters = mutual_groups(reps, model, tasks, view, ci)
        for name, reference in references.items():
            other = references["same surface" if name == "shared primitives" else "shared primitives"]
            test = gt.mantel_test(sim, reference)
            partial = gt.mantel_test(sim, reference, control=other)
            low, high = _interval(_mantel_r(boot, reference.to_numpy(float)), ci)
            rows.append({"model": model, "reference": name, "r": test["r"], "ci_low": float(low),
                         "ci_high": float(high), "p": test["p"], "partial_r": partial["r"],
                         "partial_p": partial["p"], "n_perm": test["n_perm"],
                         "ari": gt.partition_agreement(clusters, groups[name]), "n_tasks": len(tasks)})
    return pd.DataFrame(rows)


def _mantel_r(similarities: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Pearson r of each replicate's upper triangle with the reference's (NaN for a constant replicate)."""
    upper = np.triu_indices(reference.shape[0], 1)
    x = similarities[:, upper[0], upper[1]]
    y = reference[upper] - reference[upper].mean()
    x = x - x.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x @ y) / (np.sqrt((x * x).sum(axis=1)) * np.sqrt((y * y).sum()))


def agreement_contrast(reps: Replicates, truth: pd.DataFrame, view: str = "pp", ci: float = 0.95) -> pd.DataFrame:
    """Per model: Mantel r with the shared primitives minus r with the same surface, with its interval.

    Returns
    -------
    DataFrame: model, difference, ci_low, ci_high, favours (``shared primitives``, ``same surface``
    or ``within noise``).
    """
    tasks = gt.real_tasks(truth)
    primitives = gt.shared_primitives(truth, tasks).to_numpy(float)
    surface = gt.same_surface(truth, tasks).to_numpy(float)
    rows = []
    for model in reps.models:
        sim = similarity_matrix(reps, model, tasks, view).to_numpy(float)[None]
        boot = similarity_replicates(reps, model, tasks, view)
        point = float(_mantel_r(sim, primitives)[0] - _mantel_r(sim, surface)[0])
        low, high = _interval(_mantel_r(boot, primitives) - _mantel_r(boot, surface), ci)
        favours = "shared primitives" if low > 0 else "same surface" if high < 0 else "within noise"
        rows.append({"model": model, "difference": point, "ci_low": float(low), "ci_high": float(high),
                     "favours": favours})
    return pd.DataFrame(rows)


def category_means(reps: Replicates, truth: pd.DataFrame, view: str = "pp", ci: float = 0.95) -> pd.DataFrame:
    """Mean transfer of the ordered pairs of each category (:func:`evalcorr.stats.ground_truth.pair_categories`).

    Intervals over seeds and items (the pairs of a category are fixed by the design, so tasks are not
    resampled).

    Returns
    -------
    DataFrame: model, category, n_pairs, mean, ci_low, ci_high (categories in
    :data:`~evalcorr.stats.ground_truth.CATEGORIES` order, models in the experiment's order).
    """
    pairs = gt.pair_categories(truth)
    point = view_values(reps.point, view, reps.n_pooled)
    boot = view_values(reps.boot, view, reps.n_pooled)
    rows = []
    for m, model in enumerate(reps.models):
        for category in gt.CATEGORIES:
            chosen = pairs[pairs["category"] == category]
            i, j = chosen["train_task"].map(reps.tasks.index), chosen["eval_task"].map(reps.tasks.index)
            low, high = _interval(np.nanmean(boot[:, m, i, j], axis=1), ci)
            rows.append({"model": model, "category": category, "n_pairs": len(chosen),
                         "mean": float(np.nanmean(point[m, i, j])), "ci_low": float(low), "ci_high": float(high)})
    return pd.DataFrame(rows)


def category_contrast(reps: Replicates, truth: pd.DataFrame, first: str, second: str, view: str = "pp",
                      ci: float = 0.95) -> pd.DataFrame:
    """Per model: mean transfer of the ``first`` category's pairs minus the ``second``'s, with its interval.

    Returns
    -------
    DataFrame: model, first, second, difference, ci_low, ci_high, beyond_noise.
    """
    pairs = gt.pair_categories(truth)
    unknown = {first, second} - set(gt.CATEGORIES)
    if unknown:
        raise SeededTransferError(f"unknown categor(y/ies) {sorted(unknown)}; choose from {gt.CATEGORIES}")
    point = view_values(reps.point, view, reps.n_pooled)
    boot = view_values(reps.boot, view, reps.n_pooled)

    def mean(values, category):
        chosen = pairs[pairs["category"] == category]
        i, j = chosen["train_task"].map(reps.tasks.index), chosen["eval_task"].map(reps.tasks.index)
        return np.nanmean(values[..., i, j], axis=-1)

    rows = []
    for m, model in enumerate(reps.models):
        low, high = _interval(mean(boot[:, m], first) - mean(boot[:, m], second), ci)
        rows.append({"model": model, "first": first, "second": second,
                     "difference": float(mean(point[m], first) - mean(point[m], second)),
                     "ci_low": float(low), "ci_high": float(high)})
    out = pd.DataFrame(rows)
    out["beyond_noise"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    return out


def unhelped_tasks(reps: Replicates, tasks, view: str = "pp", ci: float = 0.95) -> list[str]:
    """The tasks (of ``tasks``) that no other of them helps beyond noise at any size: no cell with
    that task evaluated has an interval above 0."""
    idx = [reps.tasks.index(t) for t in tasks]
    low, _ = _interval(view_values(reps.boot, view, reps.n_pooled)[:, :, idx][:, :, :, idx], ci)   # [m, A, B]
    helped = (low > 0) & ~np.eye(len(idx), dtype=bool)[None]
    return [t for j, t in enumerate(tasks) if not helped[:, :, j].any()]


def control_effects(reps: Replicates, truth: pd.DataFrame, ci: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The controls' own numbers on the pp view, per model.

    Returns
    -------
    (copies, shuffled). ``copies``: one row per copy control, direction and model (model, train_task,
    eval_task, value, ci_low, ci_high): the original trained on, then a few of the copy, and the
    reverse. ``shuffled``: one row per shuffled control and model (model, control, n_tasks, mean,
    lowest, highest, n_hurt, n_helped: the control's improvement on every other task, and how many
    of those cells lie below / above 0 beyond noise).
    """
    copies, shuffled = [], []
    for model in reps.models:
        cells = cell_table(reps, "pp", model=model, ci=ci).set_index(["train_task", "eval_task"])
        for copy, original in gt.controls(truth, "copy").itertuples(index=False):
            for a, b in ((original, copy), (copy, original)):
                row = cells.loc[(a, b)]
                copies.append({"model": model, "train_task": a, "eval_task": b, "value": row["value"],
                               "ci_low": row["ci_low"], "ci_high": row["ci_high"]})
        for control, _ in gt.controls(truth, "shuffled").itertuples(index=False):
            rows = cells.loc[control].drop(index=control)
            shuffled.append({"model": model, "control": control, "n_tasks": len(rows), "mean": rows["value"].mean(),
                             "lowest": rows["value"].min(), "highest": rows["value"].max(),
                             "lowest_task": rows["value"].idxmin(),
                             "n_hurt": int((rows["ci_high"] < 0).sum()), "n_helped": int((rows["ci_low"] > 0).sum())})
    return pd.DataFrame(copies), pd.DataFrame(shuffled)


# --------------------------------------------------------------------------------------------------
# Comparing sizes: the post's question with seeds


def size_comparison(reps: Replicates, tasks, views=IMPROVEMENT_VIEWS, pairs=None, resample_tasks: bool = True,
                    seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Mean off-diagonal transfer of each size on several scales, and differences between sizes.

    The released-sheet headline (:func:`evalcorr.stats.transfer_cells.headline_table`) resamples
    tasks; here each replicate also resamples seeds and items (:func:`bootstrap`), the same draw of
    tasks, seeds and items for every size. With ``resample_tasks=False`` the tasks stay fixed: the
    interval then speaks of these tasks only (seeds and items resampled). ``pairs`` lists the
    (model_a, model_b) comparisons (default: the smallest size against each larger one).

    Returns
    -------
    DataFrame with the columns of ``headline_table``, one row per view and pair.
    """
    idx = [reps.tasks.index(t) for t in tasks]
    models = list(reps.models)
    pairs = [(models[0], other) for other in models[1:]] if pairs is None else list(pairs)
    if resample_tasks:
        weights = task_resample_weights(len(idx), reps.n_boot, np.random.default_rng(seed))
    else:
        weights = np.broadcast_to(1.0 - np.eye(len(idx)), (reps.n_boot, len(idx), len(idx)))
    rows = []
    for view in views:
        cube = view_values(reps.point, view, reps.n_pooled)[:, idx][:, :, idx]
        boot = view_values(reps.boot, view, reps.n_pooled)[:, :, idx][:, :, :, idx]
        means = _weighted_mean(boot, weights)
        for a, b in pairs:
            rows.append(comparison_row(view, cube, means, models, pair=(models.index(a), models.index(b)), ci=ci))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Where the interval target is missed, and why


def seed_item_spread(cube: OutcomeCube, model: str, view_cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per cell of one model, the two parts of the uncertainty of its mean pp improvement.

    With ``d[s, i]`` = after minus baseline of seed ``s`` on item ``i``: ``seed_se`` is the standard
    error from the spread of the seeds' means (``sd_s(mean_i d) / sqrt(S)``), ``item_se`` that of the
    items' means (``sd_i(mean_s d) / sqrt(I)``); ``seed_share`` = seed_se² / (seed_se² + item_se²).
    ``seeds_for_target(h)`` below uses them. Closed forms of the one-way bootstraps (ddof 0).

    Returns
    -------
    DataFrame: model, train_task, eval_task, mean, seed_se, item_se, seed_share, seed_min, seed_max
    (the lowest and highest seed's mean improvement).
    """
    m = cube.model_index(model)
    d = cube.after[m].astype(float) - cube.baseline[m][None].astype(float)   # [A, B, s, i]
    by_seed = d.mean(axis=3)
    by_item = d.mean(axis=2)
    seed_se = by_seed.std(axis=2) / np.sqrt(cube.n_seeds)
    item_se = by_item.std(axis=2) / np.sqrt(cube.n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(seed_se ** 2 + item_se ** 2 > 0, seed_se ** 2 / (seed_se ** 2 + item_se ** 2), np.nan)
    k = len(cube.tasks)
    a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    names = np.asarray(cube.tasks)
    return pd.DataFrame({"model": model, "train_task": names[a.ravel()], "eval_task": names[b.ravel()],
                         "mean": d.mean(axis=(2, 3)).ravel(), "seed_se": seed_se.ravel(), "item_se": item_se.ravel(),
                         "seed_share": share.ravel(), "seed_min": by_seed.min(axis=2).ravel(),
                         "seed_max": by_seed.max(axis=2).ravel()})


def seeds_for_target(spread: pd.DataFrame, n_seeds: int, target: float = 0.03, z: float = 1.959964) -> pd.Series:
    """Seeds a cell would need for a 95% half-width of ``target``, if the seeds' spread stayed as
    measured and the items' part stayed fixed (NaN when the items alone exceed the target)."""
    room = (target / z) ** 2 - spread["item_se"] ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        needed = np.ceil(n_seeds * spread["seed_se"] ** 2 / room)
    return needed.where(room > 0).rename("seeds_needed")


def per_seed_improvement(cube: OutcomeCube, model: str, cells) -> pd.DataFrame:
    """The pp improvement of each seed in the given (train_task, eval_task) cells: model, train_task,
    eval_task, seed, improvement (after A then B minus the seed's baseline, mean over items)."""
    m = cube.model_index(model)
    rows = []
    for a, b in cells:
        i, j = cube.task_index([a, b])
        diff = cube.after[m, i, j].mean(axis=1) - cube.baseline[m, j].mean(axis=1)
        rows += [{"model": model, "train_task": a, "eval_task": b, "seed": seed, "improvement": float(v)}
                 for seed, v in zip(cube.seeds, diff)]
    return pd.DataFrame(rows)
