"""The headline chart: who reaches the tier where the score penalises a group most clearly.

A pure Altair builder from :class:`audit.headline.Penalty`; the penalised group in orange
(only on a clear four-fifths finding: otherwise in dark grey, as the group nearest to a
finding), the reference group in blue, the others in grey, every bar with its 95% interval
and its people written beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt

from sesame_audit.app.chart_style import band_height, finished, title_lines, wrapped_axis
from sesame_audit.app.charts import NEUTRAL, UP
from sesame_audit.model.audit.fairness import CLEAR
from sesame_audit.model.audit.headline import (
    Penalty,
    attribute_words,
    plain,
)
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.core.units import threshold_words, tier_words

PENALISED = "#D55E00"
NEAREST = "#555555"
ROLES = {"penalised": "penalised", "reference": "reference group", "other": "other groups"}
NOT_CLEAR = {**ROLES, "penalised": "nearest to a finding"}


def legend_words(penalty: Penalty) -> dict[str, str]:
    """Return how the chart's legend names each role: ``penalised`` only on a clear finding.

    Parameters
    ----------
    penalty : Penalty
        Output of :func:`audit.headline.penalty_of`.

    Returns
    -------
    dict
        Role (``penalised``, ``reference``, ``other``) -> legend entry.
    """
    return ROLES if penalty.finding == CLEAR else NOT_CLEAR


def penalty_chart(penalty: Penalty, roles: Roles, labels: Mapping[str, str] | None = None,
                  *, sentence: str = "") -> alt.LayerChart:
    """Bars of the share of each group shown reaching the tier of the headline.

    Parameters
    ----------
    penalty : Penalty
        Output of :func:`audit.headline.penalty_of`.
    roles : Roles
        The run's roles, for the tier's threshold.
    labels : mapping, optional
        Column -> label, for the attribute.
    sentence : str, optional
        The headline sentence, which opens the chart's description.

    Returns
    -------
    altair.LayerChart
        Bars, their 95% intervals and the people behind each bar.
    """
    data = penalty.groups.assign(
        name=penalty.groups["group"].map(plain),
        who=penalty.groups["role"].map(legend_words(penalty)),
        people=[f"{r:,} of {n:,}" for r, n in zip(penalty.groups["reached"],
                                                  penalty.groups["count"], strict=True)])
    order = data.sort_values("share")["name"].tolist()
    about = attribute_words(penalty.attribute, labels)
    words = threshold_words(penalty.threshold, roles)
    generated = tier_words(penalty.tier, penalty.threshold, roles) == words
    reaching = "the threshold" if generated else "the tier"
    if generated:  # the tier is named after its threshold
        title = title_lines(f"Who reaches {words}?", subtitle=f"by {about}")
    else:
        title = title_lines(f"Who reaches the {plain(penalty.tier)} tier?",
                            subtitle=f"{words}, by {about}")
    y = alt.Y("name:N", sort=order, title=None, axis=wrapped_axis())
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar().encode(
        x=alt.X("share:Q", title=[f"People reaching {reaching}", "(%, 95% interval)"],
                axis=alt.Axis(format="%"), scale=alt.Scale(domainMin=0)),
        color=alt.Color("who:N", title=None, scale=alt.Scale(
            domain=list(legend_words(penalty).values()),
            range=[PENALISED if penalty.finding == CLEAR else NEAREST, UP, NEUTRAL])),
        tooltip=[alt.Tooltip("name:N", title=about[:1].upper() + about[1:]),
                 alt.Tooltip("count:Q", title="People", format=","),
                 alt.Tooltip("reached:Q", title=f"Reaching {reaching}", format=","),
                 alt.Tooltip("share:Q", title="Share reaching", format=".1%"),
                 alt.Tooltip("share_lower:Q", title="95% interval from", format=".1%"),
                 alt.Tooltip("share_upper:Q", title="95% interval to", format=".1%"),
                 alt.Tooltip("impact_ratio:Q", title="Impact ratio", format=".2f")])
    whiskers = base.mark_rule(color="#000000").encode(x="share_lower:Q", x2="share_upper:Q")
    counts = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="share_upper:Q", text="people:N")
    return finished((bars + whiskers + counts).properties(
        title=title, height=band_height(len(data), 30)),
        (sentence + " " if sentence else "") + f"Bars of the share of each group reaching "
        f"{reaching}: " + "; ".join(f"{n} {s:.1%} ({p} people)" for n, s, p in zip(
            data["name"], data["share"], data["people"], strict=True)) + ".")
