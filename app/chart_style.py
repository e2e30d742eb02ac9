"""How every chart of the dashboard is laid out and written: width, legends, wrapping, units.

No streamlit here. Every chart leaves its builder through :func:`finished`: a text
alternative (the ``description`` a screen reader announces), the width of its container,
legends under the plot and long labels wrapped, so that it reads on a phone as on a
desktop. Axis titles and tooltips carry the run's unit through the ``*_unit`` helpers.
"""

from __future__ import annotations

import textwrap
from typing import TypeVar

import altair as alt

from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles

POINTS = "score points"
WIDTH = "container"
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
LABEL_LIMIT = 180
LEGEND_LABEL_LIMIT = 200  # px: a legend starts after the y labels, about 185 px into a phone
WRAP_AT = 24
TITLE_WRAP = 36
# Legends under the plot, one under the other from its left edge: side by side, a second
# legend ran past a phone's screen.
STACKED_LEGENDS = {"expr": "{bottom: {anchor: 'start', direction: 'vertical'}}"}

AnyChart = TypeVar("AnyChart", alt.Chart, alt.LayerChart)


def wrapped_axis(**kwargs: object) -> alt.Axis:
    """An axis whose labels longer than ``WRAP_AT`` characters break onto a second line.

    Labels are cut at the last space before ``WRAP_AT``; what still does not fit in
    ``LABEL_LIMIT`` pixels ends in an ellipsis (every chart's tooltip has the full text).

    Parameters
    ----------
    **kwargs
        Other properties of the axis.

    Returns
    -------
    altair.Axis
        The axis.
    """
    cut = f"lastindexof(slice(datum.label, 0, {WRAP_AT}), ' ')"
    wrap = (f"length(datum.label) > {WRAP_AT} && {cut} > 0 ? "
            f"[slice(datum.label, 0, {cut}), slice(datum.label, {cut} + 1)] : datum.label")
    return alt.Axis(labelExpr=wrap, labelLimit=LABEL_LIMIT, labelOverlap=False, **kwargs)


def title_lines(text: str, *, subtitle: str | None = None) -> alt.Title:
    """A chart title broken into lines of at most ``TITLE_WRAP`` characters.

    Vega never wraps a title, so a long one is cut at the edge of a phone's screen.

    Parameters
    ----------
    text : str
        The title.
    subtitle : str, optional
        A line under it, wrapped the same way.

    Returns
    -------
    altair.Title
        The title, one string per line.
    """
    lines = textwrap.wrap(text, TITLE_WRAP) or [text]
    if subtitle is None:
        return alt.Title(lines)
    return alt.Title(lines, subtitle=textwrap.wrap(subtitle, TITLE_WRAP + 10) or [subtitle])


def band_height(bands: int, step: float, *, per_band: int = 1, gap: float = 0.0) -> int:
    """The height in pixels of a chart with ``bands`` rows of ``per_band`` bars each.

    A height in pixels rather than a Vega-Lite step: with a step, Vega-Lite drops the fitting
    of a chart to its container's width with a warning, whatever ``autosize`` says.

    Parameters
    ----------
    bands : int
        Rows on the discrete axis.
    step : float
        Pixels per bar.
    per_band : int, default=1
        Bars per row (groups side by side within a row).
    gap : float, default=0.0
        Extra pixels between rows.

    Returns
    -------
    int
        The height.
    """
    return int(max(bands, 1) * (per_band * step + gap))


def finished(chart: AnyChart, description: str) -> AnyChart:
    """Return a chart ready to draw: described, as wide as its container, legends below.

    Parameters
    ----------
    chart : altair.Chart or altair.LayerChart
        The chart.
    description : str
        What the chart shows, in words: the aria-label of the drawn chart.

    Returns
    -------
    altair.Chart or altair.LayerChart
        The chart with its description, ``width="container"``, ``fit-x`` sizing (a height
        set by a step stays, instead of being dropped) and legends under the plot, one
        under the other, their entries listed downwards so that they fit a phone's width.
    """
    return chart.properties(description=description, width=WIDTH, autosize=FIT_WIDTH
                            ).configure_legend(orient="bottom", direction="vertical",
                                               labelLimit=LEGEND_LABEL_LIMIT,
                                               titleLimit=LEGEND_LABEL_LIMIT,
                                               layout=STACKED_LEGENDS)


def level_unit(roles: Roles | None) -> str:
    """The unit of a score axis: ``score points`` when no roles are given."""
    return POINTS if roles is None else units.unit_label(roles)


def change_unit(roles: Roles | None) -> str:
    """The unit of a push or gap: ``score points`` when no roles are given."""
    return POINTS if roles is None else units.change_label(roles)


def level_format(roles: Roles | None) -> str:
    """The d3 format of a score (percentages for a probability)."""
    return ".1%" if roles is not None and roles.unit == units.PROBABILITY else ".4~g"


def change_scale(roles: Roles | None) -> float:
    """The factor that turns a change into its unit (100 for percentage points)."""
    return 100.0 if roles is not None and roles.unit == units.PROBABILITY else 1.0


def level_axis(roles: Roles | None, **options: object) -> alt.Axis:
    """The axis of a score: percentages for a probability."""
    if roles is not None and roles.unit == units.PROBABILITY:
        return alt.Axis(format="%", **options)
    return alt.Axis(**options)


def cutoff_axis(roles: Roles) -> tuple[str, alt.Axis]:
    """The title and axis of a decision cutoff, read as the thresholds are typed.

    A log-odds run's thresholds are typed as probabilities, so its cutoff axis keeps the
    log-odds spacing and labels each tick with its probability.

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    title : str
        The axis title.
    axis : altair.Axis
        The axis.
    """
    if roles.unit == units.LOG_ODDS:
        return ("Cutoff (probability, on the log-odds scale)",
                alt.Axis(labelExpr="format(1 / (1 + exp(-datum.value)), '.0%')"))
    return f"Cutoff ({units.unit_label(roles)})", level_axis(roles)


def threshold_text(value: float, roles: Roles | None) -> str:
    """A tier's threshold as typed (no decimals for points)."""
    return f"{value:.0f}" if roles is None else units.format_threshold(value, roles)


def level_text(value: float, roles: Roles | None) -> str:
    """A score in words for a chart's description: in the run's unit, points by default."""
    return f"{value:.0f} points" if roles is None else units.format_value(value, roles)


def change_text(value: float, roles: Roles | None) -> str:
    """A push on the score in words for a chart's description (signed, in its unit)."""
    return f"{value:+.1f} points" if roles is None else units.format_change(value, roles)
