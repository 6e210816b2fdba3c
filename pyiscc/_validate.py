"""Input checks shared by the facade: one place that turns bad input into a ValueError that
names the parameter."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_array(value: ArrayLike, name: str, shape: tuple[int, ...], dtype: type, *,
             positive: bool = False, nonnegative: bool = False, copy: bool = True) -> NDArray[Any]:
    """A C-contiguous copy of ``value`` as ``dtype`` with exactly ``shape``, finite, optionally
    positive / nonnegative; otherwise ``ValueError`` naming ``name``."""
    if dtype is float and np.iscomplexobj(value):
        raise ValueError(f"{name}: must be real, got a complex array")
    try:
        # np.asarray copies only when needed (int decisions -> float); np.array(copy=False)
        # would raise on numpy 2 instead.
        arr = (np.array(value, dtype=dtype, order="C") if copy
               else np.asarray(value, dtype=dtype, order="C"))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: cannot be converted to a {np.dtype(dtype).name} array") from None
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or inf")
    if positive and not (arr > 0).all():
        raise ValueError(f"{name}: must be > 0 everywhere")
    if nonnegative and not (arr >= 0).all():
        raise ValueError(f"{name}: must be >= 0 everywhere")
    return arr
