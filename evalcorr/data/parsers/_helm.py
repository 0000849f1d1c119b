"""HELM leaderboards in Every Eval Ever records -> tidy scores (shared by helm-mmlu/-lite/-classic).

Only the main accuracy-tab result of each scenario is kept (``tab == "Accuracy"``); the
efficiency, general-information (token counts, # eval, truncated), calibration, robustness,
fairness, bias and toxicity rows are not scores of the scenario and are dropped, as is the
"Mean win rate" (a rank among the models of the release, not a score). HELM writes -1 where a
model was not run on a scenario; those results are missing, not scores, and are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evalcorr.data.eee import read_eee
from evalcorr.errors import DataError

MISSING = -1.0


def helm_scores(path: Path, source_id: str, snapshot: str,
                task_of: Callable[[pd.Series], str | None]) -> pd.DataFrame:
    """Main-metric rows of a HELM EEE file as ``model, task, metric, score, scale, snapshot``.

    ``task_of`` maps one result row to its task id, or None for a row to drop; the metric is the
    part of ``evaluation_name`` after " - ", lower-cased with spaces, dashes and brackets as "_".
    """
    results = read_eee(path)
    main = results[(results["tab"] == "Accuracy") & (results["evaluation_name"] != "Mean win rate")]
    if main.empty:
        raise DataError(f"{path}: no accuracy-tab results; is this a HELM Every Eval Ever file?")
    tasks = main.apply(task_of, axis=1)
    main = main.assign(task=tasks).dropna(subset=["task"])
    main = main[main["score"] != MISSING]
    metric = (main["evaluation_name"].str.rsplit(" - ", n=1).str[-1].str.lower()
              .str.replace(r"[()]", "", regex=True).str.replace(r"[\s\-]+", "_", regex=True))
    return pd.DataFrame({
        "model": main["model_id"], "task": main["task"], "metric": metric,
        "score": main["score"], "scale": "fraction", "snapshot": snapshot,
    }).reset_index(drop=True)


def by_name(names: dict[str, str], path: Path) -> Callable[[pd.Series], str]:
    """A ``task_of`` that maps the scenario part of ``evaluation_name`` through ``names``."""

    def task_of(row: pd.Series) -> str:
        scenario = row["evaluation_name"].rsplit(" - ", 1)[0]
        try:
            return names[scenario]
        except KeyError:
            raise DataError(f"{path}: unknown HELM scenario {scenario!r} (in {row['evaluation_name']!r}); "
                            "add it to the parser's scenario table") from None

    return task_of
