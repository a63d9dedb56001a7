"""Plain JSON values from numpy scalars, arrays, paths and objects with ``to_dict``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars, arrays, paths and ``to_dict`` objects into JSON-ready values.

    NaN and infinities become ``None`` (JSON has neither).

    Examples
    --------
    >>> to_jsonable({"a": np.int64(2), "b": [np.float64("nan"), Path("x")]})
    {'a': 2, 'b': [None, 'x']}
    """
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return to_jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Path):
        return str(value)
    return value
