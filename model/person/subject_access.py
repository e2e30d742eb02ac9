"""A subject-access summary: my data, my score, my reasons, as a person would request it.

Data are grouped by privacy category; sensitive attributes (kept for the audit) are marked
as such, and as read by the model when they are also an input or an input carries the same
information (an age for an age band, see :mod:`figures.same_information`). The summary is plain data
(JSON-ready) and renders as Markdown.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.core.roles import POINTS, Roles
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.figures.same_information import carriers
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.person.explained import PersonExplanation, explain_person, format_value
from sesame_audit.model.person.shown_score import person_sentences
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.identity import identity_line, run_identity
from sesame_audit.model.runs.run import Run

UNCATEGORISED = "uncategorised"
SENSITIVE_USE = "⚠ sensitive, not read by the model"
SENSITIVE_INPUT_USE = "⚠ sensitive, read by the model"
SENSITIVE_CARRIED_USE = "⚠ sensitive, read by the model through {inputs}"
SPECIAL_INPUT_USE = "⚠ model input, special category"
INPUT_USE = "model input"


# The inputs carrying each sensitive attribute's information, once per run, found on the
# run's stored sample of people: a person's page never reads the whole population.
_CARRIERS: weakref.WeakKeyDictionary[Run, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _carriers(run: Run) -> dict[str, list[str]]:
    if run not in _CARRIERS:
        _CARRIERS[run] = carriers(stored.sample(run)[0], run.roles, sample=None)
    return _CARRIERS[run]


def _use(run: Run, column: str, sensitive: bool) -> str:
    roles = run.roles
    if not sensitive:
        return (SPECIAL_INPUT_USE if roles.privacy.get(column, "") == "special category"
                else INPUT_USE)
    if column in roles.inputs:
        return SENSITIVE_INPUT_USE
    through = _carriers(run).get(column, [])
    if through:
        return SENSITIVE_CARRIED_USE.format(inputs=" and ".join(map(roles.label, through)))
    return SENSITIVE_USE


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
        input, model input of special-category data, sensitive attribute kept for the
        audit, or sensitive attribute read by the model, itself or through an input
        carrying its information, the last three marked with ⚠) and
        ``sensitive`` (bool). A sensitive attribute that is also an input appears once.

    Raises
    ------
    KeyError
        When no person has this id.
    """
    row = run.person(person_id).row  # one row; a column keeps its type (ids stay integers)
    roles = run.roles
    records = []
    for column, sensitive in ([(c, False) for c in roles.inputs if c not in roles.sensitive]
                              + [(c, True) for c in roles.sensitive if c in row.columns]):
        records.append({
            "column": column,
            "label": roles.label(column),
            "privacy": roles.privacy.get(column, UNCATEGORISED),
            "value": format_value(plain(row[column].iloc[0]), roles.kinds.get(column, "")),
            "use": _use(run, column, sensitive),
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
        JSON-ready: ``person``, ``run`` (name, policy and the rest of
        :func:`runs.identity.run_identity`, with ``line``, its one-line text), ``unit``
        (see :func:`core.units.unit_label`), ``score`` (rounded: to 0.1 point, else to six
        decimals), ``score_text`` (written in the unit), ``average_score``, ``tier``,
        ``next_tier`` (name, perk, ``points_missing`` in the score's unit) or None,
        ``reasons`` (plain sentences), ``contributions`` (label -> push in the score's unit,
        largest first), ``data`` (privacy category -> list of {label, value, use}) and
        ``shown_score`` (what the score, shown in public, tells others: see
        :func:`person.shown_score.person_sentences`).

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
    identity = run_identity(run)
    roles = run.roles
    return {
        "person": plain(person.person),
        "run": {**identity, "line": identity_line(identity),
                "policy": run.manifest.get("policy_title", run.manifest.get("policy"))},
        "unit": units.unit_label(roles),
        "score": _round(person.score, roles),
        "score_text": units.format_value(person.score, roles),
        "average_score": _round(person.base, roles),
        "average_text": units.format_value(person.base, roles),
        "tier": person.tier,
        "next_tier": _next(person, roles),
        "reasons": [r.text for r in person.reasons],
        "contributions": _contributions(person, roles),
        "data": data,
        "shown_score": person_sentences(run, person_id, k=k),
    }


def _round(value: float, roles: Roles) -> float:
    return round(value, 1 if roles.unit == POINTS else 6)


def _next(person: PersonExplanation, roles: Roles) -> dict[str, Any] | None:
    if person.next_tier is None or person.points_to_next is None:
        return None
    return {"name": person.next_tier.name, "perk": person.next_tier.perk,
            "points_missing": _round(person.points_to_next, roles),
            "missing_text": units.format_change(person.points_to_next, roles, signed=False)}


def _contributions(person: PersonExplanation, roles: Roles) -> dict[str, float]:
    ordered = sorted(person.contributions.items(), key=lambda kv: -abs(kv[1]))
    return {roles.label(f): _round(v, roles) for f, v in ordered}


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
        "What my score tells others when it is shown"; every text from the run is escaped
        (see :func:`core.safe_text.escape_markdown`).
    """
    esc = escape_markdown
    lines = [f"# Score explanation for person {esc(summary['person'])}", "",
             f"Run: {esc(summary['run']['line'])}", "",
             "## My score", "",
             f"- Score: {summary['score_text']} "
             f"(average of everyone: {summary['average_text']})",
             f"- Tier reached: {esc(summary['tier'].replace('_', ' '))}"]
    upcoming = summary["next_tier"]
    if upcoming is not None:
        lines.append(f"- Next tier: {esc(upcoming['name'].replace('_', ' '))} "
                     f"({esc(upcoming['perk'])}), {upcoming['missing_text']} away")
    lines += ["", "## Why (principal reasons)", ""]
    lines += [f"- {esc(text)}" for text in summary["reasons"]] or [
        "- No feature counted against the score."]
    lines += ["", f"## What moved my score ({summary['unit']})", ""]
    lines += [f"- {esc(label)}: {points:+g}" for label, points in
              summary["contributions"].items()]
    lines += ["", "## My data", ""]
    for category, records in summary["data"].items():
        lines.append(f"### {esc(category.capitalize())}")
        lines += [f"- {esc(r['label'])}: {esc(r['value'])} ({esc(r['use'])})" for r in records]
        lines.append("")
    if summary["shown_score"]:
        lines += ["## What my score tells others when it is shown", ""]
        lines += [f"- {esc(text)}" for text in summary["shown_score"]]
        lines.append("")
    return "\n".join(lines)
