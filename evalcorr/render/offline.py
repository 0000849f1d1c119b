"""The offline renderer: execute every page, then write the site and the PDF into one folder.

Steps: each page's cells run in its own Jupyter kernel (:mod:`evalcorr.render.execute`, which caches
unchanged pages; :func:`render_jobs` pages at once); pandoc parses the executed Markdown; figures are placed beside the page on the site
(``chapters/helm_files/...svg``); figures and tables are numbered over the whole report; every page is
written as HTML (:mod:`.html`, :mod:`.site`: a page whose cross-references stay within it as soon as it
is parsed, the others once all are) and all pages together as one PDF (:mod:`.pdf`).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

import yaml

from evalcorr.errors import RenderError
from evalcorr.render import crossref, pdf
from evalcorr.render.citations import bib_keys, check_citations, lists_references, report_citation
from evalcorr.render.crossref import is_crossref
from evalcorr.render.filters import html_figures, images, subfigures
from evalcorr.render.forkserver import start_fork_server
from evalcorr.render.html import page_html
from evalcorr.render.pagecache import CACHE_DIRNAME, PageCache
from evalcorr.render.pandoc import PandocCache, element, find_all, markdown_to_ast
from evalcorr.render.project import Page, Project
from evalcorr.render.qmd import read_qmd
from evalcorr.render.resources import copy_page_resources
from evalcorr.render.site import SitePage, write_site
from evalcorr.stats.results_store import prune

EXECUTED = "executed"     # how a page whose cells ran in this render was obtained (else: from the page cache)
# How long a thread of the renderer may hold the GIL while another waits for it (Python's default: 5 ms).
# The threads that send the kernels their cells wait for it while other threads parse pages and write
# HTML, and meanwhile a kernel that finished a cell waits idle for the next: handed over sooner, a cold
# render on two cores took 1.6 to 2.9% less time (three sets of six paired renders).
SWITCH_INTERVAL_S = 0.0005


def _short_gil_turns(function):
    """Run `function` with :data:`SWITCH_INTERVAL_S` as the interpreter's switch interval, then restore it."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        previous = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        try:
            return function(*args, **kwargs)
        finally:
            sys.setswitchinterval(previous)
    return wrapper


