"""The controlled-transfer parser: the committed results in the tidy schema, seeds kept, bad files refused."""

from __future__ import annotations

import gzip
import shutil

import pandas as pd
import pytest

from evalcorr.data.manifest import get_source
from evalcorr.data.parsers import controlled_transfer as parser
from evalcorr.data.schema import TRANSFER_COLUMNS, validate_transfer
from evalcorr.errors import DataError

SOURCE = get_source("controlled-transfer")


def _files(root=None):
    return {f.path: (root / f.path if root else f.project_path) for f in SOURCE.files}


@pytest.fixture(scope="module")
def tidy():
    return parser.parse(_files())


def test_schema_with_seeds(tidy):
    assert list(tidy.columns) == list(TRANSFER_COLUMNS)
    validate_transfer(tidy, SOURCE.id, scales=SOURCE.scales)
    assert tidy["seed"].dtype == "Int64" and tidy["n_items"].dtype == "Int64"
    assert set(tidy["stage"]) == set(parser.STAGES) and set(tidy["metric"]) == {"accuracy"}
    counts = tidy.groupby(["model", "stage"]).size().unstack()
    assert (counts["after_A"] == 10 * 10 * 10).all() and (counts["B_only"] == 10 * 10).all()
    assert (tidy.loc[tidy["stage"] == "untuned", "train_task"] == "").all()


def test_values_are_the_released_counts(tidy):
    raw = pd.read_csv(SOURCE.file("transfer").project_path, keep_default_na=False)
    merged = tidy.merge(raw, on=["model", "stage", "train_task", "eval_task", "seed"], suffixes=("", "_raw"))
    assert len(merged) == len(raw) == len(tidy)
    assert (merged["value"] == merged["n_correct"] / merged["n_items_raw"]).all()


def _rewrite(tmp_path, change):
    """A copy of the source's files with the transfer table changed by ``change(frame)``."""
    for file in SOURCE.files:
        target = tmp_path / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(file.project_path, target)
    path = tmp_path / parser.TRANSFER
    frame = pd.read_csv(path, keep_default_na=False)
    with gzip.open(path, "wt") as handle:
        change(frame).to_csv(handle, index=False)
    return _files(tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(value=f["value"].where(f.index != 5, 0.123)), r"line 7: value 0.123 is not n_correct / n_items"),
    (lambda f: f.assign(eval_task=f["eval_task"].where(f.index != 0, "juggling")), r"line 2: unknown task \(tasks.csv\) 'juggling'"),
    (lambda f: f.assign(stage=f["stage"].where(f.index != 3, "later")), r"line 5: unknown stage 'later'"),
    (lambda f: f.drop(index=10), "do not all have the same seeds"),
    (lambda f: f.assign(extra=1), r"unexpected column\(s\) \['extra'\]"),
    (lambda f: f.assign(train_task=f["train_task"].where(f["stage"] != "untuned", "encode")), "untuned rows, and only they"),
])
def test_a_damaged_results_file_is_refused(tmp_path, change, message):
    with pytest.raises(DataError, match=message):
        parser.parse(_rewrite(tmp_path, change))
