"""Tiny hand-made runs for the audit tests: a few people whose numbers are checked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import Roles, TierSpec
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.runs.run import Run

TIERS = (TierSpec("low", 500.0), TierSpec("high", 600.0))


class LinearModel:
    """A stand-in model: ``base + sum(weight * column)``, categories scored by a table."""

    def __init__(self, base: float, weights: dict[str, float],
                 categories: dict[str, dict[str, float]] | None = None) -> None:
        self.base, self.weights, self.categories = base, weights, categories or {}

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Score the rows of ``X``."""
        total = np.full(len(X), self.base, dtype=float)
        for column, weight in self.weights.items():
            total += weight * X[column].to_numpy(dtype=float)
        for column, table in self.categories.items():
            total += X[column].map(table).to_numpy(dtype=float)
        return total


def tiny_run(people: pd.DataFrame, *, inputs: tuple[str, ...], sensitive: tuple[str, ...],
             prediction: np.ndarray | None = None, shap: pd.DataFrame | None = None,
             model: object | None = None, edges: pd.DataFrame | None = None,
             categorical: tuple[str, ...] = ()) -> Run:
    """Return a Run held in memory (no folder), scored by ``model`` unless told otherwise."""
    people = people.reset_index(drop=True)
    if prediction is None:
        prediction = np.asarray(model.predict(people[list(inputs)]), dtype=float)
    if shap is None:
        shap = pd.DataFrame(0.0, index=people.index, columns=list(inputs))
    base = float(np.mean(prediction - shap.sum(axis=1).to_numpy()))
    roles = Roles(id="person_id", inputs=inputs, sensitive=sensitive, target="score",
                  score_min=350.0, score_max=950.0, tiers=TIERS, categorical=categorical,
                  labels={c: c.replace("_", " ").capitalize() for c in people.columns},
                  privacy={c: "behavioural" for c in inputs})
    return Run(path=Path("/nonexistent/tiny"), manifest={"files": {"people": "0"}, "seed": 0},
               roles=roles, people=people,
               explanation=Explanation(base=base, values=shap.reset_index(drop=True),
                                       prediction=np.asarray(prediction, dtype=float)),
               edges=edges, _model=model)
