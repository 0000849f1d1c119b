"""Tests of evalcorr.render.kernels: the spare-kernel bookkeeping and the venv kernel spec.

Real kernels are exercised by tests/render/test_execute.py (a page run in a fresh kernel and again in a
kernel started in advance, byte-identical); here kernel starts are replaced by stand-ins.
"""

import sys

import pytest

from evalcorr.render import kernels


class FakeKernel:
    def __init__(self, root, alive=True):
        self.project_root = root
        self.alive = alive
        self.closed = False

    def is_alive(self):
        return self.alive

    def close(self):
        self.closed = True


@pytest.fixture()
def started(monkeypatch, tmp_path):
    """Replace kernel starts by FakeKernels and record them; no spare before or after the test."""
    log = []

    def fake_start(root):
        log.append(FakeKernel(root))
        return log[-1]

    monkeypatch.setattr(kernels, "start_kernel", fake_start)
    monkeypatch.setattr(kernels, "_spare", None)
    yield log
    kernels.discard_spare()


def test_without_prestart_every_page_gets_a_new_kernel(started, tmp_path):
    first, used = kernels.acquire_kernel(tmp_path)
    second, used2 = kernels.acquire_kernel(tmp_path)
    assert first is not second and not used and not used2
    assert len(started) == 2 and kernels._spare is None


def test_prestart_hands_the_spare_to_the_next_page_of_the_same_project(started, tmp_path):
    first, used = kernels.acquire_kernel(tmp_path, prestart=True)
    assert not used and len(started) == 2 and kernels._spare is started[1]
    second, used = kernels.acquire_kernel(tmp_path)
    assert used and second is started[1] and kernels._spare is None and len(started) == 2


def test_spare_of_another_project_or_dead_is_closed_not_used(started, tmp_path):
    kernels.acquire_kernel(tmp_path / "a", prestart=True)
    spare = kernels._spare
    kernel, used = kernels.acquire_kernel(tmp_path / "b")
    assert not used and spare.closed and kernel.project_root == (tmp_path / "b").resolve()

    kernels.acquire_kernel(tmp_path, prestart=True)
    kernels._spare.alive = False
    dead = kernels._spare
    _, used = kernels.acquire_kernel(tmp_path)
    assert not used and dead.closed


def test_discard_spare(started, tmp_path):
    kernels.acquire_kernel(tmp_path, prestart=True)
    spare = kernels._spare
    kernels.discard_spare()
    assert spare.closed and kernels._spare is None
    kernels.discard_spare()  # nothing left: no error


def test_kernel_spec_uses_this_interpreter_and_a_fixed_hash_seed():
    spec = kernels.VenvKernelSpecs().get_kernel_spec("anything")
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert spec.env["PYTHONHASHSEED"] == "0"


def test_setup_code_is_valid_python_and_guarded():
    compile(kernels.SETUP_CODE, "<setup>", "exec")
    assert 'getattr(ip, "_evalcorr_ready", False)' in kernels.SETUP_CODE
    assert f"> {kernels.SVG_MAX_BYTES}" in kernels.SETUP_CODE
