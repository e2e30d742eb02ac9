"""Small drawing helpers shared by the audit pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from sesame_audit.app.audit_charts import display_table, number_formats


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
            table = display_table(frame, labels, tiers)
            st.dataframe(table, hide_index=True, column_config={
                column: st.column_config.NumberColumn(format=fmt)
                for column, fmt in number_formats(table).items()})
