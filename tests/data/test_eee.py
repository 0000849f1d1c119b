"""The Every Eval Ever reader: real files, the three layouts, and clear errors on malformed input."""

import gzip
import json

import pytest

from evalcorr.data.eee import COLUMNS, model_details, read_eee
from evalcorr.errors import DataError
from evalcorr.data.locations import default_mirror


def record(model_id="org/m", score=0.5, **extra):
    return {
        "schema_version": "0.2.0", "evaluation_id": f"x/{model_id}/1", "retrieved_timestamp": "1",
        "source_metadata": {"source_name": "toy"},
        "model_info": {"name": model_id.split("/")[-1], "id": model_id, "developer": "org",
                       "additional_details": {"params_billions": 7.0, "precision": "bfloat16"}},
        "evaluation_results": [
            {"evaluation_name": "A", "metric_config": {"lower_is_better": False, "min_score": 0.0,
                                                       "max_score": 1.0},
             "score_details": {"score": score}},
            {"evaluation_name": "B", "metric_config": {"lower_is_better": True},
             "score_details": {"score": 2}},
        ],
        **extra,
    }


def write_lines(path, records, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(scope="module")
def mirror():
    found = default_mirror()
    assert found is not None and found.is_dir(), "the upstream mirror (EVALCORR_DATA_DIR) is needed"
    return found / "every-eval-ever"


def test_real_hf_records(mirror):
    results = read_eee(mirror / "hfopenllm_v2.jsonl.gz")
    assert list(results.columns) == list(COLUMNS)
    assert len(results) == 4574 * 6
    assert results["line"].nunique() == 4574
    assert set(results["evaluation_name"]) == {"IFEval", "BBH", "MATH Level 5", "GPQA", "MUSR", "MMLU-PRO"}
    first = results[results["line"] == 1].set_index("evaluation_name")
    assert first.loc["IFEval", "score"] == 0.3303 and first.loc["IFEval", "model_id"] == "0-hero/Matter-0.2-7B-DPO"
    assert first.loc["BBH", "dataset_name"] == "BBH" and not first["lower_is_better"].any()
    details = model_details(results)
    assert len(details) == 4574
    assert details.loc[0, "params_billions"] == 7.242 and details.loc[0, "architecture"] == "MistralForCausalLM"
    assert details["model_id"].duplicated().sum() == 78  # ids evaluated at two precisions


def test_real_helm_records(mirror):
    results = read_eee(mirror / "helm_mmlu.jsonl.gz")
    assert results["model_id"].nunique() == 79
    row = results[(results["model_id"] == "01-ai/yi-34b") & (results["evaluation_name"] == "Abstract Algebra - EM")]
    assert row["score"].tolist() == [0.4] and row["tab"].tolist() == ["Accuracy"]
    assert row["generation_config"].iloc[0]["subject"] == "abstract_algebra"


def test_three_layouts_give_the_same_rows(tmp_path):
    recs = [record("org/a"), record("org/b", score=0.75)]
    plain = read_eee(write_lines(tmp_path / "r.jsonl", recs))
    gz = read_eee(write_lines(tmp_path / "r.jsonl.gz", recs, gz=True))
    folder = tmp_path / "dir"
    (folder / "org").mkdir(parents=True)
    for r in recs:
        (folder / "org" / (r["model_info"]["id"].split("/")[1] + ".json")).write_text(json.dumps(r, indent=2))
    from_dir = read_eee(folder)
    cols = ["model_id", "evaluation_name", "score", "lower_is_better", "min_score", "max_score"]
    for frame in (gz, from_dir):
        assert frame[cols].equals(plain[cols])
    assert plain["score"].tolist() == [0.5, 2.0, 0.75, 2.0]
    assert plain["max_score"].isna().tolist() == [False, True, False, True]
    assert from_dir["line"].isna().all() and plain["line"].tolist() == [1, 1, 2, 2]


def test_malformed_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(record()) + "\n" + '{"model_info": {"id": \n')
    with pytest.raises(DataError, match=r"bad.jsonl, line 2: not valid JSON"):
        read_eee(path)


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["model_info"].pop("id"), r"line 1: required field 'model_info.id' is missing"),
    (lambda r: r.pop("evaluation_results"), r"required field 'evaluation_results' is missing"),
    (lambda r: r["evaluation_results"][1]["score_details"].update(score="high"),
     r"field 'evaluation_results\[1\].score_details.score' must be number"),
    (lambda r: r["evaluation_results"][0]["metric_config"].pop("lower_is_better"),
     r"'evaluation_results\[0\].metric_config.lower_is_better' is missing"),
    (lambda r: r["evaluation_results"][0].pop("evaluation_name"), r"'evaluation_results\[0\].evaluation_name' is missing"),
    (lambda r: r.update(evaluation_results=[]), r"'evaluation_results' is empty"),
    (lambda r: r["model_info"].update(id=" "), r"'model_info.id' is empty"),
])
def test_missing_or_malformed_fields(tmp_path, mutate, message):
    bad = record()
    mutate(bad)
    path = write_lines(tmp_path / "bad.jsonl", [record("org/ok"), bad])
    with pytest.raises(DataError, match=message.replace("line 1", "line 2")):
        read_eee(path)


def test_not_an_object_missing_file_empty_and_corrupt_gzip(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text("[1, 2]\n")
    with pytest.raises(DataError, match="expected a JSON object"):
        read_eee(path)
    with pytest.raises(DataError, match="file not found"):
        read_eee(tmp_path / "nope.jsonl.gz")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DataError, match="no Every Eval Ever records"):
        read_eee(tmp_path / "empty.jsonl")
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot be read"):
        read_eee(tmp_path / "broken.jsonl.gz")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="no .json"):
        read_eee(tmp_path / "nothing")
