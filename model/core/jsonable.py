"""Values made plain Python, for JSON output and dataclass exports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """Return a numpy scalar as the Python scalar it holds; any other value unchanged.

    Parameters
    ----------
    value : object
        A value read from a frame or an array.

    Returns
    -------
    object
        The value, with numpy scalars converted.
    """
    return value.item() if isinstance(value, np.generic) else value


def strict(value: Any) -> Any:
    """Return ``value`` ready for strict JSON: NaN and infinities become None, recursively.

    Parameters
    ----------
    value : object
        Nested dicts, lists, tuples and scalars (numpy scalars included).

    Returns
    -------
    object
        The same structure with plain Python scalars, string keys, lists for tuples and no
        non-finite floats.
    """
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    return value
