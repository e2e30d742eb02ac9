"""Text from data, uploads and policies made safe where it is shown: Markdown and CSV.

A label, a column name, a group value or a policy title is whatever its author typed. Shown
through Markdown it could become an image fetched from another host, a link, an HTML tag or
one of Streamlit's directives (``:material/icon:``, ``:red[text]``); written into a CSV
that a spreadsheet opens, a cell starting with ``=`` could become a formula. The two
functions here turn such text back into text.
"""

from __future__ import annotations

import re
import string

import pandas as pd

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_WORD_JOINER = "\u2060"
# Where Markdown renderers look for shortcodes, icons, directives and bare links in the
# text itself, after escapes are resolved: an escaped colon or at sign touching a character,
# and "www." at the start of a word (matched in the escaped text, where "." is "\.").
_SPLIT_AT = re.compile(r"(?<=\\[:@])(?=\S)|(?<=\bwww)(?=\\\.)", re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def escape_markdown(text: object) -> str:
    """Escape text so that Markdown (Streamlit's included) shows it exactly as written.

    Every ASCII punctuation character gets a backslash, so no emphasis, code, heading,
    list, table, link, image (``![``), HTML tag (``<``), entity (``&``) or math (``$``)
    can start; a word joiner (U+2060, invisible) follows every ``:`` and ``@`` that touches
    a character and splits ``www.``, because Streamlit and GitHub-flavoured Markdown find
    emoji shortcodes, ``:material/...:`` icons, ``:color[...]`` directives, bare URLs and
    e-mail addresses in the text after escapes are resolved. Line breaks become spaces: a
    label is one line.

    Parameters
    ----------
    text : object
        Any value; it is shown as ``str(text)``.

    Returns
    -------
    str
        Markdown source that renders as the original text.

    Examples
    --------
    >>> print(escape_markdown("**bold** <b>"))
    \\*\\*bold\\*\\* \\<b\\>
    """
    plain = re.sub(r"\s*[\r\n]+\s*", " ", str(text))
    escaped = _PUNCTUATION.sub(r"\\\1", plain)
    return _SPLIT_AT.sub(_WORD_JOINER, escaped)


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose text cells cannot be read as spreadsheet formulas.

    A text cell (column name included) that starts with ``=``, ``+``, ``-``, ``@``, a tab or
    a carriage return gets a leading single quote, as spreadsheets themselves mark text;
    numbers (negative ones included) and every other cell are left as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        The same table with formula-leading text quoted.
    """
    def quote(value: object) -> object:
        return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) \
            else value

    safe = frame.copy()
    safe.columns = [quote(c) for c in safe.columns]
    for column in safe.columns:
        values = safe[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            safe[column] = values.map(quote).astype(object) if len(values) else values
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV, formula-leading text quoted (see :func:`formula_safe`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    bytes
        The CSV, without the index; lines end in CRLF (RFC 4180), so that a cell holding a
        lone carriage return is quoted rather than cut in two.
    """
    return formula_safe(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")
