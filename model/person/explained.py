"""One person's score explained: contributions, principal reasons, tier, and what-if edits."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.core.roles import Roles, TierSpec, next_tier, tier_of
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.scoring import explain_new_rows
from sesame_audit.model.runs.stored import profiles

MAX_REASONS = 4


@dataclass(frozen=True)
class Reason:
    """A feature that moved the score the unfavourable way, as in an adverse-action notice."""

    feature: str
    label: str
    value: str
    points: float
    text: str


@dataclass(frozen=True)
class PersonExplanation:
    """Why one person has their score.

    Attributes
    ----------
    person : object
        The person's id.
    score : float
        The score under audit (the model's prediction): ``base + sum(contributions)``.
    recorded_score : float or None
        The score recorded in the table, when there is one.
    base : float
        Average score of the population as the model sees it.
    contributions : dict
        Feature -> SHAP value in points, in the model's input order.
    values : dict
        Feature -> the person's value.
    reasons : list of Reason
        Up to four features that moved the score most the unfavourable way (lowered it,
        or raised it when low scores are favourable).
    tier : str
        Most favourable tier reached by ``score``.
    next_tier : TierSpec or None
        The next tier not yet reached, if any.
    points_to_next : float or None
        How far the score must still move to reach ``next_tier`` (up, or down when low
        scores are favourable), as a positive amount.
    error : float or None, default=None
        Estimated error of the contributions when the explainer is approximate (the
        largest standard error of one of them, see :class:`explain.explanation.Explanation`),
        in the run's unit; None when exact.
    """

    person: Any
    score: float
    recorded_score: float | None
    base: float
    contributions: dict[str, float]
    values: dict[str, Any]
    reasons: list[Reason]
    tier: str
    next_tier: TierSpec | None
    points_to_next: float | None
    error: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary (values made plain Python)."""
        out = asdict(self)
        out["values"] = {k: plain(v) for k, v in self.values.items()}
        out["person"] = plain(self.person)
        return out


def format_value(value: Any, kind: str = "") -> str:
    """Return a value as a person would read it (shares as %, money with a yuan sign).

    Parameters
    ----------
    value : object
        The raw value.
    kind : str
        Column kind from the data dictionary (share, money, bool, count, ...).

    Returns
    -------
    str
        Formatted value.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, str):
        return value.replace("_", " ")
    if kind == "share":
        return f"{float(value):.0%}"
    if kind == "money":
        return f"¥{float(value):,.0f}"
    if kind == "bool":
        return "yes" if float(value) >= 0.5 else "no"
    if kind == "count":
        return f"{int(value)}"
    number = float(value)
    if abs(number) >= 1000:  # whole thousands, never 1.022e+04
        return f"{number:,.0f}"
    return f"{number:.4g}"


def principal_reasons(contributions: pd.Series, values: pd.Series, roles: Roles,
                      *, k: int = MAX_REASONS) -> list[Reason]:
    """Return up to ``k`` features that moved the score most the unfavourable way.

    That is the most negative contributions, or the most positive ones when low scores are
    favourable (``roles.favourable``): a risk raised by an input is the adverse reason.

    Parameters
    ----------
    contributions : pandas.Series
        Feature -> SHAP value in points for one person.
    values : pandas.Series
        Feature -> that person's value.
    roles : Roles
        Labels of the features and the favourable direction.
    k : int
        Most reasons to return.

    Returns
    -------
    list of Reason
        Unfavourable contributions, largest first; none smaller than
        :func:`core.units.smallest_reason` (half a point on the 350-950 scale).
    """
    oriented = pd.Series(roles.oriented(contributions.to_numpy(dtype=float)),
                         index=contributions.index)
    adverse = oriented[oriented < -units.smallest_reason(roles)].sort_values(kind="stable")
    reasons = []
    for feature in adverse.head(k).index:
        points = contributions[feature]
        shown = format_value(values[feature], roles.kinds.get(feature, ""))
        label = roles.label(feature)
        reasons.append(Reason(feature=feature, label=label, value=shown, points=float(points),
                              text=f"{label} ({shown}) {roles.adverse_verb} the score by "
                                   f"{units.format_change(abs(points), roles, signed=False)}"))
    return reasons


def _explanation(person: Any, score: float, recorded: float | None, base: float,
                 contributions: pd.Series, values: pd.Series, roles: Roles) -> PersonExplanation:
    upcoming = next_tier(score, roles.tiers, roles.favourable)
    return PersonExplanation(
        person=person,
        score=float(score),
        recorded_score=recorded,
        base=float(base),
        contributions={k: float(v) for k, v in contributions.items()},
        values={k: plain(v) for k, v in values.items()},
        reasons=principal_reasons(contributions, values, roles),
        tier=str(tier_of(score, roles.tiers, roles.favourable)[0]),
        next_tier=upcoming,
        points_to_next=(None if upcoming is None
                        else float(roles.oriented(upcoming.min_score - score))),
    )


def explain_person(run: Run, person_id: Any) -> PersonExplanation:
    """Explain one person's score from the run's stored SHAP values.

    Parameters
    ----------
    run : Run
        A loaded run.
    person_id : object
        Value of the id column.

    Returns
    -------
    PersonExplanation
        Score, contributions, reasons and tier.

    Raises
    ------
    KeyError
        When no person has this id.
    """
    record = run.person(person_id)
    row = record.row.iloc[0]
    recorded = float(row[run.roles.target]) if run.roles.target in row else None
    person = record.row[run.roles.id].iloc[0]  # not row[...]: a row of numbers turns ids
    person = person.item() if hasattr(person, "item") else person  # into floats
    explained = _explanation(person, record.prediction, recorded, run.base,
                             record.values, row[list(run.roles.inputs)], run.roles)
    return explained if record.error is None else replace(explained, error=record.error)


class WhatIfError(ValueError):
    """An edit that the model cannot be asked about, with the reason."""


def validate_edits(run: Run, edits: dict[str, Any]) -> dict[str, Any]:
    """Check what-if edits against the inputs and the population's observed values.

    Parameters
    ----------
    run : Run
        A loaded run.
    edits : dict
        Feature -> new value.

    Returns
    -------
    dict
        The edits, numbers converted to float.

    Raises
    ------
    WhatIfError
        For an unknown feature, a category never seen, a non-number, or a number outside
        the range observed in the population.
    """
    clean: dict[str, Any] = {}
    seen = profiles(run) if edits else {}
    for feature, value in edits.items():
        if feature not in run.roles.inputs:
            raise WhatIfError(f"{feature!r} is not a model input")
        column = seen[feature]
        label = run.roles.label(feature)
        if column.categorical:
            if str(value) not in set(column.categories):
                raise WhatIfError(f"{label}: {value!r} is not a value seen in this population")
            clean[feature] = str(value)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WhatIfError(f"{label}: {value!r} is not a number") from None
        lo, hi = column.minimum, column.maximum
        if not math.isfinite(number) or not lo <= number <= hi:
            raise WhatIfError(f"{label}: {value!r} is outside the range seen in this "
                              f"population ({lo:g} to {hi:g})")
        clean[feature] = number
    return clean


def what_if(run: Run, person_id: Any, edits: dict[str, Any]) -> PersonExplanation:
    """Explain the score a person would get with some inputs changed.

    Parameters
    ----------
    run : Run
        A loaded run.
    person_id : object
        Value of the id column.
    edits : dict
        Feature -> new value; validated by :func:`validate_edits`.

    Returns
    -------
    PersonExplanation
        The model's score and SHAP values for the edited person (no recorded score).
    """
    clean = validate_edits(run, edits)
    stored = run.person(person_id).row
    row = stored[list(run.roles.inputs)].copy()
    for feature, value in clean.items():
        row[feature] = row[feature].astype(object) if isinstance(value, str) else row[feature]
        row.loc[row.index[0], feature] = value
    row = row.astype(stored[list(run.roles.inputs)].dtypes.to_dict())
    result = explain_new_rows(run, row)
    return _explanation(stored[run.roles.id].iloc[0], float(result.prediction[0]), None,
                        result.base, result.values.iloc[0].astype(np.float64), row.iloc[0],
                        run.roles)
