"""Reading a user's table (CSV or Parquet) with a clear message for every way it can be wrong.

CSV files must be UTF-8 text with a header row; the delimiter is a comma unless told
otherwise. Values are read as written: spaces around text are kept (the model saw them) and
only an empty field is missing (``NA`` or ``null`` stay text). Parquet files are recognised
by their ``PAR1`` magic bytes; nested columns (struct, list, map) are refused.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sesame_audit.model.core.bad_input import MAX_BYTES, TableError, check_size
from sesame_audit.model.importing.cells import check_names

PARQUET_MAGIC = b"PAR1"
_OTHER_DELIMITERS = (";", "\t", "|")


def _decode(data: bytes, name: str) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TableError(f"{name} holds binary data (a NUL byte at position {nul:,}), not CSV "
                         "text; save the table as UTF-8 CSV or Parquet")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); "
            "re-save it as UTF-8 (e.g. from Latin-1 or Windows-1252)") from None


def _check_header(names: list[str], name: str) -> None:
    blank = [i + 1 for i, n in enumerate(names) if not str(n).strip()]
    if blank:
        raise TableError(f"{name}: column(s) number {', '.join(map(str, blank))} have no name "
                         "in the header row")
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:
        raise TableError(f"{name}: duplicated column name(s): {', '.join(map(repr, twice))}")
    check_names(names, name)


def _read_csv(text: str, name: str, delimiter: str) -> pd.DataFrame:
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise TableError(f"{name} is empty: no header row")
    header = next(csv.reader([first], delimiter=delimiter))
    if len(header) == 1:
        for other in _OTHER_DELIMITERS:
            if other != delimiter and other in first:
                shown = "\\t" if other == "\t" else other
                raise TableError(
                    f"{name}: the header has one column but contains {shown!r}: the file seems "
                    f"delimited by {shown!r}, not {delimiter!r}; pass that delimiter")
    _check_header([h.strip() for h in header], name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, index_col=False,
                                keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise TableError(f"{name}: rows do not match the header ({exc})".replace("\n", " ")
                         ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        source = pq.ParquetFile(pa.BufferReader(data))
        _check_header([str(n) for n in source.schema_arrow.names], name)
        for column in source.schema_arrow:
            if pa.types.is_nested(column.type) or pa.types.is_binary(column.type) \
                    or pa.types.is_large_binary(column.type):
                raise TableError(f"{name}: column {column.name!r} holds {column.type} values, "
                                 "not numbers or text; flatten or drop it first")
        return source.read().to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise TableError(f"{name} is not a readable Parquet file ({exc})".replace("\n", " ")
                         ) from None


def read_table(data: bytes, name: str, *, delimiter: str = ",",
               max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Read a CSV or Parquet table from its bytes, or say exactly what is wrong with it.

    Parameters
    ----------
    data : bytes
        Contents of the file.
    name : str
        File name: ``.parquet``/``.pq`` or Parquet magic bytes mean Parquet, anything else CSV.
    delimiter : str
        CSV delimiter (one character).
    max_bytes : int
        Largest accepted size.

    Returns
    -------
    pandas.DataFrame
        The table, with at least one row and one column.

    Raises
    ------
    TableError
        For an empty, binary, non-UTF-8, ragged or wrongly delimited file, blank or
        duplicated column names, or no rows.
    TooLargeError
        When the file is over ``max_bytes``.
    """
    check_size(len(data), name, max_bytes=max_bytes)
    if len(delimiter) != 1:
        raise TableError(f"the delimiter must be one character, got {delimiter!r}")
    if not data.strip():
        raise TableError(f"{name} is empty")
    parquet = data[:4] == PARQUET_MAGIC or Path(name).suffix.lower() in (".parquet", ".pq")
    frame = (_read_parquet(data, name) if parquet
             else _read_csv(_decode(data, name), name, delimiter))
    if frame.shape[1] == 0:
        raise TableError(f"{name} has no columns")
    if len(frame) == 0:
        raise TableError(f"{name} has a header but no rows")
    return frame
