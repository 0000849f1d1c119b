"""TaskWeb parser on the real mirror."""

import pytest

from evalcorr.data.parsers import taskweb
from evalcorr.errors import DataError
from tests._datalayer import edited_copy, replace_cell
from evalcorr.data.schema import validate_transfer


@pytest.fixture(scope="module")
def transfer(source_files):
    return taskweb.parse(source_files("taskweb"))


def test_shape(transfer):
    validate_transfer(transfer, "taskweb")
    assert len(transfer) == 441 * 8 * 3
    assert transfer["setting"].nunique() == 8 and "finetune/t5b" in set(transfer["setting"])
    assert transfer["eval_task"].nunique() == 21 and transfer["train_task"].nunique() == 22
    assert not (transfer["train_task"] == transfer["eval_task"]).any()


def test_cells_and_combined_score(transfer):
    cell = transfer.set_index(["setting", "train_task", "eval_task", "metric"])["value"]
    assert cell[("ALL", "boolq", "anli_r3", "pct_change")] == pytest.approx(-0.0051829283508598575)
    assert cell[("finetune/t5s", "boolq", "anli_r3", "share_positive_seeds")] == 0.125
    wide = transfer.pivot_table(index=["setting", "train_task", "eval_task"], columns="metric", values="value")
    combined = 0.5 * wide["pct_change"] + 0.5 * (0.2 * wide["share_positive_seeds"] - 0.1)
    assert (combined - wide["combined_score"]).abs().max() < 1e-12


def test_a_non_numeric_cell_names_file_line_and_column(source_files, tmp_path):
    bad = edited_copy(source_files("taskweb"), tmp_path, taskweb.FILE,
                      lambda text: replace_cell(text, 5, "PM_prop_positive_seeds", "0.5?"))
    with pytest.raises(DataError, match=r"taskweb_pairwise_long.csv, line 5, column 'PM_prop_positive_seeds': "
                                        r"'0.5\?' is not a number"):
        taskweb.parse(bad)


def test_a_conflicting_duplicate_pair_is_an_error(source_files, tmp_path):
    def duplicate(text):
        lines = text.rstrip("\n").split("\n")
        return "\n".join([*lines, lines[1].rsplit(",", 1)[0] + ",0.25"])

    bad = edited_copy(source_files("taskweb"), tmp_path, taskweb.FILE, duplicate)
    with pytest.raises(DataError, match=r"taskweb_pairwise_long.csv: 1 conflicting duplicate row\(s\).*lines "
                                        r"\[2, \d+\] with different \['combined_score'\]"):
        taskweb.parse(bad)


def test_an_empty_file_is_named(source_files, tmp_path):
    bad = edited_copy(source_files("taskweb"), tmp_path, taskweb.FILE, lambda text: "")
    with pytest.raises(DataError, match=r"taskweb_pairwise_long.csv: the file is empty"):
        taskweb.parse(bad)
