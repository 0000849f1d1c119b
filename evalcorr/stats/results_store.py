"""Results kept by content while a report renders, so that a page asking for an analysis another page
has already run reads its result instead of running it again.

Each page of the report runs in its own kernel, as in Quarto, and the landing page quotes the headline
numbers of the chapters: without a store it repeats their bootstraps. A function decorated with
:func:`stored` keeps the result of every call in the directory named by the ``EVALCORR_RESULT_STORE``
environment variable (the renderer sets it to ``.render-cache/results``), under a key made of

- the function's module and qualified name;
- the digest of every argument's content, defaults included, whether passed by position or by keyword
  (:func:`content_digest`: values, index, columns, dtypes and names of pandas objects; bytes, dtype and
  shape of arrays; fields of dataclasses);
- the digest of the package's source, the Python version and the numerical libraries' versions
  (:func:`code_digest`, read once a process), so that a change to any code the result may depend on
  gives another key.

Without the variable (the package used on its own), or when an argument has no exact content digest (a
function, an open file, a kind of value the digest does not know), the function simply runs. The stored
functions are deterministic: their randomness comes from a seed among the arguments, so a stored result
equals a recomputed one.

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
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

STORE_ENV = "EVALCORR_RESULT_STORE"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Libraries whose version can change a result (read from their metadata: the renderer's main process
# prunes the store without importing them). pyarrow holds pandas' strings.
NUMERICAL_LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy")


class NoDigest(Exception):
    """An argument whose content cannot be digested exactly: the call is not stored."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """The digest of every Python source file of the package, the Python version and the numerical
    libraries' versions."""
    h = hashlib.sha256(f"python {sys.version}\n".encode())
    for library in NUMERICAL_LIBRARIES:
        h.update(f"{library} {version(library)}\n".encode())
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        h.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def content_digest(value) -> str:
    """A sha256 of what `value` holds: equal for equal content however it was built; raises
    :class:`NoDigest` for values it cannot read exactly (functions, open files, other objects)."""
    digest = _Digest()
    digest.feed(value)
    return digest.h.hexdigest()


class _Digest:
    """A typed, unambiguous encoding of values fed into one sha256. Only exact types it knows are read:
    a subclass (a masked array, a defaultdict) could hold more than its base class shows."""

    def __init__(self):
        import numpy
        import pandas

        self.np, self.pd, self.h = numpy, pandas, hashlib.sha256()

    def feed(self, value) -> None:
        np, pd, h = self.np, self.pd, self.h
        kind = type(value)
        if value is None or value is pd.NA or value is pd.NaT or kind in (bool, int, float, complex, str, bytes):
            h.update(f"{kind.__name__}:{value!r};".encode())
        elif isinstance(value, np.generic) and not value.dtype.hasobject and value.dtype.fields is None:
            h.update(f"{value.dtype.str}:{value!r};".encode())
        elif kind is np.ndarray:
            self._array(value)
        elif kind is pd.MultiIndex:
            h.update(f"MultiIndex {value.nlevels}:".encode())
            self.feed(list(value.names))
            for level, codes in zip(value.levels, value.codes):
                self.feed(level)
                self._array(np.asarray(codes))
        elif kind in (pd.Index, pd.RangeIndex, pd.Series):
            h.update(f"{kind.__name__} {value.dtype!s}:".encode())
            self.feed(list(value.names) if kind is not pd.Series else value.name)
            if kind is pd.Series:
                self.feed(value.index)
            self._values(value.array)
        elif kind is pd.DataFrame:
            h.update(f"DataFrame {value.shape}:".encode())
            self.feed(value.index)
            self.feed(value.columns)
            for i in range(value.shape[1]):
                self._values(value.iloc[:, i].array)
        elif kind in (list, tuple):
            h.update(f"{kind.__name__}{len(value)}[".encode())
            for item in value:
                self.feed(item)
            h.update(b"]")
        elif kind is dict:                     # in order: the order of a mapping can order a result
            h.update(f"dict{len(value)}{{".encode())
            for key, item in value.items():
                self.feed(key)
                self.feed(item)
            h.update(b"}")
        elif kind in (set, frozenset):
            h.update(f"{kind.__name__}{len(value)}{{".encode())
            for item in sorted(content_digest(item) for item in value):
                h.update(item.encode())
            h.update(b"}")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            h.update(f"{kind.__module__}.{kind.__qualname__}(".encode())
            for field in dataclasses.fields(value):
                h.update(f"{field.name}=".encode())
                self.feed(getattr(value, field.name))
            h.update(b")")
        else:
            raise NoDigest(kind.__qualname__)

    def _array(self, array) -> None:
        """A numpy array: its bytes, or its elements when it holds objects; a structured dtype (fields)
        is not read."""
        if array.dtype.fields is not None:
            raise NoDigest(f"structured array {array.dtype}")
        if array.dtype.hasobject:
            self.h.update(f"object-array{array.shape}[".encode())
            for item in array.ravel().tolist():
                self.feed(item)
            self.h.update(b"]")
        else:
            array = self.np.ascontiguousarray(array)
            self.h.update(f"array {array.dtype.str} {array.shape}:".encode())
            self.h.update(array.tobytes())

    def _values(self, values) -> None:
        """The values of an index or a column, by the kind of array that holds them."""
        np, pd = self.np, self.pd
        dtype = values.dtype
        self.h.update(f"{type(values).__name__} {dtype!s}:".encode())
        if isinstance(values, (pd.arrays.NumpyExtensionArray, pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray)):
            self._array(np.asarray(values))
        elif isinstance(dtype, pd.CategoricalDtype):        # categories, their order and each value's code
            self.feed(dtype.ordered)
            self.feed(values.categories)
            self._array(np.asarray(values.codes))
        elif isinstance(values, (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)):
            # the values where present and where the missing ones are (a NaN is a value there, not NA)
            self._array(np.asarray(values.isna()))
            self._array(values.to_numpy(dtype=dtype.numpy_dtype, na_value=dtype.type(0)))
        elif isinstance(dtype, pd.StringDtype):             # strings, and missing values as their NA
            self._array(values.to_numpy(dtype=object, na_value=dtype.na_value))
        else:
            raise NoDigest(f"values of dtype {dtype}")


def stored(function):
    """Keep `function`'s results in the store named by ``EVALCORR_RESULT_STORE``, keyed by content."""
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        directory = os.environ.get(STORE_ENV)
        if not directory:
            return function(*args, **kwargs)
        # Keyed by every parameter's value, defaults included, passed by position or by keyword.
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
    except Exception:  # noqa: BLE001  whatever pickling raised, the computed result is still good
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
