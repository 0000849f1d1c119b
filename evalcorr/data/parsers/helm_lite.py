"""HELM Lite v1.13.0 (every-eval-ever/helm_lite.jsonl.gz) -> tidy scores.

91 models x the 10 core scenarios, each with its main metric only (F1 for NarrativeQA and
NaturalQuestions, exact match for OpenbookQA/MMLU/GSM8K/LegalBench/MedQA, equivalent (CoT) for
MATH, BLEU-4 for WMT 2014; all fractions). These records hold the scenario aggregates only:
per-subset Lite results (MMLU subjects, MATH subjects, LegalBench tasks, WMT language pairs) are
absent. Task ids are listed in :data:`SCENARIOS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores
from evalcorr.data.parsers._helm import by_name, helm_scores

KIND = "scores"
SOURCE = "helm-lite"
FILE = "every-eval-ever/helm_lite.jsonl.gz"
SNAPSHOT = "v1.13.0"
SCENARIOS = {
    "NarrativeQA": "narrativeqa",
    "NaturalQuestions (open-book)": "naturalquestions_open",
    "NaturalQuestions (closed-book)": "naturalquestions_closed",
    "OpenbookQA": "openbookqa",
    "MMLU": "mmlu",
    "MATH": "math",
    "GSM8K": "gsm8k",
    "LegalBench": "legalbench",
    "MedQA": "medqa",
    "WMT 2014": "wmt_2014",
}


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of HELM Lite: 10 scenario aggregates (main metric) for 91 models."""
    path = file_for(files, FILE, SOURCE)
    return finish_scores(helm_scores(path, SOURCE, SNAPSHOT, by_name(SCENARIOS, path)), SOURCE)
