"""Incremental renders of the fixture project: nothing changed -> nothing runs; prose edited -> only
that page goes through pandoc again, without a kernel; the chapter-at-a-time PDF Typst is the whole
document's; pandoc outputs are kept by content."""

import shutil
from pathlib import Path

import pytest
from tests._renderfixture import BIB, RESULTS, write_fixture_project

import evalcorr.render.execute as execute
import evalcorr.render.pandoc as pandoc
from evalcorr.render import render_project
from evalcorr.render.pandoc import PandocCache, markdown_to_ast, write_ast
from evalcorr.render.pdf import _chapter_typst, _with_citations
from evalcorr.render.project import load_project
from evalcorr.render.stamp import STAMP, inputs_digest


class KernelStarted(Exception):
    """Raised instead of starting a kernel."""


def _no_kernel(*args, **kwargs):
    raise KernelStarted


@pytest.fixture()
def pandoc_runs(monkeypatch):
    """Every pandoc process started, as ``(what, output format)``."""
    runs = []
    real = pandoc.run_pandoc

    def counted(args, text, *, what, cache=None):
        if cache is None:
            runs.append((what, args[args.index("-t") + 1]))
        return real(args, text, what=what, cache=cache)

    monkeypatch.setattr(pandoc, "run_pandoc", counted)
    return runs


def _files(site: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in site.rglob("*") if p.is_file()}


def test_renders_do_only_what_their_inputs_changed(tmp_path, monkeypatch, pandoc_runs):
    root = write_fixture_project(tmp_path / "project")
    log = []
    site = render_project(root, renderer="offline", log=log.append).out_dir
    assert {what for what, _ in pandoc_runs} == {"index.qmd", "chapters/results.qmd", "chapters/references.qmd",
                                                 "the PDF fixture-report.pdf (citations)", "the PDF fixture-report.pdf"}
    assert sum(what == "the PDF fixture-report.pdf (citations)" for what, _ in pandoc_runs) == 1
    first = _files(site)
    assert STAMP in first

    # Nothing changed: no kernel, no pandoc, no Typst, not a file touched.
    monkeypatch.setattr(execute, "acquire_kernel", _no_kernel)
    pandoc_runs.clear()
    log.clear()
    render_project(root, renderer="offline", log=log.append)
    assert pandoc_runs == [] and _files(site) == first
    assert any("nothing changed" in line for line in log)

    # Prose of one page edited: that page is parsed, written as HTML and converted for the PDF again;
    # its cells are not run again (no kernel), and every other page is reused. The report's citations
    # did not change, so citeproc's output is reused too.
    page = root / "chapters" / "results.qmd"
    page.write_text(RESULTS.replace("Each point is one size.", "Each point is one model size."))
    log.clear()
    render_project(root, renderer="offline", log=log.append)
    assert sorted(pandoc_runs) == [("chapters/results.qmd", "html5"), ("chapters/results.qmd", "json"),
                                   ("the PDF fixture-report.pdf", "typst-citations")]
    assert "Each point is one model size." in (site / "chapters" / "results.html").read_text()
    assert any("(compiled)" in line for line in log)
    edited = _files(site)
    assert edited["chapters/results_files/results-fig-line.svg"][1] == first[
        "chapters/results_files/results-fig-line.svg"][1]

    # The site removed, or one of its files edited by hand: rendered again, from the caches alone.
    for damage in (lambda: (site / "chapters" / "results.html").write_text("edited"),
                   lambda: shutil.rmtree(site)):
        damage()
        pandoc_runs.clear()
        log.clear()
        render_project(root, renderer="offline", log=log.append)
        assert pandoc_runs == [] and any("unchanged: copied from the cache" in line for line in log)
        assert {name: content for name, (_, content) in _files(site).items() if name != STAMP} == {
            name: content for name, (_, content) in edited.items() if name != STAMP}


def test_inputs_digest_follows_the_project_files(tmp_path):
    root = write_fixture_project(tmp_path / "project")
    base = inputs_digest(load_project(root))
    assert inputs_digest(load_project(root)) == base
    for name, change in [("references.bib", BIB + "\n"), ("CITATION.cff", "cff-version: 1.2.0\n"),
                         ("chapters/references.qmd", "# References {.unnumbered}\n\nAll of them.\n")]:
        before = (root / name).read_text()
        (root / name).write_text(change)
        assert inputs_digest(load_project(root)) != base, name
        (root / name).write_text(before)
    assert inputs_digest(load_project(root)) == base
    (root / "notes.txt").write_text("not an input")        # a file no render reads
    assert inputs_digest(load_project(root)) == base


