"""A simulated data-donation campaign on a built population.

People request their own record from the operator (a subject-access request) and some of
them donate it. Who requests and who donates depends on who they are: a bias spec gives a
factor per trait (``urban=1.5`` makes urban people 1.5 times as likely to end up among the
donors, all else equal). Half of each factor acts on requesting and half on donating: the
requesters are a weighted sample of ``requests`` people (weights ``sqrt(w)``), and each
requester donates with probability ``response * sqrt(w) / mean(sqrt(w))`` (capped at 1), so
that about ``requests * response`` people donate and a person's overall chance is in
proportion to ``w``, the product of their traits' factors.

A donation holds what a subject-access record holds: the person's customer number, their
inputs as the operator reports them and the score (rounded to ``round_to``), plus the
sensitive attributes the donor chooses to state (each left blank with probability
``blank``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.core.roles import LOG_ODDS
from sesame_audit.model.runs.run import Run

SCORE = "score"
TRAITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "urban": ("hukou", ("urban",)),
    "rural": ("hukou", ("rural",)),
    "young": ("age_group", ("18-29",)),
    "old": ("age_group", ("60+",)),
    "educated": ("education", ("bachelor", "postgraduate")),
    "female": ("gender", ("female",)),
    "male": ("gender", ("male",)),
    "minority": ("ethnicity", ("minority_a", "minority_b")),
}
PRESETS: dict[str, dict[str, float]] = {
    "none": {},
    "mild": {"urban": 1.3, "young": 1.3, "educated": 1.5},
    "like-the-campaign": {"urban": 2.0, "young": 2.0, "educated": 3.0, "male": 1.4,
                          "old": 0.5, "minority": 0.6},
}
_UNITS = {LOG_ODDS: "log odds"}  # a roles file's unit takes no underscore
_PART = re.compile(r"\s*([A-Za-z_][\w-]*)(?::([^=]+))?\s*=\s*([0-9.eE+-]+)\s*")


@dataclass(frozen=True)
class Bias:
    """Who is more or less likely to donate: one factor per trait.

    Attributes
    ----------
    name : str
        The preset's name, or the spec as given.
    factors : dict
        ``(column, values) -> factor``: people whose ``column`` is one of ``values`` are
        ``factor`` times as likely to donate, all else equal.
    """

    name: str
    factors: dict[tuple[str, tuple[str, ...]], float]

    def weights(self, people: pd.DataFrame) -> np.ndarray:
        """Return each person's relative chance of donating (the product of the factors).

        Parameters
        ----------
        people : pandas.DataFrame
            The population.

        Returns
        -------
        numpy.ndarray
            Positive weights, one per person.

        Raises
        ------
        BadInputError
            When a trait's column is not in the population.
        """
        w = np.ones(len(people))
        for (column, values), factor in self.factors.items():
            if column not in people.columns:
                raise BadInputError(f"bias: the population has no column {column!r}")
            w *= np.where(people[column].astype(str).isin(values), factor, 1.0)
        return w

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {"name": self.name,
                "factors": [{"column": c, "values": list(v), "factor": f}
                            for (c, v), f in self.factors.items()]}


def parse_bias(spec: str) -> Bias:
    """Read a bias preset (``none``, ``mild``, ``like-the-campaign``) or a spec.

    A spec is a comma-separated list of ``TRAIT=FACTOR`` (traits: urban, rural, young, old,
    educated, female, male, minority) or ``COLUMN:VALUE=FACTOR``, e.g.
    ``"urban=1.5,young=1.3,education:postgraduate=2"``.

    Parameters
    ----------
    spec : str
        The preset's name or the spec.

    Returns
    -------
    Bias
        The factors.

    Raises
    ------
    BadInputError
        For an unknown trait or a factor that is not a positive number.

    Examples
    --------
    >>> parse_bias("urban=2").factors
    {('hukou', ('urban',)): 2.0}
    """
    text = spec.strip()
    if text in PRESETS:
        return Bias(text, {TRAITS[t]: f for t, f in PRESETS[text].items()})
    factors: dict[tuple[str, tuple[str, ...]], float] = {}
    for part in text.split(","):
        found = _PART.fullmatch(part)
        if found is None:
            raise BadInputError(f"bias: cannot read {part.strip()!r}; give a preset "
                                f"({', '.join(PRESETS)}) or TRAIT=FACTOR / COLUMN:VALUE=FACTOR")
        key, value, raw = found.groups()
        try:
            factor = float(raw)
        except ValueError:
            factor = float("nan")
        if not (np.isfinite(factor) and factor > 0):
            raise BadInputError(f"bias: the factor of {key!r} must be a positive number, "
                                f"got {raw!r}")
        if value is not None:
            factors[(key, (value.strip(),))] = factor
        elif key in TRAITS:
            factors[TRAITS[key]] = factor
        else:
            raise BadInputError(f"bias: unknown trait {key!r}; traits: {', '.join(TRAITS)}, "
                                "or COLUMN:VALUE=FACTOR")
    return Bias(text, factors)


def weighted_order(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return every position in the order of a weighted draw without replacement.

    The first ``m`` positions are a weighted sample of ``m`` (Efraimidis and Spirakis,
    2006: the largest keys ``u ** (1 / w)``), so one draw serves every sample size.

    Parameters
    ----------
    weights : numpy.ndarray
        Positive weights.
    rng : numpy.random.Generator
        Random numbers.

    Returns
    -------
    numpy.ndarray
        Positions, first drawn first.
    """
    keys = np.log(rng.random(len(weights))) / weights
    return np.argsort(-keys, kind="stable")


