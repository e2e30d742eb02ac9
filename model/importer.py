"""Audit your own model: a table, a skops model and column roles become an ordinary run folder.

Everything is checked before anything is written: the model file (skops, allow-listed
types only), the table (readable, non-empty, the columns the model expects, usable types,
no missing values the model cannot take), the roles (columns present, thresholds in range)
and the SHAP values (they must add up to the model's own output). Only then is the run
written, atomically, with ``source: "imported"`` in its manifest. An imported run has no
hidden rules and no social graph; audits that need them simply drop out.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, roc_auc_score
from sklearn.utils.validation import check_is_fitted

from model.bad_input import (
    MAX_BYTES,
    BadInputError,
    ModelFitError,
    RolesError,
    TableError,
    check_size,
)
from model.explain_any import Method, explain_any, model_output, natural_output
from model.persist import load_model_bytes, requested_types
from model.roles import Roles, TierSpec
from model.roles_file import UNSPECIFIED, RolesSpec, check_columns, parse_roles_bytes
from model.store import MANIFEST, write_run
from model.table_file import read_table

ROW_ID = "row_id"
_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")
MEASURED_ON = "the imported table, which may include the rows the model was trained on"


def run_folder(root: Path, name: str) -> Path:
    """Return the folder of a new run called ``name`` under ``root``, checking the name.

    Parameters
    ----------
    root : pathlib.Path
        The runs folder.
    name : str
        1-60 letters, digits, ``_``, ``-`` or ``.``, starting with a letter or digit.

    Returns
    -------
    pathlib.Path
        ``root / name``.

    Raises
    ------
    BadInputError
        For any other name (so that no name can point outside ``root``).
    """
    if not _RUN_NAME.fullmatch(name or ""):
        raise BadInputError(f"run name {name!r} must be 1-60 letters, digits, '_', '-' or '.',"
                            " starting with a letter or digit")
    return Path(root) / name


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file and what it asked for.

    Attributes
    ----------
    model : object
        The estimator or pipeline.
    name : str
        File name.
    sha256 : str
        Hash of the file.
    types : list of str
        Every type the file asked skops to build.
    """

    model: Any
    name: str
    sha256: str
    types: list[str]


