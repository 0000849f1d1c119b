"""Results kept by content while a report renders, so that a page asking for an analysis another page
has already run reads its result instead of running it again.

Each page of the report runs in its own kernel, as in Quarto, and the landing page quotes the headline
numbers of the chapters: without a store it repeats their bootstraps. A function decorated with
:func:`stored` keeps its result in the directory named by the ``EVALCORR_RESULT_STORE`` environment
variable (the renderer sets it to ``.render-cache/results``), under a key made of

- the function's qualified name;
- the digest of every argument's content (:func:`content_digest`: values, index, columns, dtypes and
  names of pandas objects; bytes, dtype and shape of arrays; fields of dataclasses);
- the digest of the package's source and of the numerical libraries' versions (:func:`code_digest`),
  so that a change to any code the result may depend on gives another key.

Without the variable (the package used on its own), or when an argument has no content digest (a
function, an open file), the function simply runs. The stored functions are deterministic: their
randomness comes from a seed among the arguments, so a stored result equals a recomputed one.

>>> from evalcorr.stats.uncertainty import interval_comparison   # doctest: +SKIP
>>> os.environ["EVALCORR_RESULT_STORE"] = "/tmp/results"         # doctest: +SKIP
>>> interval_comparison(wide, families, groupings)   # runs, and keeps the result   # doctest: +SKIP
>>> interval_comparison(wide, families, groupings)   # reads it                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import os
import pickle
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

STORE_ENV = "EVALCORR_RESULT_STORE"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Libraries whose version can change a result (read from their metadata: the renderer's main process
# prunes the store without importing them).
NUMERICAL_LIBRARIES = ("numpy", "pandas", "scipy")


class NoDigest(Exception):
    """An argument whose content cannot be digested: the call is not stored."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """The digest of every Python source file of the package and of the numerical libraries' versions."""
    h = hashlib.sha256()
    for library in NUMERICAL_LIBRARIES:
        h.update(f"{library} {version(library)}\n".encode())
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        h.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def content_digest(value) -> str:
    """A sha256 of what `value` holds: equal for equal content however it was built; raises
    :class:`NoDigest` for values it cannot read (functions, open files, arbitrary objects)."""
    digest = _Digest()
    digest.feed(value)
    return digest.h.hexdigest()


class _Digest:
    """A typed, unambiguous encoding of values fed into one sha256."""

    def __init__(self):
        import numpy
        import pandas

        self.np, self.pd, self.h = numpy, pandas, hashlib.sha256()

    def feed(self, value) -> None:
        np, pd, h = self.np, self.pd, self.h
        if value is None or value is pd.NA or value is pd.NaT or isinstance(
                value, (bool, int, float, complex, str, bytes, np.generic)):
            h.update(f"{type(value).__name__}:{value!r};".encode())
        elif isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                h.update(f"object-array{value.shape}[".encode())
                for item in value.ravel().tolist():
                    self.feed(item)
                h.update(b"]")
            else:
                array = np.ascontiguousarray(value)
                h.update(f"array {array.dtype.str} {array.shape}:".encode())
                h.update(array.tobytes())
        elif isinstance(value, pd.Index):
            h.update(f"{type(value).__name__} {value.dtype!r} {list(value.names)!r}:".encode())
            self._values(value)
        elif isinstance(value, pd.Series):
            h.update(f"Series {value.dtype!r} {value.name!r}:".encode())
            self.feed(value.index)
            self._values(value)
        elif isinstance(value, pd.DataFrame):
            h.update(f"DataFrame {value.shape}:".encode())
            self.feed(value.index)
            self.feed(value.columns)
            for i in range(value.shape[1]):
                column = value.iloc[:, i]
                h.update(f"{column.dtype!r}:".encode())
                self._values(column)
        elif isinstance(value, (list, tuple)):
            h.update(f"{type(value).__name__}{len(value)}[".encode())
            for item in value:
                self.feed(item)
            h.update(b"]")
        elif isinstance(value, dict):          # in order: the order of a mapping can order a result
            h.update(f"dict{len(value)}{{".encode())
            for key, item in value.items():
                self.feed(key)
                self.feed(item)
            h.update(b"}")
        elif isinstance(value, (set, frozenset)):
            h.update(f"{type(value).__name__}{len(value)}{{".encode())
            for item in sorted(content_digest(item) for item in value):
                h.update(item.encode())
            h.update(b"}")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            h.update(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
            for field in dataclasses.fields(value):
                h.update(f"{field.name}=".encode())
                self.feed(getattr(value, field.name))
            h.update(b")")
        else:
            raise NoDigest(type(value).__qualname__)

    def _values(self, values) -> None:
        """The values of an index or a column: numbers as their bytes; anything else (strings, tuples of
        a MultiIndex, missing values as None, NaN or pd.NA, each its own type) element by element."""
        self.feed(self.np.asarray(values.to_numpy()))


def stored(function):
    """Keep `function`'s results in the store named by ``EVALCORR_RESULT_STORE``, keyed by content."""
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        directory = os.environ.get(STORE_ENV)
        if not directory:
            return function(*args, **kwargs)
        # Keyed by every parameter's value, defaults included, however the call spelled them.
        call = signature.bind(*args, **kwargs)
        call.apply_defaults()
        try:
            key = content_digest((name, call.arguments))
        except NoDigest:
            return function(*args, **kwargs)
        path = Path(directory) / code_digest()[:16] / f"{function.__name__}-{key[:32]}.pickle"
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001  no entry yet, or a damaged one (whatever unpickling raised)
            pass
        result = function(*args, **kwargs)
        _write(path, result)
        return result

    return wrapper


def _write(path: Path, result) -> None:
    """Write `result` to `path` whole or not at all: two kernels may write the same entry at once. A
    result that cannot be pickled, or a store that cannot be written, is only not kept."""
    try:
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def prune(directory: str | os.PathLike) -> None:
    """Remove the entries of other versions of the code from the store at `directory`."""
    directory = Path(directory)
    current = code_digest()[:16]
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.is_dir() and entry.name != current:
                shutil.rmtree(entry, ignore_errors=True)
