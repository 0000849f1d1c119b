"""Quarto's figure options for Jupyter (``fig-format``, ``fig-width``, ``fig-height``, ``fig-dpi``) and
the kernel set-up code they imply (:meth:`FigureOptions.setup_code`, run by :mod:`evalcorr.render.kernels`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

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
