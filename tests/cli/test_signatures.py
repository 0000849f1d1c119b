"""`python -m evalcorr signatures` end to end on the real leaderboard and HELM MMLU data."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evalcorr.cli import main
from evalcorr.data.loaders import load_families, load_scores, load_wide
from evalcorr.stats.signatures import forward_select, model_metadata


def test_stdout_csv_matches_forward_select_in_a_subprocess():
    run = subprocess.run([sys.executable, "-m", "evalcorr", "signatures", "open-llm-leaderboard-v2",
                          "--target", "math_geometry_hard", "--max-features", "3", "--out", "-"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(io.StringIO(run.stdout))
    assert list(written.columns) == ["target", "step", "feature", "cv_r2", "cv_r2_gain", "coef", "beta", "n"]
    assert written["feature"].iloc[0] == "(intercept)" and written["step"].tolist()[0] == 0
    wide = load_wide("open-llm-leaderboard-v2", min_models=1000)  # the default drops arc_challenge (85 models)
    expected = forward_select(wide.drop(columns="math_geometry_hard"), wide["math_geometry_hard"], max_features=3)
    assert written["feature"].iloc[1:].tolist() == expected.selected
    assert all(f.startswith("math_") for f in expected.selected)
    np.testing.assert_allclose(written["cv_r2"], expected.steps["cv_r2"], rtol=1e-5)
    np.testing.assert_allclose(written["coef"].iloc[1:], expected.coefficients["coef"], rtol=1e-5)
    assert "sparse tasks dropped: arc_challenge" in run.stderr


def test_out_of_family_excludes_the_targets_family(tmp_path):
    out = tmp_path / "aa.csv"
    assert main(["signatures", "helm-mmlu", "--target", "abstract_algebra", "--features", "out-of-family",
                 "--out", str(out)]) == 0
    written = pd.read_csv(out)
    families = load_families("helm-mmlu").set_index("task")["family"]
    chosen = written["feature"].iloc[1:]
    assert len(chosen) >= 1
    assert (families[chosen] != families["abstract_algebra"]).all()
    assert (written["n"] == 79).all()


def test_metadata_features_on_the_leaderboard(tmp_path):
    out = tmp_path / "meta.csv"
    assert main(["signatures", "open-llm-leaderboard-v2", "--target", "bbh_navigate", "--features",
                 "tasks+metadata", "--out", str(out)]) == 0
    written = pd.read_csv(out)
    meta = model_metadata(load_scores("open-llm-leaderboard-v2"))
    assert "log10_params_b" in meta.columns
    assert written["n"].iloc[0] < 1856  # models without a parameter count are dropped (complete cases)


@pytest.mark.parametrize("argv, message", [
    (["--target", "nope"], "unknown --target 'nope' for source 'helm-mmlu'; its tasks are: abstract_algebra"),
    (["--target", "anatomy", "--features", "all"], "unknown --features 'all'"),
    (["--target", "anatomy", "--features", "tasks+metadata"], "has no model metadata"),
    (["--target", "anatomy", "--max-features", "0"], "--max-features must be at least 1"),
])
def test_clear_errors(argv, message, capsys):
    assert main(["signatures", "helm-mmlu", *argv, "--out", "-"]) == 2
    assert message in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error(tmp_path, capsys):
    assert main(["signatures", "helm-mmlu", "--target", "anatomy", "--max-features", "1",
                 "--out", str(tmp_path / "missing" / "x.csv")]) == 1  # an I/O failure, as for corr and transfer (usage errors exit 2)
    assert "cannot write --out" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_min_gain_must_be_a_finite_number(value, capsys):
    assert main(["signatures", "helm-mmlu", "--target", "abstract_algebra", "--min-gain", value, "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert f"--min-gain must be a finite number, got {value}" in err
