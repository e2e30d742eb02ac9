"""A subject-access summary: my data, my score, my reasons, as a person would request it.

Data are grouped by privacy category; sensitive attributes (kept for the audit, not read by
the model) are marked as such. The summary is plain data (JSON-ready) and renders as
Markdown.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.person.explained import PersonExplanation, explain_person, format_value
from sesame_audit.model.person.shown_score import person_sentences
from sesame_audit.model.runs.run import Run

UNCATEGORISED = "uncategorised"
SENSITIVE_USE = "⚠ sensitive, not read by the model"
SPECIAL_INPUT_USE = "⚠ model input, special category"
INPUT_USE = "model input"


def _use(sensitive: bool, privacy: str) -> str:
    if sensitive:
        return SENSITIVE_USE
    return SPECIAL_INPUT_USE if privacy == "special category" else INPUT_USE


def person_data(run: Run, person_id: Any) -> pd.DataFrame:
    """Return what the run holds about one person, grouped by privacy category.

    Parameters
    ----------
    run : Run
        A loaded run.
    person_id : object
        Value of the id column.

    Returns
    -------
    pandas.DataFrame
        One row per input and sensitive attribute, sorted by ``privacy`` then model inputs
        first: ``column``, ``label``, ``privacy``, ``value`` (as text), ``use`` (model
        input, model input of special-category data, or sensitive attribute kept for the
        audit, the last two marked with ⚠) and ``sensitive`` (bool).

    Raises
    ------
    KeyError
        When no person has this id.
    """
    row = run.person(person_id).row.iloc[0]
    roles = run.roles
    records = []
    for column, sensitive in ([(c, False) for c in roles.inputs]
                              + [(c, True) for c in roles.sensitive if c in row.index]):
        records.append({
            "column": column,
            "label": roles.label(column),
            "privacy": roles.privacy.get(column, UNCATEGORISED),
            "value": format_value(plain(row[column]), roles.kinds.get(column, "")),
            "use": _use(sensitive, roles.privacy.get(column, "")),
            "sensitive": sensitive,
        })
    frame = pd.DataFrame(records)
    return frame.sort_values(["privacy", "sensitive"], kind="stable", ignore_index=True)


def subject_access(run: Run, person_id: Any, *, k: int = DEFAULT_K) -> dict[str, Any]:
    """Return a subject-access summary of one person: data, score, tier and reasons.

    Parameters
    ----------
    run : Run
        A loaded run.
    person_id : object
        Value of the id column.
    k : int, default=11
        Smallest number of people a figure about the person's score band may be about.

    Returns
    -------
    dict
        JSON-ready: ``person``, ``run`` (name and policy), ``score`` (rounded points),
        ``average_score``, ``tier``, ``next_tier`` (name, perk, points missing) or None,
        ``reasons`` (plain sentences), ``contributions`` (label -> points, largest first)
        ``data`` (privacy category -> list of {label, value, use}) and ``shown_score``
        (what the score, shown in public, tells others: see
        :func:`~sesame_audit.model.person.shown_score.person_sentences`).

    Raises
    ------
    KeyError
        When no person has this id.
    """
    person = explain_person(run, person_id)
    data: dict[str, list[dict[str, str]]] = {}
    for record in person_data(run, person_id).itertuples():
        data.setdefault(record.privacy, []).append(
            {"label": record.label, "value": record.value, "use": record.use})
    return {
        "person": plain(person.person),
        "run": {"name": run.path.name, "policy": run.manifest.get("policy_title",
                                                                  run.manifest.get("policy"))},
        "score": round(person.score, 1),
        "average_score": round(person.base, 1),
        "tier": person.tier,
        "next_tier": _next(person),
        "reasons": [r.text for r in person.reasons],
        "contributions": _contributions(person, run.roles),
        "data": data,
        "shown_score": person_sentences(run, person_id, k=k),
    }


def _next(person: PersonExplanation) -> dict[str, Any] | None:
    if person.next_tier is None or person.points_to_next is None:
        return None
    return {"name": person.next_tier.name, "perk": person.next_tier.perk,
            "points_missing": round(person.points_to_next, 1)}


def _contributions(person: PersonExplanation, roles: Roles) -> dict[str, float]:
    ordered = sorted(person.contributions.items(), key=lambda kv: -abs(kv[1]))
    return {roles.label(f): round(v, 1) for f, v in ordered}


def to_json(summary: dict[str, Any]) -> str:
    """Return a summary as indented JSON.

    Parameters
    ----------
    summary : dict
        Output of :func:`subject_access`.

    Returns
    -------
    str
        JSON text.
    """
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def to_markdown(summary: dict[str, Any]) -> str:
    """Return a summary as a Markdown document a person can read.

    Parameters
    ----------
    summary : dict
        Output of :func:`subject_access`.

    Returns
    -------
    str
        Markdown text with sections "My score", "Why", "What moved my score", "My data" and
        "What my score tells others when it is shown".
    """
    lines = [f"# Score explanation for person {summary['person']}", "",
             f"Run: {summary['run']['name']} ({summary['run']['policy']})", "",
             "## My score", "",
             f"- Score: {summary['score']:.0f} points "
             f"(average of everyone: {summary['average_score']:.0f})",
             f"- Tier reached: {summary['tier'].replace('_', ' ')}"]
    upcoming = summary["next_tier"]
    if upcoming is not None:
        lines.append(f"- Next tier: {upcoming['name'].replace('_', ' ')} ({upcoming['perk']}), "
                     f"{upcoming['points_missing']:.0f} points away")
    lines += ["", "## Why (principal reasons)", ""]
    lines += [f"- {text}" for text in summary["reasons"]] or ["- No feature lowered the score."]
    lines += ["", "## What moved my score (points)", ""]
    lines += [f"- {label}: {points:+.1f}" for label, points in summary["contributions"].items()]
    lines += ["", "## My data", ""]
    for category, records in summary["data"].items():
        lines.append(f"### {category.capitalize()}")
        lines += [f"- {r['label']}: {r['value']} ({r['use']})" for r in records]
        lines.append("")
    if summary["shown_score"]:
        lines += ["## What my score tells others when it is shown", ""]
        lines += [f"- {text}" for text in summary["shown_score"]]
        lines.append("")
    return "\n".join(lines)
