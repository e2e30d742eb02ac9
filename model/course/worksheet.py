"""A printable worksheet for one lesson: the question, where to look, room to answer, the run.

The worksheet names the run it was printed for (its identity line: name, source, people,
manifest hash, version, date, "synthetic data"), so that answers handed in can be checked
against the same numbers. It never holds the answer.
"""

from __future__ import annotations

from html import escape

from sesame_audit.model.core.pdf import html_to_pdf

ANSWER_LINES = 14
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  @page {{ size: A4; margin: 18mm 16mm; }}
  body {{ font-family: "DejaVu Sans", sans-serif; font-size: 11pt; color: #111; }}
  h1 {{ font-size: 17pt; margin: 0 0 0.3em; }}
  .run {{ font-size: 8.5pt; color: #444; overflow-wrap: anywhere; }}
  .question {{ font-size: 12.5pt; margin: 1.2em 0 0.6em; }}
  .hint {{ color: #444; }}
  .name {{ margin-top: 1.5em; }}
  .line {{ border-bottom: 1px solid #888; height: 2.1em; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="run">{run}</p>
<p class="name">Name: ______________________________ Date: ______________</p>
<p class="question">{question}</p>
<p class="hint">Where to look: {hint}</p>
<h2>Your answer</h2>
{lines}
<p class="run">Printed from Sesame Audit for the run above.</p>
</body></html>
"""


def worksheet_html(number: int, title: str, question: str, hint: str, run_line: str, *,
                   lines: int = ANSWER_LINES) -> str:
    """Return a lesson's worksheet as one self-contained HTML page (every text escaped).

    Parameters
    ----------
    number : int
        The lesson's number.
    title, question, hint : str
        The lesson's title, question and where to look in the dashboard.
    run_line : str
        The run's identity line (see :func:`runs.identity.identity_line`).
    lines : int, default=14
        Ruled lines left for the answer.

    Returns
    -------
    str
        HTML.
    """
    return _PAGE.format(title=escape(f"Lesson {number}: {title}"), run=escape(run_line),
                        question=escape(question), hint=escape(hint),
                        lines='<div class="line"></div>\n' * lines)


def worksheet_pdf(number: int, title: str, question: str, hint: str, run_line: str) -> bytes:
    """Return a lesson's worksheet as a PDF (see :func:`worksheet_html`).

    Parameters
    ----------
    number : int
        The lesson's number.
    title, question, hint : str
        The lesson's title, question and where to look.
    run_line : str
        The run's identity line.

    Returns
    -------
    bytes
        A one-page A4 PDF.

    Examples
    --------
    >>> pdf = worksheet_pdf(1, "The most penalised group", "Which group ...?",
    ...                     "Fairness page", "Run social-credit-n20000-s0 · ...")  # doctest: +SKIP
    """
    return html_to_pdf(worksheet_html(number, title, question, hint, run_line))
