"""Figures of transfer matrices: annotated heatmaps, asymmetry, similarity dendrogram, loadings.

Every heatmap has rows = trained on and columns = evaluated on, cells annotated with the values as
released. Signed quantities (improvements, effects, asymmetries, loadings) use the diverging map
centred at 0; non-negative ones (accuracies) the sequential map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.collections import PatchCollection
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from scipy.cluster import hierarchy

from evalcorr.figures.style import (
    DIVERGING_CMAP,
    PAGE_WIDTH,
    SEQUENTIAL_CMAP,
    annotate_cells,
    diverging_norm,
    matrix_cells,
    record_panel,
    subplots,
    use_house_style,
)
from evalcorr.stats.transfer import similarity_linkage

TASK_LABELS = {
    "addition": "addition", "subtraction": "subtraction", "spanish": "Spanish",
    "division": "division", "math_expressions": "math expr.", "multiplication_2x1": "mult. 2x1",
    "faith": "faith", "science": "science",
}


def _label(task) -> str:
    return TASK_LABELS.get(str(task), str(task).replace("_", " "))


def compact(value: float, digits: int = 2) -> str:
    """A number without its leading zero (``0.27 -> .27``, ``-0.05 -> -.05``), for small cells."""
    if not np.isfinite(value):
        return ""
    text = f"{value:.{digits}f}"
    if text.startswith("0.") or text.startswith("-0."):
        text = text.replace("0.", ".", 1)
    return "0" if text in {".00", "-.00", "-0", ".0", "-.0"} else text


def _text_color(rgba) -> str:
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def heatmap(matrix: pd.DataFrame, ax=None, *, diverging: bool = True, limit: float | None = None,
            fmt: Callable[[float], str] | None = None, annotate: bool = True,
            annotate_min: float = 0.0, fontsize: float = 7,
            title: str | None = None, colorbar_label: str | None = None, xlabel: str = "evaluated on",
            ylabel: str = "trained on", labels: Mapping[str, str] | None = None,
            xticklabels: bool = True, mark: pd.DataFrame | None = None, key=None):
    """An annotated heatmap of a matrix (rows = trained on, columns = evaluated on).

    Parameters
    ----------
    matrix : DataFrame
        Values to draw; NaN cells stay blank.
    ax : matplotlib Axes, optional
    diverging : bool
        Diverging map centred at 0 (signed quantities) or sequential (accuracies).
    limit : float, optional
        Colour limit (symmetric for diverging); default: the largest absolute value.
    fmt : callable, optional
        Formats each annotation (default: two decimals without leading zero).
    annotate_min : float
        Annotate only cells with ``|value| >= annotate_min`` (large matrices: the notable cells).
    labels : mapping, optional
        Display names of the tasks.
    xticklabels : bool
        False leaves the columns unlabelled (a square matrix whose columns follow the rows).
    mark : DataFrame of bool, optional
        Cells to hatch (aligned to ``matrix`` by labels), e.g. improvements whose confidence
        interval includes 0 (:func:`evalcorr.stats.transfer_cells.cell_intervals`).
    key : optional
        What the caller calls this panel (e.g. its view), recorded with the panel's data
        (:func:`evalcorr.figures.style.figure_panels`).

    Returns
    -------
    matplotlib Figure.
    """
    use_house_style()
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH * 0.6, PAGE_WIDTH * 0.5), layout="constrained")
    values = matrix.to_numpy(float)
    finite = values[np.isfinite(values)]
    if limit is None:
        limit = float(np.abs(finite).max()) if finite.size else 1.0
        limit = limit or 1.0
    if diverging:
        norm, cmap = diverging_norm(limit), colormaps[DIVERGING_CMAP]
    else:
        low = min(0.0, float(finite.min())) if finite.size else 0.0
        norm, cmap = Normalize(vmin=low, vmax=limit), colormaps[SEQUENTIAL_CMAP]
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto",
                      interpolation="nearest")
    name = (lambda t: labels.get(str(t), str(t))) if labels else _label
    fmt = fmt or compact
    texts = [fmt(v) if annotate and np.isfinite(v) and abs(v) >= annotate_min else "" for v in values.ravel()]
    record_panel(ax, matrix_cells(matrix, row=ylabel or "row", column=xlabel or "column", mark=mark), title=title,
                 key=key, rows=[str(r) for r in matrix.index], columns=[str(c) for c in matrix.columns],
                 row_names=[name(r) for r in matrix.index], column_names=[name(c) for c in matrix.columns],
                 diverging=diverging, vmin=float(norm.vmin), vmax=float(norm.vmax), row_label=ylabel,
                 column_label=xlabel, colorbar_label=colorbar_label, annotations=texts)
    ax.tick_params(length=0)       # before the ticks are made: each is then made without tick marks
    if xticklabels:
        ax.set_xticks(range(values.shape[1]), [name(c) for c in matrix.columns], rotation=45, ha="right",
                      rotation_mode="anchor")
    else:  # columns in the same order as the labelled rows (square matrices)
        ax.set_xticks([])
    ax.set_yticks(range(values.shape[0]), [name(r) for r in matrix.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if mark is not None:
        hatch_cells(ax, mark.reindex(index=matrix.index, columns=matrix.columns).fillna(False).to_numpy(bool))
    colours = cmap(norm(values))        # every cell's colour at once, not one call per annotation
    rows, columns = values.shape
    annotate_cells(ax, [texts[i * columns:(i + 1) * columns] for i in range(rows)],
                   [[_text_color(colour) for colour in row] for row in colours], fontsize=fontsize)
    if title:
        ax.set_title(title)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    bar.ax.tick_params(labelsize=7)
    if colorbar_label:
        bar.set_label(colorbar_label)
    return ax.figure


HATCH_COLOR = "#9a9a9a"


def hatch_cells(ax, mask: np.ndarray, hatch: str = "///") -> None:
    """Hatch the cells of an image-drawn matrix where ``mask`` is True (thin grey diagonal lines).

    The hatch line width is a global matplotlib setting read when the figure is drawn; the house
    style sets it thin (see :func:`evalcorr.figures.style.use_house_style`).
    """
    cells = [Rectangle((j - 0.5, i - 0.5), 1, 1) for i, j in zip(*np.nonzero(mask))]
    if cells:   # one artist for all cells: drawn as the separate patches were, at a fraction of the cost
        ax.add_collection(PatchCollection(cells, facecolor="none", hatch=hatch, edgecolor=HATCH_COLOR,
                                          linewidth=0, zorder=2), autolim=False)


# The views of a transfer-scaling model: title, diverging?, colour-bar label.
VIEW_STYLE = {
    "raw": ("accuracy after A", False, "accuracy"),
    "after": ("accuracy after A, then a few of B", False, "accuracy"),
    "pp": ("improvement over few-of-B baseline (pp)", True, "improvement (.10 = 10 pp)"),
    "relative": ("relative improvement over baseline", True, "relative improvement"),
    "headroom": ("share of the baseline's headroom closed", True, "headroom closed"),
    "logodds": ("change in log-odds", True, "log-odds change"),
}


def view_grid(matrices: Mapping[str, pd.DataFrame], suptitle: str | None = None,
              marks: Mapping[str, pd.DataFrame] | None = None,
              fmts: Mapping[str, Callable[[float], str]] | None = None):
    """The views of one model in a 2 x 2 grid (keys of :data:`VIEW_STYLE`).

    Accuracies share one sequential scale from 0 to 1; each improvement view is centred at 0.
    ``marks`` maps a view to the cells to hatch (e.g. intervals that include 0); ``fmts`` a view to
    how its cells are annotated (default :func:`compact`; :func:`points` and :func:`short` keep
    larger matrices legible).
    """
    use_house_style()
    marks, fmts = marks or {}, fmts or {}
    fig, axes = subplots(2, 2, figsize=(PAGE_WIDTH, PAGE_WIDTH * 0.92), layout="constrained")
    for ax, (view, matrix) in zip(axes.flat, matrices.items()):
        title, diverging, bar = VIEW_STYLE[view]
        heatmap(matrix, ax, diverging=diverging, limit=None if diverging else 1.0, title=title,
                colorbar_label=bar, fontsize=6.5, mark=marks.get(view), key=view, fmt=fmts.get(view))
    for ax in axes[0]:
        ax.set_xlabel("")
    for ax in axes[:, 1]:
        ax.set_ylabel("")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def scale_grid(matrices: Mapping[str, Mapping[str, pd.DataFrame]],
               marks: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
               fmts: Mapping[str, Callable[[float], str]] | None = None):
    """Several models (rows) on several improvement scales (columns), one shared colour limit per scale.

    ``matrices[model_title][view]``; ``marks`` has the same layout and holds the cells to hatch;
    ``fmts`` maps a view to how its cells are annotated (see :func:`view_grid`).
    """
    use_house_style()
    marks, fmts = marks or {}, fmts or {}
    titles = list(matrices)
    views = list(next(iter(matrices.values())))
    fig, axes = subplots(len(titles), len(views), figsize=(PAGE_WIDTH, PAGE_WIDTH * 0.46 * len(titles)),
                             layout="constrained", squeeze=False)
    limits = {}
    for view in views:
        finite = np.concatenate([matrices[t][view].to_numpy(float).ravel() for t in titles])
        finite = finite[np.isfinite(finite)]
        limits[view] = float(np.abs(finite).max()) if finite.size else 1.0
    # drawn (and recorded) row by row, so that the panels' order is the reading order of the grid
    for r, title in enumerate(titles):
        for c, view in enumerate(views):
            ax = axes[r, c]
            heading, _, bar = VIEW_STYLE[view]
            heatmap(matrices[title][view], ax, diverging=True, limit=limits[view], title=f"{title}: {heading}",
                    colorbar_label=bar, fontsize=6.5, mark=marks.get(title, {}).get(view), key=(title, view),
                    fmt=fmts.get(view))
            if r < len(titles) - 1:
                ax.set_xlabel("")
            if c:
                ax.set_ylabel("")
    return fig


def points(value: float) -> str:
    """A fraction in whole percentage points (or percent) for a small cell (``0.127 -> "13"``, ``-0.004 -> "0"``)."""
    if not np.isfinite(value):
        return ""
    text = f"{100 * value:.0f}"
    return "0" if text == "-0" else text


def short(value: float) -> str:
    """At most three characters: one decimal without the leading zero below 1 in size, whole numbers
    from there (``0.63 -> ".6"``, ``-8.14 -> "-8"``, ``24.3 -> "24"``), for ratios and log-odds in small cells."""
    if not np.isfinite(value):
        return ""
    if abs(value) >= 0.95:
        text = f"{value:.0f}"
        return "0" if text == "-0" else text
    return compact(value, 1)


def asymmetry_heatmap(asym: pd.DataFrame, ax=None, title: str | None = None):
    """Heatmap of A->B minus B->A (cell (A, B) > 0: A helps B more than B helps A)."""
    fig = heatmap(asym, ax, diverging=True, title=title,
                  colorbar_label="A->B minus B->A (fraction)")
    return fig


def similarity_dendrogram(sim: pd.DataFrame, ax=None, title: str | None = None, method: str = "average"):
    """Dendrogram of tasks from a symmetric similarity (:func:`evalcorr.stats.transfer.similarity`).

    The horizontal axis is the similarity at which clusters merge (right = more similar).
    """
    use_house_style()
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH * 0.48, 2.6), layout="constrained")
    link = similarity_linkage(sim, method)
    top = float(np.nanmax(sim.to_numpy(float)))
    leaves = [str(t) for t in sim.index]
    members = leaves + [""] * len(link)
    for i, (a, b, *_rest) in enumerate(link):
        members[len(leaves) + i] = f"{members[int(a)]} + {members[int(b)]}"
    record_panel(ax, pd.DataFrame({"merge": np.arange(1, len(link) + 1),
                                   "joins": [members[int(a)] for a in link[:, 0]],
                                   "with": [members[int(b)] for b in link[:, 1]],
                                   "similarity_at_merge": top - link[:, 2]}), title=title)
    hierarchy.dendrogram(link, labels=[_label(t) for t in sim.index], orientation="left", ax=ax,
                         color_threshold=0, above_threshold_color="#444444", leaf_font_size=8)
    # The linkage works on distances top - S; label the axis in similarities instead.
    lowest = top - float(link[:, 2].max())
    ticks = MaxNLocator(nbins=4).tick_values(lowest, top)
    ticks = ticks[(ticks >= lowest - 1e-12) & (ticks <= top + 1e-12)]
    ax.set_xticks(top - ticks, [compact(t) for t in ticks])
    span = top - lowest or 1.0
    ax.set_xlim(top - lowest + 0.04 * span, -0.04 * span)
    ax.set_xlabel("similarity at merge")
    ax.spines["left"].set_visible(False)
    if title:
        ax.set_title(title)
    return ax.figure


def dendrogram_pair(sims: Mapping[str, pd.DataFrame]):
    """Side-by-side similarity dendrograms (e.g. Babbage and Davinci)."""
    use_house_style()
    fig, axes = subplots(1, len(sims), figsize=(PAGE_WIDTH, 2.8), layout="constrained")
    for ax, (title, sim) in zip(np.atleast_1d(axes), sims.items()):
        similarity_dendrogram(sim, ax, title=title)
    return fig


def loadings_heatmap(loadings: pd.DataFrame, ax=None, title: str | None = None, labels=None,
                     xlabel: str = "component"):
    """Tasks x components loadings, diverging around 0, annotated."""
    use_house_style()
    if ax is None:
        height = max(2.2, 0.2 * len(loadings) + 0.8)
        _, ax = subplots(figsize=(PAGE_WIDTH * 0.45, height), layout="constrained")
    return heatmap(loadings, ax, diverging=True, title=title, xlabel=xlabel, ylabel="",
                   colorbar_label="loading", fontsize=6.5, labels=labels)


def biplot(scores: pd.DataFrame, loadings: pd.DataFrame, ax=None, title: str | None = None,
           components=("PC1", "PC2")):
    """Training tasks as points (scores) and evaluated tasks as arrows (loadings) on two components.

    Arrows are scaled so the longest reaches 90% of the largest score; arrows shorter than 30% of
    the longest are drawn but not labelled.
    """
    use_house_style()
    if ax is None:
        _, ax = subplots(figsize=(PAGE_WIDTH * 0.5, PAGE_WIDTH * 0.45), layout="constrained")
    a, b = components
    ax.axhline(0, color="#bbbbbb", lw=0.6)
    ax.axvline(0, color="#bbbbbb", lw=0.6)
    ax.scatter(scores[a], scores[b], s=18, color="#0072B2", zorder=3)
    for task, (x, y) in scores[[a, b]].iterrows():
        ax.annotate(_label(task), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7,
                    color="#0072B2")
    reach = float(np.abs(scores[[a, b]].to_numpy()).max()) or 1.0
    arrows = loadings[[a, b]].astype(float)
    length = np.hypot(arrows[a], arrows[b])
    arrows = arrows * (0.9 * reach / (float(length.max()) or 1.0))
    record_panel(ax, pd.concat([
        pd.DataFrame({"kind": "score (trained on)", "task": scores.index.astype(str), a: scores[a].to_numpy(float),
                      b: scores[b].to_numpy(float), f"{a}_drawn": scores[a].to_numpy(float),
                      f"{b}_drawn": scores[b].to_numpy(float)}),
        pd.DataFrame({"kind": "loading (evaluated on)", "task": loadings.index.astype(str),
                      a: loadings[a].to_numpy(float), b: loadings[b].to_numpy(float),
                      f"{a}_drawn": arrows[a].to_numpy(float), f"{b}_drawn": arrows[b].to_numpy(float)}),
    ], ignore_index=True), title=title)
    for task, (x, y) in arrows.iterrows():
        ax.annotate("", xy=(x, y), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "#D55E00", "lw": 0.8})
        # Label only the arrows long enough to read; short ones crowd the origin.
        if length[task] >= 0.3 * length.max():
            ax.text(x * 1.06, y * 1.06, _label(task), fontsize=7, color="#D55E00",
                    ha="left" if x >= 0 else "right", va="bottom" if y >= 0 else "top")
    points = np.vstack([scores[[a, b]].to_numpy(float), arrows.to_numpy(float)])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * (high - low)
    ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
    ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
    ax.set_xlabel(f"{a} (points: trained on; arrows: evaluated on)")
    ax.set_ylabel(b)
    if title:
        ax.set_title(title)
    return ax.figure


def heatmap_row(matrices: Mapping[str, pd.DataFrame], *, diverging: bool = True,
                colorbar_label: str | None = None, fmt: Callable[[float], str] | None = None,
                fontsize: float = 6.5, height: float | None = None,
                marks: Mapping[str, pd.DataFrame] | None = None, **kwargs):
    """Several heatmaps side by side on one shared colour limit (e.g. Babbage and Davinci).

    Keys are the panel titles. The y label is drawn on the first panel only, and so are the row names
    when every matrix has the same rows in the same order (the other panels get the width). ``marks``
    maps a title to the cells to hatch in that panel.
    """
    use_house_style()
    finite = np.concatenate([m.to_numpy(float).ravel() for m in matrices.values()])
    finite = finite[np.isfinite(finite)]
    limit = float(np.abs(finite).max()) if finite.size else 1.0
    n = len(matrices)
    first = next(iter(matrices.values()))
    shared_rows = all(list(m.index) == list(first.index) for m in matrices.values())
    height = height or max(2.8, min(PAGE_WIDTH / n, 0.26 * len(first) + 1.4))
    fig, axes = subplots(1, n, figsize=(PAGE_WIDTH, height), layout="constrained")
    for i, (ax, (title, matrix)) in enumerate(zip(np.atleast_1d(axes), matrices.items())):
        heatmap(matrix, ax, diverging=diverging, limit=limit, fmt=fmt, fontsize=fontsize, title=title,
                colorbar_label=colorbar_label if i == n - 1 else None, mark=(marks or {}).get(title),
                key=title, **kwargs)
        if i:
            ax.set_ylabel("")
            if shared_rows:
                ax.tick_params(labelleft=False)
    return fig


def small_multiples(matrices: Mapping[str, pd.DataFrame], ncols: int = 4, limit: float | None = None,
                    colorbar_label: str | None = None, panel_height: float = 1.9):
    """Unannotated heatmaps of several same-shaped matrices on one diverging scale, one per panel.

    Tick labels are left out (the panels share the task order of a labelled companion figure);
    ``limit`` clips the colour scale so that a few extreme cells do not wash out the rest.
    """
    use_house_style()
    n = len(matrices)
    nrows = -(-n // ncols)
    if limit is None:
        finite = np.concatenate([m.to_numpy(float).ravel() for m in matrices.values()])
        limit = float(np.nanmax(np.abs(finite))) or 1.0
    fig, axes = subplots(nrows, ncols, figsize=(PAGE_WIDTH, panel_height * nrows + 0.4),
                             layout="constrained", squeeze=False)
    norm, cmap = diverging_norm(limit), colormaps[DIVERGING_CMAP]
    image = None
    for ax, (title, matrix) in zip(axes.flat, matrices.items()):
        record_panel(ax, matrix_cells(matrix), title=str(title))
        image = ax.imshow(np.ma.masked_invalid(matrix.to_numpy(float)), cmap=cmap, norm=norm,
                          aspect="auto", interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    bar = fig.colorbar(image, ax=axes, shrink=0.8, extend="both")
    if colorbar_label:
        bar.set_label(colorbar_label)
    return fig
