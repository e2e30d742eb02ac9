"""Column roles a user declares for their own table: a small TOML file, or suggestions.

A roles file names the id, the model inputs, the sensitive attributes, the target and the
score's range and tiers (or decision thresholds)::

    id = "customer_id"                 # optional: row numbers otherwise
    target = "default"                 # optional: the recorded outcome or score
    inputs = ["age", "income"]         # optional: the model's own feature names otherwise
    sensitive = ["sex", "age"]
    task = "classification"            # optional: read from the model
    positive_class = "bad"             # classifiers: the class whose probability is scored
    output = "probability"             # classifiers: "probability" or "log_odds"
    score_min = 0.0                    # optional: the score's range
    score_max = 1.0
    unit = "EUR"                       # regressors: the score's unit (optional)
    favourable = "high"                # or "low": a low score is good for the person
    thresholds = [0.5]                 # or [[tiers]] tables with name, min_score, perk;
                                       # least favourable first (descending when "low")
    [bands]                            # numeric sensitive attributes cut into groups
    age = [25, 40, 60]
    [labels]
    age = "Age in years"
    [privacy]                          # identity, financial, behavioural, social graph,
    income = "financial"               # special category
    [actionable]                       # inputs a person can change, and which way:
    savings = "rise"                   # "rise", "fall" or "either" (or a plain list of
    debt = "fall"                      # names: any direction)
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sesame_audit.datasets.dictionary import PRIVACY_CATEGORIES
from sesame_audit.model.core.bad_input import RolesError
from sesame_audit.model.core.roles import (
    DIRECTIONS,
    EITHER,
    FAVOURABLE,
    HIGH,
    LOW,
    TierSpec,
    threshold_tier,
)
from sesame_audit.model.importing.cells import check_text

Output = Literal["probability", "log_odds"]
UNSPECIFIED = "unspecified"
UNIT_IS_FOR_REGRESSORS = ("roles: 'unit' is for regressors; a classifier's score is set with "
                          "'output' (\"probability\" or \"log_odds\"): remove 'unit'")
_KEYS = {"id", "target", "inputs", "sensitive", "task", "positive_class", "output",
         "score_min", "score_max", "thresholds", "tiers", "bands", "labels", "privacy",
         "actionable", "unit", "favourable"}
_UNIT = re.compile(r"(?:[^\W_]|[ €£¥%/°]){1,20}")

@dataclass(frozen=True)
class RolesSpec:
    """Roles as a user declares them, before they are checked against a table and a model.

    Attributes mirror the roles file (see the module docstring); ``None`` means "read it
    from the model or the data".
    """

    sensitive: tuple[str, ...] = ()
    id: str | None = None
    target: str | None = None
    inputs: tuple[str, ...] | None = None
    task: Literal["regression", "classification"] | None = None
    positive_class: str | None = None
    output: Output | None = None
    score_min: float | None = None
    score_max: float | None = None
    tiers: tuple[TierSpec, ...] = ()
    bands: dict[str, tuple[float, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    privacy: dict[str, str] = field(default_factory=dict)
    actionable: tuple[str, ...] = ()
    directions: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    favourable: Literal["high", "low"] = "high"


def _names(raw: dict[str, Any], key: str) -> tuple[str, ...] | None:
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RolesError(f"roles: '{key}' must be a list of column names")
    twice = sorted({v for v in value if value.count(v) > 1})
    if twice:
        raise RolesError(f"roles: '{key}' names {', '.join(map(repr, twice))} twice")
    return tuple(value)


def _text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise RolesError(f"roles: '{key}' must be a string, got {value!r}")
    return value


def _number(raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RolesError(f"roles: '{key}' must be a finite number, got {value!r}")
    return float(value)


def _mapping(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise RolesError(f"roles: '{key}' must be a table of column = value")
    return value


def _actionable(raw: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The actionable inputs and the only direction each may change in (when not either)."""
    value = raw.get("actionable", [])
    if isinstance(value, list):
        return _names(raw, "actionable") or (), {}
    if not isinstance(value, dict):
        raise RolesError("roles: 'actionable' must be a list of column names or a table of "
                         f"column = direction ({', '.join(map(repr, DIRECTIONS))})")
    for column, direction in value.items():
        if direction not in DIRECTIONS:
            raise RolesError(f"roles: the direction of {str(column)[:40]!r} under 'actionable' "
                             f"must be one of {', '.join(map(repr, DIRECTIONS))}, got "
                             f"{str(direction)[:40]!r}")
    return (tuple(str(c) for c in value),
            {str(c): d for c, d in value.items() if d != EITHER})


