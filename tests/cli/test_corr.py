"""`python -m evalcorr corr` end to end on the real HELM MMLU and leaderboard data."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd

from evalcorr.cli import main
from evalcorr.data.loaders import load_scores, load_wide
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
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


def test_partial_task_and_family_means_controls(tmp_path):
    from evalcorr.data.loaders import load_families

    wide = load_wide("open-llm-leaderboard-v2", min_models=1000)
    for control, kwargs in (("task:mmlu_pro", {}),
                            ("family-means", {"families": load_families("open-llm-leaderboard-v2")})):
        out = tmp_path / "partial.csv"
        assert main(["corr", "open-llm-leaderboard-v2", "--partial", control, "--task-min-models", "1000",
                     "--out", str(out)]) == 0
        written = pd.read_csv(out, index_col="task")
        expected = partial_correlation_matrix(wide, control, **kwargs)
        np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-15)
    assert written.notna().all().all()


def test_errors_are_clear(tmp_path, capsys):
    assert main(["corr", "no-such-source", "--out", "-"]) == 2
    assert "unknown source 'no-such-source'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--method", "cosine", "--out", "-"]) == 2
    assert "unknown --method 'cosine'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--partial", "pc2", "--out", "-"]) == 2
    assert "unknown --partial 'pc2'" in capsys.readouterr().err
    assert main(["corr", "helm-mmlu", "--partial", "task:no_such_subject", "--out", "-"]) == 2
    assert "no task 'no_such_subject'" in capsys.readouterr().err
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


def test_long_output_writes_n_and_the_interval_with_each_coefficient(tmp_path):
    out = tmp_path / "epoch.csv"
    assert main(["corr", "epoch-benchmark-stitching", "--long", "--min-models", "3", "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == ["task_a", "task_b", "n", "r", "ci_low", "ci_high", "p"]
    expected = correlation_pairs(load_wide("epoch-benchmark-stitching"), min_periods=3)
    pd.testing.assert_frame_equal(written, expected[list(written.columns)].astype({"task_a": object, "task_b": object}),
                                  check_dtype=False, rtol=1e-12)
    assert (written.loc[written["n"] < 3, ["r", "p"]].isna()).all().all()
    assert (written["n"] < 3).any() and written.loc[written["n"] >= 3, "r"].notna().any()


def test_two_models_are_too_few_for_a_coefficient(capsys):
    assert main(["corr", "epoch-benchmark-stitching", "--min-models", "2", "--out", "-"]) == 2
    assert "--min-models must be at least 3 (with 2 models every r is +-1), got 2" in capsys.readouterr().err


def test_a_task_filter_that_keeps_no_pair_is_an_error(capsys):
    assert main(["corr", "helm-mmlu", "--task-min-models", "100000", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert "--task-min-models 100000 leaves 0 tasks of helm-mmlu (the most complete task has 79 models)" in err
    assert capsys.readouterr().out == ""


def test_long_output_is_for_plain_correlations(capsys):
    assert main(["corr", "helm-mmlu", "--long", "--partial", "pc1", "--out", "-"]) == 2
    assert "--long writes the intervals and p-values of plain correlations" in capsys.readouterr().err
