"""Figures of the factor structure: scree with the parallel-analysis threshold, rotated loadings with
family colour bars, and the bootstrap stability of the loadings.

Each function takes the tidy output of :mod:`evalcorr.stats.factors`, draws on ``ax`` (a new figure
when None) and returns the Figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalcorr.errors import EvalcorrError
from evalcorr.figures.correlation import _display_map, _group_table
from evalcorr.figures.style import (
    DIVERGING_CMAP,
    PAGE_WIDTH,
    QUALITATIVE,
    annotate_cells,
    diverging_norm,
    family_colors,
    matrix_cells,
    record_panel,
    subplots,
    use_house_style,
)

RETAINED_COLOR = QUALITATIVE[0]
DROPPED_COLOR = "#BBBBBB"
THRESHOLD_COLOR = QUALITATIVE[5]


def _require(frame: pd.DataFrame, columns, argument: str, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvalcorrError(f"{argument}: missing column(s) {missing}; pass the table {source} returns")


def scree_plot(scree: pd.DataFrame, parallel: pd.DataFrame | None = None, *, n_show: int = 12,
               title: str | None = None, ax=None) -> Figure:
    """Variance of each principal component, with Horn's parallel-analysis threshold.

    Parameters
    ----------
    scree : DataFrame
        :func:`evalcorr.stats.factors.scree` (component, eigenvalue, variance_ratio, ...).
    parallel : DataFrame, optional
        ``parallel_analysis(...).table`` (component, random_quantile, retained); draws the threshold
        (as a share of the total variance) and colours the retained components.
    n_show : int
        number of leading components to draw.
    title : str, optional
    ax : Axes, optional
    """
    use_house_style()
    _require(scree, ["component", "eigenvalue", "variance_ratio"], "scree", "evalcorr.stats.factors.scree")
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH / 2, 2.8))
    fig = ax.figure
    shown = scree.head(n_show)
    total = scree["eigenvalue"].sum()
    retained = np.zeros(len(shown), dtype=bool)
    if parallel is not None:
        _require(parallel, ["component", "random_quantile", "retained"], "parallel",
                 "parallel_analysis(...).table")
        merged = shown[["component"]].merge(parallel, on="component", how="left")
        retained = merged["retained"].fillna(False).to_numpy(dtype=bool)
    colors = np.where(retained, RETAINED_COLOR, DROPPED_COLOR) if parallel is not None else RETAINED_COLOR
    percent = 100 * shown["variance_ratio"].to_numpy()
    data = pd.DataFrame({"component": shown["component"].to_numpy(), "variance_percent": percent})
    if parallel is not None:
        data["random_95th_percent"] = 100 * merged["random_quantile"].to_numpy(float) / total
        data["retained"] = retained
    record_panel(fig, data, title=title)
    ax.bar(shown["component"], percent, color=colors, width=0.75)
    for x, y in zip(shown["component"].head(3), percent[:3]):
        ax.annotate(f"{y:.0f}%", (x, y), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7)
    if parallel is not None:
        ax.plot(merged["component"], 100 * merged["random_quantile"] / total, color=THRESHOLD_COLOR,
                marker="o", markersize=2.5, linewidth=1.2, linestyle="--")
        handles = [Patch(color=RETAINED_COLOR, label="retained"), Patch(color=DROPPED_COLOR, label="not retained"),
                   Line2D([], [], color=THRESHOLD_COLOR, linestyle="--", marker="o", markersize=2.5,
                          label="random data, 95th pct.")]
        ax.legend(handles=handles, frameon=False, loc="upper right")
    ax.set_xlabel("principal component")
    ax.set_ylabel("variance explained (%)")
    ax.set_xticks(shown["component"])
    ax.set_ylim(0, max(percent.max() * 1.12, 1))
    if title:
        ax.set_title(title)
    return fig


def scree_panels(panels: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]], **kwargs) -> Figure:
    """Scree plots side by side, one per score matrix: ``{title: (scree, parallel table)}``.

    Keyword arguments go to :func:`scree_plot` (e.g. ``n_show``).
    """
    use_house_style()
    if not panels:
        raise EvalcorrError("panels: give at least one {title: (scree, parallel table)} entry")
    fig, axes = subplots(1, len(panels), figsize=(PAGE_WIDTH, 2.8), squeeze=False)
    for ax, (title, (scree, parallel)) in zip(axes[0], panels.items()):
        scree_plot(scree, parallel, title=title, ax=ax, **kwargs)
    fig.tight_layout()
    return fig


def _family_bar(ax, labels: list[str], colour_of: dict[str, str], *, width: float = 0.035):
    """A vertical colour bar left of ``ax``, one cell per row label (rows top to bottom)."""
    present = sorted(set(labels))
    palette = ListedColormap([colour_of[v] for v in present])
    codes = np.array([present.index(v) for v in labels])
    bar = ax.inset_axes((-width - 0.005, 0, width, 1), label="family-bar")
    bar.imshow(codes[:, None], cmap=palette, vmin=-0.5, vmax=len(present) - 0.5, aspect="auto",
               interpolation="nearest")
    bar.set_xticks([])
    for side in bar.spines.values():
        side.set_visible(False)
    return bar


def loadings_heatmap(loadings: pd.DataFrame, families, *, title: str | None = None, annotate: bool = True,
                     fontsize: float = 6.0, ax=None) -> Figure:
    """Rotated factor loadings (tasks x factors) with a family colour bar, centred at 0.

    Parameters
    ----------
    loadings : DataFrame
        tasks x factors, e.g. :func:`evalcorr.stats.factors.factor_loadings`.
    families : DataFrame or Series
        the families table (task, family, display) or a Series task -> family; tasks are drawn
        grouped by family (in order of first appearance), display names where the table has them.
    title : str, optional
    annotate : bool
        print each loading in its cell.
    fontsize : float
        size of the task labels.
    ax : Axes, optional
    """
    use_house_style()
    tasks = list(loadings.index)
    groups = _group_table(families, tasks, ["family"])
    family_order = list(dict.fromkeys(groups["family"]))
    order = sorted(tasks, key=lambda t: family_order.index(groups.loc[t, "family"]))
    names = _display_map(families if isinstance(families, pd.DataFrame) else None, order)
    matrix = loadings.loc[order].to_numpy(dtype=float)
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH * 0.62, max(2.5, 0.12 * len(order) + 1.0)))
    fig = ax.figure
    image = ax.imshow(matrix, cmap=DIVERGING_CMAP, norm=diverging_norm(1.0), aspect="auto",
                      interpolation="nearest")
    cells = matrix_cells(pd.DataFrame(matrix, index=order, columns=loadings.columns), value="loading",
                         row="task", column="factor")
    record_panel(fig, cells.assign(family=np.repeat([groups.loc[t, "family"] for t in order], matrix.shape[1])),
                 title=title)
    if annotate:
        annotate_cells(ax, [[f"{value:.2f}" for value in row] for row in matrix],
                       [["white" if abs(value) > 0.6 else "black" for value in row] for row in matrix],
                       fontsize=fontsize - 0.5)
    ax.set_xticks(range(matrix.shape[1]), list(loadings.columns))
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    colour_of = family_colors(family_order)
    bar = _family_bar(ax, [groups.loc[t, "family"] for t in order], colour_of)
    bar.tick_params(length=1.5, pad=1)    # before the ticks are made: each is made with this length and pad
    bar.set_yticks(range(len(order)), [names[t] for t in order], fontsize=fontsize)
    cbar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03, shrink=0.5, anchor=(0.0, 1.0))
    cbar.set_label("loading", fontsize=7)
    cbar.ax.tick_params(labelsize=6)
    handles = [Patch(facecolor=colour_of[f], label=f) for f in family_order]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 0.45), frameon=False, fontsize=6,
              title="family", title_fontsize=6.5, handlelength=1.0, borderaxespad=0.0)
    if title:
        ax.set_title(title, pad=14)
    return fig


def congruence_plot(boot: pd.DataFrame, *, group: str | None = None, title: str | None = None,
                    ax=None) -> Figure:
    """Bootstrap Tucker congruence of each factor with the full-sample factor.

    Parameters
    ----------
    boot : DataFrame
        :func:`evalcorr.stats.factors.bootstrap_congruence` (resample, factor, congruence), optionally
        with a ``group`` column (e.g. the source) to draw several analyses side by side.
    group : str, optional
        column naming the analysis each row belongs to.
    title : str, optional
    ax : Axes, optional
    """
    use_house_style()
    _require(boot, ["factor", "congruence", *([group] if group else [])], "boot",
             "evalcorr.stats.factors.bootstrap_congruence")
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH, 2.6))
    fig = ax.figure
    keys = list(dict.fromkeys(zip(boot[group] if group else [""] * len(boot), boot["factor"])))
    values = [boot.loc[((boot[group] == g) if group else True) & (boot["factor"] == f), "congruence"].to_numpy()
              for g, f in keys]
    positions = np.arange(len(keys))
    record_panel(fig, boot[[c for c in (group, "resample", "factor", "congruence") if c and c in boot.columns]],
                 title=title)
    ax.boxplot(values, positions=positions, widths=0.55, showfliers=False, medianprops={"color": "black"})
    rng = np.random.default_rng(0)
    for x, v in zip(positions, values):
        ax.scatter(x + rng.uniform(-0.18, 0.18, len(v)), v, s=3, alpha=0.35, color=RETAINED_COLOR, linewidths=0)
    for level, text in ((0.95, "0.95"), (0.85, "0.85")):
        ax.axhline(level, color=THRESHOLD_COLOR, linewidth=0.8, linestyle=":")
        ax.text(len(keys) - 0.4, level, text, fontsize=6, va="bottom", ha="right", color=THRESHOLD_COLOR)
    labels = [f"{g}\n{f}" if group else f for g, f in keys]
    ax.set_xticks(positions, labels, fontsize=7)
    ax.set_ylabel("Tucker congruence")
    low = min(0.8, float(np.nanmin(np.concatenate(values)))) if len(values) else 0.8
    ax.set_ylim(max(low - 0.02, -1.0), 1.005)
    if title:
        ax.set_title(title)
    return fig
