"""Pictures of how far the report's methods recover a known task structure (the controlled population).

Every function takes what :mod:`evalcorr.stats.recovery` and :mod:`evalcorr.stats.method_recovery`
computed, draws it, records the numbers it draws (the figure's data download) and returns the figure.

- :func:`recovery_plot`: each method's recovery score with its interval, beside the chance level;
- :func:`block_plot`: mean correlation by kind of task pair, per mixture regime;
- :func:`coverage_plot`: how often naive and lineage-aware intervals cover the truth;
- :func:`scores_by_steps`: each task's score against fine-tuning steps, by model size.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import PAGE_WIDTH, QUALITATIVE, record_panel, subplots, use_house_style

NULL_COLOR = "#9E9E9E"


def _require(frame: pd.DataFrame, columns, argument: str, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EvalcorrError(f"{argument}: missing column(s) {missing}; pass {source}")


def recovery_plot(tables: Mapping[str, pd.DataFrame], *, title: str | None = None) -> Figure:
    """Each method's recovery score (dot and interval) per regime, with the chance level of each.

    Parameters
    ----------
    tables : mapping
        regime -> :func:`evalcorr.stats.method_recovery.recovery_table` (method, score, estimate,
        ci_low, ci_high, null_mean, null_q95).
    title : str, optional

    Returns
    -------
    Figure: one panel per score (pair AUC, cluster ARI, factor congruence); in each, one row per method,
    a dot per regime with its 95% interval, a grey tick at the chance mean and a grey bar up to the
    95th percentile of chance.
    """
    use_house_style()
    if not tables:
        raise EvalcorrError("tables: give at least one regime's recovery table")
    for table in tables.values():
        _require(table, ["method", "score", "estimate", "ci_low", "ci_high", "null_mean", "null_q95"], "tables",
                 "evalcorr.stats.method_recovery.recovery_table(...) per regime")
    first = next(iter(tables.values()))
    scores = list(pd.unique(first["score"]))
    heights = [first["score"].eq(s).sum() for s in scores]
    fig, axes = subplots(len(scores), 1, figsize=(PAGE_WIDTH, 0.24 * sum(heights) + 0.9 * len(scores)),
                         squeeze=False, gridspec_kw={"height_ratios": heights})
    colours = {regime: QUALITATIVE[i] for i, regime in enumerate(tables)}
    offsets = np.linspace(-0.15, 0.15, len(tables)) if len(tables) > 1 else [0.0]
    for ax, score in zip(axes[:, 0], scores):
        methods = list(first.loc[first["score"] == score, "method"])
        y = np.arange(len(methods))[::-1]
        for (regime, table), dy in zip(tables.items(), offsets):
            rows = table[table["score"] == score].set_index("method").loc[methods]
            ax.hlines(y + dy, rows["null_mean"], rows["null_q95"], color=NULL_COLOR, linewidth=3, alpha=0.5)
            ax.plot(rows["null_mean"], y + dy, "|", color=NULL_COLOR, markersize=7)
            ax.errorbar(rows["estimate"], y + dy, xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                        fmt="o", color=colours[regime], markersize=4, elinewidth=1, capsize=2)
            record_panel(fig, rows.reset_index()[["method", "estimate", "ci_low", "ci_high", "null_mean", "null_q95"]]
                         .assign(score=score, regime=regime), key=(score, regime))
        ax.set_yticks(y, methods, fontsize=7.5)
        ax.set_title(score, loc="left", fontsize=9)
        ax.set_ylim(-0.6, len(methods) - 0.4)
        ax.axvline(1.0, color="0.7", linewidth=0.6)
    handles = [Line2D([], [], marker="o", linestyle="", color=c, label=r) for r, c in colours.items()]
    handles.append(Line2D([], [], color=NULL_COLOR, linewidth=3, alpha=0.5, label="chance: mean to 95th percentile"))
    axes[0, 0].legend(handles=handles, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.12), ncol=3,
                      fontsize=7.5, borderaxespad=0.0)
    axes[-1, 0].set_xlabel("recovery score (95% interval: base models resampled)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def block_plot(blocks: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Mean correlation by kind of task pair, per regime (colour) and control (panel).

    ``blocks`` is :func:`evalcorr.stats.method_recovery.block_by_regime` (regime, control, category,
    estimate, ci_low, ci_high); the ``surface block`` rows are drawn as their own group at the right.
    """
    use_house_style()
    _require(blocks, ["regime", "control", "category", "estimate", "ci_low", "ci_high"], "blocks",
             "evalcorr.stats.method_recovery.block_by_regime(...)")
    controls = list(pd.unique(blocks["control"]))
    regimes = list(pd.unique(blocks["regime"]))
    categories = list(pd.unique(blocks["category"]))
    fig, axes = subplots(1, len(controls), figsize=(PAGE_WIDTH, 3.0), squeeze=False, sharey=True)
    colours = {regime: QUALITATIVE[i] for i, regime in enumerate(regimes)}
    offsets = np.linspace(-0.12, 0.12, len(regimes)) if len(regimes) > 1 else [0.0]
    for ax, control in zip(axes[0], controls):
        part = blocks[blocks["control"] == control]
        for regime, dx in zip(regimes, offsets):
            rows = part[part["regime"] == regime].set_index("category").loc[categories]
            x = np.arange(len(categories)) + dx
            ax.errorbar(x, rows["estimate"], yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                        fmt="o", color=colours[regime], markersize=4, elinewidth=1, capsize=2, label=regime)
        record_panel(fig, part.reset_index(drop=True), key=control, title=f"control: {control}")
        ax.axhline(0.0, color="0.3", linewidth=0.6)
        ax.axvline(len(categories) - 1.5, color="0.8", linewidth=0.6)
        ax.set_xticks(range(len(categories)), [c.replace(" ", "\n", 1) for c in categories], fontsize=7)
        ax.set_title("no control" if control == "none" else f"partial, control: {control}", fontsize=9)
    axes[0, 0].set_ylabel("mean r over the pairs (95% interval)")
    axes[0, 0].legend(frameon=False, fontsize=7.5, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def coverage_plot(summaries: Mapping[str, pd.DataFrame], *, title: str | None = None) -> Figure:
    """How often each kind of interval covers the truth, per regime, against the nominal level.

    ``summaries``: regime -> :func:`evalcorr.stats.recovery.coverage_summary` (grouping, coverage,
    ci_low, ci_high, nominal, attainable, median_width). A short black line on each bar marks the
    attainable coverage (what a correct interval of that width reaches against the estimated truth).
    """
    use_house_style()
    for table in summaries.values():
        _require(table, ["grouping", "coverage", "ci_low", "ci_high", "nominal", "attainable", "median_width"], "summaries",
                 "evalcorr.stats.recovery.coverage_summary(...) per regime")
    fig, axes = subplots(1, 2, figsize=(PAGE_WIDTH, 2.6))
    groupings = list(pd.unique(next(iter(summaries.values()))["grouping"]))
    colours = {g: QUALITATIVE[i] for i, g in enumerate(groupings)}
    width = 0.8 / len(groupings)
    for i, (regime, table) in enumerate(summaries.items()):
        rows = table.set_index("grouping").loc[groupings]
        for j, grouping in enumerate(groupings):
            x = i + (j - (len(groupings) - 1) / 2) * width
            r = rows.loc[grouping]
            axes[0].bar(x, r["coverage"], width=width * 0.9, color=colours[grouping], label=grouping if i == 0 else None)
            axes[0].errorbar(x, r["coverage"], yerr=[[r["coverage"] - r["ci_low"]], [r["ci_high"] - r["coverage"]]],
                             color="black", elinewidth=0.8, capsize=2)
            axes[0].hlines(r["attainable"], x - width * 0.45, x + width * 0.45, color="black", linewidth=1.6,
                           label="attainable" if i == 0 and j == 0 else None)
            axes[1].bar(x, r["median_width"], width=width * 0.9, color=colours[grouping])
        record_panel(fig, table.assign(regime=regime), key=regime)
    nominal = float(next(iter(summaries.values()))["nominal"].iloc[0])
    axes[0].axhline(nominal, color="0.3", linewidth=0.8, linestyle="--")
    axes[0].text(len(summaries) - 0.5, nominal, f" nominal {nominal:.0%}", va="bottom", ha="right", fontsize=7)
    axes[0].set_ylim(0, 1.05)
    axes[0].set_ylabel("share of intervals\ncovering the truth")
    axes[1].set_ylabel("median interval width")
    for ax in axes:
        ax.set_xticks(range(len(summaries)), list(summaries))
    fig.legend(*axes[0].get_legend_handles_labels(), frameon=False, fontsize=7.5, loc="upper center", ncol=3,
               borderaxespad=0.2)
    if title:
        fig.suptitle(title, y=0.93)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))   # room for the legend above the panels
    return fig


