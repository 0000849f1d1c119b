"""Page kernels forked from one process that has already imported what the pages import.

A page's kernel spends most of its start importing IPython, pandas, matplotlib, SciPy and evalcorr
(about 1.5 s of CPU each, on every page). The fork server imports them once; each kernel is then a
``fork`` of it that runs a plain ipykernel, as ``python -m ipykernel_launcher`` would, in the page's
directory with the kernel spec's environment. Nothing runs in the server but imports: every kernel
starts from the same state, with no page's variables, caches or matplotlib figures.

Three processes take part:

``serve`` (the fork server)
    started once per render by :class:`ForkServer`, in a session of its own; imports :data:`PRELOAD`,
    then listens on a Unix socket. It exits when its standard input closes (the renderer ended, however
    it ended) and takes its kernels with it. A request that goes wrong is reported on stderr and does
    not disturb the other kernels.
the kernel's stand-in (:mod:`evalcorr.render.kernel_standin`)
    what the kernel spec runs, so that jupyter_client manages it like any kernel process. It hands the
    server its arguments, working directory, environment and standard streams, forwards the signals it
    gets (interrupt, terminate) to the kernel's process group and ends as the kernel ends (its exit
    status, or the signal that killed it).
the kernel
    the server's child, in a session and process group of its own as jupyter_client starts a kernel.
    When its stand-in dies (jupyter_client kills it on shutdown) the server kills the kernel's process
    group, with whatever the page started; when the server dies, the kernel is killed too (Linux's
    parent-death signal).

What a kernel has of its own, as in a new process: the working directory, environment variables,
``sys.argv``, the standard streams, its set-up (matplotlib backend, exec_files), NumPy's global random
state (reseeded; Python's ``random`` reseeds itself after a fork) and the exit handlers run at its end.
What it shares with the server by construction: the objects the imports made, set aside from the cyclic
garbage collector once they are done (``gc.freeze``: a kernel's full collections walk only what the
kernel made), and the collector's thresholds (:data:`KERNEL_GC_THRESHOLD`: rarer collections); the hash
seed, BLAS thread counts, malloc's settings, NumPy's use of huge pages, Arrow's memory pool and pydevd's
flags, read when a process starts or a module is imported. The server is
started with the kernel spec's values of them and refuses to fork a kernel whose environment asks for
others (:data:`FIXED_AT_START`). Also read at import, so from the directory the render was started in rather
than the page's: a ``matplotlibrc`` file in the working directory.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from pathlib import Path

# Imported by the server before any fork. matplotlib_inline's backend is *not* among them: importing it
# hooks matplotlib into the running IPython shell, which only exists in the kernel.
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.debugger", "numpy", "pandas", "pyarrow.parquet",
           "matplotlib.pyplot", "scipy.stats", "scipy.optimize", "scipy.cluster.hierarchy",
           # imported on first use by every page, about 40 ms a kernel: by reading a parquet file
           # (pyarrow.dataset, pyarrow.pandas_compat) and by a Markdown table (tabulate)
           "pyarrow.dataset", "pyarrow.pandas_compat", "tabulate")
# evalcorr's layers that pages import from (every module of each).
PRELOAD_PACKAGES = ("evalcorr.data", "evalcorr.stats", "evalcorr.figures", "evalcorr.text", "evalcorr.site")
# Read when the process starts (the interpreter, BLAS, glibc's malloc) or when a preloaded module is
# imported (NumPy, Arrow's memory pool, the debugger's pydevd): a kernel must ask for what the server was
# started with.
FIXED_AT_START = ("PYTHONHASHSEED", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                  "PYDEVD_DISABLE_FILE_VALIDATION", "GLIBC_TUNABLES", "NUMPY_MADVISE_HUGEPAGE",
                  "ARROW_DEFAULT_MEMORY_POOL")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# Run as a file by ``python -I -S``: standard library only, no site-packages, no evalcorr package to
# import first (10 ms a kernel instead of 40 ms through ``python -m``).
STANDIN = Path(__file__).with_name("kernel_standin.py")


def supported() -> bool:
    """Linux only: forking a process that has loaded native libraries is unsafe on macOS (Python's own
    multiprocessing no longer forks there), and Windows has no fork."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


