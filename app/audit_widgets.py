"""Small drawing helpers shared by the audit pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from sesame_audit.app.audit_charts import display_table


def table_expander(labels: Mapping[str, str], *frames: pd.DataFrame,
                   tiers: Sequence[tuple[str, float]] = ()) -> None:
    """Draw the numbers behind a chart as tables, in a closed expander.

    Parameters
    ----------
    labels : mapping
        Column -> label.
    *frames : pandas.DataFrame
        Audit tables.
    tiers : sequence of (name, threshold)
        Tiers, to name per-tier columns.
    """
    with st.expander("The numbers, as a table"):
        for frame in frames:
            st.dataframe(display_table(frame, labels, tiers), hide_index=True)


def plain_markdown(text: str) -> str:
    """Return ``text`` with every Markdown and HTML sign escaped, to show data as written.

    Parameters
    ----------
    text : str
        Text that may hold names from data (groups, columns, labels).

    Returns
    -------
    str
        The text, each of ``\\ ` * _ { } [ ] ( ) # + - . ! | < > ~ $`` preceded by a
        backslash, so that ``st.markdown`` shows it literally.
    """
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>~$" else c for c in text)
