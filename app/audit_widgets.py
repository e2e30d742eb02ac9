"""Small drawing helpers shared by the audit pages."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from sesame_audit.app.audit_charts import display_table, number_formats
from sesame_audit.model.core.safe_text import to_csv_bytes


def table_expander(labels: Mapping[str, str], *frames: pd.DataFrame,
                   tiers: Sequence[tuple[str, float]] = ()) -> None:
    """Draw the numbers behind a chart as tables, in a closed expander, each with a CSV.

    The CSV is the page's own (Streamlit's built-in table export is switched off in
    ``.streamlit/config.toml``): text that a spreadsheet would read as a formula is quoted.

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
            shown = display_table(frame, labels, tiers)
            st.dataframe(shown, hide_index=True, column_config={
                column: st.column_config.NumberColumn(format=fmt)
                for column, fmt in number_formats(shown).items()})
            data = to_csv_bytes(shown)
            digest = hashlib.sha256(data).hexdigest()[:16]
            st.download_button("Download this table (CSV)", data, file_name=f"{digest}.csv",
                               mime="text/csv", key=f"csv_{digest}", on_click="ignore")
