"""Reweighting donors to known population margins (raking, also called iterative
proportional fitting).

A margins file gives, for some sensitive attributes, each group's share of the population
(census shares), as CSV with the columns ``attribute``, ``group``, ``share``. Donors who
left an attribute blank keep their share of the donors; the donors who stated it are
weighted so that, among them, each group has its population share. Raking repeats this
attribute after attribute until every margin holds (to 1e-6) or 100 rounds have passed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.runs.run import Run

MARGIN_COLUMNS = ("attribute", "group", "share")
ROUNDS = 100
TOLERANCE = 1e-6


def margins_of(run: Run, attributes: list[str] | None = None) -> pd.DataFrame:
    """Return each group's share of a run's population, as a margins table.

    Parameters
    ----------
    run : Run
        A run.
    attributes : list of str, optional
        Sensitive attributes (default: all of the run's).

    Returns
    -------
    pandas.DataFrame
        ``attribute``, ``group``, ``share``; shares of one attribute sum to 1.
    """
    chosen = attributes if attributes is not None else [
        a for a in run.roles.sensitive if a in run.people.columns]
    parts = []
    for attribute in chosen:
        shares = run.people[attribute].astype(str).value_counts(normalize=True).sort_index()
        parts.append(pd.DataFrame({"attribute": attribute, "group": shares.index.astype(str),
                                   "share": shares.to_numpy(dtype=float)}))
    return pd.concat(parts, ignore_index=True)


def read_margins(path: str | Path) -> pd.DataFrame:
    """Read and check a margins file.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``attribute``, ``group``, ``share``.

    Returns
    -------
    pandas.DataFrame
        The margins, shares as floats.

    Raises
    ------
    BadInputError
        For a missing file or column, a share outside [0, 1], or an attribute whose shares
        do not sum to 1 (within 0.01).
    """
    file = Path(path)
    if not file.is_file():
        raise BadInputError(f"no margins file at {file}")
    try:
        table = pd.read_csv(file, dtype={"attribute": str, "group": str})
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{file.name}: not a readable CSV ({exc})") from None
    return check_margins(table, file.name)


def check_margins(table: pd.DataFrame, name: str = "margins") -> pd.DataFrame:
    """Check a margins table (see :func:`read_margins`) and return it.

    Parameters
    ----------
    table : pandas.DataFrame
        The margins.
    name : str
        Its name, for messages.

    Returns
    -------
    pandas.DataFrame
        The checked table.

    Raises
    ------
    BadInputError
        Naming the problem.
    """
    missing = [c for c in MARGIN_COLUMNS if c not in table.columns]
    if missing:
        raise BadInputError(f"{name}: missing column(s) {', '.join(missing)}; a margins file "
                            "has attribute, group, share")
    share = pd.to_numeric(table["share"], errors="coerce")
    if share.isna().any() or ((share < 0) | (share > 1)).any():
        raise BadInputError(f"{name}: every share must be a number between 0 and 1")
    table = table.assign(share=share.astype(float))
    sums = table.groupby("attribute")["share"].sum()
    off = sums[(sums - 1).abs() > 0.01]
    if len(off):
        raise BadInputError(f"{name}: the shares of {off.index[0]!r} sum to {off.iloc[0]:.3f}, "
                            "not 1")
    return table


def rake(groups: pd.DataFrame, margins: pd.DataFrame) -> np.ndarray:
    """Weight donors so that each stated attribute matches its population margins.

    Parameters
    ----------
    groups : pandas.DataFrame
        One row per donor, one column per attribute in ``margins`` (missing = not stated).
    margins : pandas.DataFrame
        ``attribute``, ``group``, ``share`` (see :func:`read_margins`).

    Returns
    -------
    numpy.ndarray
        One weight per donor, averaging 1.

    Raises
    ------
    BadInputError
        When a margin's attribute is not a column, or a group with a positive share has no
        donor (the weights cannot reach it).
    """
    n = len(groups)
    weights = np.ones(n)
    plan = []
    for attribute, part in margins.groupby("attribute", sort=True):
        if attribute not in groups.columns:
            raise BadInputError(f"margins name {attribute!r}, which the donations lack")
        stated = groups[attribute].astype(object).where(groups[attribute].notna())
        codes = {g: stated.astype(str).eq(g).to_numpy() & stated.notna().to_numpy()
                 for g in part["group"]}
        target = part.set_index("group")["share"]
        absent = [g for g, m in codes.items() if target[g] > 0 and not m.any()]
        if absent:
            raise BadInputError(f"no donor states {attribute} = {absent[0]!r}, which the "
                                "margins give a share: it cannot be weighted up")
        plan.append((codes, target, stated.notna().to_numpy()))
    for _ in range(ROUNDS):
        worst = 0.0
        for codes, target, has in plan:
            total = weights[has].sum()
            for group, mask in codes.items():
                current = weights[mask].sum()
                if current > 0:
                    wanted = target[group] / target.sum() * total
                    worst = max(worst, abs(current - wanted) / max(total, 1e-12))
                    weights[mask] *= wanted / current
        if worst < TOLERANCE:
            break
    return weights * n / weights.sum()
