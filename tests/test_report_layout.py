"""The PDF report's layout, read from the text positions poppler finds in it.

Every word must lie inside its page (no table column or chart label cut at the edge), and
every sha256 of the run's files must come out whole, on one line, so that it can be copied.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sesame_audit.model.audit.findings import audit_findings
from sesame_audit.model.report.document import write_report

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftotext) is not installed")

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" '
                   r'yMax="([-\d.]+)">([^<]*)</word>')


def _words(pdf: Path) -> list[tuple[int, float, float, float, float, float, float, str]]:
    """(page, page width, page height, x0, y0, x1, y1, text) of every word of a PDF."""
    layout = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                            capture_output=True, text=True).stdout
    found = []
    for number, (width, height, body) in enumerate(_PAGE.findall(layout), 1):
        for x0, y0, x1, y1, text in _WORD.findall(body):
            found.append((number, float(width), float(height), float(x0), float(y0),
                          float(x1), float(y1), html.unescape(text)))
    return found


@pytest.fixture(scope="module")
def social_pdf(social_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "social.pdf"
    return write_report(social_run, audit_findings(social_run), "pdf", out)


def test_no_text_runs_past_the_page(social_pdf: Path) -> None:
    words = _words(social_pdf)
    assert len(words) > 500  # the text was found: the test would pass on an empty PDF
    outside = [(page, text, round(x0), round(x1)) for page, width, height, x0, y0, x1, y1, text
               in words if x0 < 0 or y0 < 0 or x1 > width + 0.5 or y1 > height + 0.5]
    assert not outside, outside[:20]


def test_the_wide_fairness_table_is_on_landscape_pages(social_pdf: Path) -> None:
    words = _words(social_pdf)
    pages = {page: (width, height) for page, width, height, *_ in words}
    fairness = {page for page, *_, text in words if text == "Fairness"}
    assert fairness
    page = min(fairness)
    width, height = pages[page]
    assert width > height  # landscape: the tiers' columns fit side by side


def test_hashes_stay_whole(social_run, social_pdf: Path) -> None:
    text = subprocess.run(["pdftotext", str(social_pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    digests = list(social_run.manifest["files"].values())
    assert digests and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)
    words = set(text.split())
    broken = [d for d in digests if d not in words]
    assert not broken, broken


def test_a_lesson_worksheet_holds_its_question_and_run(social_run, tmp_path) -> None:
    from sesame_audit.model.course.lessons import lessons
    from sesame_audit.model.course.worksheet import worksheet_pdf
    from sesame_audit.model.runs.identity import identity_line, run_identity

    lesson = lessons(social_run)[0]
    who = run_identity(social_run)
    pdf = tmp_path / "worksheet.pdf"
    pdf.write_bytes(worksheet_pdf(1, lesson.title, lesson.question, lesson.hint,
                                  identity_line(who)))
    words = _words(pdf)
    assert {page for page, *_ in words} == {1}  # one page to print
    text = " ".join(w[-1] for w in words)
    assert " ".join(lesson.question.split()) in text
    assert who["manifest_hash"] in text and social_run.path.name in text
    assert lesson.answer not in text  # a worksheet, not the answer sheet
    assert all(x0 >= 0 and x1 <= width for _, width, _, x0, _, x1, _, _ in words)
