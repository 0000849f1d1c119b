"""Choosing the renderer: Quarto on PATH, one remembered attempt to install quarto-cli, the override."""

import subprocess

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import choose_renderer, quarto


@pytest.fixture()
def no_quarto_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    monkeypatch.setattr(quarto, "_venv", lambda: venv)
    return venv


def test_quarto_on_path_is_found(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert quarto.find_quarto(install=False) == str(fake)


def test_failed_install_is_remembered(no_quarto_on_path, monkeypatch):
    calls = []

    def failing_pip(args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, 1, "", "ERROR: Failed building wheel for quarto-cli")

    monkeypatch.setattr(quarto.subprocess, "run", failing_pip)
    assert quarto.find_quarto(log=lambda line: None) is None
    assert calls and calls[0][-1] == "quarto-cli"
    marker = no_quarto_on_path / quarto.MARKER
    assert "Failed building wheel" in marker.read_text()
    assert quarto.find_quarto(log=lambda line: None) is None
    assert len(calls) == 1  # the second render does not try again


def test_install_timeout_counts_as_failure(no_quarto_on_path, monkeypatch):
    def slow_pip(args, **kwargs):
        raise subprocess.TimeoutExpired(args, kwargs["timeout"])

    monkeypatch.setattr(quarto.subprocess, "run", slow_pip)
    assert quarto.find_quarto(timeout=1, log=lambda line: None) is None
    assert "timed out" in (no_quarto_on_path / quarto.MARKER).read_text()


def test_auto_falls_back_to_offline_and_says_so(no_quarto_on_path, monkeypatch):
    (no_quarto_on_path / quarto.MARKER).write_text("failed before\n")
    monkeypatch.delenv("EVALCORR_RENDERER", raising=False)
    lines = []
    assert choose_renderer("auto", log=lines.append) == ("offline", None)
    assert any("offline renderer" in line for line in lines)


def test_environment_variable_forces_a_renderer(no_quarto_on_path, monkeypatch):
    (no_quarto_on_path / quarto.MARKER).write_text("failed before\n")
    monkeypatch.setenv("EVALCORR_RENDERER", "offline")
    assert choose_renderer("auto") == ("offline", None)
    monkeypatch.setenv("EVALCORR_RENDERER", "quarto")
    with pytest.raises(RenderError, match="Quarto renderer was requested"):
        choose_renderer("auto")
    monkeypatch.setenv("EVALCORR_RENDERER", "latex")
    with pytest.raises(RenderError, match="'latex' .* is not one of auto, quarto, offline"):
        choose_renderer("auto")
    assert choose_renderer("offline") == ("offline", None)  # an explicit argument wins


def _fake_quarto(tmp_path, version):
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!/bin/sh\necho {version}\n")
    fake.chmod(0o755)
    return fake


def test_quarto_on_path_is_used_when_it_meets_quarto_required(monkeypatch, tmp_path):
    fake = _fake_quarto(tmp_path, "1.10.18")
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.delenv("EVALCORR_RENDERER", raising=False)
    assert quarto.quarto_version(str(fake)) == (1, 10, 18)
    assert choose_renderer("auto", required=">= 1.9.18") == ("quarto", str(fake))


def test_too_old_quarto_falls_back_or_is_refused(monkeypatch, tmp_path):
    fake = _fake_quarto(tmp_path, "1.4.550")
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.delenv("EVALCORR_RENDERER", raising=False)
    lines = []
    assert choose_renderer("auto", log=lines.append, required=">= 1.9.18") == ("offline", None)
    assert any("1.4.550, older than quarto-required" in line for line in lines)
    with pytest.raises(RenderError, match=r"Quarto 1\.4\.550 .* does not meet quarto-required '>= 1\.9\.18'"):
        choose_renderer("quarto", required=">= 1.9.18")


@pytest.mark.parametrize("version, required, ok", [
    ((1, 9, 18), ">= 1.9.18", True), ((1, 10), ">= 1.9.18", True), ((1, 9, 17), ">= 1.9.18", False),
    (None, ">= 1.9.18", False), ((1, 0), None, True), ((1, 0), "1.*", True),
])
def test_meets_requirement(version, required, ok):
    assert quarto.meets_requirement(version, required) is ok
