"""Text a user's files bring (column names, labels, values): plain, short and flat, or refused.

Names, labels and values end up in pages, the HTML/PDF report and Parquet files. A control
character (a NUL above all) aborts the PDF renderer, a label of a million characters makes
a report run for minutes, a nested or 26-digit value cannot be stored: each is refused at
import with a message naming the column, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from sesame_audit.model.core.bad_input import BadInputError, TableError

MAX_TEXT = 200
"""Longest column name, label or text value accepted, in characters."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_VALUES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, newline, CR pass
_INT64 = np.iinfo(np.int64)


def _shown(text: str) -> str:
    """The start of ``text`` for a message, control characters made visible."""
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def check_text(text: str, what: str, *, error: type[BadInputError] = TableError,
               values: bool = False) -> None:
    """Refuse a name, label or value with a control character or over :data:`MAX_TEXT`.

    Parameters
    ----------
    text : str
        The text.
    what : str
        What it is, for the message (e.g. ``"column name"``, ``"label of 'age'"``).
    error : type of BadInputError, default=TableError
        The error raised.
    values : bool, default=False
        Whether ``text`` is a value in a cell, where tab, newline and carriage return are
        allowed (a multi-line cell); names and labels take none.

    Raises
    ------
    BadInputError
        Of type ``error``, naming ``what`` and the character or length.
    """
    found = (_CONTROL_IN_VALUES if values else _CONTROL).search(text)
    if found:
        raise error(f"{what} {_shown(text)} holds the control character "
                    f"U+{ord(found.group()):04X} at position {found.start()}; remove it")
    if len(text) > MAX_TEXT:
        raise error(f"{what} {_shown(text)} is {len(text):,} characters long, over the "
                    f"limit of {MAX_TEXT}; shorten it")


def printable(text: str) -> str:
    """Return ``text`` without the control characters a renderer chokes on (tab, newline and
    carriage return stay): for text stored before these checks existed.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text, control characters removed.
    """
    return _CONTROL_IN_VALUES.sub("", text)


def check_names(names: Iterable[str], source: str) -> None:
    """Refuse column names with control characters or over :data:`MAX_TEXT` characters.

    Parameters
    ----------
    names : iterable of str
        The column names.
    source : str
        File name, for the message.

    Raises
    ------
    TableError
        Naming the first bad name.
    """
    for name in names:
        check_text(str(name), f"{source}: column name")


def check_cells(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Refuse values that cannot be audited, stored or shown, in the columns an import uses.

    Parameters
    ----------
    frame : pandas.DataFrame
        The user's table.
    columns : iterable of str
        The columns stored (id, inputs, sensitive attributes, target).

    Raises
    ------
    TableError
        Naming the column and the first bad value: a nested value (list, mapping, bytes),
        a whole number beyond 64 bits, text with a control character or over
        :data:`MAX_TEXT` characters.
    """
    for column in dict.fromkeys(columns):
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if isinstance(values.dtype, pd.StringDtype):  # all text: checked at once
            flagged = (values.str.contains(_CONTROL_IN_VALUES, na=False)
                       | (values.str.len() > MAX_TEXT)).to_numpy(dtype=bool)
            values = values[flagged]
        for row, value in values.items():
            if isinstance(value, str):
                check_text(value, f"column {column!r}, row {row}: the value", values=True)
            elif isinstance(value, int | np.integer) and not isinstance(value, bool):
                if not _INT64.min <= int(value) <= _INT64.max:
                    raise TableError(f"column {column!r} holds a whole number of "
                                     f"{len(str(abs(int(value))))} digits (row {row}), too "
                                     "long to store as a number; save the column as text")
            elif not (value is None or isinstance(value, float | np.floating | bool | np.bool_)
                      or value is pd.NA or value is pd.NaT):
                raise TableError(f"column {column!r} holds {type(value).__name__} values "
                                 f"(row {row}), not numbers or text; flatten it first")


def missing_counts(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, int]:
    """Return the number of missing values of each column that has any.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as imported.
    columns : iterable of str
        Columns to count (the model's inputs and the sensitive attributes).

    Returns
    -------
    dict
        Column -> missing values, in the order given; columns with none are left out.
    """
    counts = {c: int(frame[c].isna().sum()) for c in dict.fromkeys(columns) if c in frame}
    return {c: n for c, n in counts.items() if n}


def missing_text(missing: dict[str, int], rows: int) -> str | None:
    """Return what the import did with missing values, in a sentence (None when none).

    Parameters
    ----------
    missing : dict
        Output of :func:`missing_counts`.
    rows : int
        Rows of the table.

    Returns
    -------
    str or None
        "missing values: income 12 (2.4%), sex 3 (0.6%); the model was given them as
        missing, and a sensitive attribute's form a group 'missing'".
    """
    if not missing:
        return None
    listed = ", ".join(f"{printable(c)} {n:,} ({n / rows:.1%})" for c, n in missing.items())
    return (f"missing values: {listed}; the model was given them as missing, and a "
            "sensitive attribute's form a group 'missing'")
