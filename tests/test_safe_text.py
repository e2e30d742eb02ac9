"""User text stays text: Markdown escaping and formula-safe CSV."""

from __future__ import annotations

import csv
import html
import io
import re

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from sesame_audit.model.core.safe_text import escape_markdown, formula_safe, to_csv_bytes

HOSTILE = [
    "![x](http://example.invalid/a.png)",
    "[click](http://example.invalid)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    ":material/home: and :red[alarm] and :smile:",
    "`code` and ``more``",
    "**bold** _it_ ~~gone~~ $x^2$ # not a heading | a | b |",
    "&lt;b&gt; & a@b.org www.example.invalid https://example.invalid",
    "- item\n1. item\n> quote",
]
WORD_JOINER = "\u2060"
# Streamlit's own patterns (frontend, StreamlitMarkdown): icons and emoji are found in the
# text after Markdown resolved escapes, so the text itself must not match them.
ICON = re.compile(r":material[_/](\w+):")
SHORTCODE = re.compile(r":[\w+-][\w_+-]*:")
DIRECTIVE = re.compile(r":\w+\[")
BARE_LINK = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.", re.IGNORECASE)


def _inline_text(source: str) -> str:
    """The text a CommonMark renderer puts on screen for ``source``."""
    tokens = MarkdownIt("commonmark").parse(source)
    return "".join(child.content for token in tokens if token.children
                   for child in token.children if child.type == "text")


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_the_text_itself(text: str) -> None:
    shown = MarkdownIt("commonmark").render(escape_markdown(text))
    one_line = re.sub(r"\s*\n\s*", " ", text)
    assert shown.replace(WORD_JOINER, "") == f"<p>{html.escape(one_line, quote=False)}</p>\n"
    for tag in ("<img", "<a ", "<script", "<code", "<strong", "<em", "<h1", "<li"):
        assert tag not in shown


@pytest.mark.parametrize("text", HOSTILE)
def test_no_streamlit_directive_or_bare_link_survives(text: str) -> None:
    source = escape_markdown(text)
    assert ":material/" not in source
    screen = _inline_text(source)
    for pattern in (ICON, SHORTCODE, DIRECTIVE, BARE_LINK):
        assert not pattern.search(screen), (pattern, screen)


def test_plain_words_are_unchanged() -> None:
    assert escape_markdown("Monthly income") == "Monthly income"
    assert escape_markdown(42) == "42"


def test_formula_cells_are_quoted_and_the_rest_untouched() -> None:
    frame = pd.DataFrame({
        "=HYPERLINK(\"http://example.invalid\")": ["a", "b", "c", "d", "e", "f", "g"],
        "group": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"],
        "points": [-3.5, 1.0, 2.0, -1.0, 0.0, 5.0, 6.0],
        "count": [1, 2, 3, 4, 5, 6, 7],
    })
    safe = formula_safe(frame)
    assert list(safe.columns) == ["'=HYPERLINK(\"http://example.invalid\")", "group", "points",
                                  "count"]
    assert list(safe["group"]) == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx",
                                   "plain"]
    assert list(safe["points"]) == [-3.5, 1.0, 2.0, -1.0, 0.0, 5.0, 6.0]
    assert list(safe["count"]) == list(range(1, 8))
    assert frame["group"].iloc[0] == "=1+1"  # the original is not changed
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8"), newline="")))
    assert rows[0][0] == "'=HYPERLINK(\"http://example.invalid\")"
    assert [r[1] for r in rows[1:]] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx",
                                        "'\rx", "plain"]
    assert [r[2] for r in rows[1:3]] == ["-3.5", "1.0"]  # a negative number stays a number
