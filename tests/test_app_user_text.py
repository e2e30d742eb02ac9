"""User text stays text on every page: a run whose names are Markdown, HTML and directives."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from own_inputs import BOLD, IMAGE, LINK, TAG, hostile_inputs
from streamlit.testing.v1 import AppTest

from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.subject_access import subject_access, to_markdown
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = ("overview", "person", "drivers", "fairness", "proxies", "friends", "recourse",
         "hidden_rules", "policy_editor", "lessons", "own", "donations", "about")
TEXT_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title",
                 "header", "subheader")
LABELLED = ("selectbox", "multiselect", "number_input", "text_input", "toggle", "checkbox",
            "radio", "slider", "button", "text_area", "expander", "metric", "tabs",
            "download_button", "file_uploader")
# What rendered Markdown must never hold when the text came from the run.
FORBIDDEN = ("<img", "<a ", "<script", "<strong>bold</strong>", ":material/")


def _texts(at: AppTest) -> list[str]:
    """Every Markdown source on the page: text elements, labels, help and options."""
    found = [str(e.value) for kind in TEXT_ELEMENTS for e in at.get(kind)]
    for kind in LABELLED:
        for element in at.get(kind):
            found.append(str(getattr(element, "label", "") or ""))
            found.append(str(getattr(element.proto, "help", "") or ""))
            if kind == "radio":
                found += [str(o) for o in element.options]
    return found


@pytest.fixture()
def imported(tmp_path, monkeypatch) -> AppTest:
    """The app after importing the hostile run through the upload form."""
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    monkeypatch.delenv("SESAME_DEPLOYMENT", raising=False)
    table_bytes, model, roles = hostile_inputs()
    at = AppTest.from_file(MAIN, default_timeout=300).run()
    at.switch_page("views/own.py")
    at.run()
    at.file_uploader(key="own_table").upload("people.csv", table_bytes, "text/csv")
    at.file_uploader(key="own_model").upload("model.skops", model)
    at.file_uploader(key="own_roles").upload("roles.toml", roles)
    at.run()
    at.text_input(key="own_name").set_value("hostile").run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert (tmp_path / "hostile" / "manifest.json").is_file()
    return at


def test_no_page_renders_text_from_the_run_as_markup(imported) -> None:
    at, renderer, seen = imported, MarkdownIt("commonmark"), []
    for page in PAGES:
        at.switch_page(f"views/{page}.py")
        at.run()
        assert not at.exception, (page, at.exception)
        for source in _texts(at):
            shown = renderer.render(source)
            bad = [f for f in FORBIDDEN if f in shown]
            assert not bad, (page, source, bad)
            seen.append(source)
    joined = "\n".join(seen)
    # The hostile names did reach the pages, escaped.
    for text in (IMAGE, TAG, BOLD):
        assert escape_markdown(text) in joined, text
    assert escape_markdown(LINK) in joined


def test_subject_access_file_is_escaped_markdown(imported, tmp_path) -> None:
    run = load_run(tmp_path / "hostile")
    text = to_markdown(subject_access(run, run.first_id()))
    shown = MarkdownIt("commonmark").render(text)
    assert not [f for f in FORBIDDEN if f in shown], shown
    assert escape_markdown(IMAGE) in text and escape_markdown(TAG) in text


def test_html_report_shows_the_names_as_text(imported, tmp_path) -> None:
    from sesame_audit.model.audit.findings import audit_findings
    from sesame_audit.model.report.document import build_report

    run = load_run(tmp_path / "hostile")
    html = build_report(run, audit_findings(run), "html").decode("utf-8")
    assert TAG not in html and "<script" not in html and "<a " not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
