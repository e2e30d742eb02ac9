"""Find and read one row of a Parquet table by its id, without reading the table.

Each row group records the smallest and largest id it holds; only the row groups whose range
covers the id are opened, and of those only the id column until the row is found. For a
population written in id order that is one row group of the id column, then one row group
of the wanted columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class RowPosition:
    """Where a row lives: which file and row group, and its position in the whole table."""

    file: int
    row_group: int
    offset: int
    row: int


def _typed(value: object, kind: pa.DataType) -> object | None:
    """``value`` converted to the id column's type, or None when it cannot be one."""
    try:
        if pa.types.is_integer(kind):
            number = float(value) if isinstance(value, str) else value
            as_int = int(number)  # type: ignore[call-overload]
            return as_int if as_int == number else None
        if pa.types.is_floating(kind):
            return float(value)  # type: ignore[arg-type]
        return str(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _may_hold(statistics: pq.Statistics | None, value: object) -> bool:
    if statistics is None or not statistics.has_min_max:
        return True
    try:
        return bool(statistics.min <= value <= statistics.max)
    except TypeError:
        return True


def locate(files: Sequence[Path], column: str, value: object) -> RowPosition | None:
    """Return where the first row whose ``column`` equals ``value`` is, or None.

    Parameters
    ----------
    files : sequence of pathlib.Path
        The table's Parquet files, in row order.
    column : str
        The id column.
    value : object
        The id looked for; converted to the column's type (``"42"`` finds 42).

    Returns
    -------
    RowPosition or None
        File, row group, offset in the row group and row position in the whole table.
    """
    before = 0
    for f, path in enumerate(files):
        handle = pq.ParquetFile(path)
        index = handle.schema_arrow.get_field_index(column)
        if index < 0:
            raise KeyError(f"{path.name} has no column {column!r}")
        wanted = _typed(value, handle.schema_arrow.field(index).type)
        meta = handle.metadata
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            if wanted is not None and _may_hold(meta.row_group(g).column(index).statistics,
                                                wanted):
                ids = handle.read_row_group(g, columns=[column]).column(0).to_numpy(
                    zero_copy_only=False)
                hits = np.flatnonzero(ids == wanted)
                if len(hits):
                    return RowPosition(f, g, int(hits[0]), before + int(hits[0]))
            before += rows
    return None


def read_position(files: Sequence[Path], row: int, columns: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Read the one row at position ``row`` of a table split over files and row groups.

    Parameters
    ----------
    files : sequence of pathlib.Path
        The table's Parquet files, in row order.
    row : int
        Row position in the whole table.
    columns : sequence of str, optional
        Columns to read (all by default).

    Returns
    -------
    pandas.DataFrame
        One row, with the stored dtypes.

    Raises
    ------
    IndexError
        When the table has fewer rows.
    """
    start = 0
    for path in files:
        handle = pq.ParquetFile(path)
        meta = handle.metadata
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            if start <= row < start + rows:
                group = handle.read_row_group(g, columns=list(columns) if columns else None)
                return group.slice(row - start, 1).to_pandas()
            start += rows
    raise IndexError(f"row {row} is past the end of the table ({start:,} rows)")


def count_rows(files: Sequence[Path]) -> int:
    """Return the number of rows of a table split over files, from their metadata only.

    Parameters
    ----------
    files : sequence of pathlib.Path
        The table's Parquet files.

    Returns
    -------
    int
        Total rows.
    """
    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)
