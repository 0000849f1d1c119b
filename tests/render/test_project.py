"""Reading _quarto.yml (page list, numbering, errors) and the report's citation from CITATION.cff."""

import pytest
from tests._renderfixture import write_fixture_project

from evalcorr.errors import RenderError
from evalcorr.render.citations import bib_keys, report_citation
from evalcorr.render.kernels import FigureOptions
from evalcorr.render.project import chapter_list, is_numbered, load_project, page_title


def test_pages_numbering_and_settings(tmp_path):
    project = load_project(write_fixture_project(tmp_path))
    assert [(page.source, page.number) for page in project.pages] == [
        ("index.qmd", None), ("chapters/results.qmd", 1), ("chapters/references.qmd", None)]
    results = project.page("chapters/results.qmd")
    assert (results.slug, results.html, results.files_dir) == ("results", "chapters/results.html",
                                                             "chapters/results_files")
    assert project.title == "Fixture report" and project.author == "Fixture authors"
    assert project.pdf_file == "fixture-report.pdf" and project.output_dir == "_site"
    assert project.bibliography == tmp_path.resolve() / "references.bib"
    assert project.execute == {"echo": False}
    assert project.execute_dir == "project" and project.figure.format == "svg"
    assert [page.title for page in project.pages] == ["Welcome", "Results", "References"]


# Quarto's book rule (book-shared.ts isNumberedChapter, pandoc-partition.ts parsePandocTitle): a string
# `title:` in the front matter is the only thing read when present; otherwise the first heading's classes.
@pytest.mark.parametrize("text, numbered, title", [
    ("# References {.unnumbered}\n\n::: {#refs}\n:::\n", False, "References"),
    ("---\ndescription: d\n---\n\n# Overview {.unnumbered}\n\nText.\n", False, "Overview"),
    ("---\ntitle: References\n---\n\n::: {#refs}\n:::\n", True, "References"),
    # attributes in a plain front-matter title are not recognised: the page stays numbered
    ('---\ntitle: "Preface {.unnumbered}"\n---\n', True, "Preface {.unnumbered}"),
    ('---\ntitle: "# Preface {.unnumbered}"\n---\n', False, "Preface"),
    # a front-matter title wins over an unnumbered heading
    ("---\ntitle: Results\n---\n\n# Intro {.unnumbered}\n", True, "Results"),
    ("# Results\n\nText.\n", True, "Results"),
    ("```{python}\n# a comment, not a heading {.unnumbered}\n```\n\n# Real {.unnumbered}\n", False, "Real"),
    ("Setext title\n============\n", True, "Setext title"),
])
def test_numbering_and_titles_follow_quartos_book_rule(text, numbered, title):
    assert is_numbered(text) is numbered
    assert page_title(text)[0] == title


def test_numbering_counts_only_numbered_pages(tmp_path):
    root = write_fixture_project(tmp_path, index="---\ntitle: Fixture report\n---\n\nText.\n")
    assert [page.number for page in load_project(root).pages] == [1, 2, None]  # a titled index is chapter 1


def test_figure_options_and_math_are_read_once_for_every_format(tmp_path):
    root = write_fixture_project(tmp_path)
    config = root / "_quarto.yml"
    text = config.read_text()
    config.write_text(text + "fig-width: 6\nfig-height: 3\nfig-dpi: 120\n")
    assert load_project(root).figure == FigureOptions(format="svg", width=6, height=3, dpi=120)
    config.write_text(text.replace("  typst: default", "  typst:\n    fig-format: png"))
    with pytest.raises(RenderError, match="fig-format` under `format: typst:` differs from the top level"):
        load_project(root)
    config.write_text(text.replace("html-math-method: mathml", "html-math-method: mathjax"))
    with pytest.raises(RenderError, match="html-math-method 'mathjax'"):
        load_project(root)
    config.write_text(text.replace("fig-format: svg", "fig-format: pdf"))
    with pytest.raises(RenderError, match="fig-format 'pdf'"):
        load_project(root)


