"""Scoring policies: the hidden rules, declared in a TOML file a teacher can read and edit.

A policy is a base score plus additive terms. Each term reads one feature of the
population, passes it through a shape and scales it by a weight in score points::

    [[term]]
    feature = "payment_history"
    shape = "linear"          # linear | log | step | category
    lo = 0.5
    hi = 1.0
    weight = 120              # points between lo and hi

Shapes (``x`` is the feature value, the result is multiplied by ``weight``):

- ``linear``: ``clip((x - lo) / (hi - lo), 0, 1)``; values beyond ``hi`` are capped.
- ``log``: ``clip(log(x / lo) / log(hi / lo), 0, 1)``, for money (diminishing returns).
- ``step``: ``1`` when ``x >= threshold``, else ``0``.
- ``category``: ``1`` when ``x`` is one of ``values``, else ``0``.

A ``[friends]`` table sets guilt by association: ``weight`` points per point of the
friends' mean score above ``pivot``. Scores are a fixed point of this relation.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import tomli_w

from sesame_audit.datasets.dictionary import DICTIONARY

Shape = Literal["linear", "log", "step", "category"]
SHAPES: tuple[str, ...] = ("linear", "log", "step", "category")
PRESETS: tuple[str, ...] = ("marketed", "social-credit", "proxy")
FRIENDS_FEATURE = "friends_mean_score"

_SHAPE_PARAMS: dict[str, tuple[str, ...]] = {
    "linear": ("lo", "hi"),
    "log": ("lo", "hi"),
    "step": ("threshold",),
    "category": ("values",),
}
_TERM_KEYS = {"feature", "shape", "weight", "enabled", "why", "lo", "hi", "threshold", "values"}
_TOP_KEYS = {"name", "title", "description", "base", "noise", "min_score", "max_score",
             "term", "friends"}


class PolicyError(ValueError):
    """A policy file that cannot be used, with a message naming the term and the problem."""


@dataclass(frozen=True)
class Term:
    """One additive rule of a policy.

    Parameters
    ----------
    feature : str
        Population column the rule reads.
    shape : {"linear", "log", "step", "category"}
        How the value becomes a fraction of the weight.
    weight : float
        Score points at full effect (negative for a penalty).
    lo, hi : float, optional
        Range of ``linear`` and ``log`` shapes.
    threshold : float, optional
        Threshold of a ``step``.
    values : tuple of str
        Categories of a ``category`` rule.
    enabled : bool
        A disabled term contributes nothing (used by the policy editor).
    why : str
        What the rule stands for, in plain words.
    """

    feature: str
    shape: Shape
    weight: float
    lo: float | None = None
    hi: float | None = None
    threshold: float | None = None
    values: tuple[str, ...] = ()
    enabled: bool = True
    why: str = ""

    def apply(self, x: pd.Series | np.ndarray) -> np.ndarray:
        """Return the term's contribution in points for each value of its feature.

        Parameters
        ----------
        x : pandas.Series or numpy.ndarray
            Values of ``feature``.

        Returns
        -------
        numpy.ndarray of float64
            Points, ``weight`` times the shape (zero when disabled).
        """
        if not self.enabled:
            return np.zeros(len(x))
        if self.shape == "category":
            fraction = np.isin(np.asarray(x, dtype=object), list(self.values)).astype(float)
        else:
            v = np.asarray(x, dtype=float)
            if self.shape == "linear":
                fraction = np.clip((v - self.lo) / (self.hi - self.lo), 0.0, 1.0)
            elif self.shape == "log":
                ratio = np.maximum(v, self.lo) / self.lo
                fraction = np.clip(np.log(ratio) / math.log(self.hi / self.lo), 0.0, 1.0)
            else:
                fraction = (v >= self.threshold).astype(float)
        return self.weight * fraction


@dataclass(frozen=True)
class Friends:
    """Guilt by association: points per point of the friends' mean score above a pivot."""

    weight: float = 0.0
    pivot: float = 600.0


@dataclass(frozen=True)
class Policy:
    """A complete set of hidden rules.

    Parameters
    ----------
    name : str
        Short name (a preset name or the file's stem).
    title : str
        One-line title.
    description : str
        What the policy stands for.
    base : float
        Score of a person with zero contribution from every term.
    terms : tuple of Term
        The additive rules; at most one per feature.
    friends : Friends
        Weight of the friends' mean score.
    noise : float
        Standard deviation of the noise added to the published score, in points.
    min_score, max_score : float
        Range of the published score.
    """

    name: str
    title: str
    description: str
    base: float
    terms: tuple[Term, ...]
    friends: Friends = field(default_factory=Friends)
    noise: float = 10.0
    min_score: float = 350.0
    max_score: float = 950.0

    @property
    def active_terms(self) -> tuple[Term, ...]:
        """Terms that are switched on."""
        return tuple(t for t in self.terms if t.enabled)

    @property
    def features(self) -> tuple[str, ...]:
        """Features read by active terms, the friends' mean score included when weighted."""
        names = [t.feature for t in self.active_terms]
        if self.friends.weight:
            names.append(FRIENDS_FEATURE)
        return tuple(names)

    def with_term(self, feature: str, **changes: object) -> Policy:
        """Return a copy with the term on ``feature`` changed (e.g. ``weight=0``).

        Parameters
        ----------
        feature : str
            Feature of the term to change.
        **changes
            Fields of :class:`Term` to replace.

        Returns
        -------
        Policy
            The edited policy, validated.
        """
        if feature not in {t.feature for t in self.terms}:
            raise PolicyError(f"policy {self.name!r} has no term on feature {feature!r}")
        terms = tuple(replace(t, **changes) if t.feature == feature else t for t in self.terms)
        edited = replace(self, terms=terms)
        validate(edited)
        return edited


