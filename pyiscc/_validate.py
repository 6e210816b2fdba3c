"""Input checks shared by the facade: one place that turns bad input into a ValueError whose
message starts with the parameter's name.

The C++ entry points check shapes, finiteness and ranges of the arrays they receive; these
helpers check what C++ cannot see: Python types, option dicts, strings, scalars, and the
conversion of array-likes to a numeric dtype."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: dtype kinds that convert to a number without guessing (bool, signed, unsigned, float, complex).
_NUMERIC_KINDS = frozenset("biufc")


def numeric(value: ArrayLike, name: str, dtype: type, *, order: str | None = None) -> NDArray[Any]:
    """``value`` as an array of ``dtype`` (no copy when it already is one), or ``ValueError``
    naming ``name`` when it is not numeric (strings, objects that do not convert, complex data
    for a real ``dtype``)."""
    if type(value) is np.ndarray and value.dtype.kind in _NUMERIC_KINDS:
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):  # ragged nested sequences
            raise ValueError(f"{name}: cannot be converted to a numeric array") from None
        if arr.dtype.kind not in _NUMERIC_KINDS and arr.dtype.kind != "O":
            raise ValueError(f"{name}: must be numeric, got an array of dtype {arr.dtype}")
    if dtype is float and arr.dtype.kind == "c":
        raise ValueError(f"{name}: must be real, got a complex array")
    try:
        return np.asarray(arr, dtype=dtype, order=order)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: cannot be converted to a {np.dtype(dtype).name} array") from None


def as_array(value: ArrayLike, name: str, shape: tuple[int, ...], dtype: type, *,
             positive: bool = False, nonnegative: bool = False, copy: bool = True) -> NDArray[Any]:
    """A C-contiguous array (a copy when ``copy``) of ``dtype`` with exactly ``shape``, finite,
    optionally positive / nonnegative; otherwise ``ValueError`` naming ``name``."""
    arr = numeric(value, name, dtype, order="C")
    if copy and arr is value:
        arr = arr.copy()
    elif copy and isinstance(value, np.ndarray) and np.may_share_memory(arr, value):
        arr = arr.copy()
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or inf")
    if positive and not (arr > 0).all():
        raise ValueError(f"{name}: must be > 0 everywhere")
    if nonnegative and not (arr >= 0).all():
        raise ValueError(f"{name}: must be >= 0 everywhere")
    return arr


def integer(value: Any, name: str, minimum: int) -> int:
    """``value`` as an int (Python or NumPy integer, not bool) >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def real(value: Any, name: str, *, minimum: float = -math.inf, strict: bool = False) -> float:
    """``value`` as a finite float (Python or NumPy real, not bool) >= ``minimum`` (> when
    ``strict``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if x < minimum or (strict and x == minimum):
        raise ValueError(f"{name}: must be {'>' if strict else '>='} {minimum:g}, got {value!r}")
    return x


def boolean(value: Any, name: str) -> bool:
    """``value`` as a bool (Python or NumPy bool only: an int or a string is refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: must be a bool, got {value!r}")
    return bool(value)


def options(value: Any, name: str, allowed: frozenset[str] | set[str]) -> dict[str, Any]:
    """An options dict (None = empty): a Mapping with str keys, each in ``allowed``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name}: must be a dict of options, got {type(value).__name__}")
    bad = [k for k in value if not isinstance(k, str) or k not in allowed]
    if bad:
        raise ValueError(f"{name}: unknown option(s) {sorted(map(repr, bad))}; "
                         f"allowed: {sorted(allowed)}")
    return dict(value)
