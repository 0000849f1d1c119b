"""Verdicts in sentences: which model transfers more, read from a table of intervals."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evalcorr.stats.transfer_cells import SCALE_NAMES
from evalcorr.text.lists import join_and


def headline_sentence(head: pd.DataFrame, models: Mapping[str, str]) -> str:
    """Which model transfers more, chosen from :func:`evalcorr.stats.transfer_cells.headline_table`.

    A model is named only on the scales where the 95% interval of the difference excludes 0
    (column ``favours``); when the scales favour different models, or some favour one and the
    others are within noise, the sentence says that the answer depends on the metric.

    Parameters
    ----------
    head : DataFrame
        The headline table (columns ``view`` and ``favours``).
    models : mapping
        Model id -> display name.
    """
    by: dict[str, list[str]] = {}
    for view, favours in head[["view", "favours"]].itertuples(index=False):
        by.setdefault(models.get(favours, favours), []).append(SCALE_NAMES.get(view, view))
    noise = by.pop("within noise", [])
    if not by:
        return ("Neither model transfers more beyond noise: on every scale the 95% interval of the "
                "difference includes 0.")
    if len(by) > 1:
        parts = "; ".join(f"{name} on {join_and(scales)}" for name, scales in by.items())
        tail = f"; within noise on {join_and(noise)}" if noise else ""
        return f"Which model transfers more depends on the metric: {parts}{tail}."
    (winner, scales), = by.items()
    if not noise:
        return f"{winner} transfers more on every scale, beyond noise."
    return (f"Which model transfers more depends on the metric: {winner} transfers more in "
            f"{join_and(scales)}, and on {join_and(noise)} the difference is within noise.")