@_short_gil_turns
def render_offline(project: Project, site_dir: Path, *, log: Callable[[str], None] = print,
                   execute=None) -> None:
    """Render all pages of `project` into the (empty) folder `site_dir`."""
    page_cache = PageCache.for_project(project.root)
    names = [Path(page.source).as_posix() for page in project.pages]      # as the page cache names them
    if execute is None:
        if not all(page_cache.has_entry(name) for name in names):
            # A page never executed will need a kernel: the fork server's imports (over a second) run
            # meanwhile, instead of after this set-up and the first page's cache key.
            start_fork_server()
        from evalcorr.render.execute import execute_page as execute

    # Pandoc outputs and the last PDF are kept by the content of their inputs: a render runs pandoc and
    # Typst only on what changed.
    cache_dir = project.root / CACHE_DIRNAME
    pandoc_cache = PandocCache(cache_dir / "pandoc")
    jobs = render_jobs()
    prune(page_cache.results_dir)       # results kept for an older version of the code
    order = longest_first([page_cache.last_seconds(name) for name in names],
                          [_code_cells(project.root / page.source) for page in project.pages])
    # A page executed in its kernel whose cross-references all point into itself is written as HTML as
    # soon as it is parsed, while other pages still execute (at the end one kernel often runs alone); the
    # others once every page is parsed. A page from the page cache is ready at once: writing it early
    # would only interleave its Python work with the other pages' (0.1-0.2 s slower on a warm render).
    # `jobs` kernels at once; one thread more, so that the next page's kernel starts while pandoc parses
    # the page just executed.
    kernel_slots = threading.BoundedSemaphore(jobs)
    with ThreadPoolExecutor(max_workers=jobs + 1) as pool, ThreadPoolExecutor(max_workers=jobs) as writers:
        early, early_chapters = {}, {}

        def write_early(index: int, page: Page, meta: dict, ast: dict, executed: bool) -> None:
            if executed and _self_contained(ast["blocks"]):
                own = crossref.number_targets([(page.source, page.number, ast["blocks"])])
                early[index] = writers.submit(page_html, ast, page, project, own, cache=pandoc_cache)
                early_chapters[index] = writers.submit(_chapter, index, page, meta, ast, project, own,
                                                       site_dir)

        parsed = _execute_pages(project, order, pool, lambda page: _execute_and_parse(
            page, project, site_dir, execute, log, pandoc_cache, kernel_slots), log, write_early)

        keys = bib_keys(project.bibliography)
        for page, _, ast in parsed:
            check_citations(ast["blocks"], page.source, keys, project.bibliography)
        _list_every_citation(parsed, log)
        targets = crossref.number_targets((page.source, page.number, ast["blocks"]) for page, _, ast in parsed)

        start = time.perf_counter()
        # The PDF's Typst needs only the parsed pages and their numbers: it is written while the site's
        # last pages go through pandoc (both threads mostly wait on pandoc). Typst compiles it outside
        # the GIL, on a thread of `pool` (its pages are all done), while the site is written: the site
        # adds pages and linked files, none of the figure files (``*_files``) the PDF reads.
        typst = writers.submit(_typst_source, parsed, project, targets, site_dir, pandoc_cache, early_chapters)
        citation = report_citation(project.root, project.title, project.author)
        inputs = {"title": project.title, "subtitle": project.subtitle, "author": project.author,
                  "edition": _edition(project.root), "note": citation.text}
        compiling = pool.submit(_compile_pdf, typst, project, site_dir, inputs, cache_dir, start)
        late = {index: writers.submit(page_html, ast, page, project, targets, cache=pandoc_cache)
                for index, (page, _, ast) in enumerate(parsed) if index not in early}
        bodies = [(early.get(index) or late[index]).result() for index in range(len(parsed))]
        site_pages = [SitePage(page, _title(page), str(meta.get("subtitle") or ""),
                               str(meta.get("description") or ""), body)
                      for (page, meta, _), body in zip(parsed, bodies)]
        write_site(site_pages, project, citation, site_dir)
        copied = sum(len(copy_page_resources(site_page.html.body, site_page.page, project.root, site_dir))
                     for site_page in site_pages)
        log(f"site: {len(site_pages)} pages and {copied} linked files written in {time.perf_counter() - start:.1f} s")
        compiled, seconds = compiling.result()
        how = "compiled" if compiled else "unchanged: copied from the cache"
        log(f"pdf: {project.pdf_file} written in {seconds:.1f} s ({how})")
    _remove_empty_dirs(site_dir)
    pandoc_cache.sweep()


def _typst_source(parsed: list, project: Project, targets, site_dir: Path, cache: PandocCache,
                  early_chapters: dict) -> str:
    """The PDF's Typst source from the parsed pages (:func:`evalcorr.render.pdf.typst_source`); a chapter
    already made while other pages executed (``early_chapters``, book index -> future) is taken as made."""
    chapters = [early_chapters[index].result() if index in early_chapters
                else _chapter(index, page, meta, ast, project, targets, site_dir)
                for index, (page, meta, ast) in enumerate(parsed)]
    meta = {key: value for _, _, ast in parsed for key, value in ast["meta"].items()}
    return pdf.typst_source(chapters, meta, parsed[0][2]["pandoc-api-version"], project, cache=cache)


def _compile_pdf(typst, project: Project, site_dir: Path, inputs: dict, cache_dir: Path, start: float):
    """Write the PDF from the future of its Typst source (:func:`evalcorr.render.pdf.write_pdf`):
    ``(compiled, seconds since start)``."""
    compiled = pdf.write_pdf(typst.result(), project, site_dir, site_dir / project.pdf_file, inputs,
                             cache_dir=cache_dir / "pdf")
    return compiled, time.perf_counter() - start


def _chapter(index: int, page: Page, meta: dict, ast: dict, project: Project, targets, site_dir: Path) -> list:
    """The PDF chapter of the page at book index ``index`` (:func:`evalcorr.render.pdf.chapter_blocks`)."""
    # In the PDF the landing page's first heading is its chapter heading (on the site the book's title
    # block comes first, and the heading stays in the text).
    if page.title_from_heading and index == 0:
        ast = {**ast, "blocks": _without_first_heading(ast["blocks"])}
    subtitle = str(meta.get("subtitle") or "")
    return pdf.chapter_blocks(ast, page, _title(page), subtitle, project, targets, site_dir)


