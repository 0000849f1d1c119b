"""Skill-it parser on the real mirror."""

import pytest

from evalcorr.errors import DataError
from evalcorr.data.parsers import skill_it
from evalcorr.data.schema import validate_transfer
from tests._datalayer import edited_copy, replace_cell


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("skill-it")


def test_graph(files):
    graph = skill_it.parse(files)
    validate_transfer(graph, "skill-it")
    assert len(graph) == 23 * 22
    cell = graph.set_index(["train_task", "eval_task"])["value"]
    assert cell[("answer_verification", "code_to_text")] == -0.103
    assert cell[("code_to_text", "text_to_code")] == 0.106
    assert set(graph["metric"]) == {"loss_decrease"}


def test_labels_must_match(files, tmp_path):
    labels = tmp_path / "top_23.txt"
    labels.write_text("a\nb\n")
    with pytest.raises(DataError, match="differ from the skill labels"):
        skill_it.parse({**files, skill_it.LABELS: labels})


def test_a_non_numeric_cell_names_file_line_and_column(files, tmp_path):
    bad = edited_copy(files, tmp_path, skill_it.FILE, lambda text: replace_cell(text, 4, "irony_detection", "x"))
    with pytest.raises(DataError, match=r"top_23_early_decreases.csv, line 4, column 'irony_detection': 'x' is not "
                                        r"a number"):
        skill_it.parse(bad)


def test_a_loss_decrease_outside_its_declared_range_is_an_error(files, tmp_path):
    bad = edited_copy(files, tmp_path, skill_it.FILE, lambda text: replace_cell(text, 4, "irony_detection", "91.5"))
    with pytest.raises(DataError, match=r"metric 'loss_decrease' at stage 'early_training' outside its declared "
                                        r"range \[-10.0, 10.0\]"):
        validate_transfer(skill_it.parse(bad), "skill-it")
