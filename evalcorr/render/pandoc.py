"""Pandoc through the ``pypandoc-binary`` wheel, and small helpers on its JSON AST.

The renderer parses each page's executed Markdown once into pandoc's JSON AST, transforms the AST in
Python (cross-references, callouts, format-specific content) and writes it back out as HTML or Typst.
An AST element is a dict ``{"t": type, "c": content}``; :func:`walk` visits them all.

A :class:`PandocCache` keeps pandoc's outputs keyed by their inputs, so that a render runs pandoc only
on what changed (a page whose text changed, the PDF chapter of that page). What does run goes to a
long-lived pandoc where it can (:mod:`evalcorr.render.pandoc_workers`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Callable

from evalcorr.errors import RenderError
from evalcorr.render import pandoc_workers

# Pandoc Markdown as Quarto reads it (pipe tables, fenced divs, attributes, citations are all default).
MARKDOWN = "markdown"

# Run-time options of pandoc's Haskell runtime. The wheel's binary is built with a suggested heap of
# 64 MB (-H64m), so every run, however small its input, first fills 64 MB of fresh memory: more than
# half of a cold render's page faults. A 16 MB allocation area and the smallest suggested heap give the
# same output with half the faults and a fifth less CPU time (a cold render's 34 runs: 2.5 s against
# 3.2 s). A GHCRTS the user set comes after these, so its options win.
RTS_OPTIONS = "-A16m -H4k"


@cache
def pandoc_path() -> str:
    """Path of the pandoc binary shipped in the pypandoc-binary wheel."""
    import pypandoc

    return pypandoc.get_pandoc_path()


@cache
def pandoc_version() -> str:
    """Version of the pypandoc-binary wheel (which fixes the pandoc binary inside it)."""
    from importlib import metadata

    try:
        return metadata.version("pypandoc_binary")
    except metadata.PackageNotFoundError:
        return "unknown"


class PandocCache:
    """Pandoc outputs on disk, keyed by a sha256 of everything an output depends on: the pandoc version,
    the arguments, the input text and the content of every file an argument names (``--bibliography=``,
    ``--csl=``).

    One file per output, ``<directory>/<key>``. :meth:`sweep`, after a successful render, removes the
    outputs that render did not use, so the directory holds one render's worth.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.used: set[str] = set()

    def key(self, args: list[str], text: str) -> str:
        h = hashlib.sha256()
        for part in (pandoc_version(), *args):
            h.update(part.encode() + b"\0")
            _, _, value = part.partition("=")
            if value and os.path.isfile(value):
                h.update(hashlib.sha256(Path(value).read_bytes()).digest())
        h.update(text.encode())
        return h.hexdigest()

    def run(self, args: list[str], text: str, *, what: str) -> str:
        """Pandoc's output for `args` and `text`: stored, or run now and stored."""
        key = self.key(args, text)
        self.used.add(key)
        path = self.directory / key
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        out = run_pandoc(args, text, what=what)
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.directory, prefix=".tmp-",
                                         delete=False) as tmp:
            tmp.write(out)
        os.replace(tmp.name, path)
        return out

    def sweep(self) -> None:
        """Remove every stored output not used since this cache was opened."""
        if self.directory.is_dir():
            for path in self.directory.iterdir():
                if path.name not in self.used:
                    path.unlink(missing_ok=True)


