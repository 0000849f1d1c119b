"""The data manifest (data/manifest.yaml): every upstream source, its files, licence and citation.

A source id is resolved once, by :func:`get_source`, into a :class:`Source`: its files (and those of
the sources it uses), its parser, licence and citation. The rest of the data layer takes that object.

Most sources live upstream and are read from the mirror (``location: mirror``, the default). The
project's own released data (the controlled experiment) lives in the repository beside the manifest
(``location: project``): its file paths are relative to the manifest's folder (``data/``), it has no
upstream address, and ``made_by`` names the command and the configuration files that produced it.
Every file, wherever it lives, carries its sha256 and size, and is verified before it is parsed.

>>> from evalcorr.data.manifest import get_source
>>> source = get_source("helm-mmlu")
>>> source.kind, source.files[0].path, source.parser
('scores', 'every-eval-ever/helm_mmlu.jsonl.gz', 'evalcorr.data.parsers.helm_mmlu')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from evalcorr.data.locations import PROJECT_ROOT
from evalcorr.errors import DataError

MANIFEST_PATH = PROJECT_ROOT / "data" / "manifest.yaml"
PARSER_PACKAGE = "evalcorr.data.parsers"  # a parser named without a dot is a module of this package
KINDS = ("scores", "transfer")
LOCATIONS = ("mirror", "project")

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class File:
    """One data file of a source.

    ``path`` is relative to the mirror root (``../shared/data`` or ``EVALCORR_DATA_DIR``), or, for a
    file of a project source, to ``root`` (the folder of the manifest, ``data/``).
    ``url`` is the raw download address of the pinned upstream bytes, or None for files derived
    from upstream (then ``derived_from`` and ``recipe`` say how they were made) and project files.
    ``role`` says what a file of a project source holds (e.g. ``transfer``, ``ground_truth``), so
    that loaders find it by role (:func:`Source.file`).
    """

    path: str
    upstream_path: str
    url: str | None
    sha256: str
    size: int
    commit: str | None = None
    derived_from: str | None = None
    recipe: str | None = None
    role: str | None = None
    root: Path | None = None  # the folder a project file lives in; None: a mirror (upstream) file

    @property
    def in_project(self) -> bool:
        """True for a file committed with the project (read in place, never fetched)."""
        return self.root is not None

    @property
    def project_path(self) -> Path:
        """The local path of a project file."""
        if self.root is None:
            raise DataError(f"{self.path} is an upstream file: it lives in the mirror, not in the project")
        return self.root / self.path


@dataclass(frozen=True)
class Scale:
    """The declared valid range of one scale of a source: a ``scale`` of a scores source, or a
    ``metric`` of a transfer source (optionally for one ``stage`` only)."""

    name: str
    low: float
    high: float
    stage: str | None = None


@dataclass(frozen=True)
class Source:
    """One upstream source: where it comes from, under which licence, how to cite it, its files.

    ``inputs`` are the files its parser reads: its own, then those of the sources it ``uses``.
    ``parser`` is the module that turns them into the tidy table (None when there is none yet).
    ``scales`` declare the valid range of every value its table holds (see :meth:`scale_range`).
    """

    id: str
    title: str
    kind: str
    repository: str
    commit: str
    licence: str
    citation_keys: tuple[str, ...]
    citation: str
    snapshot: str
    uses: tuple[str, ...]
    files: tuple[File, ...]
    parser: str | None = None
    inputs: tuple[File, ...] = ()
    scales: tuple[Scale, ...] = ()
    location: str = "mirror"
    made_by: tuple[tuple[str, str], ...] = ()   # project sources: (command, ...), (configuration, path), ...

    @property
    def in_project(self) -> bool:
        """True for the project's own released data (files in the repository, no upstream)."""
        return self.location == "project"

    def file(self, role: str) -> File:
        """The file of a given role (project sources); a DataError listing the roles otherwise."""
        for file in self.files:
            if file.role == role:
                return file
        roles = ", ".join(f.role for f in self.files if f.role) or "none"
        raise DataError(f"source {self.id!r} has no file with role {role!r} (roles: {roles}); "
                        "give the file a `role:` in data/manifest.yaml")

    def scale_range(self, name: str, stage: str | None = None) -> tuple[float, float] | None:
        """The declared ``(low, high)`` of a scale (scores) or metric (transfer), for `stage` when
        the source declares ranges by stage; None when undeclared."""
        for scale in self.scales:
            if scale.name == name and scale.stage in (None, stage):
                return scale.low, scale.high
        return None

    @property
    def repository_name(self) -> str:
        """``owner/name`` of the upstream GitHub repository ("" for a project source)."""
        return self.repository.removeprefix("https://github.com/").rstrip("/")

    @property
    def tree_url(self) -> str:
        """Address of the upstream repository at the pinned commit."""
        return f"{self.repository.rstrip('/')}/tree/{self.commit}"


