"""Tests of evalcorr.stats.claims: each claim of the Babbage/Davinci post recomputed from the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalcorr.stats.claims import ASYMMETRY_THRESHOLD, asymmetry_sensitivity, check_claims

TASKS = ["addition", "subtraction", "spanish", "division", "math_expressions", "multiplication_2x1",
         "faith", "science"]


def frame(pp: dict[str, np.ndarray], relative: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for model in pp:
        for stage, metric, grid in (("pp_improvement", "pp", pp[model]),
                                    ("relative_improvement", "relative", relative[model])):
            for i, a in enumerate(TASKS):
                for j, b in enumerate(TASKS):
                    if np.isfinite(grid[i, j]):
                        rows.append(dict(source="transfer-scaling", model=model, setting="default",
                                         train_task=a, eval_task=b, stage=stage, metric=metric,
                                         value=float(grid[i, j])))
    return pd.DataFrame(rows)


def idx(task):
    return TASKS.index(task)


def synthetic():
    """Babbage: every claim holds; Davinci: the task claims fail; relative and pp disagree."""
    b = np.full((8, 8), 0.01)
    d = np.full((8, 8), 0.02)
    b[idx("addition"), idx("subtraction")], b[idx("subtraction"), idx("addition")] = 0.12, 0.04
    d[idx("addition"), idx("subtraction")], d[idx("subtraction"), idx("addition")] = 0.01, 0.05
    b[idx("division"), idx("multiplication_2x1")] = 0.24
    d[idx("division"), idx("multiplication_2x1")] = 0.03
    b[idx("spanish"), idx("faith")], b[idx("faith"), idx("spanish")] = 0.02, -0.05
    d[idx("spanish"), idx("faith")], d[idx("faith"), idx("spanish")] = 0.02, 0.01
    d[idx("science"), idx("faith")] = d[idx("division"), idx("faith")] = -0.01   # 2 of 7 fail
    b_rel = np.where(np.eye(8, dtype=bool), np.nan, 0.5)
    d_rel = np.where(np.eye(8, dtype=bool), np.nan, 0.1)
    return frame({"babbage-002": b, "davinci-002": d}, {"babbage-002": b_rel, "davinci-002": d_rel}), b, d


def test_claims_table_shape_and_columns():
    table = check_claims(synthetic()[0])
    assert list(table.columns) == ["claim", "model", "metric", "numbers", "value_a", "value_b", "holds",
                                   "sentence"]
    assert len(table) == 11
    assert table["holds"].dtype == bool


def test_task_claims_follow_the_numbers():
    table = check_claims(synthetic()[0]).set_index(["claim", "model"])
    add = "addition helps subtraction more than subtraction helps addition"
    assert table.loc[(add, "babbage-002"), "holds"]
    assert not table.loc[(add, "davinci-002"), "holds"]
    assert table.loc[(add, "babbage-002"), "value_a"] == 0.12
    div = "division helps multiplication more than subtraction helps addition"
    assert table.loc[(div, "babbage-002"), "holds"] and not table.loc[(div, "davinci-002"), "holds"]
    one_way = "translation helps faith while faith does not help translation"
    assert table.loc[(one_way, "babbage-002"), "holds"]
    assert not table.loc[(one_way, "davinci-002"), "holds"]     # faith -> Spanish is +1 pp
    faith = "nearly everything helps faith"
    assert table.loc[(faith, "babbage-002"), "holds"]
    assert table.loc[(faith, "davinci-002"), "value_a"] == 5
    assert not table.loc[(faith, "davinci-002"), "holds"]
    assert "does not hold" in table.loc[(faith, "davinci-002"), "sentence"]


def test_model_comparisons_disagree_between_metrics():
    df, b, d = synthetic()
    table = check_claims(df).set_index(["claim", "metric"])
    head = "Babbage transfers more than Davinci"
    mask = ~np.eye(8, dtype=bool)
    assert table.loc[(head, "pp"), "value_a"] == pytest.approx(b[mask].mean())
    assert table.loc[(head, "pp"), "value_b"] == pytest.approx(d[mask].mean())
    assert table.loc[(head, "pp"), "holds"] == (b[mask].mean() > d[mask].mean())
    assert table.loc[(head, "relative"), "holds"]                # 0.5 vs 0.1


def test_asymmetry_count_uses_the_threshold():
    df, b, d = synthetic()
    table = check_claims(df, threshold=0.05).set_index("claim")
    row = table.loc["more asymmetries in Babbage than in Davinci"]

    def count(m):
        return sum(abs(m[i, j] - m[j, i]) > 0.05 for i in range(8) for j in range(i + 1, 8))

    assert (row["value_a"], row["value_b"]) == (count(b), count(d))
    sens = asymmetry_sensitivity(df, [0.0, 0.05, 0.5])
    assert list(sens["threshold"]) == [0.0, 0.05, 0.5]
    assert sens.loc[sens.threshold == 0.05, "babbage-002"].item() == count(b)
    assert (sens.loc[sens.threshold == 0.5, ["babbage-002", "davinci-002"]] == 0).all(axis=None)


def test_released_numbers_enter_the_claims():
    """On the real data, every compared number is a cell of the released pp sheet."""
    import csv

    import evalcorr
    from evalcorr.data.locations import default_mirror

    keys = {"addy": "addition", "sub": "subtraction", "spain": "spanish", "div": "division",
            "mex": "math_expressions", "mult2x1": "multiplication_2x1", "faith": "faith",
            "science": "science"}
    table = check_claims(evalcorr.load_transfer("transfer-scaling")).set_index(["claim", "model"])
    assert ASYMMETRY_THRESHOLD == 0.05
    for short, model in (("babbage", "babbage-002"), ("davinci", "davinci-002")):
        with open(default_mirror() / "transfer-scaling" / "results" / f"{short}_subtracted-Sheet1.csv",
                  newline="") as handle:
            rows = list(csv.reader(handle))
        header = [keys[c] for c in rows[0][1:]]
        pp = {(keys[r[0]], header[j]): float(v) for r in rows[1:] for j, v in enumerate(r[1:])}
        add = table.loc[("addition helps subtraction more than subtraction helps addition", model)]
        assert (add["value_a"], add["value_b"]) == (pp[("addition", "subtraction")],
                                                    pp[("subtraction", "addition")])
        div = table.loc[("division helps multiplication more than subtraction helps addition", model)]
        assert div["value_a"] == pp[("division", "multiplication_2x1")]
        faith = table.loc[("nearly everything helps faith", model)]
        assert faith["value_a"] == sum(pp[(a, "faith")] > 0 for a in keys.values() if a != "faith")


def test_within_noise_flags_small_gaps_only():
    from evalcorr.stats.claims import binomial_se, within_noise

    assert binomial_se(200) == pytest.approx(np.sqrt(0.25 / 200))
    table = check_claims(synthetic()[0])
    flags = within_noise(table, 200)
    gaps = (table["value_a"] - table["value_b"]).abs()
    judged = (table["model"] != "both") & (table["claim"] != "nearly everything helps faith")
    assert (flags == (judged & (gaps < 2 * binomial_se(200)))).all()
    assert not flags[table["model"] == "both"].any()
