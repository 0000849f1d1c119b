"""Interactive transfer heatmaps: hover (or focus) a cell for its value, its interval and its baseline.

>>> transfer_heatmaps(view_grid(matrices, marks=marks), cells_by_view, name="fig-babbage")  # doctest: +SKIP

The heatmaps are the panels the static figure drew (:func:`evalcorr.figures.transfer.heatmap` records
each: its matrix, marks, colour scale and the key its caller gave it, e.g. the view); ``cells`` adds
per panel key a tidy table with one row per cell (train_task, eval_task and any of value, ci_low,
ci_high, after, baseline, n_items): :func:`evalcorr.stats.transfer_cells.cell_intervals` for the
Babbage/Davinci views. A cell whose value differs from the matrix drawn is refused.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import figure_data, figure_panels
from evalcorr.site.figure import COLORSCALES, InteractiveFigure, encode

# Columns of a cells table shown on hover, in this order, with their hover label.
CELL_COLUMNS = {"value": "recomputed from the accuracies", "ci_low": "95% interval, low", "ci_high": "95% interval, high",
                "after": "after A then a few of B", "baseline": "baseline (a few of B only)",
                "n_items": "items scored", "n": "replicates averaged"}


def transfer_heatmaps(static: Figure, cells: Mapping | None = None, *, name: str,
                      baseline_note: str | None = None, tolerance: float = 1e-9) -> InteractiveFigure:
    """The heatmaps of `static` with per-cell intervals and baselines on hover.

    Parameters
    ----------
    static : Figure
        A figure of :mod:`evalcorr.figures.transfer` heatmaps (heatmap, view_grid, scale_grid, heatmap_row).
    cells : mapping, optional
        Panel key (the view for view_grid, ``(title, view)`` for scale_grid) -> a cells table.
    name : str
        The figure's label (names its CSV file).
    baseline_note : str, optional
        Said on hover when a panel has no baseline (e.g. "baselines not released").
    tolerance : float
        How far a cell table's value may be from the value drawn. The drawn value is the released one;
        when the table recomputes it (the Babbage/Davinci percentage points from the accuracies, while the
        released sheet is rounded to whole points), the hover also shows the recomputed value, which the
        interval is about.
    """
    panels = [p for p in figure_panels(static) if "rows" in p.meta]
    if not panels:
        raise EvalcorrError(f"{name}: `static` records no heatmap; pass a figure of evalcorr.figures.transfer")
    cells = dict(cells or {})
    unknown = [key for key in cells if key not in {p.key for p in panels}]
    if unknown:
        raise EvalcorrError(f"{name}: no panel of the figure has the key(s) {unknown}; the panels are "
                            f"{[p.key for p in panels]}")
    specs, tables = [], []
    for panel in panels:
        meta = panel.meta
        rows, columns = meta["rows"], meta["columns"]
        z = panel.data.iloc[:, 2].to_numpy(float).reshape(len(rows), len(columns))
        extra = _cell_values(cells.get(panel.key), rows, columns, z, panel.title or str(panel.key), name, tolerance)
        spec = {"title": panel.title or "", "rows": meta["row_names"], "columns": meta["column_names"],
                "row_label": meta.get("row_label") or "", "column_label": meta.get("column_label") or "",
                "value_label": meta.get("colorbar_label") or panel.title or "value",
                "vmin": meta["vmin"], "vmax": meta["vmax"], "annotations": meta.get("annotations"),
                "colorscale": COLORSCALES["diverging" if meta["diverging"] else "sequential"],
                "z": encode(z), "extra": {column: encode(values) for column, values in extra.items()},
                "labels": {column: CELL_COLUMNS[column] for column in extra}}
        if "marked" in panel.data:
            spec["marked"] = encode(panel.data["marked"].to_numpy(bool).reshape(z.shape), "u1")
        if baseline_note and "baseline" not in extra:
            spec["note"] = baseline_note
        specs.append(spec)
        tables.append(pd.DataFrame({column: values.ravel() for column, values in extra.items()}))
    data = figure_data(static)
    data = pd.concat([data, pd.concat(tables, ignore_index=True)], axis=1)
    description = (f"Interactive heatmap{'s' if len(specs) > 1 else ''} of transfer: rows are the task trained on, "
                   "columns the task evaluated on. Hover over a cell, or focus a heatmap and move with the arrow "
                   "keys, for the cell's value, its 95% interval and its baseline.")
    return InteractiveFigure("transfer-heatmaps", {"panels": specs}, static=static, name=name,
                             downloads=[(None, "every cell with its interval and baseline (CSV)", data, False)],
                             description=description)


def _cell_values(table: pd.DataFrame | None, rows: list[str], columns: list[str], z: np.ndarray, panel: str,
                 name: str, tolerance: float) -> dict[str, np.ndarray]:
    """The hover columns of a cells table as matrices aligned with the panel (NaN where absent)."""
    if table is None:
        return {}
    missing = {"train_task", "eval_task"} - set(table.columns)
    if missing:
        raise EvalcorrError(f"{name}: the cells of panel {panel!r} lack column(s) {sorted(missing)}")
    keyed = table.assign(train_task=table["train_task"].astype(str), eval_task=table["eval_task"].astype(str))
    keyed = keyed.set_index(["train_task", "eval_task"])
    index = pd.MultiIndex.from_product([rows, columns])
    value_column = "value" if "value" in keyed else ("mean" if "mean" in keyed else None)
    out = {}
    if value_column is not None:
        given = keyed[value_column].reindex(index).to_numpy(float).reshape(z.shape)
        shown = np.isfinite(z)
        gap = np.abs(given[shown] - z[shown])
        if not np.all(gap <= tolerance):
            raise EvalcorrError(f"{name}: the cells of panel {panel!r} differ from the values the heatmap shows by up "
                                f"to {np.nanmax(gap):.3g} (tolerance {tolerance:g}); pass the cell table of the same "
                                "model and view")
        if np.any(gap > 1e-9):
            out["value"] = np.where(shown, given, np.nan)
    for column in CELL_COLUMNS:
        if column == "value":
            continue
        if column in keyed:
            values = keyed[column].reindex(index).to_numpy(float).reshape(z.shape)
            out[column] = np.where(np.isfinite(z), values, np.nan)
    return out
