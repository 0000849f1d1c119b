"""Write a synthetic leaderboard for `make bench`: models x tasks scores with a planted structure.

    python bench/synthetic_table.py OUT.csv [--models 1000] [--tasks 100] [--families 4]

Scores are fractions: a logistic of a general factor, one factor per family and noise. Missing scores
are laid out as on real leaderboards: one model in ten was not run on one of the families, and 0.2% of
the other cells are missing (failed runs). A families file (task,family) is written beside the table as OUT-families.csv.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_table(n_models: int, n_tasks: int, n_families: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    general = rng.normal(size=(n_models, 1))
    family = np.arange(n_tasks) % n_families
    specific = rng.normal(size=(n_models, n_families))[:, family]
    logits = 0.9 * general + 0.7 * specific + 0.6 * rng.normal(size=(n_models, n_tasks)) - 0.5
    scores = 1 / (1 + np.exp(-logits))
    skipped = rng.integers(0, n_families, size=n_models)
    not_run = (rng.random(n_models) < 0.1)[:, None] & (family[None, :] == skipped[:, None])
    scores[not_run | (rng.random(scores.shape) < 0.002)] = np.nan
    tasks = [f"family{f}_task{j:03d}" for j, f in enumerate(family)]
    wide = pd.DataFrame(scores.round(4), columns=tasks,
                        index=pd.Index([f"org/model-{i:04d}" for i in range(n_models)], name="model"))
    families = pd.DataFrame({"task": tasks, "family": [f"family{f}" for f in family]})
    return wide, families


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--families", type=int, default=4)
    args = parser.parse_args()
    wide, families = synthetic_table(args.models, args.tasks, args.families)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    wide.to_csv(args.out)
    families.to_csv(args.out.with_name(args.out.stem + "-families.csv"), index=False)


if __name__ == "__main__":
    main()
