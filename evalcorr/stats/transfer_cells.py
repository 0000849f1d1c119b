"""Every released Babbage/Davinci cell with its uncertainty, on four improvement scales.

Each cell of the transfer-scaling sheets is one fine-tuning run scored on the ``n_items`` validation
items of the evaluated task (200; 201 for Spanish). The only uncertainty these single runs let us
compute is that of scoring a finite set of items: an accuracy ``p`` is a binomial proportion.

Accuracies (views ``raw``, ``after``) get the Wilson interval. An improvement compares the accuracy
after A then a few of B (``after``) with the few-of-B baseline (``baseline``), two independent runs,
on four scales:

========  =====================================  ======================================================
view      value                                  interval
========  =====================================  ======================================================
pp        after - baseline                       Newcombe's hybrid score interval (method 10)
relative  (after - baseline) / baseline          MOVER interval of after / baseline, minus 1
headroom  (after - baseline) / (1 - baseline)    1 - MOVER interval of the error ratio
                                                 (1 - after) / (1 - baseline); NaN when baseline = 1
logodds   logit(after) - logit(baseline)         Woolf; half an item added to each count when one is 0
========  =====================================  ======================================================

Values are computed from the released accuracies, not read from the rounded pp and relative sheets
(which agree to their 2 decimals). The intervals treat the two runs as independent samples of items.
Both are scored on the same items, so item difficulty is shared and the true interval of a
difference is, if anything, narrower; but run-to-run variation of fine-tuning (another seed, another
data order) is not in the data at all, so the intervals are a floor on the real uncertainty, not a
ceiling. Davinci's accuracies are released rounded to 2 decimals (1 item in 200).

The diagonal (A = B) compares 200 examples of A alone with the baseline, as the released pp sheet does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.release_order import RELEASE_ORDER
from evalcorr.stats.proportions import (combine_differences, difference_interval, log_odds_ratio, ratio_interval,
                                       wilson_interval)
from evalcorr.stats.results_store import stored

SOURCE = "transfer-scaling"
ACCURACY_VIEWS = {"raw": "after_A", "after": "after_A_then_B"}
IMPROVEMENT_VIEWS = ("pp", "relative", "headroom", "logodds")
CELL_VIEWS = (*ACCURACY_VIEWS, *IMPROVEMENT_VIEWS)
SCALE_NAMES = {"pp": "percentage points", "relative": "relative improvement",
               "headroom": "headroom closed", "logodds": "log-odds change"}
UNITS = {"raw": "accuracy (fraction)", "after": "accuracy (fraction)",
         "pp": "percentage points (fraction: .10 = 10 points)", "relative": "ratio to the baseline (1.00 = +100%)",
         "headroom": "share of the baseline's headroom closed", "logodds": "change in log-odds (natural log)"}


class CellError(EvalcorrError, ValueError):
    """The transfer frame lacks what per-cell intervals need."""


def accuracy_cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per released cell with the accuracies it compares.

    Returns
    -------
    DataFrame: model, train_task, eval_task, n_items, raw (accuracy after 200 of A), after (after A
    then a few of B; on the diagonal, A alone), baseline (a few of B alone).
    """
    rows = df[df["source"] == SOURCE]
    if rows.empty:
        raise CellError(f"the frame holds no {SOURCE} rows; load them with evalcorr.load_transfer({SOURCE!r})")
    if rows["n_items"].isna().any():
        raise CellError(f"{SOURCE} rows without n_items; rebuild the cache (`make data`) so the parser "
                        "adds the validation set sizes")
    key = ["model", "train_task", "eval_task"]
    raw = rows[rows["stage"] == "after_A"][key + ["value", "n_items"]].rename(columns={"value": "raw"})
    after = rows[rows["stage"] == "after_A_then_B"][key + ["value"]].rename(columns={"value": "after"})
    base = rows[rows["stage"] == "B_only"][["model", "eval_task", "value"]].rename(columns={"value": "baseline"})
    out = raw.merge(after, on=key, how="outer").merge(base, on=["model", "eval_task"], how="left")
    if out[["raw", "after", "baseline"]].isna().any().any():
        raise CellError(f"{SOURCE}: some cells lack an accuracy after A, after A then B, or a baseline")
    out["n_items"] = out["n_items"].astype(int)
    return out.reset_index(drop=True)


