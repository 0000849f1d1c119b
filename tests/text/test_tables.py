"""markdown_table: text from data never becomes markup in a page; numbers read as DataFrame.to_markdown
prints them."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from evalcorr.text import markdown_table
from evalcorr.text.tables import code_span, escape_markdown

ATTACK = "<img src=x onerror=alert(1)>"


def to_html(markdown: str) -> str:
    """The HTML pandoc makes of a Markdown table (the offline renderer's reader)."""
    import pypandoc

    return pypandoc.convert_text(markdown, "html", format="markdown")


def test_raw_html_from_data_is_text_not_markup():
    table = pd.DataFrame({"model": [ATTACK, "org/model_a*b*"], "task": ["[x](javascript:1)", "a|b"],
                          "r": [0.5, -0.25]})
    html = to_html(markdown_table(table, floatfmt=".2f"))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<a " not in html and "<em>" not in html
    assert "a|b" in html and "org/model_a*b*" in html
    assert html.count("<tr") == 3  # the | in a cell does not split the row


def test_citations_math_and_entities_from_data_stay_text():
    table = pd.DataFrame({"name": ["@doe2020scaling", "$x^2$", "&lt;b&gt;", "H~2~O"]})
    html = to_html(markdown_table(table))
    assert 'class="citation"' not in html and "<span class=\"math" not in html and "<sub>" not in html
    assert "@doe2020scaling" in html and "$x^2$" in html and "&amp;lt;b&amp;gt;" in html and "H~2~O" in html


def test_numbers_and_plain_text_read_exactly_as_to_markdown():
    table = pd.DataFrame({"subset": ["all models", "base (no tag)"], "models": [1860, 412],
                          "share": [0.93456, 0.5], "r": [np.nan, -0.123]})
    for options in ({"floatfmt": ".2f"}, {"intfmt": ",", "floatfmt": ("", "", ".3f", ".2f")}, {}):
        assert markdown_table(table, **options) == table.to_markdown(index=False, **options)
    indexed = table.set_index("subset")
    assert markdown_table(indexed, index=True, floatfmt=".3f") == indexed.to_markdown(floatfmt=".3f")


def test_markdown_and_code_columns():
    table = pd.DataFrame({"id": ["helm-mmlu", "a`b"], "Upstream": ["[o/r](https://x.org/t)", "[p/q](https://y.org)"],
                          "Licence": ["MIT <see>", "CC-BY"]})
    text = markdown_table(table, markdown=["Upstream"], code=["id"])
    assert "`helm-mmlu`" in text and "``a`b``" in text
    assert "[o/r](https://x.org/t)" in text and "MIT \\<see\\>" in text
    html = to_html(text)
    assert '<a href="https://x.org/t">o/r</a>' in html and "<code>a`b</code>" in html
    with pytest.raises(KeyError, match="no column"):
        markdown_table(table, code=["nope"])


def test_headers_and_index_labels_are_escaped():
    table = pd.DataFrame({"<b>r</b>": [0.1]}, index=pd.Index(["<i>m</i>"], name="model"))
    html = to_html(markdown_table(table, index=True))
    assert "<b>" not in html and "<i>" not in html and "&lt;b&gt;r&lt;/b&gt;" in html


def test_escape_and_code_span_helpers():
    assert escape_markdown("a_b <c>\nd") == "a\\_b \\<c\\> d"
    assert escape_markdown("it's -- \"quoted\".") == "it's -- \"quoted\"."
    assert code_span("x") == "`x`" and code_span("``y") == "``` ``y ```"


def test_no_chapter_prints_a_table_with_to_markdown():
    from evalcorr.data.locations import PROJECT_ROOT

    pages = [PROJECT_ROOT / "index.qmd", *sorted((PROJECT_ROOT / "chapters").glob("*.qmd"))]
    offenders = [page.name for page in pages if ".to_markdown(" in page.read_text()]
    assert offenders == []


def test_escaping_does_not_change_the_column_widths_pandoc_computes():
    long = "a long cell of text that makes the table wider than the line, so that pandoc wraps it"
    table = pd.DataFrame({"recipe": [long + " with 0.5*PC + 0.5*(0.2*PM - 0.1) and <target> paths"],
                          "note": ["plain words here, and more of them, to fill the line up"]})
    plain = table.to_markdown(index=False).split("\n")[1]
    assert markdown_table(table).split("\n")[1] == plain
    html = " ".join(to_html(markdown_table(table)).split())
    assert html.count("<col ") == 2 and "0.5*PC + 0.5*(0.2*PM - 0.1)" in html and "&lt;target&gt;" in html
