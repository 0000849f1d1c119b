"""What the offline renderer does with site outputs, as Quarto does: a cell output holding HTML and an
image is one figure (HTML on the site, the image in the PDF); a page knows its path through Quarto's
variables; files a page links to are copied into the site; a table caption stays on its table when a
data link follows it; a cached page whose linked files are gone is executed again."""

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import crossref
from evalcorr.render.execute import execute_page
from evalcorr.render.filters import html_figures, select_format
from evalcorr.render.kernels import FigureOptions
from evalcorr.render.pagecache import PageCache, file_stamps
from evalcorr.render.pandoc import find_all, markdown_to_ast
from evalcorr.render.project import Page
from evalcorr.render.resources import copy_page_resources, linked_files, local_references

PAGE = '''\
---
title: Site outputs
---

```{python}
#| include: false
import os, pathlib
from evalcorr.figures.style import subplots
from evalcorr.site.figure import svg_of

class Both:
    """An output with HTML for the site and an SVG for the PDF (as an InteractiveFigure)."""
    def _repr_mimebundle_(self, include=None, exclude=None):
        fig, ax = subplots(figsize=(2, 2))
        ax.plot([0, 1])
        return {"text/html": "<div id='live'>interactive</div>", "image/svg+xml": svg_of(fig), "text/plain": "both"}

folder = pathlib.Path(os.environ["QUARTO_DOCUMENT_PATH"])
(folder / "data.csv").write_text("a,b\\n1,2\\n")
```

```{python}
#| label: fig-both
#| fig-cap: "Interactive on the site, static in the PDF."
#| fig-alt: "A rising line."
Both()
```

Written for `{python} os.environ["QUARTO_DOCUMENT_FILE"]` in `{python} pathlib.Path(os.environ["QUARTO_DOCUMENT_PATH"]).name`
of `{python} pathlib.Path(os.environ["QUARTO_PROJECT_ROOT"]).name`.

```{python}
#| label: tbl-small
#| tbl-cap: "A table and its data link."
#| output: asis
print("| a | b |\\n|---|---|\\n| 1 | 2 |")
print("```{=html}\\n<p><a href=\\"data.csv\\" download>CSV</a></p>\\n```")
```
'''


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    root = tmp_path_factory.mktemp("site-outputs")
    (root / "chapters").mkdir()
    (root / "chapters" / "page.qmd").write_text(PAGE, encoding="utf-8")
    page = execute_page("chapters/page.qmd", project_root=root, figures_dir=root / "_site" / "chapters" / "page_files",
                        link_base=root / "_site" / "chapters", cache=False, log=lambda _: None,
                        figure=FigureOptions("svg", 7, 4.5, 100), execute_dir="project")
    return root, page


def test_the_kernel_knows_its_page_through_quartos_variables(executed):
    root, page = executed
    assert "Written for page\\.qmd in chapters\nof " + root.name.replace("-", "\\-") + "." in page.markdown
    assert (root / "chapters" / "data.csv").is_file()


def test_html_with_an_image_is_one_figure_html_on_the_site_and_image_in_the_pdf(executed):
    _, page = executed
    assert "::: {#fig-both .html-figure}" in page.markdown
    blocks = html_figures(markdown_to_ast(page.markdown, what="page")["blocks"])
    figures = find_all(blocks, {"Figure"})
    assert [figure["c"][0][0] for figure in figures] == ["fig-both"]
    assert [label for label in crossref.labels(blocks) if label.startswith("fig-")] == ["fig-both"]  # numbered once
    site, pdf = select_format(blocks, "html"), select_format(blocks, "pdf")
    site_figure, pdf_figure = find_all(site, {"Figure"})[0], find_all(pdf, {"Figure"})[0]
    assert [b["t"] for b in site_figure["c"][2]] == ["RawBlock"] and "id='live'" in site_figure["c"][2][0]["c"][1]
    image = find_all(pdf_figure, {"Image"})[0]
    assert not find_all(pdf_figure, {"RawBlock"})
    assert dict(image["c"][0][2])["fig-alt"] == "A rising line." and image["c"][0][0] == ""
    caption = "".join(item["c"] for item in find_all(site_figure["c"][1], {"Str"}))
    assert caption.startswith("Interactive")


def test_a_table_caption_stays_on_its_table_when_a_link_follows(executed):
    _, page = executed
    assert "| 1 | 2 |\n\n: A table and its data link. {#tbl-small}\n" in page.markdown
    blocks = markdown_to_ast(page.markdown, what="page")["blocks"]
    assert "tbl-small" in crossref.labels(blocks)


def test_linked_files_are_found_and_copied_into_the_site(executed, tmp_path):
    root, page = executed
    assert linked_files(page.markdown, root / "chapters") == [(root / "chapters" / "data.csv").resolve()]
    assert local_references('<a href="x.csv">x</a><a href="#top">t</a><a href="https://e.org/y">y</a>'
                            '<script src="../libs/s.js"></script><img src="f.svg">') == ["x.csv", "../libs/s.js", "f.svg"]
    site = tmp_path / "site"
    page_ = Page("chapters/page.qmd", 1, "Site outputs")
    copied = copy_page_resources('<p><a href="data.csv" download>CSV</a> <a href="other.html">o</a></p>', page_, root, site)
    assert copied == [(site / "chapters" / "data.csv").resolve()]
    assert (site / "chapters" / "data.csv").read_text() == "a,b\n1,2\n"
    with pytest.raises(RenderError, match="links to gone.csv"):
        copy_page_resources('<a href="gone.csv">x</a>', page_, root, site)


def test_a_cached_page_whose_linked_files_changed_is_not_served(tmp_path):
    root = tmp_path / "project"
    (root / "downloads").mkdir(parents=True)
    data = root / "downloads" / "t.csv"
    data.write_text("a\n1\n")
    cache = PageCache(tmp_path / "cache", data_cache_dir=tmp_path / "none")
    cache.store("p.qmd", "k", outputs=["m"], figures=[], resources=file_stamps([data], root))
    assert cache.load("p.qmd", "k", tmp_path / "figs", root=root).outputs == ["m"]
    data.write_text("a\n2\n")
    assert cache.load("p.qmd", "k", tmp_path / "figs", root=root) is None
    data.unlink()
    assert cache.load("p.qmd", "k", tmp_path / "figs", root=root) is None


def test_an_html_figure_inside_a_site_only_block_keeps_only_its_html():
    markdown = ('::: {.content-visible when-format="html"}\n\n::: {.html-figure}\n\n```{=html}\n<div>live</div>\n```\n\n'
                '![](x.svg){fig-alt="static"}\n\n:::\n\n:::\n')
    blocks = html_figures(markdown_to_ast(markdown, what="page")["blocks"])
    assert not find_all(select_format(blocks, "html"), {"Image"})
    assert find_all(select_format(blocks, "html"), {"RawBlock"})
    assert select_format(blocks, "pdf") == []
