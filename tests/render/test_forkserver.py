"""Tests of evalcorr.render.forkserver: a forked kernel is a fresh kernel, and no kernel outlives its owner.

Each test starts real processes: a fork server (about a second of imports) and ipykernels.
"""

import json
from contextlib import contextmanager
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import run_sync

from evalcorr.render import forkserver, kernels

pytestmark = pytest.mark.skipif(not forkserver.supported(), reason="no fork on this platform")

# What a page could see of the process it runs in.
PROBE = """
import json, os, resource, sys, matplotlib, numpy, pyarrow
def faults_refilling_freed_memory():   # page faults of a 40 MB array made again after one was freed
    numpy.ones(5_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    numpy.ones(5_000_000)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
def open_files():      # the kind of every open file descriptor ("socket", "pipe", a path, ...)
    for fd in os.listdir("/proc/self/fd"):
        try:
            yield os.readlink(f"/proc/self/fd/{fd}").split(":")[0]
        except OSError:
            pass       # the directory listing's own descriptor, closed again
print(json.dumps({
    "cwd": os.getcwd(), "path": sys.path, "argv0": os.path.basename(sys.argv[0]),
    "hashseed": os.environ.get("PYTHONHASHSEED"), "hash": hash("evalcorr"),
    "blas": os.environ.get("OPENBLAS_NUM_THREADS"), "parent": os.environ.get("JPY_PARENT_PID"),
    "fds": sorted(open_files()),
    "huge_pages": numpy._core.multiarray._get_madvise_hugepage(),
    "arrow_pool": pyarrow.default_memory_pool().backend_name,
    "memory_reused": faults_refilling_freed_memory() < 1_000,
    "backend": matplotlib.get_backend(), "figures": len(__import__("matplotlib.pyplot").pyplot.get_fignums()),
    "user_names": sorted(k for k in globals() if not k.startswith("_") and k not in
                         {"In", "Out", "exit", "quit", "open", "open_files", "get_ipython", "json", "os", "sys", "matplotlib",
                          "numpy", "pyarrow", "resource", "faults_refilling_freed_memory"}),
}))
"""
FIGURE = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone"


def _client(kernel):
    client = BlockingKernelClient(connection_file=kernel.km.connection_file)
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


@contextmanager
def _connected(tmp_path, setup="pass\n"):
    """A kernel started in ``tmp_path`` and a client connected to it; both closed after."""
    kernel = kernels.start_kernel(tmp_path, setup)
    try:
        client = _client(kernel)
        try:
            yield kernel, client
        finally:
            client.stop_channels()
    finally:
        kernel.close()


def _run(client, code, timeout=60):
    """(reply content, [(msg_type, content)] of the outputs) of one execution."""
    outputs = []
    reply = client.execute_interactive(code, timeout=timeout,
                                       output_hook=lambda m: outputs.append((m["msg_type"], m["content"])))
    return reply["content"], outputs


def _output(client, code):
    _, outputs = _run(client, code)
    return "".join(c["text"] for kind, c in outputs if kind == "stream" and c["name"] == "stdout").strip()


def _probe(tmp_path, setup):
    """What PROBE prints in a new kernel, and the display bundles of FIGURE there."""
    with _connected(tmp_path, setup) as (_, client):
        seen = json.loads(_output(client, PROBE))
        _, figure = _run(client, FIGURE)
        return seen, [sorted(c["data"]) for kind, c in figure if kind == "display_data"]


@pytest.fixture()
def fresh_server(monkeypatch):
    """A fork server of this test's own, stopped after it."""
    monkeypatch.setattr(forkserver, "_server", None)
    monkeypatch.setattr(forkserver, "_server_failed", False)
    monkeypatch.delenv("EVALCORR_FORK_KERNELS", raising=False)
    yield
    forkserver.stop_fork_server()


def test_a_forked_kernel_sees_what_a_new_kernel_process_sees(fresh_server, tmp_path, monkeypatch):
    setup = "import matplotlib\n"
    forked = _probe(tmp_path, setup)
    assert forkserver._server is not None and forkserver._server.alive()
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")
    plain = _probe(tmp_path, setup)
    (seen, figures), (seen_plain, figures_plain) = forked, plain
    assert seen["cwd"] == str(tmp_path.resolve()) and seen["hashseed"] == "0" and seen["blas"] == "1"
    assert seen["backend"] == "module://matplotlib_inline.backend_inline" and seen["figures"] == 0
    assert seen["user_names"] == [] and "" in seen["path"] and seen["path"][0] != ""
    # freed arrays stay with the kernel's malloc (a 40 MB array is ~10,000 faults from the system), NumPy
    # does not ask for huge pages, and Arrow allocates through the same malloc
    assert seen["memory_reused"] and seen["huge_pages"] is False and seen["arrow_pool"] == "system"
    assert seen["parent"] == str(os.getpid())
    # a figure left open at the end of a cell is displayed once, as in any kernel
    assert figures == [["image/png", "text/plain"]]
    assert (seen, figures) == (seen_plain, figures_plain)