class ForkServer:
    """A running fork server: ``argv(...)`` is the command line of a kernel forked from it.

    ``env`` must hold the values of :data:`FIXED_AT_START` the kernels use. Start it with
    :meth:`start` (returns once the imports are done); :meth:`close` stops it and its kernels.
    """

    def __init__(self, env: dict[str, str]):
        self.env = {k: env[k] for k in FIXED_AT_START if k in env}
        self.directory = tempfile.TemporaryDirectory(prefix="evalcorr-forks-", ignore_cleanup_errors=True)
        self.address = os.path.join(self.directory.name, "server")
        self.process: subprocess.Popen | None = None

    def start(self) -> ForkServer:
        env = {**os.environ, **self.env, "MPLBACKEND": os.environ.get("MPLBACKEND", INLINE_BACKEND)}
        # A session of its own: a terminal's Ctrl-C stops the renderer, whose exit then stops the server.
        self.process = subprocess.Popen([sys.executable, "-m", "evalcorr.render.forkserver", "serve", self.address],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                        start_new_session=True)
        ready = self.process.stdout.readline().decode().strip()
        if ready != "ready":
            code = self.process.wait()
            self.close()
            raise RuntimeError(f"the kernel fork server did not start (exit code {code}); its error is above")
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def argv(self) -> list[str]:
        """The kernel spec's command line (``{connection_file}`` filled in by jupyter_client)."""
        return [sys.executable, "-I", "-S", str(STANDIN), self.address, "--", "-f", "{connection_file}"]

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.stdin.close()          # the server's signal to stop, and to stop its kernels
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process.stdout.close()
            self.process = None
        self.directory.cleanup()


# --------------------------------------------------------------------------------------------------
# The fork server of this process (kept here, with the standard library only, so that a render can
# start it before it imports jupyter_client)


# Stable hashing for reproducible set/dict-of-str iteration; no debugger start-up warnings.
# One BLAS thread per kernel: pages already run in parallel, threaded BLAS oversubscribes the cores
# (seen 10x slower under load), and a fixed thread count keeps float sums reproducible.
# Memory a page frees is kept for its next arrays rather than handed back to the system and faulted in
# again: glibc's malloc keeps arrays below 64 MiB on its heap and trims the heap only beyond 256 MiB
# free, and NumPy does not ask for huge pages (zeroing 2 MiB at a time for short-lived arrays). Arrow
# (the tables' string columns) allocates through the same malloc instead of its bundled mimalloc, whose
# fresh 2 MiB-aligned regions each cost a huge page zeroed where transparent huge pages are on (a cold
# render's system time: 2.9 s instead of 5.4 s).
KERNEL_ENV = {"PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
              "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456",
              "NUMPY_MADVISE_HUGEPAGE": "0", "ARROW_DEFAULT_MEMORY_POOL": "system"}

_server: ForkServer | None = None
_server_failed = False          # a server that cannot start is not tried again in the same render
_server_lock = threading.Lock()


def fork_server() -> ForkServer | None:
    """The fork server kernels start from (started on first use), or None where kernels are not forked:
    ``EVALCORR_FORK_KERNELS=0``, a system other than Linux, or a server that failed to start."""
    global _server, _server_failed
    if os.environ.get("EVALCORR_FORK_KERNELS", "1") == "0" or not supported():
        return None
    with _server_lock:          # pages start their kernels from several threads
        if _server_failed:
            return None
        if _server is None or not _server.alive():
            if _server is not None:
                _server.close()
            try:
                _server = ForkServer(KERNEL_ENV).start()
            except (OSError, RuntimeError) as error:
                # pages still run, in kernels started from scratch
                _server, _server_failed = None, True
                sys.stderr.write(f"render: kernels are started without the fork server ({error})\n")
        return _server


def start_fork_server() -> None:
    """Have the fork server start in the background (returns at once): its imports take about a second,
    in which the caller can do its own set-up. A no-op when the server runs or kernels are not forked."""
    if _server is None or not _server.alive():
        threading.Thread(target=fork_server, name="evalcorr-fork-server", daemon=True).start()


