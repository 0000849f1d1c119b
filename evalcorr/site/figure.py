"""Site figures: one Jupyter output that is interactive on the site and a static image in the PDF.

An :class:`InteractiveFigure` is what a chapter's figure cell returns. Its Jupyter display bundle holds

``text/html``
    the interactive figure: a ``<div data-evalcorr=KIND>`` with its data as JSON, drawn by
    ``libs/evalcorr-figures.<hash>.js`` with Plotly (``libs/plotly-cartesian-4.1.1.min.js``), and links
    to its data as CSV files;
``image/svg+xml``
    the static matplotlib figure it was built from;
``text/plain``
    one line saying what it is.

Quarto picks ``text/html`` for HTML formats and the SVG for Typst (quarto-cli ``display-data.ts``:
text/html first for HTML, and for Typst only when it holds a table); the offline renderer does the
same. The PDF therefore keeps the static figure, with its ``fig-alt``; the site shows the interactive
one, whose own ``aria-label`` describes it and which is operable from the keyboard.

Each page loads the two scripts once (the first interactive figure of a page references them; a page
runs in one kernel). Outside a render (:func:`evalcorr.site.page.current_page` is None) the bundle
has no HTML: a notebook shows the static image.

:func:`data_link` is the download link of a static figure or a table: a short raw-HTML paragraph
(text/markdown, so the PDF drops it) linking to the CSV of exactly what the figure or table shows.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import DIVERGING_CMAP, SEQUENTIAL_CMAP, figure_data
from evalcorr.site.page import SitePage, current_page

PLOTLY = "plotly-cartesian-4.1.1.min.js"
PLOTLY_LICENSE = "plotly-LICENSE.txt"
SCRIPT = "evalcorr-figures.js"
# Inline styles, so that the link looks the same on Quarto's site and the offline one.
LINK_STYLE = "font-size:0.85em;margin:0.3rem 0 1.4rem;color:#555"


def encode(values, dtype: str = "f4") -> dict:
    """A numeric array as compact JSON: little-endian bytes in base64 (NaN kept), with its shape.

    ``f4`` (float32) keeps 7 significant digits, more than any hover label shows; the CSV downloads
    carry the full precision.
    """
    array = np.ascontiguousarray(np.asarray(values, dtype="<" + dtype))
    return {"dtype": dtype, "shape": list(array.shape), "b64": base64.b64encode(array.tobytes()).decode("ascii")}


def colorscale(name: str, steps: int = 11) -> list:
    """A matplotlib colour map as a Plotly colour scale, so both renderings share their colours."""
    cmap = colormaps[name]
    return [[i / (steps - 1), to_hex(cmap(i / (steps - 1)))] for i in range(steps)]


COLORSCALES = {"diverging": colorscale(DIVERGING_CMAP), "sequential": colorscale(SEQUENTIAL_CMAP)}


def svg_of(fig: Figure) -> str:
    """The SVG a Jupyter kernel set up by Quarto shows for `fig` (tight bounding box, no date)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


