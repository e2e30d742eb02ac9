"""Deployment mode (SESAME_DEPLOYMENT) and user text on every page: app tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sesame_audit.app.deployment import DeploymentError, settings
from sesame_audit.model.build.builder import build_run

ROOT = Path(__file__).resolve().parents[1]
MAIN = str(ROOT / "app" / "main.py")
PASSPHRASE = "open sesame, 42 times"


@pytest.fixture()
def deployed(tmp_path, monkeypatch) -> Path:
    """Deployment mode on, over a runs folder holding one small shared run."""
    monkeypatch.setenv("SESAME_DEPLOYMENT", "On")
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    monkeypatch.delenv("SESAME_MIN_K", raising=False)
    build_run("marketed", 300, 0, tmp_path / "marketed-n300-s0")
    return tmp_path


def _page(page: str, secrets: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=300)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py")
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("environ", "on", "uploads_only", "min_k"), [
    ({}, False, False, 2),
    ({"SESAME_DEPLOYMENT": "off"}, False, False, 2),
    ({"SESAME_DEPLOYMENT": "NO", "SESAME_UPLOADS_ONLY": "Yes"}, False, True, 2),
    ({"SESAME_DEPLOYMENT": "TRUE"}, True, True, 11),
    ({"SESAME_DEPLOYMENT": "1", "SESAME_MIN_K": "25"}, True, True, 25),
    ({"SESAME_DEPLOYMENT": " yes "}, True, True, 11),
])
def test_settings_read_the_switches(environ, on, uploads_only, min_k) -> None:
    found = settings(environ)
    assert (found.on, found.uploads_only, found.min_k) == (on, uploads_only, min_k)


@pytest.mark.parametrize(("environ", "message"), [
    ({"SESAME_DEPLOYMENT": "maybe"}, "SESAME_DEPLOYMENT must be one of"),
    ({"SESAME_UPLOADS_ONLY": "y"}, "SESAME_UPLOADS_ONLY must be one of"),
    ({"SESAME_DEPLOYMENT": "on", "SESAME_MIN_K": "1"}, "SESAME_MIN_K must be a whole number"),
    ({"SESAME_DEPLOYMENT": "on", "SESAME_MIN_K": "eleven"}, "SESAME_MIN_K must be a whole"),
])
def test_bad_settings_are_named(environ, message) -> None:
    with pytest.raises(DeploymentError, match=message):
        settings(environ)


def test_unknown_switch_value_refuses_to_start(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_DEPLOYMENT", "perhaps")
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    at = AppTest.from_file(MAIN, default_timeout=120).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("The dashboard refuses to start: SESAME_DEPLOYMENT "
                                        "must be one of")
    assert "perhaps" in at.error[0].value
    assert not at.title and not at.selectbox


def test_import_page_takes_uploads_only(deployed) -> None:
    at = _page("own")
    assert not [r for r in at.radio if r.key == "own_where"]
    assert [t.key for t in at.text_input] == ["own_delimiter"]  # no path to type
    assert [u.key for u in at.file_uploader] == ["own_table", "own_model", "own_roles"]


def test_k_cannot_go_below_the_floor(deployed, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_MIN_K", "30")
    at = _page("fairness")
    k = at.number_input(key="audit_k")
    assert k.value == 30 and k.min == 30
    k.set_value(5).run()
    assert not at.exception
    assert at.number_input(key="audit_k").value == 30
    k = at.number_input(key="audit_k").set_value(40).run()
    assert at.number_input(key="audit_k").value == 40


def test_teacher_mode_is_unavailable_without_a_passphrase(deployed) -> None:
    at = _page("hidden_rules")
    toggle = at.toggle(key="teacher_toggle")
    assert toggle.disabled and not toggle.value
    assert not at.text_input
    assert any("no teacher passphrase" in c.value for c in at.sidebar.caption)
    assert "Teacher mode" in at.info[0].value  # the rules stay hidden


def test_teacher_mode_opens_with_the_right_passphrase_only(deployed) -> None:
    at = _page("hidden_rules", {"teacher_passphrase": PASSPHRASE})
    assert at.toggle(key="teacher_toggle").disabled
    at.text_input(key="teacher_passphrase_typed").input("open sesame").run()
    assert "Wrong passphrase" in at.sidebar.error[0].value
    assert at.toggle(key="teacher_toggle").disabled
    assert "Teacher mode" in at.info[0].value
    at.text_input(key="teacher_passphrase_typed").input(PASSPHRASE).run()
    assert not at.sidebar.error
    assert not at.toggle(key="teacher_toggle").disabled
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception
    assert at.header[0].value == "The hidden rules, in plain words"
    at.switch_page("views/lessons.py")
    at.run()
    assert len([e for e in at.expander if e.label == "Show the answer"]) == 5


def test_students_see_questions_not_answers(deployed) -> None:
    at = _page("lessons")
    assert [s.value for s in at.header][:1] == ["1. The most penalised group"]
    assert not [e for e in at.expander if e.label == "Show the answer"]
    assert not [b for b in at.button if b.key == "lessons_recourse"]
    assert any("answers open in Teacher mode" in i.value for i in at.info)


def test_a_sessions_build_stays_in_its_own_folder(deployed) -> None:
    first = _page("lessons")
    first.button(key="lessons_build").click().run()
    assert not first.exception
    built = list((deployed / ".sessions").glob("*/social-credit-n300-s0/manifest.json"))
    assert len(built) == 1
    assert not (deployed / "social-credit-n300-s0").exists()
    assert "social-credit-n300-s0" in first.selectbox(key="run_picker").options
    second = _page("lessons")
    assert second.selectbox(key="run_picker").options == ["marketed-n300-s0"]
    assert len(list((deployed / ".sessions").iterdir())) == 2


def test_stale_session_folders_are_removed(deployed) -> None:
    stale = deployed / ".sessions" / "old-token"
    (stale / "some-run").mkdir(parents=True)
    os.utime(stale, (0, 0))
    fresh = deployed / ".sessions" / "recent-token"
    fresh.mkdir()
    _page("overview")
    assert not stale.exists() and fresh.exists()


def test_editor_builds_are_capped(deployed) -> None:
    at = _page("policy_editor", {"teacher_passphrase": PASSPHRASE})
    at.text_input(key="teacher_passphrase_typed").input(PASSPHRASE).run()
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert at.number_input(key="edit_n").max == 5_000



def _page_text(at: AppTest) -> str:
    """Every text element of the page and its sidebar, expanders included, as one string."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "text")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def test_lesson_answers_are_absent_until_the_teacher_reveals_them(deployed) -> None:
    from sesame_audit.model.audit.recourse_burden import recourse_sample
    from sesame_audit.model.core.safe_text import escape_markdown
    from sesame_audit.model.course.lessons import RECOURSE_SAMPLE, lessons, recourse_gap
    from sesame_audit.model.runs.store import load_run

    run = load_run(deployed / "marketed-n300-s0")
    expected = [escape_markdown(lesson.answer) for lesson in lessons(run) if lesson.available]
    attribute = lessons(run)[0].figures["attribute"]
    sixth = escape_markdown(recourse_gap(
        run, attribute, found=recourse_sample(run, sample=RECOURSE_SAMPLE)).answer)
    assert len(expected) >= 3
    at = _page("lessons", {"teacher_passphrase": PASSPHRASE})
    before = _page_text(at)
    assert "1. The most penalised group" in [h.value for h in at.header]
    assert not [answer for answer in expected if answer in before]
    assert not [b for b in at.button if b.key == "lessons_recourse"]
    # a wrong passphrase reveals nothing either
    at.text_input(key="teacher_passphrase_typed").input("open sesame").run()
    assert not [answer for answer in expected if answer in _page_text(at)]
    at.text_input(key="teacher_passphrase_typed").input(PASSPHRASE).run()
    assert not [answer for answer in expected if answer in _page_text(at)]  # toggle still off
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception
    after = _page_text(at)
    assert [answer for answer in expected if answer not in after] == []
    assert sixth not in after
    at.button(key="lessons_recourse").click().run()
    assert not at.exception
    assert sixth in _page_text(at)
