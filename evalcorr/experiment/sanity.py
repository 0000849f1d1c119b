"""The experiment's own acceptance checks, computed from its tidy tables before any result is read.

- every task (but the shuffled control) reaches ``OWN_TASK_BAR`` after training on it, at the
  largest size (recorded at every size);
- the copy control transfers: after A, then a few of the copy, the copy scores within
  ``COPY_TOLERANCE`` of A then a few of A itself (both directions);
- the shuffled control does not help: its mean improvement over the few-B baseline stays below
  ``HALF_WIDTH_TARGET`` on every other task;
- the 95 % interval of each cell's mean improvement (bootstrap over seeds and items, paired) has
  a half-width of at most ``HALF_WIDTH_TARGET``; cells that miss it are listed, not hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OWN_TASK_BAR = 0.90
COPY_TOLERANCE = 0.03
HALF_WIDTH_TARGET = 0.03


def _cell_means(transfer: pd.DataFrame, stage: str) -> pd.Series:
    rows = transfer[transfer["stage"] == stage]
    return rows.groupby(["model", "train_task", "eval_task"])["value"].mean()


def improvement_intervals(outcomes: dict[tuple, np.ndarray], baseline: dict[tuple, np.ndarray],
                          n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Mean pp improvement per cell with a 95 % bootstrap interval over seeds and items.

    ``outcomes[(model, A, B)]`` and ``baseline[(model, B)]`` are [seeds, items] 0/1 arrays (seed ``s``
    of both uses the same few examples of B, so differences are paired). Each bootstrap draw
    resamples seeds and items with replacement, the same draw for both stages.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for (model, a, b), after in outcomes.items():
        diff = after.astype(float) - baseline[(model, b)].astype(float)   # [seeds, items]
        n_seeds, n_items = diff.shape
        seed_w = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), n_boot) / n_seeds
        item_w = rng.multinomial(n_items, np.full(n_items, 1 / n_items), n_boot) / n_items
        boot = np.einsum("bs,si,bi->b", seed_w, diff, item_w)
        low, high = np.percentile(boot, [2.5, 97.5])
        rows.append({"model": model, "train_task": a, "eval_task": b, "mean_pp": diff.mean(),
                     "low": low, "high": high, "half_width": (high - low) / 2})
    return pd.DataFrame(rows)


def sanity_checks(transfer: pd.DataFrame, intervals: pd.DataFrame, tasks: pd.DataFrame,
                  largest: str) -> pd.DataFrame:
    """One row per check and subject: ``value``, ``threshold``, ``passed``, ``required`` (largest size)."""
    after_a = _cell_means(transfer, "after_A")
    then_b = _cell_means(transfer, "after_A_then_B")
    control = tasks.set_index("task")["control"]
    control_of = tasks.set_index("task")["control_of"]
    rows = []

    def add(model, check, subject, value, threshold, passed):
        rows.append({"model": model, "check": check, "subject": subject, "value": float(value),
                     "threshold": float(threshold), "passed": bool(passed), "required": model == largest})

    for model in sorted(transfer["model"].unique()):
        for task in control.index:
            if control[task] == "shuffled":
                continue
            value = after_a[(model, task, task)]
            add(model, "own_task_after_A", task, value, OWN_TASK_BAR, value >= OWN_TASK_BAR)
        for copy in control.index[control == "copy"]:
            original = control_of[copy]
            for a, b in ((original, copy), (copy, original)):
                reference = then_b[(model, a, a)]
                value = then_b[(model, a, b)]
                add(model, "copy_transfers", f"{a}->{b}", value, reference - COPY_TOLERANCE,
                    value >= reference - COPY_TOLERANCE)
        cells = intervals[intervals["model"] == model]
        for shuffled in control.index[control == "shuffled"]:
            rows_s = cells[(cells["train_task"] == shuffled) & (cells["eval_task"] != shuffled)]
            for _, r in rows_s.iterrows():
                add(model, "shuffled_does_not_help", f"{shuffled}->{r['eval_task']}", r["mean_pp"],
                    HALF_WIDTH_TARGET, r["mean_pp"] < HALF_WIDTH_TARGET)
        for _, r in cells.iterrows():
            add(model, "interval_half_width", f"{r['train_task']}->{r['eval_task']}", r["half_width"],
                HALF_WIDTH_TARGET, r["half_width"] <= HALF_WIDTH_TARGET)
    return pd.DataFrame(rows)


def summary(checks: pd.DataFrame) -> pd.DataFrame:
    """Per model and check: subjects checked, subjects passed, and the worst value."""
    higher_is_worse = {"shuffled_does_not_help", "interval_half_width"}
    rows = []
    for (model, check), group in checks.groupby(["model", "check"], sort=False):
        worst = group["value"].max() if check in higher_is_worse else group["value"].min()
        rows.append({"model": model, "check": check, "n": len(group), "passed": int(group["passed"].sum()),
                     "worst": worst, "required": bool(group["required"].iloc[0])})
    return pd.DataFrame(rows)
