"""Checks of an import: a table, a model and declared roles against each other.

:func:`prepare` runs every check that needs no SHAP: the columns the model expects, values
it cannot take (text among numbers, infinities, missing values), the model's output on the
whole table, the classes and thresholds, ids and targets. It returns the people table to
store and the roles audits read, or raises a :class:`~core.bad_input.BadInputError`
naming the problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from sesame_audit.model.core.bad_input import ModelFitError, RolesError, TableError
from sesame_audit.model.core.columns import RESERVED_PREFIX
from sesame_audit.model.core.roles import LOW, Roles, TierSpec
from sesame_audit.model.explain.any_model import model_output, natural_output
from sesame_audit.model.figures.groups import MAX_GROUPS
from sesame_audit.model.importing.cells import check_cells
from sesame_audit.model.importing.roles_file import (
    UNIT_IS_FOR_REGRESSORS,
    UNSPECIFIED,
    RolesSpec,
    check_columns,
)

ROW_ID = "row_id"


def _model_inputs(model: Any, spec: RolesSpec, columns: list[str]) -> list[str]:
    expected = getattr(model, "feature_names_in_", None)
    if expected is None:
        if spec.inputs is None:
            raise RolesError("the model was fitted without column names: list its inputs, in "
                             "order, under 'inputs' in the roles")
        if len(spec.inputs) != getattr(model, "n_features_in_", len(spec.inputs)):
            raise RolesError(f"roles list {len(spec.inputs)} inputs but the model takes "
                             f"{model.n_features_in_}")
        return list(spec.inputs)
    expected = [str(c) for c in expected]
    lacking = [c for c in expected if c not in columns]
    if lacking:
        raise TableError("the model expects column(s) the table lacks: "
                         + ", ".join(map(repr, lacking)))
    if spec.inputs is not None and set(spec.inputs) != set(expected):
        extra = sorted(set(spec.inputs) - set(expected))
        missing = sorted(set(expected) - set(spec.inputs))
        raise RolesError("roles 'inputs' differ from the model's features: "
                         + "; ".join(part for part in (
                             f"not model features: {', '.join(extra)}" if extra else "",
                             f"model features not listed: {', '.join(missing)}" if missing
                             else "") if part))
    return expected


def _check_values(frame: pd.DataFrame, inputs: list[str]) -> None:
    for column in inputs:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            bad = np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan))
            if bad.any():
                raise TableError(f"column {column!r} holds infinite values (first at row "
                                 f"{int(np.flatnonzero(bad)[0])})")
            continue
        present = values.dropna()
        numbers = pd.to_numeric(present, errors="coerce")
        if numbers.isna().sum() > 0 and numbers.notna().mean() >= 0.5:
            row = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            raise TableError(f"column {column!r} mixes numbers and text: "
                             f"{present.iloc[row]!r} at row {present.index[row]} is not a number")


def _check_sensitive(frame: pd.DataFrame, spec: RolesSpec) -> None:
    """Refuse a sensitive attribute that is the id or the target, or has too many groups."""
    for column in spec.sensitive:
        for key, other in (("id", spec.id), ("target", spec.target)):
            if column == other:
                raise RolesError(f"roles: the {key} column {column!r} cannot also be a "
                                 "sensitive attribute")
        if column in spec.bands:
            continue
        distinct = frame[column].nunique(dropna=False)
        if distinct > MAX_GROUPS:
            raise RolesError(f"roles: sensitive attribute {column!r} has {distinct:,} distinct "
                             f"values, over the limit of {MAX_GROUPS} groups; group it into "
                             "fewer categories first, or cut a numeric one into [bands]")


def _column_in_message(message: str, frame: pd.DataFrame, inputs: list[str]) -> str:
    quoted = re.search(r"'([^']*)'", message)
    if quoted:
        for column in inputs:
            if frame[column].astype(str).eq(quoted.group(1)).any():
                return f" (column {column!r})"
    return ""


def _outputs(model: Any, frame: pd.DataFrame, inputs: list[str], output: str,
             positive: int) -> np.ndarray:
    X = frame[inputs]
    missing = [c for c in inputs if X[c].isna().any()]
    try:
        values = model_output(model, X, output, positive)
    except Exception as exc:  # a user's model can fail in any way on a table
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        if missing:
            counts = ", ".join(f"{c!r} ({int(X[c].isna().sum())})" for c in missing)
            raise TableError(f"missing values the model cannot take in column(s) {counts}: "
                             f"{first}") from None
        raise ModelFitError(f"the model fails on the table{_column_in_message(first, X, inputs)}"
                            f": {type(exc).__name__}: {first}") from None
    if values.shape != (len(X),) or not np.isfinite(values).all():
        raise ModelFitError(f"the model's {output} is not one finite number per row")
    return values


def _positive(model: Any, spec: RolesSpec) -> int:
    classes = [str(c) for c in model.classes_]
    if spec.positive_class is None:
        if len(classes) != 2:
            raise RolesError(f"the classifier has {len(classes)} classes ({', '.join(classes)}):"
                             " name the scored one as 'positive_class'")
        return 1
    if spec.positive_class not in classes:
        raise RolesError(f"positive_class {spec.positive_class!r} is not one of the model's "
                         f"classes: {', '.join(classes)}")
    return classes.index(spec.positive_class)


def _band_labels(edges: tuple[float, ...]) -> list[str]:
    """Names of the bands cut at ``edges`` (each band holds its lower edge), in words."""
    labels = [f"under {edges[0]:g}"]
    labels += [f"{lo:g} to under {hi:g}" for lo, hi in pairwise(edges)]
    return [*labels, f"{edges[-1]:g} and over"]


def _tiers(spec: RolesSpec, task: str, output: str, scores: np.ndarray
           ) -> tuple[tuple[TierSpec, ...], float, float]:
    if output == "probability":
        lo, hi = 0.0, 1.0
    elif output == "log_odds":
        lo, hi = math.floor(float(scores.min())), math.ceil(float(scores.max()))
    else:
        lo = spec.score_min if spec.score_min is not None else float(scores.min())
        hi = spec.score_max if spec.score_max is not None else float(scores.max())
    if task == "classification" and (spec.score_min is not None or spec.score_max is not None):
        raise RolesError("roles: score_min/score_max are for regressors; a classifier's score "
                         "is its probability (0-1) or log-odds")
    if lo >= hi:
        raise RolesError(f"roles: score_min ({lo:g}) must be below score_max ({hi:g})")
    tiers = spec.tiers
    if not tiers:
        if task == "regression":
            raise RolesError("roles: give the decision threshold(s) as 'thresholds' or "
                             "[[tiers]]: audits compare who reaches them")
        tiers = ((TierSpec("negative", 0.5, "probability at most 0.5"),)
                 if spec.favourable == LOW else
                 (TierSpec("positive", 0.5, "probability at least 0.5"),))
    if task == "classification":
        bad = [t.min_score for t in tiers if not 0 < t.min_score < 1]
        if bad:
            raise RolesError(f"roles: a classifier's thresholds are probabilities strictly "
                             f"between 0 and 1, got {bad}")
        if output == "log_odds":
            words = "most" if spec.favourable == LOW else "least"
            tiers = tuple(TierSpec(t.name, math.log(t.min_score / (1 - t.min_score)),
                                   t.perk or f"probability at {words} {t.min_score:g}")
                          for t in tiers)
    else:
        outside = [t.min_score for t in tiers if not lo <= t.min_score <= hi]
        if outside:
            raise RolesError(f"roles: threshold(s) {outside} lie outside the score range "
                             f"{lo:g}-{hi:g}")
    return tiers, lo, hi


@dataclass(frozen=True)
class Prepared:
    """A checked import, ready to explain and write: the people table and their roles."""

    people: pd.DataFrame
    roles: Roles
    output: str
    positive: int
    outcome: np.ndarray | None


def prepare(table: pd.DataFrame, model: Any, spec: RolesSpec) -> Prepared:
    """Check a table, a model and roles against each other; build the people table and roles.

    Parameters
    ----------
    table : pandas.DataFrame
        The user's table.
    model : object
        A fitted regressor or classifier (see :func:`read_model`).
    spec : RolesSpec
        Declared roles.

    Returns
    -------
    Prepared
        People (id, inputs, sensitive attributes and bands, target), roles, the output
        explained and the positive class index.

    Raises
    ------
    BadInputError
        A :class:`RolesError`, :class:`TableError` or :class:`ModelFitError` naming the
        problem.
    """
    columns = [str(c) for c in table.columns]
    reserved = [c for c in columns if c.startswith(RESERVED_PREFIX)]
    if reserved:
        raise TableError(f"column name(s) {', '.join(map(repr, reserved))} start with "
                         f"{RESERVED_PREFIX!r}, which is kept for what a run stores beside "
                         "the table's columns; rename them")
    table = table.set_axis(columns, axis=1)
    inputs = _model_inputs(model, spec, columns)
    check_columns(spec, columns)
    for key, column in (("id", spec.id), ("target", spec.target)):
        if column is not None and column in inputs:
            raise RolesError(f"roles: the {key} column {column!r} is a model input")
    task = "classification" if is_classifier(model) else "regression"
    if spec.task is not None and spec.task != task:
        raise RolesError(f"roles say task = {spec.task!r} but the model is a {task} model "
                         f"({type(model).__name__})")
    if task == "classification" and spec.unit is not None:
        raise RolesError(UNIT_IS_FOR_REGRESSORS)
    positive = _positive(model, spec) if task == "classification" else 1
    output = spec.output or natural_output(model)
    if task == "regression" and spec.output is not None:
        raise RolesError("roles: 'output' is for classifiers; a regressor's score is its "
                         "prediction")
    _check_sensitive(table, spec)
    check_cells(table, [c for c in (spec.id, *inputs, *spec.sensitive, spec.target) if c])
    _check_values(table, inputs)
    scores = _outputs(model, table, inputs, output, positive)
    tiers, lo, hi = _tiers(spec, task, output, scores)

    people = pd.DataFrame(index=table.index)
    ident = spec.id or ROW_ID
    if spec.id is None:
        if ROW_ID in columns:
            raise RolesError(f"roles: name the id column (the table already has {ROW_ID!r})")
        people[ROW_ID] = np.arange(len(table))
    else:
        ids = table[spec.id]
        if ids.isna().any() or not ids.is_unique:
            raise TableError(f"id column {spec.id!r} has missing or repeated values")
        people[spec.id] = ids
    for column in inputs:
        people[column] = table[column]
    sensitive, labels = [], dict(spec.labels)
    for column in spec.sensitive:
        if column in spec.bands:
            values = table[column]
            if not pd.api.types.is_numeric_dtype(values):
                raise TableError(f"bands need a numeric column; {column!r} is {values.dtype}")
            band = f"{column}_band"
            edges = spec.bands[column]
            people[band] = pd.cut(values, [-np.inf, *edges, np.inf], right=False,
                                  labels=_band_labels(edges)).astype(str)
            labels[band] = f"{spec.labels.get(column, column)} (band)"
            sensitive.append(band)
        else:
            if column not in people:
                people[column] = table[column]
            sensitive.append(column)
    outcome = None
    target = spec.target
    if target is not None:
        recorded = table[target]
        if recorded.isna().any():
            raise TableError(f"target column {target!r} has {int(recorded.isna().sum())} "
                             "missing values")
        if task == "classification":
            classes = [str(c) for c in model.classes_]
            unknown = sorted(set(recorded.astype(str)) - set(classes))
            if unknown:
                raise TableError(f"target column {target!r} holds value(s) the model does not "
                                 f"know: {', '.join(unknown[:5])}")
            outcome = (recorded.astype(str) == classes[positive]).to_numpy(dtype=np.float64)
            people[target] = outcome
            labels[target] = f"{labels.get(target, target)} = {classes[positive]} (1) or not (0)"
        else:
            if not pd.api.types.is_numeric_dtype(recorded):
                raise TableError(f"target column {target!r} must be numeric, got "
                                 f"{recorded.dtype}")
            outcome = recorded.to_numpy(dtype=np.float64)
            people[target] = outcome
    else:
        target = "model_score"
        people[target] = scores
    categorical = tuple(c for c in inputs if not pd.api.types.is_numeric_dtype(table[c])
                        or pd.api.types.is_bool_dtype(table[c]))
    privacy = {c: spec.privacy.get(c, UNSPECIFIED) for c in [*inputs, *sensitive]}
    kinds = {c: ("category" if c in categorical else "numeric") for c in inputs}
    roles = Roles(id=ident, inputs=tuple(inputs), sensitive=tuple(sensitive), target=target,
                  score_min=lo, score_max=hi, tiers=tiers, task=task,  # type: ignore[arg-type]
                  categorical=categorical, labels=labels, privacy=privacy,
                  actionable=tuple(c for c in spec.actionable if c in inputs), kinds=kinds,
                  directions={c: d for c, d in spec.directions.items() if c in inputs},
                  unit=output if task == "classification" else spec.unit or "",
                  favourable=spec.favourable)
    return Prepared(people.reset_index(drop=True), roles, output, positive, outcome)
