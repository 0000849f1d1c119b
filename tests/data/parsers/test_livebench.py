"""LiveBench parser on the real mirror: ten releases as snapshots, categories as families."""

import json

import pytest

from evalcorr.errors import DataError
from evalcorr.data.families import load_families
from evalcorr.data.parsers import livebench
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("livebench")


@pytest.fixture(scope="module")
def scores(files):
    return livebench.parse(files)


def test_releases(scores):
    validate_scores(scores, "livebench")
    per_release = scores.groupby("snapshot")["model"].nunique()
    assert len(per_release) == 10 and per_release.min() == 57 and per_release.max() == 127
    assert per_release["2024-06-24"] == 73
    assert scores.groupby("snapshot")["task"].nunique().between(17, 23).all()


def test_cells_are_fractions(scores):
    cell = scores.set_index(["snapshot", "model", "task"])["score"]
    assert cell[("2024-06-24", "claude-3-5-sonnet-20240620", "AMPS_Hard")] == pytest.approx(0.49)
    assert cell[("2024-06-24", "chatgpt-4o-latest", "plot_unscrambling")] == pytest.approx(0.42531)
    assert scores["score"].between(0, 1).all()


def test_families_are_the_categories(scores, files):
    cats = json.loads(files["livebench/categories_2024_06_24.json"].read_text())
    fam = load_families("livebench").set_index("task")["family"]
    for category, tasks in cats.items():
        expected = "Instruction following" if category == "IF" else category
        assert set(fam[tasks]) == {expected}
    assert livebench.task_categories(files)["web_of_lies_v2"] == "Reasoning"


def test_a_task_changing_category_is_an_error(tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"Reasoning": ["x"]}))
    b.write_text(json.dumps({"Language": ["x"]}))
    files = {"livebench/categories_2024_01_01.json": a, "livebench/categories_2024_02_01.json": b}
    with pytest.raises(DataError, match="task 'x' is in category 'Language' here but 'Reasoning'"):
        livebench.task_categories(files)
