"""HELM MMLU v1.13.0 (every-eval-ever/helm_mmlu.jsonl.gz) -> tidy scores.

79 models x 57 MMLU subjects (task id = subject id, e.g. ``abstract_algebra``), metric ``em``
(exact match, fraction), level ``task``; plus the published "MMLU All Subjects" score as task
``all_subjects`` at level ``aggregate``. Subject sizes are not in the records: n_items is NA.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores
from evalcorr.data.parsers._helm import helm_scores

KIND = "scores"
SOURCE = "helm-mmlu"
FILE = "every-eval-ever/helm_mmlu.jsonl.gz"
SNAPSHOT = "v1.13.0"
AGGREGATE = "all_subjects"


def _task_of(row: pd.Series) -> str:
    subject = row["generation_config"].get("subject")
    # the all-subjects result lists every subject; a subject result names its one subject
    return subject if isinstance(subject, str) else AGGREGATE


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of HELM MMLU: 57 subjects + the all-subjects aggregate for 79 models."""
    path = file_for(files, FILE, SOURCE)
    return finish_scores(helm_scores(path, SOURCE, SNAPSHOT, _task_of), SOURCE)