def _require(entry: dict, key: str, where: str, types=str):
    if key not in entry:
        raise DataError(f"{where}: missing key {key!r}")
    value = entry[key]
    if not isinstance(value, types):
        raise DataError(f"{where}: {key!r} must be {getattr(types, '__name__', types)}, got {value!r}")
    return value


def _parse_file(entry, where: str, root: Path | None = None) -> File:
    """One file entry; ``root`` is the manifest's folder for a project source's files (else None)."""
    if not isinstance(entry, dict):
        raise DataError(f"{where}: a file entry must be a mapping, got {entry!r}")
    path = _require(entry, "path", where)
    where = f"{where} file {path!r}"
    if path.startswith("/") or ".." in Path(path).parts:
        base = "the manifest's folder (data/)" if root is not None else "the mirror root"
        raise DataError(f"{where}: path must be relative to {base} without '..'")
    sha = _require(entry, "sha256", where)
    if not _SHA256.match(sha):
        raise DataError(f"{where}: sha256 must be 64 lowercase hex digits, got {sha!r}")
    size = _require(entry, "size", where, int)
    if size < 0:
        raise DataError(f"{where}: size must be >= 0, got {size}")
    role = entry.get("role")
    if role is not None and not (isinstance(role, str) and re.fullmatch(r"[a-z][a-z0-9_]*", role)):
        raise DataError(f"{where}: role must be a lowercase name such as ground_truth, got {role!r}")
    if root is not None:
        extra = sorted({"url", "upstream_path", "commit", "derived_from", "recipe"} & set(entry))
        if extra:
            raise DataError(f"{where}: a project file has no upstream; remove {', '.join(extra)}")
        if role is None:
            raise DataError(f"{where}: missing key 'role' (what the file holds, e.g. transfer, ground_truth)")
        return File(path=path, upstream_path=path, url=None, sha256=sha, size=size, role=role, root=root)
    if "url" not in entry:
        raise DataError(f"{where}: missing key 'url' (null for files derived from upstream)")
    url = entry["url"]
    if url is None:
        for key in ("derived_from", "recipe"):
            _require(entry, key, f"{where} (url is null, so it is derived from upstream)")
    elif not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        raise DataError(f"{where}: url must be an http(s) address or null, got {url!r}")
    commit = entry.get("commit")
    if commit is not None and not (isinstance(commit, str) and _COMMIT.match(commit)):
        raise DataError(f"{where}: commit must be a full 40-digit hash, got {commit!r}")
    return File(path=path, upstream_path=_require(entry, "upstream_path", where), url=url, sha256=sha,
                size=size, commit=commit, derived_from=entry.get("derived_from"), recipe=entry.get("recipe"),
                role=role)


def _bounds(value, where: str) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and value[0] < value[1]):
        raise DataError(f"{where}: a range must be [low, high] with low < high (.inf for no bound), got {value!r}")
    return float(value[0]), float(value[1])


def _parse_scales(entry: dict, kind: str, where: str) -> tuple[Scale, ...]:
    """``scales: {name: [low, high]}``; a transfer metric may give ``{stage: [low, high]}`` instead."""
    scales = entry.get("scales")
    if scales is None:
        if entry.get("parser") is not None:
            what = "scale" if kind == "scores" else "metric"
            raise DataError(f"{where}: missing key 'scales': declare the valid range of every {what} its "
                            f"table holds, e.g. scales: {{fraction: [0, 1]}}")
        return ()
    if not isinstance(scales, dict) or not scales:
        raise DataError(f"{where}: 'scales' must map each scale to [low, high], got {scales!r}")
    out = []
    for name, value in scales.items():
        if isinstance(value, dict) and kind == "transfer":
            out += [Scale(str(name), *_bounds(bounds, f"{where} scale {name!r} stage {stage!r}"), stage=str(stage))
                    for stage, bounds in value.items()]
        else:
            out.append(Scale(str(name), *_bounds(value, f"{where} scale {name!r}")))
    return tuple(out)


