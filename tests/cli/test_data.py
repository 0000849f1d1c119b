"""`python -m evalcorr data` and `python -m evalcorr sources` (evalcorr.cli.data / .sources)."""

import shutil
import subprocess
import sys

import pytest

from tests._datalayer import make_world, mirror_server, parse_calls, set_parser
from evalcorr.cli import main
from evalcorr.data.manifest import PROJECT_ROOT


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


TOYS = ["--source", "toy-scores", "--source", "toy-transfer"]


def test_data_builds_then_is_up_to_date(world, capsys):
    assert main(["data", *TOYS]) == 0
    out = capsys.readouterr().out
    assert "toy-scores: built 10 rows (3 models x 3 tasks)" in out
    assert "toy-transfer: built 4 rows (2 models x 2 tasks)" in out
    assert "2 built" in out
    assert main(["data", *TOYS]) == 0
    out = capsys.readouterr().out
    assert "toy-scores: up to date (10 rows; 1 files verified)" in out and "0 built" in out
    assert parse_calls(world) == ["toy-scores", "toy-transfer"]
    assert main(["data", "--source", "toy-scores", "--force"]) == 0
    assert parse_calls(world) == ["toy-scores", "toy-transfer", "toy-scores"]


def test_data_verify_only_builds_nothing(world, capsys):
    assert main(["data", "--verify", "--source", "toy-scores", "toy-transfer"]) == 0
    assert "toy-scores: 1 files verified" in capsys.readouterr().out
    assert parse_calls(world) == [] and not world["cache"].exists()


def test_data_sources_without_parser_are_verified_and_reported(world, capsys):
    set_parser(world, "toy-transfer", None)
    assert main(["data", *TOYS]) == 0
    out = capsys.readouterr().out
    assert "toy-transfer: 1 files verified; no parser yet, not built" in out and "1 without parser" in out


def test_data_from_url_and_explicit_mirror(world, capsys, tmp_path):
    other = tmp_path / "elsewhere"
    shutil.copytree(world["mirror"], other)
    shutil.rmtree(world["mirror"])
    assert main(["data", "--source", "toy-scores", "--mirror", str(other)]) == 0
    with mirror_server(other) as server:
        assert main(["data", "--source", "toy-transfer", "--from-url", server.url]) == 0
    assert (world["cache"] / "downloads/toy/transfer.csv").is_file()
    assert [path for path, _ in server.requests] == ["/toy/transfer.csv"]


def test_data_errors_exit_nonzero_with_the_reason(world, capsys):
    (world["mirror"] / "toy/scores.csv").write_text("corrupt\n")
    assert main(["data", *TOYS]) == 1
    out, err = capsys.readouterr()
    assert "toy-scores: checksum mismatch for toy/scores.csv" in err
    assert "toy-transfer: built 4 rows" in out  # the other sources are still built
    assert "1 FAILED (toy-scores)" in out
    assert main(["data", "--source", "ghost"]) == 2
    assert "unknown source(s) ghost" in capsys.readouterr().err
    assert main(["data", "--source", "toy-empty"]) == 1
    assert "empty table" in capsys.readouterr().err


def test_sources_table_shows_counts_and_cache_state(world, capsys):
    main(["data", "--source", "toy-scores"])
    capsys.readouterr()
    assert main(["sources"]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert lines["toy-scores"] == ["toy-scores", "scores", "3", "3", "10", "2024-01", "..", "2024-06", "(2)",
                                   "MIT", "yes"]
    assert lines["toy-transfer"] == ["toy-transfer", "transfer", "MIT", "no"]
    parser = world["mirror"].parent / "toyparsers/toy_scores.py"
    parser.write_text(parser.read_text() + "\n# edited\n")
    main(["sources"])
    assert "stale" in capsys.readouterr().out


def test_sources_command_runs_as_a_process():
    done = subprocess.run([sys.executable, "-m", "evalcorr", "sources"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    header, rule, *rows = done.stdout.splitlines()
    assert header.split() == ["id", "kind", "models", "tasks", "rows", "snapshot", "licence", "cached"]
    assert [row.split()[0] for row in rows][:2] == ["open-llm-leaderboard-v2", "hf-open-llm-v2"]
    assert len(rows) == 14