def cell_intervals(df: pd.DataFrame, view: str = "pp", model: str | None = None,
                   ci: float = 0.95) -> pd.DataFrame:
    """Tidy table of one view of every cell with its confidence interval.

    Parameters
    ----------
    df : DataFrame
        ``evalcorr.load_transfer("transfer-scaling")``.
    view : {"raw", "after", "pp", "relative", "headroom", "logodds"}
        See the module docstring for each value and its interval.
    model : str, optional
        One model; default both.
    ci : float
        Coverage of the intervals.

    Returns
    -------
    DataFrame: model, train_task, eval_task, view, value, ci_low, ci_high, n_items, after, baseline,
    includes_zero (for improvements: the interval contains 0, i.e. the cell is within noise of no
    change; always False for accuracies).
    """
    if view not in CELL_VIEWS:
        raise CellError(f"view={view!r}: choose one of {', '.join(CELL_VIEWS)}")
    cells = accuracy_cells(df)
    if model is not None:
        if model not in set(cells["model"]):
            raise CellError(f"model={model!r} not found; choose one of {', '.join(sorted(set(cells['model'])))}")
        cells = cells[cells["model"] == model]
    n = cells["n_items"].to_numpy(float)
    after, base = cells["after"].to_numpy(float), cells["baseline"].to_numpy(float)
    if view in ACCURACY_VIEWS:
        value = cells[view].to_numpy(float)
        low, high = wilson_interval(value, n, ci)
    else:
        value, low, high = improvement(view, after, base, n, ci)
    out = cells[["model", "train_task", "eval_task"]].assign(
        view=view, value=value, ci_low=low, ci_high=high, n_items=cells["n_items"],
        after=after, baseline=base)
    out["includes_zero"] = (view not in ACCURACY_VIEWS) & (out["ci_low"] <= 0) & (out["ci_high"] >= 0)
    return out.reset_index(drop=True)


def improvement(view: str, after, baseline, n, ci: float = 0.95):
    """Value and interval of one improvement scale for accuracies ``after`` and ``baseline`` on ``n`` items.

    Returns
    -------
    (value, low, high) arrays.
    """
    after, baseline, n = (np.asarray(x, dtype=float) for x in (after, baseline, n))
    value = improvement_value(view, after, baseline, n)
    if view == "pp":
        low, high = difference_interval(after, n, baseline, n, ci)
        return value, low, high
    if view == "relative":
        low, high = ratio_interval(after, n, baseline, n, ci)
        return value, np.asarray(low) - 1, np.asarray(high) - 1
    if view == "headroom":
        low, high = ratio_interval(1 - after, n, 1 - baseline, n, ci)   # ratio of error rates
        return value, 1 - np.asarray(high), 1 - np.asarray(low)
    return log_odds_ratio(after, n, baseline, n, ci)