class InteractiveFigure:
    """An interactive site figure with its static image and its data downloads.

    Parameters
    ----------
    kind : str
        What draws it in the browser (``linked-matrix``, ``transfer-heatmaps``).
    spec : dict
        The data and settings the script needs (JSON-serialisable).
    static : Figure
        The matplotlib figure shown in the PDF (and in a notebook).
    name : str
        The figure's name on the page (its label, e.g. ``fig-matrix``): its CSV files are
        ``<name>.csv`` and ``<name>-<part>.csv``.
    downloads : list of (part, text, DataFrame, index)
        The CSV files: ``part`` None for ``<name>.csv``; ``text`` is the link text.
    description : str
        The figure's accessible name (what it shows and how to operate it).
    """

    def __init__(self, kind: str, spec: dict, *, static: Figure, name: str,
                 downloads: list[tuple[str | None, str, pd.DataFrame, bool]], description: str):
        if not isinstance(static, Figure):
            raise EvalcorrError(f"{name}: `static` must be the matplotlib figure the PDF shows, "
                                f"got {type(static).__name__}")
        self.kind, self.spec, self.static, self.name = kind, spec, static, name
        self.downloads, self.description = downloads, description

    def files(self, page: SitePage) -> list[tuple[str, str]]:
        """Write the CSV files into the page's downloads; ``(link text, href)`` of each."""
        return [(text, page.write_csv(self.name if part is None else f"{self.name}-{part}", frame, index=index))
                for part, text, frame, index in self.downloads]

    def html(self, page: SitePage) -> str:
        """The interactive figure's HTML for `page` (writes its CSV files and the scripts)."""
        data = json.dumps({"kind": self.kind, **self.spec}, separators=(",", ":"), allow_nan=False)
        data = data.replace("</", "<\\/")  # a model name can never close the script element
        links = data_links_html(self.files(page))
        return (f'<div class="evalcorr-figure" data-evalcorr="{escape(self.kind)}" role="group" '
                f'aria-label="{escape(self.description)}">'
                f'<script type="application/json">{data}</script>'
                '<noscript><p>This interactive figure needs JavaScript; its numbers are in the CSV files '
                'below, and the PDF has it as a static figure.</p></noscript></div>'
                f'{links}{scripts(page)}')

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": f"<{self.kind} {self.name}: {self.description}>",
                  "image/svg+xml": svg_of(self.static)}
        page = current_page()
        if page is not None:
            bundle["text/html"] = self.html(page)
        return bundle


def scripts(page: SitePage) -> str:
    """``<script>`` elements for Plotly and the figures' script, the first time a page asks for them."""
    if SCRIPT in page.loaded:
        return ""
    page.loaded.add(SCRIPT)
    return (f'<link rel="license" href="{escape(page.library(PLOTLY_LICENSE))}">'
            f'<script src="{escape(page.library(PLOTLY))}" defer></script>'
            f'<script src="{escape(page.library(SCRIPT, versioned=True))}" defer></script>')


def data_links_html(links: list[tuple[str, str]]) -> str:
    """A paragraph of download links: ``[(text, href), ...]``."""
    items = " · ".join(f'<a href="{escape(href)}" download>{escape(text)}</a>' for text, href in links)
    return f'<p class="data-link" style="{LINK_STYLE}">Data: {items}</p>'


class DataLink:
    """The download link of a static figure or a table, written at render time.

    Displays as text/markdown holding a raw HTML paragraph: the site shows the link, the PDF drops it.
    ``str(link)`` is the same Markdown, for ``print`` in an ``output: asis`` table cell.
    """

    def __init__(self, frame: pd.DataFrame, name: str, *, index: bool = False, text: str = "CSV"):
        self.frame, self.name, self.index, self.text = frame, name, index, text

    def markdown(self) -> str:
        page = current_page()
        if page is None:
            return ""
        href = page.write_csv(self.name, self.frame, index=self.index)
        return f"```{{=html}}\n{data_links_html([(self.text, href)])}\n```\n"

    def __str__(self) -> str:
        return self.markdown()

    def _repr_mimebundle_(self, include=None, exclude=None):
        text = self.markdown()
        return {"text/markdown": text} if text else {"text/plain": f"<data link {self.name}>"}


def data_link(what, name: str, *, index: bool = False) -> DataLink:
    """The CSV download of a figure or table, named `name` on its page (use its label).

    Parameters
    ----------
    what : Figure, InteractiveFigure or DataFrame
        A figure drawn by an evalcorr figure function (its recorded data,
        :func:`evalcorr.figures.style.figure_data`), or the table a cell prints.
    name : str
        The file name without ``.csv``, e.g. ``"fig-histogram"`` or ``"tbl-methods"``.
    index : bool
        Write the frame's index as the first column (for tables printed with ``index=True``).
    """
    if isinstance(what, Figure):
        return DataLink(figure_data(what), name)
    if isinstance(what, pd.DataFrame):
        return DataLink(what, name, index=index)
    raise EvalcorrError(f"{name}: data_link takes a figure drawn by evalcorr.figures or a DataFrame, "
                        f"got {type(what).__name__}")
