"""One BLAS thread for the statistics' many small matrix operations.

Bootstraps, permutation nulls and model selections run thousands of small products and decompositions.
BLAS threads only add synchronisation to them: on a busy two-core machine they made such loops several
to over ten times slower. A fixed thread count also makes the float sums, and so the digits of seeded
results, independent of how many cores a machine has.

:data:`one_blas_thread` is a decorator and a context manager, and may be nested: threadpoolctl (3.8, as
pinned) keeps the limits each thread entered on a stack of that thread's own. It reuses threadpoolctl's
cached view of the loaded BLAS libraries: ``threadpool_limits(...)`` looks every loaded library up
again on each call, about a quarter of a second of CPU per cold render in the pages' kernels.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

one_blas_thread = threadpool_limits.wrap(limits=1, user_api="blas")
