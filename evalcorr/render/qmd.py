"""Parse a Quarto ``.qmd`` page into front matter, Markdown blocks and executable Python cells.

Only the subset of Quarto the chapters use (docs/architecture.md, "Chapters"):

- YAML front matter between ``---`` lines at the very top of the file;
- code cells fenced as ```` ```{python} ```` whose leading ``#| key: value`` lines are the cell options
  (read together as YAML, so multi-line values work as in Quarto);
- inline expressions `` `{python} expr` `` in the Markdown text (not inside fenced code blocks);
- everything else is Markdown, kept byte for byte.

:func:`parse_qmd` does no execution; :mod:`evalcorr.render.execute` runs the cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from evalcorr.errors import RenderError

# Opening fence of an executable cell: ```{python}, ````{python}, ```{python .class} ...
_CELL_OPEN = re.compile(r"^(?P<fence>`{3,})\s*\{(?P<lang>[A-Za-z0-9_-]+)[^}]*\}\s*$")
# Opening fence of a plain (non-executed) code block, ``` or ~~~, with an optional info string.
_PLAIN_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})")
# Inline expression `{python} expr` (single-backtick code span).
_INLINE = re.compile(r"(?<!`)`\{python\}\s*(?P<expr>[^`]+?)\s*`(?!`)")
# Code spans with two or more backticks: how a page shows inline-code syntax literally; never evaluated.
_LONG_CODE_SPAN = re.compile(r"(?<!`)(?P<ticks>`{2,})(?!`).+?(?<!`)(?P=ticks)(?!`)")
_OPTION_LINE = re.compile(r"^#\|\s?(?P<text>.*)$")


@dataclass(frozen=True)
class InlineExpr:
    """An inline expression `` `{python} expr` `` inside a Markdown block."""

    expr: str
    line: int  # 1-based line number in the .qmd file


@dataclass(frozen=True)
class MarkdownBlock:
    """Markdown text between cells; ``parts`` alternates plain text and inline expressions."""

    parts: tuple[str | InlineExpr, ...]
    line: int

    @property
    def text(self) -> str:
        """The block's source text as written (inline expressions in their `` `{python} ...` `` form)."""
        return "".join(p if isinstance(p, str) else f"`{{python}} {p.expr}`" for p in self.parts)


@dataclass(frozen=True)
class CodeCell:
    """An executable ```` ```{python} ```` cell."""

    code: str  # the source without the ``#|`` option lines
    options: dict = field(default_factory=dict)
    index: int = 0  # 0-based position among the page's code cells
    line: int = 0  # 1-based line number of the opening fence

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return str(label) if label is not None else None

    @property
    def first_line(self) -> str:
        """The first non-blank line of code (for error messages)."""
        return next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")

    def describe(self) -> str:
        """How errors and logs name the cell: its label, or its index, and where it starts."""
        name = self.label or f"#{self.index + 1}"
        return f"cell {name} (line {self.line}: {self.first_line!r})"


@dataclass(frozen=True)
class QmdDocument:
    """A parsed page: its front matter and its blocks in document order."""

    front_matter: dict
    blocks: tuple[MarkdownBlock | CodeCell, ...]

    @property
    def cells(self) -> list[CodeCell]:
        return [b for b in self.blocks if isinstance(b, CodeCell)]


def parse_qmd(text: str, *, source: str | Path = "<qmd>") -> QmdDocument:
    """Split the text of a ``.qmd`` page into front matter, Markdown blocks and code cells.

    Parameters
    ----------
    text : str
        The page source.
    source : str or Path
        Name used in error messages (the file path).

    Returns
    -------
    QmdDocument

    Raises
    ------
    RenderError
        On malformed front matter or cell options, an unclosed cell, or a cell in a language other
        than Python.
    """
    lines = text.splitlines(keepends=True)
    front_matter, start = _front_matter(lines, source)
    blocks: list[MarkdownBlock | CodeCell] = []
    pending: list[str] = []  # Markdown lines not yet emitted
    pending_start = start + 1
    n_cells = 0
    i = start
    plain_fence: str | None = None  # inside a plain fenced code block: its fence

    def flush(next_line: int) -> None:
        nonlocal pending, pending_start
        if pending:
            blocks.append(MarkdownBlock(_split_inline(pending, pending_start), pending_start))
        pending, pending_start = [], next_line

    while i < len(lines):
        line = lines[i]
        stripped = line.rstrip("\r\n")
        if plain_fence is not None:
            pending.append(line)
            if stripped.strip().startswith(plain_fence) and not stripped.strip().strip(plain_fence[0]):
                plain_fence = None
            i += 1
            continue
        opened = _CELL_OPEN.match(stripped)
        if opened:
            lang = opened["lang"]
            if lang != "python":
                raise RenderError(
                    f"{source}, line {i + 1}: executable cell in {lang!r}; only {{python}} cells are "
                    "supported. Use ```{python} or a plain ``` block for code that is not run.")
            fence = opened["fence"]
            end = _closing_fence(lines, i + 1, fence)
            if end is None:
                raise RenderError(f"{source}, line {i + 1}: the {{python}} cell is never closed; "
                                  f"add a line {fence} after its code.")
            flush(end + 2)
            body = [ln.rstrip("\r\n") for ln in lines[i + 1:end]]
            options, code = _cell_options(body, source, i + 1)
            blocks.append(CodeCell(code=code, options=options, index=n_cells, line=i + 1))
            n_cells += 1
            i = end + 1
            continue
        plain = _PLAIN_OPEN.match(stripped.lstrip(" ")) if len(stripped) - len(stripped.lstrip(" ")) < 4 else None
        if plain:
            plain_fence = plain["fence"]
        pending.append(line)
        i += 1
    flush(len(lines) + 1)
    return QmdDocument(front_matter=front_matter, blocks=tuple(blocks))


