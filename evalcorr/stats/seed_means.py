"""Seed-averaged cells of a source with several runs per cell, from its tidy rows alone.

:func:`evalcorr.stats.transfer.transfer_matrix` uses this for ``controlled-transfer`` (no item outcomes
needed); :mod:`evalcorr.stats.seeded_transfer` adds the intervals from the item outcomes, with the same
point estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.transfer_cells import ACCURACY_VIEWS, CELL_VIEWS, improvement_value

# the experiment's stage behind each pooled accuracy
STAGES = {"raw": "after_A", "after": "after_A_then_B", "baseline": "B_only", "untuned": "untuned"}


class SeededTransferError(EvalcorrError, ValueError):
    """Item outcomes that do not make a complete experiment, or an argument outside it."""


def seed_mean_cells(df: pd.DataFrame, view: str, model: str, seed: int | None = None) -> pd.DataFrame:
    """One view of every cell from the tidy rows of a seeded source, without item outcomes.

    Accuracies are averaged over the seeds (or taken from one ``seed``); an improvement compares the
    mean accuracy after A then a few of B with the mean few-of-B baseline, with ``n_items`` x seeds
    outcomes behind each mean (the same pooled estimate as :func:`bootstrap`'s point, when every run
    is scored on the same items).

    Returns
    -------
    DataFrame: train_task, eval_task, value, after, baseline, n_seeds.
    """
    if view not in CELL_VIEWS:
        raise SeededTransferError(f"view={view!r}: choose one of {', '.join(CELL_VIEWS)}")
    rows = df[df["model"] == model]
    if rows.empty:
        raise SeededTransferError(f"model={model!r} not found; choose one of {', '.join(pd.unique(df['model']))}")
    if seed is not None:
        rows = rows[rows["seed"] == seed]
        if rows.empty:
            raise SeededTransferError(f"seed={seed!r} not found; the seeds are "
                                      f"{', '.join(map(str, sorted(pd.unique(df['seed'].dropna()))))}")
    key = ["train_task", "eval_task"]

    def mean(stage):
        part = rows[rows["stage"] == stage]
        return part.groupby(key, sort=False).agg(value=("value", "mean"), n_items=("n_items", "first"),
                                                 n_seeds=("seed", "nunique")).reset_index()

    raw, after = mean(ACCURACY_VIEWS["raw"]), mean(ACCURACY_VIEWS["after"])
    baseline = mean(STAGES["baseline"]).drop(columns="train_task").rename(columns={"value": "baseline"})
    cells = (raw if view == "raw" else after).rename(columns={"value": "after" if view != "raw" else "value"})
    if view == "raw":
        return cells.assign(after=np.nan, baseline=np.nan)[key + ["value", "after", "baseline", "n_seeds"]]
    cells = cells.merge(baseline[["eval_task", "baseline"]], on="eval_task", how="left")
    n = cells["n_items"].astype(float) * cells["n_seeds"]
    cells["value"] = cells["after"] if view == "after" else improvement_value(
        view, cells["after"].to_numpy(float), cells["baseline"].to_numpy(float), n.to_numpy())
    return cells[key + ["value", "after", "baseline", "n_seeds"]]
