"""`python -m evalcorr corr` end to end on the real HELM MMLU and leaderboard data."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd

from evalcorr.cli import main
from evalcorr.data.loaders import load_scores, load_wide
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.partial import partial_correlation_matrix


def test_csv_matches_correlation_matrix_in_a_subprocess(tmp_path):
    out = tmp_path / "mmlu.csv"
    run = subprocess.run([sys.executable, "-m", "evalcorr", "corr", "helm-mmlu", "--method", "spearman",
                          "--min-models", "40", "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "wrote 57 x 57 helm-mmlu correlation matrix (spearman)" in run.stderr
    written = pd.read_csv(out, index_col="task")
    expected = correlation_matrix(load_wide("helm-mmlu"), method="spearman", min_periods=40)
    assert list(written.index) == list(written.columns) == list(expected.columns)
    assert "abstract_algebra" in written.index
    np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)


def test_partial_log_params_to_stdout_on_the_leaderboard():
    run = subprocess.run([sys.executable, "-m", "evalcorr", "corr", "open-llm-leaderboard-v2", "--partial",
                          "log-params", "--out", "-"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(io.StringIO(run.stdout), index_col="task")
    scores = load_scores("open-llm-leaderboard-v2")
    params = scores.drop_duplicates("model").set_index("model")["params_b"]
    expected = partial_correlation_matrix(load_wide("open-llm-leaderboard-v2"), control="log-params",
                                          covariate=params)
    assert "math_geometry_hard" in written.index and "bbh_boolean_expressions" in written.columns
    np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)


def test_task_min_models_drops_sparse_tasks(tmp_path):
    out = tmp_path / "pc1.csv"
    assert main(["corr", "open-llm-leaderboard-v2", "--partial", "pc1", "--task-min-models", "1000",
                 "--out", str(out)]) == 0
    written = pd.read_csv(out, index_col="task")
    assert "arc_challenge" not in written.index          # 85 models only
    wide = load_wide("open-llm-leaderboard-v2", min_models=1000)
    np.testing.assert_allclose(written.to_numpy(), partial_correlation_matrix(wide, "pc1").to_numpy(),
                               rtol=1e-12, atol=1e-15)


def test_errors_are_clear(tmp_path, capsys):
    assert main(["corr", "no-such-source", "--out", "-"]) == 2
    assert "unknown source 'no-such-source'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--method", "cosine", "--out", "-"]) == 2
    assert "unknown --method 'cosine'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--partial", "pc2", "--out", "-"]) == 2
    assert "unknown --partial 'pc2'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--partial", "log-params", "--out", "-"]) == 2
    assert "no parameter counts" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--out", str(tmp_path / "missing" / "x.csv")]) == 1
    assert "cannot write --out" in capsys.readouterr().err


def test_stdout_closed_early_ends_quietly():
    # `corr ... --out - | head -1`: the reader closes the pipe after one line; no traceback on stderr.
    done = subprocess.run(f"{sys.executable} -m evalcorr corr sloth --out - | head -1",
                          shell=True, capture_output=True, text=True)
    assert done.stdout.startswith("task,")  # sloth: a 105 x 105 matrix, more than a pipe buffer
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