def stop_fork_server() -> None:
    """Stop the fork server and its kernels, if it runs (also registered to run at exit)."""
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        server.close()


atexit.register(stop_fork_server)


# --------------------------------------------------------------------------------------------------
# The server


def _preload() -> None:
    import importlib
    import pkgutil

    for name in PRELOAD:
        importlib.import_module(name)
    for name in PRELOAD_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, name + "."):
            importlib.import_module(module.name)
    # Read once here rather than in every kernel (17 ms): the code version keying stored results.
    importlib.import_module("evalcorr.stats.results_store").code_digest()
    # Pillow's image formats, which it imports when it first writes an image (the heatmaps' pixels in an SVG).
    importlib.import_module("PIL.Image").preinit()


# The cyclic garbage collector's thresholds in kernels (Python's default: 700, 10, 10).
KERNEL_GC_THRESHOLD = (50_000, 50, 1_000)
SERVER_DIRECTORY = os.getcwd()
SERVER_PID = os.getpid()    # in a kernel: the process it was forked from
PR_SET_PDEATHSIG = 1        # linux/prctl.h
REQUEST_SECONDS = 10        # a stand-in sends its whole request at once


def serve(address: str) -> None:
    """Import :data:`PRELOAD`, then fork a kernel for each request until standard input closes."""
    # The one thread besides this one is pyarrow's jemalloc background thread, and jemalloc takes its
    # locks around fork (pthread_atfork): Python 3.12's warning about forking with threads is moot here.
    warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)
    # The imports make millions of objects and few cycles: collecting while they run only delays the
    # first kernel (1.33 s of imports become 1.16 s). The collector is on again before any fork.
    gc.disable()
    try:
        _preload()
    finally:
        gc.enable()
    # What the imports made lives as long as the kernels: set it aside from the cyclic garbage collector,
    # whose full collections in every kernel would otherwise walk it (about 6% of the pages' time) and
    # copy the memory pages they touch.
    gc.collect()
    gc.freeze()
    # A page makes millions of objects, most freed by their reference counts; at Python's default
    # thresholds the collector still runs a few hundred times a page (about 3% of its time) for the few
    # cycles (matplotlib's artists, pandas' caches). Kernels inherit rarer collections: a young
    # generation of 50,000 objects, a full collection after 50,000 of those.
    gc.set_threshold(*KERNEL_GC_THRESHOLD)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen()
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)   # wakes the selector; children are reaped below
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listener")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    selector.register(wakeup_read, selectors.EVENT_READ, "child exited")
    kernels: dict[int, socket.socket] = {}       # pid -> its stand-in's connection
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    os.dup2(2, 1)       # nobody reads the pipe after this line: anything printed later goes to stderr
    try:
        while True:
            for key, _ in selector.select():
                try:
                    if key.data == "parent":
                        return
                    if key.data == "child exited":
                        os.read(wakeup_read, 512)
                        _reap(kernels, selector)
                    elif key.data == "listener":
                        conn, _ = listener.accept()
                        pid = _fork_kernel(conn, [listener, *kernels.values()], [wakeup_read, wakeup_write],
                                           selector)
                        if pid:
                            kernels[pid] = conn
                            selector.register(conn, selectors.EVENT_READ, pid)
                    elif key.data in kernels:       # a stand-in closed its connection: it died
                        selector.unregister(key.fileobj)
                        kernels.pop(key.data).close()
                        _kill(key.data)
                except Exception:                   # one request gone wrong must not end the others' kernels
                    traceback.print_exc()
    finally:
        for pid in list(kernels):
            _kill(pid)


def _read_request(conn: socket.socket) -> tuple[dict | None, list[int]]:
    """The request a stand-in sent (a length line, then JSON; its standard streams ride on the first
    chunk) and those streams' descriptors; None for a request that is not valid or not complete in time."""
    conn.settimeout(REQUEST_SECONDS)
    fds: list[int] = []
    try:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        size, _, data = data.partition(b"\n")
        while len(data) < int(size):
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        request = json.loads(data)
        if not (isinstance(request.get("env"), dict) and isinstance(request.get("args"), list)
                and isinstance(request.get("cwd"), str) and len(fds) == 3):
            request = None
    except (OSError, ValueError, AttributeError):
        request = None
    return request, fds