def run_pandoc(args: list[str], text: str, *, what: str, cache: PandocCache | None = None) -> str:
    """Run pandoc with `args` on `text`; a failure raises RenderError naming `what` (a page or the PDF).

    With a `cache`, an output stored for the same inputs is returned without running pandoc. Otherwise
    a pandoc worker converts it (:mod:`evalcorr.render.pandoc_workers`: the same output), or, where a
    worker cannot, pandoc's own process.
    """
    if cache is not None:
        return cache.run(args, text, what=what)
    output = pandoc_workers.convert(pandoc_path(), args, text, pandoc_environment())
    if output is not None:
        return output
    done = subprocess.run([pandoc_path(), *args], input=text, capture_output=True, text=True,
                          env=pandoc_environment())
    if done.returncode != 0:
        raise RenderError(f"{what}: pandoc {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def pandoc_environment() -> dict[str, str]:
    """The environment pandoc runs in: this process's, with :data:`RTS_OPTIONS` first in ``GHCRTS``."""
    env = dict(os.environ)
    env["GHCRTS"] = f"{RTS_OPTIONS} {env.get('GHCRTS', '')}".strip()
    return env


def markdown_to_ast(markdown: str, *, what: str, cache: PandocCache | None = None) -> dict:
    """Parse pandoc Markdown into the JSON AST (a dict with ``blocks`` and ``meta``)."""
    return json.loads(run_pandoc(["-f", MARKDOWN, "-t", "json"], markdown, what=what, cache=cache))


def write_ast(ast: dict, to: str, args: list[str], *, what: str, cache: PandocCache | None = None) -> str:
    """Write the JSON AST `ast` in pandoc output format `to` (e.g. ``html5``, ``typst``)."""
    return run_pandoc(["-f", "json", "-t", to, *args], json.dumps(ast), what=what, cache=cache)


def element(kind: str, content=None) -> dict:
    """A pandoc AST element; elements such as Space take no content."""
    return {"t": kind} if content is None else {"t": kind, "c": content}


def attr(ident: str = "", classes=(), attributes=()) -> list:
    """A pandoc ``Attr``: identifier, classes and key-value pairs."""
    return [ident, list(classes), [list(pair) for pair in attributes]]


def text_inlines(text: str) -> list[dict]:
    """Inlines for plain text: words as ``Str`` joined by ``Space``."""
    inlines = []
    for word in text.split():
        if inlines:
            inlines.append(element("Space"))
        inlines.append(element("Str", word))
    return inlines


def stringify(node) -> str:
    """The plain text of an element or list of elements (like pandoc's ``stringify``)."""
    if isinstance(node, list):
        return "".join(stringify(item) for item in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("t")
    if kind == "Str":
        return node["c"]
    if kind in {"Space", "SoftBreak", "LineBreak"}:
        return " "
    if kind in {"Code", "Math", "RawInline"}:
        return node["c"][1]
    if kind in {"Link", "Image", "Span", "Cite"}:
        return stringify(node["c"][1])
    if kind == "Quoted":
        return '"' + stringify(node["c"][1]) + '"'
    content = node.get("c")
    return stringify(content) if isinstance(content, list) else ""


Visitor = Callable[[dict], "dict | list | None"]


def walk(node, visit: Visitor):
    """Apply `visit` to every element under `node`, top down, and return the transformed tree.

    `visit` returns None to keep an element (its children are then visited), a new element or a list
    of elements to replace it (an empty list deletes it). Replacements are not visited again, but their
    children are.
    """
    if isinstance(node, list):
        out = []
        for item in node:
            if isinstance(item, dict) and "t" in item:
                result = visit(item)
                if result is None:
                    out.append(_walk_children(item, visit))
                elif isinstance(result, list):
                    out.extend(_walk_children(new, visit) for new in result)
                else:
                    out.append(_walk_children(result, visit))
            else:
                out.append(walk(item, visit))
        return out
    if isinstance(node, dict):
        return {key: walk(value, visit) for key, value in node.items()}
    return node


def _walk_children(item: dict, visit: Visitor) -> dict:
    if "c" not in item:
        return item
    content = item["c"]
    if isinstance(content, list):
        return {"t": item["t"], "c": walk(content, visit)}
    return item


def find_all(node, kinds: set[str]) -> list[dict]:
    """Every element of a type in `kinds` under `node`, in document order: the elements :func:`walk`
    would visit, found without building the tree again."""
    found = []
    _collect(node, kinds, found)
    return found


def _collect(node, kinds: set[str], found: list) -> None:
    # walk's order: an element, then the elements of its list content; other lists and dicts are
    # searched through.
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and "t" in item:
                if item["t"] in kinds:
                    found.append(item)
                content = item.get("c")
                if isinstance(content, list):
                    _collect(content, kinds, found)
            else:
                _collect(item, kinds, found)
    elif isinstance(node, dict):
        for value in node.values():
            _collect(value, kinds, found)
