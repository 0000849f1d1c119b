"""Tests of evalcorr.render.kernels: the spare-kernel bookkeeping and the venv kernel spec.

Real kernels are exercised by tests/render/test_execute.py (a page run in a fresh kernel and again in a
kernel started in advance, byte-identical); here kernel starts are replaced by stand-ins.
"""

import sys

import pytest
import zmq
from jupyter_core.utils import run_sync

from evalcorr.render import kernels


SETUP = "pass\n"


class FakeKernel:
    def __init__(self, cwd, setup, alive=True):
        self.cwd = cwd
        self.setup = setup
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

    def fake_start(cwd, setup):
        log.append(FakeKernel(cwd, setup))
        return log[-1]

    monkeypatch.setattr(kernels, "start_kernel", fake_start)
    monkeypatch.setattr(kernels, "_spare", None)
    yield log
    kernels.discard_spare()


def test_without_prestart_every_page_gets_a_new_kernel(started, tmp_path):
    first, used = kernels.acquire_kernel(tmp_path, SETUP)
    second, used2 = kernels.acquire_kernel(tmp_path, SETUP)
    assert first is not second and not used and not used2
    assert len(started) == 2 and kernels._spare is None


def test_prestart_hands_the_spare_to_the_next_page_in_the_same_folder(started, tmp_path):
    first, used = kernels.acquire_kernel(tmp_path, SETUP, prestart=True)
    assert not used and len(started) == 2 and kernels._spare is started[1]
    second, used = kernels.acquire_kernel(tmp_path, SETUP)
    assert used and second is started[1] and kernels._spare is None and len(started) == 2


def test_spare_of_another_project_or_dead_is_closed_not_used(started, tmp_path):
    kernels.acquire_kernel(tmp_path / "a", SETUP, prestart=True)
    spare = kernels._spare
    kernel, used = kernels.acquire_kernel(tmp_path / "b", SETUP)
    assert not used and spare.closed and kernel.cwd == (tmp_path / "b").resolve()

    kernels.acquire_kernel(tmp_path, SETUP, prestart=True)
    spare = kernels._spare
    _, used = kernels.acquire_kernel(tmp_path, "other setup\n")  # same folder, another set-up
    assert not used and spare.closed

    kernels.acquire_kernel(tmp_path, SETUP, prestart=True)
    kernels._spare.alive = False
    dead = kernels._spare
    _, used = kernels.acquire_kernel(tmp_path, SETUP)
    assert not used and dead.closed


def test_discard_spare(started, tmp_path):
    kernels.acquire_kernel(tmp_path, SETUP, prestart=True)
    spare = kernels._spare
    kernels.discard_spare()
    assert spare.closed and kernels._spare is None
    kernels.discard_spare()  # nothing left: no error


def test_kernel_spec_uses_this_interpreter_and_a_fixed_hash_seed(monkeypatch):
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")     # forked kernels: tests/render/test_forkserver.py
    spec = kernels.VenvKernelSpecs().get_kernel_spec("anything")
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert spec.env["PYTHONHASHSEED"] == "0"


def test_setup_code_is_quartos_setup_for_the_figure_options():
    code = kernels.FigureOptions(format="svg", width=7, height=4.5, dpi=100).setup_code("/project")
    compile(code, "<setup>", "exec")
    assert 'getattr(ip, "_evalcorr_ready", False)' in code
    assert 'plt.rcParams["figure.figsize"] = (7, 4.5)' in code and 'plt.rcParams["savefig.dpi"] = 100' in code
    assert "set_matplotlib_formats('svg', metadata={'Date': None})" in code
    assert "os.chdir('/project')" in code
    # nothing that hides a display: no closing of figures, no replaced formatters
    assert "close" not in code and "for_type" not in code
    assert "os.chdir" not in kernels.FigureOptions().setup_code(None)
    assert kernels.FigureOptions() == kernels.FigureOptions(format="retina", width=7.0, height=5.0, dpi=96)


# --------------------------------------------------------------------------------------------------
# PageKernelClient: real kernels


def _ready_client(kernel, timeout=60):
    client = kernel.km.client()
    assert isinstance(client, kernels.PageKernelClient)
    client.start_channels()
    run_sync(client.wait_for_ready)(timeout=timeout)
    return client


def _iopub_of(client, msg_id, timeout=30):
    """Every IOPub message of one request, up to its idle status."""
    out = []
    while True:
        message = run_sync(client.iopub_channel.get_msg)(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return out


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_ready_client_loses_no_output_of_the_first_cell(monkeypatch, tmp_path, fork):
    """Ready means both channels are connected: the first execution's busy status, its output and its
    idle status all arrive (run on fresh kernels, where a late IOPub connection would lose them)."""
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", fork)
    for _ in range(3):
        kernel = kernels.start_kernel(tmp_path, "pass\n")
        client = _ready_client(kernel)
        try:
            msg_id = client.execute("print('first')")
            kinds = [(m["msg_type"], m["content"].get("execution_state") or m["content"].get("text"))
                     for m in _iopub_of(client, msg_id)]
            assert kinds[0] == ("status", "busy") and ("stream", "first\n") in kinds
            # the client tried to connect every 5 ms (not ZeroMQ's 100 ms) until the kernel listened
            sockets = [client.shell_channel.socket, client.iopub_channel.socket, client.stdin_channel.socket]
            intervals = [s.getsockopt(zmq.RECONNECT_IVL) for s in sockets]
            assert intervals == [kernels.PageKernelClient.RECONNECT_MS] * 3
        finally:
            client.stop_channels()
            kernel.close()


def test_waiting_for_a_dead_kernel_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")
    kernel = kernels.start_kernel(tmp_path, "import os\nos._exit(3)\n")      # dies while it boots
    client = kernel.km.client()
    client.start_channels()
    try:
        with pytest.raises(RuntimeError, match="died|respond"):
            run_sync(client.wait_for_ready)(timeout=20)
    finally:
        client.stop_channels()
        kernel.close()


def test_a_killed_kernel_is_checked_for_every_5_ms_until_it_has_ended(monkeypatch, tmp_path):
    """After the immediate shutdown kills a page's kernel, the manager checks every 5 ms (not
    jupyter_client's 0.1 s) whether the process has ended."""
    import asyncio

    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")
    kernel = kernels.start_kernel(tmp_path, "pass\n")
    process = kernel.km.provisioner.process
    try:
        alive = iter([True, True, False])       # ended at the third check
        checks, waits, sleep = [], [], asyncio.sleep

        async def is_alive():
            checks.append(1)
            return next(alive)

        async def recorded_sleep(seconds, *args, **kwargs):
            waits.append(seconds)
            return await sleep(0, *args, **kwargs)

        monkeypatch.setattr(kernel.km, "_async_is_alive", is_alive)
        monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
        run_sync(kernel.km._async_wait)()
        assert len(checks) == 3 and waits == [kernels.PageKernelManager.SHUTDOWN_POLL_SECONDS] * 2
    finally:
        monkeypatch.undo()
        kernel.close()
    assert process.poll() is not None           # the real shutdown: killed, waited for and reaped
