"""Tests of evalcorr.stats.claims: each claim of the Babbage/Davinci post with a noise-aware verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalcorr
from evalcorr.stats.claims import (ASYMMETRY_THRESHOLD, VERDICTS, asymmetries_beyond_noise, asymmetry_sensitivity,
                                   check_claims, verdict_from_interval)
from evalcorr.stats.transfer import count_asymmetries
from tests._transfer_frames import TASKS, transfer_scaling_frame


def idx(task):
    return TASKS.index(task)


@pytest.fixture(scope="module")
def real():
    return check_claims(evalcorr.load_transfer("transfer-scaling"), n_redraws=400, n_boot=500)


def synthetic():
    """Babbage: big, clean effects where the claims say so; Davinci: nothing but noise-sized changes."""
    base = np.full(8, 0.3)
    b = np.full((8, 8), 0.31)
    b[idx("addition"), idx("subtraction")] = 0.6                 # +30 pp
    b[idx("subtraction"), idx("addition")] = 0.3                 # 0
    b[idx("division"), idx("multiplication_2x1")] = 0.7
    b[idx("spanish"), idx("faith")], b[idx("faith"), idx("spanish")] = 0.6, 0.2
    b[:, idx("faith")] = 0.6                                      # everything helps faith by 30 pp
    b[idx("faith"), idx("spanish")] = 0.2
    d = np.full((8, 8), 0.31)
    d[idx("science"), idx("faith")] = d[idx("division"), idx("faith")] = 0.1   # two hurt faith by 20 pp
    return transfer_scaling_frame({"babbage-002": b, "davinci-002": d}, {"babbage-002": base, "davinci-002": base})


def test_verdict_from_interval():
    assert verdict_from_interval(0.01, 0.2) == "holds"
    assert verdict_from_interval(-0.3, -0.01) == "does not hold"
    assert verdict_from_interval(-0.01, 0.2) == "within noise"


def test_table_columns_and_verdict_values(real):
    assert list(real.columns) == ["claim", "model", "metric", "numbers", "value_a", "value_b", "holds", "verdict",
                                  "estimate", "ci_low", "ci_high", "rule", "sentence"]
    assert set(real["verdict"]) <= set(VERDICTS)
    assert real["holds"].dtype == bool
    assert (real["rule"].str.len() > 0).all()


def test_rules_on_planted_effects():
    table = check_claims(synthetic(), n_redraws=200, n_boot=300).set_index(["claim", "model"])
    add = "addition helps subtraction more than subtraction helps addition"
    assert table.loc[(add, "babbage-002"), "verdict"] == "holds"
    assert table.loc[(add, "davinci-002"), "verdict"] == "within noise"      # 1 pp vs 1 pp
    one_way = "translation helps faith while faith does not help translation"
    assert table.loc[(one_way, "babbage-002"), "verdict"] == "holds"
    faith = "nearly everything helps faith"
    assert table.loc[(faith, "babbage-002"), "verdict"] == "holds"
    assert table.loc[(faith, "davinci-002"), "verdict"] == "does not hold"   # two tasks hurt it by 20 pp
    equal = table.loc[("math expressions and subtraction help each other equally", "babbage-002")]
    assert equal["verdict"] == "within noise"      # a difference of 0 is not shown to be inside +-5 pp


def test_released_claims_and_their_verdicts(real):
    table = real.set_index(["claim", "model", "metric"])
    v = table["verdict"]
    # The two claims the review found unchecked.
    faith = table.loc[("fine-tuning on faith improves science more than it improves faith", "babbage-002", "pp")]
    assert faith["holds"] and faith["verdict"] == "within noise"
    assert (faith["value_a"], faith["value_b"]) == pytest.approx((0.15, 0.10))
    assert v[("math expressions help subtraction but not the reverse", "davinci-002", "pp")] == "holds"
    assert v[("math expressions and subtraction help each other equally", "babbage-002", "pp")] == "within noise"
    # Davinci's "faith does not help translation" rested on the sheet rounding +0.1 pp to 0.00.
    one_way = table.loc[("translation helps faith while faith does not help translation", "davinci-002", "pp")]
    assert one_way["value_b"] == pytest.approx(0.23 - 46 / 201) and one_way["verdict"] == "within noise"
    for model in ("babbage-002", "davinci-002"):
        assert v[("nearly everything helps faith", model, "pp")] == "within noise"
        assert v[("addition helps subtraction more than subtraction helps addition", model, "pp")] == "holds"
        assert v[("division helps multiplication more than subtraction helps addition", model, "pp")] == "holds"
    assert v[("more asymmetries in Babbage than in Davinci", "both", "pp")] == "within noise"
    assert v[("the tasks cluster into math, trivia and translation", "babbage-002", "pp")] == "holds"
    head = table.xs("Babbage transfers more than Davinci", level="claim")
    assert head.loc[("both", "headroom"), "verdict"] == "does not hold"
    assert head.loc[("both", "pp"), "verdict"] == "within noise"
    assert head.loc[("both", "relative"), "holds"]                            # +66% vs +8% on the points


def test_count_asymmetries_compares_whole_points():
    assert abs(0.04 - 0.03) > 0.01                                            # the float trap
    pp = pd.DataFrame([[0.0, 0.04], [0.03, 0.0]], index=["a", "b"], columns=["a", "b"])
    assert count_asymmetries(pp, 0.01) == 0
    assert count_asymmetries(pp, 0.009) == 1


def test_table_asymmetry_counts_on_the_released_sheets():
    sens = asymmetry_sensitivity(evalcorr.load_transfer("transfer-scaling"), [0.01, 0.02, 0.05, 0.10])
    davinci = dict(zip(sens["threshold"], sens["davinci-002"]))
    assert (davinci[0.01], davinci[0.02]) == (18, 14)                         # not 19 / 15
    assert ASYMMETRY_THRESHOLD == 0.05


def test_asymmetries_beyond_noise_are_a_subset_of_the_nonzero_ones():
    df = evalcorr.load_transfer("transfer-scaling")
    beyond = asymmetries_beyond_noise(df)
    sens = asymmetry_sensitivity(df, [0.0])
    for model, count in beyond.items():
        assert 0 <= count <= sens.at[0, model]
