"""`python -m evalcorr experiment`: the engine's command wired into the package's command line."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from evalcorr.data.locations import PROJECT_ROOT


def test_the_command_is_listed_and_takes_the_engines_options():
    done = subprocess.run([sys.executable, "-m", "evalcorr", "--help"], capture_output=True, text=True, check=True)
    assert "experiment" in done.stdout
    done = subprocess.run([sys.executable, "-m", "evalcorr", "experiment", "--help"], capture_output=True, text=True,
                          check=True)
    for option in ("--quick", "--config", "--out", "--work", "--check", "--threads", "--no-progress"):
        assert option in done.stdout


def test_a_miniature_run_from_another_folder_writes_where_it_was_told(tmp_path):
    """The command runs from the project root, yet the user's relative paths stay the user's."""
    pytest.importorskip("jax")
    from evalcorr.experiment.config import preset, save

    save(preset("mini"), tmp_path / "mini.yaml")
    done = subprocess.run([sys.executable, "-m", "evalcorr", "experiment", "--config", "mini.yaml", "--out", "tables",
                           "--work", "runs", "--no-progress"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    transfer = pd.read_csv(tmp_path / "tables" / "transfer.csv.gz", keep_default_na=False)
    assert set(transfer["model"]) == {"ct-xs"} and (tmp_path / "runs" / "config.yaml").is_file()
    assert "tables written to" in done.stdout
    # the committed results were not touched, so nothing is reported against the manifest
    assert "differ from data/manifest.yaml" not in done.stderr
    assert not (tmp_path / "data").exists() and (PROJECT_ROOT / "data" / "manifest.yaml").is_file()


def test_the_population_stage_needs_a_population_of_that_configuration(tmp_path):
    pytest.importorskip("jax")
    from evalcorr.experiment.config import preset, save

    save(preset("mini"), tmp_path / "mini.yaml")
    done = subprocess.run([sys.executable, "-m", "evalcorr", "experiment", "--config", "mini.yaml", "--stage",
                           "population", "--work", "runs", "--no-progress"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 2 and "no population is defined for the transfer configuration 'mini'" in done.stderr
