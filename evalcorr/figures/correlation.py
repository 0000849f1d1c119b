"""Figures of the observational study: pair scatters, the histogram of coefficients, clustered matrices.

Every function takes data that the statistics in :mod:`evalcorr.stats` already computed (a wide score
frame, a tidy pairs table, a correlation matrix, a cluster order) and returns a matplotlib Figure drawn
in the house style. Nothing here computes a correlation: the numbers printed in the panels come from
the pairs table.

>>> from evalcorr.figures.correlation import clustered_heatmap   # doctest: +SKIP
>>> fig = clustered_heatmap(corr, families, order=order)           # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import (
    DIVERGING_CMAP,
    PAGE_WIDTH,
    diverging_norm,
    family_colors,
    matrix_cells,
    new_figure,
    record_panel,
    subplots,
    use_house_style,
)

# The pairs the original study discusses (Wolfram 2024): two MATH subjects that move together, MATH
# against the BBH tasks that sound mathematical, and two BBH tasks.
STUDY_PAIRS: tuple[tuple[str, str], ...] = (
    ("math_prealgebra_hard", "math_geometry_hard"),
    ("math_prealgebra_hard", "bbh_logical_deduction_three_objects"),
    ("math_prealgebra_hard", "bbh_boolean_expressions"),
    ("math_geometry_hard", "bbh_geometric_shapes"),
    ("bbh_salient_translation_error_detection", "bbh_temporal_sequences"),
)

WITHIN_COLOR = "#0072B2"
BETWEEN_COLOR = "#E69F00"


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvalcorrError(
            f"{argument}: missing column(s) {missing}; pass the tidy pairs table from "
            "evalcorr.stats.correlation.correlation_pairs (columns task_a, task_b, n, r, ...)."
        )


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _display_map(families: pd.DataFrame | Mapping | None, tasks: Sequence[str]) -> dict[str, str]:
    """Task id -> display name from a families table (columns task, display) or a mapping."""
    if families is None:
        return {t: t for t in tasks}
    if isinstance(families, pd.DataFrame):
        if "display" not in families.columns:
            return {t: t for t in tasks}
        table = families.drop_duplicates("task").set_index("task")["display"]
        mapping = {k: v for k, v in table.items() if isinstance(v, str) and v}
    else:
        mapping = dict(families)
    return {t: mapping.get(t, t) for t in tasks}


def select_scatter_pairs(pairs: pd.DataFrame, n: int = 8, *, seed: int = 0,
                         include: Sequence[tuple[str, str]] = STUDY_PAIRS) -> pd.DataFrame:
    """Rows of a pairs table to draw as scatters: the study's pairs, topped up with a seeded sample.

    Parameters
    ----------
    pairs : DataFrame
        Tidy pairs table with at least ``task_a``, ``task_b`` (either orientation).
    n : int
        Number of pairs to return.
    seed : int
        Seed of the random top-up sample (deterministic).
    include : sequence of (task, task)
        Pairs always included, in this order, when both tasks are in the table.

    Returns
    -------
    DataFrame
        ``n`` rows of ``pairs`` (study pairs first, oriented as in ``include``), with a boolean
        column ``discussed``.
    """
    _require_columns(pairs, ["task_a", "task_b"], "pairs")
    keys = [_pair_key(a, b) for a, b in zip(pairs["task_a"], pairs["task_b"])]
    position = {key: i for i, key in enumerate(keys)}
    chosen = [position[_pair_key(a, b)] for a, b in include if _pair_key(a, b) in position][:n]
    rest = np.setdiff1d(np.arange(len(pairs)), chosen)
    rng = np.random.default_rng(seed)
    sample = rng.choice(rest, size=min(n - len(chosen), len(rest)), replace=False)
    rows = pairs.iloc[chosen + sorted(sample.tolist())].reset_index(drop=True)
    # Draw the study's pairs the way round the study names them (first task on the x axis).
    wanted = {_pair_key(a, b): (a, b) for a, b in include}
    flip = np.array([wanted.get(_pair_key(a, b), (a, b))[0] != a
                     for a, b in zip(rows["task_a"], rows["task_b"])])
    for left, right in (("task_a", "task_b"), ("family_a", "family_b")):
        if left in rows.columns and right in rows.columns and flip.any():
            a, b = rows[left].copy(), rows[right].copy()
            rows[left] = a.where(~flip, b)
            rows[right] = b.where(~flip, a)
    rows["discussed"] = np.arange(len(rows)) < len(chosen)
    return rows


PICKS = ("highest r", "lowest r", "random")


def select_extreme_pairs(pairs: pd.DataFrame, n_high: int = 2, n_low: int = 2, n_random: int = 4, *,
                         seed: int = 0) -> pd.DataFrame:
    """Rows of a pairs table to draw as scatters on any table: the most and least correlated pairs and
    a seeded random sample of the others.

    Parameters
    ----------
    pairs : DataFrame
        Tidy pairs table with ``task_a``, ``task_b`` and ``r`` (pairs with a NaN r are never picked).
    n_high, n_low : int
        Number of pairs with the highest and with the lowest r.
    n_random : int
        Number of further pairs drawn at random (``seed``) from the rest.

    Returns
    -------
    DataFrame
        The chosen rows (highest first, then lowest, then random in table order) with a column ``pick``
        (``"highest r"``, ``"lowest r"`` or ``"random"``).
    """
    _require_columns(pairs, ["task_a", "task_b", "r"], "pairs")
    finite = np.flatnonzero(np.isfinite(pairs["r"].to_numpy(dtype=float, na_value=np.nan)))
    ranked = finite[np.argsort(-pairs["r"].to_numpy(dtype=float)[finite], kind="stable")]
    high = list(ranked[:n_high])
    low = [i for i in ranked[::-1][:n_low] if i not in high]
    rest = np.setdiff1d(finite, high + low)
    sample = sorted(np.random.default_rng(seed).choice(rest, size=min(n_random, len(rest)), replace=False).tolist())
    rows = pairs.iloc[high + low + sample].reset_index(drop=True)
    rows["pick"] = [PICKS[0]] * len(high) + [PICKS[1]] * len(low) + [PICKS[2]] * len(sample)
    return rows


def pair_scatter_grid(wide: pd.DataFrame, pairs: pd.DataFrame,
                      labels: pd.DataFrame | Mapping | None = None, *,
                      ncols: int = 4, percent: bool = True) -> Figure:
    """A grid of pair scatters, one point per model, with r and n from the pairs table in each panel.

    Parameters
    ----------
    wide : DataFrame
        Scores, index model, one column per task (NaN where missing), as from ``evalcorr.load_wide``.
    pairs : DataFrame
        The pairs to draw, one per panel, with columns ``task_a``, ``task_b``, ``r``, ``n``
        (e.g. :func:`select_scatter_pairs` applied to ``correlation_pairs``). A boolean ``discussed``
        column marks the study's pairs in the panel title; a text column ``pick`` (from
        :func:`select_extreme_pairs`) is shown there instead.
    labels : DataFrame or mapping, optional
        Display names: the families table (columns task, display) or a dict task -> name.
    ncols : int
        Panels per row (8 pairs -> 2 x 4).
    percent : bool
        Draw fraction scores as percentages.

    Returns
    -------
    Figure
    """
    use_house_style()
    _require_columns(pairs, ["task_a", "task_b", "r", "n"], "pairs")
    if len(pairs) == 0:
        raise EvalcorrError("pairs: no pairs to draw; pass at least one row of the pairs table.")
    unknown = sorted(set(pairs["task_a"]).union(pairs["task_b"]) - set(wide.columns))
    if unknown:
        raise EvalcorrError(f"pairs: task(s) {unknown} are not columns of `wide`; "
                            "pass the wide frame the pairs table was computed from.")
    names = _display_map(labels, list(wide.columns))
    nrows = int(np.ceil(len(pairs) / ncols))
    fig, axes = subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.85 * nrows + 0.3), squeeze=False)
    scale = 100.0 if percent else 1.0
    for ax, row in zip(axes.flat, pairs.itertuples(index=False)):
        both = wide[[row.task_a, row.task_b]].dropna()
        ax.scatter(both[row.task_a] * scale, both[row.task_b] * scale, s=3, alpha=0.25,
                   color=WITHIN_COLOR, linewidths=0, rasterized=len(both) > 500)
        ax.set_xlabel(textwrap.fill(names[row.task_a], 26), fontsize=7)
        ax.set_ylabel(textwrap.fill(names[row.task_b], 26), fontsize=7)
        ax.tick_params(labelsize=6)
        ax.text(0.04, 0.96, f"r = {row.r:.2f}\nn = {int(row.n):,}", transform=ax.transAxes,
                va="top", ha="left", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.8))
        note = getattr(row, "pick", None) or ("discussed" if getattr(row, "discussed", False) else None)
        if note:
            ax.set_title(note, fontsize=7, loc="right", color="0.4", pad=2)
        record_panel(fig, pd.DataFrame({"model": both.index.astype(str), "x": both[row.task_a].to_numpy(float),
                                        "y": both[row.task_b].to_numpy(float)}),
                     title=f"{row.task_a} vs {row.task_b} (r = {row.r:.2f}, n = {int(row.n):,})",
                     key=(row.task_a, row.task_b))
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    unit = " (%)" if percent else ""
    fig.supxlabel(f"score on the first task{unit}", fontsize=8)
    fig.supylabel(f"score on the second task{unit}", fontsize=8)
    fig.tight_layout(w_pad=0.8, h_pad=0.9)
    return fig


def _has_families(pairs: pd.DataFrame) -> bool:
    """Whether a pairs table says which pairs are within one family (it was given families)."""
    if "same_family" in pairs.columns and pairs["same_family"].notna().any():
        return True
    return {"family_a", "family_b"} <= set(pairs.columns) and pairs["family_a"].notna().any()


def _within_mask(pairs: pd.DataFrame) -> np.ndarray:
    """True where both tasks of a pair belong to the same family."""
    if "same_family" in pairs.columns and not pairs["same_family"].isna().any():
        return pairs["same_family"].to_numpy(dtype=bool)
    _require_columns(pairs, ["family_a", "family_b"], "pairs")
    if pairs["family_a"].isna().any() or pairs["family_b"].isna().any():
        raise EvalcorrError("pairs: some pairs have no family; call correlation_pairs(..., families=...) "
                            "with the families table of the source.")
    return (pairs["family_a"] == pairs["family_b"]).to_numpy(dtype=bool)


def correlation_histogram(pairs: pd.DataFrame, *, bins: int | Sequence[float] = 40,
                          value: str = "r", ax=None) -> Figure:
    """Histogram of all pairwise coefficients, within-family and between-family overlaid.

    Both groups share the same bins and are drawn as counts of task pairs; the median of each
    group is marked with a dashed line and given in the legend. A pairs table computed without
    families is drawn as one histogram of all pairs.

    Parameters
    ----------
    pairs : DataFrame
        Tidy pairs table with ``r`` (or ``value``) and ``same_family`` (or ``family_a``/``family_b``).
    bins : int or sequence
        Number of equal bins spanning the observed range, or explicit bin edges.
    value : str
        Column holding the coefficients.
    ax : Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    Figure
    """
    use_house_style()
    _require_columns(pairs, [value], "pairs")
    values = pairs[value].to_numpy(dtype=float)
    ok = np.isfinite(values)
    if not ok.any():
        raise EvalcorrError(f"pairs: column {value!r} has no finite values to draw.")
    if np.isscalar(bins):
        low, high = np.floor(values[ok].min() * 10) / 10, np.ceil(values[ok].max() * 10) / 10
        edges = np.linspace(min(low, 0.0), max(high, 0.1), int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=float)
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH, 3.2))
    else:
        fig = ax.figure
    if _has_families(pairs):
        within = _within_mask(pairs)
        groups = [("between families", ~within & ok, BETWEEN_COLOR), ("within a family", within & ok, WITHIN_COLOR)]
    else:
        groups = [("all pairs", ok, WITHIN_COLOR)]
    for name, mask, color in groups:
        if not mask.any():
            continue
        med = float(np.median(values[mask]))
        counts = np.histogram(values[mask], bins=edges)[0]
        record_panel(fig, pd.DataFrame({"bin_low": edges[:-1], "bin_high": edges[1:], "pairs": counts,
                                        "median": med}), title=name)
        ax.hist(values[mask], bins=edges, color=color, alpha=0.55, edgecolor="white", linewidth=0.3,
                label=f"{name} ({mask.sum():,} pairs, median {med:.2f})")
        ax.axvline(med, color=color, linestyle="--", linewidth=1.2)
    ax.axvline(0.0, color="0.3", linewidth=0.6)
    ax.set_xlabel(f"correlation coefficient ({value}) between two tasks across models")
    ax.set_ylabel("number of task pairs")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Above the axes: inside, the legend covers the r = 0 line and the left tail of the histogram.
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, borderaxespad=0.2)
    fig.tight_layout()
    return fig


def _resolve_order(corr: pd.DataFrame, order) -> list[str]:
    if order is None:
        return list(corr.index)
    order = list(order)
    # integers are positions, unless they are the matrix's own labels (integer task ids)
    if all(isinstance(o, (int, np.integer)) for o in order) and not set(order) <= set(corr.index):
        order = [corr.index[i] for i in order]
    missing = set(order) ^ set(corr.index)
    if missing:
        raise EvalcorrError(f"order: must hold every task of the matrix exactly once; "
                            f"differs on {sorted(map(str, missing))[:5]}. Pass clustering.cluster_order(corr).")
    return order


def _group_table(families, tasks: Sequence[str], bar_columns: Sequence[str]) -> pd.DataFrame:
    """Task -> group label per colour-bar column, indexed by task in the given order."""
    if isinstance(families, pd.Series):
        table = families.rename("family").to_frame()
    elif isinstance(families, Mapping):
        table = pd.Series(dict(families), name="family").to_frame()
    elif isinstance(families, pd.DataFrame):
        if "task" not in families.columns:
            raise EvalcorrError("families: the table needs a `task` column (the families table "
                                "from evalcorr.load_families).")
        table = families.drop_duplicates("task").set_index("task")
    else:
        raise EvalcorrError("families: pass the families table (DataFrame with task, family, display) "
                            "or a mapping task -> family.")
    missing = [t for t in tasks if t not in table.index]
    if missing:
        raise EvalcorrError(f"families: no family for task(s) {missing[:5]}; "
                            "check data/families.csv covers every task of the matrix.")
    for col in bar_columns:
        if col not in table.columns:
            raise EvalcorrError(f"bar_columns: {col!r} is not a column of the families table.")
    return table.loc[list(tasks)]


def _palette_labels(families, bar_columns: Sequence[str]) -> set[str]:
    """Every group label of the families table, so that a family keeps its colour in every figure
    drawn from the same table, whichever tasks a matrix holds."""
    if isinstance(families, pd.DataFrame):
        values = families[[c for c in bar_columns if c in families.columns]].to_numpy().ravel()
    elif isinstance(families, pd.Series):
        values = families.to_numpy()
    else:
        values = list(dict(families).values())
    return {v for v in values if isinstance(v, str) and v}


def clustered_heatmap(corr: pd.DataFrame, families, order=None, *, title: str | None = None,
                      bar_columns: Sequence[str] = ("family",), limit: float = 1.0,
                      label: str = "Pearson r", fontsize: float = 5.5,
                      figsize: tuple[float, float] | None = None,
                      colors: Mapping[str, str] | None = None) -> Figure:
    """A (clustered) correlation matrix with family colour bars, a family legend and a colour bar.

    Parameters
    ----------
    corr : DataFrame
        Square task x task matrix (same labels on both axes), e.g. from ``correlation_matrix`` or
        ``partial_correlation_matrix``.
    families : DataFrame, Series or mapping
        The families table (task, family, subfamily, display) or a mapping task -> family.
    order : sequence, optional
        Task order (ids or positions), e.g. from ``clustering.cluster_order``; default: as given.
    title : str, optional
        Figure title.
    bar_columns : sequence of str
        Columns of the families table drawn as colour bars (e.g. ``("family", "subfamily")``);
        empty labels in a column are left white.
    limit : float
        The colour scale spans [-limit, limit], centred at 0.
    label : str
        Colour-bar label.
    fontsize : float
        Tick-label size (5.5 fits 45 tasks at page width).
    figsize : (float, float), optional
        Default: page width x 7.5 in.
    colors : mapping, optional
        Colours for some group labels, overriding the house palette (e.g. to set a subgroup bar
        apart from the families).

    Returns
    -------
    Figure
    """
    use_house_style()
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise EvalcorrError("corr: expected a square matrix with the same task labels on rows and columns.")
    tasks = _resolve_order(corr, order)
    matrix = corr.loc[tasks, tasks].to_numpy(dtype=float)
    groups = _group_table(families, tasks, bar_columns)
    names = _display_map(families if isinstance(families, pd.DataFrame) else None, tasks)
    k = len(tasks)

    width, height = figsize or (PAGE_WIDTH, 7.5)
    fig = new_figure(figsize=(width, height))

    nbars = len(bar_columns)
    bar = 0.018  # width of one colour bar (figure fraction)
    left, bottom, size = 0.20, 0.20, 0.62
    heat = fig.add_axes((left + nbars * bar, bottom, size, size * width / height), label="heatmap")
    norm = diverging_norm(limit)
    image = heat.imshow(matrix, cmap=DIVERGING_CMAP, norm=norm, interpolation="nearest", aspect="auto")
    heat.tick_params(length=1.5, pad=1)   # before the ticks are made: each is made with this length and pad
    heat.set_xticks(range(k), [names[t] for t in tasks], rotation=90, fontsize=fontsize)
    heat.set_yticks([])
    for side in heat.spines.values():
        side.set_visible(False)
    pos = heat.get_position()

    # One colour per group label across all bars; white where a task has no label (e.g. no subfamily).
    labels_by_bar = [[v if isinstance(v, str) and v else "" for v in groups[col]] for col in bar_columns]
    present = sorted({v for labels in labels_by_bar for v in labels} - {""})
    colour_of = family_colors(_palette_labels(families, bar_columns) | set(present)) | dict(colors or {})
    palette = ListedColormap(["#FFFFFF"] + [colour_of[v] for v in present])
    cells = matrix_cells(pd.DataFrame(matrix, index=tasks, columns=tasks), value=label, row="task_a", column="task_b")
    record_panel(fig, cells, title=title, tasks=[str(t) for t in tasks], names=[str(names[t]) for t in tasks],
                 groups={col: labels for col, labels in zip(bar_columns, labels_by_bar)},
                 colors={v: colour_of[v] for v in present}, limit=float(limit), label=label)
    code_of = {v: i + 1 for i, v in enumerate(present)}
    for j, labels in enumerate(labels_by_bar):
        codes = np.array([code_of.get(v, 0) for v in labels])
        # Row bars left of the matrix (the first column outermost), column bars above it.
        row_ax = fig.add_axes((pos.x0 - (nbars - j) * bar, pos.y0, bar * 0.9, pos.height),
                              label=f"rowbar-{bar_columns[j]}")
        col_ax = fig.add_axes((pos.x0, pos.y1 + (nbars - 1 - j) * bar + 0.004, pos.width, bar * 0.9),
                              label=f"colbar-{bar_columns[j]}")
        row_ax.imshow(codes[:, None], cmap=palette, vmin=0, vmax=len(present), aspect="auto",
                      interpolation="nearest")
        col_ax.imshow(codes[None, :], cmap=palette, vmin=0, vmax=len(present), aspect="auto",
                      interpolation="nearest")
        for a in (row_ax, col_ax):
            a.set_xticks([])
            a.set_yticks([])
            for side in a.spines.values():
                side.set_visible(False)
        if j == 0:
            row_ax.tick_params(length=1.5, pad=1)
            row_ax.set_yticks(range(k), [names[t] for t in tasks], fontsize=fontsize)

    cax = fig.add_axes((pos.x1 + 0.02, pos.y0 + pos.height * 0.45, 0.018, pos.height * 0.55),
                       label="colorbar")
    cbar = fig.colorbar(image, cax=cax)
    cbar.set_label(label, fontsize=7)
    cbar.ax.tick_params(labelsize=6)
    handles = [Patch(facecolor=colour_of[v], label=v) for v in present]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(pos.x1 + 0.01, pos.y0 + pos.height * 0.40),
               frameon=False, fontsize=6, title=" / ".join(bar_columns), title_fontsize=6.5,
               handlelength=1.0, borderaxespad=0.0, alignment="left")
    if title:
        fig.suptitle(title, x=(pos.x0 + pos.x1) / 2, y=min(0.99, pos.y1 + nbars * bar + 0.04), fontsize=9)
    return fig
