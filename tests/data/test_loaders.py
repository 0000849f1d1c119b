"""evalcorr.data.loaders: the public data API, on toy sources and on the real mirror."""

import numpy as np
import pandas as pd
import pytest

import evalcorr
from tests._datalayer import make_world, parse_calls
from evalcorr.data import loaders
from evalcorr.errors import DataError


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


def test_load_scores_builds_the_cache_on_first_use(world):
    scores = evalcorr.load_scores("toy-scores")
    assert len(scores) == 10 and (world["cache"] / "toy-scores.parquet").is_file()
    evalcorr.load_scores("toy-scores")
    assert parse_calls(world) == ["toy-scores"]


def test_load_scores_snapshot_selection(world):
    assert set(evalcorr.load_scores("toy-scores", snapshot="2024-01")["snapshot"]) == {"2024-01"}
    assert len(evalcorr.load_scores("toy-scores", snapshot=["2024-01", "2024-06"])) == 10
    with pytest.raises(DataError, match=r"snapshot=\['2025'\]: not in source 'toy-scores'; available: 2024-01"):
        evalcorr.load_scores("toy-scores", snapshot="2025")
    assert loaders.snapshots("toy-scores") == ["2024-01", "2024-06"]


def test_load_wide_uses_the_latest_snapshot_and_keeps_nan(world):
    wide = evalcorr.load_wide("toy-scores")
    expected = pd.DataFrame({"alpha": [0.60, 0.80, np.nan], "beta": [0.30, np.nan, 0.10],
                             "gamma": [np.nan, np.nan, 0.90]},
                            index=pd.Index(["org/a", "org/b", "org/c"], name="model"))
    expected.columns.name = "task"
    pd.testing.assert_frame_equal(wide, expected, check_index_type=False, check_column_type=False)
    older = evalcorr.load_wide("toy-scores", snapshot="2024-01")
    assert older.loc["org/a", "alpha"] == 0.50 and list(older.columns) == ["alpha", "beta"]


def test_load_wide_levels_tasks_and_thresholds(world):
    assert evalcorr.load_wide("toy-scores", level="aggregate").to_dict() == {"overall": {"org/a": 0.45}}
    assert list(evalcorr.load_wide("toy-scores", level=None).columns) == ["alpha", "beta", "gamma", "overall"]
    assert list(evalcorr.load_wide("toy-scores", tasks=["gamma", "alpha"]).columns) == ["gamma", "alpha"]
    assert list(evalcorr.load_wide("toy-scores", min_models=2).columns) == ["alpha", "beta"]
    trimmed = evalcorr.load_wide("toy-scores", min_models=2, min_tasks=2)
    assert list(trimmed.index) == ["org/a"]
    with pytest.raises(DataError, match=r"tasks=\['delta'\]: not in source 'toy-scores'; available: alpha, beta"):
        evalcorr.load_wide("toy-scores", tasks=["alpha", "delta"])
    with pytest.raises(DataError, match="level='leaf'"):
        evalcorr.load_wide("toy-scores", level="leaf")


def test_kind_mismatch_and_unknown_source(world):
    with pytest.raises(DataError, match="holds transfer results.*use evalcorr.load_transfer"):
        evalcorr.load_scores("toy-transfer")
    with pytest.raises(DataError, match="holds scores results.*load_scores"):
        evalcorr.load_transfer("toy-scores")
    with pytest.raises(DataError, match="unknown source 'nope'"):
        evalcorr.load_wide("nope")


def test_load_transfer_filters(world):
    transfer = evalcorr.load_transfer("toy-transfer")
    assert len(transfer) == 4 and transfer.loc[2, "train_task"] == ""
    m1 = evalcorr.load_transfer("toy-transfer", model="m1", stage="after_A")
    assert m1[["train_task", "eval_task", "value"]].values.tolist() == [["a", "b", 0.27], ["b", "a", 0.10]]
    with pytest.raises(DataError, match=r"stage=\['after_B'\].*available: after_A, untuned"):
        evalcorr.load_transfer("toy-transfer", stage="after_B")


def test_returned_frames_do_not_leak_into_the_memo(world):
    first = evalcorr.load_scores("toy-scores", snapshot="2024-06")
    first.loc[0, "score"] = -1.0
    assert (evalcorr.load_scores("toy-scores")["score"] >= 0).all()


def test_metadata_coverage(world):
    coverage = loaders.metadata_coverage(["toy-scores"]).set_index("source")
    assert coverage.loc["toy-scores", "models"] == 3
    assert coverage.loc["toy-scores", "params_b"] == pytest.approx(2 / 3)
    assert coverage.loc["toy-scores", "architecture"] == 0.0


# --- the real mirror (../shared/data, or EVALCORR_DATA_DIR), built into a cache of this test module


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("real-cache")


def test_open_llm_leaderboard_is_1860_models_by_45_tasks(real_cache):
    wide = evalcorr.load_wide("open-llm-leaderboard-v2", level=None, cache_dir=real_cache)
    assert wide.shape == (1860, 45)
    leaves = evalcorr.load_wide("open-llm-leaderboard-v2", cache_dir=real_cache)
    assert leaves.shape == (1860, 40)
    assert (leaves.notna().sum() >= 1850).sum() == 39
    assert leaves["arc_challenge"].notna().sum() == 85
    assert {"bbh_boolean_expressions", "math_geometry_hard", "gpqa_diamond", "ifeval", "mmlu_pro"} <= set(leaves)
    assert leaves.stack().dropna().between(0, 1).all()