def _finite_number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return float(value)


def _term(i: int, raw: object) -> Term:
    where = f"term {i + 1}"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: expected a table with feature, shape and weight")
    feature = raw.get("feature")
    if isinstance(feature, str):
        where = f"term {i + 1} ({feature})"
    unknown = set(raw) - _TERM_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("feature", "shape", "weight"):
        if key not in raw:
            raise PolicyError(f"{where}: missing {key!r}")
    if not isinstance(feature, str) or feature not in DICTIONARY:
        raise PolicyError(f"{where}: unknown feature {feature!r}")
    column = DICTIONARY[feature]
    if column.role != "input" or feature == FRIENDS_FEATURE:
        hint = " (use the [friends] table)" if feature == FRIENDS_FEATURE else ""
        raise PolicyError(f"{where}: {feature!r} is not a feature a rule may read{hint}")
    shape = raw["shape"]
    if shape not in SHAPES:
        raise PolicyError(f"{where}: unknown shape {shape!r}; use one of {', '.join(SHAPES)}")
    weight = _finite_number(where, "weight", raw["weight"])
    if abs(weight) > 1000:
        raise PolicyError(f"{where}: weight {weight:g} is beyond the 600-point score range")
    for key in _SHAPE_PARAMS[shape]:
        if key not in raw:
            raise PolicyError(f"{where}: shape {shape!r} needs {key!r}")
    kwargs: dict[str, object] = {}
    if shape == "category":
        values = raw["values"]
        if (not isinstance(values, list) or not values
                or not all(isinstance(v, str) for v in values)):
            raise PolicyError(f"{where}: 'values' must be a non-empty list of strings")
        if column.kind != "category":
            raise PolicyError(f"{where}: shape 'category' needs a categorical feature")
        bad = [v for v in values if v not in column.categories]
        if bad:
            raise PolicyError(
                f"{where}: unknown value(s) {bad}; {feature} takes {list(column.categories)}")
        kwargs["values"] = tuple(values)
    elif column.kind == "category":
        raise PolicyError(f"{where}: categorical feature needs shape 'category'")
    elif shape == "step":
        kwargs["threshold"] = _finite_number(where, "threshold", raw["threshold"])
    else:
        lo = _finite_number(where, "lo", raw["lo"])
        hi = _finite_number(where, "hi", raw["hi"])
        if hi <= lo:
            raise PolicyError(f"{where}: 'hi' ({hi:g}) must be greater than 'lo' ({lo:g})")
        if shape == "log" and lo <= 0:
            raise PolicyError(f"{where}: shape 'log' needs 'lo' > 0, got {lo:g}")
        kwargs.update(lo=lo, hi=hi)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise PolicyError(f"{where}: 'enabled' must be true or false")
    why = raw.get("why", "")
    if not isinstance(why, str):
        raise PolicyError(f"{where}: 'why' must be text")
    return Term(feature=feature, shape=shape, weight=weight, enabled=enabled, why=why,
                **kwargs)  # type: ignore[arg-type]


