"""Skill-it parser on the real mirror."""

import pytest

from evalcorr.errors import DataError
from evalcorr.data.parsers import skill_it
from evalcorr.data.schema import validate_transfer


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