def _favourable(raw: dict[str, Any]) -> str:
    value = raw.get("favourable", HIGH)
    if value not in FAVOURABLE:
        raise RolesError(f"roles: favourable must be 'high' or 'low' (which end of the score "
                         f"is good for the person), got {str(value)[:40]!r}")
    return str(value)


def _tiers(raw: dict[str, Any], favourable: str = HIGH) -> tuple[TierSpec, ...]:
    if "thresholds" in raw and "tiers" in raw:
        raise RolesError("roles: give either 'thresholds' or 'tiers', not both")
    if "thresholds" in raw:
        values = raw["thresholds"]
        if not isinstance(values, list) or not values:
            raise RolesError("roles: 'thresholds' must be a non-empty list of numbers")
        tiers = []
        for value in values:
            tiers.append(threshold_tier(_number({"thresholds": value}, "thresholds") or 0.0,
                                        favourable))
    else:
        entries = raw.get("tiers", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise RolesError("roles: 'tiers' must be [[tiers]] tables with name and min_score")
        tiers = []
        for entry in entries:
            unknown = set(entry) - {"name", "min_score", "perk"}
            if unknown or "name" not in entry or "min_score" not in entry:
                raise RolesError("roles: each [[tiers]] needs name and min_score (and an "
                                 f"optional perk), got keys {sorted(entry)}")
            name = _text(entry, "name") or ""
            if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,40}", name):
                raise RolesError(f"roles: tier name {name!r} must be 1-40 letters, digits, "
                                 "'_', '-' or '.'")
            perk = _text(entry, "perk") or ""
            check_text(perk, f"roles: the perk of tier {name!r}", error=RolesError)
            tiers.append(TierSpec(name, _number(entry, "min_score") or 0.0, perk))
    mins = [t.min_score for t in tiers]
    if mins != sorted(mins, reverse=favourable == LOW) or len(set(mins)) != len(mins):
        order = ("strictly descending (favourable = \"low\": tiers run from the least to "
                 "the most favourable, a person reaches one at or below it)"
                 if favourable == LOW else "strictly ascending")
        raise RolesError(f"roles: thresholds must be {order}, got {mins}")
    if len({t.name for t in tiers}) != len(tiers):
        raise RolesError("roles: tier names must be unique")
    return tuple(tiers)


