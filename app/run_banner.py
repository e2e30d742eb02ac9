"""The run a page shows, named under its title and on every chart it draws.

Charts carry the run's name, manifest hash and date in their subtitle (and in ``usermeta``),
so that a chart saved as PNG or SVG from its menu still says which run it comes from.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from sesame_audit.app.chart_view import NUMBERS_TITLE, chart_numbers
from sesame_audit.model.core.roles import POINTS, PROBABILITY, Roles
from sesame_audit.model.core.units import change_label
from sesame_audit.model.runs.identity import identity_line, run_identity
from sesame_audit.model.runs.run import Run

STAMP_WRAP = 56  # characters per subtitle line: a phone's width in the chart's small font
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def _plain(text: str) -> str:
    """Text with every Markdown character escaped, so that it shows as typed."""
    return _MARKDOWN.sub(r"\\\1", text)


def identity_of(run: Run) -> dict[str, Any]:
    """The run's identity (see :func:`runs.identity.run_identity`), kept with the run."""
    if "identity" not in run.memo:
        run.memo["identity"] = run_identity(run)
    return run.memo["identity"]


def show_run(run: Run) -> None:
    """Draw the run's name, source, people, manifest hash, version and date as a caption.

    Parameters
    ----------
    run : Run
        The run the page shows.
    """
    st.caption(_plain(identity_line(identity_of(run))))


def stamped(chart: Any, run: Run) -> Any:
    """Return ``chart`` with the run's identity in its subtitle and ``usermeta``.

    The subtitle's last lines name the run and its manifest hash, then the date,
    "synthetic data" where it is and the tool that drew it, in lines short enough for a
    phone, so that a chart saved as PNG or SVG stands on its own.

    Parameters
    ----------
    chart : altair chart
        Any top-level Altair chart (single, layered or concatenated).
    run : Run
        The run it was drawn from.

    Returns
    -------
    altair chart
        A copy naming the run.
    """
    who = identity_of(run)
    source = [who["date"]] if who["date"] else []
    source += ["synthetic data"] if who["synthetic"] else []
    source += [f"source: Sesame Audit {who['tool_version']}"]
    stamp = [*textwrap.wrap(f"Run {who['name']} · manifest {who['manifest_hash']}",
                            STAMP_WRAP), *textwrap.wrap(" · ".join(source), STAMP_WRAP)]
    title = chart.title
    if isinstance(title, alt.TitleParams):
        text, subtitle = title.text, title.subtitle
    elif isinstance(title, str | list):
        text, subtitle = title, alt.Undefined
    else:
        text, subtitle = " ", alt.Undefined
    lines = [] if subtitle is alt.Undefined else (
        [subtitle] if isinstance(subtitle, str) else list(subtitle))
    return chart.properties(
        title=alt.TitleParams(text=text, subtitle=[*lines, *stamp], anchor="start"),
        usermeta={"run": who["name"], "manifest_sha256": who["manifest_sha256"],
                  "tool_version": who["tool_version"], "date": who["date"],
                  "synthetic": who["synthetic"]})


def in_unit(frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """Return a table whose ``points`` columns are named (and scaled) for the run's unit.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table from ``model/`` whose columns named with ``points`` hold score changes.
    roles : Roles
        The run's roles.

    Returns
    -------
    pandas.DataFrame
        The same table for a run in points; else those columns renamed after
        :func:`core.units.change_label` (and in percentage points for a probability).
    """
    if roles.unit == POINTS:
        return frame
    label, factor = change_label(roles).replace(" ", "_"), 1.0
    if roles.unit == PROBABILITY:
        factor = 100.0
    columns = [c for c in frame.columns if "points" in str(c)]
    scaled = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") * factor
                             for c in columns})
    return scaled.rename(columns={c: str(c).replace("points", label) for c in columns})


def _title_text(chart: Any) -> str:
    """A chart's title as one line of text (``a chart`` when it has none)."""
    title = chart.title
    text = title.text if isinstance(title, alt.TitleParams) else title
    if isinstance(text, list):
        text = " ".join(map(str, text))
    return str(text) if isinstance(text, str) and text.strip() else "a chart"


def show_chart(run: Run, chart: Any, where: Any = None, *, numbers: pd.DataFrame | None = None,
               formats: dict[str, str] | None = None, **options: Any) -> None:
    """Draw a chart stamped with its run, as wide as its container, with its numbers below.

    The numbers sit in a closed expander under the chart (see
    :func:`chart_view.chart_numbers`): the text alternative of what the chart draws.

    Parameters
    ----------
    run : Run
        The run the chart comes from (named in the subtitle, see :func:`stamped`).
    chart : altair chart
        The chart.
    where : streamlit container, optional
        Where to draw (a column, say); the page by default.
    numbers : pandas.DataFrame, optional
        A table to show instead of the chart's own tooltip columns (e.g. a summary of a
        sample of thousands of dots).
    formats : dict, optional
        Column -> printf number format of ``numbers``.
    **options
        Passed to ``altair_chart`` (``width="stretch"`` unless given).
    """
    place = where if where is not None else st
    options.setdefault("width", "stretch")
    if chart.description is alt.Undefined:  # a screen reader gets at least the title
        chart = chart.properties(description=f"Chart: {_title_text(chart)}")
    place.altair_chart(stamped(chart, run), **options)
    frame, found = chart_numbers(chart) if numbers is None else (numbers, formats or {})
    if frame.empty:
        return
    config = {column: st.column_config.NumberColumn(format=fmt)
              for column, fmt in found.items()}
    with place.expander(NUMBERS_TITLE):
        st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
