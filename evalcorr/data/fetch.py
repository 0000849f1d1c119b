"""Materialise a source's raw files, verified against the manifest's sha256.

Files come from one of three places, in this order of preference:

1. a mirror server (``base_url``): ``<base_url>/<manifest path>`` is downloaded;
2. a mirror directory (``mirror``, else :func:`evalcorr.data.locations.default_mirror`): the file is
   read in place, never modified;
3. the upstream raw address recorded in the manifest (files derived from upstream have none and
   need a mirror).

Downloads go to ``<cache dir>/downloads/<manifest path>`` through a ``.part`` file that a later run
resumes with an HTTP Range request. Every file's sha256 is checked before it is handed to a parser.
"""

from __future__ import annotations

import hashlib
import os
import socket
from http.client import HTTPException
from collections.abc import Iterable
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

from evalcorr.data.locations import default_cache_dir, default_mirror
from evalcorr.data.manifest import File
from evalcorr.errors import ChecksumError, DataError

TIMEOUT_S = 30.0
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
    if actual != file.sha256:
        raise ChecksumError(
            f"checksum mismatch for {file.path} (local copy {path}): the manifest records sha256 "
            f"{file.sha256}, the file has sha256 {actual}. The copy is corrupt or a different version; "
            "fetch it again from upstream or a clean mirror (the manifest is data/manifest.yaml)."
        )


def download(url: str, dest: Path, *, timeout: float = TIMEOUT_S, progress: bool = True) -> Path:
    """Download ``url`` to ``dest``, resuming a previous partial download (``dest.part``).

    The partial file is extended with an HTTP ``Range`` request when the server honours it (206),
    restarted otherwise. Raises DataError for HTTP errors (404 names the address), an unreachable
    host (offline) and a timeout; the partial file is kept so that the next run resumes.
    """
    from tqdm import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    request = Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        response = urlopen(request, timeout=timeout)
    except HTTPError as error:
        if error.code == 416 and start:  # the partial file is already complete (or longer): restart
            part.unlink()
            return download(url, dest, timeout=timeout, progress=progress)
        raise DataError(f"download of {url} failed: HTTP {error.code} {error.reason}. "
                        f"Check the address, or {_MIRROR_HINT}.") from None
    except (URLError, TimeoutError, socket.timeout, ConnectionError, HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise DataError(f"cannot reach {urlsplit(url).netloc} to download {url} ({reason}); "
                        f"this machine looks offline. Without network, {_MIRROR_HINT}.") from None
    with response:
        resumed = start > 0 and response.status == 206
        length = response.headers.get("Content-Length")
        total = (int(length) + (start if resumed else 0)) if length else None
        try:
            with open(part, "ab" if resumed else "wb") as out, tqdm(
                total=total, initial=start if resumed else 0, unit="B", unit_scale=True,
                desc=dest.name, disable=not progress, leave=False,
            ) as bar:
                received = 0
                for block in iter(lambda: response.read(_CHUNK), b""):
                    out.write(block)
                    received += len(block)
                    bar.update(len(block))
        except (TimeoutError, socket.timeout, ConnectionError, URLError, HTTPException) as error:
            raise DataError(f"download of {url} was interrupted ({error}); {part} keeps what arrived "
                            "and the next run resumes from there.") from None
        # http.client ends a short body silently: compare with the announced length
        if length and received < int(length):
            raise DataError(f"download of {url} was interrupted after {received:,} of {int(length):,} bytes; "
                            f"{part} keeps what arrived and the next run resumes from there.")
    os.replace(part, dest)
    return dest


def _mirror_url(base_url: str, file: File) -> str:
    return f"{base_url.rstrip('/')}/{quote(file.path)}"


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
) -> dict[str, Path]:
    """Verified local paths of manifest files: ``{manifest path: local path}``.

    Parameters
    ----------
    files : the manifest files (e.g. ``source.inputs`` of a :class:`evalcorr.data.manifest.Source`).
    mirror : mirror directory; default :func:`default_mirror`. Ignored when ``base_url`` is given.
    base_url : a mirror server; ``<base_url>/<path>`` is downloaded for every file.
    cache_dir : cache directory holding downloads (default :func:`evalcorr.data.locations.default_cache_dir`).
    timeout : seconds to wait for a server before giving up.
    progress : show a tqdm progress bar per download.

    Raises
    ------
    DataError
        A mirror directory or a file in it is missing, a download fails, or a derived file has no
        download address and no mirror was given.
    ChecksumError
        A file's sha256 differs from the manifest (a corrupt download is removed first).
    """
    files = list(files)
    if base_url is None:
        mirror = Path(mirror).expanduser() if mirror is not None else default_mirror()
        if mirror is not None and not mirror.is_dir():
            raise DataError(f"mirror directory {mirror} does not exist; point EVALCORR_DATA_DIR or "
                            "`--mirror` at the upstream mirror (the folder holding open-llm-leaderboard-v2/ "
                            "etc.), or unset it to download from upstream.")
    if (base_url is not None or mirror is None) and cache_dir is None:
        cache_dir = default_cache_dir()
    local: dict[str, Path] = {}
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
                download(url, path, timeout=timeout, progress=progress)
                try:
                    verify(path, file)
                except ChecksumError as error:
                    path.unlink()
                    raise ChecksumError(f"{error} (downloaded from {url}; the bad copy was removed)") from None
        local[file.path] = path
    return local
