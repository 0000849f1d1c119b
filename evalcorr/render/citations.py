"""Bibliography keys (checked before pandoc runs) and how to cite the report (from CITATION.cff)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from evalcorr.errors import RenderError
from evalcorr.render.crossref import is_crossref
from evalcorr.render.pandoc import find_all

_BIB_ENTRY = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def lists_references(blocks: list) -> bool:
    """Whether a page places the list of references (a ``::: {#refs}`` div anywhere in it)."""
    return any(div["c"][0][0] == "refs" for div in find_all(blocks, {"Div"}))


def bib_keys(path: Path | None) -> set[str]:
    """Entry keys of a BibTeX file (``@comment``, ``@string`` and ``@preamble`` are not entries)."""
    if path is None:
        return set()
    return {key for kind, key in _BIB_ENTRY.findall(path.read_text()) if kind.lower()
            not in {"comment", "string", "preamble"}}


def check_citations(blocks: list, source: str, keys: set[str], bibliography: Path | None) -> None:
    """Raise RenderError naming the page when it cites a key that the bibliography lacks."""
    cited = {citation["citationId"] for cite in find_all(blocks, {"Cite"}) for citation in cite["c"][0]}
    missing = sorted(key for key in cited if not is_crossref(key) and key not in keys and key != "*")
    if missing:
        where = bibliography or "the bibliography (none is set in _quarto.yml)"
        raise RenderError(f"{source}: cites {', '.join('@' + key for key in missing)}, not in {where}; "
                          "add the entries or fix the keys")


@dataclass(frozen=True)
class ReportCitation:
    """How to cite the report: a one-line reference, a BibTeX entry, and the fields behind them
    (for the pages' citation meta tags)."""

    text: str
    bibtex: str
    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""
    version: str = ""


def report_citation(root: Path, title: str, author: str) -> ReportCitation:
    """Citation of the report from ``CITATION.cff`` (title, authors, version, date, url), if present.

    Falls back to the `title` and `author` of ``_quarto.yml`` for the fields the file lacks.
    """
    path = root / "CITATION.cff"
    cff = yaml.safe_load(path.read_text()) if path.is_file() else {}
    try:
        title = cff.get("title") or title
        people = cff.get("authors") or [{"name": author}]
        names = [_author_name(person) for person in people]
    except (AttributeError, TypeError, KeyError) as error:
        raise RenderError(f"{path}: malformed: {error}; see https://citation-file-format.github.io") from error
    version = str(cff.get("version") or "")
    year = str(cff.get("date-released") or "")[:4]
    url = cff.get("url") or cff.get("repository-code") or ""

    text = f"{' and '.join(display for display, _ in names)} ({year or 'n.d.'}). {title}"
    text += "" if title.endswith((".", "?", "!")) else "."
    text += f" Version {version}." if version else ""
    text += f" {url}" if url else ""
    fields = [("title", "{" + title + "}"), ("author", " and ".join(bibtex for _, bibtex in names)),
              ("year", year), ("version", version), ("url", url), ("note", "Website and PDF report")]
    body = ",\n".join(f"  {name:<8}= {{{value}}}" for name, value in fields if value)
    return ReportCitation(text=text, bibtex=f"@misc{{evalcorr{year},\n{body}\n}}", title=title,
                          authors=tuple(display for display, _ in names), date=str(cff.get("date-released") or ""),
                          version=version)


def _author_name(person: dict) -> tuple[str, str]:
    """(display name, BibTeX name) of a CFF author: an entity (``name``) or a person."""
    if "name" in person:
        return str(person["name"]), "{" + str(person["name"]) + "}"
    family, given = str(person["family-names"]), str(person.get("given-names") or "")
    return f"{given} {family}".strip(), f"{family}, {given}" if given else family
