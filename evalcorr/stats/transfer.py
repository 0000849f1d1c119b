"""Transfer-matrix analysis on tidy transfer frames (``evalcorr.load_transfer``).

A transfer matrix has one row per task trained on and one column per task evaluated on, in the order
the source releases them. On top of it this module computes the asymmetry of transfer (A->B minus
B->A), a symmetric task similarity and the clustering it implies; the SFT-dataset effects of
massive-sft relative to each base model's ``pretrain`` row and their stability across training
configurations; and how similar the transfer matrices of different settings are (TaskWeb).

Example
-------
>>> import evalcorr
>>> from evalcorr.stats.transfer import transfer_matrix, asymmetry
>>> df = evalcorr.load_transfer("transfer-scaling")                       # doctest: +SKIP
>>> pp = transfer_matrix(df, "transfer-scaling", model="babbage-002", view="pp")  # doctest: +SKIP
>>> asymmetry(pp).loc["addition", "subtraction"]                          # doctest: +SKIP
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from scipy import stats

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import maxclust_labels
from evalcorr.stats.release_order import RELEASE_ORDER
from evalcorr.stats.results_store import stored

# Released (stage, metric) behind each view of a source; None matches any value.
VIEWS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "transfer-scaling": {
        "raw": ("after_A", "accuracy"),                  # 200 examples of A only
        "after": ("after_A_then_B", "accuracy"),         # 200 of A, then 10 of B
        "pp": ("pp_improvement", "pp"),                  # after - (10 of B only), released sheet
        "relative": ("relative_improvement", "relative"),  # (after - B_only) / B_only, released
        "headroom": (None, None),                        # computed: (after - B_only) / (1 - B_only)
        "logodds": (None, None),                         # computed: logit(after) - logit(B_only)
    },
    "massive-sft": {
        "raw": ("sft", None),                            # fine-tuned model's score as released
        "pp": ("delta", None),                           # sft - pretrain of the same base model
    },
    "taskweb": {                                         # PC: relative change vs target-only tuning
        "raw": ("transfer", "pct_change"),
        "relative": ("transfer", "pct_change"),
    },
    "skill-it": {"raw": ("early_training", "loss_decrease")},  # loss-based skills graph
    "controlled-transfer": {                             # the report's own experiment, with seeds
        "raw": ("after_A", "accuracy"),                  # 200 examples of A only
        "after": ("after_A_then_B", "accuracy"),         # 200 of A, then 10 of B
        "pp": (None, None), "relative": (None, None),    # computed from the accuracies pooled over
        "headroom": (None, None), "logodds": (None, None),  # seeds (evalcorr.stats.seeded_transfer)
    },
}
VIEW_NAMES = ("raw", "after", "pp", "relative", "headroom", "logodds")
# Views computed from the released accuracies (evalcorr.stats.transfer_cells) rather than read.
COMPUTED_VIEWS: dict[str, tuple[str, ...]] = {"transfer-scaling": ("headroom", "logodds"),
                                              "controlled-transfer": ("pp", "relative", "headroom", "logodds")}


class TransferError(EvalcorrError, ValueError):
    """A transfer frame or argument does not select what the analysis needs."""


# --------------------------------------------------------------------------------------------------
# Selecting matrices


def _choices(values) -> str:
    return ", ".join(sorted(map(str, pd.unique(pd.Series(values).dropna())))) or "none"


def _pick_one(df: pd.DataFrame, column: str, value: str | None, argument: str) -> pd.DataFrame:
    """Rows with ``column == value``; when value is None the column must hold a single value."""
    if value is None:
        present = pd.unique(df[column].dropna())
        if len(present) > 1:
            raise TransferError(f"{argument} is ambiguous: the frame holds {_choices(df[column])}; "
                                f"pass {argument}=one of them")
        return df
    rows = df[df[column] == value]
    if rows.empty:
        raise TransferError(f"{argument}={value!r} not found; choose one of {_choices(df[column])}")
    return rows


def select_view(df: pd.DataFrame, source: str, view: str = "raw") -> pd.DataFrame:
    """The rows of a tidy transfer frame that make up one view of one source.

    Parameters
    ----------
    df : DataFrame
        Tidy transfer frame (``evalcorr.load_transfer``); may hold several sources.
    source : str
        Source id, e.g. ``"transfer-scaling"``.
    view : {"raw", "after", "pp", "relative"}
        Which released quantity (see :data:`VIEWS` for the stage and metric behind each).
    """
    if source not in VIEWS:
        raise TransferError(f"source={source!r} has no transfer views; choose one of {', '.join(VIEWS)}")
    if view not in VIEWS[source]:
        raise TransferError(f"view={view!r} is not available for {source}; "
                            f"choose one of {', '.join(VIEWS[source])}")
    rows = df[df["source"] == source]
    if rows.empty:
        raise TransferError(f"the transfer frame holds no rows of source {source!r} "
                            f"(it holds {_choices(df['source'])}); load it with "
                            f"evalcorr.load_transfer({source!r})")
    stage, metric = VIEWS[source][view]
    if stage is not None:
        rows = rows[rows["stage"] == stage]
    if metric is not None:
        rows = rows[rows["metric"] == metric]
    if rows.empty:
        raise TransferError(f"no {source} rows with stage={stage!r}, metric={metric!r} for view {view!r}")
    return rows


def transfer_matrix(df: pd.DataFrame, source: str, model: str | None = None, view: str = "raw",
                    setting: str | None = None, seed: int | None = None) -> pd.DataFrame:
    """One released transfer matrix: rows = trained on, columns = evaluated on.

    Values are the released numbers unchanged; tasks keep the order in which the source lists
    them (:data:`RELEASE_ORDER`, else the frame's order). Cells the source leaves empty (e.g. the diagonal of a relative-improvement sheet) are NaN.
    A source with several seeds per cell (``controlled-transfer``) gives the mean over its seeds
    (improvements computed from the mean accuracies), or one seed's matrix with ``seed``.

    Parameters
    ----------
    df : DataFrame
        Tidy transfer frame.
    source : str
        Source id.
    model, setting : str, optional
        Needed when the source holds several models or settings.
    seed : int, optional
        One seed of a source with seeds (default: the mean over the seeds).
    view : {"raw", "after", "pp", "relative", "headroom", "logodds"}
        See :data:`VIEWS`; ``headroom`` and ``logodds`` (transfer-scaling) are computed from the
        released accuracies by :func:`evalcorr.stats.transfer_cells.cell_intervals`, which says how
        accuracies of 0 or 1 are handled.

    Returns
    -------
    DataFrame indexed by ``train_task`` with one column per ``eval_task``.
    """
    seeded = "seed" in df.columns and df.loc[df["source"] == source, "seed"].notna().any()
    if seed is not None and not seeded:
        raise TransferError(f"seed={seed!r}: source {source!r} has one run per cell, no seeds")
    if seeded:
        from evalcorr.stats.seed_means import seed_mean_cells

        rows = _pick_one(select_view(df, source, "after"), "model", model, "model")
        cells = seed_mean_cells(df[df["source"] == source], view, model=rows["model"].iloc[0], seed=seed)
        return _to_matrix(cells.assign(source=source), source)
    if view in COMPUTED_VIEWS.get(source, ()):
        from evalcorr.stats.transfer_cells import cell_intervals

        _pick_one(select_view(df, source, "after"), "model", model, "model")
        return _to_matrix(cell_intervals(df[df["source"] == source], view, model=model), source)
    rows = select_view(df, source, view)
    rows = _pick_one(rows, "setting", setting, "setting")
    rows = _pick_one(rows, "model", model, "model")
    if rows.duplicated(["train_task", "eval_task"]).any():
        raise TransferError(f"{source} view {view!r}: several values per (train_task, eval_task); "
                            "pass model= and setting= to select one run")
    return _to_matrix(rows, source)


def _to_matrix(rows: pd.DataFrame, source: str, values: str = "value") -> pd.DataFrame:
    """Pivot tidy rows of one run into a matrix in the source's release order."""
    matrix = rows.pivot(index="train_task", columns="eval_task", values=values)
    rank = {task: i for i, task in enumerate(RELEASE_ORDER.get(source, []))}
    index = sorted(pd.unique(rows["train_task"]), key=lambda t: rank.get(t, len(rank)))
    columns = sorted(_column_order(rows), key=lambda t: rank.get(t, len(rank)))
    matrix = matrix.reindex(index=index, columns=columns)
    matrix.index.name, matrix.columns.name = "train_task", "eval_task"
    return matrix.astype(float)


def cell_matrix(cells: pd.DataFrame, column: str = "value", source: str = "transfer-scaling") -> pd.DataFrame:
    """One column of a tidy per-cell table of one model (e.g. ``ci_low`` or ``includes_zero`` of
    :func:`evalcorr.stats.transfer_cells.cell_intervals`) as a matrix in release order."""
    if cells["model"].nunique() > 1:
        raise TransferError("cells hold several models; select one model's rows first")
    matrix = _to_matrix(cells.assign(**{column: cells[column].astype(float)}), source, values=column)
    return matrix


def _column_order(rows: pd.DataFrame) -> list:
    """Evaluated tasks in release order; tasks that are also trained on follow the row order, so a
    sheet with an empty diagonal keeps its square layout."""
    order = pd.unique(pd.concat([rows["train_task"], rows["eval_task"]], ignore_index=True).dropna())
    present = set(rows["eval_task"])
    return [task for task in order if task in present]


def _square(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix restricted to tasks that are both trained on and evaluated on (row order)."""
    tasks = [t for t in matrix.index if t in matrix.columns]
    if len(tasks) < 2:
        raise TransferError("the matrix needs at least two tasks that appear as both row and column")
    return matrix.loc[tasks, tasks]


def off_diagonal(matrix: pd.DataFrame) -> pd.Series:
    """Off-diagonal cells (train_task != eval_task) as a Series indexed by (train_task, eval_task)."""
    long = matrix.stack(future_stack=True).rename("value")
    keep = [a != b for a, b in long.index]
    return long[keep]


# --------------------------------------------------------------------------------------------------
# Asymmetry and similarity


def asymmetry(matrix: pd.DataFrame) -> pd.DataFrame:
    """A->B minus B->A for every ordered pair of tasks (antisymmetric; diagonal 0).

    Cell (A, B) is positive when training on A helps B more than training on B helps A.
    """
    square = _square(matrix)
    values = square.to_numpy(float)
    difference = values - values.T
    np.fill_diagonal(difference, 0.0)
    return pd.DataFrame(difference, index=square.index, columns=square.columns)


def asymmetric_pairs(matrix: pd.DataFrame, threshold: float = 0.0) -> pd.DataFrame:
    """Tidy table of unordered task pairs with both directions and their difference.

    Parameters
    ----------
    matrix : DataFrame
        Transfer matrix (rows trained on, columns evaluated on).
    threshold : float
        Column ``asymmetric`` is True when ``|A->B - B->A| > threshold``. The comparison is made in
        percentage points rounded to 1e-6 point, so float error does not count: on a sheet released
        in whole points, |0.04 - 0.03| (0.010000000000000002 in floating point) is 1 point, not
        more than a 1-point threshold.

    Returns
    -------
    DataFrame with task_a, task_b, a_to_b, b_to_a, difference (a_to_b - b_to_a), abs_difference,
    asymmetric; sorted by abs_difference, largest first.
    """
    square = _square(matrix)
    rows = []
    for a, b in itertools.combinations(square.index, 2):
        ab, ba = square.at[a, b], square.at[b, a]
        rows.append({"task_a": a, "task_b": b, "a_to_b": ab, "b_to_a": ba, "difference": ab - ba})
    out = pd.DataFrame(rows)
    out["abs_difference"] = out["difference"].abs()
    out["asymmetric"] = np.round(100 * out["abs_difference"], 6) > round(100 * threshold, 6)
    return out.sort_values("abs_difference", ascending=False, kind="stable").reset_index(drop=True)


def count_asymmetries(matrix: pd.DataFrame, threshold: float) -> int:
    """Number of unordered task pairs with ``|A->B - B->A| > threshold``."""
    return int(asymmetric_pairs(matrix, threshold)["asymmetric"].sum())


def similarity(matrix: pd.DataFrame, floor: float = 0.0) -> pd.DataFrame:
    """Symmetric task similarity: geometric mean of the two transfer directions.

    ``S(A, B) = sqrt(max(A->B, floor) * max(B->A, floor))`` on a transfer measure where larger means
    more help (here: percentage-point improvement over the few-B baseline). Negative transfer is
    clipped at ``floor`` (0) before the geometric mean, because a geometric mean of signed numbers is
    undefined; with ``floor = 0`` two tasks are similar only when each helps the other, and a one-way
    transfer counts as no similarity. The diagonal is NaN (a task's transfer to itself is its own
    training, not a similarity).
    """
    square = _square(matrix)
    return pd.DataFrame(similarity_values(square.to_numpy(float), floor), index=square.index,
                        columns=square.columns)


def similarity_values(values: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """:func:`similarity` of square arrays ``[..., k, k]`` (e.g. one per bootstrap replicate)."""
    clipped = np.maximum(np.asarray(values, dtype=float), floor)
    out = np.sqrt(clipped * np.swapaxes(clipped, -1, -2))
    diagonal = np.arange(out.shape[-1])
    out[..., diagonal, diagonal] = np.nan
    return out


def similarity_linkage(sim: pd.DataFrame, method: str = "average") -> np.ndarray:
    """Hierarchical clustering of tasks from a symmetric similarity (scipy linkage matrix).

    Distances are ``max(S) - S`` (an affine map, so average linkage sees the same structure as on
    the similarities themselves); the most similar pair has distance 0.
    """
    return _linkage_of(sim.to_numpy(float), method)


def _linkage_of(values: np.ndarray, method: str) -> np.ndarray:
    if not np.allclose(values, values.T, equal_nan=True):
        raise TransferError("similarity must be symmetric; build it with evalcorr.stats.transfer.similarity")
    off = values[~np.eye(len(values), dtype=bool)]
    if np.isnan(off).any():
        raise TransferError("similarity has missing off-diagonal cells; clustering needs every pair")
    distance = off.max() - values
    np.fill_diagonal(distance, 0.0)
    return hierarchy.linkage(squareform(distance, checks=False), method=method)


def cluster_tasks(sim: pd.DataFrame, n_clusters: int, method: str = "average") -> pd.Series:
    """Flat clusters (1..n_clusters) of the tasks, cut from :func:`similarity_linkage`."""
    return pd.Series(cluster_labels_of(sim.to_numpy(float), n_clusters, method), index=sim.index, name="cluster")


def cluster_labels_of(sim: np.ndarray, n_clusters: int, method: str = "average") -> np.ndarray:
    """:func:`cluster_tasks` of a similarity array: the flat cluster (1..n_clusters) of each row."""
    return maxclust_labels(_linkage_of(sim, method), n_clusters)


def mean_transfer(matrix: pd.DataFrame) -> float:
    """Mean over the off-diagonal cells that have a value."""
    return float(off_diagonal(matrix).mean())


# --------------------------------------------------------------------------------------------------
# massive-sft: SFT effects relative to each base model's pretrain row


def parse_setting(setting: str) -> dict[str, str]:
    """``"lora=true;epoch=2"`` -> ``{"lora": "true", "epoch": "2"}``."""
    if not setting or setting == "default":
        return {}
    return dict(part.split("=", 1) for part in setting.split(";") if part)


def _norm(value) -> str:
    """Setting values compared as text: ``1000.0`` == ``1000``, ``True`` == ``true``."""
    text = str(value).strip().lower()
    return text[:-2] if text.endswith(".0") else text


def settings_table(df: pd.DataFrame, source: str = "massive-sft", stage: str = "sft") -> pd.DataFrame:
    """Every training configuration of a source with its parsed factors and coverage.

    Returns
    -------
    DataFrame: setting, one column per factor of the setting string, n_models, n_train_tasks.
    """
    rows = df[(df["source"] == source) & (df["stage"] == stage)]
    counts = rows.groupby("setting", sort=False).agg(n_models=("model", "nunique"),
                                                      n_train_tasks=("train_task", "nunique"))
    return pd.DataFrame([{"setting": setting, **parse_setting(setting), "n_models": n_models,
                          "n_train_tasks": n_train_tasks}
                         for setting, n_models, n_train_tasks in counts.itertuples()])


def find_setting(df: pd.DataFrame, source: str = "massive-sft", **factors) -> str:
    """The one setting whose factors match ``factors`` (e.g. ``lora=False, epoch=10``).

    Raises TransferError listing the candidates when none or several match.
    """
    table = settings_table(df, source)
    unknown = [k for k in factors if k not in table.columns]
    if unknown:
        raise TransferError(f"unknown setting factor(s) {unknown}; {source} settings have "
                            f"{[c for c in table.columns if c not in ('setting', 'n_models', 'n_train_tasks')]}")
    keep = np.ones(len(table), dtype=bool)
    for key, value in factors.items():
        keep &= table[key].map(_norm).eq(_norm(value)).to_numpy()
    hits = list(table.loc[keep, "setting"])
    if len(hits) != 1:
        raise TransferError(f"{len(hits)} {source} settings match {factors}: {hits[:10]}; add factors to "
                            "select exactly one")
    return hits[0]


def one_factor_comparisons(df: pd.DataFrame, reference: str, factor: str, source: str = "massive-sft",
                           exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """:func:`configuration_stability` of ``reference`` against every setting that differs from it
    in ``factor`` only (e.g. every other epoch count, all else equal).

    Returns the stability table with two more columns: factor, and value (the factor's value in the
    compared setting).
    """
    ref = parse_setting(reference)
    if factor not in ref:
        raise TransferError(f"factor={factor!r} is not part of setting {reference!r}")
    others = []
    for setting in settings_table(df, source)["setting"]:
        parsed = parse_setting(setting)
        same = all(_norm(parsed.get(k)) == _norm(v) for k, v in ref.items() if k != factor)
        if same and set(parsed) == set(ref) and _norm(parsed[factor]) != _norm(ref[factor]):
            others.append(setting)
    if not others:
        raise TransferError(f"no {source} setting differs from {reference!r} in {factor!r} only")
    out = configuration_stability(df, reference, others, source, exclude)
    out.insert(0, "factor", factor)
    out.insert(1, "value", [parse_setting(s)[factor] for s in out["setting"]])
    return out


def duplicated_baselines(df: pd.DataFrame, source: str = "massive-sft") -> list[str]:
    """Base models whose ``pretrain`` row is identical to another model's (every member of a group).

    Two different models cannot score identically on every benchmark, so at least one of the rows is
    not its model's own measurement (in massive-sft, the Chinese-Mistral-7B-v0.1 row equals the
    Mistral-7B-v0.1 row). Which one is the copy cannot be told from the numbers, so all members are
    returned, to be left out of averages.
    """
    rows = df[(df["source"] == source) & (df["stage"] == "pretrain")]
    wide = rows.pivot_table(index="model", columns="eval_task", values="value", aggfunc="first", sort=False)
    wide = wide.reindex(pd.unique(rows["model"]))
    return [str(m) for m in wide.index[wide.round(10).duplicated(keep=False)]]


def sft_effects(df: pd.DataFrame, setting: str, source: str = "massive-sft") -> pd.DataFrame:
    """Effect of each SFT dataset on each benchmark: SFT score minus the same model's pretrain score.

    Parameters
    ----------
    df : DataFrame
        Tidy transfer frame of massive-sft.
    setting : str
        One training configuration (the tidy ``setting`` value).

    Returns
    -------
    Tidy DataFrame: model, setting, train_task (SFT dataset), eval_task (benchmark), metric (the
    benchmark's released scale), sft, pretrain, effect (points on that scale). Benchmarks without a
    pretrain score are dropped.
    """
    rows = df[df["source"] == source]
    sft = rows[(rows["stage"] == "sft") & (rows["setting"] == setting)]
    if sft.empty:
        known = _choices(rows.loc[rows["stage"] == "sft", "setting"])
        raise TransferError(f"setting={setting!r} has no {source} SFT rows; choose one of {known}")
    base = rows[rows["stage"] == "pretrain"][["model", "eval_task", "value"]].rename(
        columns={"value": "pretrain"})
    out = sft[["model", "setting", "train_task", "eval_task", "metric", "value"]].rename(columns={"value": "sft"})
    out = out.merge(base, on=["model", "eval_task"], how="inner").dropna(subset=["sft", "pretrain"])
    out["effect"] = out["sft"] - out["pretrain"]
    return out.reset_index(drop=True)


def effect_matrix(effects: pd.DataFrame, model: str | None = None,
                  exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Datasets x benchmarks effect matrix of one model, or the mean over models when model is None.

    ``exclude`` lists models left out of the mean (e.g. :func:`duplicated_baselines`).
    """
    rows = effects if model is None else effects[effects["model"] == model]
    if model is not None and rows.empty:
        raise TransferError(f"model={model!r} not in the effects; choose one of {_choices(effects['model'])}")
    rows = rows[~rows["model"].isin(list(exclude))]
    matrix = rows.pivot_table(index="train_task", columns="eval_task", values="effect",
                              aggfunc="mean", sort=False)
    matrix = matrix.reindex(index=pd.unique(rows["train_task"]), columns=pd.unique(rows["eval_task"]))
    matrix.index.name, matrix.columns.name = "train_task", "eval_task"
    return matrix


def effect_by_model(effects: pd.DataFrame) -> pd.DataFrame:
    """Models x SFT datasets: each model's mean effect of a dataset over the benchmarks in ``effects``
    (filter ``effects`` to one scale first, e.g. ``metric == "percent"``)."""
    table = effects.pivot_table(index="model", columns="train_task", values="effect", aggfunc="mean",
                                sort=False)
    table.index.name, table.columns.name = "model", "train_task"
    return table


def model_agreement(effects: pd.DataFrame, exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """How much each base model's effect matrix agrees with the mean matrix of the other models.

    Returns
    -------
    Tidy DataFrame, one row per model: model, n_cells, r (Pearson correlation of the model's
    datasets x benchmarks effects with the leave-one-out mean over the other models),
    mean_effect (the model's mean effect over all cells).
    """
    models = [m for m in pd.unique(effects["model"]) if m not in set(exclude)]
    rows = []
    for model in models:
        own = effect_matrix(effects, model=model).stack().rename("own")
        rest = effect_matrix(effects, exclude=[*exclude, model]).stack().rename("rest")
        both = pd.concat([own, rest], axis=1, join="inner").dropna()
        r = stats.pearsonr(both["own"], both["rest"]).statistic if len(both) > 2 else np.nan
        rows.append({"model": model, "n_cells": len(both), "r": float(r), "mean_effect": float(own.mean())})
    return pd.DataFrame(rows)


def configuration_stability(df: pd.DataFrame, reference: str, settings: list[str],
                            source: str = "massive-sft",
                            exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """How well the effects of other configurations agree with those of a reference configuration.

    Effects are matched cell by cell on (model, dataset, benchmark) where both configurations have
    them, so only models and datasets run under both count.

    Returns
    -------
    Tidy DataFrame: reference, setting, n_models, n_cells, r (Pearson), rho (Spearman), and
    r_mean: the Pearson correlation of the model-averaged datasets x benchmarks matrices.
    """
    ref = sft_effects(df, reference, source)
    ref = ref[~ref["model"].isin(list(exclude))]
    keys = ["model", "train_task", "eval_task"]
    rows = []
    for setting in settings:
        other = sft_effects(df, setting, source)
        other = other[~other["model"].isin(list(exclude))]
        both = ref[keys + ["effect"]].merge(other[keys + ["effect"]], on=keys, suffixes=("_ref", "_other"))
        n_cells = len(both)
        r = stats.pearsonr(both["effect_ref"], both["effect_other"]).statistic if n_cells > 2 else np.nan
        rho = stats.spearmanr(both["effect_ref"], both["effect_other"]).statistic if n_cells > 2 else np.nan
        mean = both.groupby(["train_task", "eval_task"])[["effect_ref", "effect_other"]].mean()
        r_mean = (stats.pearsonr(mean["effect_ref"], mean["effect_other"]).statistic
                  if len(mean) > 2 else np.nan)
        rows.append({"reference": reference, "setting": setting, "n_models": both["model"].nunique(),
                     "n_cells": n_cells, "r": float(r), "rho": float(rho), "r_mean": float(r_mean)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Similarity of the matrices of different settings (TaskWeb)


@stored
def setting_similarity(df: pd.DataFrame, source: str = "taskweb", view: str = "raw",
                       settings: list[str] | None = None) -> pd.DataFrame:
    """Correlation of the off-diagonal cells of every pair of settings' transfer matrices.

    High correlations mean the same source tasks help the same targets whatever the model and
    adaptation method; low ones mean transfer is specific to the architecture / method.

    Returns
    -------
    Tidy DataFrame: setting_a, setting_b, n (shared off-diagonal cells), r (Pearson), rho (Spearman).
    """
    rows = select_view(df, source, view)
    settings = list(pd.unique(rows["setting"])) if settings is None else settings
    cells = {}
    for setting in settings:
        matrix = transfer_matrix(rows, source, view=view, setting=setting)
        cells[setting] = off_diagonal(matrix).dropna()
    out = []
    for a, b in itertools.combinations(settings, 2):
        both = pd.concat([cells[a], cells[b]], axis=1, join="inner").dropna()
        out.append({"setting_a": a, "setting_b": b, "n": len(both),
                    "r": float(stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1]).statistic),
                    "rho": float(stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic)})
    return pd.DataFrame(out)


def similarity_square(pairs: pd.DataFrame, value: str = "r") -> pd.DataFrame:
    """A tidy pair table (setting_a, setting_b, value) as a symmetric square matrix (diagonal 1)."""
    names = list(pd.unique(pd.concat([pairs["setting_a"], pairs["setting_b"]])))
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a, b, v in pairs[["setting_a", "setting_b", value]].itertuples(index=False):
        out.at[a, b] = out.at[b, a] = v
    return out
