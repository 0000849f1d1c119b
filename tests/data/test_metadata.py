"""Model metadata joins (hf-open-llm-v2 records, sloth) and their coverage report."""

import pandas as pd
import pytest

from evalcorr.data import metadata
from evalcorr.data.locations import default_mirror
from evalcorr.data.parsers._common import mirror_files


@pytest.fixture(scope="module")
def files():
    mirror = default_mirror()
    assert mirror is not None and mirror.is_dir(), "the upstream mirror (EVALCORR_DATA_DIR) is needed"
    return mirror_files(mirror, "every-eval-ever", "sloth")


def test_name_key():
    names = pd.Series(["meta-llama/Llama-2-7b-hf", "01-ai/Yi-1.5-34B", "gpt2"])
    assert metadata.name_key(names).tolist() == ["llama-2-7b", "yi-1.5-34b", "gpt2"]


def test_hf_duplicates_keep_bfloat16(files):
    records = metadata.hf_records(files[metadata.HF_FILE])
    assert len(records) == 4574
    kept, dropped = metadata.prefer_precision(records, ["model"])
    assert len(kept) == 4574 - 78 and len(dropped) == 78
    assert set(dropped["precision"]) == {"float16"}
    assert not kept["model"].duplicated().any()
    one = kept[kept["model"] == "AtAndDev/Qwen2.5-1.5B-continuous-learnt"]
    assert one["precision"].tolist() == ["bfloat16"]


def test_join_and_coverage(files):
    frame = pd.DataFrame({"model": ["01-ai/Yi-1.5-34B", "01-ai/Yi-1.5-34B", "meta-llama/Llama-2-7b-hf",
                                    "nobody/unknown"], "task": ["a", "b", "a", "a"]})
    joined = metadata.join_leaderboard_metadata(frame, files)
    assert len(joined) == 4
    yi = joined.iloc[0]
    assert yi["params_b"] == 34.389 and yi["architecture"] == "LlamaForCausalLM"
    assert yi["base_family"] == "yi-1.5" and yi["model_type"] == "base" and yi["flops_1e21"] == 714.0
    llama = joined.iloc[2]
    assert llama["base_family"] == "llama-2" and llama["pretrain_tokens_t"] == 2.0
    assert joined.iloc[3][list(metadata.FIELDS)].isna().all()
    cov = metadata.coverage(joined).set_index("field")
    assert cov.loc["base_family", ["models_matched", "models", "rows_matched", "rows"]].tolist() == [2, 3, 3, 4]
    assert cov.loc["params_b", "share"] == pytest.approx(2 / 3)
    assert llama["params_b"] == 6.738 and llama["precision"] == "float16"


def test_skips_sources_not_given():
    frame = pd.DataFrame({"model": ["a/b"], "task": ["t"]})
    assert metadata.join_leaderboard_metadata(frame, {}).equals(frame)


def test_sloth_leaderboard_dates_keep_the_earliest_entry(tmp_path):
    table = tmp_path / "board.csv"
    table.write_text("T,Model,Submission Date,Upload To Hub Date\n"
                     "x,org/a,2024-06-10,2024-05-01\n"
                     "x,org/a,2024-06-01,2024-05-03\n"
                     "x,org/b,2024-07-01,\n")
    dates = metadata.sloth_leaderboard_dates(table)
    assert dates["model"].tolist() == ["org/a", "org/b"]
    assert dates["submitted"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-01", "2024-07-01"]
    assert dates.loc[0, "uploaded"] == pd.Timestamp("2024-05-01") and pd.isna(dates.loc[1, "uploaded"])


def test_sloth_leaderboard_dates_name_a_wrong_file(tmp_path):
    from evalcorr.errors import DataError

    bad = tmp_path / "bad.csv"
    bad.write_text("Model,Date\norg/a,2024-01-01\n")
    with pytest.raises(DataError, match="Submission Date"):
        metadata.sloth_leaderboard_dates(bad)
