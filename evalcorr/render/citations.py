"""Bibliography keys (checked before pandoc runs), pandoc's citation arguments, and how to cite the
report (from CITATION.cff)."""

from __future__ import annotations

import hashlib
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from evalcorr.errors import RenderError
from evalcorr.render.crossref import is_crossref
from evalcorr.render.pagecache import CACHE_DIRNAME
from evalcorr.render.pandoc import find_all

_BIB_ENTRY = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def lists_references(blocks: list) -> bool:
    """Whether a page places the list of references (a ``::: {#refs}`` div anywhere in it)."""
    return any(div["c"][0][0] == "refs" for div in find_all(blocks, {"Div"}))


def citeproc_args(project) -> list[str]:
    """pandoc's arguments that format citations with the project's bibliography and citation style
    (none without a bibliography). The style is given as :func:`compact_style`'s copy."""
    if project.bibliography is None:
        return []
    args = ["--citeproc", f"--bibliography={project.bibliography}"]
    if project.csl:
        args.append(f"--csl={compact_style(project.csl, project.root / CACHE_DIRNAME / 'csl')}")
    return args


def compact_style(path: Path, directory: Path) -> Path:
    """A copy of the CSL style `path` without comments and without the whitespace between its elements,
    in `directory`, named by the original's sha256.

    Every pandoc run that formats citations reads the style again, and reading Chicago's (153 kB, mostly
    indentation) is most of the time citeproc adds to a run: 68 ms against 40 ms for the copy. Only
    whitespace-only text between elements goes; an element without child elements (a ``cs:term``) keeps
    its text as it is, so the style means the same (a test formats every work both ways).
    """
    data = Path(path).read_bytes()
    target = Path(directory) / f"{hashlib.sha256(data).hexdigest()[:24]}.csl"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(_compact_xml(data))
        os.replace(tmp, target)
    return target


@lru_cache(maxsize=4)
def _compact_xml(data: bytes) -> bytes:
    root = ET.fromstring(data)
    for element in root.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        for child in element:
            if child.tail is not None and not child.tail.strip():
                child.tail = None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else None
    if namespace:       # keep the default namespace unprefixed, as CSL processors expect
        ET.register_namespace("", namespace)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


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
