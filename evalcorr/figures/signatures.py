"""Figures of benchmark signatures: the selected features and their standardised coefficients per
target, the cross-validated R^2 per target, and overlap by correlation vs by signature.

Each function takes the tidy output of :mod:`evalcorr.stats.signatures` / :mod:`evalcorr.stats.overlap`,
draws on ``ax`` (a new figure when None) and returns the Figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from evalcorr.errors import EvalcorrError
from evalcorr.figures.correlation import BETWEEN_COLOR, WITHIN_COLOR, _display_map
from evalcorr.figures.style import (
    DIVERGING_CMAP,
    PAGE_WIDTH,
    QUALITATIVE,
    diverging_norm,
    family_colors,
    matrix_cells,
    record_panel,
    subplots,
    use_house_style,
)
from evalcorr.stats.inputs import family_series

METADATA_FAMILY = "metadata"
METADATA_COLOR = "#444444"


def _require(frame: pd.DataFrame, columns, argument: str, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvalcorrError(f"{argument}: missing column(s) {missing}; pass the table {source} returns")


def _family_order(items, families: pd.Series, targets) -> list[str]:
    """Items grouped by family (families in order of first appearance among ``targets``), stable within;
    items that are not tasks (metadata) last."""
    order = list(dict.fromkeys(families[t] for t in targets))
    order += [f for f in dict.fromkeys(families.to_numpy()) if f not in order]
    order.append(METADATA_FAMILY)
    return sorted(items, key=lambda t: order.index(families.get(t, METADATA_FAMILY)))


def _display(families, items) -> dict[str, str]:
    return _display_map(families if isinstance(families, pd.DataFrame) else None, list(items))


def _colour_strip(ax, labels, colour_of, *, vertical: bool, size: float = 0.025, label: str):
    """A strip of family colours beside ``ax`` (left when vertical, on top otherwise)."""
    present = sorted(set(labels))
    palette = ListedColormap([colour_of[v] for v in present])
    codes = np.array([present.index(v) for v in labels])
    bounds = (-size - 0.005, 0, size, 1) if vertical else (0, 1.005, 1, size)
    strip = ax.inset_axes(bounds, label=label)
    strip.imshow(codes[:, None] if vertical else codes[None, :], cmap=palette, vmin=-0.5,
                 vmax=len(present) - 0.5, aspect="auto", interpolation="nearest")
    strip.set_xticks([])
    strip.set_yticks([])
    for side in strip.spines.values():
        side.set_visible(False)
    return strip


def _colours(families: pd.Series, items) -> dict[str, str]:
    """Family colours as the other figures give them: from the families of the items drawn."""
    colours = family_colors({families[t] for t in items if t in families.index})
    colours[METADATA_FAMILY] = METADATA_COLOR
    return colours


def coefficient_heatmap(table: pd.DataFrame, families, *, title: str | None = None, limit: float | None = None,
                        fontsize: float = 5.5, ax=None) -> Figure:
    """Targets x selected features, coloured by standardised coefficient (0 where not selected).

    Parameters
    ----------
    table : DataFrame
        :func:`evalcorr.stats.signatures.signature_table` (target, feature, beta, ...).
    families : DataFrame or Series
        the families table (task, family, display) or a Series task -> family. Features that are
        not tasks (model metadata) are grouped last as ``metadata``.
    title : str, optional
    limit : float, optional
        the colour scale spans [-limit, limit] (default: the largest absolute coefficient).
    fontsize : float
        size of the tick labels.
    ax : Axes, optional
    """
    use_house_style()
    _require(table, ["target", "feature", "beta"], "table", "evalcorr.stats.signatures.signature_table")
    if table.empty:
        raise EvalcorrError("table: no feature was selected for any target; nothing to draw")
    fam = family_series(families, pd.unique(table["target"]))
    betas = table.pivot(index="target", columns="feature", values="beta")
    targets = list(pd.unique(table["target"]))
    rows = _family_order(list(betas.index), fam, targets)
    cols = _family_order(list(betas.columns), fam, targets)
    matrix = betas.loc[rows, cols].fillna(0.0).to_numpy(dtype=float)
    limit = float(np.abs(matrix).max()) if limit is None else float(limit)
    names = _display(families, list(dict.fromkeys(rows + cols)))
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH, max(3.0, 0.115 * len(rows) + 2.2)))
    fig = ax.figure
    record_panel(fig, matrix_cells(pd.DataFrame(matrix, index=rows, columns=cols), value="beta", row="target",
                                   column="feature"), title=title)
    image = ax.imshow(np.where(matrix == 0, np.nan, matrix), cmap=DIVERGING_CMAP,
                      norm=diverging_norm(limit), aspect="auto", interpolation="nearest")
    ax.set_facecolor("#F4F4F4")
    ax.tick_params(length=1.5, pad=1)     # before the ticks are made: each is made with this length and pad
    ax.set_xticks(range(len(cols)), [names[c] for c in cols], rotation=90, fontsize=fontsize)
    ax.set_yticks([])
    colours = _colours(fam, rows + cols)
    strip = _colour_strip(ax, [fam.get(t, METADATA_FAMILY) for t in rows], colours, vertical=True,
                          size=0.02, label="target-families")
    strip.tick_params(length=1.5, pad=1)
    strip.set_yticks(range(len(rows)), [names[t] for t in rows], fontsize=fontsize)
    _colour_strip(ax, [fam.get(c, METADATA_FAMILY) for c in cols], colours, vertical=False,
                  size=0.015, label="feature-families")
    ax.set_xlabel("selected feature")
    cbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, shrink=0.45, anchor=(0.0, 1.0))
    cbar.set_label("standardised coefficient", fontsize=7)
    cbar.ax.tick_params(labelsize=6)
    used = list(dict.fromkeys([fam.get(t, METADATA_FAMILY) for t in rows + cols]))
    ax.legend(handles=[Patch(facecolor=colours[f], label=f) for f in used], loc="upper left",
              bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=6, title="family", title_fontsize=6.5,
              handlelength=1.0, borderaxespad=0.0)
    if title:
        ax.set_title(title, pad=12)
    return fig


def cv_r2_plot(summaries: Mapping[str, pd.DataFrame], families, *, title: str | None = None,
               fontsize: float = 6.0, legend: bool = True, ax=None) -> Figure:
    """Cross-validated R^2 of each target's signature, one marker per candidate feature set.

    Parameters
    ----------
    summaries : mapping
        label (e.g. ``"all tasks"``) -> :func:`evalcorr.stats.signatures.signature_summary`.
    families : DataFrame or Series
        the families table or a Series task -> family; targets are grouped by family.
    title : str, optional
    fontsize : float
        size of the target labels.
    legend : bool
        name the feature sets in a legend (not needed for one).
    ax : Axes, optional
    """
    use_house_style()
    if not summaries:
        raise EvalcorrError("summaries: pass at least one label -> signature_summary(...) table")
    for label, summary in summaries.items():
        _require(summary, ["target", "cv_r2"], f"summaries[{label!r}]", "signature_summary")
    targets = list(dict.fromkeys(t for s in summaries.values() for t in s["target"]))
    fam = family_series(families, targets)
    rows = _family_order(targets, fam, targets)
    names = _display(families, rows)
    position = {t: i for i, t in enumerate(rows)}
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH * 0.75, max(2.5, 0.12 * len(rows) + 1.2)))
    fig = ax.figure
    markers = ["o", "s", "^", "D", "v"]
    record_panel(fig, pd.concat([s[["target", "cv_r2"]].assign(features=label) for label, s in summaries.items()],
                                ignore_index=True)[["features", "target", "cv_r2"]], title=title)
    for k, (label, summary) in enumerate(summaries.items()):
        y = summary["target"].map(position).to_numpy(dtype=float)
        ax.scatter(summary["cv_r2"], y, s=14, marker=markers[k % len(markers)], label=label,
                   color=QUALITATIVE[k % len(QUALITATIVE)], zorder=3, linewidths=0)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks([])
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.5)
    ax.set_xlim(min(0.0, ax.get_xlim()[0]), 1.0)
    ax.set_xlabel("cross-validated $R^2$")
    strip = _colour_strip(ax, [fam[t] for t in rows], _colours(fam, rows), vertical=True, size=0.025,
                          label="target-families")
    strip.tick_params(length=1.5, pad=1)
    strip.set_yticks(range(len(rows)), [names[t] for t in rows], fontsize=fontsize)
    if legend:
        ax.legend(frameon=False, loc="lower left", title="candidate features", title_fontsize=7)
    if title:
        ax.set_title(title)
    return fig


def overlap_scatter(table: pd.DataFrame, *, x: str = "r", y: str = "jaccard", title: str | None = None,
                    ax=None) -> Figure:
    """Task pairs: one overlap measure against another, coloured by same / different family.

    Parameters
    ----------
    table : DataFrame
        :func:`evalcorr.stats.overlap.overlap_three_ways` (same_family, r, jaccard, shared_weight).
    x, y : str
        the measures on each axis.
    title : str, optional
    ax : Axes, optional
    """
    use_house_style()
    _require(table, ["same_family", x, y], "table", "evalcorr.stats.overlap.overlap_three_ways")
    labels = {"r": "performance correlation (Pearson r)", "jaccard": "signature overlap (Jaccard)",
              "shared_weight": "shared predictive weight"}
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH * 0.6, 3.2))
    fig = ax.figure
    same = table["same_family"].astype(bool).to_numpy()
    record_panel(fig, table[[c for c in ("task_a", "task_b") if c in table.columns] + [x, y, "same_family"]],
                 title=title)
    for mask, colour, label in ((~same, BETWEEN_COLOR, "different families"),
                                (same, WITHIN_COLOR, "same family")):
        ax.scatter(table.loc[mask, x], table.loc[mask, y], s=8, alpha=0.55, color=colour, label=label,
                   linewidths=0)
    ax.set_xlabel(labels.get(x, x))
    ax.set_ylabel(labels.get(y, y))
    ax.legend(frameon=False, loc="upper left", markerscale=1.5)
    if title:
        ax.set_title(title)
    return fig
