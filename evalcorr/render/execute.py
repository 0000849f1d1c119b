"""Execute a ``.qmd`` page in a Jupyter kernel and turn it into pandoc Markdown (the offline renderer's first half).

The publisher (cross-references, callouts, citations, pandoc, site, PDF) calls one function::

    page = execute_page("chapters/helm.qmd", project_root=root, figures_dir=build / "figures",
                        defaults={"execute": {"echo": False}})

and gets an :class:`ExecutedPage`:

``source``
    the ``.qmd`` path;
``meta``
    the page's YAML front matter merged over ``defaults`` (nested mappings merged key by key);
``markdown``
    pandoc Markdown, ready for the publisher: the page's Markdown text unchanged (callouts, ``@fig-x``
    / ``@tbl-x`` references and ``[@key]`` citations are left as written), with every cell replaced
    by what Quarto would show for it;
``figures``
    the figure files written under ``figures_dir``.

What a cell becomes (Quarto semantics; options from ``#|`` lines, else ``execute:`` or top-level keys of
the front matter / ``defaults``, else Quarto's defaults):

- ``echo: true`` -> the code as a ```` ```python ```` block (option lines removed);
- ``include: false`` -> run, nothing emitted; ``output: false`` -> run, no outputs; ``eval: false`` -> not run;
- ``output: asis`` -> printed stdout (and text/markdown or text/plain results) inserted as raw Markdown;
- every image the kernel emits (``image/svg+xml`` or ``image/png``, one format for figures chosen by
  ``fig-format``) -> a file named ``<page stem>-<label>.<ext>`` (``<page stem>-cell<N>-<k>.<ext>``
  without a ``fig-`` label) and ``![fig-cap](<link>){#fig-label fig-alt="fig-alt"}``; without ``fig-alt``
  the caption is the alt text and a warning is logged. A ``fig-`` cell that emits several images is
  shown as Quarto shows it, one figure with subfigures ``#fig-label-1``, ``#fig-label-2`` (a fenced div
  ``::: {#fig-label .quarto-subfigures}``), and a warning says so;
- a ``tbl-`` labelled cell with ``tbl-cap`` -> its asis table followed by ``: tbl-cap {#tbl-label}``;
- text/html results -> raw ```` ```{=html} ```` blocks (dropped by the PDF); text/markdown -> Markdown;
  other plain-text results and non-asis stdout -> ```` ``` ```` output blocks;
- stderr and warnings -> not on the page; written to the render log (stderr).

Inline `` `{python} expr` `` is evaluated in the same kernel after the cells above it, as a Jupyter
user expression (as Quarto does), and replaced by :func:`inline_text` of its display data: Markdown as
is; a string's repr without its quotes and with Markdown punctuation escaped; any other value's repr.
An expression that gives an empty text stays in the page as written (Quarto keeps the code) and a
warning is logged; so is one whose repr is a constructor call such as ``np.float64(0.25)``.

Figure links are relative to ``link_base`` (default: the parent of ``figures_dir``), e.g.
``figures/helm-fig-corr.svg``; pass the directory the page's HTML lands in when that differs.

All cells run in one plain Jupyter kernel per page (:mod:`evalcorr.render.kernels`), started with this
interpreter (the project's venv python) in the page's folder, or the project root with
``execute_dir="project"`` (Quarto's ``execute-dir``), after Quarto's setup for the figure options
(:class:`~evalcorr.render.kernels.FigureOptions`) with reproducible file metadata. Nothing suppresses a
display: what the kernel emits is what the page shows.
``prestart=True`` boots the next page's kernel while this page runs. A cell that raises stops the page
with :class:`evalcorr.errors.RenderError` naming page, cell and traceback. Unchanged pages are served
from :mod:`evalcorr.render.pagecache` without a kernel. Progress and warnings go to ``log`` (stderr).
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from evalcorr.errors import RenderError
from evalcorr.render.figure_options import FIG_FORMATS, FIGURE_KEYS, FigureOptions
from evalcorr.render.forkserver import start_fork_server
from evalcorr.render.kernels import acquire_kernel
from evalcorr.render.pagecache import PageCache, file_stamps
from evalcorr.render.qmd import CodeCell, InlineExpr, MarkdownBlock, QmdDocument, parse_qmd
from evalcorr.render.resources import linked_files
from evalcorr.stats.results_store import STORE_ENV

# Quarto's defaults for the execution options the renderer honours.
OPTION_DEFAULTS = {"echo": True, "eval": True, "include": True, "output": True}

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{6,}>")
# The file name IPython gives a cell's code in warnings ("/tmp/ipykernel_123/456.py:3:").
_CELL_FILE = re.compile(r"\S*ipykernel_\d+[/\\]\d+\.py:(\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# What Quarto escapes in a string an inline expression returns (its regex [\\`*_{}[\]()>#+-.!], where
# "+-." is a character range that also holds ",").
_QUARTO_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+,\-.!])")
# A repr that reads as a constructor call, e.g. np.float64(0.25) or Timestamp('2024-01-01').
_CONSTRUCTOR_REPR = re.compile(r"^[A-Za-z_][\w.]*\(")
# An SVG larger than this makes a slow page; the figure should rasterize its dense layers.
SVG_MAX_BYTES = 1_500_000

@dataclass
class ExecutedPage:
    """A page after execution: what the publisher needs to build HTML and Typst from it."""

    source: Path
    meta: dict
    markdown: str
    figures: list[Path] = field(default_factory=list)
    cached: bool = False  # served from the page cache without a kernel
    cells_executed: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def execute_page(qmd_path, *, project_root, figures_dir, defaults=None, timeout=600,
                 link_base=None, cache: bool | PageCache = True,
                 log: Callable[[str], None] | None = None, prestart: bool = False,
                 figure: FigureOptions | None = None, execute_dir: str = "file") -> ExecutedPage:
    """Execute one ``.qmd`` page and return its Markdown and figures.

    Parameters
    ----------
    qmd_path : str or Path
        The page (absolute, or relative to ``project_root``).
    project_root : str or Path
        The project directory.
    figures_dir : str or Path
        Where figure files are written (created if missing).
    defaults : dict, optional
        Metadata the front matter is merged over, e.g. ``{"execute": {"echo": False}}`` from _quarto.yml.
    timeout : int
        Seconds one cell may run before the page fails.
    link_base : str or Path, optional
        Directory that figure links in the Markdown are relative to; default ``figures_dir.parent``.
    cache : bool or PageCache
        ``True`` uses ``<project_root>/.render-cache``; ``False`` always executes.
    log : callable, optional
        Receives progress and warning lines; default prints them to stderr.
    prestart : bool
        When the page executes, also boot a kernel for the next page of this project in the background
        (:func:`evalcorr.render.kernels.acquire_kernel`); pass it when executing several pages in a row.
    figure : FigureOptions, optional
        Quarto's figure options (``fig-format``, ``fig-width``, ...); default Quarto's HTML defaults.
    execute_dir : {"file", "project"}
        Quarto's ``execute-dir``: the kernel's working directory is the page's folder (``file``, Quarto's
        default) or the project root.

    Returns
    -------
    ExecutedPage

    Raises
    ------
    RenderError
        When the page cannot be parsed, a cell or inline expression raises, a cell times out or the
        kernel dies.
    """
    log = log or _stderr
    figure = figure or FigureOptions()
    if execute_dir not in ("file", "project"):
        raise RenderError(f"execute-dir {execute_dir!r}: use `file` (the page's folder) or `project`")
    started = time.perf_counter()
    project_root = Path(project_root).resolve()
    qmd_path = Path(qmd_path)
    if not qmd_path.is_absolute():
        qmd_path = project_root / qmd_path
    figures_dir = Path(figures_dir).resolve()
    link_base = Path(link_base).resolve() if link_base is not None else figures_dir.parent
    name = _page_name(qmd_path, project_root)
    try:
        text = qmd_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RenderError(f"{name}: page not found; check the chapter list in _quarto.yml.") from None
    doc = parse_qmd(text, source=name)
    meta = merge_meta(defaults or {}, doc.front_matter)
    # Quarto reads fig-format, fig-width, ... from a page's front matter too (document level)
    figure = replace(figure, **{field_name: doc.front_matter[key] for key, field_name in FIGURE_KEYS.items()
                                if key in doc.front_matter})
    if figure.format not in FIG_FORMATS:
        raise RenderError(f"{name}: fig-format {figure.format!r}: use one of {', '.join(FIG_FORMATS)}")
    link_prefix = Path(os.path.relpath(figures_dir, link_base)).as_posix()

    if cache is True:
        cache = PageCache.for_project(project_root)
    key = None
    if cache:
        # Keyed by what execution reads (cells, inline expressions, options), not by the prose around
        # them: a page whose prose alone changed is assembled from its stored outputs, without a kernel.
        key = cache.key(execution_plan(doc, meta), defaults=defaults,
                        extra=f"{name}\n{link_prefix}\n{figure}\n{execute_dir}")
        entry = cache.load(name, key, figures_dir, root=project_root)
        if entry is not None:
            seconds = time.perf_counter() - started
            log(f"render {name}: cache hit ({entry.cells_executed} cells, {seconds:.1f} s)")
            for warning in entry.warnings:  # the page still shows what they describe
                log(f"warning: {name}: {warning}")
            return ExecutedPage(source=qmd_path, meta=meta, markdown=assemble(doc, entry.outputs),
                                figures=entry.figures, cached=True,
                                cells_executed=entry.cells_executed, seconds=seconds,
                                warnings=entry.warnings)

    figures_dir.mkdir(parents=True, exist_ok=True)
    page = _PageRun(doc, name=name, stem=qmd_path.stem, meta=meta, figures_dir=figures_dir,
                    link_prefix=link_prefix, log=log)
    page.environment = page_environment(project_root, qmd_path)
    if cache:   # analyses another page has run are read from the results store (evalcorr.stats.results_store)
        page.environment[STORE_ENV] = str(cache.results_dir)
    run_dir = project_root if execute_dir == "project" else qmd_path.parent
    setup = figure.setup_code(project_root if execute_dir == "project" else None)
    outputs = page.run(run_dir, setup, timeout, prestart)
    seconds = time.perf_counter() - started
    how = ", kernel started in advance" if page.prestarted else ""
    log(f"render {name}: cache miss, executed {page.cells_executed} cells in {seconds:.1f} s{how}")
    result = ExecutedPage(source=qmd_path, meta=meta, markdown=assemble(doc, outputs), figures=page.figures,
                          cells_executed=page.cells_executed, seconds=seconds, warnings=page.warnings)
    if cache:
        cache.store(name, key, outputs=outputs, figures=page.figures,
                    cells_executed=page.cells_executed, warnings=page.warnings, seconds=seconds,
                    resources=file_stamps(linked_files(result.markdown, qmd_path.parent), project_root))
    return result


def page_environment(project_root: Path, qmd_path: Path) -> dict[str, str]:
    """The variables Quarto sets for a page's execution (``QUARTO_PROJECT_ROOT``, ``QUARTO_DOCUMENT_PATH``,
    ``QUARTO_DOCUMENT_FILE``; quarto-cli ``src/execute/environment.ts``), so that a cell knows its page."""
    return {"QUARTO_PROJECT_ROOT": str(Path(project_root).resolve()),
            "QUARTO_DOCUMENT_PATH": str(Path(qmd_path).resolve().parent),
            "QUARTO_DOCUMENT_FILE": Path(qmd_path).name}


def execution_plan(doc: QmdDocument, meta: dict) -> str:
    """What executing a page reads from the page: every cell (code and options) and inline expression,
    in order, and the execution options of its metadata (``execute:``, ``echo``, ``eval``, ``include``,
    ``output``), as one JSON text. The prose between them is not part of it."""
    items = []
    for block in doc.blocks:
        if isinstance(block, CodeCell):
            items.append(["cell", block.code, block.options])
        else:
            items += [["inline", part.expr] for part in block.parts if isinstance(part, InlineExpr)]
    options = {key: meta[key] for key in ("execute", *OPTION_DEFAULTS) if key in meta}
    return json.dumps({"options": options, "items": items}, sort_keys=True, default=str)


def assemble(doc: QmdDocument, outputs: list[str]) -> str:
    """The page's executed Markdown: its text with each inline expression replaced by its text and each
    cell by its shown output, ``outputs`` holding those in document order (:func:`execution_plan`)."""
    chunks: list[str] = []
    shown = iter(outputs)
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            chunks.append("".join(part if isinstance(part, str) else next(shown) for part in block.parts))
        else:
            out = next(shown)
            if out:
                chunks.append(_as_block(out, after="".join(chunks[-1:])))
    return "".join(chunks)


def merge_meta(defaults: dict, overrides: dict) -> dict:
    """``overrides`` merged over ``defaults``; nested mappings are merged key by key."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_meta(merged[key], value)
        else:
            merged[key] = value
    return merged


