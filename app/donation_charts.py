"""Charts and cached computations of the "Audit from donations" page."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from sesame_audit.app.audit_charts import OKABE_ITO
from sesame_audit.app.chart_style import band_height, finished, title_lines, wrapped_axis
from sesame_audit.model.audit.fairness import FOUR_FIFTHS
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.core.wording import readable
from sesame_audit.model.donations.campaign import Campaign, simulate_campaign
from sesame_audit.model.donations.donated import audit_campaign
from sesame_audit.model.donations.power import default_findings, power_curve
from sesame_audit.model.donations.raking import margins_of
from sesame_audit.model.runs.run import Run

ESTIMATES = ("donated", "weighted", "white-box")


@st.cache_data(show_spinner="Simulating the campaign and fitting the stand-in...")
def campaign_audit(_run: Run, key: str, requests: int, response: float, bias: str,
                   seed: int, k: int, refits: int) -> tuple[Campaign, dict[str, Any]]:
    """Simulate a campaign on the run and audit it (cached on the run and the settings)."""
    campaign = simulate_campaign(_run, requests=requests, response=response, bias=bias,
                                 seed=seed)
    _donated, audit = audit_campaign(_run, campaign, margins=margins_of(_run), k=k,
                                     refits=refits, bootstrap=100, seed=seed)
    return campaign, audit


@st.cache_data(show_spinner="Simulating campaigns of every size...")
def campaign_plan(_run: Run, key: str, sizes: tuple[int, ...], reps: int, k: int,
                  rules: bool) -> dict[str, Any]:
    """Power curves of the run's default findings, the hidden rules' only when ``rules``
    (cached on the run and the settings)."""
    findings = [f for f in default_findings(_run, k=k) if rules or f.kind != "rule"]
    return power_curve(_run, findings, sizes=sizes, reps=reps, k=k)


def without_rules(audit: dict[str, Any]) -> dict[str, Any]:
    """The audit with nothing about the hidden rules, for a session not in Teacher mode.

    Parameters
    ----------
    audit : dict
        Output of :func:`donations.donated.audit_campaign`.

    Returns
    -------
    dict
        A copy whose ``truth`` keeps the white-box comparison of findings only.
    """
    truth = audit.get("truth")
    if truth is None:
        return audit
    kept = {key: truth[key] for key in ("run", "findings", "counts")}
    return {**audit, "truth": kept}


def ratio_frame(audit: dict[str, Any], attribute: str, tier: str) -> pd.DataFrame:
    """Impact ratios of one attribute at one tier: as donated, weighted and white-box.

    Parameters
    ----------
    audit : dict
        Output of :func:`donations.donated.audit_campaign`.
    attribute : str
        A sensitive attribute.
    tier : str
        A tier.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``estimate`` (donated, weighted or white-box), ``ratio``, ``low``,
        ``high`` and ``n`` (donors; everyone for the white-box); hidden groups left out.
    """
    rows = []
    for row in audit["findings"]["impact_ratios"]:
        if row["attribute"] != attribute or row["tier"] != tier or row["ratio"] is None:
            continue
        rows.append({"group": row["group"], "estimate": "donated", "ratio": row["ratio"],
                     "low": row["low"], "high": row["high"], "n": row["n"]})
        if row.get("weighted_ratio") is not None:
            rows.append({"group": row["group"], "estimate": "weighted",
                         "ratio": row["weighted_ratio"], "low": row["weighted_low"],
                         "high": row["weighted_high"], "n": row["n"]})
    truth = audit.get("truth") or {}
    for row in truth.get("findings", []):
        if row["attribute"] == attribute and row["tier"] == tier:
            rows.append({"group": row["group"], "estimate": "white-box",
                         "ratio": row["whitebox"], "low": row["whitebox_low"],
                         "high": row["whitebox_high"], "n": row["whitebox_n"]})
    return pd.DataFrame(rows, columns=["group", "estimate", "ratio", "low", "high", "n"])


def ratio_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Dots and 95% intervals of the impact ratios, with the four-fifths line.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`ratio_frame`.
    title : str
        Chart title.

    Returns
    -------
    altair.LayerChart
        One row per group (its name in words), one colour per estimate.
    """
    shown = [e for e in ESTIMATES if e in set(frame["estimate"])]
    data = frame.assign(group=frame["group"].map(readable))
    base = alt.Chart(data)
    y = alt.Y("group:N", title=None, axis=wrapped_axis())
    colour = alt.Color("estimate:N", sort=shown, title="Estimate",
                       scale=alt.Scale(domain=shown, range=OKABE_ITO[:len(shown)]))
    offset = alt.YOffset("estimate:N", sort=shown)
    tooltip = [alt.Tooltip("group:N", title="Group"), alt.Tooltip("estimate:N", title="Estimate"),
               alt.Tooltip("ratio:Q", format=".2f", title="Impact ratio"),
               alt.Tooltip("low:Q", title="95% interval from", format=".2f"),
               alt.Tooltip("high:Q", title="95% interval to", format=".2f"),
               alt.Tooltip("n:Q", title="People", format=",")]
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title="Impact ratio (1 = as often as the reference group)"),
        x2="high:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip)
    dots = base.mark_point(filled=True, size=70, opacity=1).encode(
        x="ratio:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip)
    line = alt.Chart(pd.DataFrame({"x": [FOUR_FIFTHS]})).mark_rule(
        strokeDash=[4, 4], color="#555").encode(x="x:Q")
    groups = data["group"].nunique()
    under = data[data["ratio"] < FOUR_FIFTHS]
    return finished(alt.layer(bars, dots, line).properties(
        title=title_lines(title), height=band_height(groups, 14, per_band=len(shown), gap=12)),
        f"Impact ratios of {groups} groups as {', '.join(shown)} estimates, each with its "
        f"95% interval, against the four-fifths line at 0.8; {len(under)} of "
        f"{len(data)} estimates fall under it.")


def power_frame(plan: dict[str, Any], finding: str) -> pd.DataFrame:
    """The power curve of one finding, one row per bias and campaign size.

    Parameters
    ----------
    plan : dict
        Output of :func:`donations.power.power_curve`.
    finding : str
        A finding's name.

    Returns
    -------
    pandas.DataFrame
        ``bias``, ``donations``, ``power``, ``power_low``, ``power_high``, ``estimate``,
        ``error``, ``truth``.
    """
    frame = pd.DataFrame(plan["curve"])
    return frame[frame["finding"] == finding].drop(columns="finding").reset_index(drop=True)


def power_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Probability of detecting a finding against the number of donations, per bias.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`power_frame`.
    title : str
        Chart title.

    Returns
    -------
    altair.LayerChart
        Lines with 95% bands, a log scale of donations and the 80% line.
    """
    biases = list(dict.fromkeys(frame["bias"]))
    base = alt.Chart(frame)
    x = alt.X("donations:Q", title="Donations (log scale)",
              scale=alt.Scale(type="log", domain=[float(frame["donations"].min()) / 1.15,
                                                  float(frame["donations"].max()) * 1.15]),
              axis=alt.Axis(format=",", labelOverlap=True))
    colour = alt.Color("bias:N", sort=biases, title="Who donates more often",
                       scale=alt.Scale(range=OKABE_ITO[:len(biases)]),
                       legend=alt.Legend(symbolOpacity=1))
    tooltip = [alt.Tooltip("bias:N", title="Who donates more often"),
               alt.Tooltip("donations:Q", format=",", title="Donations"),
               alt.Tooltip("power:Q", format=".0%", title="Chance of detecting it"),
               alt.Tooltip("power_low:Q", title="95% low", format=".0%"),
               alt.Tooltip("power_high:Q", title="95% high", format=".0%"),
               alt.Tooltip("error:Q", title="Error (RMS)", format=".3f")]
    band = base.mark_area(opacity=0.2).encode(x=x, y="power_low:Q", y2="power_high:Q",
                                              color=colour)
    lines = base.mark_line(point=True).encode(
        x=x, y=alt.Y("power:Q", title="Chance of detecting it",
                     scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=colour, tooltip=tooltip)
    target = alt.Chart(pd.DataFrame({"y": [0.8]})).mark_rule(
        strokeDash=[4, 4], color="#555").encode(y="y:Q")
    reach = frame[frame["power"] >= 0.8].groupby("bias", sort=False)["donations"].min()
    said = "; ".join(f"{readable(b)}: {int(reach[b]):,} donations" if b in reach.index
                     else f"{readable(b)}: not within {int(frame['donations'].max()):,}"
                     for b in biases)
    return finished(alt.layer(band, lines, target).properties(title=title_lines(title),
                                                              height=240),
                    "Chance of detecting the finding against the number of donations, one "
                    f"line per donor bias, with the 80% line. Reaching 80%: {said}.")


def finding_words(name: str, roles: Roles) -> str:
    """A finding of the power curves in words, e.g. ``Ethnicity 'minority a' at dating``.

    Parameters
    ----------
    name : str
        The finding as written on the command line (``impact_ratio:ATTRIBUTE=GROUP@TIER``
        or ``rule:FEATURE``, see :class:`donations.power.Finding`).
    roles : Roles
        The run's roles, for the labels of attributes and inputs.

    Returns
    -------
    str
        The impact ratio of a group at a tier, or the hidden rule on an input, in words.
    """
    kind, _, rest = name.partition(":")
    if kind == "rule":
        return f"The hidden rule on {roles.label(rest).lower()}"
    attribute, _, group_tier = rest.partition("=")
    group, _, tier = group_tier.rpartition("@")
    return f"{roles.label(attribute)} '{readable(group)}' at {readable(tier)}"


def rules_frame(truth: dict[str, Any]) -> pd.DataFrame:
    """The stand-in's drivers beside the hidden rules' true contributions.

    Parameters
    ----------
    truth : dict
        ``truth`` of :func:`donations.donated.audit_campaign`.

    Returns
    -------
    pandas.DataFrame
        One row per input: label, whether a rule reads it, mean absolute true contribution,
        the stand-in's and the white-box model's mean |SHAP|, their correlation per donor
        and whether the rule is recovered.
    """
    frame = pd.DataFrame(truth["rules"])
    return frame[["label", "rule", "true_mean_abs", "standin_mean_abs", "whitebox_mean_abs",
                  "pearson", "recovered"]]


def verdict_frame(truth: dict[str, Any], attribute: str) -> pd.DataFrame:
    """Each donated ratio of one attribute beside the white-box one, with its verdict.

    Parameters
    ----------
    truth : dict
        ``truth`` of :func:`donations.donated.audit_campaign`.
    attribute : str
        A sensitive attribute.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`donations.truth.finding_verdicts` for the attribute.
    """
    frame = pd.DataFrame(truth["findings"])
    if frame.empty:
        return frame
    return frame[frame["attribute"] == attribute].reset_index(drop=True)
