"""Recourse: the smallest change a person can make to reach a reward tier under the model.

Only **actionable** inputs (``roles.actionable``) are ever changed: never ethnicity, age,
hukou, district, education, the length of a credit history or past defaults. Every
candidate value lies within the range observed in the population (its 2nd to 98th
percentiles, so that no proposal asks for the most extreme value anyone has, or one of its
observed categories), and every proposal is verified by re-predicting the changed person
with the model.

The cost of a change is how far it moves the person through the population: raising a
value past 10% of people costs 0.10 (mid-rank percentiles), switching a category costs
``CATEGORY_COST``. A change that moves a person past more than ``LARGE_MOVE`` of the
population (from a typical value to one only the richest tenth has, say) is reached under
the model but not plausible, and is shown as such, not as a way out. An input the roles
allow to change one way only (``roles.directions``: a debt paid down, never a shorter
credit history) is never proposed the other way.

The search is greedy (the change with the best points per cost first, the cheapest change
that reaches the tier when one does), then refined: any single change that lowers the cost
while still reaching the tier (undoing or shrinking a change) is taken, until none is left.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.core.roles import (
    FALL,
    LOW,
    POINTS,
    RISE,
    TierSpec,
    favourable_sign,
    next_tier,
)
from sesame_audit.model.figures.profile import ColumnProfile
from sesame_audit.model.person.explained import format_value
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.scoring import score_rows
from sesame_audit.model.runs.stored import profiles

CATEGORY_COST = 0.5
LARGE_MOVE = 0.5
COST_IN_WORDS = ("Cost counts how far the changes move this person through the population: "
                 "0.10 is moving past one person in ten; switching a category counts "
                 f"{CATEGORY_COST:g}.")
GRID_QUANTILES = np.array([0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.98])
MAX_STEPS = 8
MAX_REFINE = 12
MIN_GAIN = 0.5


@dataclass(frozen=True)
class Change:
    """One change of one actionable input.

    Attributes
    ----------
    feature : str
        The input changed.
    label : str
        Its label.
    before, after : object
        The person's value and the proposed one.
    cost : float
        Population-percentile points moved (``CATEGORY_COST`` for a category).
    privacy : str
        Privacy category of the input (a change of political posts or friends is a change
        of one's speech or relationships).
    text : str
        The change in plain words.
    plausible : bool
        False when the change moves the person past more than ``LARGE_MOVE`` of the
        population.
    """

    feature: str
    label: str
    before: Any
    after: Any
    cost: float
    privacy: str
    text: str
    plausible: bool = True


@dataclass(frozen=True)
class Recourse:
    """What one person could do to reach a tier.

    Attributes
    ----------
    person : object
        The person's id.
    score : float
        The model's score now.
    target : TierSpec or None
        The tier aimed at; None when every tier is already reached.
    reachable : bool
        Whether a change of actionable inputs reaches ``target`` under the model.
    changes : tuple of Change
        The proposed changes (empty when unreachable).
    new_score : float
        The model's score after the changes (the best score found when unreachable).
    cost : float
        Total cost of the changes.
    text : str
        The whole answer in plain words.
    """

    person: Any
    score: float
    target: TierSpec | None
    reachable: bool
    changes: tuple[Change, ...]
    new_score: float
    cost: float
    text: str

    @property
    def plausible(self) -> bool:
        """Whether the tier is reached with changes none of which is implausibly large."""
        return self.reachable and all(c.plausible for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        out = asdict(self)
        out["plausible"] = self.plausible
        out["person"] = plain(self.person)
        for change in out["changes"]:
            change["before"], change["after"] = plain(change["before"]), plain(change["after"])
        return out


@dataclass(frozen=True)
class _Space:
    """Candidate values and cost scales of the actionable inputs of one run."""

    features: tuple[str, ...]
    feature_of: np.ndarray        # candidate -> index into features
    value_of: list[Any]           # candidate -> value, None for "back to the person's own"
    scales: dict[str, ColumnProfile]
    categorical: frozenset[str]


def action_space(run: Run) -> _Space:
    """Return the actionable inputs of a run with their observed values and cost scales."""
    features = tuple(f for f in run.roles.actionable if f in run.roles.inputs)
    feature_of: list[int] = []
    value_of: list[Any] = []
    categorical = frozenset(f for f in features if f in run.roles.categorical)
    seen = profiles(run) if features else {}
    scales = {f: seen[f] for f in features if f not in categorical}
    for j, feature in enumerate(features):
        if feature in categorical:
            grid: list[Any] = seen[feature].categories
        else:
            points = scales[feature].quantile(GRID_QUANTILES)
            if run.roles.kinds.get(feature) in {"count", "bool"}:
                points = np.round(points)
            grid = [float(v) for v in np.unique(points)]
        for value in [*grid, None]:
            feature_of.append(j)
            value_of.append(value)
    return _Space(features, np.asarray(feature_of, dtype=np.int64), value_of, scales,
                  categorical)


def _cost(space: _Space, feature: str, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    if feature in space.categorical:
        return np.where(before.astype(str) == after.astype(str), 0.0, CATEGORY_COST)
    scale = space.scales[feature]
    return np.abs(scale.percentile(after.astype(np.float64))
                  - scale.percentile(before.astype(np.float64)))


def _candidates(space: _Space, current: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Every single-input change of every row: ``len(current) * n_candidates`` rows."""
    m, c = len(current), len(space.value_of)
    columns = {}
    for name in current.columns:
        base = np.repeat(current[name].to_numpy(), c).reshape(m, c)
        if name in space.features:
            j = space.features.index(name)
            own = original[name].to_numpy()
            if name not in space.categorical:
                base = base.astype(np.float64)
            for k in np.flatnonzero(space.feature_of == j):
                value = space.value_of[k]
                base[:, k] = own if value is None else value
        columns[name] = base.reshape(-1)
    frame = pd.DataFrame(columns)
    return frame.astype(current.dtypes.to_dict())


def total_cost(space: _Space, current: pd.DataFrame, original: pd.DataFrame) -> np.ndarray:
    """Return, per row, the summed cost of moving from ``original`` to ``current``."""
    total = np.zeros(len(current))
    for feature in space.features:
        total += _cost(space, feature, original[feature].to_numpy(), current[feature].to_numpy())
    return total


def largest_move(space: _Space, current: pd.DataFrame, original: pd.DataFrame) -> np.ndarray:
    """Return, per row, the cost of the largest single-input change among numeric inputs.

    Compared with ``LARGE_MOVE`` it tells a plausible way out from one that asks a person to
    move past most of the population (category switches count as plausible).
    """
    largest = np.zeros(len(current))
    for feature in space.features:
        if feature not in space.categorical:
            largest = np.maximum(largest, _cost(space, feature, original[feature].to_numpy(),
                                                current[feature].to_numpy()))
    return largest


def search(run: Run, stored: pd.DataFrame, targets: np.ndarray
           ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Search the cheapest actionable change that moves each row's score to its target.

    The score moves towards the favourable side: up to the target, or down to it when low
    scores are favourable (see :meth:`core.roles.Roles.reaches`).

    Parameters
    ----------
    run : Run
        A loaded run (its model is used to re-predict every candidate).
    stored : pandas.DataFrame
        The model inputs of the people to search for, one row each.
    targets : numpy.ndarray of float
        Threshold each row must reach.

    Returns
    -------
    changed : pandas.DataFrame
        The inputs after the proposed changes (unchanged rows where nothing helps).
    scores : numpy.ndarray
        The model's score of ``changed``.
    reached : numpy.ndarray of bool
        Whether each target is reached.
    """
    space = action_space(run)
    stored = stored[list(run.roles.inputs)].reset_index(drop=True)
    numeric = [f for f in space.features if f not in space.categorical]
    original = stored.astype(dict.fromkeys(numeric, np.float64))
    current = original.copy()
    scores = score_rows(run, current)
    targets = np.asarray(targets, dtype=np.float64)
    roles = run.roles
    if not space.features or len(stored) == 0:
        return stored, scores, roles.reaches(scores, targets)
    n_cand = len(space.value_of)
    worst = -np.inf * favourable_sign(roles.favourable)

    def step(active: np.ndarray, refine: bool) -> bool:
        if not active.any():
            return False
        idx = np.flatnonzero(active)
        cur, orig = current.iloc[idx], original.iloc[idx]
        cand = _candidates(space, cur, orig)
        pred = score_rows(run, cand).reshape(len(idx), n_cand)
        now_cost = total_cost(space, cur, orig)
        new_cost = np.empty_like(pred)
        for j, feature in enumerate(space.features):
            ks = np.flatnonzero(space.feature_of == j)
            before = orig[feature].to_numpy()
            cur_f = _cost(space, feature, before, cur[feature].to_numpy())
            cand_vals = cand[feature].to_numpy().reshape(len(idx), n_cand)[:, ks]
            new_cost[:, ks] = (now_cost - cur_f)[:, None] + _cost(space, feature,
                                                                  before[:, None], cand_vals)
            way = run.roles.directions.get(feature)
            if way in (RISE, FALL) and feature not in space.categorical:
                moved = cand_vals.astype(np.float64) - before[:, None].astype(np.float64)
                wrong = moved < 0 if way == RISE else moved > 0
                new_cost[:, ks] = np.where(wrong, np.inf, new_cost[:, ks])
        allowed = np.isfinite(new_cost)
        pred = np.where(allowed, pred, worst)
        reach = roles.reaches(pred, targets[idx, None])
        reach_cost = np.where(reach, new_cost, np.inf)
        best_reach = reach_cost.argmin(axis=1)
        can_reach = np.isfinite(reach_cost.min(axis=1))
        if refine:
            better = can_reach & (reach_cost.min(axis=1) < now_cost - 1e-9)
            pick = best_reach
        else:
            gain = roles.oriented(pred - scores[idx, None])
            with np.errstate(invalid="ignore"):  # inf / inf where a direction forbids
                ratio = np.where(gain > MIN_GAIN,
                                 gain / np.maximum(new_cost - now_cost[:, None], 1e-6), -np.inf)
            pick = np.where(can_reach, best_reach, ratio.argmax(axis=1))
            better = can_reach | np.isfinite(ratio.max(axis=1))
        chosen = np.flatnonzero(better)
        for j, feature in enumerate(space.features):
            sel = chosen[space.feature_of[pick[chosen]] == j]
            if len(sel):
                values = cand[feature].to_numpy()[sel * n_cand + pick[sel]]
                current.loc[idx[sel], feature] = values
        scores[idx[chosen]] = pred[chosen, pick[chosen]]
        return len(chosen) > 0

    for _ in range(MAX_STEPS):
        if not step(~roles.reaches(scores, targets), refine=False):
            break
    for _ in range(MAX_REFINE):
        if not step(roles.reaches(scores, targets), refine=True):
            break
    current = current.astype(stored.dtypes.to_dict())
    scores = score_rows(run, current)
    return current, scores, roles.reaches(scores, targets)


def _describe(kind: str, label: str, before: Any, after: Any) -> str:
    if kind == "share":
        shown_before, shown_after = f"{float(before):.1%}", f"{float(after):.1%}"
    else:
        shown_before = format_value(before, kind)
        shown_after = format_value(after, kind)
    if isinstance(after, str) or kind == "bool":
        return f"change {label} from {shown_before} to {shown_after}"
    verb = "raise" if float(after) > float(before) else "lower"
    text = f"{verb} {label} from {shown_before} to {shown_after}"
    if kind == "share":
        text += f" ({(float(after) - float(before)) * 100:+.1f} percentage points)"
    return text


def _changes(run: Run, space: _Space, original: pd.Series, changed: pd.Series) -> list[Change]:
    out = []
    for feature in space.features:
        before, after = original[feature], changed[feature]
        cost = float(_cost(space, feature, np.asarray([before]), np.asarray([after]))[0])
        same = (str(before) == str(after) if feature in space.categorical
                else np.isclose(float(before), float(after)))
        if same:
            continue
        kind = run.roles.kinds.get(feature, "")
        label = run.roles.label(feature)
        large = feature not in space.categorical and cost > LARGE_MOVE
        text = _describe(kind, label, before, after)
        if large:
            text += f" (past {cost:.0%} of people: not a plausible step)"
        out.append(Change(feature=feature, label=label, before=plain(before),
                          after=plain(after), cost=cost,
                          privacy=run.roles.privacy.get(feature, ""), text=text,
                          plausible=not large))
    return sorted(out, key=lambda c: -c.cost)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def find_recourse(run: Run, person_id: Any, *, target: str | None = None) -> Recourse:
    """Find the smallest actionable change that lifts a person to a tier.

    Parameters
    ----------
    run : Run
        A loaded run.
    person_id : object
        Value of the id column.
    target : str, optional
        Name of the tier to reach; defaults to the next tier above the person's score.

    Returns
    -------
    Recourse
        The changes, their cost and the re-predicted score, or a plain statement that no
        actionable change within the population's range suffices.

    Raises
    ------
    KeyError
        When no person has this id or no tier has the name ``target``.
    """
    record = run.person(person_id)
    person = record.row[run.roles.id].iloc[0]
    inputs = record.row[list(run.roles.inputs)]
    score = float(score_rows(run, inputs)[0])
    if target is None:
        tier = next_tier(score, run.roles.tiers, run.roles.favourable)
    else:
        tier = next((t for t in run.roles.tiers if t.name == target), None)
        if tier is None:
            raise KeyError(f"no tier named {target!r}; tiers: {', '.join(run.roles.tier_names)}")
    if tier is None:
        return Recourse(person, score, None, True, (), score, 0.0,
                        "This score already reaches every tier.")
    roles = run.roles
    threshold = units.format_threshold(tier.min_score, roles)
    if roles.reaches(score, tier.min_score):
        return Recourse(person, score, tier, True, (), score, 0.0,
                        f"This score ({units.format_value(score, roles)}) already reaches "
                        f"{tier.name} ({threshold}).")
    changed, scores, reached = search(run, inputs, np.array([tier.min_score]))
    space = action_space(run)
    at_most = "at most " if roles.favourable == LOW else ""
    aim = f"{tier.name.replace('_', ' ')} ({at_most}{threshold}" + (
        " points)" if roles.unit == POINTS else ")")
    gives = (f"{units.format_value(scores[0], roles)}, from "
             f"{units.format_value(score, roles)}")
    if not reached[0]:
        names = _join([roles.label(f) for f in space.features]) if space.features else ""
        text = (f"No change to what this person can act on reaches {aim}: the best found "
                f"gives {gives}."
                if names else f"This run lists no actionable input, so nothing reaches {aim}.")
        return Recourse(person, score, tier, False, (), float(scores[0]), float("nan"), text)
    changes = _changes(run, space, inputs.iloc[0], changed.iloc[0])
    text = (f"To reach {aim}: {_join([c.text for c in changes])}. The model then gives "
            f"{gives}.")
    if not all(c.plausible for c in changes):
        text += (f" Under the model the tier is reached, but only by moving past more than "
                 f"{LARGE_MOVE:.0%} of people in one input: for this person it is out of reach "
                 "in practice.")
    return Recourse(person, score, tier, True, tuple(changes), float(scores[0]),
                    float(sum(c.cost for c in changes)), text)
