"""HELM Classic v0.4.0 (every-eval-ever/helm_classic.jsonl.gz) -> tidy scores.

67 models x the 16 core scenarios, main metric of each (exact match, F1, RR@10, NDCG@10,
ROUGE-2; all fractions). HELM's -1 ("not run") is missing and dropped, so several scenarios
(HellaSwag, OpenbookQA, MS MARCO, summarisation) cover fewer models. Task ids: :data:`SCENARIOS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores
from evalcorr.data.parsers._helm import by_name, helm_scores

KIND = "scores"
SOURCE = "helm-classic"
FILE = "every-eval-ever/helm_classic.jsonl.gz"
SNAPSHOT = "v0.4.0"
SCENARIOS = {
    "MMLU": "mmlu",
    "BoolQ": "boolq",
    "NarrativeQA": "narrativeqa",
    "NaturalQuestions (closed-book)": "naturalquestions_closed",
    "NaturalQuestions (open-book)": "naturalquestions_open",
    "QuAC": "quac",
    "HellaSwag": "hellaswag",
    "OpenbookQA": "openbookqa",
    "TruthfulQA": "truthfulqa",
    "MS MARCO (regular)": "msmarco_regular",
    "MS MARCO (TREC)": "msmarco_trec",
    "CNN/DailyMail": "cnn_dailymail",
    "XSUM": "xsum",
    "IMDB": "imdb",
    "CivilComments": "civilcomments",
    "RAFT": "raft",
}


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of HELM Classic: 16 core scenarios (main metric) for 67 models."""
    path = file_for(files, FILE, SOURCE)
    return finish_scores(helm_scores(path, SOURCE, SNAPSHOT, by_name(SCENARIOS, path)), SOURCE)
