"""ibm-benchbench parser on the real mirror: the 2024-08-29 snapshot files and the duplicate policy."""

import pandas as pd
import pytest

from evalcorr.data.parsers import ibm_benchbench as bb
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("ibm-benchbench")


@pytest.fixture(scope="module")
def parsed(files):
    return bb.parse_with_report(files)


def test_shape_and_duplicates(parsed, files):
    scores, dropped = parsed
    validate_scores(scores, "ibm-benchbench")
    assert set(scores["snapshot"]) == {"2024-08-29"}
    per_task = scores.groupby("task")["model"].nunique()
    assert per_task["hf_open_llm_v1"] == 1804 - 48 and per_task["hfv2_ifeval"] == 348 - 8
    assert per_task["helm_lite"] == 72 and per_task["helm_lite_gsm8k"] == 71  # one "-" (not run)
    assert per_task["helm_classic"] == 67 and per_task["helm_mmlu"] == 59
    assert dropped.groupby("file").size().to_dict() == {
        "ibm-benchbench/hf_open_llm_v1_240829_frozen.csv": 48, "ibm-benchbench/hf_open_llm_v2_240829.csv": 8}
    # the files are sorted by their average, so "first" is the best-average row of an id
    for name in ("ibm-benchbench/hf_open_llm_v1_240829_frozen.csv", "ibm-benchbench/hf_open_llm_v2_240829.csv"):
        table = pd.read_csv(files[name])
        assert table.iloc[:, 1].is_monotonic_decreasing


def test_cells(parsed):
    scores, _ = parsed
    cell = scores.set_index(["model", "task"])
    calme = cell.loc[("MaziyarPanahi/calme-2.1-qwen2-72b", "hfv2_ifeval")]
    assert calme["score"] == pytest.approx(0.8163) and calme["metric"] == "normalized"
    assert cell.loc[("MaziyarPanahi/calme-2.1-qwen2-72b", "hfv2_bbh_raw"), "score"] == 0.7
    assert cell.loc[("GPT-4o (2024-05-13)", "helm_lite"), "score"] == 0.963
    assert cell.loc[("GPT-4o (2024-05-13)", "helm_lite_wmt_2014"), "score"] == 0.231
    assert cell.loc[("Llama 2 (70B)", "helm_classic"), "score"] == 0.944
    # Meta-Llama-3-8B-Instruct is listed twice in HF v2; the first (23.91 average) row is kept
    assert cell.loc[("meta-llama/Meta-Llama-3-8B-Instruct", "hf_open_llm_v2"), "score"] == pytest.approx(0.2391)
