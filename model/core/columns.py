"""What kind of values a column holds, for any table and its roles."""

from __future__ import annotations

import pandas as pd

from sesame_audit.model.core.roles import Roles

RESERVED_PREFIX = "sesame__"
"""Columns a run stores beside a table's own start with this; no imported column may."""


def is_categorical(column: pd.Series, roles: Roles) -> bool:
    """Return whether a column holds categories rather than numbers.

    Parameters
    ----------
    column : pandas.Series
        A column of the table (its name is looked up in ``roles``).
    roles : Roles
        Column roles; columns listed in ``roles.categorical`` are categories.

    Returns
    -------
    bool
        True for listed categorical columns and for any non-numeric column.
    """
    return column.name in roles.categorical or not pd.api.types.is_numeric_dtype(column)
