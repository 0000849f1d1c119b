"""one_blas_thread: one BLAS thread inside, the previous count after, without looking the libraries up again."""

import numpy as np  # noqa: F401  (loads the BLAS library the tests control)
import pytest
import threadpoolctl

from evalcorr.stats.blas import one_blas_thread


def blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    if not blas_threads():
        pytest.fail("no BLAS library is loaded: NumPy should have loaded one")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if set(blas_threads()) != {2}:
            pytest.fail(f"BLAS did not take 2 threads ({blas_threads()}): the tests would test nothing")
        yield


def test_one_thread_inside_and_the_previous_count_after(two_blas_threads):
    before = blas_threads()
    with one_blas_thread:
        assert set(blas_threads()) == {1}
        with one_blas_thread:            # nested, as a decorated function called inside another
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
    assert blas_threads() == before

    @one_blas_thread
    def inside():
        return blas_threads()

    assert set(inside()) == {1}
    assert blas_threads() == before


def test_the_libraries_are_looked_up_once(monkeypatch, two_blas_threads):
    with one_blas_thread:       # the cached controller is built here if it is not yet
        pass
    built = []
    original = threadpoolctl.ThreadpoolController.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "__init__", counting)
    for _ in range(3):
        with one_blas_thread:
            pass
    assert built == []          # threadpool_limits(...) would have built a controller each time
