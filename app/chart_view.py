"""A chart's text alternative: the numbers behind it, as a table.

Every chart of the dashboard is drawn by :func:`run_banner.show_chart`, which puts a closed
expander under it with the chart's own data: the columns its tooltips show, under the tooltips'
titles and in their number formats. A screen-reader user (or anyone who wants the exact
figures) gets the same numbers as a sighted user hovering over the marks.
"""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import pandas as pd

NUMBERS_TITLE = "Numbers behind this chart"
_D3_FIXED = re.compile(r"^(?P<sign>\+?),?\.(?P<digits>\d+)(?P<kind>[f%])$")


def _printf(d3_format: str) -> tuple[str, float]:
    """A d3 number format as a printf format for ``st.column_config``, with a multiplier.

    ``".1%"`` becomes ``("%.1f%%", 100)``, ``"+.2f"`` ``("%+.2f", 1)``, ``","``
    ``("localized", 1)``; other formats are left to the table's default.
    """
    if d3_format == ",":
        return "localized", 1.0
    found = _D3_FIXED.match(d3_format)
    if found is None:
        return "", 1.0
    sign, digits = found["sign"], found["digits"]
    if found["kind"] == "%":
        return f"%{sign}.{digits}f%%", 100.0
    return f"%{sign}.{digits}f", 1.0


def _layers(chart: alt.TopLevelMixin) -> list[Any]:
    """The layers with an encoding of their own (none for facets and concatenations)."""
    if isinstance(chart, alt.LayerChart):
        return [layer for layer in chart.layer if isinstance(layer, alt.Chart)]
    return [chart] if isinstance(chart, alt.Chart) else []


def chart_numbers(chart: alt.Chart | alt.LayerChart) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table of a chart's numbers: the columns its tooltips show, titled as they are.

    The first layer with tooltips and a data frame gives the rows (layers inherit the
    chart's data); fields computed inside the chart (not in the frame) are left out.

    Parameters
    ----------
    chart : altair.Chart or altair.LayerChart
        A chart built by ``app.charts``, ``app.audit_charts`` or ``app.course_charts``.

    Returns
    -------
    frame : pandas.DataFrame
        One column per tooltip field, named by the tooltip's title; shares are in percent.
    formats : dict
        Column -> number format for ``st.column_config.NumberColumn``.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> data = pd.DataFrame({"group": ["a", "b"], "share": [0.25, 0.5]})
    >>> chart = alt.Chart(data).mark_bar().encode(
    ...     x="share:Q", y="group:N", tooltip=[alt.Tooltip("group:N", title="Group"),
    ...                                      alt.Tooltip("share:Q", title="Share",
    ...                                                  format=".0%")])
    >>> frame, formats = chart_numbers(chart)
    >>> frame["Share"].tolist(), formats
    ([25.0, 50.0], {'Share': '%.0f%%'})
    """
    for layer in _layers(chart):
        data = layer.data if isinstance(layer.data, pd.DataFrame) else chart.data
        tips = layer.encoding.tooltip if layer.encoding is not alt.Undefined else alt.Undefined
        if tips is alt.Undefined or not isinstance(data, pd.DataFrame):
            continue
        columns: dict[str, pd.Series] = {}
        formats: dict[str, str] = {}
        for tip in tips if isinstance(tips, list) else [tips]:
            field = str(tip["shorthand"]).split(":")[0]
            if field not in data.columns:
                continue
            title = tip["title"] if tip["title"] is not alt.Undefined else field
            title = str(title) or field
            fmt = tip["format"] if tip["format"] is not alt.Undefined else ""
            printf, times = _printf(str(fmt))
            values = data[field]
            columns[title] = values * times if times != 1 else values
            if printf:
                formats[title] = printf
        if columns:
            return pd.DataFrame(columns).reset_index(drop=True), formats
    return pd.DataFrame(), {}