def test_open_llm_leaderboard_cells_equal_the_csv(real_cache):
    from evalcorr.data.locations import default_mirror

    raw = pd.read_csv(default_mirror() / "open-llm-leaderboard-v2/task_matrix.csv", encoding="utf-8-sig")
    row = raw[raw["_model"] == "meta-llama/Llama-3.1-70B"].iloc[0]
    wide = evalcorr.load_wide("open-llm-leaderboard-v2", cache_dir=real_cache,
                              tasks=["bbh_boolean_expressions", "mmlu_pro"])
    assert wide.loc["meta-llama/Llama-3.1-70B"].tolist() == pytest.approx(
        [row["leaderboard_bbh_boolean_expressions"] / 100, row["leaderboard_mmlu_pro"] / 100])


def test_helm_mmlu_is_79_models_by_57_subjects(real_cache):
    wide = evalcorr.load_wide("helm-mmlu", cache_dir=real_cache)
    assert wide.shape == (79, 57)
    assert "abstract_algebra" in wide.columns
    scores = evalcorr.load_scores("helm-mmlu", cache_dir=real_cache)
    assert set(scores["snapshot"]) == {"v1.13.0"}


def test_transfer_scaling_babbage_raw_matrix(real_cache):
    raw = evalcorr.load_transfer("transfer-scaling", model="babbage-002", stage="after_A", cache_dir=real_cache)
    matrix = raw.pivot(index="train_task", columns="eval_task", values="value")
    assert matrix.shape == (8, 8)
    assert matrix.loc["addition", "multiplication_2x1"] == 0.27


def test_families_of_a_source(real_cache):
    families = evalcorr.load_families("helm-mmlu")
    families = families[families["level"] == "task"]
    assert len(families) == 57
    assert set(evalcorr.load_wide("helm-mmlu", cache_dir=real_cache).columns) == set(families["task"])


def test_metadata_is_joined_for_part_of_the_leaderboard(real_cache):
    coverage = loaders.metadata_coverage(["open-llm-leaderboard-v2"], cache_dir=real_cache).iloc[0]
    assert coverage["models"] == 1860
    assert 0.5 < coverage["params_b"] <= 1.0
    assert 0.0 < coverage["base_family"] < coverage["params_b"]


def test_identical_score_models():
    wide = pd.DataFrame({"a": [0.1, 0.1, 0.2, np.nan, 0.3], "b": [0.5, 0.5, 0.5, np.nan, np.nan],
                         "c": [np.nan, np.nan, 0.9, np.nan, np.nan]},
                        index=["m1", "m2", "m3", "empty", "m5"])
    assert loaders.identical_score_models(wide).values.tolist() == [["m1", 0], ["m2", 0]]
    wide.loc["m6"] = [0.3, np.nan, np.nan]  # same values and same missing tasks as m5
    assert loaders.identical_score_models(wide).values.tolist() == [["m1", 0], ["m2", 0], ["m5", 1], ["m6", 1]]
    assert loaders.identical_score_models(wide.iloc[2:4]).empty


def test_source_summary_and_snapshot_label(world):
    summary = loaders.source_summary(["toy-scores", "toy-transfer"])
    assert summary.values.tolist() == [["toy-scores", "scores", 3, 3, 10, "2024-01 .. 2024-06 (2)"],
                                       ["toy-transfer", "transfer", 2, 2, 4, ""]]
    assert loaders.snapshot_label(["v1.13.0", "v0.4.0", "v1.2.0"]) == "v0.4.0 .. v1.13.0 (3)"
    assert loaders.snapshot_label(["2024-08-29"]) == "2024-08-29"
    assert "toy-scores" in loaders.parsed_sources("scores")
    assert "toy-transfer" not in loaders.parsed_sources("scores")


def test_leaderboard_has_a_few_identical_copies(real_cache):
    identical = loaders.identical_score_models(evalcorr.load_wide("open-llm-leaderboard-v2", cache_dir=real_cache))
    assert 0 < identical["group"].nunique() < 100
    assert (identical.groupby("group").size() >= 2).all()


def test_livebench_defaults_to_its_latest_release(real_cache):
    releases = loaders.snapshots("livebench", cache_dir=real_cache)
    assert len(releases) == 10 and releases[0] == "2024-06-24" and releases[-1] == "2026-01-08"
    latest = evalcorr.load_wide("livebench", cache_dir=real_cache)
    pd.testing.assert_frame_equal(latest, evalcorr.load_wide("livebench", snapshot="2026-01-08", cache_dir=real_cache))
    first = evalcorr.load_wide("livebench", snapshot="2024-06-24", cache_dir=real_cache)
    assert first.shape != latest.shape
    tidy = evalcorr.load_scores("livebench", snapshot="2024-06-24", cache_dir=real_cache)
    assert tidy.loc[tidy["level"] == "task", "model"].nunique() == first.shape[0]


def test_model_dates_of_the_leaderboard(real_cache):
    dates = loaders.model_dates("open-llm-leaderboard-v2", cache_dir=real_cache)
    models = set(evalcorr.load_wide("open-llm-leaderboard-v2", cache_dir=real_cache).index)
    assert len(dates) == 272 and set(dates["model"]) <= models
    row = dates.set_index("model").loc["0-hero/Matter-0.2-7B-DPO"]   # line 598 of Sloth's table
    assert row["submitted"] == pd.Timestamp("2024-08-05") and row["uploaded"] == pd.Timestamp("2024-04-13")
    with pytest.raises(DataError, match="no model dates"):
        loaders.model_dates("helm-mmlu", cache_dir=real_cache)
