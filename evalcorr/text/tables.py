r"""Tables as the chapters print them into the page (``output: asis``): Markdown pipe tables whose text
comes from data is escaped, so a model or task name never becomes markup.

A cell printed into the page is read by pandoc as Markdown, and raw HTML in Markdown passes through to
the site: a model named ``<img src=x onerror=alert(1)>`` would run in every reader's browser. Every cell,
header and index label is therefore escaped (:func:`escape_markdown`), except the columns the code
itself writes as Markdown (links, citations: ``markdown=``) and the columns shown as code (``code=``).
Numbers are formatted exactly as :meth:`pandas.DataFrame.to_markdown` (tabulate) does, with the same
``floatfmt``, ``intfmt`` and other options, so a table reads the same as before.

>>> import pandas as pd
>>> print(markdown_table(pd.DataFrame({"model": ["<b>x</b>"], "r": [0.5]}), floatfmt=".2f"))
| model        |    r |
|:-------------|-----:|
| \<b\>x\</b\> | 0.50 |
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

# Characters that make Markdown out of text in a table cell: escapes, code, emphasis, links, raw
# HTML and entities, cell borders, math, citations, sub/superscript. Quotes, dashes and full stops stay
# unescaped so that smart punctuation reads as before.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|$@~^&])")


def escape_markdown(text) -> str:
    """``text`` with every character that Markdown would read as markup backslash-escaped, and line
    breaks (which would end a table row) as spaces."""
    return _SPECIAL.sub(r"\\\1", str(text).replace("\r\n", " ").replace("\n", " "))


def code_span(text) -> str:
    """``text`` as inline code, fenced by more backticks than it contains (no escaping inside code)."""
    text = str(text).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def markdown_table(df: pd.DataFrame, *, index: bool = False, markdown: Iterable[str] = (),
                   code: Iterable[str] = (), **tabulate) -> str:
    """A DataFrame as a Markdown pipe table that is safe to print into a page.

    Parameters
    ----------
    df : DataFrame
        The table; numeric columns stay numbers and are formatted by tabulate.
    index : bool
        Print the index as the first column (its labels escaped like cells).
    markdown : column names
        Columns whose text is Markdown written by the code (links, ``[@key]`` citations): unchanged.
    code : column names
        Columns shown as inline code (identifiers such as source ids and file paths).
    **tabulate
        ``floatfmt``, ``intfmt``, ``colalign``, ``disable_numparse``, ... as for
        :meth:`pandas.DataFrame.to_markdown`.

    Returns
    -------
    str
        The pipe table, one line per row.
    """
    markdown, code = set(markdown), set(code)
    unknown = (markdown | code) - set(df.columns)
    if unknown:
        raise KeyError(f"markdown_table: no column(s) {sorted(unknown)} in the table")
    plain = df.copy()
    for column in code:
        plain[column] = plain[column].map(lambda v: v if pd.isna(v) else code_span(v))
    out = plain.copy()
    for column in out.columns:
        values = out[column]
        if column not in markdown and column not in code and not (pd.api.types.is_numeric_dtype(values)
                                                                  or pd.api.types.is_bool_dtype(values)):
            out[column] = values.map(lambda v: v if _is_number_or_missing(v) else escape_markdown(v))
    out.columns = [column if column in markdown or column in code else escape_markdown(column)
                   for column in out.columns]
    if index:
        out.index = out.index.map(lambda v: v if _is_number_or_missing(v) else escape_markdown(v))
        if out.index.name is not None:
            out.index.name = escape_markdown(out.index.name)
    lines = out.to_markdown(index=index, **tabulate).split("\n")
    # Pandoc sizes the columns of a wide table by the dashes of the separator line: measure them on
    # the text as it reads, without the escaping backslashes, so the columns keep their widths.
    lines[1] = plain.to_markdown(index=index, **tabulate).split("\n")[1]
    return "\n".join(lines)


def _is_number_or_missing(value) -> bool:
    """Numbers (tabulate formats them) and missing values (tabulate prints them empty) stay as they are."""
    if isinstance(value, (bool, int, float)) or pd.api.types.is_number(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
