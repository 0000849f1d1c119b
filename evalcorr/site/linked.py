"""The linked correlation matrix of the site: hover a cell for its pair, click it for its scatter.

>>> fig = linked_matrix(clustered_heatmap(corr, families, order=order), wide, pairs, name="fig-matrix")  # doctest: +SKIP

The matrix is the one the static figure draws (same tasks, order, names and values: they are read from
the panels the figure function recorded); the interactive figure adds, per cell, the 95% interval and
n of the pairs table, and the scatter of the pair built in the browser from the score columns (one
point per model with both scores). A pairs table whose r differs from the matrix, or whose n differs
from the number of models with both scores, is refused: the hover, the title and the points must agree.

Page weight: the scores travel once per figure as float32 (4 bytes a score, base64), the matrix as k x k
float32 arrays; the leaderboard's 1,860 models x 40 tasks take about 0.4 MB.
"""

from __future__ import annotations

import math
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import Panel, figure_panels
from evalcorr.site.figure import COLORSCALES, InteractiveFigure, encode

PAIR_COLUMNS = ["task_a", "task_b", "n", "r", "ci_low", "ci_high"]


def linked_matrix(static: Figure, scores, pairs, *, name: str, unit: str | list = "model", value: str | list = "score",
                  initial: tuple[str, str] | list | None = None) -> InteractiveFigure:
    """Each correlation matrix of `static` linked to the scatter of the pair under the pointer.

    Parameters
    ----------
    static : Figure
        The static matrix figure (:func:`evalcorr.figures.correlation.clustered_heatmap`, or
        :func:`evalcorr.figures.transfer.heatmap_row` of square matrices): one linked view per panel.
    scores : DataFrame or list of DataFrame
        Per panel, the units (models, runs) x tasks table the correlations were computed from; the
        scatter of a pair plots two of its columns. A MultiIndex is joined with " · " into unit names.
    pairs : DataFrame or list of DataFrame
        Per panel, the pairs table (:func:`evalcorr.stats.correlation.correlation_pairs`: task_a, task_b,
        n, r, ci_low, ci_high) of the same data.
    name : str
        The figure's label (names its CSV files).
    unit, value : str or list of str
        What a point is and what its coordinates are ("model", "score"), for the hover, the axes and the
        search box (a list: one per panel).
    initial : (task, task), optional
        The pair whose scatter is drawn first (per panel, for several); default the most correlated pair.
    """
    panels = [p for p in figure_panels(static) if _is_matrix(p)]
    if not panels:
        raise EvalcorrError(f"{name}: `static` records no square matrix; pass the figure of clustered_heatmap "
                            "or heatmap_row")
    scores = _per_panel(scores, len(panels), "scores", name)
    pairs = _per_panel(pairs, len(panels), "pairs", name)
    initial = _per_panel(initial, len(panels), "initial pairs", name)
    units = unit if isinstance(unit, list) else [unit] * len(panels)
    values = value if isinstance(value, list) else [value] * len(panels)
    if len(units) != len(panels) or len(values) != len(panels):
        raise EvalcorrError(f"{name}: give one unit and one value name per panel ({len(panels)})")
    specs, downloads = [], []
    for index, panel in enumerate(panels):
        spec, cells, points = _panel_spec(panel, scores[index], pairs[index], initial[index], units[index],
                                          values[index], name)
        specs.append(spec)
        part = None if len(panels) == 1 else _slug(panel.title or str(index + 1))
        downloads.append((part, f"{_title(panel, len(panels))}matrix (CSV)", cells, False))
        downloads.append((f"{part}-scores" if part else "scores",
                          f"{_title(panel, len(panels))}scores, the points of every scatter (CSV)", points, True))
    k = len(specs[0]["tasks"])
    what = "matrices" if len(specs) > 1 else "matrix"
    description = (f"Interactive correlation {what} of {k} tasks. Hover over or click a cell for the pair, r, its 95% "
                   f"interval and n; the scatter of the chosen pair (one point per {' or '.join(dict.fromkeys(units))}) "
                   f"appears beside the matrix. The arrow keys move between cells of a focused matrix, the two lists "
                   f"choose a pair, and the search box highlights one point.")
    return InteractiveFigure("linked-matrix", {"panels": specs, "colorscale": COLORSCALES["diverging"]},
                             static=static, name=name, downloads=downloads, description=description)


def _is_matrix(panel: Panel) -> bool:
    meta = panel.meta
    return "tasks" in meta or ("rows" in meta and meta.get("rows") == meta.get("columns"))


def _per_panel(value, n: int, what: str, name: str) -> list:
    """One value per panel: a list as given, None for every panel, else the one value of one panel."""
    values = value if isinstance(value, list) else [value] * (n if value is None else 1)
    if len(values) != n:
        raise EvalcorrError(f"{name}: the static figure has {n} matrix panel(s) but {len(values)} {what} "
                            "were given; pass a list with one per panel, in the panels' order")
    return values