def _execute_pages(project: Project, order: list[int], pool, run, log, on_parsed) -> list:
    """Execute and parse every page in `pool` (started in `order`): ``(page, meta, ast)`` in book order.

    ``on_parsed(index, page, meta, ast, executed)`` is called for each page as soon as it is parsed (executed:
    its cells ran in this render, it was not read from the page cache); the log names the
    pages in book order, each as soon as it and the pages before it are done. The first page (in book
    order) that fails raises its error, and the pages not yet started are cancelled.
    """
    submitted = {i: pool.submit(run, project.pages[i]) for i in order}
    futures = [submitted[i] for i in range(len(project.pages))]
    index_of = {future: index for index, future in enumerate(futures)}
    pending, logged = set(futures), 0
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            if any(future.exception() is not None for future in done):
                for future in pending:      # pages not started yet are not started after a failure
                    future.cancel()
                break                       # the loop below raises the first failure in book order
            for future in done:
                page, meta, ast, how, _ = future.result()
                on_parsed(index_of[future], page, meta, ast, how == EXECUTED)
            while logged < len(futures) and futures[logged].done() and futures[logged].exception() is None:
                _log_page(logged, futures, log)
                logged += 1
        parsed = []
        for index, future in enumerate(futures):
            if future.cancelled():          # only after a failure, which this loop raises
                continue
            page, meta, ast, how, seconds = future.result()
            if index >= logged:
                _log_page(index, futures, log)
            parsed.append((page, meta, ast))
        return parsed
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _log_page(index: int, futures: list, log) -> None:
    page, _, _, how, seconds = futures[index].result()
    log(f"[{index + 1}/{len(futures)}] {page.source}: {how} in {seconds:.1f} s")


def _self_contained(blocks: list) -> bool:
    """Whether a page can be written without the other pages: its cross-references all point to its
    own figures and tables, and it does not list the report's references (``::: {#refs}``)."""
    own = crossref.labels(blocks)
    referenced = {c["citationId"] for cite in find_all(blocks, {"Cite"}) for c in cite["c"][0]
                  if is_crossref(c["citationId"])}
    unique = len(set(own)) == len(own)      # a label defined twice is reported once every page is parsed
    return unique and referenced <= set(own) and not lists_references(blocks)


