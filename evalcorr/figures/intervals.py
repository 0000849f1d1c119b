"""How sure each coefficient is: every pair's correlation with its confidence interval, in one picture.

:func:`interval_caterpillar` takes a pairs table with intervals (e.g. ``correlation_pairs(wide,
n_boot=1000)``) and draws the pairs sorted by r, each with its interval as a band, so a reader sees at
once how many intervals clear zero and how wide they are. Nothing here computes an interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalcorr.errors import EvalcorrError
from evalcorr.figures.correlation import BETWEEN_COLOR, WITHIN_COLOR, _has_families, _within_mask
from evalcorr.figures.style import PAGE_WIDTH, record_panel, subplots, use_house_style

BAND_COLOR = "#9E9E9E"


def interval_caterpillar(pairs: pd.DataFrame, *, label: str = "95% bootstrap interval", ax=None) -> Figure:
    """Every pair's r (sorted) with its interval as a grey band; within-family pairs marked when known.

    Parameters
    ----------
    pairs : DataFrame
        Tidy pairs table with ``r``, ``ci_low``, ``ci_high`` (and ``same_family`` or the family
        columns to mark within-family pairs). Pairs with a NaN r are left out.
    label : str
        Legend label of the band (say which interval it is).
    ax : Axes, optional

    Returns
    -------
    Figure
    """
    use_house_style()
    missing = [c for c in ("r", "ci_low", "ci_high") if c not in pairs.columns]
    if missing:
        raise EvalcorrError(f"pairs: missing column(s) {missing}; pass correlation_pairs(...) with intervals")
    r = pairs["r"].to_numpy(dtype=float, na_value=np.nan)
    keep = np.isfinite(r)
    if not keep.any():
        raise EvalcorrError("pairs: no pair has a finite r to draw")
    order = np.flatnonzero(keep)[np.argsort(r[keep], kind="stable")]
    x = np.arange(1, len(order) + 1)
    low = pairs["ci_low"].to_numpy(dtype=float, na_value=np.nan)[order]
    high = pairs["ci_high"].to_numpy(dtype=float, na_value=np.nan)[order]
    if ax is None:
        fig, ax = subplots(figsize=(PAGE_WIDTH, 3.0))
    fig = ax.figure
    record_panel(fig, pairs.iloc[order][[c for c in ("task_a", "task_b", "r", "ci_low", "ci_high") if c in pairs]])
    many = len(order) > 1000   # thousands of pairs: draw the band and dots as an image inside the SVG
    ax.fill_between(x, low, high, color=BAND_COLOR, alpha=0.45, linewidth=0, step="mid", label=label,
                    rasterized=many)
    ax.plot(x, r[order], color="black", linewidth=0.8, label="r", zorder=2)
    if _has_families(pairs):
        within = _within_mask(pairs)[order]
        size = float(np.clip(600 / len(order), 2, 14))
        ax.scatter(x[within], r[order][within], s=size, color=WITHIN_COLOR, zorder=3, linewidths=0,
                   label="pair within a family", rasterized=many)
        ax.scatter(x[~within], r[order][~within], s=size, color=BETWEEN_COLOR, zorder=3, linewidths=0,
                   label="pair across families", rasterized=many)
    ax.axhline(0.0, color="0.3", linewidth=0.6)
    ax.set_xlim(0.5, len(order) + 0.5)
    ax.set_xlabel("pairs of tasks, sorted by r")
    ax.set_ylabel("correlation across models")
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, borderaxespad=0.2)
    fig.tight_layout()
    return fig
