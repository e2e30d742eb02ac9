"""Who the score penalises, in one plain sentence with its counts and 95% interval.

The Overview, Fairness and Proxies pages open with such a sentence, ``sesame-audit audit``
prints it first and the report leads with it; all of them call this module.

The group named is the one the four-fifths rule finds most clearly penalised: among the
groups shown (never one hidden by small-cell suppression, see :mod:`figures.suppress`) and
every tier, a clear finding (whole 95% interval under 0.8) comes before an uncertain one,
and then the lowest upper end of the impact ratio's interval (the strongest evidence), then
the lowest ratio.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sesame_audit.model.audit.fairness import CLEAR, UNCERTAIN, impact_ratios
from sesame_audit.model.audit.unawareness import UnawarenessGap
from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.core.units import tier_words
from sesame_audit.model.figures.groups import SEPARATOR, Attribute
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run

_RANK = {CLEAR: 0, UNCERTAIN: 1}


@dataclass(frozen=True, eq=False)
class Penalty:
    """The most clearly penalised group at one tier, against the tier's reference group.

    Attributes
    ----------
    attribute : str
        The attribute (or intersection, ``"a & b"``) whose groups are compared.
    group, reference : str
        The penalised group and the reference group (the most favoured large group).
    tier : str
        The tier.
    threshold : float
        The tier's threshold, on the score's scale.
    ratio, low, high : float
        The impact ratio (the group's share reaching the tier over the reference's) and
        its 95% interval.
    finding : str
        ``"clear"``, ``"uncertain"`` or ``"none"`` (see :func:`fairness.four_fifths_finding`).
    n, reached : int
        People in the group, and how many of them reach the tier.
    reference_n, reference_reached : int
        The same for the reference group.
    groups : pandas.DataFrame
        Every group shown at this tier (``group``, ``count``, ``reached``, ``share``,
        ``share_lower``, ``share_upper``, ``impact_ratio``, ``impact_lower``,
        ``impact_upper``, ``finding``) and ``role``: ``penalised``, ``reference`` or
        ``other``; suppressed groups are left out.
    """

    attribute: str
    group: str
    reference: str
    tier: str
    threshold: float
    ratio: float
    low: float
    high: float
    finding: str
    n: int
    reached: int
    reference_n: int
    reference_reached: int
    groups: pd.DataFrame = field(repr=False)

    @property
    def share(self) -> float:
        """Share of the group reaching the tier."""
        return self.reached / self.n

    @property
    def reference_share(self) -> float:
        """Share of the reference group reaching the tier."""
        return self.reference_reached / self.reference_n

    def to_json(self) -> dict[str, object]:
        """The figures of the penalty, JSON-ready (without the table of groups)."""
        return {"attribute": self.attribute, "group": self.group, "tier": self.tier,
                "threshold": self.threshold, "impact_ratio": self.ratio, "low": self.low,
                "high": self.high, "finding": self.finding, "n": self.n,
                "reached": self.reached, "reference": self.reference,
                "reference_n": self.reference_n, "reference_reached": self.reference_reached}


def most_penalised(ratios: pd.DataFrame, thresholds: Mapping[str, float]) -> Penalty | None:
    """Return the most clearly penalised shown group of some impact-ratio tables.

    Parameters
    ----------
    ratios : pandas.DataFrame
        Outputs of :func:`fairness.impact_ratios`, concatenated (one or more attributes).
    thresholds : mapping
        Tier -> threshold.

    Returns
    -------
    Penalty or None
        None when no group shown reaches any tier less often than its reference group.
    """
    shown = ratios[~ratios["suppressed"].astype(bool)]
    candidates = shown[shown["impact_ratio"].notna() & shown["reference"].notna()
                       & (shown["group"] != shown["reference"])
                       & (shown["impact_ratio"].astype(float) < 1.0)]
    if candidates.empty:
        return None
    ranked = candidates.assign(rank=candidates["finding"].map(_RANK).fillna(len(_RANK)))
    row = ranked.sort_values(["rank", "impact_upper", "impact_ratio", "attribute", "group",
                              "tier"], kind="stable").iloc[0]
    tier = shown[(shown["attribute"] == row["attribute"]) & (shown["tier"] == row["tier"])]
    reference = tier[tier["group"] == row["reference"]].iloc[0]
    roles = {row["group"]: "penalised", row["reference"]: "reference"}
    groups = tier.assign(role=tier["group"].map(roles).fillna("other"))[
        ["group", "count", "reached", "share", "share_lower", "share_upper", "impact_ratio",
         "impact_lower", "impact_upper", "finding", "role"]].reset_index(drop=True)
    return Penalty(
        attribute=str(row["attribute"]), group=str(row["group"]),
        reference=str(row["reference"]), tier=str(row["tier"]),
        threshold=float(thresholds[row["tier"]]), ratio=float(row["impact_ratio"]),
        low=float(row["impact_lower"]), high=float(row["impact_upper"]),
        finding=str(row["finding"]), n=int(row["count"]), reached=int(row["reached"]),
        reference_n=int(reference["count"]), reference_reached=int(reference["reached"]),
        groups=groups)


def penalty_of(run: Run, *, attributes: Sequence[Attribute] | None = None,
               k: int = DEFAULT_K) -> Penalty | None:
    """Return the most clearly penalised group of a run (see :func:`most_penalised`).

    Parameters
    ----------
    run : Run
        A loaded run.
    attributes : sequence of str or tuple of two str, optional
        Attributes (or intersections) compared; every sensitive attribute of the run, one
        at a time, by default.
    k : int, default=11
        Smallest group size shown.

    Returns
    -------
    Penalty or None
        None when the run has no sensitive attribute or no group is penalised.

    Examples
    --------
    >>> penalty = penalty_of(run)  # doctest: +SKIP
    >>> penalty_sentence(penalty, run.roles, run.roles.labels)  # doctest: +SKIP
    'A minority b person reaches the car rental tier (a score of 650 or more) 3.8 times ...'
    """
    if attributes is None:
        attributes = [a for a in run.roles.sensitive if a in run.columns]
    if not attributes:
        return None
    ratios = pd.concat([impact_ratios(run, a, k=k) for a in attributes], ignore_index=True)
    return most_penalised(ratios, {t.name: t.min_score for t in run.roles.tiers})


def plain(value: object) -> str:
    """A category, tier or group name in words: ``minority_b`` -> ``minority b``."""
    return str(value).replace("_", " ")


def attribute_words(attribute: str, labels: Mapping[str, str] | None = None) -> str:
    """An attribute's label, or the labels of an intersection's two columns, in lower case."""
    name = (labels or {}).get
    return " and ".join(name(c, plain(c)).lower() for c in attribute.split(SEPARATOR))


def _unbracketed(text: str) -> str:
    """Text to be put in brackets, without brackets of its own: ``age (band)`` -> ``age band``."""
    return re.sub(r"\s*\(([^()]*)\)", r" \1", text).strip()


def _article(word: str) -> str:
    """``a`` or ``an`` before a word as it is read out (``an 18-29``, ``an urban``)."""
    spoken = word.lower()
    vowel = spoken[:1] in tuple("aeio") or spoken.startswith(("8", "11", "18", "un", "und"))
    return f"an {word}" if vowel else f"a {word}"


def _times_less(ratio: float) -> str:
    if ratio < 0.5:
        return f"{1 / ratio:.1f} times less often than"
    return f"{1 - ratio:.0%} less often than"


def penalty_sentence(penalty: Penalty | None, roles: Roles,
                     labels: Mapping[str, str] | None = None) -> str:
    """Return who the score penalises in one plain sentence, with counts and the interval.

    Only a clear four-fifths finding (the whole 95% interval under 0.8) is told as a group
    reaching a tier less often; otherwise the sentence says that no group clearly does and
    gives the figures of the group nearest to a finding.

    Parameters
    ----------
    penalty : Penalty or None
        Output of :func:`penalty_of` or :func:`most_penalised`.
    roles : Roles
        The run's roles, to write the tier's threshold in the score's unit.
    labels : mapping, optional
        Column -> label, for the attribute.

    Returns
    -------
    str
        Plain text (no Markdown), e.g. "A minority b person (ethnicity) reaches the car
        rental tier (a score of 650 or more) 3.8 times less often than a majority person:
        6.1% of 1,204 people against 23.2% of 14,310. Impact ratio 0.26, 95% interval 0.22
        to 0.31: a clear four-fifths finding."
    """
    if penalty is None:
        return ("No group shown reaches a tier less often than its reference group (or the "
                "run has no sensitive attribute to compare groups by).")
    p = penalty
    who, reference = plain(p.group), plain(p.reference)
    tier = tier_words(p.tier, p.threshold, roles)
    about = _unbracketed(attribute_words(p.attribute, labels))
    counts = (f"{p.share:.1%} of {p.n:,} people against {p.reference_share:.1%} of "
              f"{p.reference_n:,}")
    if p.finding != CLEAR:
        text = (f"No group clearly falls behind its reference group in reaching {tier}. "
                f"Nearest to a finding: {who} people ({about}) against {reference} people, "
                f"{counts}.")
    elif p.reached == 0:
        text = (f"No {who} person ({about}) reaches {tier}: 0 of {p.n:,} people, against "
                f"{p.reference_share:.1%} of {p.reference_n:,} {reference} people.")
    else:
        opening = _article(who)
        text = (f"{opening[0].upper()}{opening[1:]} person ({about}) reaches {tier} "
                f"{_times_less(p.ratio)} {_article(reference)} person: {counts}.")
    interval = f"Impact ratio {p.ratio:.2f}, 95% interval {p.low:.2f} to {p.high:.2f}"
    if math.isnan(p.high):
        interval = f"Impact ratio {p.ratio:.2f}"
    verdict = {CLEAR: "the whole interval lies under 0.8, a clear four-fifths finding",
               UNCERTAIN: "under 0.8, but the interval reaches 0.8: too few people to be sure"
               }.get(p.finding, "within the four-fifths rule (0.8 or more)")
    return f"{text} {interval}: {verdict}."


def proxy_sentence(gap: UnawarenessGap, roles: Roles,
                   labels: Mapping[str, str] | None = None, *, top: int = 3) -> str:
    """Return how much of a gap between two groups comes through stand-ins, in plain words.

    Parameters
    ----------
    gap : UnawarenessGap
        Output of :func:`unawareness.unawareness_gap`, with two groups compared.
    roles : Roles
        The run's roles, to write the gap in the score's unit.
    labels : mapping, optional
        Column -> label, for the attribute and the proxies.
    top : int, default=3
        Most proxies named.

    Returns
    -------
    str
        Plain text (no Markdown): whether the model reads the attribute, the gap between
        the most and least favoured groups shown with their people and its 95% interval,
        and the share of it the proxies carry.
    """
    name = (labels or {}).get
    attribute = attribute_words(gap.attribute, labels)
    amount = units.format_change(gap.gap, roles, signed=False)
    interval = (f"{units.format_change(gap.gap_low, roles, signed=False)} to "
                f"{units.format_change(gap.gap_high, roles, signed=False)}")
    reading = gap.reading(labels)
    opening = (f"The model reads {attribute} {reading}, and" if reading else
               f"The model never reads {attribute}, yet")
    text = (f"{opening} {plain(gap.favoured)} people score {amount} "
            f"{roles.better_side} "
            f"{plain(gap.disfavoured)} people on average ({gap.n_favoured:,} and "
            f"{gap.n_disfavoured:,} people; 95% interval {interval}).")
    if gap.gap_low <= 0:  # the interval holds no gap: not a finding
        text = (f"The model {'reads' if reading else 'never reads'} {attribute}"
                f"{' ' + reading if reading else ''}; {plain(gap.favoured)} people score "
                f"{amount} {roles.better_side} {plain(gap.disfavoured)} people on average "
                f"({gap.n_favoured:,} and {gap.n_disfavoured:,} people), but the 95% "
                f"interval ({interval}) includes no gap at all: too few people, or too "
                "small a difference, to tell.")
    if not gap.proxies:
        return text + (f" No single input stands in for {attribute} (none reaches an AUC of "
                       f"{gap.threshold:.2f}).")
    strongest = gap.by_feature[gap.by_feature["is_proxy"]].sort_values(
        "gap_points", ascending=False)["feature"].head(top)
    named = ", ".join(name(f, plain(f)) for f in strongest)
    share = gap.share_through_proxies
    part = (f"{share:.0%} of that gap" if math.isfinite(share) and 0 <= share <= 1.5
            else units.format_change(gap.proxy_gap, roles, signed=False))
    return text + f" {part} comes through stand-ins for {attribute}: {named}."