def parse_roles(text: str) -> RolesSpec:
    """Parse a roles file.

    Parameters
    ----------
    text : str
        TOML text (see the module docstring).

    Returns
    -------
    RolesSpec
        The declared roles; columns are checked later, against the table.

    Raises
    ------
    RolesError
        For invalid TOML, an unknown key, or a value of the wrong type.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesError(f"roles: not valid TOML ({exc})") from None
    except RecursionError:
        raise RolesError("roles: not valid TOML (arrays or tables nested too deeply)") from None
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise RolesError(f"roles: unknown key(s) {', '.join(map(repr, unknown))}; "
                         f"known keys: {', '.join(sorted(_KEYS))}")
    task = _text(raw, "task")
    if task not in (None, "regression", "classification"):
        raise RolesError(f"roles: task must be 'regression' or 'classification', got {task!r}")
    output = _text(raw, "output")
    if output not in (None, "probability", "log_odds"):
        raise RolesError(f"roles: output must be 'probability' or 'log_odds', got {output!r}")
    privacy = {str(k): v for k, v in _mapping(raw, "privacy").items()}
    allowed = (*PRIVACY_CATEGORIES, UNSPECIFIED)
    for column, category in privacy.items():
        if category not in allowed:
            raise RolesError(f"roles: privacy category {category!r} of {column!r} is not one "
                             f"of {', '.join(allowed)}")
    bands = {}
    for column, edges in _mapping(raw, "bands").items():
        cut = [_number({"bands": e}, "bands") for e in edges] if isinstance(edges, list) else []
        if not cut or cut != sorted(cut) or len(set(cut)) != len(cut):
            raise RolesError(f"roles: bands of {column!r} must be ascending numbers")
        bands[str(column)] = tuple(float(e) for e in cut)
    labels = {str(k): str(v) for k, v in _mapping(raw, "labels").items()}
    for column, label in labels.items():
        check_text(label, f"roles: the label of {column[:40]!r}", error=RolesError)
    positive = raw.get("positive_class")
    if positive is not None:
        check_text(str(positive), "roles: positive_class", error=RolesError)
    unit = check_unit(_text(raw, "unit"))
    actionable, directions = _actionable(raw)
    favourable = _favourable(raw)
    if unit is not None and (task == "classification" or output is not None):
        raise RolesError(UNIT_IS_FOR_REGRESSORS)
    return RolesSpec(
        sensitive=_names(raw, "sensitive") or (),
        id=_text(raw, "id"),
        target=_text(raw, "target"),
        inputs=_names(raw, "inputs"),
        task=task,  # type: ignore[arg-type]
        positive_class=None if positive is None else str(positive),
        output=output,  # type: ignore[arg-type]
        score_min=_number(raw, "score_min"),
        score_max=_number(raw, "score_max"),
        tiers=_tiers(raw, favourable),
        bands=bands,
        labels=labels,
        privacy=privacy,
        actionable=actionable,
        directions=directions,
        unit=unit,
        favourable=favourable,  # type: ignore[arg-type]
    )


def check_unit(unit: str | None) -> str | None:
    """Check a regressor's unit: 1-20 letters, digits, spaces or one of ``€£¥%/°``.

    Parameters
    ----------
    unit : str or None
        The unit as declared (surrounding spaces ignored); None or empty when not declared.

    Returns
    -------
    str or None
        The unit, or None when not declared.

    Raises
    ------
    RolesError
        For any other text (it is shown in sentences and charts).
    """
    if unit is None or not unit.strip():
        return None
    unit = unit.strip()
    if not _UNIT.fullmatch(unit):
        raise RolesError(f"roles: unit {unit!r} must be 1-20 letters, digits, spaces or "
                         "one of € £ ¥ % / °")
    return unit


def parse_roles_bytes(data: bytes, name: str) -> RolesSpec:
    """Parse a roles file from its bytes, which must be UTF-8 text.

    Parameters
    ----------
    data : bytes
        Contents of the file.
    name : str
        File name, for messages.

    Returns
    -------
    RolesSpec
        The declared roles.

    Raises
    ------
    RolesError
        When the file is not UTF-8 text or :func:`parse_roles` refuses it.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RolesError(f"{name} is not UTF-8 text") from None
    return parse_roles(text)


def mentioned_columns(spec: RolesSpec) -> dict[str, list[str]]:
    """Return the table columns a roles spec names, by the key that names them.

    Parameters
    ----------
    spec : RolesSpec
        Declared roles.

    Returns
    -------
    dict
        Key (``id``, ``target``, ``inputs``, ...) -> column names.
    """
    named = {"id": [spec.id] if spec.id else [], "target": [spec.target] if spec.target else [],
             "inputs": list(spec.inputs or ()), "sensitive": list(spec.sensitive),
             "actionable": list(spec.actionable), "bands": list(spec.bands),
             "labels": list(spec.labels), "privacy": list(spec.privacy)}
    return {key: columns for key, columns in named.items() if columns}


def check_columns(spec: RolesSpec, columns: Iterable[str]) -> None:
    """Check that every column the roles name is in the table.

    Parameters
    ----------
    spec : RolesSpec
        Declared roles.
    columns : iterable of str
        The table's columns.

    Raises
    ------
    RolesError
        Naming each absent column and the role that names it.
    """
    present = set(columns)
    absent = [f"{column!r} ({key})" for key, names in mentioned_columns(spec).items()
              for column in names if column not in present]
    if absent:
        raise RolesError("roles name column(s) the table does not have: " + ", ".join(absent))
    if spec.id is not None and spec.id in (spec.inputs or ()):
        raise RolesError(f"roles: the id column {spec.id!r} cannot also be a model input")
    if spec.target is not None and spec.target in (spec.inputs or ()):
        raise RolesError(f"roles: the target column {spec.target!r} cannot also be an input")
    if not spec.sensitive:
        raise RolesError("roles: name at least one sensitive attribute to audit")


def with_thresholds(spec: RolesSpec, thresholds: Iterable[float]) -> RolesSpec:
    """Return ``spec`` with tiers made from plain thresholds (as the app's form gives them).

    Parameters
    ----------
    spec : RolesSpec
        Roles.
    thresholds : iterable of float
        Thresholds, least favourable first (ascending, or descending when
        ``spec.favourable`` is ``"low"``).

    Returns
    -------
    RolesSpec
        The same roles with one tier per threshold.
    """
    return replace(spec, tiers=_tiers({"thresholds": list(thresholds)}, spec.favourable))
