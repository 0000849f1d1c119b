"""Materialise a source's raw files, verified against the manifest's sha256.

Files of the project's own sources (``location: project`` in the manifest) are read in place from
the repository (``data/``) and verified like any other. Upstream files come from one of three places,
in this order of preference:

1. a mirror server (``base_url``): ``<base_url>/<manifest path>`` is downloaded;
2. a mirror directory (``mirror``, else :func:`evalcorr.data.locations.default_mirror`): the file is
   read in place, never modified;
3. the upstream raw address recorded in the manifest (files derived from upstream have none and
   need a mirror).

Downloads go to ``<cache dir>/downloads/<manifest path>`` through a ``.part`` file that a later run
resumes with an HTTP Range request (an interrupted run, Ctrl-C included, keeps it). A download is
abandoned when it stalls (less than :data:`STALL_BYTES` arrive in :data:`STALL_S` seconds) or runs past
its overall deadline (:data:`DEADLINE_S`), and reading stops at the size the manifest records: a
server sending more is serving another file. Every file's sha256 is checked before it is handed to a
parser.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import time
from http.client import HTTPException
from collections.abc import Iterable
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

from evalcorr.data.locations import default_cache_dir, default_mirror
from evalcorr.data.manifest import File
from evalcorr.errors import ChecksumError, DataError

TIMEOUT_S = 30.0      # to connect and to get the response headers
STALL_S = 60.0        # a download is stalled when less than STALL_BYTES arrive in this many seconds
STALL_BYTES = 1024
DEADLINE_S = 600.0    # the longest one file's download may take
_CHUNK = 1 << 16
_MIRROR_HINT = ("set EVALCORR_DATA_DIR (or `--mirror DIR`) to a mirror directory, or `--from-url BASE` "
                "to a mirror server")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, file: File) -> None:
    """Check a local copy of a manifest file; raise ChecksumError naming the file and both hashes."""
    actual = sha256_of(path)
    if actual != file.sha256 and file.in_project:
        raise ChecksumError(
            f"checksum mismatch for the project file {path}: data/manifest.yaml records sha256 "
            f"{file.sha256} ({file.size:,} bytes), the file has sha256 {actual} ({path.stat().st_size:,} "
            "bytes). The committed results were changed: restore them (git checkout -- the file), or, "
            "for a new release of the results, record the new sha256 and size in data/manifest.yaml."
        )
    if actual != file.sha256:
        raise ChecksumError(
            f"checksum mismatch for {file.path} (local copy {path}): the manifest records sha256 "
            f"{file.sha256}, the file has sha256 {actual}. The copy is corrupt or a different version; "
            "fetch it again from upstream or a clean mirror (the manifest is data/manifest.yaml)."
        )


def _unreachable(url: str, error: BaseException, timeout: float) -> DataError:
    """Why a connection failed, in words: offline only when a name could not be looked up or no
    network route exists."""
    host = urlsplit(url).netloc
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.gaierror) or getattr(reason, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return DataError(f"cannot reach {host} to download {url} ({reason}); this machine looks offline. "
                         f"Without network, {_MIRROR_HINT}.")
    if isinstance(reason, ConnectionRefusedError):
        what = f"the connection to {host} was refused: no server is listening there"
    elif isinstance(reason, (TimeoutError, socket.timeout)):
        what = f"{host} did not answer within {timeout:g} s"
    else:
        what = f"cannot download from {host} ({reason})"
    return DataError(f"{what} (downloading {url}). Check the address (is the mirror server running?), or "
                     f"{_MIRROR_HINT}.")


def download(url: str, dest: Path, *, timeout: float = TIMEOUT_S, progress: bool = True, size: int | None = None,
             stall: float = STALL_S, stall_bytes: int = STALL_BYTES, deadline: float = DEADLINE_S) -> Path:
    """Download ``url`` to ``dest``, resuming a previous partial download (``dest.part``).

    The partial file is extended with an HTTP ``Range`` request when the server honours it (206),
    restarted otherwise. Raises DataError for HTTP errors (404 names the address), a host that cannot
    be reached (saying why: no network, connection refused, no answer within `timeout`), a download
    that stalls (less than `stall_bytes` in `stall` seconds) or runs past `deadline` seconds, and a
    server that sends more than `size` bytes (the size the manifest records; reading stops there and
    the partial file is removed). Otherwise the partial file is kept so that the next run resumes.
    """
    from tqdm import tqdm

    started = time.monotonic()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    request = Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    limits = (f"the stall deadline is {stall:g} s without {stall_bytes:,} bytes, the overall deadline "
              f"{deadline:g} s")
    keep = f"{part} keeps what arrived and the next run resumes from there"
    try:
        response = urlopen(request, timeout=min(timeout, stall, deadline))
    except HTTPError as error:
        if error.code == 416 and start:  # the partial file is already complete (or longer): restart
            part.unlink()
            return download(url, dest, timeout=timeout, progress=progress, size=size, stall=stall,
                            stall_bytes=stall_bytes, deadline=deadline)
        raise DataError(f"download of {url} failed: HTTP {error.code} {error.reason}. "
                        f"Check the address, or {_MIRROR_HINT}.") from None
    except (URLError, TimeoutError, socket.timeout, ConnectionError, HTTPException) as error:
        raise _unreachable(url, error, min(timeout, stall, deadline)) from None
    with response:
        resumed = start > 0 and response.status == 206
        offset = start if resumed else 0
        length = response.headers.get("Content-Length")
        total = (int(length) + offset) if length else None
        if size is not None and total is not None and total > size:
            part.unlink(missing_ok=True)
            raise DataError(f"download of {url}: the server announces {total:,} bytes, but the manifest records "
                            f"{size:,}; it serves another file. Nothing was read; check the address.")
        limit = None if size is None else size - offset   # bytes this response may still bring
        try:
            with open(part, "ab" if resumed else "wb") as out, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True,
                desc=dest.name, disable=not progress, leave=False,
            ) as bar:
                received = window_bytes = 0
                window_start = time.monotonic()
                while True:
                    now = time.monotonic()
                    if now - started > deadline:
                        raise DataError(f"download of {url} took longer than its overall deadline "
                                        f"({received + offset:,} bytes after {now - started:.1f} s; {limits}); "
                                        f"{keep}.")
                    if now - window_start >= stall:
                        if window_bytes < stall_bytes:
                            raise DataError(f"download of {url} stalled: {window_bytes:,} bytes in the last "
                                            f"{now - window_start:.1f} s ({limits}); {keep}.")
                        window_start, window_bytes = now, 0
                    block = response.read1(_CHUNK if limit is None else min(_CHUNK, limit - received + 1))
                    if not block:
                        break
                    if limit is not None and received + len(block) > limit:
                        out.close()
                        part.unlink(missing_ok=True)
                        raise DataError(f"download of {url} sent more than the {size:,} bytes the manifest "
                                        "records; reading stopped there. The server serves another file: check "
                                        "the address, or fetch from upstream.")
                    out.write(block)
                    received += len(block)
                    window_bytes += len(block)
                    bar.update(len(block))
        except (TimeoutError, socket.timeout) as error:
            raise DataError(f"download of {url} stalled: nothing arrived for {min(timeout, stall, deadline):g} s "
                            f"({error}; {limits}); {keep}.") from None
        except (ConnectionError, URLError, HTTPException) as error:
            raise DataError(f"download of {url} was interrupted ({error}); {keep}.") from None
        # http.client ends a short body silently: compare with the announced length
        if length and received < int(length):
            raise DataError(f"download of {url} was interrupted after {received:,} of {int(length):,} bytes; "
                            f"{keep}.")
    os.replace(part, dest)
    return dest


def _mirror_url(base_url: str, file: File) -> str:
    return f"{base_url.rstrip('/')}/{quote(file.path)}"


def mirror_absent(mirror: str | Path | None = None) -> str | None:
    """Why there is no mirror directory to read (`mirror`, else the default), or None when there is one."""
    path = Path(mirror).expanduser() if mirror is not None else default_mirror()
    if path is None:
        return "no mirror directory is set (EVALCORR_DATA_DIR) and ../shared/data does not exist"
    if not path.is_dir():
        return f"the mirror directory {path} does not exist"
    return None


def downloads_dir(cache_dir: Path) -> Path:
    """Where downloaded raw files are kept: ``<cache dir>/downloads``."""
    return Path(cache_dir) / "downloads"


def materialise(
    files: Iterable[File],
    *,
    mirror: str | Path | None = None,
    base_url: str | None = None,
    cache_dir: str | Path | None = None,
    timeout: float = TIMEOUT_S,
    progress: bool = True,
    stall: float = STALL_S,
    deadline: float = DEADLINE_S,
) -> dict[str, Path]:
    """Verified local paths of manifest files: ``{manifest path: local path}``.

    Parameters
    ----------
    files : the manifest files (e.g. ``source.inputs`` of a :class:`evalcorr.data.manifest.Source`).
    mirror : mirror directory; default :func:`default_mirror`. Ignored when ``base_url`` is given.
    base_url : a mirror server; ``<base_url>/<path>`` is downloaded for every file.
    cache_dir : cache directory holding downloads (default :func:`evalcorr.data.locations.default_cache_dir`).
    timeout : seconds to wait for a server to connect and answer.
    progress : show a tqdm progress bar per download.
    stall, deadline : a download is abandoned when less than :data:`STALL_BYTES` arrive in `stall`
        seconds, or when it takes longer than `deadline` seconds (see :func:`download`).

    Raises
    ------
    DataError
        A mirror directory or a file in it is missing, a download fails, or a derived file has no
        download address and no mirror was given.
    ChecksumError
        A file's sha256 differs from the manifest (a corrupt download is removed first).
    """
    files = list(files)
    local: dict[str, Path] = {}
    for file in files:
        if file.in_project:
            local[file.path] = _project_file(file)
    files = [file for file in files if not file.in_project]
    if not files:
        return local
    if base_url is not None:
        parts = urlsplit(str(base_url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DataError(f"--from-url {base_url!r} is not an http(s) address of a mirror server (e.g. "
                            "http://127.0.0.1:8000); give the server's address, or --mirror DIR for a folder")
    if base_url is None:
        mirror = Path(mirror).expanduser() if mirror is not None else default_mirror()
        if mirror is not None and not mirror.is_dir():
            raise DataError(f"mirror directory {mirror} does not exist; point EVALCORR_DATA_DIR or "
                            "`--mirror` at the upstream mirror (the folder holding open-llm-leaderboard-v2/ "
                            "etc.), or unset it to download from upstream.")
    if (base_url is not None or mirror is None) and cache_dir is None:
        cache_dir = default_cache_dir()
    for file in files:
        if base_url is None and mirror is not None:
            path = mirror / file.path
            if not path.is_file():
                raise DataError(f"{file.path} is missing from the mirror {mirror} (expected {path}); "
                                "restore the mirror, or download it: `python -m evalcorr data --from-url BASE` "
                                "or unset EVALCORR_DATA_DIR to fetch from upstream.")
            verify(path, file)
        else:
            path = downloads_dir(cache_dir) / file.path
            if not (path.is_file() and sha256_of(path) == file.sha256):
                if base_url is not None:
                    url = _mirror_url(base_url, file)
                elif file.url is None:
                    raise DataError(f"{file.path} is derived from upstream ({file.derived_from}) and has no "
                                    f"download address; {_MIRROR_HINT}.")
                else:
                    url = file.url
                download(url, path, timeout=timeout, progress=progress, size=file.size, stall=stall,
                         deadline=deadline)
                try:
                    verify(path, file)
                except ChecksumError as error:
                    path.unlink()
                    raise ChecksumError(f"{error} (downloaded from {url}; the bad copy was removed)") from None
        local[file.path] = path
    return local


def _project_file(file: File) -> Path:
    """The verified local path of a file committed with the project."""
    path = file.project_path
    if not path.is_file():
        raise DataError(f"{path} is missing: it is part of the project's released data ({file.role}); "
                        "restore it from the repository (git checkout -- data/), or re-run the experiment "
                        "that made it (`make experiment`)")
    verify(path, file)
    return path


def changed_files(source) -> list[tuple[str, str, int]]:
    """The project files of a source whose bytes differ from the manifest: (path, sha256, size) as
    they are now (what a new release of the results records in data/manifest.yaml)."""
    changed = []
    for file in source.files:
        path = file.project_path
        if not path.is_file():
            continue
        actual = sha256_of(path)
        if actual != file.sha256:
            changed.append((file.path, actual, path.stat().st_size))
    return changed
