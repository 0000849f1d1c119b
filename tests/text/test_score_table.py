"""How a user's table and its checks read in the table report."""

from evalcorr.data.user_tables import TableReport
from evalcorr.text.score_table import checks_markdown, describe_table, dropped_tasks_markdown


def report(**changes):
    base = dict(source="/data/board.csv", format="wide", description="a wide CSV file", n_models=40, n_tasks=8,
                n_models_read=40, n_tasks_read=8, min_models=20, scales={"a": "fraction", "b": "fraction"})
    return TableReport(**(base | changes))


def test_a_clean_table():
    assert describe_table(report()) == (
        "The table is a wide CSV file (`board.csv`): 40 models and 8 tasks. The scores are fractions between 0 "
        "and 1. No families were given, so pairs are not split into within and between families; the blocks "
        "below are found from the scores alone. Each task needs scores of at least 20 models, and each pair of "
        "tasks at least 20 models in common.")
    assert dropped_tasks_markdown(report()) == ""


def test_what_the_checks_did_is_said():
    text = describe_table(report(
        n_tasks_read=10, n_models_read=41, dropped_models=["org/empty"], ignored_columns=["arch"],
        dropped_tasks=[{"task": "rare", "n_models": 4, "reason": "scored for 4 models, fewer than 20"},
                       {"task": "flat", "n_models": 40, "reason": "every model has the same score"}],
        metrics={"a": "acc,none", "b": "acc_norm,none", "c": "acc,none"}, families_from="the column 'family'",
        scales={"a": "fraction", "b": "percent"}))
    assert "40 models and 8 tasks after the checks, of 41 models and 10 tasks read" in text
    assert "The scores are on different scales (see the warning below)." in text
    assert "Families come from the column 'family'." in text
    assert "Metric read: `acc,none` (2 tasks) and `acc_norm,none` (1 task)." in text
    assert "2 tasks were dropped (listed below)." in text
    assert "1 model with no score left (org/empty) was dropped." in text
    assert "Text columns read as labels, not tasks: `arch`." in text
    table = dropped_tasks_markdown(report(dropped_tasks=[{"task": "rare", "n_models": 4, "reason": "too few"}]))
    assert [cell.strip() for cell in table.splitlines()[0].split("|")[1:4]] == [
        "Task", "Models with a score", "Why it was dropped"]
    assert "| rare   |" in table


def test_warnings_and_notes_are_escaped():
    text = checks_markdown(report(warnings=["percentages on <b>task</b>"], notes=["read 2 files"]))
    assert text == ("::: {.callout-warning}\n## Check the scores\n\npercentages on \\<b\\>task\\</b\\>.\n:::\n\n"
                    "- Read 2 files.")
    assert checks_markdown(report()) == ""


def test_a_long_list_of_dropped_tasks_is_cut():
    dropped = [{"task": f"t{i}", "n_models": 1, "reason": "too few"} for i in range(30)]
    text = dropped_tasks_markdown(report(dropped_tasks=dropped))
    assert len(text.splitlines()) == 24 + 2 + 2 and text.endswith("(6 more dropped tasks are not listed.)")
