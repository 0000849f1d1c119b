"""Verdicts in sentences and tables: which model transfers more, the claims and their intervals."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evalcorr.stats.transfer_cells import SCALE_NAMES
from evalcorr.text.lists import join_and
from evalcorr.text.numbers import with_interval


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


def headline_rows(head: pd.DataFrame, models: Mapping[str, str]) -> pd.DataFrame:
    """The headline table as the chapter shows it: one row per scale, each mean with its 95% interval.

    Percentage points are printed in points, the other scales as they are.
    """
    rows = []
    for r in head.itertuples():
        scale = 100 if r.view == "pp" else 1
        fmt = "+.1f" if r.view == "pp" else "+.2f"
        rows.append({"scale": SCALE_NAMES.get(r.view, r.view),
                     models[r.model_a]: with_interval(r.mean_a, r.low_a, r.high_a, fmt, scale),
                     models[r.model_b]: with_interval(r.mean_b, r.low_b, r.high_b, fmt, scale),
                     f"{models[r.model_a]} minus {models[r.model_b]}":
                         with_interval(r.difference, r.difference_low, r.difference_high, fmt, scale),
                     "medians": f"{scale * r.median_a:{fmt}} / {scale * r.median_b:{fmt}}",
                     "more transfer": models.get(r.favours, r.favours)})
    return pd.DataFrame(rows)


def claim_rows(table: pd.DataFrame, models: Mapping[str, str]) -> pd.DataFrame:
    """The claims table as the chapter shows it: the claim with its model (and its scale when the
    table holds several), the numbers, and both readings.

    The model goes into the claim's cell, so that the PDF's narrow columns are not a column of
    single words.
    """
    model = table["model"].map({**models, "both": "Babbage vs Davinci"})
    if table["metric"].nunique() > 1:
        model = model + ", " + table["metric"].map(lambda m: SCALE_NAMES.get(m, m))
    return pd.DataFrame({"claim (model)": table["claim"] + " (" + model + ")",
                         "numbers (95% intervals)": table["numbers"],
                         "point estimates": table["holds"].map({True: "holds", False: "does not hold"}),
                         "verdict": table["verdict"]})
