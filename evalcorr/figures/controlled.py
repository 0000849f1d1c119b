"""Figures of the controlled experiment: the designed pair structure, transfer by pair category and
size, and the seeds behind the widest intervals.

Each function takes what :mod:`evalcorr.stats.ground_truth` or :mod:`evalcorr.stats.seeded_transfer`
computed and records what it draws (:func:`evalcorr.figures.style.record_panel`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import PAGE_WIDTH, QUALITATIVE, record_panel, subplots, use_house_style
from evalcorr.figures.transfer import _label

# One colour per pair category (evalcorr.stats.ground_truth.CATEGORIES), the same in every figure.
CATEGORY_COLORS = {"shared primitive, other surface": QUALITATIVE[0], "shared primitive, same surface": QUALITATIVE[4],
                   "same surface only": QUALITATIVE[1], "neither": "#DDDDDD"}
SIZE_MARKERS = ("o", "s", "D", "^", "v")


def pair_category_map(pairs: pd.DataFrame, tasks, ax=None):
    """The designed relation of every ordered pair of tasks as a categorical heatmap.

    ``pairs`` is :func:`evalcorr.stats.ground_truth.pair_categories` (train_task, eval_task, category);
    ``tasks`` the order of rows and columns. The diagonal is blank.
    """
    use_house_style()
    tasks = list(tasks)
    categories = [c for c in CATEGORY_COLORS if c in set(pairs["category"])]
    unknown = sorted(set(pairs["category"]) - set(CATEGORY_COLORS))
    if unknown:
        raise EvalcorrError(f"pairs: unknown categor(y/ies) {unknown}; use evalcorr.stats.ground_truth.pair_categories")
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH * 0.8, 3.3), layout="constrained")
    code = {c: i for i, c in enumerate(categories)}
    grid = np.full((len(tasks), len(tasks)), np.nan)
    pos = {t: i for i, t in enumerate(tasks)}
    chosen = pairs[pairs["train_task"].isin(pos) & pairs["eval_task"].isin(pos)]
    grid[chosen["train_task"].map(pos), chosen["eval_task"].map(pos)] = chosen["category"].map(code)
    record_panel(ax, chosen[["train_task", "eval_task", "category"]])
    cmap = ListedColormap([CATEGORY_COLORS[c] for c in categories])
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-0.5, vmax=len(categories) - 0.5, aspect="equal",
              interpolation="nearest")
    names = [_label(t) for t in tasks]
    ax.tick_params(length=0)    # before the ticks are made: each is then made without tick marks
    ax.set_xticks(range(len(tasks)), names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(tasks)), names)
    ax.set_xlabel("evaluated on")
    ax.set_ylabel("trained on")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.legend(handles=[Patch(color=CATEGORY_COLORS[c], label=c) for c in categories], loc="upper left",
              bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    return ax.figure


def category_means_plot(means: pd.DataFrame, sizes: Mapping[str, str] | None = None, *,
                        ylabel: str = "mean improvement (.10 = 10 points)", ax=None):
    """Mean transfer of each pair category, one point per model size with its interval.

    ``means`` is :func:`evalcorr.stats.seeded_transfer.category_means` (model, category, n_pairs, mean,
    ci_low, ci_high); ``sizes`` maps a model to its legend label (e.g. with its parameter count).
    """
    use_house_style()
    missing = [c for c in ("model", "category", "mean", "ci_low", "ci_high") if c not in means.columns]
    if missing:
        raise EvalcorrError(f"means: missing column(s) {missing}; pass seeded_transfer.category_means(...)")
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH, 3.2), layout="constrained")
    categories = list(pd.unique(means["category"]))
    models = list(pd.unique(means["model"]))
    width = 0.6 / max(len(models), 1)
    record_panel(ax, means)
    ax.axhline(0, color="#999999", linewidth=0.8)
    for k, model in enumerate(models):
        part = means[means["model"] == model].set_index("category").reindex(categories)
        x = np.arange(len(categories)) + (k - (len(models) - 1) / 2) * width
        label = (sizes or {}).get(model, model)
        ax.errorbar(x, part["mean"], yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                    fmt=SIZE_MARKERS[k % len(SIZE_MARKERS)], color=QUALITATIVE[k], markersize=5, capsize=2,
                    linewidth=1, label=label)
    counts = means.drop_duplicates("category").set_index("category")["n_pairs"] if "n_pairs" in means else None
    wrapped = [c.replace(", ", ",\n") for c in categories]
    ticks = [f"{w}\n({int(counts[c])} pairs)" if counts is not None else w for c, w in zip(categories, wrapped)]
    ax.set_xticks(range(len(categories)), ticks, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    return ax.figure


def seed_strip(per_seed: pd.DataFrame, sizes: Mapping[str, str] | None = None, ax=None):
    """Each seed's improvement in a few cells: one row per cell, one dot per seed, a bar at the mean.

    ``per_seed`` is :func:`evalcorr.stats.seeded_transfer.per_seed_improvement` (possibly for several
    models, concatenated); rows keep its order.
    """
    use_house_style()
    cells = per_seed[["model", "train_task", "eval_task"]].drop_duplicates().reset_index(drop=True)
    if cells.empty:
        raise EvalcorrError("per_seed: no cell to draw")
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH, 0.32 * len(cells) + 1.0), layout="constrained")
    record_panel(ax, per_seed)
    labels = []
    for row, cell in cells.iterrows():
        values = per_seed.merge(cell.to_frame().T, on=["model", "train_task", "eval_task"])["improvement"]
        y = len(cells) - 1 - row
        ax.scatter(values, np.full(len(values), y), s=16, color=QUALITATIVE[0], alpha=0.8, linewidths=0, zorder=3)
        ax.plot([values.mean()] * 2, [y - 0.3, y + 0.3], color="black", linewidth=1.2, zorder=4)
        labels.append(f"{_label(cell['train_task'])} → {_label(cell['eval_task'])} "
                      f"({(sizes or {}).get(cell['model'], cell['model'])})")
    ax.axvline(0, color="#999999", linewidth=0.8)
    ax.tick_params(axis="y", length=0)    # before the ticks are made: each is then made without a mark
    ax.set_yticks(range(len(cells)), labels[::-1], fontsize=8)
    ax.set_xlabel("improvement of one seed over its baseline (.10 = 10 points); bar: mean over seeds")
    return ax.figure