def read_model(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> ModelFile:
    """Load a skops model file safely and check that it is a fitted regressor or classifier.

    Parameters
    ----------
    data : bytes
        Contents of the file.
    name : str
        File name, for messages.
    max_bytes : int
        Largest accepted size.

    Returns
    -------
    ModelFile
        The model and the types its file asked for.

    Raises
    ------
    UnsafeModelError
        For a pickle/joblib file, a corrupt file, or a type outside the allow-list (named).
    ModelFitError
        When the model is not a fitted regressor or classifier.
    """
    check_size(len(data), name, max_bytes=max_bytes)
    types = requested_types(data)
    model = load_model_bytes(data)
    kind = type(model).__name__
    if not (is_regressor(model) or is_classifier(model)) or not hasattr(model, "predict"):
        raise ModelFitError(f"{name} holds a {kind}, which is neither a regressor nor a "
                            "classifier; bring the fitted model that makes the score")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ModelFitError(f"{name} holds a {kind} that was never fitted") from None
    except TypeError as exc:
        raise ModelFitError(f"{name}: {exc}") from None
    return ModelFile(model, name, hashlib.sha256(data).hexdigest(), types)


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
    labels = [f"< {edges[0]:g}"]
    labels += [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]
    return [*labels, f">= {edges[-1]:g}"]


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
        tiers = (TierSpec("positive", 0.5, "probability at least 0.5"),)
    if task == "classification":
        bad = [t.min_score for t in tiers if not 0 < t.min_score < 1]
        if bad:
            raise RolesError(f"roles: a classifier's thresholds are probabilities strictly "
                             f"between 0 and 1, got {bad}")
        if output == "log_odds":
            tiers = tuple(TierSpec(t.name, math.log(t.min_score / (1 - t.min_score)),
                                   t.perk or f"probability at least {t.min_score:g}")
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
    positive = _positive(model, spec) if task == "classification" else 1
    output = spec.output or natural_output(model)
    if task == "regression" and spec.output is not None:
        raise RolesError("roles: 'output' is for classifiers; a regressor's score is its "
                         "prediction")
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
                  actionable=tuple(c for c in spec.actionable if c in inputs), kinds=kinds)
    return Prepared(people.reset_index(drop=True), roles, output, positive, outcome)


def _metrics(prepared: Prepared, scores: np.ndarray) -> dict[str, Any]:
    y = prepared.outcome
    metrics: dict[str, Any] = {"measured_on": MEASURED_ON, "n": len(scores)}
    if y is None:
        metrics["note"] = "no target column: accuracy not measured"
        return metrics
    if prepared.roles.task == "regression":
        metrics["r2"] = float(r2_score(y, scores))
        metrics["mae_points"] = float(mean_absolute_error(y, scores))
        return metrics
    decision = scores >= prepared.roles.tiers[0].min_score
    metrics["accuracy"] = float(accuracy_score(y, decision))
    metrics["positive_rate"] = float(y.mean())
    if 0 < y.mean() < 1:
        metrics["auc"] = float(roc_auc_score(y, scores))
    if prepared.output == "probability":
        metrics["brier"] = float(np.mean((scores - y) ** 2))
    return metrics


def import_run(table: pd.DataFrame, model_file: ModelFile, spec: RolesSpec, out: Path, *,
               table_name: str, table_sha256: str, replace: bool = False,
               seed: int = 0) -> Path:
    """Check, explain and write an imported run folder; nothing is written on any error.

    Parameters
    ----------
    table : pandas.DataFrame
        The user's table.
    model_file : ModelFile
        The loaded model (see :func:`read_model`).
    spec : RolesSpec
        Declared roles.
    out : pathlib.Path
        Run folder to create.
    table_name, table_sha256 : str
        Name and hash of the table file, for the manifest.
    replace : bool
        Whether an existing run folder at ``out`` may be replaced (atomically).
    seed : int
        Seed of an approximate explainer's background sample.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    BadInputError
        Naming the problem; nothing has been written.
    """
    out = Path(out)
    if out.exists() and not replace:
        raise BadInputError(f"{out} already exists; choose another folder or replace it "
                            "explicitly (--replace)")
    if out.exists() and not (out / MANIFEST).is_file():
        raise BadInputError(f"{out} exists and is not a run folder; it was left alone")
    prepared = prepare(table, model_file.model, spec)
    roles = prepared.roles
    try:
        explanation, method = explain_any(model_file.model,
                                          prepared.people[list(roles.inputs)],
                                          output=prepared.output, positive=prepared.positive,
                                          seed=seed)
    except BadInputError:
        raise
    except Exception as exc:  # shap can fail in many ways on a model it does not support
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ModelFitError(f"SHAP could not explain this model: {first}") from None
    manifest = _manifest(prepared, model_file, method, explanation.rows_per_second,
                         table_name=table_name, table_sha256=table_sha256, rows=len(table),
                         columns=len(table.columns))
    manifest["metrics"] = _metrics(prepared, explanation.prediction)
    return write_run(out, people=prepared.people, explanation=explanation,
                     model=model_file.model, roles=roles, manifest=manifest)


def _manifest(prepared: Prepared, model_file: ModelFile, method: Method, rows_per_second: float,
              *, table_name: str, table_sha256: str, rows: int, columns: int
              ) -> dict[str, Any]:
    model = model_file.model
    classes = [str(c) for c in getattr(model, "classes_", [])]
    explains = ("the model's prediction" if method.output == "score" else
                f"the {method.output.replace('_', '-')} of class {classes[prepared.positive]!r}")
    return {
        "source": "imported",
        "n": len(prepared.people),
        "data": {"name": table_name, "sha256": table_sha256, "rows": rows, "columns": columns},
        "model": {"name": model_file.name, "sha256": model_file.sha256,
                  "estimator": type(model).__name__, "types": model_file.types,
                  "task": prepared.roles.task, "classes": classes,
                  "positive_class": classes[prepared.positive] if classes else None},
        "shap": {**{k: v for k, v in method.to_dict().items() if k != "max_additivity_error"},
                 "explains": explains,
                 "max_additivity_error_points": method.max_additivity_error,
                 "rows_per_second": rows_per_second, "dtype": "float32"},
    }


def import_files(data: str | Path, model: str | Path, roles: str | Path, out: str | Path, *,
                 delimiter: str = ",", replace: bool = False) -> Path:
    """Import a table file, a skops model file and a roles file into a run folder.

    Parameters
    ----------
    data : str or pathlib.Path
        CSV or Parquet table (at most :data:`~model.bad_input.MAX_BYTES`).
    model : str or pathlib.Path
        skops model file.
    roles : str or pathlib.Path
        Roles TOML file (see :mod:`model.roles_file`).
    out : str or pathlib.Path
        Run folder to create.
    delimiter : str
        CSV delimiter.
    replace : bool
        Whether an existing run folder at ``out`` may be replaced.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    BadInputError
        Naming the problem; nothing has been written.
    """
    paths = {"table": Path(data), "model": Path(model), "roles": Path(roles)}
    for what, path in paths.items():
        if not path.is_file():
            raise BadInputError(f"no {what} file at {path}")
        check_size(path.stat().st_size, path.name)
    model_file = read_model(paths["model"].read_bytes(), paths["model"].name)
    spec = parse_roles_bytes(paths["roles"].read_bytes(), paths["roles"].name)
    raw = paths["table"].read_bytes()
    table = read_table(raw, paths["table"].name, delimiter=delimiter)
    return import_run(table, model_file, spec, Path(out), table_name=paths["table"].name,
                      table_sha256=hashlib.sha256(raw).hexdigest(), replace=replace)
