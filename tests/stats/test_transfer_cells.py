"""Tests of evalcorr.stats.transfer_cells: every released cell with its interval, four scales, the headline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalcorr
from evalcorr.stats.transfer import transfer_matrix
from evalcorr.stats.proportions import difference_interval, ratio_interval, wilson_interval
from evalcorr.stats.transfer_cells import (CellError, accuracy_cells, cell_intervals, difference_of_improvements,
                                           headline_table, redraw_pp)
from tests._transfer_frames import transfer_scaling_frame


@pytest.fixture(scope="module")
def ts():
    return evalcorr.load_transfer("transfer-scaling")


def test_every_released_cell_has_its_item_count(ts):
    cells = accuracy_cells(ts)
    assert len(cells) == 2 * 64
    n = cells.drop_duplicates("eval_task").set_index("eval_task")["n_items"]
    assert n["spanish"] == 201 and (n.drop("spanish") == 200).all()


def test_accuracy_interval_is_wilson_on_the_item_count(ts):
    cells = cell_intervals(ts, "after", model="babbage-002").set_index(["train_task", "eval_task"])
    row = cells.loc[("addition", "subtraction")]                  # 40 of 200 after addition then subtraction
    assert row["value"] == 0.2
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(40 / 200, 200))
    assert not cells["includes_zero"].any()


def test_pp_interval_by_hand_on_a_released_cell(ts):
    cells = cell_intervals(ts, "pp", model="babbage-002").set_index(["train_task", "eval_task"])
    row = cells.loc[("addition", "subtraction")]                  # 0.200 after, 0.075 baseline (15 of 200)
    assert row["value"] == pytest.approx(0.125)
    l1, u1 = wilson_interval(0.2, 200)
    l2, u2 = wilson_interval(0.075, 200)
    assert row["ci_low"] == pytest.approx(0.125 - np.hypot(0.2 - l1, u2 - 0.075))
    assert row["ci_high"] == pytest.approx(0.125 + np.hypot(u1 - 0.2, 0.075 - l2))
    assert not row["includes_zero"]
    assert cells.loc[("faith", "spanish"), "includes_zero"]       # -4.9 pp on 201 items


def test_values_agree_with_the_released_sheets(ts):
    for model in ("babbage-002", "davinci-002"):
        pp = cell_intervals(ts, "pp", model=model)
        sheet = ts[(ts["model"] == model) & (ts["stage"] == "pp_improvement")]
        both = pp.merge(sheet, on=["model", "train_task", "eval_task"], suffixes=("", "_sheet"))
        assert len(both) == 64
        assert np.abs(both["value"] - both["value_sheet"]).max() <= 0.005 + 1e-9
    rel = cell_intervals(ts, "relative", model="babbage-002")
    sheet = ts[(ts["model"] == "babbage-002") & (ts["stage"] == "relative_improvement")]
    both = rel.merge(sheet, on=["model", "train_task", "eval_task"], suffixes=("", "_sheet"))
    assert np.allclose(both["value"], both["value_sheet"], atol=1e-6)


def test_ceiling_scales_at_the_ceiling(ts):
    cells = cell_intervals(ts, "headroom", model="davinci-002").set_index(["train_task", "eval_task"])
    row = cells.loc[("addition", "division")]                      # 1.00 after, 0.88 baseline
    assert (row["after"], row["baseline"]) == (1.0, 0.88)
    assert row["value"] == pytest.approx(1.0) and row["ci_high"] == pytest.approx(1.0)
    low, _ = ratio_interval(0.0, 200, 0.12, 200)
    assert row["ci_low"] == pytest.approx(1 - ratio_interval(0.0, 200, 0.12, 200)[1])
    assert low == 0
    odds = cell_intervals(ts, "logodds", model="davinci-002").set_index(["train_task", "eval_task"])
    assert odds.loc[("addition", "division"), "value"] == pytest.approx(np.log(200.5 / 0.5) - np.log(176.5 / 24.5))


def test_headroom_is_undefined_at_a_perfect_baseline():
    after = {"m": np.array([[1.0, 0.6], [0.9, 0.5]])}
    df = transfer_scaling_frame(after, {"m": np.array([1.0, 0.5])})
    cells = cell_intervals(df, "headroom").set_index(["train_task", "eval_task"])
    assert np.isnan(cells.loc[("subtraction", "addition"), "value"])
    assert cells.loc[("addition", "subtraction"), "value"] == pytest.approx(0.2)


def test_relative_interval_is_the_ratio_interval_minus_one(ts):
    cells = cell_intervals(ts, "relative", model="babbage-002").set_index(["train_task", "eval_task"])
    row = cells.loc[("division", "addition")]                      # 0.11 vs 0.025
    low, high = ratio_interval(0.11, 200, 0.025, 200)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low - 1, high - 1))


def test_difference_of_improvements_shares_a_baseline_when_the_target_is_the_same(ts):
    cells = cell_intervals(ts, "pp", model="babbage-002")
    d, low, high = difference_of_improvements(cells, ("division", "faith"), ("science", "faith"))
    assert d == pytest.approx(0.21 - 0.29)
    assert (low, high) == pytest.approx(difference_interval(0.21, 200, 0.29, 200))


def test_errors_name_the_problem(ts):
    with pytest.raises(CellError, match="view='bogus'"):
        cell_intervals(ts, "bogus")
    with pytest.raises(CellError, match="model='gpt'"):
        cell_intervals(ts, "pp", model="gpt")
    with pytest.raises(CellError, match="rebuild the cache"):
        accuracy_cells(ts.assign(n_items=pd.array([pd.NA] * len(ts), dtype="Int64")))


def test_headline_table_on_the_released_sheets(ts):
    head = headline_table(ts, n_boot=500).set_index("view")
    off = ~np.eye(8, dtype=bool)
    for model, col in (("babbage-002", "mean_a"), ("davinci-002", "mean_b")):
        matrix = transfer_matrix(ts, "transfer-scaling", model=model, view="headroom")
        assert head.at["headroom", col] == pytest.approx(matrix.to_numpy()[off].mean())
    assert head.at["pp", "mean_a"] == pytest.approx(0.0469, abs=5e-4)
    assert head.at["relative", "mean_a"] == pytest.approx(0.663, abs=1e-3)
    assert head.at["headroom", "mean_b"] == pytest.approx(0.268, abs=1e-3)
    for v in head.index:
        assert head.at[v, "difference_low"] <= head.at[v, "difference"] <= head.at[v, "difference_high"]
    assert head.at["headroom", "favours"] == "davinci-002"       # the whole interval is below 0
    assert head.at["pp", "favours"] == "within noise"


def test_headline_favours_a_model_only_beyond_noise():
    rng = np.random.default_rng(0)
    base = np.full(8, 0.3)
    strong = np.clip(0.6 + 0.02 * rng.standard_normal((8, 8)), 0, 1).round(3)
    weak = np.clip(0.31 + 0.01 * rng.standard_normal((8, 8)), 0, 1).round(3)
    df = transfer_scaling_frame({"a": strong, "b": weak}, {"a": base, "b": base})
    head = headline_table(df, views=("pp",), models=("a", "b"), n_boot=300).iloc[0]
    assert head["favours"] == "a" and head["difference_low"] > 0
    same = transfer_scaling_frame({"a": weak, "b": weak}, {"a": base, "b": base})
    assert headline_table(same, views=("pp",), models=("a", "b"), n_boot=300).iloc[0]["favours"] == "within noise"


def test_redraws_center_on_the_sheet_and_share_each_baseline(ts):
    draws = redraw_pp(ts, ("babbage-002",), n_boot=2000, seed=3)["babbage-002"]
    assert draws.shape == (2000, 8, 8)
    pp = transfer_matrix(ts, "transfer-scaling", model="babbage-002", view="pp")
    assert np.abs(draws.mean(axis=0) - pp.to_numpy()).max() < 0.01
    # two cells of one column share the baseline draw, so they co-vary; cells of different columns do not
    same = np.corrcoef(draws[:, 0, 1], draws[:, 3, 1])[0, 1]
    other = np.corrcoef(draws[:, 0, 1], draws[:, 3, 2])[0, 1]
    assert same > 0.2 and abs(other) < 0.1


def test_five_cells_carry_half_of_babbages_relative_gain(ts):
    from evalcorr.stats.transfer_cells import largest_share

    rel = cell_intervals(ts, "relative", model="babbage-002")
    top = largest_share(rel, 5)
    off = rel[rel["train_task"] != rel["eval_task"]]["value"]
    assert top["share"] == pytest.approx(off.nlargest(5).sum() / off.sum())
    assert top["share"] == pytest.approx(0.52, abs=0.01)
    assert set(top["tasks"]) == {"addition", "division"}
    assert (top["baseline_min"], top["baseline_max"]) == (0.025, 0.06)
