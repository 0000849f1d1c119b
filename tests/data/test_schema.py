"""Schema validation: every error path on small frames, and the duplicate policies."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.data.manifest import Scale
from evalcorr.errors import DataError
from evalcorr.data.parsers._common import finish_scores, finish_transfer
from evalcorr.data.schema import (SCORES_COLUMNS, TRANSFER_COLUMNS, resolve_duplicates, validate_scores,
                             validate_transfer)


SCORES_SCALES = (Scale("fraction", 0.0, 1.0),)
TRANSFER_SCALES = (Scale("accuracy", 0.0, 1.0), Scale("delta", -1.0, 1.0, stage="after_A"),
                   Scale("delta", 0.0, 1.0, stage="untuned"))


@pytest.fixture()
def families(tmp_path):
    path = tmp_path / "families.csv"
    path.write_text("source,task,benchmark,family,subfamily,display,level\n"
                    "toy,a,A,Fam,,A task,task\ntoy,b,B,Fam,sub,B task,task\ntoy,all,All,Fam,,All,aggregate\n")
    return path


@pytest.fixture()
def scores(families):
    raw = pd.DataFrame({"snapshot": "2024", "model": ["m1", "m1", "m2", "m2"], "task": ["a", "b", "a", "all"],
                        "metric": "acc", "score": [0.1, 0.2, 0.3, 0.4], "scale": "fraction"})
    return finish_scores(raw, "toy", families_path=families)


@pytest.fixture()
def transfer():
    raw = pd.DataFrame({"model": "m", "train_task": ["a", "b", ""], "eval_task": ["b", "a", "a"],
                        "stage": ["after_A", "after_A", "untuned"], "metric": "accuracy",
                        "value": [0.2, 0.3, 0.1]})
    return finish_transfer(raw, "toy")


def test_valid_frames_pass(scores, transfer):
    assert validate_scores(scores, "toy", scales=SCORES_SCALES) is scores
    assert list(scores.columns) == list(SCORES_COLUMNS)
    assert scores["n_items"].dtype == "Int64" and scores["params_b"].isna().all()
    assert validate_transfer(transfer, "toy", scales=TRANSFER_SCALES) is transfer
    assert list(transfer.columns) == list(TRANSFER_COLUMNS)
    assert set(transfer["setting"]) == {"default"}


def test_missing_column(scores):
    with pytest.raises(DataError, match=r"source 'toy' \(file raw.csv\): missing column\(s\) \['n_items'\]"):
        validate_scores(scores.drop(columns="n_items"), "toy", path="raw.csv", scales=SCORES_SCALES)


def test_unknown_column(scores, transfer):
    with pytest.raises(DataError, match=r"unknown column\(s\) \['extra'\]"):
        validate_scores(scores.assign(extra=1), "toy", scales=SCORES_SCALES)
    with pytest.raises(DataError, match=r"unknown column\(s\) \['extra'\]"):
        validate_transfer(transfer.assign(extra=1), "toy", scales=TRANSFER_SCALES)


def test_empty_table(scores, transfer):
    with pytest.raises(DataError, match="empty"):
        validate_scores(scores.iloc[0:0], "toy", scales=SCORES_SCALES)
    with pytest.raises(DataError, match="empty"):
        validate_transfer(transfer.iloc[0:0], "toy", scales=TRANSFER_SCALES)


def test_score_out_of_range(scores):
    bad = scores.copy()
    bad.loc[1, "score"] = 45.3  # a percentage left undivided
    with pytest.raises(DataError, match=r"1 score\(s\) of scale 'fraction' outside its declared range \[0.0, 1.0\]"):
        validate_scores(bad, "toy", scales=SCORES_SCALES)


def test_a_scale_without_a_declared_range_is_an_error(scores, transfer):
    with pytest.raises(DataError, match=r"scale 'percent' has no declared valid range \(declared: \['fraction'\]\); "
                                        r"declare it under `scales:` .*data/manifest.yaml"):
        validate_scores(scores.assign(scale="percent"), "toy", scales=SCORES_SCALES)
    with pytest.raises(DataError, match="metric 'pct_change' at stage 'after_A' has no declared valid range"):
        validate_transfer(transfer.assign(metric="pct_change"), "toy", scales=TRANSFER_SCALES)


def test_ranges_declared_by_stage(transfer):
    both = transfer.assign(metric="delta")
    both.loc[0, "value"] = -0.5  # inside [-1, 1] at after_A
    validate_transfer(both, "toy", scales=TRANSFER_SCALES)
    both.loc[2, "value"] = -0.5  # outside [0, 1] at untuned
    with pytest.raises(DataError, match=r"value\(s\) of metric 'delta' at stage 'untuned' outside its declared "
                                        r"range \[0.0, 1.0\]"):
        validate_transfer(both, "toy", scales=TRANSFER_SCALES)


def test_the_declared_ranges_default_to_the_manifest(scores):
    real = scores.assign(source="sloth")
    validate_scores(real, "sloth")
    real.loc[0, "score"] = 1.5
    with pytest.raises(DataError, match="declared range"):
        validate_scores(real, "sloth")


def test_transfer_value_out_of_range(transfer):
    bad = transfer.copy()
    bad.loc[0, "value"] = 27.0
    with pytest.raises(DataError, match="metric 'accuracy' at stage 'after_A' outside"):
        validate_transfer(bad, "toy", scales=TRANSFER_SCALES)


def test_nan_score(scores, transfer):
    bad = scores.copy()
    bad.loc[0, "score"] = np.nan
    with pytest.raises(DataError, match=r"1 NaN value\(s\) in 'score'"):
        validate_scores(bad, "toy", scales=SCORES_SCALES)
    bad = transfer.copy()
    bad.loc[0, "value"] = np.nan
    with pytest.raises(DataError, match="NaN"):
        validate_transfer(bad, "toy", scales=TRANSFER_SCALES)


def test_wrong_dtype(scores):
    with pytest.raises(DataError, match="'score' must be numeric"):
        validate_scores(scores.assign(score=scores["score"].astype(str)), "toy", scales=SCORES_SCALES)
    with pytest.raises(DataError, match="Int64"):
        validate_scores(scores.assign(n_items=1.0), "toy", scales=SCORES_SCALES)


def test_empty_required_text(scores):
    bad = scores.copy()
    bad.loc[0, "model"] = ""
    with pytest.raises(DataError, match="'model' has 1 empty"):
        validate_scores(bad, "toy", scales=SCORES_SCALES)


def test_wrong_source(scores):
    with pytest.raises(DataError, match="expected only 'other'"):
        validate_scores(scores, "other", scales=SCORES_SCALES)


def test_unknown_level(scores):
    with pytest.raises(DataError, match="unknown level"):
        validate_scores(scores.assign(level="leaf"), "toy", scales=SCORES_SCALES)


def test_duplicated_key(scores, transfer):
    dup = pd.concat([scores, scores.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"(?s)1 duplicated key\(s\).*resolve_duplicates"):
        validate_scores(dup, "toy", scales=SCORES_SCALES)
    dup = pd.concat([transfer, transfer.iloc[[2]]], ignore_index=True)
    with pytest.raises(DataError, match="duplicated"):
        validate_transfer(dup, "toy", scales=TRANSFER_SCALES)


def test_resolve_duplicates_policies():
    df = pd.DataFrame({"model": ["a", "a", "b", "a"], "task": "t", "score": [0.1, 0.2, 0.5, 0.6]})
    key = ["model", "task"]
    with pytest.raises(DataError, match="duplicated"):
        resolve_duplicates(df, key, policy="error", where="toy.csv")
    first, dropped = resolve_duplicates(df, key, policy="keep-first", where="toy.csv")
    assert first["score"].tolist() == [0.1, 0.5] and dropped["score"].tolist() == [0.2, 0.6]
    assert dropped["n_duplicates"].tolist() == [3, 3]
    last, dropped = resolve_duplicates(df, key, policy="keep-last", where="toy.csv")
    assert sorted(last["score"]) == [0.5, 0.6] and dropped["score"].tolist() == [0.1, 0.2]
    mean, merged = resolve_duplicates(df, key, policy="mean", where="toy.csv")
    assert mean.set_index("model")["score"].to_dict() == pytest.approx({"a": 0.3, "b": 0.5})
    assert len(merged) == 3
    clean, none = resolve_duplicates(df.iloc[[0, 2]], key, where="toy.csv")
    assert len(clean) == 2 and none.empty
    with pytest.raises(ValueError, match="policy"):
        resolve_duplicates(df, key, policy="latest", where="toy.csv")
