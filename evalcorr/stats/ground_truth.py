"""Task relations known by construction, and how far a measured task similarity agrees with them.

A controlled experiment's ground-truth table (:func:`evalcorr.load_ground_truth`) says which primitive
operations each task uses and which surface format it has. From it this module derives, for the real
tasks (controls left out):

- :func:`shared_primitives`: how many primitives two tasks share (the skill they have in common);
- :func:`same_surface`: whether two tasks look alike (same surface format);
- :func:`pair_categories`: every ordered pair in one of four categories (shared primitive with the
  same or another surface, same surface only, neither): the analogue of the original study's
  question whether MATH transfers to the mathematical-*sounding* BBH tasks;
- :func:`mantel_test`: the correlation of a similarity matrix with a reference matrix over task pairs,
  with a permutation p-value (task labels permuted; every permutation when there are few tasks) and,
  given a second reference to control for, the partial correlation;
- :func:`partition_agreement`: the adjusted Rand index of a clustering against a grouping.

>>> import pandas as pd
>>> truth = pd.DataFrame({"task": ["a", "b", "c"], "surface": ["x", "y", "x"], "control": [""] * 3,
...                       "control_of": [""] * 3, "template": [""] * 3, "description": [""] * 3,
...                       "p1": [1, 1, 0], "p2": [0, 1, 1]})
>>> shared_primitives(truth).loc["a", "b"], same_surface(truth).loc["a", "c"]
(1, 1)
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd

from evalcorr.data.ground_truth import primitive_columns
from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import adjusted_rand_index

CATEGORIES = ("shared primitive, other surface", "shared primitive, same surface",
              "same surface only", "neither")
EXACT_LIMIT = 9   # up to this many tasks every permutation is enumerated (9! = 362,880)


class GroundTruthError(EvalcorrError, ValueError):
    """A ground-truth table or similarity matrix does not fit the analysis."""


def real_tasks(truth: pd.DataFrame) -> list[str]:
    """The tasks that are not controls, in table order."""
    return truth.loc[truth["control"] == "", "task"].tolist()


def controls(truth: pd.DataFrame, role: str) -> pd.DataFrame:
    """The control rows of one role (``copy`` or ``shuffled``): task and control_of."""
    return truth.loc[truth["control"] == role, ["task", "control_of"]].reset_index(drop=True)


def task_order(truth: pd.DataFrame) -> list[str]:
    """Tasks grouped by primitive for display: each real task under its first primitive (tasks with
    more primitives after those with one), table order within a group, then the controls."""
    primitives = primitive_columns(truth)
    rows = truth.reset_index(drop=True)

    def key(i):
        row = rows.loc[i]
        used = [k for k, p in enumerate(primitives) if row[p]]
        return (row["control"] != "", used[0] if used else len(primitives), len(used), i)

    return [rows.loc[i, "task"] for i in sorted(rows.index, key=key)]


def _table(truth: pd.DataFrame, tasks) -> pd.DataFrame:
    table = truth.set_index("task")
    tasks = real_tasks(truth) if tasks is None else list(tasks)
    unknown = [t for t in tasks if t not in table.index]
    if unknown:
        raise GroundTruthError(f"task(s) {unknown} are not in the ground-truth table ({list(table.index)})")
    return table.loc[tasks]


def shared_primitives(truth: pd.DataFrame, tasks=None) -> pd.DataFrame:
    """Number of primitives each pair of tasks shares (tasks x tasks; the diagonal counts a task's own)."""
    table = _table(truth, tasks)
    uses = table[primitive_columns(truth)].to_numpy(int)
    return pd.DataFrame(uses @ uses.T, index=table.index, columns=table.index)


def same_surface(truth: pd.DataFrame, tasks=None) -> pd.DataFrame:
    """1 where two tasks have the same surface format, else 0 (tasks x tasks)."""
    surface = _table(truth, tasks)["surface"].to_numpy()
    table = (surface[:, None] == surface[None, :]).astype(int)
    return pd.DataFrame(table, index=_table(truth, tasks).index, columns=_table(truth, tasks).index)


def primitive_groups(truth: pd.DataFrame, tasks=None) -> pd.Series:
    """Each single-primitive task's primitive (tasks that use several primitives are left out: they
    belong to more than one group, so no partition holds them)."""
    table = _table(truth, tasks)
    primitives = primitive_columns(truth)
    uses = table[primitives]
    single = uses.sum(axis=1) == 1
    return uses[single].idxmax(axis=1).rename("group")


def surface_groups(truth: pd.DataFrame, tasks=None) -> pd.Series:
    """Each task's surface format."""
    return _table(truth, tasks)["surface"].rename("group")


def pair_categories(truth: pd.DataFrame, tasks=None) -> pd.DataFrame:
    """Every ordered pair of distinct tasks with what it shares.

    Returns
    -------
    DataFrame: train_task, eval_task, shared (number of shared primitives), same_surface (bool),
    category (one of :data:`CATEGORIES`).
    """
    shared, surface = shared_primitives(truth, tasks), same_surface(truth, tasks)
    rows = []
    for a, b in itertools.permutations(shared.index, 2):
        n, alike = int(shared.at[a, b]), bool(surface.at[a, b])
        category = (CATEGORIES[1] if alike else CATEGORIES[0]) if n else (CATEGORIES[2] if alike else CATEGORIES[3])
        rows.append({"train_task": a, "eval_task": b, "shared": n, "same_surface": alike, "category": category})
    return pd.DataFrame(rows)


def _upper(matrix: np.ndarray) -> np.ndarray:
    """The cells above the diagonal of the last two axes, as the last axis."""
    return matrix[(Ellipsis, *np.triu_indices(matrix.shape[-1], 1))]


def _residual(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals of the last axis of ``y`` on ``x`` (with an intercept), vectorised over leading axes."""
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, np.moveaxis(y, -1, 0).reshape(len(x), -1), rcond=None)
    fitted = (design @ coef).reshape(np.moveaxis(y, -1, 0).shape)
    return y - np.moveaxis(fitted, 0, -1)


def _corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of ``b`` (vector) with each row of ``a`` (last axis = pairs)."""
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a @ b) / (np.sqrt((a * a).sum(axis=-1)) * np.sqrt((b * b).sum()))


def permutations(n: int, n_perm: int | None, seed: int) -> tuple[np.ndarray, bool]:
    """Task relabellings for a permutation test: all ``n!`` when ``n <= EXACT_LIMIT`` and ``n_perm`` is
    None, else the identity and ``n_perm`` random ones. Returns (array [perms, n], exact)."""
    if n_perm is None and n <= EXACT_LIMIT:
        return _all_permutations(n), True
    count = n_perm if n_perm is not None else 9999
    rng = np.random.default_rng(seed)
    random = np.array([rng.permutation(n) for _ in range(count)], dtype=np.intp)
    return np.vstack([np.arange(n)[None, :], random]), False


@functools.lru_cache(maxsize=None)
def _all_permutations(n: int) -> np.ndarray:
    """Every ordering of ``range(n)`` (read-only: one array serves every test of ``n`` tasks)."""
    out = np.array(list(itertools.permutations(range(n))), dtype=np.intp)
    out.flags.writeable = False
    return out


def mantel_test(similarity: pd.DataFrame, reference: pd.DataFrame, control: pd.DataFrame | None = None,
                n_perm: int | None = None, seed: int = 0) -> dict:
    """Mantel correlation of a symmetric similarity with a reference matrix over the task pairs.

    ``r`` is the Pearson correlation of the two matrices' upper triangles. Its p-value (one-sided: the
    similarity agrees with the reference at least this well) permutes the similarity's task labels
    (rows and columns together): every permutation for up to :data:`EXACT_LIMIT` tasks (exact), else
    ``n_perm`` random ones plus the observed order. With ``control``, ``r`` is the partial Mantel
    correlation: both the similarity and the reference residualised on the control matrix, the
    similarity again after each permutation (Smouse, Long and Sokal 1986).

    Returns
    -------
    dict: n_tasks, n_pairs, r, p, n_perm (permutations used, the observed order included), exact.
    """
    tasks = list(similarity.index)
    missing = [t for t in tasks if t not in reference.index]
    if missing:
        raise GroundTruthError(f"the reference matrix lacks task(s) {missing}")
    values = similarity.loc[tasks, tasks].to_numpy(float)
    if not np.allclose(values, values.T, equal_nan=True):
        raise GroundTruthError("the similarity must be symmetric (evalcorr.stats.transfer.similarity)")
    ref = _upper(reference.loc[tasks, tasks].to_numpy(float))
    if np.isnan(_upper(values)).any():
        raise GroundTruthError("the similarity has missing off-diagonal cells")
    perms, exact = permutations(len(tasks), n_perm, seed)
    rows, cols = np.triu_indices(len(tasks), 1)
    permuted = values[perms[:, rows], perms[:, cols]]     # [perms, pairs]: each relabelling's upper triangle
    observed = _upper(values)[None, :]
    if control is not None:
        ctrl = _upper(control.loc[tasks, tasks].to_numpy(float))
        ref = _residual(ref[None, :], ctrl)[0]
        observed, permuted = _residual(observed, ctrl), _residual(permuted, ctrl)
    r = float(_corr(observed, ref)[0])
    # the observed order is among the permutations, so p >= 1 / n_perm (a tiny tolerance for float ties)
    p = float(np.mean(_corr(permuted, ref) >= r - 1e-12))
    return {"n_tasks": len(tasks), "n_pairs": len(ref), "r": r, "p": p, "n_perm": len(perms), "exact": exact}


def partition_agreement(labels: pd.Series, groups: pd.Series) -> float:
    """Adjusted Rand index of a clustering (task -> cluster) against a grouping (task -> group), on the
    tasks both label."""
    common = [t for t in labels.index if t in groups.index]
    if len(common) < 2:
        raise GroundTruthError("a partition agreement needs at least two tasks in both labellings")
    return adjusted_rand_index(groups.loc[common].to_numpy(), labels.loc[common].to_numpy())


def describe_tasks(truth: pd.DataFrame) -> pd.DataFrame:
    """The ground truth as a reader's table, in :func:`task_order`: task, description, primitives (the
    primitives a task uses, comma-separated, ``none`` for a shuffled control), surface, role (``copy of
    encode``, ``shuffled of parent``, or empty)."""
    table = truth.set_index("task").loc[task_order(truth)]
    uses = table[primitive_columns(truth)]
    primitives = [", ".join(uses.columns[row == 1]) or "none" for row in uses.to_numpy()]
    role = [f"{c} of {o}" if c else "" for c, o in zip(table["control"], table["control_of"])]
    return pd.DataFrame({"task": table.index, "description": table["description"].to_numpy(),
                         "primitives": primitives, "surface": table["surface"].to_numpy(), "role": role})
