"""What the import form suggests and reads: roles guessed from a table, typed thresholds.

A user without a roles file gets roles suggested from column names and types, to correct,
and types thresholds as text; :func:`importing.roles_file.with_thresholds` turns them into
tiers.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from sesame_audit.model.core.bad_input import RolesError
from sesame_audit.model.importing.roles_file import RolesSpec

_SENSITIVE_NAMES = re.compile(
    r"(sex|gender|age|race|ethnic|religio|nationality|foreign|marital|personal_status|"
    r"disab|politic|hukou|pregnan|orientation)", re.IGNORECASE)
_TARGET_NAMES = re.compile(
    r"^(score|target|label|outcome|y|default|credit_?risk|creditability|approved|decision)$",
    re.IGNORECASE)
_ID_NAMES = re.compile(r"(^id$|_id$|^id_|^(person|customer|client|applicant|account)$)",
                       re.IGNORECASE)


def suggest_roles(frame: pd.DataFrame) -> RolesSpec:
    """Suggest roles from column names and dtypes, for a user to correct.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    RolesSpec
        An id (a unique column named like an id), a target (a column named like an
        outcome), sensitive attributes (names such as sex, age, nationality), and every
        other column as an input.
    """
    columns = [str(c) for c in frame.columns]
    ident = next((c for c in columns if _ID_NAMES.search(c) and frame[c].is_unique), None)
    target = next((c for c in columns if _TARGET_NAMES.match(c) and c != ident), None)
    sensitive = tuple(c for c in columns if _SENSITIVE_NAMES.search(c) and c not in
                      (ident, target))
    inputs = tuple(c for c in columns if c not in (ident, target))
    return RolesSpec(sensitive=sensitive, id=ident, target=target, inputs=inputs)


def parse_thresholds(text: str) -> list[float]:
    """Read thresholds typed as text, e.g. ``"550, 600.5"``.

    Parameters
    ----------
    text : str
        Numbers separated by commas or spaces.

    Returns
    -------
    list of float
        The thresholds, as typed.

    Raises
    ------
    RolesError
        Naming the first part that is not a finite number, or when there is none.
    """
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not parts:
        raise RolesError("give at least one threshold, e.g. 0.5 or 550, 600")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise RolesError(f"threshold {part!r} is not a number") from None
        if not math.isfinite(value):
            raise RolesError(f"threshold {part!r} is not a finite number")
        values.append(value)
    return values
