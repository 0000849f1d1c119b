"""Synthetic transfer-scaling frames: accuracies, baselines and item counts as the parser gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd

TASKS = ["addition", "subtraction", "spanish", "division", "math_expressions", "multiplication_2x1",
         "faith", "science"]


def transfer_scaling_frame(after: dict[str, np.ndarray], baseline: dict[str, np.ndarray], n_items: int = 200):
    """A tidy frame with after_A (= after), after_A_then_B, B_only, and pp / relative sheets (rounded
    to 2 decimals, as released) for each model; ``after[m]`` is k x k, ``baseline[m]`` has k values."""
    rows = []
    for model in after:
        a, b = np.asarray(after[model], float), np.asarray(baseline[model], float)
        for j, target in enumerate(TASKS[:len(b)]):
            rows.append(dict(model=model, train_task=target, eval_task=target, stage="B_only",
                             metric="accuracy", value=b[j]))
            for i, train in enumerate(TASKS[:len(b)]):
                common = dict(model=model, train_task=train, eval_task=target)
                rows += [dict(common, stage="after_A", metric="accuracy", value=a[i, j]),
                         dict(common, stage="after_A_then_B", metric="accuracy", value=a[i, j]),
                         dict(common, stage="pp_improvement", metric="pp", value=round(a[i, j] - b[j], 2))]
                if i != j:
                    rows.append(dict(common, stage="relative_improvement", metric="relative",
                                     value=a[i, j] / b[j] - 1))
    out = pd.DataFrame(rows).assign(source="transfer-scaling", setting="default")
    out["n_items"] = pd.array([n_items] * len(out), dtype="Int64")
    return out
