"""Jupyter kernels for executing pages, set up as Quarto sets up its own, plus one spare kernel.

Every page runs in a fresh ipykernel started with ``sys.executable`` (the project's venv python) in the
page's execution directory (:func:`evalcorr.render.project.Project.run_dir`), talking over IPC sockets in
a private temporary directory. The kernel is a plain ipykernel: its matplotlib backend is the inline
backend ipykernel selects, and the display semantics are Jupyter's own (a returned value is displayed
once by the displayhook; figures still open in pyplot are displayed again when the cell ends).

:meth:`FigureOptions.setup_code` is what Quarto's hidden setup cell does for Python: the figure size and
dpi in rcParams, one figure format (``fig-format``) for the inline backend, and ``os.chdir`` to the run
path. The only additions make files reproducible without changing what is displayed: no date in SVG
metadata, no software tag in PNG metadata, a fixed SVG id salt, and no output history (``Out``). The
setup runs while the kernel boots (ipykernel ``exec_files``) and again, guarded so it is a no-op, as the
page's first cell, so a setup error is reported like any cell error.

Starting a kernel and importing matplotlib, pandas, SciPy and evalcorr costs about 1.5 s of CPU per page.
Kernels are therefore forked from a fork server (:mod:`evalcorr.render.forkserver`, started by the
render before its first page or on the first kernel start, stopped at exit) that has done those imports once; each is still a new process with a
plain ipykernel, its own directory, environment and set-up, and nothing of any other page
(tests/render/test_forkserver.py compares what a forked and a new kernel process see).
``EVALCORR_FORK_KERNELS=0``, a system other than Linux, or a server that cannot start (a warning says why)
starts every kernel as a new process.
With ``prestart=True`` :func:`acquire_kernel` also boots the kernel for the *next* page in the background
while the current page runs; at most one spare exists, it is used only by a page with the same directory
and set-up, and it is shut down at exit.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import time
from queue import Empty
from dataclasses import dataclass
from pathlib import Path

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from evalcorr.render.forkserver import KERNEL_ENV, fork_server

# Quarto's figure options live in a module of their own (reading _quarto.yml needs no Jupyter).
from evalcorr.render.figure_options import FIG_FORMATS, FIGURE_KEYS, QUARTO_HTML_FIGURE, FigureOptions  # noqa: F401

KERNEL_NAME = "evalcorr-python"


@dataclass
class PageKernel:
    """A started kernel: its manager, its socket directory, the directory it runs in and its set-up."""

    km: PageKernelManager
    sockets: tempfile.TemporaryDirectory
    cwd: Path
    setup: str

    def is_alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)())

    def close(self) -> None:
        """Stop the kernel if it still runs and remove its sockets and connection file."""
        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already gone (the page's client shut it down, or it died)
            pass
        finally:
            self.sockets.cleanup()


_spare: PageKernel | None = None


def acquire_kernel(cwd, setup: str, *, prestart: bool = False) -> tuple[PageKernel, bool]:
    """A kernel running in `cwd` set up with `setup`, and whether it had been started in advance.

    Takes the spare kernel when it has the same directory and set-up and is alive, else starts one. With
    ``prestart`` a new spare (same directory and set-up) is started for the next page before returning.
    The caller closes the kernel.
    """
    global _spare
    cwd = Path(cwd).resolve()
    kernel, spare_used = None, False
    if _spare is not None:
        spare, _spare = _spare, None
        if spare.cwd == cwd and spare.setup == setup and spare.is_alive():
            kernel, spare_used = spare, True
        else:
            spare.close()
    if kernel is None:
        kernel = start_kernel(cwd, setup)
    if prestart:
        _spare = start_kernel(cwd, setup)
    return kernel, spare_used


def discard_spare() -> None:
    """Shut down the spare kernel, if any (also registered to run at exit)."""
    global _spare
    if _spare is not None:
        spare, _spare = _spare, None
        spare.close()


atexit.register(discard_spare)


def start_kernel(cwd, setup: str) -> PageKernel:
    """Launch an ipykernel in `cwd` that runs `setup` while it boots (returns at once)."""
    sockets = tempfile.TemporaryDirectory(prefix="evalcorr-kernel-", ignore_cleanup_errors=True)
    setup_file = Path(sockets.name) / "setup.py"
    setup_file.write_text(setup, encoding="utf-8")
    km = PageKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=VenvKernelSpecs(),
                            transport="ipc", ip=os.path.join(sockets.name, "k"),
                            client_class="evalcorr.render.kernels.PageKernelClient")
    try:
        run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=[
            f"--IPKernelApp.exec_files={setup_file}", "--HistoryManager.hist_file=:memory:"])
    except Exception:
        sockets.cleanup()
        raise
    return PageKernel(km=km, sockets=sockets, cwd=Path(cwd).resolve(), setup=setup)




class PageKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, which notices a killed kernel process within milliseconds.

    After killing the kernel (a page's immediate shutdown) jupyter_client checks whether the process has
    ended every 0.1 s; the first check comes too early, so every page's shutdown took 0.1 s. The process
    ends at once when killed: checking every 5 ms ends the shutdown as soon as it has.
    """

    SHUTDOWN_POLL_SECONDS = 0.005

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, self.SHUTDOWN_POLL_SECONDS))


