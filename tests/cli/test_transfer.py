"""Tests of `python -m evalcorr transfer`: the released matrix as CSV."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from evalcorr.cli import main


def test_transfer_csv_is_the_released_matrix(tmp_path):
    out = tmp_path / "pp.csv"
    assert main(["transfer", "transfer-scaling", "--model", "babbage-002", "--view", "raw",
                 "--out", str(out)]) == 0
    matrix = pd.read_csv(out, index_col=0)
    assert matrix.index.name == "train_task"
    assert list(matrix.columns)[:2] == ["addition", "subtraction"]
    assert matrix.at["addition", "multiplication_2x1"] == 0.27


def test_transfer_to_stdout_in_a_subprocess():
    run = subprocess.run([sys.executable, "-m", "evalcorr", "transfer", "transfer-scaling", "--model",
                          "davinci-002", "--view", "pp", "--out", "-"], capture_output=True, text=True,
                         check=True)
    matrix = pd.read_csv(io.StringIO(run.stdout), index_col=0)
    assert matrix.shape == (8, 8)
    assert matrix.at["addition", "subtraction"] == 0.14


def test_transfer_errors_name_the_argument(capsys):
    assert main(["transfer", "transfer-scaling", "--view", "pp", "--out", "-"]) == 2
    assert "model is ambiguous" in capsys.readouterr().err
    assert main(["transfer", "transfer-scaling", "--model", "gpt-9", "--out", "-"]) == 2
    assert "model='gpt-9' not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["transfer", "transfer-scaling", "--view", "bogus", "--out", "-"])


def test_unwritable_output(tmp_path, capsys):
    target = tmp_path / "missing" / "x.csv"
    assert main(["transfer", "transfer-scaling", "--model", "babbage-002", "--out", str(target)]) == 1
    assert "cannot write --out" in capsys.readouterr().err


def test_ceiling_aware_views_and_intervals(tmp_path, capsys):
    out = tmp_path / "h.csv"
    assert main(["transfer", "transfer-scaling", "--model", "davinci-002", "--view", "headroom",
                 "--out", str(out)]) == 0
    matrix = pd.read_csv(out, index_col=0)
    assert matrix.at["addition", "division"] == pytest.approx(1.0)     # 1.00 after a 0.88 baseline
    cells = tmp_path / "cells.csv"
    assert main(["transfer", "transfer-scaling", "--view", "logodds", "--intervals", "--out", str(cells)]) == 0
    table = pd.read_csv(cells)
    assert len(table) == 128 and {"value", "ci_low", "ci_high", "n_items", "includes_zero"} <= set(table.columns)
    assert (table["ci_low"] <= table["value"]).all()
    assert main(["transfer", "taskweb", "--intervals", "--out", "-"]) == 2
    assert "only transfer-scaling" in capsys.readouterr().err


def test_controlled_transfer_averages_or_selects_seeds(tmp_path, capsys):
    import evalcorr

    out = tmp_path / "ct.csv"
    assert main(["transfer", "controlled-transfer", "--model", "ct-l", "--view", "after", "--out", str(out)]) == 0
    matrix = pd.read_csv(out, index_col=0)
    rows = evalcorr.load_transfer("controlled-transfer", model="ct-l", stage="after_A_then_B")
    cell = rows[(rows["train_task"] == "encode") & (rows["eval_task"] == "secret")]
    assert len(cell) == 10 and matrix.at["encode", "secret"] == pytest.approx(cell["value"].mean())
    assert main(["transfer", "controlled-transfer", "--model", "ct-l", "--view", "after", "--seed", "4",
                 "--out", str(out)]) == 0
    assert pd.read_csv(out, index_col=0).at["encode", "secret"] == pytest.approx(
        cell.loc[cell["seed"] == 4, "value"].iloc[0])
    assert main(["transfer", "controlled-transfer", "--model", "ct-l", "--seed", "42", "--out", "-"]) == 2
    assert "seed=42 not found" in capsys.readouterr().err
    assert main(["transfer", "transfer-scaling", "--model", "babbage-002", "--seed", "1", "--out", "-"]) == 2
    assert "no seeds" in capsys.readouterr().err


def test_controlled_transfer_intervals_over_seeds_and_items(tmp_path, capsys):
    cells = tmp_path / "cells.csv"
    assert main(["transfer", "controlled-transfer", "--model", "ct-s", "--view", "pp", "--intervals",
                 "--out", str(cells)]) == 0
    table = pd.read_csv(cells, keep_default_na=False)
    assert len(table) == 100 and set(table["model"]) == {"ct-s"} and (table["n"] == 10).all()
    assert (table["ci_low"] <= table["value"]).all() and (table["value"] <= table["ci_high"]).all()
    assert main(["transfer", "controlled-transfer", "--model", "ct-xl", "--intervals", "--out", "-"]) == 2
    assert "--model 'ct-xl' not found" in capsys.readouterr().err
    assert main(["transfer", "controlled-transfer", "--intervals", "--seed", "1", "--out", "-"]) == 2
    assert "drop --seed" in capsys.readouterr().err
