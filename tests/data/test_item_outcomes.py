"""Per-item outcomes (evalcorr.data.item_outcomes): packed bits round-trip, damaged files are refused."""

from __future__ import annotations

import numpy as np
import pytest

from evalcorr.data.item_outcomes import read_item_outcomes, unpack
from evalcorr.errors import DataError


def _pack(bits) -> str:
    return np.packbits(np.asarray(bits, dtype=bool)).tobytes().hex()


def _write(tmp_path, rows, header="model,stage,train_task,eval_task,seed,n_items,outcomes"):
    path = tmp_path / "item_outcomes.csv"
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_round_trip_with_numpy_packbits(tmp_path):
    rng = np.random.default_rng(0)
    bits = [rng.random(13) < 0.5, rng.random(13) < 0.3]
    path = _write(tmp_path, [("m", "B_only", "b", "b", 0, 13, _pack(bits[0])),
                             ("m", "after_A", "a", "b", 1, 13, _pack(bits[1]))])
    outcomes = read_item_outcomes(path)
    assert outcomes.correct.shape == (2, 13)
    assert np.array_equal(outcomes.correct[0], bits[0]) and np.array_equal(outcomes.correct[1], bits[1])
    assert outcomes.runs["train_task"].tolist() == ["b", "a"] and outcomes.runs["seed"].tolist() == [0, 1]
    assert unpack("a0", 3).tolist() == [True, False, True]
    assert outcomes.select(outcomes.runs["seed"] == 1).correct.shape == (1, 13)


def test_untuned_runs_keep_an_empty_train_task(tmp_path):
    path = _write(tmp_path, [("m", "untuned", "", "b", 0, 8, "ff")])
    assert read_item_outcomes(path).runs.loc[0, "train_task"] == ""


@pytest.mark.parametrize("rows, message", [
    ([("m", "B_only", "b", "b", 0, 13, "ff")], "line 2: the outcomes hold 1 bytes, but n_items needs 2"),
    ([("m", "B_only", "b", "b", 0, 8, "zz")], "not hexadecimal"),
    ([("m", "B_only", "b", "b", 0, 8, "ff"), ("m", "B_only", "b", "b", 0, 8, "00")], "listed twice"),
])
def test_damaged_files_are_refused(tmp_path, rows, message):
    with pytest.raises(DataError, match=message):
        read_item_outcomes(_write(tmp_path, rows))


def test_missing_columns(tmp_path):
    with pytest.raises(DataError, match=r"missing column\(s\) \['outcomes'\]"):
        read_item_outcomes(_write(tmp_path, [("m", "B_only", "b", "b", 0, 8)],
                                  header="model,stage,train_task,eval_task,seed,n_items"))