def parse_policy(text: str, *, name: str = "custom") -> Policy:
    """Parse and validate a policy from TOML text.

    Parameters
    ----------
    text : str
        Contents of a policy file.
    name : str
        Name used when the file has no ``name`` key.

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    PolicyError
        When the TOML is malformed or a term is invalid; the message names the term.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file is not valid TOML: {exc}") from None
    except RecursionError:
        raise PolicyError("policy file is not valid TOML: arrays or tables nested too deeply"
                          ) from None
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise PolicyError(f"unknown top-level key(s) {sorted(unknown)}")
    terms_raw = raw.get("term", [])
    if not isinstance(terms_raw, list) or not terms_raw:
        raise PolicyError("a policy needs at least one [[term]]")
    terms = tuple(_term(i, t) for i, t in enumerate(terms_raw))
    friends_raw = raw.get("friends", {})
    if not isinstance(friends_raw, dict) or set(friends_raw) - {"weight", "pivot"}:
        raise PolicyError("[friends] takes only 'weight' and 'pivot'")
    friends = Friends(
        weight=_finite_number("[friends]", "weight", friends_raw.get("weight", 0.0)),
        pivot=_finite_number("[friends]", "pivot", friends_raw.get("pivot", 600.0)),
    )
    policy = Policy(
        name=str(raw.get("name", name)),
        title=str(raw.get("title", name)),
        description=str(raw.get("description", "")),
        base=_finite_number("policy", "base", raw.get("base", 600.0)),
        terms=terms,
        friends=friends,
        noise=_finite_number("policy", "noise", raw.get("noise", 10.0)),
        min_score=_finite_number("policy", "min_score", raw.get("min_score", 350.0)),
        max_score=_finite_number("policy", "max_score", raw.get("max_score", 950.0)),
    )
    validate(policy)
    return policy


def validate(policy: Policy) -> None:
    """Check the rules that involve several terms or the whole policy.

    Parameters
    ----------
    policy : Policy
        The policy to check.

    Raises
    ------
    PolicyError
        When two terms read the same feature, the friends' weight would not converge, the
        noise is negative or the score range is empty.
    """
    seen: set[str] = set()
    for t in policy.terms:
        if t.feature in seen:
            raise PolicyError(
                f"term ({t.feature}): feature {t.feature!r} is used by two terms; "
                "combine them into one")
        seen.add(t.feature)
    if not 0.0 <= policy.friends.weight < 0.9:
        raise PolicyError(
            f"[friends]: 'weight' must be in [0, 0.9), got {policy.friends.weight:g}; "
            "at 1 or more the scores have no fixed point")
    if policy.noise < 0 or policy.noise > 200:
        raise PolicyError(f"policy: 'noise' must be in [0, 200] points, got {policy.noise:g}")
    if not policy.min_score < policy.max_score:
        raise PolicyError("policy: 'min_score' must be below 'max_score'")


def load_policy(spec: str | Path) -> Policy:
    """Load a preset by name or a policy file by path.

    Parameters
    ----------
    spec : str or pathlib.Path
        ``"marketed"``, ``"social-credit"``, ``"proxy"`` or a path to a ``.toml`` file.

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    PolicyError
        When the preset is unknown, the file is missing or unreadable, or invalid.
    """
    if str(spec) in PRESETS:
        policies = resources.files("sesame_audit.datasets.policies")
        text = policies.joinpath(f"{spec}.toml").read_text("utf-8")
        return parse_policy(text, name=str(spec))
    path = Path(spec)
    if not path.is_file():
        raise PolicyError(
            f"no preset or policy file named {str(spec)!r}; presets: {', '.join(PRESETS)}")
    if path.stat().st_size > 1_000_000:
        raise PolicyError(f"{path.name}: a policy file over 1 MB is not a policy")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path.name}: not a UTF-8 text file") from None
    return parse_policy(text, name=path.stem)


def policy_to_toml(policy: Policy) -> str:
    """Write a policy as TOML text that :func:`parse_policy` reads back to an equal policy.

    Every value is written by ``tomli_w``, so any text (a title with a newline, quotes or
    control characters) comes back as it was.

    Parameters
    ----------
    policy : Policy
        The policy to write.

    Returns
    -------
    str
        TOML text.
    """
    top = {k: getattr(policy, k) for k in
           ("name", "title", "description", "base", "noise", "min_score", "max_score")}
    parts = [tomli_w.dumps(top),
             "[friends]\n" + tomli_w.dumps({"weight": policy.friends.weight,
                                             "pivot": policy.friends.pivot})]
    for t in policy.terms:
        term = {}
        for key in ("feature", "shape", "weight", "lo", "hi", "threshold", "values",
                    "enabled", "why"):
            value = getattr(t, key)
            if value is None or value == () or (key == "why" and not value):
                continue
            term[key] = list(value) if isinstance(value, tuple) else value
        parts.append("[[term]]\n" + tomli_w.dumps(term))
    return "\n".join(parts)


def describe_term(term: Term) -> str:
    """Return a term in plain words, e.g. "Bills paid on time: up to +120 points ...".

    Parameters
    ----------
    term : Term
        The rule to describe.

    Returns
    -------
    str
        One sentence.
    """
    label = DICTIONARY[term.feature].label
    sign = "+" if term.weight >= 0 else "-"
    points = f"{sign}{abs(term.weight):g} points"
    if term.shape == "category":
        rule = f"{points} if {label} is {' or '.join(term.values)}"
    elif term.shape == "step":
        rule = f"{points} if {label} is at least {term.threshold:g}"
    elif term.shape == "linear":
        rule = f"{label}: from 0 at {term.lo:g} to {points} at {term.hi:g} (capped)"
    else:
        rule = (f"{label}: from 0 at {term.lo:g} to {points} at {term.hi:g}, "
                "growing with the logarithm (capped)")
    state = "" if term.enabled else " [switched off]"
    return rule + state
