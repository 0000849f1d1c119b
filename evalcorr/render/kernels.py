"""Jupyter kernels for executing pages: this interpreter, the renderer's setup, and one spare kernel.

Every page runs in a fresh ipykernel started with ``sys.executable`` (the project's venv python) in the
project root, talking over IPC sockets in a private temporary directory. :data:`SETUP_CODE` prepares
each kernel: matplotlib inline with deterministic SVG (PNG when the SVG is too heavy), the house style,
figures closed once displayed, no output history. It runs while the kernel boots (ipykernel
``exec_files``) and again, guarded so it is a no-op, as the page's first cell, so a setup error is
reported like any cell error.

Starting a kernel and importing matplotlib, pandas and evalcorr takes a few seconds. With
``prestart=True`` :func:`acquire_kernel` boots the kernel for the *next* page of the same project in the
background while the current page runs; at most one spare exists, and it is shut down at exit.
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

# SVG files above this size are replaced by PNG (dense scatter plots make multi-megabyte SVGs).
SVG_MAX_BYTES = 1_500_000
KERNEL_NAME = "evalcorr-python"

# Run once per kernel (guarded). Figures are rendered by our own formatters so that SVG is
# deterministic and falls back to PNG when too large; closing each figure once it has been displayed
# keeps memory flat and stops the inline backend from showing a returned figure a second time.
SETUP_CODE = f"""
def __evalcorr_setup():
    from IPython import get_ipython
    ip = get_ipython()
    if getattr(ip, "_evalcorr_ready", False):
        return
    import matplotlib
    ip.run_line_magic("matplotlib", "inline")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from IPython.core.pylabtools import print_figure
    from evalcorr.figures.style import use_house_style

    use_house_style()
    matplotlib.rcParams["svg.hashsalt"] = "evalcorr"
    ip.displayhook.cache_size = 0  # no Out[n] history holding figures alive

    def svg_text(fig):
        return print_figure(fig, "svg", bbox_inches="tight", metadata={{"Date": None}})

    def svg(fig):
        data = svg_text(fig)
        plt.close(fig)
        too_big = data is not None and len(data.encode()) > {SVG_MAX_BYTES}
        fig.__dict__["_evalcorr_svg_too_big"] = too_big
        return None if too_big else data

    def png(fig):
        too_big = fig.__dict__.pop("_evalcorr_svg_too_big", None)
        if too_big is None:  # the SVG formatter did not run first
            data = svg_text(fig)
            too_big = data is not None and len(data.encode()) > {SVG_MAX_BYTES}
        if not too_big:
            return None
        return print_figure(fig, "png", bbox_inches="tight", dpi=matplotlib.rcParams["savefig.dpi"],
                            metadata={{"Software": None}})

    formatters = ip.display_formatter.formatters
    formatters["image/svg+xml"].for_type(Figure, svg)
    formatters["image/png"].for_type(Figure, png)
    for mime in ("application/pdf", "image/jpeg"):
        formatters[mime].pop(Figure, None)
    ip._evalcorr_ready = True

__evalcorr_setup()
del __evalcorr_setup
"""


@dataclass
class PageKernel:
    """A started kernel: its manager, its socket directory and the project it runs in."""

    km: AsyncKernelManager
    sockets: tempfile.TemporaryDirectory
    project_root: Path

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


def acquire_kernel(project_root, *, prestart: bool = False) -> tuple[PageKernel, bool]:
    """A kernel for one page of ``project_root``, and whether it had been started in advance.

    Takes the spare kernel when it belongs to the same project and is alive, else starts one. With
    ``prestart`` a new spare is started for the next page before returning. The caller closes the kernel.
    """
    global _spare
    project_root = Path(project_root).resolve()
    kernel, spare_used = None, False
    if _spare is not None:
        spare, _spare = _spare, None
        if spare.project_root == project_root and spare.is_alive():
            kernel, spare_used = spare, True
        else:
            spare.close()
    if kernel is None:
        kernel = start_kernel(project_root)
    if prestart:
        _spare = start_kernel(project_root)
    return kernel, spare_used


def discard_spare() -> None:
    """Shut down the spare kernel, if any (also registered to run at exit)."""
    global _spare
    if _spare is not None:
        spare, _spare = _spare, None
        spare.close()


atexit.register(discard_spare)


def start_kernel(project_root) -> PageKernel:
    """Launch an ipykernel in ``project_root`` that runs the setup code while it boots (returns at once)."""
    sockets = tempfile.TemporaryDirectory(prefix="evalcorr-kernel-", ignore_cleanup_errors=True)
    setup_file = Path(sockets.name) / "setup.py"
    setup_file.write_text(SETUP_CODE, encoding="utf-8")
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=VenvKernelSpecs(),
                            transport="ipc", ip=os.path.join(sockets.name, "k"))
    try:
        run_sync(km.start_kernel)(cwd=str(project_root), extra_arguments=[
            f"--IPKernelApp.exec_files={setup_file}", "--HistoryManager.hist_file=:memory:"])
    except Exception:
        sockets.cleanup()
        raise
    return PageKernel(km=km, sockets=sockets, project_root=Path(project_root).resolve())


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