def _answer(conn: socket.socket, line: str) -> bool:
    try:
        conn.sendall(f"{line}\n".encode())
        return True
    except OSError:                                 # the stand-in is gone
        return False


def _fork_kernel(conn: socket.socket, sockets: list[socket.socket], pipe: list[int], selector) -> int:
    """Read a request from ``conn`` and fork its kernel; the kernel's pid (0 if there is none).
    The kernel closes what it inherits of the server: its ``sockets``, wake-up ``pipe`` and ``selector``."""
    request, fds = _read_request(conn)
    differs = [k for k in FIXED_AT_START if request["env"].get(k) != os.environ.get(k)] if request else []
    if request is None or differs:
        asked = ", ".join(f"{k}={request['env'].get(k)}" for k in differs) if differs else ""
        started = ", ".join(f"{k}={os.environ.get(k)}" for k in differs)
        _answer(conn, f"error the kernel asks for {asked}, the server was started with {started}" if differs
                else "error the request is not valid")
        conn.close()
        for fd in fds:
            os.close(fd)
        return 0
    pid = os.fork()
    if pid == 0:                                    # the kernel
        code = 1
        try:
            _leave_server(sockets + [conn], pipe, selector, fds)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            _launch_ipykernel(request["args"])
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                atexit._run_exitfuncs()             # what a process's normal exit runs
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)                      # never back into the server's loop
    for fd in fds:
        os.close(fd)
    conn.settimeout(None)
    if not _answer(conn, f"pid {pid}"):             # the stand-in died before it heard of its kernel
        _kill(pid)
        conn.close()
        return 0
    return pid


def _leave_server(inherited: list[socket.socket], pipe: list[int], selector, streams: list[int]) -> None:
    """In a new kernel: drop what belongs to the server, take the stand-in's standard streams, and set up
    what a process started from scratch would have of its own."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    selector.close()
    for sock in inherited:
        sock.close()
    for fd in pipe:
        os.close(fd)
    for target, fd in zip((0, 1, 2), streams):
        os.dup2(fd, target)
        os.close(fd)
    # Its own session and process group, as jupyter_client starts a kernel: a terminal's Ctrl-C does not
    # reach it, and killing the group ends the processes a page started.
    os.setsid()
    # Killed with the server, however the server ends (Linux's parent-death signal).
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != SERVER_PID:                  # the server died before the line above
        os._exit(1)
    # NumPy seeds its global generator when it is imported, which was in the server (Python's random
    # module reseeds itself after a fork).
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _launch_ipykernel(args: list[str]) -> None:
    """Run ipykernel as ``python -m ipykernel_launcher ARGS`` runs it in a new process."""
    import importlib.util

    from ipykernel.kernelapp import IPKernelApp

    # The launcher takes the script's directory off sys.path (the shell puts '' back).
    if sys.path and sys.path[0] in ("", os.getcwd(), SERVER_DIRECTORY):
        del sys.path[0]
    # ipykernel reads JPY_PARENT_PID when it is imported, which was in the server: pass it on.
    parent = os.environ.get("JPY_PARENT_PID")
    args = [*args, f"--IPKernelApp.parent_handle={int(parent)}"] if parent and parent.isdigit() else list(args)
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *args]
    sys.orig_argv = [sys.executable, "-m", "ipykernel_launcher", *args]
    IPKernelApp.launch_instance(argv=args)


def _reap(kernels: dict[int, socket.socket], selector) -> None:
    """Collect exited kernels and send each one's exit status to its stand-in."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is not None:
            selector.unregister(conn)
            _answer(conn, f"exit {os.waitstatus_to_exitcode(status)}")
            conn.close()


def _kill(pid: int) -> None:
    """Kill a kernel and its process group (the processes its page started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(argv[1])
        return 0
    sys.stderr.write("usage: python -m evalcorr.render.forkserver serve ADDRESS\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
