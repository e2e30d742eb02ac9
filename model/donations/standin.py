"""A stand-in for a model no one can see: scikit-learn fitted on donated inputs -> scores.

Three candidates are fitted by K-fold cross-validation on the donations: boosted trees as
the operator's own model might be (:func:`build.train.make_pipeline`), smaller boosted
trees, and a ridge regression on one-hot categories. The one with the lowest
cross-validated mean absolute error is refitted on every donation and stands in for the
operator's model: the importer explains it exactly (TreeSHAP or linear SHAP) and writes an
ordinary run folder that every page and audit reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sesame_audit.model.build.train import TreeParams, make_pipeline
from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.importing.checks import prepare
from sesame_audit.model.importing.importer import ModelFile, import_run
from sesame_audit.model.importing.roles_file import RolesSpec
from sesame_audit.model.runs.model_files import model_bytes, requested_types
from sesame_audit.model.runs.run import Run

FOLDS = 5
MIN_DONATIONS = 50
CANDIDATES = ("boosted trees", "small boosted trees", "ridge")


def _categorical(table: pd.DataFrame, inputs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in inputs if not pd.api.types.is_numeric_dtype(table[c])
                 or pd.api.types.is_bool_dtype(table[c]))


def candidate(name: str, inputs: tuple[str, ...], categorical: tuple[str, ...], *,
              seed: int = 0) -> Pipeline:
    """Return an unfitted stand-in candidate.

    Parameters
    ----------
    name : {"boosted trees", "small boosted trees", "ridge"}
        Which candidate.
    inputs : tuple of str
        Input columns, in order.
    categorical : tuple of str
        Inputs holding categories.
    seed : int, default=0
        Random state of the trees.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The pipeline, reading ``inputs`` in order.
    """
    roles = Roles(id="", inputs=inputs, sensitive=(), target="", score_min=0.0,
                  score_max=1.0, tiers=(), categorical=categorical)
    if name == "boosted trees":
        return make_pipeline(roles, params=TreeParams(max_iter=200), seed=seed)
    if name == "small boosted trees":
        return make_pipeline(roles, params=TreeParams(max_iter=80, max_leaf_nodes=4,
                                                      min_samples_leaf=30), seed=seed)
    if name == "ridge":
        numeric = [c for c in inputs if c not in categorical]
        encode = ColumnTransformer(
            [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
              list(categorical)), ("numbers", StandardScaler(), numeric)],
            verbose_feature_names_out=False)
        return Pipeline([("encode", encode), ("linear", Ridge(alpha=1.0))])
    raise ValueError(f"unknown stand-in {name!r}; choose from {', '.join(CANDIDATES)}")


@dataclass(frozen=True)
class StandIn:
    """The chosen stand-in, fitted on every donation, and how the candidates fared.

    Attributes
    ----------
    name : str
        The chosen candidate.
    model : sklearn.pipeline.Pipeline
        Fitted on all donations.
    scores : pandas.DataFrame
        One row per candidate: ``model``, ``cv_mae`` and ``cv_r2`` (means over folds),
        ``cv_r2_sd``, ``chosen``.
    make : callable
        Returns a fresh unfitted copy of the chosen candidate (for refits).
    """

    name: str
    model: Pipeline
    scores: pd.DataFrame
    make: Callable[[], RegressorMixin]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (no fitted model)."""
        return {"model": self.name, "folds": FOLDS,
                "candidates": self.scores.to_dict("records")}


def choose_standin(table: pd.DataFrame, inputs: tuple[str, ...], target: str, *,
                   seed: int = 0, candidates: tuple[str, ...] = CANDIDATES) -> StandIn:
    """Fit every candidate by cross-validation and keep the one with the lowest error.

    Parameters
    ----------
    table : pandas.DataFrame
        Donations: inputs and the recorded score.
    inputs : tuple of str
        Input columns.
    target : str
        The recorded score.
    seed : int, default=0
        Seed of the folds and the trees.
    candidates : tuple of str
        Candidates tried (see :func:`candidate`).

    Returns
    -------
    StandIn
        The chosen model, refitted on every donation, and the cross-validated scores.

    Raises
    ------
    BadInputError
        With fewer than 50 donations, or a target that is not numeric.
    """
    if len(table) < MIN_DONATIONS:
        raise BadInputError(f"{len(table)} donations: a stand-in needs at least "
                            f"{MIN_DONATIONS}")
    if not pd.api.types.is_numeric_dtype(table[target]):
        raise BadInputError(f"the recorded score {target!r} must be numeric")
    categorical = _categorical(table, inputs)
    X, y = table[list(inputs)], table[target].to_numpy(dtype=float)
    folds = KFold(FOLDS, shuffle=True, random_state=seed)
    rows = []
    for name in candidates:
        found = cross_validate(candidate(name, inputs, categorical, seed=seed), X, y, cv=folds,
                               scoring=("neg_mean_absolute_error", "r2"))
        rows.append({"model": name, "cv_mae": float(-found["test_neg_mean_absolute_error"]
                                                    .mean()),
                     "cv_r2": float(found["test_r2"].mean()),
                     "cv_r2_sd": float(found["test_r2"].std())})
    scores = pd.DataFrame(rows)
    best = str(scores.loc[scores["cv_mae"].idxmin(), "model"])
    scores["chosen"] = scores["model"] == best

    def make() -> RegressorMixin:
        return clone(candidate(best, inputs, categorical, seed=seed))

    model = make().fit(X, y)
    return StandIn(best, model, scores, make)


