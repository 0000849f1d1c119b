"""Reading a ground-truth table (evalcorr.data.ground_truth): its contract and its errors."""

from __future__ import annotations

import pytest

from evalcorr.data.ground_truth import primitive_columns, read_ground_truth
from evalcorr.errors import DataError

GOOD = """task,surface,control,control_of,cipher,facts
a,word,,,1,0
b,query,,,1,1
a_copy,word,copy,a,1,0
b_shuffled,query,shuffled,b,0,0
"""


def _table(tmp_path, text):
    path = tmp_path / "tasks.csv"
    path.write_text(text)
    return path


def test_a_valid_table(tmp_path):
    table = read_ground_truth(_table(tmp_path, GOOD))
    assert primitive_columns(table) == ["cipher", "facts"]
    assert list(table.columns[:6]) == ["task", "surface", "control", "control_of", "template", "description"]
    assert table["cipher"].dtype.kind == "i" and table.loc[1, "facts"] == 1
    assert (table["template"] == "").all()          # optional columns are added empty


@pytest.mark.parametrize("text, message", [
    ("task,surface,control,cipher\na,word,,1\n", r"missing column\(s\) \['control_of'\]"),
    ("task,surface,control,control_of\na,word,,\n", "no primitive column"),
    (GOOD.replace("a,word,,,1,0", "a,word,,,2,0"), "'cipher' must hold 0 or 1"),
    (GOOD.replace("a_copy,word,copy,a", "a_copy,word,twin,a"), r"unknown control role\(s\) \['twin'\]"),
    (GOOD.replace("copy,a,", "copy,,"), r"control\(s\) \['a_copy'\] do not name the task"),
    (GOOD + "a,word,,,1,0\n", r"repeated: \['a'\]"),
    (GOOD.replace("b,query,,,1,1", "b,query,,,0,0"), r"task\(s\) \['b'\] use no primitive"),
    (GOOD.replace("a,word,,,1,0", "a,word,,b,1,0"), "control_of is set on a row whose control is empty"),
])
def test_malformed_tables_name_the_file_and_the_fix(tmp_path, text, message):
    path = _table(tmp_path, text)
    with pytest.raises(DataError, match=message) as error:
        read_ground_truth(path)
    assert str(path) in str(error.value)
