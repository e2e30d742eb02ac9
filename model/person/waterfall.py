"""Tables drawn from one person's explanation: the waterfall and a what-if comparison."""

from __future__ import annotations

import pandas as pd

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.person.explained import PersonExplanation, format_value

OTHERS = "other features"
START = "Average score"
END = "This person's score"


def waterfall_data(person: PersonExplanation, roles: Roles, *, top: int = 10) -> pd.DataFrame:
    """Return the steps from the average score to the person's score, largest pushes first.

    Parameters
    ----------
    person : PersonExplanation
        The explanation.
    roles : Roles
        Labels of the features.
    top : int
        Features shown one by one; the rest are summed into one "other features" step.

    Returns
    -------
    pandas.DataFrame
        One row per bar in drawing order: ``step`` (label), ``kind`` (``"base"``, ``"up"``,
        ``"down"`` or ``"total"``), ``points`` (the step's size, the score itself for base
        and total), ``start`` and ``end`` (the running score before and after the step; base
        and total bars start at the bottom of the score's range) and ``order`` (0 first).
    """
    contributions = pd.Series(person.contributions, dtype=float)
    ordered = contributions.reindex(contributions.abs().sort_values(ascending=False).index)
    shown = ordered.head(top)
    steps = [(roles.label(f), float(v)) for f, v in shown.items()]
    if len(ordered) > top:
        steps.append((f"{len(ordered) - top} {OTHERS}", float(ordered.iloc[top:].sum())))
    rows = [{"step": START, "kind": "base", "points": person.base, "start": roles.score_min,
             "end": person.base}]
    running = person.base
    for label, points in steps:
        rows.append({"step": label, "kind": "up" if points >= 0 else "down", "points": points,
                     "start": running, "end": running + points})
        running += points
    rows.append({"step": END, "kind": "total", "points": person.score,
                 "start": roles.score_min, "end": person.score})
    frame = pd.DataFrame(rows)
    frame["order"] = range(len(frame))
    return frame


def compare_explanations(before: PersonExplanation, after: PersonExplanation,
                         roles: Roles) -> pd.DataFrame:
    """Return each feature's value and contribution before and after a what-if edit.

    Parameters
    ----------
    before, after : PersonExplanation
        The original explanation and the edited one.
    roles : Roles
        Labels and value kinds.

    Returns
    -------
    pandas.DataFrame
        One row per feature, largest change first: ``feature``, ``label``,
        ``value_before``, ``value_after`` (as text), ``points_before``, ``points_after``
        and ``change`` (points), then a final row ``score`` with the two scores.
    """
    rows = []
    for feature, points in before.contributions.items():
        kind = roles.kinds.get(feature, "")
        rows.append({
            "feature": feature, "label": roles.label(feature),
            "value_before": format_value(before.values.get(feature), kind),
            "value_after": format_value(after.values.get(feature), kind),
            "points_before": points, "points_after": after.contributions.get(feature, 0.0),
        })
    frame = pd.DataFrame(rows)
    frame["change"] = frame["points_after"] - frame["points_before"]
    frame = frame.reindex(frame["change"].abs().sort_values(ascending=False).index)
    total = pd.DataFrame([{"feature": "score", "label": "Score", "value_before": "",
                           "value_after": "", "points_before": before.score,
                           "points_after": after.score, "change": after.score - before.score}])
    return pd.concat([frame, total], ignore_index=True)