def _is_idle(message: dict) -> bool:
    return message["msg_type"] == "status" and message["content"].get("execution_state") == "idle"


class PageKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel has answered on both channels.

    jupyter_client's client is ready after a kernel_info reply on the shell channel and any message on
    IOPub within 0.2 s (else it asks again), and then waits for 0.2 s of silence on IOPub: about
    0.3 s of every page's start spent waiting. Here the proof is exact: the reply to a kernel_info
    request, and the kernel's ``idle`` status for that same request on IOPub (published after the
    reply, so nothing of it is left to flush). A request whose status was lost because IOPub was not
    connected yet is asked again, after a wait that doubles from 20 ms. Its sockets try to connect
    every 5 ms until the kernel listens (ZeroMQ's default: every 100 ms).
    """

    RECONNECT_MS = 5

    def _context_default(self):
        # The client connects before the kernel has made its sockets, and ZeroMQ tries again only every
        # 100 ms by default: a page's kernel answered 50-100 ms after it was listening.
        context = super()._context_default()
        context.setsockopt(zmq.RECONNECT_IVL, self.RECONNECT_MS)     # the default of its sockets
        return context

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        patience = 0.02
        while time.monotonic() < deadline:
            msg_id = self.kernel_info()
            reply = await self._message_for(self.shell_channel, msg_id, min(1.0, deadline - time.monotonic()),
                                            lambda m: m["msg_type"] == "kernel_info_reply")
            if reply is not None:
                self._handle_kernel_info_reply(reply)
                idle = await self._message_for(self.iopub_channel, msg_id, patience, _is_idle)
                if idle is not None:
                    return
                patience = min(2 * patience, 1.0)
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready      # the name nbclient calls (bound to the base's method)

    async def wait_for_idle(self, msg_id: str, timeout: float | None) -> bool:
        """Wait until the kernel has finished handling request ``msg_id``: its ``idle`` status on IOPub.

        The reply comes earlier, while the kernel's handler still runs with Ctrl-C raising in it. A
        page's shutdown interrupts the kernel before killing it: landing in the handler, the interrupt
        makes the kernel log "KeyboardInterrupt caught in kernel" into the render's output. False if the
        status has not come within ``timeout`` seconds (None: no limit).
        """
        return await self._message_for(self.iopub_channel, msg_id, timeout, _is_idle) is not None

    @staticmethod
    async def _message_for(channel, msg_id: str, wait: float | None, wanted) -> dict | None:
        """The first message on ``channel`` answering ``msg_id`` that is ``wanted``, or None after
        ``wait`` seconds without one (None: no limit; messages answering other requests are dropped)."""
        until = None if wait is None else time.monotonic() + wait
        while until is None or (left := until - time.monotonic()) > 0:
            try:
                message = await channel.get_msg(timeout=None if until is None else left)
            except Empty:
                return None
            if message["parent_header"].get("msg_id") == msg_id and wanted(message):
                return message
        return None


class VenvKernelSpecs(KernelSpecManager):
    """Kernel specs that start ipykernel with this interpreter (the project's venv python): forked from
    the fork server (:mod:`evalcorr.render.forkserver`), or as a new process without one."""

    def get_kernel_spec(self, kernel_name):
        server = fork_server()
        argv = server.argv() if server else [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(argv=argv, display_name="evalcorr (venv python)", language="python", env=dict(KERNEL_ENV))