def _parse_source(entry, index: int, manifest: Path) -> Source:
    where = f"{manifest}: source #{index + 1}"
    if not isinstance(entry, dict):
        raise DataError(f"{where}: a source entry must be a mapping, got {entry!r}")
    source_id = _require(entry, "id", where)
    where = f"{manifest}: source {source_id!r}"
    kind = _require(entry, "kind", where)
    if kind not in KINDS:
        raise DataError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    location = entry.get("location", "mirror")
    if location not in LOCATIONS:
        raise DataError(f"{where}: location must be one of {', '.join(LOCATIONS)}, got {location!r}")
    if location == "project":
        if "upstream" in entry:
            raise DataError(f"{where}: a project source (location: project) has no upstream; remove 'upstream'")
        repository, commit, root = "", "", manifest.parent
        made_by = _parse_made_by(entry, where)
    else:
        upstream = _require(entry, "upstream", where, dict)
        repository = _require(upstream, "repository", f"{where} upstream")
        commit = _require(upstream, "commit", f"{where} upstream")
        if not _COMMIT.match(commit):
            raise DataError(f"{where}: upstream commit must be a full 40-digit hash, got {commit!r}")
        root, made_by = None, ()
    citation = _require(entry, "citation", where, dict)
    keys = _require(citation, "keys", f"{where} citation", list)
    files = _require(entry, "files", where, list)
    if not files:
        raise DataError(f"{where}: no files listed")
    uses = entry.get("uses") or []
    if not isinstance(uses, list):
        raise DataError(f"{where}: 'uses' must be a list of source ids, got {uses!r}")
    parser = entry.get("parser")
    if parser is not None:
        if not (isinstance(parser, str) and re.fullmatch(r"[A-Za-z_][\w.]*", parser)):
            raise DataError(f"{where}: 'parser' must be a module name, got {parser!r}")
        parser = parser if "." in parser else f"{PARSER_PACKAGE}.{parser}"
    parsed = tuple(_parse_file(f, where, root) for f in files)
    paths = {f.path for f in parsed}
    for what, path in made_by:
        if what != "command" and path not in paths:
            raise DataError(f"{where}: made_by {what} {path!r} is not one of the source's files; list it "
                            "under files with its sha256")
    return Source(
        id=source_id, title=_require(entry, "title", where), kind=kind,
        repository=repository, commit=commit,
        licence=_require(entry, "licence", where),
        citation_keys=tuple(keys), citation=_require(citation, "text", f"{where} citation"),
        snapshot=_require(entry, "snapshot", where), uses=tuple(uses),
        files=parsed, parser=parser,
        scales=_parse_scales(entry, kind, where), location=location, made_by=made_by,
    )


def _parse_made_by(entry: dict, where: str) -> tuple[tuple[str, str], ...]:
    """``made_by: {command: ..., configuration: <file>, run: <file>}`` of a project source."""
    made_by = _require(entry, "made_by", f"{where} (a project source says what made its files)", dict)
    _require(made_by, "command", f"{where} made_by")
    for key, value in made_by.items():
        if not isinstance(value, str) or not value:
            raise DataError(f"{where}: made_by {key!r} must be text, got {value!r}")
    return tuple((str(k), v) for k, v in made_by.items())


def load_manifest(path: str | Path | None = None) -> dict[str, Source]:
    """Read and validate a manifest; returns ``{source id: Source}`` in manifest order.

    Raises
    ------
    DataError
        When the file is missing or not YAML, or an entry lacks a key, has a malformed value
        (sha256, commit, kind, url), a duplicated id or file path, or ``uses`` an unknown source.
    """
    path = Path(path) if path is not None else MANIFEST_PATH
    return _load_manifest(path.resolve(), path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=8)
