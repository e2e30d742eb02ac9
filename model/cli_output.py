"""What every ``sesame-audit`` command shares: its output (text or strict JSON), its
one-line errors and its argument types.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sesame_audit.model.core.jsonable import strict


class CliError(Exception):
    """An error to report on one line with a non-zero exit status."""


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit(data: Any, *, as_json: bool, text: Callable[[], str]) -> None:
    """Print ``data`` as strict JSON, or the human text made by ``text()``.

    Parameters
    ----------
    data : object
        JSON-ready data.
    as_json : bool
        Whether to print JSON.
    text : callable
        Returns the human-readable form.
    """
    if as_json:
        print(json.dumps(strict(data), indent=2, default=_json_default, allow_nan=False))
    else:
        print(text())


def positive_int(name: str, lo: int, hi: int) -> Callable[[str], int]:
    """Return an argparse type reading an integer from ``lo`` to ``hi`` (``_`` and ``,`` allowed).

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    lo, hi : int
        Smallest and largest value accepted.

    Returns
    -------
    callable
        Parses the text, or raises ``argparse.ArgumentTypeError`` naming the problem.
    """
    def parse(raw: str) -> int:
        try:
            value = int(raw.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {raw!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be between {lo:,} and {hi:,}, "
                                             f"got {value:,}")
        return value
    return parse