def _typst_parts(chapters, meta, api, project, pandoc_runs):
    pandoc_runs.clear()
    parts = [_chapter_typst(blocks, api, "t", None) for blocks in _with_citations(chapters, meta, api, project, "t", None)]
    assert sum("--citeproc" in args for args in pandoc_runs) == 1        # citeproc reads the style once
    return parts


def test_the_pdf_typst_of_each_chapter_is_that_of_the_whole_document(tmp_path, monkeypatch):
    project = load_project(write_fixture_project(tmp_path / "project"))
    chapters = [markdown_to_ast(text, what="t")["blocks"] for text in (
        "# One\n\nAs @doe2020scaling found, and as [@poe2019tables, p. 3] agrees.^[See [-@doe2020scaling].]\n\n"
        "::: {.callout-note}\nBoth [see @doe2020scaling; @poe2019tables, ch. 2].\n:::\n\n"
        "| a |\n|---|\n| @poe2019tables |\n\n: Table after [@doe2020scaling]\n",
        "# Two\n\nNo citation here.\n",
        "# Three\n\nAgain @doe2020scaling, once more [@doe2020scaling].\n",
        "# References\n\n::: {#refs}\n:::\n")]
    meta = {"nocite": markdown_to_ast("---\nnocite: '@*'\n---\n", what="t")["meta"]["nocite"]}
    api = markdown_to_ast("x", what="t")["pandoc-api-version"]
    whole = write_ast({"pandoc-api-version": api, "meta": meta, "blocks": [b for c in chapters for b in c]},
                      "typst-citations", ["--wrap=preserve", "-M", "link-citations=true", "--citeproc",
                                          f"--bibliography={project.bibliography}"], what="whole")
    runs = []
    real = pandoc.run_pandoc
    monkeypatch.setattr(pandoc, "run_pandoc", lambda args, text, **kw: runs.append(args) or real(args, text, **kw))
    parts = _typst_parts(chapters, meta, api, project, runs)
    assert "\n\n".join(part.rstrip("\n") for part in parts) + "\n" == whole
    assert "#link(<ref-doe2020scaling>)" in parts[0] and "Poe, Edgar" in parts[3] and "Poe, Edgar" not in parts[0]

    # Without a references chapter the citations are formatted and linked, and no list is printed.
    without = _typst_parts(chapters[:3], {}, api, project, runs)
    assert "#link(<ref-doe2020scaling>)" in without[0] and "Doe" in without[0]
    assert not any("Poe, Edgar" in part or "<refs>" in part for part in without)
    assert without[1] == parts[1]


def test_pandoc_cache_runs_pandoc_once_per_input_and_sweeps_the_rest(tmp_path, pandoc_runs):
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    cache = PandocCache(tmp_path / "pandoc")
    args = ["-f", "markdown", "-t", "html5", "--citeproc", f"--bibliography={bib}"]
    first = pandoc.run_pandoc(args, "See @doe2020scaling.", what="a", cache=cache)
    assert pandoc.run_pandoc(args, "See @doe2020scaling.", what="a", cache=cache) == first
    assert len(pandoc_runs) == 1 and "Doe" in first
    bib.write_text(BIB.replace("Scaling Laws for Fixtures", "Other Laws"))   # a file an argument names
    assert "Other Laws" in pandoc.run_pandoc(args, "See @doe2020scaling.", what="a", cache=cache)
    assert len(pandoc_runs) == 2 and len(list(cache.directory.iterdir())) == 2

    again = PandocCache(tmp_path / "pandoc")
    again.run(args, "See @doe2020scaling.", what="a")
    again.sweep()
    assert len(pandoc_runs) == 2 and len(list(again.directory.iterdir())) == 1


def test_a_project_file_the_site_copied_is_watched(tmp_path):
    # A cell writes a CSV into the project and links to it; the site holds a copy. Editing the
    # project's file by hand makes the next render run again (and the page's cell rewrites the file).
    results = RESULTS.replace("## Table", '''## Table

```{python}
#| output: asis
from pathlib import Path
Path("chapters/scores.csv").write_text("size,score\\n1,1\\n")
print('<a href="scores.csv" download>scores.csv</a>')
```
''')
    root = write_fixture_project(tmp_path / "project", results=results)
    site = render_project(root, renderer="offline", log=lambda line: None).out_dir
    assert (site / "chapters" / "scores.csv").read_text() == "size,score\n1,1\n"
    log = []
    render_project(root, renderer="offline", log=log.append)
    assert any("nothing changed" in line for line in log)
    (root / "chapters" / "scores.csv").write_text("edited by hand\n")
    log.clear()
    render_project(root, renderer="offline", log=log.append)
    assert not any("nothing changed" in line for line in log)
    assert (site / "chapters" / "scores.csv").read_text() == "size,score\n1,1\n"
