"""House style shared by every figure of the report.

One place for sizes, fonts, colour maps and the family palette, so that all chapters look like one
document. Figure functions call :func:`use_house_style` once and take their colours from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.text import Text

from evalcorr.errors import EvalcorrError
from evalcorr.figures.canvas import HouseCanvas

# Page width of the PDF body text (inches); site figures are drawn at the same size.
PAGE_WIDTH = 7.0
# Diverging map for signed quantities (correlations, transfer effects), always centred at 0.
# RdBu is legible under the common colour-vision deficiencies (blue = positive, red = negative).
DIVERGING_CMAP = "RdBu_r"
# Sequential map for non-negative quantities (accuracies, similarities).
SEQUENTIAL_CMAP = "viridis"

# Okabe-Ito, the colour-blind-safe qualitative palette, extended with greys for rare groups.
QUALITATIVE = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
    "#D55E00", "#F0E442", "#000000", "#999999", "#6B4C9A",
]


def use_house_style() -> None:
    """Set matplotlib defaults for all report figures (deterministic SVG, legible fonts)."""
    mpl.rcParams.update({
        "figure.figsize": (PAGE_WIDTH, 4.5),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": mpl.cycler(color=QUALITATIVE),
        "image.cmap": SEQUENTIAL_CMAP,
        "hatch.linewidth": 0.5,          # hatching marks cells (e.g. within noise) without hiding their text
        # Reproducible SVG: fixed id salt, text kept as paths so the PDF needs no extra fonts.
        "svg.hashsalt": "evalcorr",
        "svg.fonttype": "path",
        "pdf.fonttype": 42,
    })


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, layout=None, **kwargs):
    """A new figure and its axes, made outside pyplot: ``(fig, ax)`` or ``(fig, axes)``.

    Every figure function returns its figure, and Jupyter displays a cell's returned value once. A
    figure made with ``plt.subplots`` is also registered with pyplot, and the inline backend displays
    every registered figure again when the cell ends: two images for one cell, which Quarto shows as two
    subfigures. A figure made here is not registered, so a chapter cell that returns it shows it
    exactly once, in any Jupyter kernel. `figsize` and `layout` go to ``Figure``; the other keyword
    arguments (``squeeze``, ``sharex``, ...) to ``Figure.subplots``.

    >>> fig, ax = subplots(figsize=(3, 2))
    >>> import matplotlib.pyplot as plt; plt.get_fignums()
    []
    """
    fig = new_figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def new_figure(**kwargs) -> Figure:
    """A figure outside pyplot (see :func:`subplots`) on the report's SVG canvas
    (:mod:`evalcorr.figures.canvas`); the keyword arguments go to ``Figure``."""
    fig = Figure(**kwargs)
    HouseCanvas(fig)
    return fig


def family_colors(families) -> dict[str, str]:
    """A stable colour for each family name (sorted order, so the same families get the same colours)."""
    names = sorted(set(families))
    return {name: QUALITATIVE[i % len(QUALITATIVE)] for i, name in enumerate(names)}


def diverging_norm(limit: float = 1.0) -> Normalize:
    """A colour normalisation centred at 0 and symmetric in [-limit, limit] (`limit` a positive number).

    A plain linear map: symmetric about 0, it is the map ``TwoSlopeNorm(vcenter=0)`` would make, but a
    colour bar draws it on a linear axis. For any other norm class matplotlib gives the colour bar a
    function scale that calls the norm on every coordinate it transforms (a tenth of the time of drawing
    the transfer chapter's heatmaps).
    """
    if not (isinstance(limit, (int, float, np.number)) and np.isfinite(limit) and limit > 0):
        raise EvalcorrError(f"limit: the colour scale spans [-limit, limit]; give a positive number, got {limit!r}")
    return Normalize(vmin=-limit, vmax=limit)


class CellLabels(Text):
    """The labels of a matrix's cells, each centred on its cell, as one artist.

    Each label is drawn as its own centred ``Text`` at ``(column, row)`` would be: the same layout and
    the same SVG, byte for byte (a test compares them). One artist instead of one per cell: the
    report's heatmaps label about 3,800 cells, and making, adding and walking a ``Text`` for each was a
    third of their cost. Like the single texts it replaces, it is left out of the layout (each label
    sits inside its cell). :meth:`labels` lists the texts, row by row.
    """

    def __init__(self, cells, *, fontsize: float):
        super().__init__(0, 0, "", ha="center", va="center", fontsize=fontsize, in_layout=False,
                         clip_on=False)     # as Axes.text makes a text
        self._cells = [(float(x), float(y), str(text), color) for x, y, text, color in cells if text]

    def labels(self) -> list[str]:
        return [text for _, _, text, _ in self._cells]

    def draw(self, renderer) -> None:
        for x, y, text, color in self._cells:     # one cell at a time through Text's own drawing
            self._x, self._y, self._text, self._color = x, y, text, color
            super().draw(renderer)
        self._x, self._y, self._text = 0, 0, ""


def annotate_cells(ax, texts, colors, *, fontsize: float) -> CellLabels:
    """Label the cells of an image-drawn matrix on ``ax``: ``texts`` row by row ("" for none) in
    ``colors`` (the same shape). Returns the :class:`CellLabels` artist."""
    labels = CellLabels([(j, i, text, colors[i][j]) for i, row in enumerate(texts) for j, text in enumerate(row)],
                        fontsize=fontsize)
    ax.add_artist(labels)
    return labels


@dataclass
class Panel:
    """What one panel of a figure shows, recorded by the figure function that drew it.

    ``data`` is tidy: one row per drawn value (a cell of a heatmap, a point of a scatter, a bar), with
    the numbers at full precision; it is what the figure's data download holds. ``key`` is what the
    caller called the panel (e.g. a transfer view), ``meta`` how it is drawn (row and column order,
    display names, colour limit, ...), for an interactive companion that must show the same thing.
    """

    data: pd.DataFrame
    title: str | None = None
    key: object = None
    meta: dict = field(default_factory=dict)


def record_panel(target, data: pd.DataFrame, *, title: str | None = None, key=None, **meta) -> None:
    """Record on a figure (or the figure of an Axes) the numbers one of its panels shows."""
    fig = target.figure if hasattr(target, "figure") and not isinstance(target, Figure) else target
    panels = fig.__dict__.setdefault("_evalcorr_panels", [])
    panels.append(Panel(data.reset_index(drop=True), title, key, meta))


def figure_panels(fig) -> list[Panel]:
    """The panels a figure function recorded on `fig` (empty for a figure drawn by hand)."""
    return list(getattr(fig, "_evalcorr_panels", []))


def figure_data(fig) -> pd.DataFrame:
    """Every number a figure shows, as one tidy table (a ``panel`` column first when it has several).

    Raises EvalcorrError for a figure no figure function recorded data on.
    """
    panels = figure_panels(fig)
    if not panels:
        raise EvalcorrError("this figure records no data: figure functions of evalcorr.figures record what "
                            "they draw; a figure drawn by hand has no data download")
    if len(panels) == 1 and panels[0].title is None:
        return panels[0].data.copy()
    names = [p.title if p.title is not None else (str(p.key) if p.key is not None else str(i + 1))
             for i, p in enumerate(panels)]
    return pd.concat([p.data.assign(panel=name)[["panel", *p.data.columns]] for p, name in zip(panels, names)],
                     ignore_index=True)


def matrix_cells(matrix: pd.DataFrame, value: str = "value", row: str = "row", column: str = "column",
                 mark: pd.DataFrame | None = None) -> pd.DataFrame:
    """A matrix as tidy cells (row, column, value[, marked]) in drawing order; NaN cells are kept."""
    cells = pd.DataFrame({
        row: np.repeat(matrix.index.astype(str).to_numpy(), matrix.shape[1]),
        column: np.tile(matrix.columns.astype(str).to_numpy(), matrix.shape[0]),
        value: matrix.to_numpy(float).ravel(),
    })
    if mark is not None:
        cells["marked"] = mark.reindex(index=matrix.index, columns=matrix.columns).fillna(False).to_numpy(bool).ravel()
    return cells