def _kernel_pid(kernel):
    client = _client(kernel)
    try:
        return int(_output(client, "import os; print(os.getpid())"))
    finally:
        client.stop_channels()


def _gone(pid, within=10.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_killing_the_kernel_process_jupyter_manages_kills_the_forked_kernel(fresh_server, tmp_path):
    kernel = kernels.start_kernel(tmp_path, "pass\n")
    try:
        pid = _kernel_pid(kernel)
        stand_in = kernel.km.provisioner.process
        assert stand_in.pid != pid
        os.kill(stand_in.pid, signal.SIGKILL)
        assert _gone(pid)
    finally:
        kernel.close()


def test_an_interrupt_reaches_the_forked_kernel(fresh_server, tmp_path):
    with _connected(tmp_path) as (kernel, client):
        msg_id = client.execute("import time; print('sleeping', flush=True); time.sleep(60)")
        while True:                     # interrupt once the cell runs (not before it starts)
            message = client.get_iopub_msg(timeout=20)
            if message["msg_type"] == "stream" and "sleeping" in message["content"]["text"]:
                break
        run_sync(kernel.km.interrupt_kernel)()
        reply = client.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["ename"] == "KeyboardInterrupt"


def test_a_kernel_that_ends_takes_its_stand_in_with_it(fresh_server, tmp_path):
    # The kernel ends itself, as a page's `exit()` ends it. (A shutdown request over the control channel
    # can deadlock ipykernel 7.4 itself, in a kernel started from scratch as well: its control thread
    # publishes the reply while the main thread's exit stops the IOPub thread. The renderer kills its
    # kernels instead.)
    kernel = kernels.start_kernel(tmp_path, "pass\n")
    pid = _kernel_pid(kernel)
    stand_in = kernel.km.provisioner.process
    client = _client(kernel)
    client.execute("exit()")
    client.stop_channels()
    assert _gone(pid)
    assert stand_in.wait(timeout=10) == 0
    kernel.close()


def test_stopping_the_server_stops_its_kernels(fresh_server, tmp_path):
    kernel = kernels.start_kernel(tmp_path, "pass\n")
    pid = _kernel_pid(kernel)
    forkserver.stop_fork_server()
    assert _gone(pid)
    kernel.close()


def test_a_kernel_that_asks_for_another_hash_seed_is_refused(fresh_server, tmp_path):
    server = forkserver.fork_server()
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    done = subprocess.run([sys.executable, "-I", "-S", str(forkserver.STANDIN), server.address, "--",
                           "-f", str(tmp_path / "kernel.json")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "PYTHONHASHSEED=7" in done.stderr and "PYTHONHASHSEED=0" in done.stderr


def test_without_fork_kernels_are_new_processes(monkeypatch):
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")
    monkeypatch.setattr(forkserver, "_server", None)
    spec = kernels.VenvKernelSpecs().get_kernel_spec(kernels.KERNEL_NAME)
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"] and forkserver._server is None


def test_the_server_exits_when_its_owner_closes_its_input(fresh_server):
    server = forkserver.fork_server()
    process = server.process
    process.stdin.close()
    assert process.wait(timeout=10) == 0
    assert not server.alive()
    # the next kernel start notices and starts a new server
    assert forkserver.fork_server() is not server and forkserver._server.alive()


def test_usage_errors_name_the_command():
    done = subprocess.run([sys.executable, "-m", "evalcorr.render.forkserver", "nonsense"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "serve ADDRESS" in done.stderr
    done = subprocess.run([sys.executable, "-I", "-S", str(forkserver.STANDIN), "nonsense"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "ADDRESS -- ARGS" in done.stderr


def test_the_kernel_spec_runs_the_stand_in_without_site_packages(fresh_server):
    # the stand-in runs without site-packages (the usage test above shows it can): it starts in milliseconds
    argv = kernels.VenvKernelSpecs().get_kernel_spec(kernels.KERNEL_NAME).argv
    assert argv == [sys.executable, "-I", "-S", str(forkserver.STANDIN), forkserver._server.address, "--",
                    "-f", "{connection_file}"]


def test_a_server_that_cannot_start_leaves_kernels_started_from_scratch(fresh_server, tmp_path, monkeypatch,
                                                                         capfd):
    # a socket path longer than Unix allows (108 bytes): the server fails to bind and exits
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(deep))
        spec = kernels.VenvKernelSpecs().get_kernel_spec(kernels.KERNEL_NAME)
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert forkserver._server is None and forkserver._server_failed
    assert "kernels are started without the fork server" in capfd.readouterr().err
    kernel = kernels.start_kernel(tmp_path, "pass\n")         # the failure is remembered: no second try
    try:
        assert kernel.km.kernel_spec.argv[2] == "ipykernel_launcher" and _kernel_pid(kernel) > 0
    finally:
        kernel.close()


def test_forking_is_linux_only():
    assert forkserver.supported() == (sys.platform.startswith("linux"))


def test_a_large_environment_reaches_the_kernel(fresh_server, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALCORR_TEST_LARGE", "y" * 100_000)      # more than one socket message
    with _connected(tmp_path) as (kernel, client):
        assert _output(client, "import os; print(len(os.environ['EVALCORR_TEST_LARGE']))") == "100000"
        assert "fork" in " ".join(kernel.km.kernel_spec.argv)


def test_the_processes_a_page_started_end_with_its_kernel(fresh_server, tmp_path):
    with _connected(tmp_path) as (_, client):
        child = int(_output(client, "import subprocess; print(subprocess.Popen(['sleep', '300']).pid)"))
        same_group = _output(client, f"import os; print(os.getpgid({child}) == os.getpgid(0) == os.getpid())")
        assert same_group == "True"         # the kernel leads a process group of its own
    assert _gone(child)                     # closing killed the stand-in; the server killed the kernel's group


def test_forked_kernels_do_not_share_numpy_random_state(fresh_server, tmp_path):
    draws = []
    for _ in range(2):
        with _connected(tmp_path) as (_, client):
            draws.append(_output(client, "import numpy, random; print(numpy.random.rand(), random.random())"))
    (numpy_a, random_a), (numpy_b, random_b) = (d.split() for d in draws)
    assert numpy_a != numpy_b and random_a != random_b


def test_the_server_outlives_a_stand_in_that_dies_before_its_kernel_is_named(fresh_server, tmp_path):
    server = forkserver.fork_server()
    body = json.dumps({"args": ["-f", str(tmp_path / "k.json")], "cwd": str(tmp_path),
                       "env": dict(os.environ)}).encode()
    with open(os.devnull, "r+b") as null:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(server.address)
        socket.send_fds(conn, [f"{len(body)}\n".encode() + body], [null.fileno()] * 3)
        conn.close()                        # gone before the server answers with the kernel's pid
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    deadline = time.monotonic() + 10
    while children.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children.read_text().strip() == ""          # the kernel forked for it was killed and reaped
    assert server.alive()
    kernel = kernels.start_kernel(tmp_path, "pass\n")  # and the next kernel starts as usual
    try:
        assert _kernel_pid(kernel) > 0
    finally:
        kernel.close()


def test_what_the_server_imported_is_out_of_the_kernels_garbage_collections(fresh_server, tmp_path):
    # A full collection in a kernel walks only the objects the kernel made: the imported modules'
    # objects are frozen in the server (a kernel started from scratch has nothing frozen).
    with _connected(tmp_path) as (_, client):
        frozen = int(_output(client, "import gc; print(gc.get_freeze_count())"))
        assert frozen > 100_000          # the preloaded libraries' objects, not a handful
        # the server imports with the collector off; its kernels collect, less often than by default
        assert _output(client, "print(gc.isenabled())").strip() == "True"
        assert _output(client, "print(gc.get_threshold())").strip() == str(forkserver.KERNEL_GC_THRESHOLD)
        assert forkserver.KERNEL_GC_THRESHOLD[0] > 700
        # and still collect a cycle once enough objects were made
        found = _output(client, "class Node: pass\na = Node(); a.me = a; import weakref; w = weakref.ref(a); del a\n"
                                "junk = [[] for _ in range(200_000)]; del junk; print(w() is None)")
        assert found.strip() == "True"


def test_a_pages_first_parquet_table_and_image_import_nothing_new(fresh_server, tmp_path):
    # What every page does early (read a parquet file, print a Markdown table, draw a heatmap's pixels
    # into an SVG) imports its modules in the server, once, not in each kernel.
    code = ("import sys, io, numpy as np, pandas as pd, matplotlib.pyplot as plt\n"
            "from evalcorr.text import markdown_table\n"
            "path = r'%s'\n"
            "pd.DataFrame({'task': ['a', 'b'], 'score': [0.5, 0.25]}).to_parquet(path)\n"
            "fig, ax = plt.subplots()\n"        # the kernel's backend, which a page's set-up loads first
            "before = set(sys.modules)\n"
            "table = pd.read_parquet(path)\n"
            "text = markdown_table(table)\n"
            "ax.imshow(np.eye(3)); fig.savefig(io.BytesIO(), format='svg')\n"
            "print(sorted(set(sys.modules) - before))") % (tmp_path / "table.parquet")
    with _connected(tmp_path) as (_, client):
        new = _output(client, code).strip()
    assert new == "[]"


def test_the_server_can_be_started_in_the_background(fresh_server, monkeypatch):
    starts, start = [], forkserver.ForkServer.start
    monkeypatch.setattr(forkserver.ForkServer, "start", lambda self: starts.append(self) or start(self))
    monkeypatch.setenv("EVALCORR_FORK_KERNELS", "0")
    forkserver.start_fork_server()             # kernels are not forked: nothing starts
    time.sleep(0.5)
    assert forkserver._server is None
    monkeypatch.delenv("EVALCORR_FORK_KERNELS")
    forkserver.start_fork_server()             # returns before the server's imports are done
    assert forkserver._server is None
    server = forkserver.fork_server()          # waits for the background start instead of starting another
    assert server.alive() and forkserver._server is server
    forkserver.start_fork_server()             # running: a no-op
    time.sleep(0.2)
    assert forkserver._server is server and starts == [server]
