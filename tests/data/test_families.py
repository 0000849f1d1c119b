"""The eval-families table: complete for every parsed task, valid, and its join."""

import pandas as pd
import pytest

from evalcorr.errors import DataError
from evalcorr.data.families import COLUMNS, join_families, load_families, tasks_in
from evalcorr.data.cache import parser_module
from evalcorr.data.locations import default_mirror
from evalcorr.data.fetch import materialise
from evalcorr.data.manifest import load_manifest
from evalcorr.data.parsers._common import mirror_files

PARSED = [source for source in load_manifest().values() if source.parser]


def test_table_is_valid_and_covers_every_scores_source():
    table = load_families()
    assert list(table.columns) == list(COLUMNS)
    assert not table.duplicated(["source", "task"]).any()
    assert set(table["level"]) == {"task", "aggregate"}
    scores_sources = {s.id for s in PARSED if parser_module(s).KIND == "scores"}
    assert scores_sources <= set(table["source"])


def test_every_parsed_task_has_exactly_one_row():
    """Parse every scores source on the real mirror: its tasks are exactly its families rows."""
    mirror = default_mirror()
    assert mirror is not None and mirror.is_dir(), "the upstream mirror (EVALCORR_DATA_DIR) is needed"
    folders = [p.name for p in mirror.iterdir() if p.is_dir()]
    files = mirror_files(mirror, *folders)
    for source in PARSED:
        module = parser_module(source)
        if module.KIND != "scores":
            continue
        # the project's own sources are read from the repository, not the mirror
        tasks = set(module.parse(materialise(source.files) if source.in_project else files)["task"])
        assert tasks == set(load_families(source.id)["task"]), source.id


def test_leaderboard_and_mmlu_families():
    ollb = load_families("open-llm-leaderboard-v2").set_index("task")
    assert ollb.loc["bbh_boolean_expressions", "family"] == "BBH"
    assert ollb.loc["bbh_boolean_expressions", "display"] == "BBH boolean expr."
    assert ollb.loc["math_geometry_hard", ["benchmark", "family"]].tolist() == ["MATH-hard", "MATH"]
    families = set(ollb.loc[ollb["level"] == "task", "family"])
    assert families == {"BBH", "MATH", "GPQA", "MuSR", "IFEval", "MMLU-Pro", "ARC"}
    mmlu = load_families("helm-mmlu").set_index("task")
    assert mmlu.loc["abstract_algebra", ["family", "subfamily"]].tolist() == ["MMLU STEM", "math"]
    assert mmlu.loc["formal_logic", "family"] == "MMLU humanities"
    assert mmlu.loc["econometrics", "family"] == "MMLU social sciences"
    assert mmlu.loc["professional_accounting", "family"] == "MMLU other"
    counts = mmlu[mmlu["level"] == "task"]["family"].value_counts().to_dict()
    assert counts == {"MMLU STEM": 18, "MMLU humanities": 13, "MMLU social sciences": 12, "MMLU other": 14}


def test_display_names_are_short():
    table = load_families()
    assert table["display"].str.len().max() <= 32


def test_join_adds_columns_and_names_missing_tasks(tmp_path):
    path = tmp_path / "families.csv"
    path.write_text("source,task,benchmark,family,subfamily,display,level\n"
                    "toy,a,A,F,,A!,task\ntoy,b,B,F,s,B!,aggregate\n")
    df = pd.DataFrame({"task": ["b", "a", "b"], "score": [1, 2, 3]}, index=[10, 11, 12])
    joined = join_families(df, "toy", path=path)
    assert joined["display"].tolist() == ["B!", "A!", "B!"]
    assert joined["level"].tolist() == ["aggregate", "task", "aggregate"]
    assert joined.index.tolist() == [10, 11, 12] and joined["score"].tolist() == [1, 2, 3]
    with pytest.raises(DataError, match=r"1 task\(s\) have no row in .*families.csv: 'zzz'"):
        join_families(pd.DataFrame({"task": ["a", "zzz"]}), "toy", path=path)
    with pytest.raises(DataError, match="no rows for source 'nope'"):
        load_families("nope", path=path)


@pytest.mark.parametrize("text, message", [
    ("source,task,family\ntoy,a,F\n", "missing column"),
    ("source,task,benchmark,family,subfamily,display,level\ntoy,a,A,,,A,task\n", "empty 'family'"),
    ("source,task,benchmark,family,subfamily,display,level\ntoy,a,A,F,,A,leaf\n", "unknown level"),
    ("source,task,benchmark,family,subfamily,display,level\ntoy,a,A,F,,A,task\ntoy,a,A,G,,A,task\n",
     "duplicated"),
])
def test_bad_tables_are_errors(tmp_path, text, message):
    path = tmp_path / "families.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_families(path=path)


def test_tasks_in_keeps_leaf_tasks_of_the_benchmarks_in_table_order():
    sloth = load_families("sloth")
    math = tasks_in(sloth, "MATH-hard")
    assert math and all(t in set(sloth.loc[sloth["benchmark"] == "MATH-hard", "task"]) for t in math)
    both = tasks_in(sloth, ["MATH-hard", "BBH"])
    assert both == [t for t in sloth["task"] if t in set(both)]       # table order
    assert not set(both) & set(sloth.loc[sloth["level"] == "aggregate", "task"])
    assert tasks_in(sloth, ["no such benchmark"]) == []
