"""obsscaling parser on the real mirror."""

import pandas as pd
import pytest

from evalcorr.data.parsers import obsscaling
from evalcorr.errors import DataError
from tests._datalayer import edited_copy, replace_cell
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def scores(source_files):
    return obsscaling.parse(source_files("obsscaling"))


def test_shape(scores):
    validate_scores(scores, "obsscaling")
    assert scores["model"].nunique() == 148
    per_task = scores.groupby("task")["model"].nunique()
    assert len(per_task) == 14
    assert per_task[list(obsscaling.V2.values())].eq(72).all()
    assert set(scores["model_type"]) == {"base"}


def test_cells_and_metadata(scores):
    llama = scores[scores["model"] == "meta-llama/Llama-2-7b-hf"].set_index("task")
    assert llama.loc["mmlu", "score"] == 0.4379609636092418
    assert llama.loc["v2_math_hard", "score"] == 0.012084592145015106
    assert llama["params_b"].eq(7.0).all() and llama["flops_1e21"].eq(84.0).all()
    assert llama["base_family"].eq("Llama-2").all() and llama["pretrain_tokens_t"].eq(2.0).all()


def test_a_conflicting_duplicate_model_is_an_error_naming_file_and_lines(source_files, tmp_path):
    def duplicate(text):
        lines = text.rstrip("\n").split("\n")
        changed = lines[1].split(",")
        changed[5] = "0.99"  # another MMLU score for the same model
        return "\n".join([*lines, ",".join(changed)])

    bad = edited_copy(source_files("obsscaling"), tmp_path, obsscaling.BENCH_FILE, duplicate)
    with pytest.raises(DataError, match=r"base_llm_benchmark_eval.csv: 1 conflicting duplicate row\(s\), e.g. "
                                        r"\{'Model': 'meta-llama/Llama-2-7b-hf'\} on lines \[2, 150\] with different "
                                        r"\['MMLU'\]"):
        obsscaling.parse(bad)


def test_an_exact_repeat_is_dropped(source_files, tmp_path, scores):
    bad = edited_copy(source_files("obsscaling"), tmp_path, obsscaling.V2_FILE,
                      lambda text: text.rstrip("\n") + "\n" + text.split("\n")[1])
    pd.testing.assert_frame_equal(obsscaling.parse(bad), scores)


def test_an_empty_file_is_named(source_files, tmp_path):
    bad = edited_copy(source_files("obsscaling"), tmp_path, obsscaling.V2_FILE, lambda text: "")
    with pytest.raises(DataError, match=r"base_llm_leaderboard_v2_eval.csv: the file is empty"):
        obsscaling.parse(bad)


def test_a_non_numeric_score_names_file_line_and_column(source_files, tmp_path):
    bad = edited_copy(source_files("obsscaling"), tmp_path, obsscaling.BENCH_FILE,
                      lambda text: replace_cell(text, 3, "GSM8K", "22%"))
    with pytest.raises(DataError, match=r"base_llm_benchmark_eval.csv, line 3, column 'GSM8K': '22%' is not a number"):
        obsscaling.parse(bad)
