"""controlled-population: a leaderboard of models trained here, whose task structure is known.

Fine-tunes of the controlled experiment's base models (``python -m evalcorr experiment``, stage
``population``; configuration ``config.yaml``, machine and times ``run.yaml``), each trained on its
own mixture of the made-up tasks and scored on every task's held-out items (exact match; ``n_items``
items, the same items as the transfer experiment's). The ground truth of which tasks share a
primitive is ``tasks.csv`` (read with :func:`evalcorr.load_ground_truth`).

Read from ``scores.csv.gz`` (model, task, n_items, n_correct) and ``models.csv`` (one row per model:
regime, leaderboard, base, size, params, steps, compute, mixture weights ``w_<task>``; the full table
is :func:`evalcorr.load_source_file` with role ``models``). The tidy rows carry: metric
``exact_match``, score = n_correct / n_items (a fraction), snapshot = the configuration's name,
``params_b`` = parameters / 1e9, ``flops_1e21`` = pretraining plus fine-tuning FLOPs / 1e21,
``base_model`` = the base model a fine-tune starts from (its lineage, e.g. ``ct-m/s3``),
``base_family`` = the base's pretraining seed (``seed 3``: bases of one seed share their
pretraining corpus across sizes, as one model family does) and ``model_type`` = ``fine-tune``.

Checked here: the exact columns, every (model, task) once and every model with every task, tasks in
the ground truth, models in ``models.csv`` (and no model there without scores), 0 <= n_correct <=
n_items, mixture weights that sum to 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalcorr.data.ground_truth import read_ground_truth
from evalcorr.data.parsers._common import file_for, finish_scores, read_csv, unique_rows
from evalcorr.errors import DataError

KIND = "scores"
SOURCE = "controlled-population"
SCORES = "controlled-population/scores.csv.gz"
MODELS = "controlled-population/models.csv"
TASKS = "controlled-population/tasks.csv"
CONFIG = "controlled-population/config.yaml"
SCORE_COLUMNS = ["model", "task", "n_items", "n_correct"]
MODEL_COLUMNS = ["model", "regime", "leaderboard", "base", "size", "params", "base_seed", "steps",
                 "finetune_examples", "finetune_flops", "compute_flops", "data_seed"]
REGIMES = ("independent", "co-training")


def _fail(path, line, message: str):
    raise DataError(f"{path}, line {line}: {message}; the population tables are written by the experiment "
                    "as they are: restore the committed file or re-run `make experiment`")


def read_models(path: Path, tasks: list[str]) -> pd.DataFrame:
    """The models table, checked: one row per model, known regimes, weights over ``tasks`` summing to 1."""
    weights = [f"w_{t}" for t in tasks]
    numeric = ["leaderboard", "params", "base_seed", "steps", "finetune_examples", "finetune_flops",
               "compute_flops", "data_seed", *weights]
    models = read_csv(path, MODEL_COLUMNS + weights, expected=MODEL_COLUMNS + weights, numeric=numeric,
                      keep_default_na=False)
    if models["model"].duplicated().any():
        _fail(path, models.index[models["model"].duplicated()][0], "a model is listed twice")
    bad = ~models["regime"].isin(REGIMES)
    if bad.any():
        _fail(path, bad.idxmax(), f"unknown regime {models.loc[bad.idxmax(), 'regime']!r} (known: {REGIMES})")
    total = models[weights].sum(axis=1)
    if not np.allclose(total, 1.0, atol=1e-4) or (models[weights] < 0).any().any():
        _fail(path, (total - 1).abs().idxmax(), "mixture weights must be non-negative and sum to 1")
    return models


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of every model of the population."""
    path = file_for(files, SCORES, SOURCE)
    truth = read_ground_truth(file_for(files, TASKS, SOURCE))
    tasks = truth["task"].tolist()
    scores = read_csv(path, SCORE_COLUMNS, expected=SCORE_COLUMNS, numeric=["n_items", "n_correct"],
                      keep_default_na=False)
    scores = unique_rows(scores, ["model", "task"], path)
    bad = ~scores["task"].isin(tasks)
    if bad.any():
        _fail(path, bad.idxmax(), f"task {scores.loc[bad.idxmax(), 'task']!r} is not in tasks.csv")
    bad = (scores["n_items"] <= 0) | (scores["n_correct"] < 0) | (scores["n_correct"] > scores["n_items"])
    if bad.any():
        _fail(path, bad.idxmax(), "n_correct must lie between 0 and n_items (and n_items above 0)")
    models_path = file_for(files, MODELS, SOURCE)
    models = read_models(models_path, tasks)
    unknown = sorted(set(scores["model"]) - set(models["model"]))
    unscored = sorted(set(models["model"]) - set(scores["model"]))
    if unknown or unscored:
        raise DataError(f"{path}: models without a row in {models_path.name} ({unknown[:3]}) or rows of "
                        f"{models_path.name} without scores ({unscored[:3]}); re-run `make experiment`")
    per_model = scores.groupby("model")["task"].nunique()
    if (per_model != len(tasks)).any():
        raise DataError(f"{path}: model {per_model.index[per_model != len(tasks)][0]!r} lacks scores on some "
                        f"of the {len(tasks)} tasks; an interrupted run wrote the file: re-run `make experiment`")
    meta = models.set_index("model")
    snapshot = _snapshot(files)
    out = pd.DataFrame({
        "snapshot": snapshot,
        "model": scores["model"],
        "task": scores["task"],
        "metric": "exact_match",
        "score": scores["n_correct"] / scores["n_items"],
        "scale": "fraction",
        "n_items": scores["n_items"].astype("int64"),
        "params_b": scores["model"].map(meta["params"]) / 1e9,
        "flops_1e21": scores["model"].map(meta["compute_flops"]) / 1e21,
        "base_model": scores["model"].map(meta["base"]),
        "base_family": scores["model"].map(meta["base_seed"]).map(lambda s: f"seed {int(s)}"),
        "model_type": "fine-tune",
    })
    return finish_scores(out, SOURCE)


def _snapshot(files: Mapping[str, Path]) -> str:
    """The configuration's name (``full``), read from config.yaml."""
    import yaml

    path = file_for(files, CONFIG, SOURCE)
    try:
        name = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["name"]
    except (OSError, yaml.YAMLError, TypeError, KeyError) as error:
        raise DataError(f"{path}: not a population configuration ({error}); restore the committed file") from None
    return f"{name} configuration"
