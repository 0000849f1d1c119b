"""The results store: content digests, stored calls, damaged and unpicklable entries, pruning, and a real
analysis whose stored result equals the computed one."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from evalcorr.stats import results_store
from evalcorr.stats.results_store import STORE_ENV, NoDigest, code_digest, content_digest, prune, stored
from evalcorr.stats.uncertainty import interval_comparison


def _frame():
    return pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": ["x", None, "z"]}, index=pd.Index(["m1", "m2", "m3"], name="model"))


# --------------------------------------------------------------------------------------------------
# content_digest


def test_equal_content_built_differently_has_one_digest():
    records = pd.DataFrame.from_records([("m1", 1.0, "x"), ("m2", 2.0, None), ("m3", np.nan, "z")],
                                        columns=["model", "a", "b"]).set_index("model")
    assert content_digest(_frame()) == content_digest(records) == content_digest(_frame().copy())
    assert content_digest({"k": np.arange(3)}) == content_digest({"k": np.array([0, 1, 2])})


@pytest.mark.parametrize("change", [
    lambda f: f.assign(a=[1.0, 2.0, 3.0]),                          # a value
    lambda f: f.rename(index={"m3": "m4"}),                         # a model
    lambda f: f.rename(columns={"b": "c"}),                         # a column
    lambda f: f.rename_axis("id"),                                  # the index's name
    lambda f: f[["b", "a"]],                                        # the column order
    lambda f: f.iloc[[1, 0, 2]],                                    # the row order
    lambda f: f.astype({"a": "float32"}),                           # a dtype
    lambda f: f.assign(b=["x", "y", "z"]),                          # a missing string
])
def test_a_change_of_content_changes_the_digest(change):
    assert content_digest(change(_frame())) != content_digest(_frame())


def test_series_arrays_and_containers_are_told_apart():
    s = pd.Series([1, 2], index=["a", "b"], name="x")
    assert content_digest(s) != content_digest(s.rename("y"))
    assert content_digest(s) != content_digest(s.astype(float))
    assert content_digest(np.zeros(4)) != content_digest(np.zeros((2, 2)))
    assert content_digest([1, 2]) != content_digest((1, 2))
    assert content_digest({"a": 1, "b": 2}) != content_digest({"b": 2, "a": 1})   # order can order a result
    assert content_digest({1, 2, 3}) == content_digest({3, 2, 1})
    assert len({content_digest(1), content_digest(1.0), content_digest("1"), content_digest(True)}) == 4
    assert content_digest(pd.NA) != content_digest(None)
    assert content_digest(pd.Series(["x", None], dtype=object)) != content_digest(pd.Series(["x", np.nan], dtype=object))


def test_multiindex_missing_strings_and_dataclasses_are_digested():
    index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "n"])
    frame = pd.DataFrame({"v": pd.array(["p", pd.NA], dtype="string")}, index=index)
    assert content_digest(frame) != content_digest(frame.assign(v=["p", "q"]))

    @dataclass(frozen=True)
    class Cube:
        models: tuple
        values: np.ndarray

    assert content_digest(Cube(("m",), np.ones(2))) == content_digest(Cube(("m",), np.ones(2)))
    assert content_digest(Cube(("m",), np.ones(2))) != content_digest(Cube(("m",), np.zeros(2)))


def test_what_a_printed_form_would_hide_is_digested():
    # 200 categories: the dtype's printed form elides the middle ones, the digest reads them all
    names = [f"c{i}" for i in range(200)]
    swapped = names[:100] + [names[101], names[100]] + names[102:]
    assert content_digest(pd.Series(pd.Categorical(["c0"], categories=names))) != \
        content_digest(pd.Series(pd.Categorical(["c0"], categories=swapped)))
    # a missing Float64 value against a present NaN; Int64 values beyond float precision
    missing = pd.Series(pd.array([1.0, None], dtype="Float64"))
    not_a_number = pd.Series(pd.arrays.FloatingArray(np.array([1.0, np.nan]), np.array([False, False])))
    assert content_digest(missing) != content_digest(not_a_number)
    big = 2**53
    assert content_digest(pd.Series(pd.array([big, None], dtype="Int64"))) != \
        content_digest(pd.Series(pd.array([big + 1, None], dtype="Int64")))
    # a MultiIndex's level dtypes
    index = pd.MultiIndex.from_arrays([np.array([1, 2], dtype="int64"), ["a", "b"]])
    narrow = pd.MultiIndex.from_arrays([np.array([1, 2], dtype="int32"), ["a", "b"]])
    assert content_digest(index) != content_digest(narrow)


@pytest.mark.parametrize("value", [
    lambda: 1, object(), {"f": print}, [1, open],
    np.ma.masked_array([1.0, 2.0], mask=[True, False]),                 # a subclass: its mask
    np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]),                      # a structured array
    __import__("collections").defaultdict(list),                        # a dict subclass
    pd.Series([1], name=object()),                                      # a name without content
    pd.Series(pd.period_range("2020", periods=2, freq="Y")),            # values of another kind
])
def test_values_without_exact_content_raise_nodigest(value):
    with pytest.raises(NoDigest):
        content_digest(value)


def test_code_digest_changes_with_the_source(tmp_path, monkeypatch):
    (tmp_path / "mod.py").write_text("x = 1\n")
    monkeypatch.setattr(results_store, "PACKAGE_ROOT", tmp_path)
    code_digest.cache_clear()
    try:
        first = code_digest()
        (tmp_path / "mod.py").write_text("x = 2\n")
        code_digest.cache_clear()
        assert code_digest() != first
    finally:
        code_digest.cache_clear()


# --------------------------------------------------------------------------------------------------
# stored


def _counted():
    calls = []

    @stored
    def analysis(frame, seed=0, *, scale=1.0):
        calls.append(seed)
        return frame["a"].sum() * scale + seed

    return analysis, calls


def test_without_the_variable_every_call_runs(monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    analysis, calls = _counted()
    analysis(_frame())
    analysis(_frame())
    assert calls == [0, 0]


def test_a_call_with_the_same_content_reads_the_stored_result(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path))
    analysis, calls = _counted()
    first = analysis(_frame())
    # the same content, another object, the defaults spelled out, a keyword for a positional
    assert analysis(_frame().copy(), 0, scale=1.0) == first
    assert analysis(frame=_frame(), seed=0) == first
    assert calls == [0]
    assert analysis(_frame(), seed=1) == first + 1          # another seed: another key
    assert analysis(_frame(), scale=2.0) == 2 * first       # another keyword value
    assert calls == [0, 1, 0]
    assert len(list(tmp_path.glob("*/analysis-*.pickle"))) == 3


def test_a_call_with_an_argument_without_content_runs_and_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path))
    calls = []

    @stored
    def apply(function, value):
        calls.append(value)
        return function(value)

    assert apply(abs, -2) == apply(abs, -2) == 2
    assert calls == [-2, -2]
    assert not list(tmp_path.rglob("*.pickle"))


def test_a_damaged_entry_is_computed_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path))
    analysis, calls = _counted()
    expected = analysis(_frame())
    (entry,) = tmp_path.glob("*/analysis-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert analysis(_frame()) == expected
    assert calls == [0, 0]
    assert pickle.loads(entry.read_bytes()) == expected


def test_a_call_that_raises_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path))

    @stored
    def fails(n):
        raise ValueError(f"no result for {n}")

    with pytest.raises(ValueError, match="no result for 1"):
        fails(1)
    assert not list(tmp_path.rglob("*.pickle")) and not list(tmp_path.rglob("*.tmp"))


class _RefusesPickling:
    def __reduce__(self):
        raise ValueError("not picklable")


def test_a_result_that_cannot_be_pickled_is_returned_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path))

    @stored
    def make_function(n):
        return lambda: n

    @stored
    def make_refusing(n):
        return [n, _RefusesPickling()]

    assert make_function(3)() == 3
    assert make_refusing(4)[0] == 4
    assert not list(tmp_path.rglob("*.pickle")) and not list(tmp_path.rglob("*.tmp"))


def test_a_store_that_cannot_be_written_still_returns_results(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the store's folder would be")
    monkeypatch.setenv(STORE_ENV, str(blocker))
    analysis, calls = _counted()
    assert analysis(_frame()) == analysis(_frame())
    assert calls == [0, 0]


def test_prune_keeps_only_the_current_code(tmp_path):
    current = tmp_path / code_digest()[:16]
    old = tmp_path / "0123456789abcdef"
    for folder in (current, old):
        folder.mkdir()
        (folder / "entry.pickle").write_bytes(b"x")
    prune(tmp_path)
    assert current.is_dir() and not old.exists()
    prune(tmp_path / "missing")            # no store yet: nothing to do


# --------------------------------------------------------------------------------------------------
# A real analysis


def test_a_stored_interval_comparison_equals_the_computed_one(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    general = rng.normal(size=(60, 1))
    wide = pd.DataFrame(general + rng.normal(scale=0.5, size=(60, 4)), columns=["t1", "t2", "t3", "t4"],
                        index=pd.Index([f"m{i}" for i in range(60)], name="model"))
    wide.iloc[:5, 0] = np.nan
    families = pd.Series({"t1": "A", "t2": "A", "t3": "B", "t4": "B"})
    groups = {"pairs of models": pd.Series([f"g{i // 2}" for i in range(60)], index=wide.index)}
    monkeypatch.delenv(STORE_ENV, raising=False)
    computed = interval_comparison(wide, families, groups, n_boot=200, seed=1, min_periods=10)
    monkeypatch.setenv(STORE_ENV, str(tmp_path))
    first = interval_comparison(wide, families, groups, n_boot=200, seed=1, min_periods=10)
    again = interval_comparison(wide.copy(), families, groups, n_boot=200, seed=1, min_periods=10)
    assert len(list(tmp_path.glob("*/interval_comparison-*.pickle"))) == 1
    for result in (first, again):
        for name in ("pairs", "statistics", "summary"):
            pd.testing.assert_frame_equal(getattr(result, name), getattr(computed, name))
