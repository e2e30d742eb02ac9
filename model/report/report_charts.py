"""The report's charts: Altair specs rendered offline to SVG, sized to fit an A4 page.

vl-convert renders each chart; the SVG gets a ``viewBox`` so that a chart wider than the
page's text block scales down with ``max-width: 100%`` instead of being cut at the edge.
Control characters are removed from every text first (vl-convert aborts on them).
"""

from __future__ import annotations

import base64
import re
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from sesame_audit.model.audit.fairness import CLEAR, FOUR_FIFTHS, NO_FINDING, UNCERTAIN
from sesame_audit.model.importing.cells import printable

TOP_DRIVERS = 15
WIDTH = 340  # pixels of plot; labels and legend come on top, the whole scales to the page
_LABELS = alt.Axis(labelLimit=220)
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)" height="([\d.]+)"')


def printable_spec(node: Any) -> Any:
    """A chart spec with control characters removed from every text (vl-convert aborts)."""
    if isinstance(node, str):
        return printable(node)
    if isinstance(node, dict):
        return {printable_spec(k): printable_spec(v) for k, v in node.items()}
    if isinstance(node, list):
        return [printable_spec(v) for v in node]
    return node


def svg_data(chart: alt.TopLevelMixin) -> str:
    """A chart as a ``data:`` SVG image that scales to its box (it has a ``viewBox``)."""
    svg = vlc.vegalite_to_svg(printable_spec(chart.to_dict()))
    svg = _SIZE.sub(lambda m: f'<svg{m[1]} width="{m[2]}" height="{m[3]}" '
                              f'viewBox="0 0 {m[2]} {m[3]}"', svg, count=1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_charts(drivers: pd.DataFrame, privacy: pd.DataFrame, lowest: pd.DataFrame,
                  unit: str) -> dict[str, str]:
    """The report's three charts (drivers, privacy categories, lowest ratio per group).

    Parameters
    ----------
    drivers : pandas.DataFrame
        ``label`` and ``mean_abs``, largest first.
    privacy : pandas.DataFrame
        ``privacy`` and ``share``.
    lowest : pandas.DataFrame
        ``who``, ``ratio``, ``low``, ``high``, ``finding``: each group's lowest ratio.
    unit : str
        Unit of a SHAP value.

    Returns
    -------
    dict
        Name -> ``data:`` SVG image (``fairness`` empty when no ratio is shown).
    """
    top = drivers.head(TOP_DRIVERS)
    charts = {
        "drivers": svg_data(alt.Chart(top).mark_bar(color="#3b6fb6").encode(
            x=alt.X("mean_abs:Q", title=f"mean |SHAP| ({unit})"),
            y=alt.Y("label:N", sort=None, title=None, axis=_LABELS)).properties(width=WIDTH)),
        "privacy": svg_data(alt.Chart(privacy).mark_bar(color="#7a5195").encode(
            x=alt.X("share:Q", title="share of all movement", axis=alt.Axis(format="%")),
            y=alt.Y("privacy:N", sort=None, title=None, axis=_LABELS)).properties(width=WIDTH)),
        "fairness": "",
    }
    if len(lowest):
        base = alt.Chart(lowest).encode(y=alt.Y("who:N", sort=None, title=None, axis=_LABELS))
        bars = base.mark_bar().encode(
            x=alt.X("ratio:Q", title="lowest impact ratio over tiers, with its 95% interval",
                    scale=alt.Scale(domain=[0, 1.5], clamp=True)),
            color=alt.Color("finding:N", legend=alt.Legend(title="four-fifths finding",
                                                           orient="bottom"),
                            scale=alt.Scale(domain=[CLEAR, UNCERTAIN, NO_FINDING],
                                            range=["#c0392b", "#e6a23c", "#7f8c8d"])))
        whiskers = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
        rule = alt.Chart(pd.DataFrame({"x": [FOUR_FIFTHS]})).mark_rule(
            strokeDash=[4, 3]).encode(x="x:Q")
        charts["fairness"] = svg_data((bars + whiskers + rule).properties(width=WIDTH))
    return charts
