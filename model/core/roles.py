"""Column roles: what an audit needs to know about a table, whoever made it.

Audits never depend on the synthetic world. They take a table, a model, SHAP values and
these roles: which columns are model inputs, which are sensitive attributes, which is the
id and the target, the score's range and its reward tiers (or decision thresholds), and for
each column a label, a privacy category and whether a person can change it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Task = Literal["regression", "classification"]
POINTS = "points"
RISE, FALL, EITHER = "rise", "fall", "either"
DIRECTIONS = (RISE, FALL, EITHER)
PROBABILITY = "probability"
LOG_ODDS = "log_odds"
Favourable = Literal["high", "low"]
HIGH, LOW = "high", "low"
FAVOURABLE = (HIGH, LOW)


_GENERATED = re.compile(r"at_(least|most)_[-+0-9.eE]+")
_DEFAULT_TIERS = ("positive", "negative")


@dataclass(frozen=True)
class TierSpec:
    """A threshold of the score and what reaching it gives."""

    name: str
    min_score: float
    perk: str = ""
    status: str = ""
    note: str = ""

    @property
    def generated(self) -> bool:
        """Whether the name was made from a bare threshold (``at_least_0.5``, or a
        classifier's default ``positive`` tier) rather than given by a person."""
        return named_after_threshold(self.name) or (
            self.name in _DEFAULT_TIERS and self.perk.startswith("probability at "))


def named_after_threshold(name: str) -> bool:
    """Return whether a tier's name was made from its threshold (``at_least_0.5``).

    Parameters
    ----------
    name : str
        A tier's name.

    Returns
    -------
    bool
        True for the names :func:`threshold_tier` gives.
    """
    return bool(_GENERATED.fullmatch(name))


def threshold_tier(value: float, favourable: str = "high") -> TierSpec:
    """Return the tier made from a bare threshold, named after it (``at_least_0.5``).

    Parameters
    ----------
    value : float
        The threshold, as typed.
    favourable : {"high", "low"}, default="high"
        Which end of the score is good for the person: ``at_most_25`` when low is.

    Returns
    -------
    TierSpec
        A tier whose :attr:`TierSpec.generated` is true.
    """
    words = "most" if favourable == LOW else "least"
    return TierSpec(f"at_{words}_{value:g}", value, f"score at {words} {value:g}")


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
        Thresholds, from the least to the most favourable tier: ascending when high scores
        are favourable (a person "reaches" a tier at or above its ``min_score``), descending
        when low scores are (a person reaches it at or below). See :meth:`reaches`.
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
    favourable : {"high", "low"}
        Which end of the score is good for the person: ``"high"`` (a credit score, the
        probability of approval) or ``"low"`` (a risk decile, a predicted default
        probability, predicted days late).
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
    favourable: Favourable = HIGH

    def reaches(self, scores: np.ndarray | float, threshold: np.ndarray | float
                ) -> np.ndarray:
        """Return whether each score reaches a tier's threshold, in this score's direction.

        Parameters
        ----------
        scores : array-like of float
            Scores.
        threshold : float or array-like of float
            A tier's ``min_score`` (or one threshold per score).

        Returns
        -------
        numpy.ndarray of bool
            At or above ``threshold`` when high scores are favourable, at or below when
            low scores are.

        See Also
        --------
        reaches : the same, given the direction.
        """
        return reaches(scores, threshold, self.favourable)

    def oriented(self, scores: np.ndarray | float) -> np.ndarray:
        """Return scores turned so that higher is always more favourable.

        Parameters
        ----------
        scores : array-like of float
            Scores (or differences of scores).

        Returns
        -------
        numpy.ndarray of float
            ``scores`` when high is favourable, ``-scores`` when low is.
        """
        return favourable_sign(self.favourable) * np.asarray(scores, dtype=float)

    @property
    def reach_words(self) -> str:
        """``"at or above"`` or ``"at or below"``: how a score reaches a tier, in words."""
        return "at or below" if self.favourable == LOW else "at or above"

    @property
    def adverse_verb(self) -> str:
        """``"lowered"`` or ``"raised"``: what an unfavourable input did to the score."""
        return "raised" if self.favourable == LOW else "lowered"

    @property
    def better_side(self) -> str:
        """``"above"`` or ``"below"``: where a more favourable score lies, in words."""
        return "below" if self.favourable == LOW else "above"

    @property
    def worse_side(self) -> str:
        """``"below"`` or ``"above"``: where a less favourable score lies, in words."""
        return "above" if self.favourable == LOW else "below"

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
        data.setdefault("favourable", HIGH)  # manifests written before it was declared
        return cls(**data)

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Names of the tiers, least favourable first."""
        return tuple(t.name for t in self.tiers)


BELOW_ALL_TIERS = "below_tiers"


def favourable_sign(favourable: str) -> float:
    """Return +1 when high scores are favourable, -1 when low scores are.

    Parameters
    ----------
    favourable : {"high", "low"}
        The favourable direction.

    Returns
    -------
    float
        The sign turning scores so that higher is more favourable.
    """
    if favourable not in FAVOURABLE:
        raise ValueError(f"favourable must be 'high' or 'low', got {favourable!r}")
    return -1.0 if favourable == LOW else 1.0


def reaches(scores: np.ndarray | float, threshold: np.ndarray | float,
            favourable: str = HIGH) -> np.ndarray:
    """Return whether each score reaches ``threshold``: the one definition of reaching a tier.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    threshold : float or array-like of float
        A tier's ``min_score`` (or one threshold per score).
    favourable : {"high", "low"}, default="high"
        Which end of the score is good for the person.

    Returns
    -------
    numpy.ndarray of bool
        ``scores >= threshold`` when high is favourable, ``scores <= threshold`` when low is.
    """
    sign = favourable_sign(favourable)
    return sign * np.asarray(scores, dtype=float) >= sign * np.asarray(threshold, dtype=float)


def tier_of(scores: np.ndarray | float, tiers: tuple[TierSpec, ...],
            favourable: str = HIGH) -> np.ndarray:
    """Return the name of the most favourable tier each score reaches.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    tiers : tuple of TierSpec
        Tiers, least favourable first.
    favourable : {"high", "low"}, default="high"
        Which end of the score is good for the person.

    Returns
    -------
    numpy.ndarray of object
        One tier name per score; ``"below_tiers"`` when no tier is reached.
    """
    values = np.atleast_1d(np.asarray(scores, dtype=float))
    names = np.array([BELOW_ALL_TIERS, *(t.name for t in tiers)], dtype=object)
    reached = np.zeros(len(values), dtype=int)
    for position, tier in enumerate(tiers, start=1):
        reached[reaches(values, tier.min_score, favourable)] = position
    return names[reached]


def next_tier(score: float, tiers: tuple[TierSpec, ...],
              favourable: str = HIGH) -> TierSpec | None:
    """Return the least favourable tier ``score`` does not reach, or None when all are.

    Parameters
    ----------
    score : float
        A score.
    tiers : tuple of TierSpec
        Tiers, least favourable first.
    favourable : {"high", "low"}, default="high"
        Which end of the score is good for the person.

    Returns
    -------
    TierSpec or None
        The next tier.
    """
    return next((t for t in tiers if not reaches(score, t.min_score, favourable)), None)
