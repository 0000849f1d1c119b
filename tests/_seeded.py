"""Synthetic seeded transfer experiments with planted structure: item outcomes and their tidy rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.data.item_outcomes import ItemOutcomes


def planted_outcomes(models, tasks, n_seeds: int, n_items: int, after, baseline, *, raw=None, seed: int = 0,
                     seed_sd: float = 0.0, item_sd: float = 0.0) -> ItemOutcomes:
    """Item outcomes drawn from planted accuracies.

    ``after(m, a, b)`` and ``baseline(m, b)`` give the accuracy of a cell (``raw`` defaults to
    ``after``); each seed shifts every accuracy of one model by N(0, seed_sd) on the logit scale and
    each item of a task by N(0, item_sd) (an item effect shared by every run, as in the experiment).
    """
    rng = np.random.default_rng(seed)
    raw = raw or after
    item_effect = {b: rng.normal(0, item_sd, n_items) for b in tasks}
    rows, correct = [], []

    def draw(p, shift, b):
        logit = np.log(p / (1 - p)) + shift + item_effect[b]
        return rng.random(n_items) < 1 / (1 + np.exp(-logit))

    for m in models:
        for s in range(n_seeds):
            shift = rng.normal(0, seed_sd)
            for b in tasks:
                rows.append((m, "B_only", b, b, s, n_items))
                correct.append(draw(baseline(m, b), shift, b))
                rows.append((m, "untuned", "", b, s, n_items))
                correct.append(draw(0.01, shift, b))
                for a in tasks:
                    rows.append((m, "after_A", a, b, s, n_items))
                    correct.append(draw(raw(m, a, b), shift, b))
                    rows.append((m, "after_A_then_B", a, b, s, n_items))
                    correct.append(draw(after(m, a, b), shift, b))
    runs = pd.DataFrame(rows, columns=["model", "stage", "train_task", "eval_task", "seed", "n_items"])
    return ItemOutcomes(runs, np.array(correct))


def tidy_rows(outcomes: ItemOutcomes, source: str = "controlled-transfer") -> pd.DataFrame:
    """The tidy transfer rows the item outcomes add up to (seeds kept)."""
    runs = outcomes.runs
    return runs.assign(source=source, setting="default", metric="accuracy",
                       value=outcomes.correct.sum(axis=1) / runs["n_items"],
                       n_items=runs["n_items"].astype("Int64"), seed=runs["seed"].astype("Int64"))