def scores_by_steps(wide: pd.DataFrame, models: pd.DataFrame, *, steps: str = "steps", hue: str = "size",
                    ncols: int = 4, labels: Mapping[str, str] | None = None, seed: int = 0) -> Figure:
    """One panel per task: each model's score against its fine-tuning steps, models of each size side by
    side (a small horizontal jitter separates the points; drawing only).

    ``models`` is indexed by model with columns ``steps`` and ``hue`` (and ``params``, which orders the
    sizes); ``labels`` maps task ids to display names.
    """
    use_house_style()
    _require(models, [steps, hue], "models", "the population's models table indexed by model")
    tasks = list(wide.columns)
    nrows = -(-len(tasks) // ncols)
    fig, axes = subplots(nrows, ncols, figsize=(PAGE_WIDTH, 1.75 * nrows + 0.7), squeeze=False, sharex=True,
                         sharey=True)
    meta = models.loc[wide.index]
    order = list(meta.sort_values("params" if "params" in meta else hue)[hue].unique())
    levels = sorted(meta[steps].unique())
    # an ordered palette: sizes read from small (dark) to large (light)
    colours = {h: matplotlib.colormaps["viridis"](v) for h, v in zip(order, np.linspace(0.05, 0.85, len(order)))}
    shift = {h: (i - (len(order) - 1) / 2) * 0.8 / len(order) for i, h in enumerate(order)}
    jitter = np.random.default_rng(seed).uniform(-0.25, 0.25, len(meta)) * 0.8 / len(order)
    x = meta[steps].map({v: i for i, v in enumerate(levels)}).to_numpy(float) + meta[hue].map(shift).to_numpy() + jitter
    labels = {} if labels is None else dict(labels)
    for ax, task in zip(axes.flat, tasks):
        for h in order:
            mine = (meta[hue] == h).to_numpy()
            ax.scatter(x[mine], wide[task].to_numpy()[mine], s=3, color=colours[h], alpha=0.6, linewidths=0, label=h)
        ax.set_title(labels.get(task, task), fontsize=8)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xticks(range(len(levels)), [str(v) for v in levels], fontsize=6.5)
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    long = wide.stack().rename("score").reset_index()
    long.columns = ["model", "task", "score"]
    record_panel(fig, long.assign(**{steps: long["model"].map(meta[steps]), hue: long["model"].map(meta[hue])}))
    for ax in axes[:, 0]:
        ax.set_ylabel("exact match")
    for ax in axes[-1, :]:
        ax.set_xlabel("fine-tuning steps")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, [f"{hue}: {n}" if i == 0 else n for i, n in enumerate(names)], frameon=False, fontsize=7,
               loc="upper center", ncol=len(order), markerscale=3, borderaxespad=0.2)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.22 / fig.get_figheight()))   # room for the legend above the panels
    return fig
