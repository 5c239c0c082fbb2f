"""seq2drum.arrays: numpy's distinct values and median without numpy.ma, value for value and type for type."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seq2drum import arrays

DTYPES = [np.int8, np.uint8, np.int32, np.int64, np.float32, np.float64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda dtype: np.dtype(dtype).name)
@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 7, 100, 101])
def test_as_numpy_gives_them(dtype: type, size: int) -> None:
    values = (np.random.default_rng(size).random(size) * 120).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on the median of nothing
        expected = np.median(values)
    got = arrays.median(values)
    assert type(got) is type(expected)
    assert got == expected or (np.isnan(got) and np.isnan(expected))
    assert arrays.distinct(values).dtype == np.unique(values).dtype
    assert arrays.distinct(values).tolist() == np.unique(values).tolist()


def test_a_nan_makes_the_median_nan_and_lists_and_grids_are_flattened() -> None:
    assert np.isnan(arrays.median([1.0, np.nan, 3.0]))
    assert arrays.median([[1, 2], [3, 4]]) == 2.5 and arrays.median([3, 1, 2]) == 2.0
    assert arrays.distinct(np.array([[3, 1], [3, 2]])).tolist() == [1, 2, 3]