def render_jobs() -> int:
    """Pages executed at once: ``EVALCORR_RENDER_JOBS``, default 2 (or 1 on a one-core machine)."""
    value = os.environ.get("EVALCORR_RENDER_JOBS")
    if value is None:
        return min(2, os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise RenderError(f"EVALCORR_RENDER_JOBS={value!r}: give a whole number of pages to execute at once (>= 1)")
    return int(value)


def longest_first(last_seconds: list[float], code_cells: list[int]) -> list[int]:
    """The order in which to start the pages: longest last execution first, ties in book order.

    With a few kernels at once, a long page started last would run alone at the end; started first,
    the short pages fill the other kernels meanwhile (longest-processing-time scheduling). A page never
    executed (0 s) comes after the others, the pages with more code cells first: on the report the
    number of cells ranks the pages' times well enough to keep the kernels busy to the end of a cold
    render.

    >>> longest_first([1.0, 42.0, 0.0, 11.0, 0.0], [9, 3, 1, 2, 5])
    [1, 3, 0, 4, 2]
    """
    return sorted(range(len(last_seconds)), key=lambda i: (-last_seconds[i], -code_cells[i]))


def _code_cells(path: Path) -> int:
    """The number of code cells of a page (0 when it cannot be read or parsed: its execution says why)."""
    try:
        return len(read_qmd(path).cells)
    except (OSError, UnicodeDecodeError, RenderError):
        return 0


def _execute_and_parse(page: Page, project: Project, site_dir: Path, execute, log, pandoc_cache,
                       kernel_slots: threading.Semaphore):
    """Run one page's cells (own kernel, holding one of `kernel_slots`) and parse the result:
    ``(page, meta, ast, how, seconds)``."""
    figures_dir = site_dir / page.files_dir
    figures_dir.mkdir(parents=True, exist_ok=True)
    with kernel_slots:
        start = time.perf_counter()       # the page's own time, not its wait for a kernel
        executed = execute(project.root / page.source, project_root=project.root, figures_dir=figures_dir,
                           defaults={"execute": project.execute}, link_base=site_dir, log=log,
                           figure=project.figure, execute_dir=project.execute_dir)
    meta = dict(executed.meta or {})
    ast = _parse(executed.markdown, meta, page, landing=page is project.pages[0], log=log, cache=pandoc_cache)
    if page.title_from_heading and page is not project.pages[0]:
        ast["blocks"] = _without_first_heading(ast["blocks"])
    ast["blocks"] = html_figures(subfigures(images(ast["blocks"], lambda src: _place_image(
        src, page, project.root, figures_dir, site_dir))))
    how = "from the page cache" if getattr(executed, "cached", False) else EXECUTED
    return page, meta, ast, how, time.perf_counter() - start


def _parse(markdown: str, meta: dict, page: Page, *, landing: bool, log, cache=None) -> dict:
    """Parse a page's executed Markdown; the landing page's ``nocite`` is kept for pandoc.

    A Quarto book reads ``nocite`` only from its first page (and _quarto.yml); on any other page it is
    ignored, so it is ignored here too, with a warning.
    """
    header = ""
    if "nocite" in meta and landing:
        header = f"---\n{yaml.safe_dump({'nocite': meta['nocite']})}---\n\n"
    elif "nocite" in meta:
        log(f"warning: {page.source}: `nocite` is ignored outside the first page of a book (as Quarto "
            "does); cite the works in the text")
    return markdown_to_ast(header + markdown, what=page.source, cache=cache)


def _list_every_citation(parsed: list, log) -> None:
    """Give the page that holds ``::: {#refs}`` every work cited anywhere in the report.

    A Quarto book builds its references page from the citations of all its pages (plus the first
    page's ``nocite``); citeproc on one page would list only that page's citations.
    """
    cited: list[str] = []
    for _, _, ast in parsed:
        for cite in find_all(ast["blocks"], {"Cite"}):
            cited += [c["citationId"] for c in cite["c"][0] if not is_crossref(c["citationId"])]
    nocite = parsed[0][2]["meta"].get("nocite")
    citations = [{"citationId": key, "citationPrefix": [], "citationSuffix": [], "citationMode": {"t": "NormalCitation"},
                  "citationNoteNum": 0, "citationHash": 0} for key in dict.fromkeys(cited)]
    for _, _, ast in parsed:
        if lists_references(ast["blocks"]):
            inlines = [element("Cite", [citations, []])] if citations else []
            inlines += find_all(nocite, {"Cite"}) if nocite else []
            ast["meta"]["nocite"] = {"t": "MetaInlines", "c": inlines}


def _without_first_heading(blocks: list) -> list:
    """The blocks without the page's first heading (Quarto lifts it out as the page title)."""
    index = next((i for i, block in enumerate(blocks) if block["t"] == "Header"), None)
    return blocks if index is None else blocks[:index] + blocks[index + 1:]


def _title(page: Page) -> str:
    if not page.title:
        raise RenderError(f"{page.source}: the page has no title; give it `title:` in the front matter or "
                          "start it with a `# Title` heading")
    return page.title


def _edition(root: Path) -> str:
    """``Version 0.1.0, 2026-11-22`` from CITATION.cff, or empty."""
    path = root / "CITATION.cff"
    cff = yaml.safe_load(path.read_text()) if path.is_file() else {}
    parts = [f"Version {cff['version']}" if cff.get("version") else "", str(cff.get("date-released") or "")]
    return ", ".join(part for part in parts if part)


def _place_image(src: str, page: Page, root: Path, figures_dir: Path, site_dir: Path) -> str:
    """Site path (relative to the site root) of an image, copying it beside the page if needed."""
    if "://" in src or src.startswith("data:"):
        return src
    path = Path(src)
    candidates = [path] if path.is_absolute() else [site_dir / path, figures_dir / path, root / path,
                                                    root / Path(page.source).parent / path]
    found = next((candidate.resolve() for candidate in candidates if candidate.is_file()), None)
    if found is None:
        raise RenderError(f"{page.source}: image {src} does not exist (looked in {figures_dir}, the project "
                          "root and the page's folder)")
    if not found.is_relative_to(site_dir.resolve()):
        target = figures_dir / found.name
        if target.exists() and target.read_bytes() != found.read_bytes():
            raise RenderError(f"{page.source}: two different images are named {found.name}")
        shutil.copyfile(found, target)
        found = target.resolve()
    return found.relative_to(site_dir.resolve()).as_posix()


def _remove_empty_dirs(site_dir: Path) -> None:
    for folder in sorted(site_dir.rglob("*_files"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
