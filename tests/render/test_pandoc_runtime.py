"""Pandoc's run-time options: they reach the pandoc process, change nothing it writes, and spare memory."""

import os
import subprocess

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import pandoc
from evalcorr.render.pandoc import RTS_OPTIONS, pandoc_environment, pandoc_path, run_pandoc

# Enough Markdown for pandoc to allocate well beyond its 16 MB allocation area.
DOCUMENT = "\n\n".join(f"Paragraph {i} with *emphasis*, a [link](https://example.org/{i}) and $x_{i}$."
                       for i in range(3000))


def test_the_runtime_options_come_first_and_the_users_win(monkeypatch):
    monkeypatch.setenv("GHCRTS", "-A64m")
    monkeypatch.setenv("EVALCORR_SOMETHING", "kept")
    env = pandoc_environment()
    assert env["GHCRTS"] == f"{RTS_OPTIONS} -A64m"
    assert env["EVALCORR_SOMETHING"] == "kept"
    monkeypatch.delenv("GHCRTS")
    assert pandoc_environment()["GHCRTS"] == RTS_OPTIONS


def test_the_runtime_options_reach_pandoc(monkeypatch):
    # an option pandoc's runtime rejects fails the run: the options are really passed
    monkeypatch.setattr(pandoc, "RTS_OPTIONS", "-H0")
    with pytest.raises(RenderError, match="RTS option -H0"):
        run_pandoc(["-f", "markdown", "-t", "html5"], "Some *text*.", what="a test")


def test_the_runtime_options_change_no_output_and_touch_less_memory():
    args = ["-f", "markdown", "-t", "json"]
    built_in = {**os.environ, "GHCRTS": ""}
    plain, plain_faults = _run_with_usage(args, built_in)
    tuned, tuned_faults = _run_with_usage(args, pandoc_environment())
    assert tuned == plain
    assert run_pandoc(args, DOCUMENT, what="a test") == plain
    # the built-in 64 MB suggested heap is filled before the first collection; 16 MB is not
    assert tuned_faults < 0.75 * plain_faults


def _run_with_usage(args: list[str], env: dict[str, str]) -> tuple[str, int]:
    """Pandoc's output for DOCUMENT and the minor page faults of its process (from wait4)."""
    process = subprocess.Popen([pandoc_path(), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    process.stdin.write(DOCUMENT.encode())
    process.stdin.close()
    output = process.stdout.read().decode()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return output, usage.ru_minflt
