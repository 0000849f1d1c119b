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
    assert len(rows) == 16
    assert [row.split()[:2] for row in rows[-2:]] == [["controlled-transfer", "transfer"],
                                                       ["controlled-population", "scores"]]


BOOM_PARSER = '''
import pandas as pd

KIND = "transfer"


def parse(files):
    return pd.read_csv(files["toy/transfer.csv"]).merge(pd.DataFrame({"model": ["m1", "m1"]}), validate="1:1")
'''


def test_a_parser_failing_with_any_exception_is_reported_and_the_run_goes_on(world, capsys):
    (world["mirror"].parent / "toyparsers/toy_boom.py").write_text(BOOM_PARSER)
    set_parser(world, "toy-transfer", "toyparsers.toy_boom")
    (world["mirror"] / "toy/scores.csv").write_text("corrupt\n")
    assert main(["data", "--source", "toy-transfer", "toy-scores", "toy-empty"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "MergeError" in err and str(world["mirror"] / "toy/transfer.csv") in err
    assert "3 FAILED (toy-transfer, toy-scores, toy-empty)" in out
    summary = out[out.index("FAILED (") :]
    assert f"FAILED toy-transfer: {world['mirror'] / 'toy/transfer.csv'}: the parser toyparsers.toy_boom" in summary
    assert "FAILED toy-scores: checksum mismatch for toy/scores.csv" in summary
    assert "FAILED toy-empty: parser toyparsers.toy_empty returned an empty table" in summary


def test_a_base_url_that_is_not_an_address_is_one_line(world):
    done = subprocess.run(_command(world, "data", "--source", "toy-scores", "--from-url", "notaurl"),
                          capture_output=True, text=True, timeout=60, env=_env(world))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "evalcorr data: toy-scores: --from-url 'notaurl' is not an http(s) address of a mirror server (e.g. "
        "http://127.0.0.1:8000); give the server's address, or --mirror DIR for a folder"]


def _env(world) -> dict:
    import os

    return {**os.environ, "EVALCORR_DATA_DIR": str(world["mirror"]), "EVALCORR_CACHE_DIR": str(world["cache"]),
            "PYTHONPATH": f"{world['mirror'].parent}:{PROJECT_ROOT}"}


def _command(world, *args) -> list[str]:
    """`python -m evalcorr ARGS` as a process that reads the toy manifest."""
    script = ("import sys; from evalcorr.data import manifest; "
              f"manifest.MANIFEST_PATH = manifest.Path({str(world['manifest'])!r}); "
              f"from evalcorr.cli import main; sys.exit(main({list(args)!r}))")
    return [sys.executable, "-c", script]


def test_ctrl_c_during_a_download_is_one_line_and_keeps_the_part_file(world):
    import signal
    import time

    part = world["cache"] / "downloads/toy/scores.csv.part"
    with mirror_server(world["mirror"], trickle={"toy/scores.csv": 0.05}) as server:
        # a shell may start the tests with SIGINT ignored, which the child would inherit
        process = subprocess.Popen(_command(world, "data", "--source", "toy-scores", "--from-url", server.url),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(world),
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 30
        while not part.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a few bytes arrive
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.splitlines() == ["evalcorr data: interrupted; a partial download is kept (.part) and the next run "
                                "resumes it"]
    assert part.stat().st_size > 0


def test_a_complete_cache_without_a_mirror_is_used_and_said_so(world, capsys, monkeypatch, tmp_path):
    from evalcorr.data import locations

    assert main(["data", *TOYS]) == 0
    shutil.rmtree(world["mirror"])
    monkeypatch.delenv("EVALCORR_DATA_DIR")
    monkeypatch.setattr(locations, "DEFAULT_MIRROR", tmp_path / "no-mirror")
    capsys.readouterr()
    assert main(["data", *TOYS]) == 1  # make data still insists on verified raw files
    capsys.readouterr()
    assert main(["data", *TOYS, "--cache-if-no-mirror"]) == 0
    out = capsys.readouterr().out
    assert ("toy-scores: up to date (10 rows); no mirror directory is set (EVALCORR_DATA_DIR) and ../shared/data "
            "does not exist, so the raw files were not re-verified") in out
    assert "(2 cached, raw files not re-verified: no mirror)" in out


def test_make_render_builds_the_data_in_the_mode_that_accepts_a_complete_cache():
    done = subprocess.run(["make", "-n", "render"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    commands = done.stdout.splitlines()
    data = next(i for i, line in enumerate(commands) if "-m evalcorr data" in line)
    render = next(i for i, line in enumerate(commands) if "-m evalcorr render" in line)
    assert "--cache-if-no-mirror" in commands[data] and data < render
