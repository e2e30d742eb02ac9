"""Finding people in a run: by filters, or the person most like given attributes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core.columns import is_categorical
from sesame_audit.model.core.roles import Roles, tier_of
from sesame_audit.model.figures.suppress import DEFAULT_K, check_k, suppression
from sesame_audit.model.runs.run import Run


class FinderError(ValueError):
    """A search that cannot be run, with the reason."""


def _check_column(run: Run, column: str) -> pd.Series:
    searchable = (*run.roles.inputs, *run.roles.sensitive)
    if column not in searchable or column not in run.people:
        raise FinderError(f"{column!r} is not an input or sensitive attribute of this run")
    return run.people[column]


def find_people(run: Run, *, where: dict[str, Any] | None = None,
                score_range: tuple[float, float] | None = None, tier: str | None = None,
                limit: int = 50, k: int = DEFAULT_K) -> tuple[pd.DataFrame, int | None]:
    """Return people matching every filter, with their score and tier.

    A search is a group (e.g. one ethnicity at one tier) of a table whose other groups
    other searches give, so it obeys small-cell suppression (see :mod:`figures.suppress`):
    when the group holds fewer than ``k`` people, or could give away a group that does,
    nobody is listed and the number is not given.

    Parameters
    ----------
    run : Run
        A loaded run.
    where : dict, optional
        Column -> value the person must have (categories compared as text).
    score_range : tuple of float, optional
        Lowest and highest score (the model's), inclusive.
    tier : str, optional
        Tier the person's score reaches as its highest.
    limit : int, default=50
        Most rows returned.
    k : int, default=11
        Smallest group shown.

    Returns
    -------
    matches : pandas.DataFrame
        Up to ``limit`` rows: the id column, ``score``, ``tier`` and the filtered columns;
        none when the group is hidden.
    n_matches : int or None
        Number of people matching (possibly more than returned); None when the group is
        hidden.

    Raises
    ------
    FinderError
        For an unknown column or a non-numeric value of a numeric column.
    """
    scores = np.asarray(run.explanation.prediction, dtype=float)
    mask = np.ones(len(run.people), dtype=bool)
    shown = []
    keys: dict[str, np.ndarray] = {}  # each filter's group of every person
    for column, value in (where or {}).items():
        data = _check_column(run, column)
        shown.append(column)
        if is_categorical(data, run.roles):
            keys[column] = data.astype(str).to_numpy()
            hit = keys[column] == str(value)
        else:
            hit = np.isclose(data.to_numpy(dtype=float), _parsed_number(column, value, run.roles))
            keys[column] = np.where(hit, "match", "other")
        mask &= hit
    if score_range is not None:
        lo, hi = score_range
        hit = (scores >= lo) & (scores <= hi)
        keys["score"] = np.where(hit, "match", "other")
        mask &= hit
    tiers = tier_of(scores, run.roles.tiers, run.roles.favourable)
    if tier is not None:
        keys["tier"] = tiers.astype(str)
        mask &= tiers == tier
    rows = np.flatnonzero(mask)
    hidden = _hidden(keys, mask, k)
    head = rows[:0] if hidden else rows[:limit]
    matches = pd.DataFrame({run.roles.id: run.people[run.roles.id].iloc[head].to_numpy(),
                            "score": np.round(scores[head], 1), "tier": tiers[head]})
    for column in shown:
        matches[column] = run.people[column].iloc[head].to_numpy()
    return matches, None if hidden else len(rows)


def _hidden(keys: dict[str, np.ndarray], mask: np.ndarray, k: int) -> bool:
    """Whether the group searched is hidden in the table of every combination of the
    filters' groups, whose lines are what the searches on fewer filters give."""
    if not mask.any():
        return False
    frame = pd.DataFrame(keys)
    if frame.empty:
        return bool(mask.sum() < check_k(k))
    counts = frame.groupby(list(frame.columns), sort=True).size()
    if counts.index.nlevels > 2:
        counts.index = pd.Index([" & ".join(key) for key in counts.index])
    wanted = tuple(frame.loc[np.flatnonzero(mask)[0]])
    hidden = suppression(counts, k=k).mask
    return bool(hidden.loc[" & ".join(wanted) if counts.index.nlevels == 1
                           and len(wanted) > 1 else
                           (wanted if len(wanted) > 1 else wanted[0])])


def _parsed_number(column: str, value: Any, roles: Roles) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FinderError(f"{roles.label(column)}: {value!r} is not a number") from None
    if not np.isfinite(number):
        raise FinderError(f"{roles.label(column)}: {value!r} is not a finite number")
    return number


def nearest_person(run: Run, attributes: dict[str, Any]) -> tuple[Any, float]:
    """Return the person most like the given attributes ("someone like me").

    The distance sums, over the given attributes, the gap in standard deviations for
    numbers and 1 for a different category.

    Parameters
    ----------
    run : Run
        A loaded run.
    attributes : dict
        Column (input or sensitive attribute) -> value.

    Returns
    -------
    person : object
        Id of the nearest person (the first one on ties).
    distance : float
        Their distance.

    Raises
    ------
    FinderError
        With no attributes, an unknown column or a non-numeric value of a numeric column.
    """
    if not attributes:
        raise FinderError("enter at least one attribute to compare with")
    distance = np.zeros(len(run.people))
    for column, value in attributes.items():
        data = _check_column(run, column)
        if is_categorical(data, run.roles):
            distance += data.astype(str).to_numpy() != str(value)
        else:
            numbers = data.to_numpy(dtype=float)
            spread = float(np.std(numbers)) or 1.0
            distance += np.abs(numbers - _parsed_number(column, value, run.roles)) / spread
    best = int(np.argmin(distance))
    person = run.people[run.roles.id].iloc[best]
    return (person.item() if hasattr(person, "item") else person), float(distance[best])
