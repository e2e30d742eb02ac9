"""Column roles: what an audit needs to know about a table, whoever made it.

Audits never depend on the synthetic world. They take a table, a model, SHAP values and
these roles: which columns are model inputs, which are sensitive attributes, which is the
id and the target, the score's range and its reward tiers (or decision thresholds), and for
each column a label, a privacy category and whether a person can change it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Task = Literal["regression", "classification"]
POINTS = "points"
RISE, FALL, EITHER = "rise", "fall", "either"
DIRECTIONS = (RISE, FALL, EITHER)
PROBABILITY = "probability"
LOG_ODDS = "log_odds"


@dataclass(frozen=True)
class TierSpec:
    """A threshold of the score and what reaching it gives."""

    name: str
    min_score: float
    perk: str = ""
    status: str = ""
    note: str = ""


@dataclass(frozen=True)
class Roles:
    """The roles of a table's columns.

    Parameters
    ----------
    id : str
        Column identifying a person.
    inputs : tuple of str
        Model inputs, in the model's order.
    sensitive : tuple of str
        Sensitive attributes kept for the audit (not model inputs).
    target : str
        Column holding the score or outcome the model reproduces.
    score_min, score_max : float
        Range of the score.
    tiers : tuple of TierSpec
        Thresholds, ascending; a person "reaches" a tier at or above its ``min_score``.
    task : {"regression", "classification"}
        Kind of model.
    categorical : tuple of str
        Inputs holding categories (ordinal-encoded before the trees).
    labels : dict
        Column -> label for humans.
    privacy : dict
        Column -> privacy category.
    actionable : tuple of str
        Inputs a person can change.
    directions : dict
        Actionable input -> ``"rise"`` or ``"fall"``: the only way it may change (a debt may
        be paid down, a credit history cannot shorten). Inputs not named may go either way.
    pillars : dict
        Column -> group of features (e.g. a Sesame pillar), for display.
    kinds : dict
        Column -> value kind (share, money, bool, count, category, numeric), for formatting.
    below_note : str
        What is said of scores under the lowest tier (the synthetic world's speculated
        restrictions); empty for a user's own table.
    unit : str
        What the score is in: ``points`` (the synthetic worlds), ``probability`` or
        ``log_odds`` (a classifier), or a regressor's own unit (e.g. ``EUR``; empty when
        not declared). See :mod:`core.units`.
    """

    id: str
    inputs: tuple[str, ...]
    sensitive: tuple[str, ...]
    target: str
    score_min: float
    score_max: float
    tiers: tuple[TierSpec, ...]
    task: Task = "regression"
    categorical: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    privacy: dict[str, str] = field(default_factory=dict)
    actionable: tuple[str, ...] = ()
    directions: dict[str, str] = field(default_factory=dict)
    pillars: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    below_note: str = ""
    unit: str = POINTS

    def label(self, column: str) -> str:
        """Return the human label of ``column`` (the name itself when unlabelled)."""
        return self.labels.get(column, column)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Roles:
        """Build roles from :meth:`to_dict` output (e.g. a manifest).

        Parameters
        ----------
        raw : dict
            The dictionary.

        Returns
        -------
        Roles
            The roles.
        """
        data = dict(raw)
        data["tiers"] = tuple(TierSpec(**t) for t in data.get("tiers", ()))
        for key in ("inputs", "sensitive", "categorical", "actionable"):
            data[key] = tuple(data.get(key, ()))
        if "unit" not in data and data.get("task") == "classification":  # older manifests
            probability = (data.get("score_min"), data.get("score_max")) == (0.0, 1.0)
            data["unit"] = PROBABILITY if probability else LOG_ODDS
        return cls(**data)

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Names of the tiers, lowest first."""
        return tuple(t.name for t in self.tiers)


BELOW_ALL_TIERS = "below_tiers"


def tier_of(scores: np.ndarray | float, tiers: tuple[TierSpec, ...]) -> np.ndarray:
    """Return the name of the highest tier each score reaches.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    tiers : tuple of TierSpec
        Tiers, ascending.

    Returns
    -------
    numpy.ndarray of object
        One tier name per score; ``"below_tiers"`` under the lowest tier.
    """
    values = np.atleast_1d(np.asarray(scores, dtype=float))
    thresholds = np.array([t.min_score for t in tiers])
    names = np.array([BELOW_ALL_TIERS, *(t.name for t in tiers)], dtype=object)
    return names[np.searchsorted(thresholds, values, side="right")]


def next_tier(score: float, tiers: tuple[TierSpec, ...]) -> TierSpec | None:
    """Return the lowest tier above ``score``, or None when every tier is reached.

    Parameters
    ----------
    score : float
        A score.
    tiers : tuple of TierSpec
        Tiers, ascending.

    Returns
    -------
    TierSpec or None
        The next tier.
    """
    return next((t for t in tiers if t.min_score > score), None)
