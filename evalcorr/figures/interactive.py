"""The interactive correlation matrix of the site: a self-contained SVG with a tooltip per cell.

Hovering a cell shows the task pair, r, its confidence interval and n through the SVG ``<title>``
element that every browser displays natively, so the page needs no JavaScript and no network. The
output is a pure function of its inputs (no ids, no timestamps), so renders are reproducible. The PDF
keeps the static :func:`evalcorr.figures.correlation.clustered_heatmap`.

>>> from IPython.display import HTML                       # doctest: +SKIP
>>> HTML(interactive_heatmap_html(corr, pairs, families))   # doctest: +SKIP
"""

from __future__ import annotations

import math
from html import escape

import matplotlib as mpl
import pandas as pd
from matplotlib.colors import to_hex

from evalcorr.errors import EvalcorrError
from evalcorr.figures.correlation import _display_map, _group_table, _palette_labels, _resolve_order
from evalcorr.figures.style import DIVERGING_CMAP, diverging_norm, family_colors

CELL = 12          # px per matrix cell
LABEL_SPACE = 190  # px reserved for the row and column labels
BAR = 8            # px of one family colour bar
FONT = "font-family:Helvetica,Arial,sans-serif"


def _fmt(value: float, digits: int = 2) -> str:
    return "NA" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}"


def _pair_lookup(pairs: pd.DataFrame | None) -> dict[tuple[str, str], dict]:
    """Unordered (task, task) -> the row of the pairs table."""
    if pairs is None:
        return {}
    missing = [c for c in ("task_a", "task_b") if c not in pairs.columns]
    if missing:
        raise EvalcorrError(f"pairs: missing column(s) {missing}; pass the table from "
                            "evalcorr.stats.correlation.correlation_pairs.")
    lookup = {}
    for row in pairs.to_dict("records"):
        lookup[(row["task_a"], row["task_b"])] = row
        lookup[(row["task_b"], row["task_a"])] = row
    return lookup


def _tooltip(a, b, r: float, row: dict | None, names: dict, label: str) -> str:
    text = f"{names[a]} \u00d7 {names[b]}\n{label} = {_fmt(r)}"
    if row is not None:
        if "ci_low" in row and "ci_high" in row:
            text += f"\n95% CI [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
        if "n" in row and row["n"] is not None and not pd.isna(row["n"]):
            text += f"\nn = {int(row['n']):,} models"
    return escape(text)