def model_file(standin: StandIn) -> ModelFile:
    """Return the stand-in as the importer takes a model file (saved with skops).

    Parameters
    ----------
    standin : StandIn
        The fitted stand-in.

    Returns
    -------
    ModelFile
        The model, the sha256 of its skops bytes and the types they ask for.
    """
    data = model_bytes(standin.model)
    return ModelFile(standin.model, f"stand-in ({standin.name})",
                     hashlib.sha256(data).hexdigest(), requested_types(data))


def import_donations(table: pd.DataFrame, spec: RolesSpec, out: str | Path, *,
                     table_name: str, table_sha256: str, replace: bool = False,
                     seed: int = 0) -> tuple[Path, StandIn]:
    """Fit a stand-in on donations and write it, explained, as an ordinary run folder.

    Parameters
    ----------
    table : pandas.DataFrame
        The donations (or any table of inputs and recorded scores).
    spec : RolesSpec
        Their roles; ``target`` names the recorded score.
    out : str or pathlib.Path
        Run folder to create.
    table_name, table_sha256 : str
        Name and hash of the file, for the manifest.
    replace : bool, default=False
        Whether an existing run folder at ``out`` may be replaced.
    seed : int, default=0
        Seed of the folds and the trees.

    Returns
    -------
    path : pathlib.Path
        The run folder.
    standin : StandIn
        The stand-in and its cross-validation.

    Raises
    ------
    BadInputError
        When the roles name no recorded score, or the importer refuses the table.
    """
    if spec.target is None:
        raise BadInputError("roles: name the recorded score or decision as 'target': the "
                            "stand-in learns it")
    inputs = spec.inputs or tuple(c for c in table.columns
                                  if c not in {spec.id, spec.target, *spec.sensitive})
    table = table.set_axis([str(c) for c in table.columns], axis=1)
    standin = choose_standin(table, tuple(inputs), spec.target, seed=seed)
    path = import_run(table, model_file(standin), spec, Path(out), table_name=table_name,
                      table_sha256=table_sha256, replace=replace, seed=seed,
                      notes={"standin": standin.to_dict()})
    return path, standin


def standin_run(table: pd.DataFrame, spec: RolesSpec, *, name: str, seed: int = 0,
                extra: dict[str, Any] | None = None) -> tuple[Run, StandIn]:
    """Fit and explain a stand-in on donations, as a run held in memory (nothing written).

    The same checks and explanation as :func:`import_donations`, for a page that audits a
    campaign without writing a run folder.

    Parameters
    ----------
    table : pandas.DataFrame
        The donations.
    spec : RolesSpec
        Their roles; ``target`` names the recorded score.
    name : str
        The run's name.
    seed : int, default=0
        Seed of the folds and the trees.
    extra : dict, optional
        More for the run's manifest.

    Returns
    -------
    run : Run
        Donors, the stand-in's SHAP values and predictions, roles; ``manifest["standin"]``
        holds the cross-validation.
    standin : StandIn
        The stand-in.

    Raises
    ------
    BadInputError
        As :func:`import_donations`.
    """
    if spec.target is None:
        raise BadInputError("roles: name the recorded score as 'target'")
    inputs = spec.inputs or tuple(c for c in table.columns
                                  if c not in {spec.id, spec.target, *spec.sensitive})
    standin = choose_standin(table, tuple(inputs), spec.target, seed=seed)
    prepared = prepare(table, standin.model, spec)
    explanation, method = explain_any(standin.model, prepared.people[list(inputs)],
                                      output="score")
    manifest = {"files": {}, "source": "donations", "n": len(prepared.people),
                "standin": standin.to_dict(), "shap": {**method.to_dict(),
                                                       "base": explanation.base},
                **(extra or {})}
    run = Run(Path(name), manifest, prepared.roles, people=prepared.people,
              explanation=explanation, _model=standin.model)
    return run, standin


def refit(standin: StandIn, table: pd.DataFrame, rows: np.ndarray, inputs: list[str],
                  target: str) -> Pipeline:
    """Refit the chosen candidate on some rows (a bootstrap resample).

    Parameters
    ----------
    standin : StandIn
        The chosen stand-in.
    table : pandas.DataFrame
        The donations.
    rows : numpy.ndarray
        Row positions to fit on (repeats allowed).
    inputs : list of str
        Input columns.
    target : str
        The recorded score.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The refitted model.
    """
    sample = table.iloc[rows]
    return standin.make().fit(sample[inputs], sample[target].to_numpy(dtype=float))
