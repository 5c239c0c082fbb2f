"""numpy's distinct values and median as the product calls them, without importing numpy.ma.

numpy 2.4's plain `np.unique` (no counts, no indices) asks `np.ma.is_masked` of its input and `np.median` asks
`np.ma.isMaskedArray` of its result, and the first such call imports numpy.ma: about 8 ms of CPU, a fifth of what the
plan added to a cold `python main.py --mode infer` (docs/benchmarks.md). These give the same values by paths that
never read numpy.ma; tests/test_cli.py checks that an infer run leaves numpy.ma unimported.
"""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `values` (flattened), in its dtype: `np.unique(values)` by its sort path; one
    value or none as it is (a live bar's phrase: np.unique's 10-20 us, a few times a bar, for nothing to sort)."""
    if np.size(values) <= 1:
        return np.array(values).ravel()
    return np.unique(values, return_counts=True)[0]


def median(values: np.ndarray | list) -> np.floating:
    """`np.median(values)` of a flattened array or list: the middle value, or the mean of the two middle ones (in
    the values' float dtype, float64 for integers); nan for no values (numpy warns too) or where any value is nan."""
    ordered = np.sort(np.asarray(values).ravel())  # a nan sorts last
    floating = np.issubdtype(ordered.dtype, np.floating)
    if not len(ordered) or (floating and np.isnan(ordered[-1])):
        return ordered.dtype.type("nan") if floating else np.float64("nan")
    low, high = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
    return (low + high) / 2 if floating else (np.float64(low) + np.float64(high)) / 2
