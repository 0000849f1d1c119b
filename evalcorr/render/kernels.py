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

Starting a kernel and importing matplotlib, pandas and evalcorr takes a few seconds. With
``prestart=True`` :func:`acquire_kernel` boots the kernel for the *next* page in the background while the
current page runs; at most one spare exists, it is used only by a page with the same directory and set-up,
and it is shut down at exit.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

KERNEL_NAME = "evalcorr-python"
# Figure formats the offline renderer can put on the site and in the PDF (Quarto's `fig-format` values).
FIG_FORMATS = ("svg", "png", "retina")
# Quarto's option names of the FigureOptions fields.
FIGURE_KEYS = {"fig-format": "format", "fig-width": "width", "fig-height": "height", "fig-dpi": "dpi"}
# Quarto's defaults for HTML output (fig-format retina, 7 x 5 inches, 96 dpi).
QUARTO_HTML_FIGURE = {"format": "retina", "width": 7.0, "height": 5.0, "dpi": 96}


@dataclass(frozen=True)
class FigureOptions:
    """Quarto's figure options for Jupyter: ``fig-format``, ``fig-width``, ``fig-height``, ``fig-dpi``."""

    format: str = QUARTO_HTML_FIGURE["format"]
    width: float = QUARTO_HTML_FIGURE["width"]
    height: float = QUARTO_HTML_FIGURE["height"]
    dpi: float = QUARTO_HTML_FIGURE["dpi"]

    def setup_code(self, run_path: str | os.PathLike | None = None) -> str:
        """The kernel set-up: Quarto's Python setup cell for these options, plus reproducible files.

        `run_path` is where Quarto changes directory to (``execute-dir: project``: the project root);
        None keeps the directory the kernel started in.
        """
        # Reproducible files: the SVG backend writes today's date unless told not to, the PNG backend
        # its own version; neither changes what is displayed.
        metadata = {"Date": None} if self.format == "svg" else {"Software": None}
        chdir = f"os.chdir({str(run_path)!r})" if run_path else "pass"
        return f"""
def __evalcorr_setup():
    import os
    from IPython import get_ipython
    ip = get_ipython()
    if getattr(ip, "_evalcorr_ready", False):
        return
    # As Quarto's setup cell: figure size and dpi, one image format for every figure, the run path.
    import matplotlib.pyplot as plt
    plt.rcParams["figure.figsize"] = ({self.width!r}, {self.height!r})
    plt.rcParams["figure.dpi"] = {self.dpi!r}
    plt.rcParams["savefig.dpi"] = {self.dpi!r}
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    set_matplotlib_formats({self.format!r}, metadata={metadata!r})
    {chdir}
    # Reproducible output that displays the same: fixed SVG ids, no Out[n] history holding figures.
    plt.rcParams["svg.hashsalt"] = "evalcorr"
    ip.displayhook.cache_size = 0
    ip._evalcorr_ready = True

__evalcorr_setup()
del __evalcorr_setup
"""


@dataclass
class PageKernel:
    """A started kernel: its manager, its socket directory, the directory it runs in and its set-up."""

    km: AsyncKernelManager
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
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=VenvKernelSpecs(),
                            transport="ipc", ip=os.path.join(sockets.name, "k"))
    try:
        run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=[
            f"--IPKernelApp.exec_files={setup_file}", "--HistoryManager.hist_file=:memory:"])
    except Exception:
        sockets.cleanup()
        raise
    return PageKernel(km=km, sockets=sockets, cwd=Path(cwd).resolve(), setup=setup)


class VenvKernelSpecs(KernelSpecManager):
    """Kernel specs that always start ipykernel with this interpreter (the project's venv python)."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="evalcorr (venv python)", language="python",
            # Stable hashing for reproducible set/dict-of-str iteration; no debugger start-up warnings.
            # One BLAS thread per kernel: pages already run in parallel, threaded BLAS oversubscribes the
            # cores (seen 10x slower under load), and a fixed thread count keeps float sums reproducible.
            env={"PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                 "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
        )