def read_qmd(path: str | Path) -> QmdDocument:
    """Read and parse a ``.qmd`` file (UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RenderError(f"{path}: page not found; check the chapter list in _quarto.yml.") from None
    return parse_qmd(text, source=path)


def split_front_matter(text: str, *, source: str | Path = "<qmd>") -> tuple[dict, str]:
    """The YAML front matter of a page (empty when there is none) and the text after it."""
    lines = text.splitlines(keepends=True)
    meta, start = _front_matter(lines, source)
    return meta, "".join(lines[start:])


def _front_matter(lines: list[str], source) -> tuple[dict, int]:
    """The YAML front matter and the index of the first line after it (0 when there is none)."""
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    for j in range(1, len(lines)):
        if lines[j].rstrip() in ("---", "..."):
            try:
                meta = yaml.safe_load("".join(lines[1:j])) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"{source}: the YAML front matter does not parse: {exc}") from None
            if not isinstance(meta, dict):
                raise RenderError(f"{source}: the YAML front matter must be a mapping of keys to values.")
            return meta, j + 1
    raise RenderError(f"{source}: the YAML front matter opened on line 1 is never closed with '---'.")


def _closing_fence(lines: list[str], start: int, fence: str) -> int | None:
    for j in range(start, len(lines)):
        s = lines[j].strip()
        if s.startswith(fence) and not s.strip("`"):
            return j
    return None


def _cell_options(body: list[str], source, fence_line: int) -> tuple[dict, str]:
    """Split the leading ``#|`` lines of a cell from its code and parse them as YAML."""
    option_text = []
    n = 0
    for ln in body:
        m = _OPTION_LINE.match(ln)
        if not m:
            break
        option_text.append(m["text"])
        n += 1
    options = {}
    if option_text:
        try:
            options = yaml.safe_load("\n".join(option_text)) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{source}, cell at line {fence_line}: the #| options do not parse as "
                              f"YAML: {exc}") from None
        if not isinstance(options, dict):
            raise RenderError(f"{source}, cell at line {fence_line}: #| options must be 'key: value' lines.")
    code = "\n".join(body[n:]).strip("\n")
    return options, code


def _split_inline(lines: list[str], first_line: int) -> tuple[str | InlineExpr, ...]:
    """Split Markdown lines into text and inline expressions, leaving fenced code blocks untouched."""
    parts: list[str | InlineExpr] = []
    text: list[str] = []
    fence: str | None = None
    for offset, line in enumerate(lines):
        s = line.strip()
        if fence is None:
            m = _PLAIN_OPEN.match(s)
            if m and len(line) - len(line.lstrip(" ")) < 4:
                fence = m["fence"]
                text.append(line)
                continue
        else:
            if s.startswith(fence) and not s.strip(fence[0]):
                fence = None
            text.append(line)
            continue
        pos = 0
        literal = [m.span() for m in _LONG_CODE_SPAN.finditer(line)]
        for m in _INLINE.finditer(line):
            if any(a <= m.start() < b for a, b in literal):
                continue
            text.append(line[pos:m.start()])
            parts.append("".join(text))
            text = []
            parts.append(InlineExpr(expr=m["expr"], line=first_line + offset))
            pos = m.end()
        text.append(line[pos:])
    if text:
        parts.append("".join(text))
    return tuple(p for p in parts if not (isinstance(p, str) and p == ""))
