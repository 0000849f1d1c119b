"""The transfer-scaling parser on the real mirror: every released cell, stages, baselines, pp check."""

from pathlib import Path

import pandas as pd
import pytest

from evalcorr.errors import DataError
from tests._datalayer import edited_copy, replace_cell

from evalcorr.data.parsers import transfer_scaling as ts
from evalcorr.data.schema import validate_transfer


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("transfer-scaling")


@pytest.fixture(scope="module")
def transfer(files):
    return ts.parse(files)


def cell(transfer, model, stage, train, evaluated):
    rows = transfer[(transfer["model"] == model) & (transfer["stage"] == stage)
                    & (transfer["train_task"] == train) & (transfer["eval_task"] == evaluated)]
    assert len(rows) == 1
    return rows["value"].iloc[0]


def test_validates_with_all_stages(transfer):
    validate_transfer(transfer, "transfer-scaling")
    counts = transfer.groupby(["model", "stage"]).size().unstack()
    assert counts.loc["babbage-002"].to_dict() == {
        "B_only": 8, "after_A": 64, "after_A_then_B": 64, "pp_improvement": 64,
        "relative_improvement": 56, "untuned": 8}
    assert counts.loc["davinci-002"].equals(counts.loc["babbage-002"])
    assert set(transfer["eval_task"]) == set(ts.TASKS.values())


def test_released_cells(transfer):
    assert cell(transfer, "babbage-002", "after_A", "addition", "multiplication_2x1") == 0.27
    assert cell(transfer, "babbage-002", "after_A_then_B", "addition", "multiplication_2x1") == 0.365
    assert cell(transfer, "davinci-002", "after_A", "spanish", "faith") == 0.41
    assert cell(transfer, "babbage-002", "pp_improvement", "math_expressions",
                "science") == -0.12
    assert cell(transfer, "babbage-002", "relative_improvement", "division", "multiplication_2x1") \
        == 1.7407407407407405
    assert cell(transfer, "davinci-002", "B_only", "spanish", "spanish") == 0.22885572139303484
    # untuned: percent -> fraction; baselines.txt calls the tasks 2x1 and span
    assert cell(transfer, "davinci-002", "untuned", "", "multiplication_2x1") == 0.405
    assert cell(transfer, "babbage-002", "untuned", "", "spanish") == 0.0
    assert cell(transfer, "davinci-002", "untuned", "", "addition") == 0.575


def test_every_matrix_cell_equals_the_file(transfer, files):
    for key, model in ts.MODELS.items():
        path = files[f"{ts.DIR}pairwise_{key}_non-normalized.csv"]
        blocks = ts.read_blocks(path)
        for stage, block in zip(("after_A", "after_A_then_B"), blocks):
            ours = transfer[(transfer["model"] == model) & (transfer["stage"] == stage)].pivot(
                index="train_task", columns="eval_task", values="value")
            theirs = block.rename(index=ts.TASKS, columns=ts.TASKS)
            pd.testing.assert_frame_equal(ours.loc[theirs.index, theirs.columns], theirs,
                                          check_names=False, check_exact=True)


def test_block_reader_handles_blank_rows_and_missing_final_newline(tmp_path):
    header = "," + ",".join(ts.TASKS)
    rows = [k + "," + ",".join(["0.5"] * 8) for k in ts.TASKS]
    text = "\r\n".join([header, *rows, ",,,,,,,,", ",,,,,,,,", header, *rows])  # no final newline
    path = tmp_path / "m.csv"
    path.write_text(text)
    blocks = ts.read_blocks(path)
    assert len(blocks) == 2 and blocks[1].shape == (8, 8)


def test_pp_sheet_is_after_A_then_B_minus_B_only_rounded(transfer):
    check = ts.pp_check(transfer)
    assert len(check) == 128
    bad = check[~check["agrees"]]
    assert bad.empty, f"pp cells that differ from round(after_A_then_B - B_only, 2):\n{bad}"
    assert check["diff"].abs().max() <= 0.005 + 1e-12


def test_a_broken_matrix_is_an_error(tmp_path):
    from evalcorr.errors import DataError

    path = tmp_path / "m.csv"
    path.write_text(",addy,sub\naddy,0.1,0.2\n")
    with pytest.raises(DataError, match="not the 8x8 matrix"):
        ts.read_blocks(path)


def test_task_set_overlap_matches_the_source_notes():
    """PROVENANCE.txt of the source: validation overlaps train for div (41 prompts), mult2x1 (34),
    mex (6), addy (1); the 10-example sets of the math tasks are subsets of the training sets."""
    from evalcorr.data.loaders import task_set_overlap

    table = task_set_overlap().set_index("task")
    overlap = table["overlap_prompts"]
    assert overlap[overlap > 0].to_dict() == {"addition": 1, "division": 41, "math_expressions": 6,
                                              "multiplication_2x1": 34}
    assert (table["overlap_items"] >= table["overlap_prompts"]).all()
    assert (table.loc[["addition", "subtraction", "division"], "small_in_train"] == 10).all()
    assert table.loc["faith", "small_in_train"] == 0
    assert (table["n_validate"] >= 200).all()
    assert (table["n_small"] == 10).all()


def test_every_row_carries_the_validation_set_size(transfer, files):
    sizes = ts.validation_sizes(files)
    assert sizes["spanish"] == 201 and all(n == 200 for t, n in sizes.items() if t != "spanish")
    assert transfer["n_items"].dtype == "Int64" and not transfer["n_items"].isna().any()
    assert (transfer["n_items"] == transfer["eval_task"].map(sizes)).all()
    # Babbage's accuracies are whole items of these sets: 25 of 201 on Spanish
    assert cell(transfer, "babbage-002", "B_only", "spanish", "spanish") * 201 == pytest.approx(25)


def test_a_non_numeric_matrix_cell_names_file_line_and_column(files, tmp_path):
    name = f"{ts.DIR}pairwise_babbage_non-normalized.csv"
    bad = edited_copy(files, tmp_path, name, lambda text: replace_cell(text, 4, "div", "0.05x"))
    with pytest.raises(DataError, match=r"pairwise_babbage_non-normalized.csv, line 4, column 'div': '0.05x' is not "
                                        r"a number"):
        ts.parse(bad)
    # a cell in the second block: its line counts the blank separator rows above it
    lines = Path(files[name]).read_text().split("\n")
    second = next(i for i, line in enumerate(lines) if i > 0 and line.startswith(",addy")) + 1
    bad = edited_copy(files, tmp_path, name, lambda text: replace_cell(text, second + 2, "faith", "?"))
    with pytest.raises(DataError, match=rf"line {second + 2}, column 'faith': '\?' is not a number"):
        ts.parse(bad)


def test_a_non_numeric_baseline_names_file_and_line(files, tmp_path):
    name = f"{ts.DIR}baselines.txt"
    line = Path(files[name]).read_text().split("\n").index("d,div,89,111,44.5") + 1
    bad = edited_copy(files, tmp_path, name, lambda text: text.replace("d,div,89,111,44.5", "d,div,89,111,44.5%"))
    with pytest.raises(DataError, match=rf"baselines.txt, line {line}, column 'percent_correct': '44.5%' is not a "
                                        r"number"):
        ts.parse(bad)
    bad = edited_copy(files, tmp_path, name, lambda text: text.replace("d,div,89,111,44.5", "d,div,89,111,44,5"))
    with pytest.raises(DataError, match=r"baselines.txt: not a readable table"):
        ts.parse(bad)