def inline_text(data: dict) -> str:
    """The Markdown Quarto puts in place of an inline expression, from the expression's display data.

    ``text/markdown`` is inserted as it is. Otherwise ``text/plain`` (the value's repr): a string's
    repr loses its enclosing quotes and gets Markdown punctuation backslash-escaped, so it reads as
    literal text; any other value's repr is inserted as it is (``3``, ``np.float64(0.25)``). An empty
    result means Quarto keeps the expression's code in the page.
    """
    if "text/markdown" in data:
        return _text(data["text/markdown"])
    plain = _text(data.get("text/plain", ""))
    if len(plain) >= 2 and plain[0] == plain[-1] and plain[0] in "'\"":
        return _QUARTO_INLINE_SPECIAL.sub(r"\\\1", plain[1:-1])
    return plain


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython tracebacks are coloured)."""
    return _ANSI.sub("", text)


class _PageRun:
    """One execution of one page: walks the document in order, runs cells, collects Markdown."""

    def __init__(self, doc: QmdDocument, *, name, stem, meta, figures_dir, link_prefix, log):
        self.doc = doc
        self.name = name
        self.stem = stem
        self.meta = meta
        self.figures_dir = figures_dir
        self.link_prefix = link_prefix
        self.log = log
        self.figures: list[Path] = []
        self.warnings: list[str] = []
        self.cells_executed = 0
        self._nb = None
        self._client = None
        self.prestarted = False  # ran in a kernel started in advance
        self.environment: dict[str, str] = {}  # set in the kernel before the first cell (as Quarto does)

    def run(self, run_dir: Path, setup: str, timeout: int, prestart: bool = False) -> list[str]:
        """Execute the page; return what each cell shows and each inline expression's text, in order."""
        outputs: list[str] = []
        needs_kernel = any(isinstance(b, CodeCell) for b in self.doc.blocks) or any(
            isinstance(p, InlineExpr) for b in self.doc.blocks if isinstance(b, MarkdownBlock) for p in b.parts)
        if not needs_kernel:
            return outputs
        start_fork_server()     # meanwhile nbformat and nbclient are imported and the notebook set up
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import DeadKernelError

        self._nb = nbformat.v4.new_notebook()
        kernel, self.prestarted = acquire_kernel(run_dir, setup, prestart=prestart)
        # Immediate shutdown: the kernel holds nothing worth a graceful exit (saves ~0.6 s a page).
        self._client = NotebookClient(self._nb, km=kernel.km, timeout=timeout, allow_errors=True,
                                      record_timing=False, shutdown_kernel="immediate",
                                      resources={"metadata": {"path": str(run_dir)}})
        started = False
        try:
            with self._client.setup_kernel(cleanup_kc=True):
                started = True
                self._execute(setup, what="the renderer's setup code")
                if self.environment:
                    self._execute(f"import os as _os\n_os.environ.update({self.environment!r})\ndel _os",
                                  what="the renderer's page environment")
                for block in self.doc.blocks:
                    if isinstance(block, MarkdownBlock):
                        outputs += self._inline_texts(block)
                    else:
                        outputs.append(self._cell(block))
        except DeadKernelError as exc:
            raise RenderError(f"{self.name}: the Jupyter kernel died ({exc}); a cell may have run "
                              "out of memory or crashed the interpreter.") from None
        except RuntimeError as exc:
            if started:
                raise
            raise RenderError(f"{self.name}: could not start a Jupyter kernel with {sys.executable} "
                              f"({exc}); install the project (make venv) so ipykernel is there.") from None
        finally:
            kernel.close()
        return outputs

    def _execute(self, code: str, *, what: str, store_history: bool = False):
        """Run code in the kernel; return its outputs or raise RenderError naming ``what``."""
        import nbformat
        from nbclient.exceptions import CellTimeoutError

        cell = nbformat.v4.new_code_cell(code)
        self._nb.cells.append(cell)
        try:
            self._client.execute_cell(cell, len(self._nb.cells) - 1, store_history=store_history)
        except CellTimeoutError:
            raise RenderError(f"{self.name}: {what} did not finish within the time limit; make it "
                              "faster or raise the render timeout.") from None
        outputs = cell.outputs
        self._nb.cells.pop()  # keep the notebook empty: nothing accumulates across cells
        for out in outputs:
            if out.output_type == "error":
                tb = strip_ansi("\n".join(out.get("traceback", [])))
                raise RenderError(f"{self.name}: {what} raised {out.ename}: {strip_ansi(out.evalue)}\n\n{tb}")
        return outputs

    def _option(self, cell: CodeCell, key: str):
        if key in cell.options:
            return cell.options[key]
        execute = self.meta.get("execute")
        if isinstance(execute, dict) and key in execute:
            return execute[key]
        return self.meta.get(key, OPTION_DEFAULTS[key])

    def _inline_texts(self, block: MarkdownBlock) -> list[str]:
        """The text of each inline expression of a Markdown block, evaluated in order."""
        parts = []
        expressions = [part for part in block.parts if not isinstance(part, str)]
        for part, data in zip(expressions, self._user_expressions(expressions)):
            text = inline_text(data)
            where = f"inline expression `{{python}} {part.expr}` (line {part.line})"
            if not text:
                self._warn(f"{where} evaluates to an empty text; Quarto then shows the code itself, and so "
                           "does this page. Make it return a non-empty string.")
                text = f"`{{python}} {part.expr}`"
            elif _CONSTRUCTOR_REPR.match(_text(data.get("text/plain", ""))) and "text/markdown" not in data:
                self._warn(f"{where} shows {text!r}, the repr of a {text.split('(')[0]}; format it as a "
                           "string (e.g. f\"{x:.2f}\").")
            if "text/html" in data and "text/markdown" not in data:
                self._warn(f"{where} returns HTML, which Quarto shows only on the site; return a string.")
            parts.append(text)
        return parts

    def _user_expressions(self, parts: list[InlineExpr]) -> list[dict]:
        """The display data of each inline expression of one Markdown block, evaluated in order as Jupyter
        user expressions (as Quarto does), all in one request: no cell runs between them."""
        from jupyter_core.utils import run_sync
        from nbclient.exceptions import CellTimeoutError

        if not parts:
            return []
        kc = self._client.kc
        msg_id = kc.execute("", silent=False, store_history=False,
                            user_expressions={str(i): part.expr for i, part in enumerate(parts)})
        try:
            reply = self._client.wait_for_reply(msg_id)
            # as nbclient does for a cell: the request is done when the kernel is idle again (the page's
            # shutdown must not find it still busy with it)
            if not run_sync(kc.wait_for_idle)(msg_id, self._client.timeout):
                raise CellTimeoutError
        except CellTimeoutError:
            where = ", ".join(f"`{{python}} {part.expr}` (line {part.line})" for part in parts)
            raise RenderError(f"{self.name}: the inline expressions {where} did not finish within the time "
                              "limit.") from None
        content = (reply or {}).get("content", {})
        results = content.get("user_expressions", {})
        out = []
        for i, part in enumerate(parts):
            result = results.get(str(i), content)
            if content.get("status") != "ok" or result.get("status") != "ok":
                raise RenderError(f"{self.name}: inline expression `{{python}} {part.expr}` (line {part.line}) "
                                  f"raised {result.get('ename')}: {strip_ansi(str(result.get('evalue')))}")
            out.append(result.get("data", {}))
        return out

    def _cell(self, cell: CodeCell) -> str:
        echo = bool(self._option(cell, "echo"))
        include = self._option(cell, "include")
        output = self._option(cell, "output")
        outputs = []
        if self._option(cell, "eval"):
            outputs = self._execute(cell.code, what=cell.describe(), store_history=True)
            self.cells_executed += 1
            self._log_stderr(outputs, cell.describe())
        if include is False:
            return ""
        shown = [_fenced(cell.code, "python")] if echo and cell.code.strip() else []
        if output is not False:
            shown.extend(self._outputs(cell, outputs, asis=output == "asis"))
        return "\n\n".join(s for s in shown if s)

    def _outputs(self, cell: CodeCell, outputs, *, asis: bool) -> list[str]:
        shown: list[str] = []
        raw: list[str] = []  # consecutive raw Markdown outputs, joined into one block
        last_raw = None  # index in ``shown`` of the last raw block

        def flush_raw():
            nonlocal raw, last_raw
            text = "".join(t if t.endswith("\n") else t + "\n" for t in raw).strip("\n")
            if text:
                shown.append(text)
                last_raw = len(shown) - 1
            raw = []

        n_images = 0
        first_image = None  # index in ``shown`` of the cell's first image
        for out in outputs:
            if out.output_type == "stream":
                if out.name == "stdout":
                    text = strip_ansi(out.text)
                    raw.append(text) if asis else shown.append(_fenced(text.rstrip("\n"), ""))
                continue
            if out.output_type not in ("display_data", "execute_result"):
                continue
            data = out.get("data", {})
            if "text/html" in data and ("image/svg+xml" in data or "image/png" in data):
                # Quarto shows the HTML on the site and the image in the PDF (display-data.ts)
                flush_raw()
                n_images += 1
                first_image = len(shown) if first_image is None else first_image
                shown.append(self._html_figure(cell, data, n_images))
            elif "image/svg+xml" in data or "image/png" in data:
                flush_raw()
                n_images += 1
                first_image = len(shown) if first_image is None else first_image
                shown.append(self._figure(cell, data, n_images))
            elif "text/markdown" in data:
                raw.append(_text(data["text/markdown"]))
            elif asis and "text/plain" in data:
                raw.append(_text(data["text/plain"]))
            elif "text/html" in data:
                flush_raw()
                shown.append(_fenced(_text(data["text/html"]).rstrip("\n"), "{=html}"))
            elif "text/plain" in data:
                flush_raw()
                text = _text(data["text/plain"]).rstrip("\n")
                if _ADDRESS.search(text):
                    self._warn(f"{cell.describe()}: its result shows a memory address, which changes "
                               "from render to render; end the cell with ';' or assign the result.")
                shown.append(_fenced(text, ""))
        flush_raw()

        label = cell.label or ""
        caption = cell.options.get("tbl-cap")
        if label.startswith("tbl-") and caption is None:
            self._warn(f"{cell.describe()}: table without tbl-cap; add '#| tbl-cap: ...' so it is "
                       "numbered and captioned.")
        elif caption is not None and last_raw is None:
            self._warn(f"{cell.describe()}: tbl-cap given but the cell printed no Markdown table; use "
                       "'#| output: asis' and print(df.to_markdown(index=False)).")
        elif caption is not None:
            ident = f" {{#{label}}}" if label.startswith("tbl-") else ""
            shown[last_raw] = _caption_after_table(shown[last_raw], f": {_one_line(caption)}{ident}")
        if label.startswith("fig-") and n_images == 0:
            self._warn(f"{cell.describe()}: no figure was displayed, so @{label} will not resolve; "
                       "return the Figure as the cell's last expression.")
        if label.startswith("fig-") and n_images > 1:
            self._warn(f"{cell.describe()}: {n_images} images were displayed, which Quarto shows as "
                       f"subfigures (a), (b), ... of #{label}; make the cell display one figure (a figure "
                       "still open in pyplot is displayed again when the cell ends: build figures with "
                       "evalcorr.figures.style.subplots, or end the cell with plt.show()).")
            images = shown[first_image:first_image + n_images]
            caption = _one_line(cell.options.get("fig-cap", ""))
            # the first image becomes subfigure 1; the caption moves to the enclosing figure
            images[0] = images[0].replace(f"![{caption}](", "![](", 1).replace(f"{{#{label}", f"{{#{label}-1", 1)
            shown[first_image:first_image + n_images] = [
                f"::: {{#{label} .quarto-subfigures}}\n\n" + "\n\n".join(images) + f"\n\n{caption}\n\n:::"]
        return shown

    def _figure(self, cell: CodeCell, data, k: int) -> str:
        """Write one displayed image to a file and return its Markdown image.

        The first image of a ``fig-`` cell carries the label and the caption; later ones (subfigures)
        get ``#<label>-<k>`` and no caption.
        """
        label = cell.label or ""
        if "image/svg+xml" in data:
            ext, content = "svg", _text(data["image/svg+xml"]).encode("utf-8")
            if len(content) > SVG_MAX_BYTES:
                self._warn(f"{cell.describe()}: its SVG figure is {len(content) / 1e6:.1f} MB; rasterize the "
                           "densest layer (rasterized=True) so the page stays light.")
        else:
            ext, content = "png", base64.b64decode(_text(data["image/png"]))
        if label.startswith("fig-"):
            stem = f"{self.stem}-{_safe(label)}" + (f"-{k}" if k > 1 else "")
        else:
            stem = f"{self.stem}-cell{cell.index + 1}-{k}"
        path = self.figures_dir / f"{stem}.{ext}"
        path.write_bytes(content)
        self.figures.append(path)

        subfigure = label.startswith("fig-") and k > 1
        caption = "" if subfigure else _one_line(cell.options.get("fig-cap", ""))
        alt = _one_line(cell.options.get("fig-alt", ""))
        if not alt and not subfigure:
            alt = caption
            self._warn(f"{cell.describe()}: figure without fig-alt; "
                       + ("using the caption as alt text." if caption else "it has no alt text at all."))
        attrs = []
        if label.startswith("fig-"):
            attrs.append(f"#{label}-{k}" if subfigure else f"#{label}")
        if alt:
            attrs.append('fig-alt="' + alt.replace("\\", "\\\\").replace('"', '\\"') + '"')
        link = f"{self.link_prefix}/{path.name}" if self.link_prefix != "." else path.name
        return f"![{caption}]({link})" + ("{" + " ".join(attrs) + "}" if attrs else "")

    def _html_figure(self, cell: CodeCell, data, k: int) -> str:
        """An output with HTML and an image: one figure holding both (the site keeps the HTML, the PDF the image).

        Written as ``::: {#fig-label .html-figure}`` with the raw HTML, the image (its ``fig-alt``, no
        caption) and the caption; :func:`evalcorr.render.filters.html_figures` makes it a Figure.
        """
        image = self._figure(cell, data, k)
        label = cell.label or ""
        caption = "" if label.startswith("fig-") and k > 1 else _one_line(cell.options.get("fig-cap", ""))
        ident = re.search(r"\{(#\S+)", image)
        image = image.replace(f"![{caption}](", "![](", 1)
        if ident:
            image = image.replace(ident.group(1) + " ", "", 1).replace("{" + ident.group(1) + "}", "")
        html = _fenced(_text(data["text/html"]).rstrip("\n"), "{=html}")
        attrs = " ".join([*([ident.group(1)] if ident else []), ".html-figure"])
        return f"::: {{{attrs}}}\n\n{html}\n\n{image}\n\n{caption}\n\n:::"

    def _log_stderr(self, outputs, where: str) -> None:
        for out in outputs:
            if out.output_type == "stream" and out.name == "stderr" and out.text.strip():
                text = _CELL_FILE.sub(r"line \1", strip_ansi(out.text).strip())
                self._warn(f"{where}: {text}")

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"warning: {self.name}: {message}")


def _page_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _caption_after_table(text: str, caption: str) -> str:
    """`text` with a pandoc table caption right after its last pipe table (else at its end).

    Quarto captions the table of a ``tbl-`` cell wherever the cell prints other Markdown (e.g. a data
    link after the table); pandoc's ``: caption`` must touch the table it belongs to.
    """
    lines = text.split("\n")
    last = max((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), default=None)
    if last is None:
        return f"{text}\n\n{caption}"
    return "\n".join([*lines[:last + 1], "", caption, *([""] + lines[last + 1:] if last + 1 < len(lines) else [])])


def _fenced(text: str, info: str) -> str:
    """A fenced block longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _as_block(text: str, *, after: str) -> str:
    """``text`` as a Markdown block: separated by one blank line from what precedes and follows it."""
    lead = "" if after == "" or after.endswith("\n\n") else ("\n" if after.endswith("\n") else "\n\n")
    return f"{lead}{text}\n\n"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _one_line(value) -> str:
    return " ".join(str(value).split())


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", label)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