def interactive_heatmap_html(corr: pd.DataFrame, pairs: pd.DataFrame | None = None, families=None,
                             order=None, *, label: str = "r", limit: float = 1.0,
                             caption: str | None = None) -> str:
    """A correlation matrix as inline SVG whose cells show pair, r, CI and n on hover.

    Parameters
    ----------
    corr : DataFrame
        Square task x task matrix.
    pairs : DataFrame, optional
        Tidy pairs table (task_a, task_b, n, r, ci_low, ci_high) supplying the CI and n of each cell.
    families : DataFrame or mapping, optional
        The families table (task, family, display); adds a family colour bar and display names.
    order : sequence, optional
        Task order (ids or positions), e.g. from ``clustering.cluster_order``.
    label : str
        Name of the coefficient in the tooltips and the scale.
    limit : float
        The colour scale spans [-limit, limit], centred at 0 (a positive number).
    caption : str, optional
        A line of text under the matrix.

    Returns
    -------
    str
        HTML: one ``<figure>`` holding an ``<svg>`` with ``k * k`` cells, each with a ``<title>``.
    """
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise EvalcorrError("corr: expected a square matrix with the same task labels on rows and columns.")
    norm = diverging_norm(limit)
    tasks = _resolve_order(corr, order)
    k = len(tasks)
    matrix = corr.loc[tasks, tasks].to_numpy(dtype=float)
    # task labels may be any hashable (integer task ids too); they are shown as text
    names = {t: str(name) for t, name in _display_map(families if isinstance(families, pd.DataFrame) else None,
                                                      tasks).items()}
    lookup = _pair_lookup(pairs)
    cmap = mpl.colormaps[DIVERGING_CMAP]

    groups = None
    if families is not None:
        groups = _group_table(families, tasks, ["family"])["family"].astype(str).tolist()
        colour_of = family_colors(_palette_labels(families, ["family"]) | set(groups))
    bars = BAR + 3 if groups else 0
    x0 = y0 = LABEL_SPACE + bars
    size = k * CELL
    legend_w = 150
    width, height = x0 + size + legend_w, y0 + size + 10

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" style="max-width:{width}px;{FONT}" role="img" '
             f'aria-label="Interactive correlation matrix of {k} tasks">']
    # Cells: one rect with a <title> tooltip each.
    parts.append('<g class="cells" shape-rendering="crispEdges">')
    for i, a in enumerate(tasks):
        for j, b in enumerate(tasks):
            r = matrix[i, j]
            fill = "#DDDDDD" if not math.isfinite(r) else to_hex(cmap(norm(r)))
            tip = _tooltip(a, b, r, lookup.get((a, b)), names, label)
            parts.append(f'<rect x="{x0 + j * CELL}" y="{y0 + i * CELL}" width="{CELL}" height="{CELL}" '
                         f'fill="{fill}"><title>{tip}</title></rect>')
    parts.append("</g>")
    # Labels: rows on the left, columns rotated above the matrix.
    parts.append('<g class="labels" font-size="8" fill="#222">')
    for i, t in enumerate(tasks):
        c = CELL * i + CELL / 2
        parts.append(f'<text x="{x0 - bars - 3}" y="{y0 + c + 3}" text-anchor="end">{escape(names[t])}</text>')
        parts.append(f'<text transform="translate({x0 + c + 3},{y0 - bars - 3}) rotate(-90)">'
                     f'{escape(names[t])}</text>')
    parts.append("</g>")
    # Family colour bars on both axes, and a legend.
    if groups:
        parts.append('<g class="families">')
        for i, g in enumerate(groups):
            tip = f"<title>{escape(names[tasks[i]])}: {escape(g)}</title>"
            parts.append(f'<rect x="{x0 - bars}" y="{y0 + i * CELL}" width="{BAR}" height="{CELL}" '
                         f'fill="{colour_of[g]}">{tip}</rect>')
            parts.append(f'<rect x="{x0 + i * CELL}" y="{y0 - bars}" width="{CELL}" height="{BAR}" '
                         f'fill="{colour_of[g]}">{tip}</rect>')
        for n, g in enumerate(sorted(set(groups))):
            y = y0 + 130 + n * 13
            parts.append(f'<rect x="{x0 + size + 15}" y="{y}" width="9" height="9" fill="{colour_of[g]}"/>'
                         f'<text x="{x0 + size + 28}" y="{y + 8}" font-size="9">{escape(g)}</text>')
        parts.append("</g>")
    # Colour scale: a vertical ramp from +limit (top) to -limit (bottom).
    ramp_x, ramp_h = x0 + size + 15, 100
    parts.append('<g class="scale" font-size="9">')
    steps = 20
    for s in range(steps):
        value = limit - (s + 0.5) * 2 * limit / steps
        parts.append(f'<rect x="{ramp_x}" y="{y0 + s * ramp_h / steps:.1f}" width="12" '
                     f'height="{ramp_h / steps + 0.5:.1f}" fill="{to_hex(cmap(norm(value)))}"/>')
    for value, y in ((limit, y0 + 4), (0.0, y0 + ramp_h / 2 + 3), (-limit, y0 + ramp_h)):
        parts.append(f'<text x="{ramp_x + 16}" y="{y:.1f}">{value:+.1f}</text>')
    parts.append(f'<text x="{ramp_x}" y="{y0 - 6}">{escape(label)}</text>')
    parts.append("</g></svg>")

    caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return ('<figure class="evalcorr-interactive-matrix" style="margin:0">'
            + "".join(parts) + caption_html + "</figure>")