def test_chapter_list_links_every_numbered_chapter(tmp_path):
    root = write_fixture_project(tmp_path)
    assert chapter_list(root) == ("1. [Results](chapters/results.qmd): A figure, a table, callouts and a citation.")


def test_the_real_project_lists_the_landing_page_first_and_references_last():
    from tests._renderfixture import ROOT

    project = load_project(ROOT)
    assert project.pages[0].source == "index.qmd" and project.pages[-1].source == "chapters/references.qmd"
    assert project.title == "Do LLMs learn transferable skills?" and project.author == "evalcorr developers"
    numbers = [page.number for page in project.pages]
    assert numbers == [None, *range(1, len(project.pages) - 1), None]
    assert project.execute_dir == "project" and project.csl == ROOT / "chicago-author-date.csl"
    assert project.figure == FigureOptions(format="svg", width=7, height=4.5, dpi=100)


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("    - chapters/results.qmd\n", "    - chapters/results.qmd\n    - chapters/missing.qmd\n"),
     r"lists pages that do not exist: chapters/missing\.qmd"),
    (lambda text: text.replace('  title: "Fixture report"\n', ""), r"`book: title:` is missing"),
    (lambda text: text.replace("    - index.qmd\n", "    - index.md\n"), r"chapter entry 'index\.md' is not a \.qmd"),
    (lambda text: text.replace("bibliography: references.bib", "bibliography: nowhere.bib"),
     r"bibliography .*nowhere\.bib does not exist"),
    (lambda text: text + "  : [\n", r"not valid YAML"),
])
def test_configuration_errors_name_the_file(tmp_path, edit, message):
    root = write_fixture_project(tmp_path)
    config = root / "_quarto.yml"
    config.write_text(edit(config.read_text()))
    with pytest.raises(RenderError, match=message) as error:
        load_project(root)
    assert "_quarto.yml" in str(error.value)


def test_duplicate_page_names_are_refused(tmp_path):
    root = write_fixture_project(tmp_path)
    (root / "results.qmd").write_text("---\ntitle: Again\n---\n")
    config = root / "_quarto.yml"
    config.write_text(config.read_text().replace("    - chapters/results.qmd\n",
                                                 "    - chapters/results.qmd\n    - results.qmd\n"))
    with pytest.raises(RenderError, match="page file names must be unique, repeated: results"):
        load_project(root)


def test_missing_config_is_named(tmp_path):
    with pytest.raises(RenderError, match=r"no _quarto\.yml"):
        load_project(tmp_path)


def test_bib_keys():
    from tests._renderfixture import ROOT

    keys = bib_keys(ROOT / "references.bib")
    assert "wolfram2024transferable" in keys and "fourrier2024openllm" in keys
    assert len(keys) == (ROOT / "references.bib").read_text().count("\n@") + 1


def test_report_citation_from_citation_cff(tmp_path):
    (tmp_path / "CITATION.cff").write_text(
        "cff-version: 1.2.0\ntitle: A study\nversion: 2.0\ndate-released: 2025-05-06\n"
        "url: https://example.org/study\nauthors:\n  - family-names: Doe\n    given-names: Jane\n"
        "  - name: The Lab\n")
    citation = report_citation(tmp_path, "ignored", "ignored")
    assert citation.text == "Jane Doe and The Lab (2025). A study. Version 2.0. https://example.org/study"
    assert citation.bibtex == ("@misc{evalcorr2025,\n  title   = {{A study}},\n  author  = {Doe, Jane and {The Lab}},\n"
                               "  year    = {2025},\n  version = {2.0},\n  url     = {https://example.org/study},\n"
                               "  note    = {Website and PDF report}\n}")


def test_report_citation_falls_back_to_quarto_metadata(tmp_path):
    citation = report_citation(tmp_path, "Title", "Someone")
    assert citation.text == "Someone (n.d.). Title."
    assert report_citation(tmp_path, "Do they?", "Someone").text == "Someone (n.d.). Do they?"
    assert "author  = {{Someone}}" in citation.bibtex
