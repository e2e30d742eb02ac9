"""A guided walkthrough for a class: questions whose answers come from the loaded run.

Every answer is computed by the audit functions (fairness, proxies, network, audit
findings, recourse) on the run at hand, never written in advance: change the run and the
answers change with it. A lesson that needs something the run lacks (a social graph, the
other preset's run) says so instead of answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sesame_audit.model.audit.fairness import CLEAR, FOUR_FIFTHS, impact_ratios
from sesame_audit.model.audit.network import NotAvailableError, friends_points, unfriend_gain
from sesame_audit.model.audit.proxies import proxy_strength
from sesame_audit.model.audit.recourse_burden import recourse_burden, recourse_sample
from sesame_audit.model.audit.unawareness import unawareness_gap
from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.core.wording import readable
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.person.recourse import COST_IN_WORDS
from sesame_audit.model.runs.destination import run_path
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import runs_root

PAIRED_PRESET = {"social-credit": "marketed", "marketed": "social-credit",
                 "proxy": "marketed"}
LESSON_TIER = "deposit_free"
RECOURSE_SAMPLE = 200
FAIL_WORDS = "group/tier pair(s) clearly fail the four-fifths rule"
"""Lesson 5's count, in the words of the Fairness page's sentence (``four_fifths_headline``)."""


@dataclass(frozen=True)
class Lesson:
    """One step of the walkthrough.

    Attributes
    ----------
    key : str
        Short identifier.
    title : str
        What the step is about.
    question : str
        What the class is asked.
    hint : str
        Where in the dashboard to look.
    answer : str
        The answer in plain words, computed from the run.
    figures : dict
        The numbers behind the answer (JSON-ready).
    available : bool
        False when the run lacks what the lesson needs (``answer`` says what).
    """

    key: str
    title: str
    question: str
    hint: str
    answer: str
    figures: dict[str, Any] = field(default_factory=dict)
    available: bool = True


def fairness_attribute(run: Run) -> str | None:
    """The sensitive attribute the Fairness page compares groups by as it opens.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    str or None
        The run's first sensitive attribute present in its table; None when there is none.
    """
    return next((a for a in run.roles.sensitive if a in run.columns), None)


def _tier(run: Run, tier: str | None) -> str:
    names = run.roles.tier_names
    if tier is not None and tier in names:
        return tier
    return LESSON_TIER if LESSON_TIER in names else names[len(names) // 2]


def penalised_group(run: Run, *, tier: str | None = None, k: int = DEFAULT_K) -> Lesson:
    """Lesson 1: which group reaches a tier least often, relative to the most favoured one?

    Parameters
    ----------
    run : Run
        A loaded run.
    tier : str, optional
        The tier looked at (default: deposit-free rentals, or the middle tier).
    k : int
        Smallest group shown.

    Returns
    -------
    Lesson
        The group with the lowest impact ratio over every sensitive attribute.
    """
    tier = _tier(run, tier)
    frames = [impact_ratios(run, a, k=k) for a in run.roles.sensitive if a in run.people]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    question = (f"Which group reaches the '{tier.replace('_', ' ')}' tier least often, "
                "compared with the group that reaches it most often?")
    hint = ("Fairness page, each choice of 'Compare groups by' in turn: the impact-ratio "
            "heatmap at that tier.")
    shown = table[(table["tier"] == tier) & ~table["suppressed"]] if len(table) else table
    shown = shown.dropna(subset=["impact_ratio"]) if len(shown) else shown
    if shown.empty:
        return Lesson("penalised", "The most penalised group", question, hint,
                      "No group is large enough to be shown in this run.", available=False)
    worst = shown.loc[shown["impact_ratio"].idxmin()]
    same = shown[shown["attribute"] == worst["attribute"]]
    best = same.loc[same["share"].idxmax()]
    verdict = ("below 0.8: it fails the four-fifths rule" if worst["impact_ratio"] < FOUR_FIFTHS
               else "not below 0.8: it passes the four-fifths rule")
    label = run.roles.label(str(worst["attribute"]))
    answer = (f"{label} '{readable(worst['group'])}': {worst['share']:.0%} reach "
              f"{readable(tier)}, against {best['share']:.0%} of '{readable(best['group'])}'. "
              f"Impact ratio {worst['impact_ratio']:.2f}, {verdict}.")
    figures = {"attribute": worst["attribute"], "group": worst["group"], "tier": tier,
               "share": float(worst["share"]), "favoured": best["group"],
               "favoured_share": float(best["share"]),
               "impact_ratio": float(worst["impact_ratio"])}
    return Lesson("penalised", "The most penalised group", question, hint, answer, figures)


def find_proxy(run: Run, attribute: str, *, strength: pd.DataFrame | None = None) -> Lesson:
    """Lesson 2: which input gives away a sensitive attribute best?

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        The sensitive attribute.
    strength : pandas.DataFrame, optional
        Output of :func:`audit.proxies.proxy_strength`, when already computed.

    Returns
    -------
    Lesson
        The strongest proxy of ``attribute`` and its strength.
    """
    strength = proxy_strength(run) if strength is None else strength
    label = run.roles.label(attribute)
    question = (f"The score never asks for {label.lower()}. Which input gives it away best?")
    hint = "Proxies page: how well each input alone predicts each sensitive attribute."
    rows = strength[(strength["attribute"] == attribute)
                    & (strength["feature"] != attribute)]
    if rows.empty:
        return Lesson("proxy", "The proxy", question, hint,
                      f"No input can be compared with {label.lower()} in this run.",
                      available=False)
    top = rows.sort_values("strength", ascending=False).iloc[0]
    answer = (f"{run.roles.label(str(top['feature']))}: alone it tells {label.lower()} apart "
              f"with an AUC of {top['strength']:.2f} (0.5 would be a coin toss, 1 a perfect "
              "give-away).")
    return Lesson("proxy", "The proxy", question, hint, answer,
                  {"attribute": attribute, "feature": top["feature"],
                   "strength": float(top["strength"])})


def unawareness(run: Run, attribute: str, *, k: int = DEFAULT_K,
                     strength: pd.DataFrame | None = None) -> Lesson:
    """Lesson 3: does leaving a sensitive attribute out of the model make it fair?

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        The sensitive attribute.
    k : int
        Smallest group shown.
    strength : pandas.DataFrame, optional
        Output of :func:`audit.proxies.proxy_strength`, when already computed.

    Returns
    -------
    Lesson
        The score gap between the groups and the share carried by proxies.
    """
    result = unawareness_gap(run, attribute, k=k, strength=strength)
    label = run.roles.label(attribute)
    reads = "reads" if result.is_input else "never reads"
    question = (f"The model {reads} {label.lower()}. Is the score therefore blind to it? "
                "How much of the gap between groups flows through proxies?")
    hint = "Proxies page: the unawareness test."
    if result.favoured is None:
        return Lesson("unawareness", "Fairness through unawareness", question, hint,
                      "Fewer than two groups are large enough to be compared.",
                      available=False)
    proxies = ", ".join(run.roles.label(f) for f in result.proxies) or "none found"
    answer = (f"No. '{result.favoured}' scores {result.gap:.0f} points "
              f"{run.roles.better_side} "
              f"'{result.disfavoured}' on average; {result.proxy_gap:.0f} of those points "
              f"({result.share_through_proxies:.0%}) come through the proxies ({proxies}).")
    return Lesson("unawareness", "Fairness through unawareness", question, hint, answer,
                  {"attribute": attribute, "is_input": result.is_input,
                   "favoured": result.favoured, "disfavoured": result.disfavoured,
                   "gap": result.gap, "proxy_gap": result.proxy_gap,
                   "share_through_proxies": result.share_through_proxies,
                   "proxies": list(result.proxies)})


def unfriend_someone(run: Run, *, candidates: int = 20) -> Lesson:
    """Lesson 4: what would the person most pulled down by friends gain by dropping one?

    Parameters
    ----------
    run : Run
        A loaded run.
    candidates : int
        People tried, most pulled down first, until one has a friend to drop.

    Returns
    -------
    Lesson
        The person, the friend dropped and the gain in points.
    """
    question = ("Find the person whose friends cost them most. What would they gain by "
                "dropping their lowest-scoring friend, and who is that friend?")
    hint = "Friends page: points from friends and the unfriending test."
    try:
        points = friends_points(run)
    except NotAvailableError as exc:
        return Lesson("unfriend", "Unfriend someone", question, hint,
                      f"Not in this run: {exc}.", available=False)
    for person in points.sort_values().index[:candidates]:
        try:
            gain = unfriend_gain(run, person, drop=1)
        except NotAvailableError as exc:
            return Lesson("unfriend", "Unfriend someone", question, hint,
                          f"Not in this run: {exc}.", available=False)
        except ValueError:
            continue
        answer = (f"Person {gain.person} loses {-points[person]:.0f} points to their friends. "
                  f"Dropping friend {gain.dropped[0]} (score {gain.dropped_scores[0]:.0f}) "
                  f"moves their score from {gain.score_before:.0f} to "
                  f"{gain.score_after:.0f}: {gain.gain:+.0f} points.")
        return Lesson("unfriend", "Unfriend someone", question, hint, answer,
                      {"person": plain(gain.person), "friends_points": float(points[person]),
                       "dropped": plain(gain.dropped[0]), "gain": gain.gain,
                       "score_before": gain.score_before, "score_after": gain.score_after})
    return Lesson("unfriend", "Unfriend someone", question, hint,
                  "Nobody pulled down by friends has a friend to spare.", available=False)


def paired_preset(run: Run) -> str | None:
    """The preset a run is compared with in lesson 5 (marketed <-> social-credit).

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    str or None
        A preset name; None for a run not built from a preset.
    """
    return PAIRED_PRESET.get(str(run.manifest.get("policy")))


def paired_run_path(run: Run, *, root: Path | None = None) -> Path | None:
    """Where the run of the paired preset would be, with the same size and seed.

    Parameters
    ----------
    run : Run
        A loaded run.
    root : pathlib.Path, optional
        Runs folder; defaults to :func:`runs.store.runs_root`.

    Returns
    -------
    pathlib.Path or None
        ``<preset>-n<N>-s<seed>``; None for a run that is not a preset (a custom policy or
        a user's own model).
    """
    other = paired_preset(run)
    if other is None or "n" not in run.manifest:
        return None
    return run_path(f"{other}-n{run.manifest['n']}-s{run.manifest.get('seed', 0)}",
                    root or runs_root())


def compare_presets(run: Run, other: Run | None, *, tier: str | None = None,
                    k: int = DEFAULT_K) -> Lesson:
    """Lesson 5: how much unfairness do the speculated rules add to the marketed ones?

    The figures are those the Fairness page shows as it opens (groups compared by the run's
    first sensitive attribute), in its words, so that a class finds them there.

    Parameters
    ----------
    run : Run
        The loaded run.
    other : Run or None
        The paired preset's run (see :func:`paired_run_path`); None when not built.
    tier : str, optional
        The tier whose impact ratios are compared (default: as in lesson 1).
    k : int
        Smallest group shown.

    Returns
    -------
    Lesson
        In both runs, the group/tier pairs of that attribute that clearly fail the
        four-fifths rule, and its group whose impact ratio at ``tier`` differs most
        between them.
    """
    this = str(run.manifest.get("policy", run.path.name))
    attribute = fairness_attribute(run)
    label = run.roles.label(attribute) if attribute is not None else "a sensitive attribute"
    question = ("Compare the rules the operator markets with the speculated social-credit "
                f"rules: comparing groups by {label.lower()}, how many group/tier pairs "
                "clearly fail the four-fifths rule under each?")
    target = PAIRED_PRESET.get(this)
    switch = other.path.name if other is not None else f"{target or 'other preset'}"
    hint = (f"Fairness page, groups compared by {label} (as it opens): the sentence on "
            "group/tier pairs that clearly fail the four-fifths rule, and the impact-ratio "
            f"heatmap. Then choose the run {switch} in the sidebar and read them again.")
    if other is None or attribute is None:
        need = (f"Build the '{target}' run of the same size to answer."
                if target else "This lesson needs a run built from a preset.")
        return Lesson("presets", "Marketed against social credit", question, hint,
                      need if attribute is not None else "This run has no sensitive attribute.",
                      available=False)
    that = str(other.manifest.get("policy", other.path.name))
    at = _tier(run, tier)
    mine, theirs = (impact_ratios(r, attribute, k=k) for r in (run, other))
    counts = {this: int((mine["finding"] == CLEAR).sum()),
              that: int((theirs["finding"] == CLEAR).sum())}
    answer = "; ".join(f"'{name}': {n} {FAIL_WORDS}" for name, n in counts.items())
    figures: dict[str, Any] = {"attribute": attribute, "flags": counts}
    both = (mine[(mine["tier"] == at) & ~mine["suppressed"]]
            .merge(theirs[(theirs["tier"] == at) & ~theirs["suppressed"]],
                   on="group", suffixes=("", "_other"))
            .dropna(subset=["impact_ratio", "impact_ratio_other"]))
    if len(both):
        row = both.loc[(both["impact_ratio_other"] - both["impact_ratio"]).abs().idxmax()]
        ratio, theirs_ratio = float(row["impact_ratio"]), float(row["impact_ratio_other"])
        answer += (f". The biggest difference: {label} '{readable(row['group'])}' at "
                   f"{readable(at)} has an impact ratio of {ratio:.2f} under '{this}' "
                   f"against {theirs_ratio:.2f} under '{that}'")
        figures["biggest"] = {"attribute": attribute, "group": row["group"], "tier": at,
                              "ratio": ratio, "other_ratio": theirs_ratio,
                              "difference": theirs_ratio - ratio}
    return Lesson("presets", "Marketed against social credit", question, hint, answer + ".",
                  figures)


def recourse_gap(run: Run, attribute: str, *, tier: str | None = None,
                 sample: int = RECOURSE_SAMPLE, k: int = DEFAULT_K,
                 found: pd.DataFrame | None = None) -> Lesson:
    """Lesson 6: can everyone below a tier act their way up, whatever their group?

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        The sensitive attribute.
    tier : str, optional
        The tier looked at (default: as in lesson 1).
    sample : int
        People searched (see :func:`audit.recourse_burden.recourse_sample`).
    k : int
        Smallest group shown.
    found : pandas.DataFrame, optional
        Output of :func:`audit.recourse_burden.recourse_sample`, when already computed.

    Returns
    -------
    Lesson
        The share of each group below the tier with any recourse, and its median cost.
    """
    tier = _tier(run, tier)
    found = recourse_sample(run, sample=sample) if found is None else found
    table = recourse_burden(run, attribute, found=found, k=k)
    label = run.roles.label(attribute)
    question = (f"Among people below '{tier.replace('_', ' ')}', who can reach it by changing "
                f"only what they control? Does it depend on {label.lower()}?")
    hint = "Recourse page: the burden of recourse by group."
    rows = table[(table["tier"] == tier) & ~table["suppressed"]]
    if rows.empty:
        return Lesson("recourse", "Who can do nothing?", question, hint,
                      f"Too few people below this tier in a sample of {sample:,}.",
                      available=False)
    parts = [f"'{readable(r.group)}' {r.share_with_recourse:.0%} (median cost "
             f"{r.median_cost:.2f})" for r in rows.itertuples()]
    answer = (f"In a sample of {min(sample, len(run.people)):,} people, the share of each "
              f"group below {readable(tier)} who can reach it by changing only what they "
              f"control: {'; '.join(parts)}. {COST_IN_WORDS} A group's median cost is over "
              "those of its people who can reach the tier. The rest of each group, the "
              "people no change within their control lifts to the tier, can do nothing the "
              "model rewards enough.")
    return Lesson("recourse", "Who can do nothing?", question, hint, answer,
                  {"tier": tier, "attribute": attribute,
                   "share_with_recourse": dict(zip(rows["group"], rows["share_with_recourse"],
                                                   strict=True))})


def lessons(run: Run, *, other: Run | None = None, k: int = DEFAULT_K) -> list[Lesson]:
    """The first five lessons, in order (the sixth, recourse, is slower: call it apart).

    Parameters
    ----------
    run : Run
        The loaded run.
    other : Run, optional
        The paired preset's run, for lesson 5.
    k : int
        Smallest group shown.

    Returns
    -------
    list of Lesson
        Penalised group, proxy, unawareness, unfriending, presets compared; lessons 2 and
        3 look at the attribute lesson 1 found.
    """
    first = penalised_group(run, k=k)
    attribute = str(first.figures.get("attribute", run.roles.sensitive[0]))
    strength = proxy_strength(run)
    return [first, find_proxy(run, attribute, strength=strength),
            unawareness(run, attribute, k=k, strength=strength),
            unfriend_someone(run), compare_presets(run, other, k=k)]