def improvement_value(view: str, after, baseline, n):
    """One improvement scale (module docstring) of accuracies ``after`` over ``baseline``, elementwise.

    ``n`` (items behind each accuracy) matters only for ``logodds``, where a count of 0 gets half an
    item added to each of the four counts. NaN where the scale is undefined (``relative`` at a
    baseline of 0, ``headroom`` at a baseline of 1).
    """
    if view not in IMPROVEMENT_VIEWS:
        raise CellError(f"view={view!r} is not an improvement; choose one of {', '.join(IMPROVEMENT_VIEWS)}")
    after, baseline = np.asarray(after, dtype=float), np.asarray(baseline, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if view == "pp":
            return after - baseline
        if view == "relative":
            return np.where(baseline > 0, after / baseline - 1, np.nan)
        if view == "headroom":
            return np.where(baseline < 1, (after - baseline) / (1 - baseline), np.nan)
    return log_odds_ratio(after, n, baseline, n)[0]


def difference_of_improvements(cells: pd.DataFrame, first: tuple[str, str], second: tuple[str, str]):
    """Difference of two cells' pp improvements, ``first - second``, with its 95% interval.

    ``cells`` is one model's :func:`cell_intervals` with view ``pp``. Two cells evaluated on the same
    task share the baseline, which cancels: their difference is that of the two accuracies after
    training (Newcombe). Otherwise the two improvements are independent and their intervals are
    combined by MOVER.

    Returns
    -------
    (difference, low, high).
    """
    table = cells.set_index(["train_task", "eval_task"])
    a, b = table.loc[first], table.loc[second]
    if first[1] == second[1]:
        low, high = difference_interval(a["after"], a["n_items"], b["after"], b["n_items"])
        return float(a["after"] - b["after"]), float(low), float(high)
    return tuple(float(x) for x in combine_differences(a["value"], a["ci_low"], a["ci_high"],
                                                       b["value"], b["ci_low"], b["ci_high"]))


# --------------------------------------------------------------------------------------------------
# Model comparison: mean transfer with a bootstrap over tasks


def value_cube(df: pd.DataFrame, view: str, models, tasks) -> np.ndarray:
    """``(len(models), len(tasks), len(tasks))`` array of one view (rows trained on, columns evaluated on)."""
    cells = cell_intervals(df, view)
    cube = np.full((len(models), len(tasks), len(tasks)), np.nan)
    pos = {t: i for i, t in enumerate(tasks)}
    for m, model in enumerate(models):
        part = cells[cells["model"] == model]
        cube[m, part["train_task"].map(pos), part["eval_task"].map(pos)] = part["value"].to_numpy()
    return cube


def _task_weights(counts: np.ndarray) -> np.ndarray:
    """Cell weights of bootstrap replicates of tasks: ``c_s c_t`` for distinct tasks s, t, 0 on the diagonal."""
    weights = counts[:, :, None] * counts[:, None, :]
    weights[:, np.arange(counts.shape[1]), np.arange(counts.shape[1])] = 0
    return weights


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean of each model's off-diagonal cells under each replicate's weights -> (n_boot, n_models).

    ``values`` is one cube ``(models, k, k)`` shared by every replicate, or one cube per replicate
    ``(n_boot, models, k, k)`` (when the cells themselves are resampled, e.g. over seeds and items).
    """
    if values.ndim == 3:
        values = np.broadcast_to(values, (weights.shape[0], *values.shape))
    finite = np.isfinite(values)
    w = weights[:, None, :, :] * finite
    total = np.einsum("bmij,bmij->bm", w, np.where(finite, values, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / w.sum(axis=(2, 3))


def task_resample_weights(n_tasks: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Cell weights ``(n_boot, k, k)`` of bootstrap resamples of ``n_tasks`` tasks (see :func:`headline_table`)."""
    counts = rng.multinomial(n_tasks, np.full(n_tasks, 1 / n_tasks), size=n_boot).astype(float)
    return _task_weights(counts)


def comparison_row(view: str, cube: np.ndarray, means: np.ndarray, models, pair=(0, 1),
                   ci: float = 0.95) -> dict:
    """One row of a headline table: two models' mean off-diagonal transfer and their difference.

    ``cube`` is ``(models, k, k)`` (the observed cells), ``means`` ``(n_boot, models)`` the bootstrap
    means (:func:`_weighted_mean`); ``pair`` picks the two models compared (a minus b). Percentile
    intervals; ``favours`` names a model only when the interval of the difference excludes 0.
    """
    a, b = pair
    alpha = (1 - ci) / 2
    off = ~np.eye(cube.shape[-1], dtype=bool)
    observed = [float(np.nanmean(cube[m][off])) for m in (a, b)]
    lo = np.nanquantile(means[:, [a, b]], alpha, axis=0)
    hi = np.nanquantile(means[:, [a, b]], 1 - alpha, axis=0)
    d_lo, d_hi = np.nanquantile(means[:, a] - means[:, b], [alpha, 1 - alpha])
    favours = models[a] if d_lo > 0 else models[b] if d_hi < 0 else "within noise"
    return {"view": view, "model_a": models[a], "model_b": models[b],
            "mean_a": observed[0], "low_a": float(lo[0]), "high_a": float(hi[0]),
            "mean_b": observed[1], "low_b": float(lo[1]), "high_b": float(hi[1]),
            "difference": observed[0] - observed[1], "difference_low": float(d_lo),
            "difference_high": float(d_hi),
            "median_a": float(np.nanmedian(cube[a][off])), "median_b": float(np.nanmedian(cube[b][off])),
            "n_cells": int(off.sum()), "n_tasks": cube.shape[-1], "n_boot": len(means), "favours": favours}


@stored
def headline_table(df: pd.DataFrame, views=IMPROVEMENT_VIEWS, models=("babbage-002", "davinci-002"),
                   n_boot: int = 2000, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Mean off-diagonal transfer of two models on several scales, with bootstrap intervals over tasks.

    The bootstrap resamples the tasks (with replacement), the same draw for both models, and averages
    the cells between distinct drawn tasks. Tasks, not cells, are resampled because the cells of one
    task share its baseline run and its training run, so they are not independent, and because the
    claim is about tasks in general, of which these are a sample. With 8 tasks the intervals are rough.

    Returns
    -------
    DataFrame, one row per view: view, model_a, model_b, mean_a, low_a, high_a, mean_b, low_b,
    high_b, difference (a - b), difference_low, difference_high, median_a, median_b (of the cells),
    n_cells, n_tasks, n_boot, favours (model_a or model_b when the interval of the difference
    excludes 0, else "within noise").
    """
    tasks = RELEASE_ORDER[SOURCE]
    weights = task_resample_weights(len(tasks), n_boot, np.random.default_rng(seed))
    rows = []
    for view in views:
        cube = value_cube(df, view, models, tasks)
        rows.append(comparison_row(view, cube, _weighted_mean(cube, weights), list(models), ci=ci))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Parametric bootstrap: the sheets as they might have come out on another draw of items


def redraw_pp(df: pd.DataFrame, models=("babbage-002", "davinci-002"), n_boot: int = 1000,
              seed: int = 0) -> dict[str, np.ndarray]:
    """Percentage-point sheets redrawn from the binomial noise of every accuracy.

    Each accuracy after training is redrawn as ``Binomial(n_items, after) / n_items``, and each task's
    baseline once per replicate (all cells of a column share it, as in the experiment). This is the
    item-sampling noise of the intervals, applied to statistics that are not a single cell (counts of
    asymmetric pairs, clusterings).

    Returns
    -------
    {model: array (n_boot, k, k)} in release order (rows trained on, columns evaluated on).
    """
    tasks = RELEASE_ORDER[SOURCE]
    pos = {t: i for i, t in enumerate(tasks)}
    cells = accuracy_cells(df)
    rng = np.random.default_rng(seed)
    out = {}
    for model in models:
        part = cells[cells["model"] == model]
        n = part.groupby("eval_task")["n_items"].first().reindex(tasks).to_numpy()
        base = part.groupby("eval_task")["baseline"].first().reindex(tasks).to_numpy()
        after = np.full((len(tasks), len(tasks)), np.nan)
        after[part["train_task"].map(pos), part["eval_task"].map(pos)] = part["after"].to_numpy()
        after_draw = rng.binomial(np.broadcast_to(n, after.shape), after, size=(n_boot, *after.shape)) / n
        base_draw = rng.binomial(n, base, size=(n_boot, len(tasks))) / n
        out[model] = after_draw - base_draw[:, None, :]
    return out


def largest_share(cells: pd.DataFrame, k: int = 5) -> pd.Series:
    """How much of the sum of a model's off-diagonal values its ``k`` largest cells carry.

    ``cells`` is one model's :func:`cell_intervals`. Returns a Series: share (of the sum), k, n_cells,
    baseline_min, baseline_max (the baselines of those k cells), tasks (their evaluated tasks).
    """
    off = cells[cells["train_task"] != cells["eval_task"]].dropna(subset=["value"])
    top = off.nlargest(k, "value")
    return pd.Series({"share": float(top["value"].sum() / off["value"].sum()), "k": k, "n_cells": len(off),
                      "baseline_min": float(top["baseline"].min()), "baseline_max": float(top["baseline"].max()),
                      "tasks": list(pd.unique(top["eval_task"]))})
