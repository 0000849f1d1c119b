"""Tests of evalcorr.text.verdicts: the headline sentence follows the intervals."""

from __future__ import annotations

import pandas as pd

from evalcorr.text.verdicts import headline_sentence

MODELS = {"babbage-002": "Babbage", "davinci-002": "Davinci"}


def head(*favours):
    return pd.DataFrame({"view": ["pp", "relative", "headroom", "logodds"][:len(favours)], "favours": favours})


def test_one_model_on_every_scale():
    assert headline_sentence(head("babbage-002", "babbage-002"), MODELS) == \
        "Babbage transfers more on every scale, beyond noise."


def test_nothing_beyond_noise():
    assert headline_sentence(head("within noise", "within noise"), MODELS).startswith("Neither model")


def test_scales_disagree():
    text = headline_sentence(head("babbage-002", "within noise", "davinci-002", "within noise"), MODELS)
    assert text == ("Which model transfers more depends on the metric: Babbage on percentage points; "
                    "Davinci on headroom closed; within noise on relative improvement and log-odds change.")


def test_one_model_on_some_scales():
    text = headline_sentence(head("within noise", "within noise", "davinci-002", "within noise"), MODELS)
    assert text == ("Which model transfers more depends on the metric: Davinci transfers more in headroom closed, "
                    "and on percentage points, relative improvement and log-odds change the difference is "
                    "within noise.")


def test_claim_rows_show_the_scale_only_when_it_varies():
    from evalcorr.text.verdicts import claim_rows

    table = pd.DataFrame({"claim": ["c1", "c2"], "model": ["babbage-002", "both"], "metric": ["pp", "pp"],
                          "numbers": ["n1", "n2"], "holds": [True, False], "verdict": ["holds", "within noise"]})
    rows = claim_rows(table, MODELS)
    assert list(rows["claim (model)"]) == ["c1 (Babbage)", "c2 (Babbage vs Davinci)"]
    assert list(rows["point estimates"]) == ["holds", "does not hold"]
    mixed = claim_rows(table.assign(metric=["pp", "headroom"]), MODELS)
    assert list(mixed["claim (model)"]) == ["c1 (Babbage, percentage points)", "c2 (Babbage vs Davinci, headroom closed)"]