@dataclass(frozen=True)
class Campaign:
    """The donations of a simulated campaign, and how many asked and gave.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per donation: id, inputs, ``score``, stated sensitive attributes (blank
        when not stated).
    roles : dict
        The roles file of the table (see :mod:`importing.roles_file`).
    summary : dict
        ``run``, ``people``, ``requests``, ``response``, ``donations``, ``bias``, ``seed``,
        ``round_to``, ``blank``: counts only, no individual.
    """

    table: pd.DataFrame
    roles: dict[str, Any]
    summary: dict[str, Any]


def _check(requests: int, response: float, people: int, round_to: float, blank: float) -> None:
    if not 1 <= requests <= people:
        raise BadInputError(f"requests must be between 1 and the {people:,} people of the "
                            f"run, got {requests:,}")
    if not 0 < response <= 1:
        raise BadInputError(f"response must be a share in (0, 1], got {response:g}")
    if not (round_to >= 0 and np.isfinite(round_to)):
        raise BadInputError(f"round_to must be a number of points >= 0, got {round_to:g}")
    if not 0 <= blank < 1:
        raise BadInputError(f"blank must be a share in [0, 1), got {blank:g}")


def round_score(score: np.ndarray, round_to: float) -> np.ndarray:
    """Round scores to a multiple of ``round_to`` (unchanged when 0), as a record shows them.

    Parameters
    ----------
    score : numpy.ndarray
        Scores.
    round_to : float
        Step, e.g. 1 or 10 points; 0 keeps the scores.

    Returns
    -------
    numpy.ndarray
        Rounded scores.
    """
    if round_to == 0:
        return np.asarray(score, dtype=float)
    return np.round(np.asarray(score, dtype=float) / round_to) * round_to


