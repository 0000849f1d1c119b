"""Epoch benchmark-stitching parser on the real mirror: score columns, percent strings, max policy."""

import pandas as pd
import pytest

from evalcorr.errors import DataError
from evalcorr.data.parsers import epoch_benchmark_stitching as ep
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("epoch-benchmark-stitching")


@pytest.fixture(scope="module")
def parsed(files):
    return ep.parse_with_report(files)


def test_shape(parsed):
    scores, dropped = parsed
    validate_scores(scores, "epoch-benchmark-stitching")
    assert scores["task"].nunique() == len(ep.RUNS) + len(ep.EXTERNAL) == 42
    assert scores["model"].nunique() == 469
    assert len(scores) == 1906 and len(dropped) == 589
    assert scores["score"].between(0, 1).all()


def test_max_policy_and_percent_strings(parsed, files):
    scores, _ = parsed
    raw = pd.read_csv(files["epoch-benchmark-stitching/external_benchmark_mmlu.csv"], encoding="utf-8-sig")
    raw = raw.dropna(subset=["Model version", "EM"])
    raw["Model version"] = raw["Model version"].str.strip()  # upstream ids carry stray spaces
    best = raw.assign(v=raw["EM"].str.rstrip("%").astype(float) / 100).groupby("Model version")["v"].max()
    ours = scores[scores["task"] == "mmlu"].set_index("model")["score"]
    pd.testing.assert_series_equal(ours.sort_index(), best.sort_index(), check_names=False)
    cell = scores.set_index(["model", "task"])["score"]
    assert cell[("claude-3-5-sonnet-20240620", "gpqa_diamond")] == 0.54
    assert cell[("o3-2025-04-16_medium", "lech_mazur_writing")] == pytest.approx(0.839)
    assert scores.loc[scores["model"] == "claude-3-5-sonnet-20240620", "base_family"].iloc[0] == "Claude 3.5 Sonnet"


def test_bad_percent_is_an_error():
    with pytest.raises(DataError, match="not numbers or percentages"):
        ep.to_number(pd.Series(["52.8%", "n/a"]), "x.csv")
    assert ep.to_number(pd.Series(["52.8%", "7", None]), "x.csv").tolist()[:2] == [52.8, 7.0]
