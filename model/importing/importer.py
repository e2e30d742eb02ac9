"""Audit your own model: a table, a skops model and column roles become an ordinary run folder.

Everything is checked before anything is written: the model file (skops, allow-listed
types only), the table (readable, non-empty, the columns the model expects, usable types,
no missing values the model cannot take), the roles (columns present, thresholds in range)
and the SHAP values (they must add up to the model's own output). Only then is the run
written, atomically, with ``source: "imported"`` in its manifest. An imported run has no
hidden rules and no social graph; audits that need them simply drop out.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score
from sklearn.utils.validation import check_is_fitted

from sesame_audit.model.build.write import write_run
from sesame_audit.model.core.bad_input import MAX_BYTES, BadInputError, ModelFitError, check_size
from sesame_audit.model.core.roles import HIGH, reaches
from sesame_audit.model.explain.any_model import Method, Progress, explain_any
from sesame_audit.model.figures.intervals import auc_interval
from sesame_audit.model.importing.cells import missing_counts
from sesame_audit.model.importing.checks import Prepared, prepare
from sesame_audit.model.importing.roles_file import RolesSpec, parse_roles_bytes
from sesame_audit.model.importing.table_file import read_table
from sesame_audit.model.runs.destination import check_destination
from sesame_audit.model.runs.model_files import load_model_file, model_file_types

MEASURED_ON = "the imported table, which may include the rows the model was trained on"


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
    """Load a model file safely and check that it is a fitted regressor or classifier.

    Parameters
    ----------
    data : bytes
        Contents of the file: skops, or a LightGBM text model (``.txt``).
    name : str
        File name, whose suffix tells the format, and for messages.
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
    types, _ = model_file_types(data, name)
    model = load_model_file(data, name)
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
    # the positive class is predicted at or above the cutoff, whichever end is favourable
    decision = reaches(scores, prepared.roles.tiers[0].min_score, HIGH)
    metrics["accuracy"] = float(accuracy_score(y, decision))
    metrics["positive_rate"] = float(y.mean())
    # The same function as the Outcomes page's ROC (audit.classifier_views.roc): one figure.
    auc, _, _ = auc_interval(scores, np.asarray(y) == 1)
    if np.isfinite(auc):
        metrics["auc"] = auc
    if prepared.output == "probability":
        metrics["brier"] = float(np.mean((scores - y) ** 2))
    return metrics


def import_run(table: pd.DataFrame, model_file: ModelFile, spec: RolesSpec, out: Path, *,
               table_name: str, table_sha256: str, replace: bool = False,
               seed: int = 0, notes: dict[str, Any] | None = None,
               progress: Progress | None = None, explain_sample: int | None = None) -> Path:
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
        Run folder to create (see :func:`runs.destination.check_destination`).
    table_name, table_sha256 : str
        Name and hash of the table file, for the manifest.
    replace : bool
        Whether an existing run folder at ``out`` may be replaced (atomically).
    seed : int
        Seed of an approximate explainer's background sample and of ``explain_sample``.
    notes : dict, optional
        More to record in the manifest (e.g. how a stand-in model was chosen).
    progress : callable, optional
        ``progress(rows_done, rows, seconds_left)``, called while an approximate explainer
        works (see :func:`explain.any_model.explain_any`).
    explain_sample : int, optional
        For a model with no exact explainer, explain only this many people, drawn at
        random with ``seed``; the run then holds that sample (every figure describes it)
        and its manifest says how it was drawn. Ignored when the explainer is exact.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    BadInputError
        Naming the problem; nothing has been written.
    """
    if explain_sample is not None and explain_sample < 1:
        raise BadInputError(f"the sample to explain needs at least one person, not "
                            f"{explain_sample}")
    check_destination(out, replace=replace)
    prepared = prepare(table, model_file.model, spec)
    roles = prepared.roles
    try:
        explanation, method = explain_any(model_file.model,
                                          prepared.people[list(roles.inputs)],
                                          output=prepared.output, positive=prepared.positive,
                                          seed=seed, progress=progress, sample=explain_sample)
    except BadInputError:
        raise
    except Exception as exc:  # shap can fail in many ways on a model it does not support
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ModelFitError(f"SHAP could not explain this model: {first}") from None
    if len(explanation.values) < len(prepared.people):  # a sample was explained: keep it
        kept = prepared.people.index.get_indexer(explanation.values.index)
        outcome = None if prepared.outcome is None else prepared.outcome[kept]
        prepared = dataclasses.replace(prepared, people=prepared.people.iloc[kept],
                                       outcome=outcome)
    manifest = _manifest(prepared, model_file, method, explanation.rows_per_second,
                         table_name=table_name, table_sha256=table_sha256, rows=len(table),
                         columns=len(table.columns))
    manifest["metrics"] = _metrics(prepared, explanation.prediction)
    manifest.update(notes or {})
    return write_run(out, people=prepared.people, explanation=explanation,
                     model=model_file.model, roles=roles, manifest=manifest, replace=replace)


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
        "data": {"name": table_name, "sha256": table_sha256, "rows": rows, "columns": columns,
                 "missing": missing_counts(prepared.people,
                                           [*prepared.roles.inputs, *prepared.roles.sensitive])},
        "model": {"name": model_file.name, "sha256": model_file.sha256,
                  "estimator": type(model).__name__, "types": model_file.types,
                  "task": prepared.roles.task, "classes": classes,
                  "positive_class": classes[prepared.positive] if classes else None},
        "shap": {**{k: v for k, v in method.to_dict().items() if k != "max_additivity_error"},
                 "explains": explains,
                 "rows_per_second": rows_per_second, "dtype": "float32"},
    }


def import_files(data: str | Path, model: str | Path, roles: str | Path, out: str | Path, *,
                 delimiter: str = ",", replace: bool = False,
                 progress: Progress | None = None, explain_sample: int | None = None,
                 seed: int = 0) -> Path:
    """Import a table file, a skops model file and a roles file into a run folder.

    Parameters
    ----------
    data : str or pathlib.Path
        CSV or Parquet table (at most :data:`~core.bad_input.MAX_BYTES`).
    model : str or pathlib.Path
        skops model file.
    roles : str or pathlib.Path
        Roles TOML file (see :mod:`importing.roles_file`).
    out : str or pathlib.Path
        Run folder to create.
    delimiter : str
        CSV delimiter.
    replace : bool
        Whether an existing run folder at ``out`` may be replaced.
    progress : callable, optional
        Progress of an approximate explainer (see :func:`import_run`).
    explain_sample : int, optional
        People to explain, at random, when the explainer is approximate (see
        :func:`import_run`).
    seed : int, default=0
        Seed of that sample and of the approximate explainer.

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
                      table_sha256=hashlib.sha256(raw).hexdigest(), replace=replace,
                      progress=progress, explain_sample=explain_sample, seed=seed)