def donor_rows(run: Run, bias: Bias, *, requests: int, response: float,
               rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Draw who requests their record and who donates it.

    Parameters
    ----------
    run : Run
        The population.
    bias : Bias
        Who is more likely to take part.
    requests : int
        People who request their record.
    response : float
        Average share of requesters who donate.
    rng : numpy.random.Generator
        Random numbers.

    Returns
    -------
    rows : numpy.ndarray
        Row positions of the donors, ascending.
    requested : int
        People who requested.
    """
    half = np.sqrt(bias.weights(run.people))
    asked = weighted_order(half, rng)[:requests]
    chance = np.minimum(1.0, response * half[asked] / half[asked].mean())
    return np.sort(asked[rng.random(len(asked)) < chance]), len(asked)


def simulate_campaign(run: Run, *, requests: int, response: float, bias: str | Bias = "mild",
                      seed: int = 0, round_to: float = 1.0, blank: float = 0.15) -> Campaign:
    """Simulate a donation campaign on a built run.

    Parameters
    ----------
    run : Run
        A run of this tool (synthetic or imported).
    requests : int
        People who request their record.
    response : float
        Average share of requesters who donate it.
    bias : str or Bias, default="mild"
        A preset or spec (see :func:`parse_bias`).
    seed : int, default=0
        Seed of every draw.
    round_to : float, default=1.0
        The record shows the score rounded to this step (0: as computed).
    blank : float, default=0.15
        Chance that a donor leaves a sensitive attribute blank (each attribute apart).

    Returns
    -------
    Campaign
        The donations, their roles file and the campaign's counts.

    Raises
    ------
    BadInputError
        For a bad count, share or bias.

    Examples
    --------
    >>> campaign = simulate_campaign(run, requests=30_000, response=0.1)  # doctest: +SKIP
    >>> len(campaign.table)  # doctest: +SKIP
    3012
    """
    _check(requests, response, run.n, round_to, blank)
    chosen = parse_bias(bias) if isinstance(bias, str) else bias
    rng = np.random.default_rng(seed)
    rows, requested = donor_rows(run, chosen, requests=requests, response=response, rng=rng)
    if len(rows) == 0:
        raise BadInputError("no one donated: raise requests or response")
    roles = run.roles
    people = run.people.iloc[rows].reset_index(drop=True)
    table = people[[roles.id, *roles.inputs]].copy()
    table[SCORE] = round_score(run.explanation.prediction[rows], round_to)
    sensitive = [c for c in roles.sensitive if c in people.columns]
    for column in sensitive:
        stated = people[column].astype(object)
        table[column] = stated.where(rng.random(len(stated)) >= blank, None)
    summary = {"run": run.path.name, "people": run.n, "requests": requested,
               "response": response, "donations": len(table), "bias": chosen.to_dict(),
               "seed": seed, "round_to": round_to, "blank": blank}
    return Campaign(table, donation_roles(run, sensitive), summary)


def donation_roles(run: Run, sensitive: list[str]) -> dict[str, Any]:
    """Return the roles file of a donation table drawn from ``run``.

    Parameters
    ----------
    run : Run
        The run the donations come from.
    sensitive : list of str
        Sensitive attributes the donors may state.

    Returns
    -------
    dict
        Roles as :mod:`importing.roles_file` reads them: id, target ``score``, inputs,
        sensitive, the score's range, tiers, labels and privacy categories.
    """
    roles = run.roles
    columns = [roles.id, *roles.inputs, *sensitive]
    return {
        "id": roles.id, "target": SCORE, "inputs": list(roles.inputs),
        "sensitive": sensitive, "task": "regression",
        "score_min": float(roles.score_min), "score_max": float(roles.score_max),
        "unit": _UNITS.get(roles.unit, roles.unit) or "score units",
        "tiers": [{"name": t.name, "min_score": float(t.min_score), "perk": t.perk}
                  for t in roles.tiers],
        "favourable": roles.favourable,
        "labels": {c: roles.label(c) for c in columns if c in roles.labels}
        | {SCORE: "Score as the record shows it"},
        "privacy": {c: roles.privacy[c] for c in columns if c in roles.privacy
                    and c != roles.id},
        "actionable": [c for c in roles.actionable if c in roles.inputs],
    }


def write_campaign(campaign: Campaign, out: str | Path, *,
                   margins: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the donations (CSV), their roles file and the campaign's counts beside them.

    Parameters
    ----------
    campaign : Campaign
        Output of :func:`simulate_campaign`.
    out : str or pathlib.Path
        The CSV file to write; the roles go to ``<stem>.roles.toml``, the counts to
        ``<stem>.campaign.json`` and ``margins`` (when given) to ``<stem>.margins.csv``.
    margins : pandas.DataFrame, optional
        Population shares of the sensitive groups (see :func:`donations.raking.margins_of`).

    Returns
    -------
    dict
        ``donations``, ``roles``, ``campaign`` (and ``margins``) -> path written.

    Raises
    ------
    BadInputError
        When ``out`` is not a ``.csv`` file name, its folder does not exist, or a file to
        write is already there (nothing is overwritten).
    """
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise BadInputError(f"--out must name a .csv file, got {path.name!r}")
    if not path.parent.is_dir():
        raise BadInputError(f"no folder {str(path.parent)!r} to write {path.name!r} into")
    stem = path.with_suffix("")
    written = {"donations": path, "roles": stem.with_suffix(".roles.toml"),
               "campaign": stem.with_suffix(".campaign.json")}
    if margins is not None:
        written["margins"] = stem.with_suffix(".margins.csv")
    there = [p.name for p in written.values() if p.exists() or p.is_symlink()]
    if there:
        raise BadInputError(f"{there[0]} already exists; choose another --out (nothing "
                            "is overwritten)")
    campaign.table.to_csv(path, index=False)
    written["roles"].write_text(tomli_w.dumps(campaign.roles), encoding="utf-8")
    written["campaign"].write_text(json.dumps(campaign.summary, indent=2) + "\n",
                                   encoding="utf-8")
    if margins is not None:
        margins.to_csv(written["margins"], index=False)
    return written


def campaign_counts(summary: Mapping[str, Any]) -> str:
    """Return one sentence on a campaign's counts.

    Parameters
    ----------
    summary : mapping
        :attr:`Campaign.summary`.

    Returns
    -------
    str
        E.g. "30,000 requested their record and 3,012 donated it (10.0%), bias 'mild'".
    """
    share = summary["donations"] / summary["requests"] if summary["requests"] else 0.0
    return (f"{summary['requests']:,} of {summary['people']:,} people requested their record "
            f"and {summary['donations']:,} donated it ({share:.1%}); bias "
            f"'{summary['bias']['name']}'")
