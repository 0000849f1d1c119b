"""The controlled-population parser: the committed tables in the tidy scores schema with lineage, bad files refused."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from evalcorr.data.manifest import get_source
from evalcorr.data.parsers import controlled_population as parser
from evalcorr.data.schema import validate_scores
from evalcorr.errors import DataError
from evalcorr.stats.lineage import lineage_groups

SOURCE = get_source("controlled-population")


def _files(root=None):
    return {f.path: (root / f.path if root else f.project_path) for f in SOURCE.files}


@pytest.fixture(scope="module")
def tidy():
    return parser.parse(_files())


def test_every_model_on_every_task_with_its_metadata(tidy):
    validate_scores(tidy, SOURCE.id, scales=SOURCE.scales)
    models = pd.read_csv(SOURCE.file("models").project_path)
    assert tidy["model"].nunique() == len(models) and tidy["task"].nunique() == 8
    assert len(tidy) == len(models) * 8 and tidy["score"].between(0, 1).all()
    raw = pd.read_csv(SOURCE.file("scores").project_path)
    merged = tidy.merge(raw, on=["model", "task"])
    assert np.allclose(merged["score"], merged["n_correct"] / merged["n_items_y"])
    meta = models.set_index("model")
    row = tidy.iloc[0]
    assert row["base_model"] == meta.loc[row["model"], "base"] and row["model_type"] == "fine-tune"
    assert row["params_b"] == pytest.approx(meta.loc[row["model"], "params"] / 1e9)
    assert row["flops_1e21"] == pytest.approx(meta.loc[row["model"], "compute_flops"] / 1e21)


def test_lineage_groups_are_the_declared_bases(tidy):
    groups = lineage_groups(tidy, rule="base-model")
    assert groups.nunique() == pd.read_csv(SOURCE.file("bases").project_path)["base"].nunique()


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.assign(regime=m["regime"].replace("co-training", "joint")), "unknown regime"),
    (lambda m: m.assign(w_encode=m["w_encode"] + 0.5), "sum to 1"),
    (lambda m: m.iloc[1:], "without a row"),
])
def test_bad_models_tables_are_refused(tmp_path, edit, message):
    for f in SOURCE.files:
        (tmp_path / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f.project_path, tmp_path / f.path)
    path = tmp_path / SOURCE.file("models").path
    edit(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        parser.parse(_files(tmp_path))


def test_a_model_missing_a_task_is_refused(tmp_path):
    for f in SOURCE.files:
        (tmp_path / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f.project_path, tmp_path / f.path)
    path = tmp_path / SOURCE.file("scores").path
    pd.read_csv(path).iloc[1:].to_csv(path, index=False)
    with pytest.raises(DataError, match="lacks scores"):
        parser.parse(_files(tmp_path))