def _title(panel: Panel, n: int) -> str:
    return f"{panel.title}: " if n > 1 and panel.title else ""


def _slug(text: str) -> str:
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in text).split()) or "panel"


def _panel_spec(panel: Panel, scores: pd.DataFrame, pairs: pd.DataFrame, initial, unit: str, value: str,
                name: str):
    meta = panel.meta
    tasks = list(meta.get("tasks") or meta["rows"])
    names = list(meta.get("names") or meta["row_names"])
    label = str(meta.get("label") or meta.get("colorbar_label") or "r")
    limit = float(meta.get("limit") or max(abs(meta.get("vmin", -1.0)), abs(meta.get("vmax", 1.0))))
    k = len(tasks)
    matrix = panel.data.iloc[:, 2].to_numpy(float).reshape(k, k)
    if not isinstance(pairs, pd.DataFrame) or set(PAIR_COLUMNS) - set(pairs.columns):
        raise EvalcorrError(f"{name}: `pairs` must be a correlation_pairs table with columns {PAIR_COLUMNS}")
    if not isinstance(scores, pd.DataFrame):
        raise EvalcorrError(f"{name}: `scores` must be the units x tasks DataFrame the pairs were computed from")
    columns = {str(c): c for c in scores.columns}
    missing = [t for t in tasks if t not in columns]
    if missing:
        raise EvalcorrError(f"{name}: task(s) {missing[:5]} of the matrix are not columns of `scores`")
    data = scores[[columns[t] for t in tasks]].astype(float)
    data = data[data.notna().any(axis=1)]
    values = data.to_numpy(float)

    lookup = {}
    for row in pairs[PAIR_COLUMNS].itertuples(index=False):
        lookup[(str(row.task_a), str(row.task_b))] = lookup[(str(row.task_b), str(row.task_a))] = row
    r = np.ones((k, k))
    low, high, n = np.full((k, k), np.nan), np.full((k, k), np.nan), np.zeros((k, k))
    present = np.isfinite(values)
    for i in range(k):
        n[i, i] = present[:, i].sum()
        low[i, i] = high[i, i] = 1.0
        for j in range(k):
            if i == j:
                continue
            row = lookup.get((tasks[i], tasks[j]))
            if row is None:
                raise EvalcorrError(f"{name}: the pairs table has no row for ({tasks[i]}, {tasks[j]})")
            if not _same(row.r, matrix[i, j]):
                raise EvalcorrError(f"{name}: the pairs table gives r = {row.r} for ({tasks[i]}, {tasks[j]}) but the "
                                    f"matrix shows {matrix[i, j]}; pass the pairs of the matrix's data")
            both = int((present[:, i] & present[:, j]).sum())
            if both != int(row.n):
                raise EvalcorrError(f"{name}: {both} {unit}s have scores on both {tasks[i]} and {tasks[j]}, but "
                                    f"the pairs table says n = {int(row.n)}; pass the scores the pairs were "
                                    "computed from")
            r[i, j], low[i, j], high[i, j], n[i, j] = matrix[i, j], row.ci_low, row.ci_high, row.n
    if initial is None:
        off = np.where(np.eye(k, dtype=bool) | ~np.isfinite(r), -np.inf, r)
        first = np.unravel_index(int(np.argmax(off)), off.shape)
    else:
        try:
            first = (tasks.index(str(initial[0])), tasks.index(str(initial[1])))
        except ValueError:
            raise EvalcorrError(f"{name}: initial pair {initial} is not a pair of the matrix's tasks") from None
    units = [" · ".join(map(str, u)) if isinstance(u, tuple) else str(u) for u in data.index]
    groups = meta.get("groups") or {}
    spec = {"title": panel.title or "", "label": label, "limit": limit, "tasks": tasks, "names": names,
            "groups": groups.get("family") or next(iter(groups.values()), []),
            "bars": [{"name": column, "labels": labels} for column, labels in groups.items()],
            "colors": meta.get("colors") or {},
            "r": encode(r), "lo": encode(low), "hi": encode(high), "n": encode(n),
            "units": units, "scores": encode(values.T), "initial": [int(first[0]), int(first[1])],
            "unit": unit, "value": value}
    cells = pd.DataFrame([{"task_a": tasks[i], "task_b": tasks[j], "n": int(n[i, j]), "r": r[i, j],
                           "ci_low": low[i, j], "ci_high": high[i, j]}
                          for i in range(k) for j in range(i + 1, k)])
    points = pd.DataFrame(values, index=pd.Index(units, name=unit), columns=tasks)
    return spec, cells, points


def _same(a, b) -> bool:
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9