def _load_manifest(path: Path, _mtime: int) -> dict[str, Source]:
    if not path.is_file():
        raise DataError(f"manifest {path} not found; it is data/manifest.yaml in the project checkout")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        raise DataError(f"manifest {path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise DataError(f"manifest {path}: expected a mapping with a 'sources' list")
    sources: dict[str, Source] = {}
    paths: dict[str, str] = {}
    for index, entry in enumerate(document["sources"]):
        source = _parse_source(entry, index, path)
        if source.id in sources:
            raise DataError(f"manifest {path}: source id {source.id!r} is listed twice")
        for file in source.files:
            if file.path in paths:
                raise DataError(f"manifest {path}: file {file.path!r} is listed by both "
                                f"{paths[file.path]!r} and {source.id!r}; list each file once")
            paths[file.path] = source.id
        sources[source.id] = source
    for source in sources.values():
        unknown = [used for used in source.uses if used not in sources]
        if unknown:
            raise DataError(f"manifest {path}: source {source.id!r} uses unknown source(s) {', '.join(unknown)}")
    return {source_id: replace(source, inputs=_inputs(source, sources)) for source_id, source in sources.items()}


def _inputs(source: Source, sources: dict[str, Source]) -> tuple[File, ...]:
    files = list(source.files)
    for used in source.uses:
        files += [f for f in sources[used].files if f not in files]
    return tuple(files)


def get_source(source: str | Source, manifest: str | Path | None = None) -> Source:
    """The manifest entry of one source; a clear error listing the known ids otherwise.

    A :class:`Source` is returned as it is, so public functions can take either an id or the object.
    """
    if isinstance(source, Source):
        return source
    sources = load_manifest(manifest)
    if source not in sources:
        raise DataError(f"unknown source {source!r}; known sources: {', '.join(sources)}")
    return sources[source]


def sources_table(manifest: str | Path | None = None) -> "pandas.DataFrame":  # noqa: F821
    """One row per source for the report's appendix, with Markdown links and citations.

    Columns: Source (title), id, kind, Upstream (repository link at the pinned commit; "this report"
    and the folder for the project's own data), Commit (short hash; "with the report" for project
    sources, whose files are committed with it), Files (count), Licence, Cite (``[@key]`` citations).
    """
    import pandas as pd

    rows = []
    for source in load_manifest(manifest).values():
        if source.in_project:
            folders = sorted({f"data/{Path(f.path).parent.as_posix()}/" for f in source.files})
            upstream, commit = "this report (" + ", ".join(f"`{f}`" for f in folders) + ")", "with the report"
        else:
            upstream, commit = f"[{source.repository_name}]({source.tree_url})", f"`{source.commit[:7]}`"
        rows.append({
            "Source": source.title,
            "id": f"`{source.id}`",
            "kind": source.kind,
            "Upstream": upstream,
            "Commit": commit,
            "Files": len(source.files),
            "Licence": source.licence,
            "Cite": "; ".join(f"@{key}" for key in source.citation_keys).join("[]"),
        })
    return pd.DataFrame(rows)


def derived_files_table(manifest: str | Path | None = None) -> "pandas.DataFrame":  # noqa: F821
    """The files that are not byte copies of an upstream file: source, path, derived from, recipe
    (plain text; print it with evalcorr.text.markdown_table, which escapes it)."""
    import pandas as pd

    rows = [{"Source": source.id, "File": file.path, "Derived from": file.derived_from, "Recipe": file.recipe}
            for source in load_manifest(manifest).values() for file in source.files
            if file.url is None and not file.in_project]
    return pd.DataFrame(rows, columns=["Source", "File", "Derived from", "Recipe"])


def mirror_totals(manifest: str | Path | None = None) -> dict[str, int]:
    """Counts over the upstream sources of the manifest (the mirror): sources, files, bytes, and files
    derived from upstream. The project's own sources are counted by :func:`project_totals`."""
    sources = [s for s in load_manifest(manifest).values() if not s.in_project]
    files = [file for source in sources for file in source.files]
    return {"sources": len(sources), "files": len(files),
            "bytes": sum(file.size for file in files), "derived": sum(file.url is None for file in files)}


def project_totals(manifest: str | Path | None = None) -> dict[str, int]:
    """Counts over the project's own released sources (files committed under data/): sources, files, bytes."""
    sources = [s for s in load_manifest(manifest).values() if s.in_project]
    files = [file for source in sources for file in source.files]
    return {"sources": len(sources), "files": len(files), "bytes": sum(file.size for file in files)}
