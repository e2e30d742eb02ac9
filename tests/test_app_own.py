"""The "Audit your own model" page: empty state, refusals, and an import from server paths."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_inputs import ROLES, regressor, skops_bytes, table
from streamlit.testing.v1 import AppTest

from sesame_audit.model.core.safe_text import escape_markdown

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "own.py")


@pytest.fixture()
def files(tmp_path, monkeypatch):
    """A valid table, model and roles file on disk, and an empty runs folder."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    frame = table()
    (tmp_path / "people.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "model.skops").write_bytes(skops_bytes(regressor(frame)))
    (tmp_path / "roles.toml").write_text(ROLES)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(regressor(frame)))
    return tmp_path


def _paths(at: AppTest, folder, model: str = "model.skops", roles: str | None = "roles.toml"):
    at.radio(key="own_where").set_value("Paths on this server").run()
    at.text_input(key="own_table_path").set_value(str(folder / "people.csv"))
    at.text_input(key="own_model_path").set_value(str(folder / model))
    if roles:
        at.text_input(key="own_roles_path").set_value(str(folder / roles))
    return at.run()


def test_empty_state_asks_for_files(files) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Audit your own model"
    assert "Bring a table and a model" in at.info[0].value
    assert not at.error


def test_pickle_model_is_refused_with_the_reason(files) -> None:
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files, model="model.pkl")
    assert not at.exception
    assert "pickle and joblib files can run arbitrary code" in at.error[0].value
    assert not (files / "runs").exists()


def test_missing_path_and_bad_table_are_named(files) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="own_where").set_value("Paths on this server").run()
    at.text_input(key="own_table_path").set_value(str(files / "nope.csv")).run()
    assert escape_markdown(f"No table file at {files / 'nope.csv'}") in at.error[0].value
    (files / "people.csv").write_bytes(b"a;b;c\n1;2;3\n")
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files)
    assert not at.exception
    assert escape_markdown("seems delimited by ';'") in at.error[0].value


def test_import_from_paths_writes_a_run_and_selects_it(files) -> None:
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files)
    assert not at.exception and not at.error
    assert escape_markdown("Roles read from roles.toml") in at.success[0].value
    types = at.dataframe[0].value
    assert "sklearn.linear_model._ridge.Ridge" in list(types["type"])
    assert bool(types["allowed"].all())
    at.text_input(key="own_name").set_value("my-audit").run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error
    assert f"Imported as run '{escape_markdown('my-audit')}'" in at.success[-1].value
    assert at.session_state["run_name"] == "my-audit"
    manifest = json.loads((files / "runs" / "my-audit" / "manifest.json").read_text())
    assert manifest["source"] == "imported" and manifest["n"] == 150
    at.button(key="own_import").click().run()
    assert "already exists" in at.error[0].value


def test_an_import_with_missing_values_says_so(files) -> None:
    frame = pd.read_csv(files / "people.csv")
    frame.loc[[3, 40, 77], "sex"] = np.nan  # a sensitive attribute, not a model input
    (files / "people.csv").write_bytes(frame.to_csv(index=False).encode())
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files)
    at.text_input(key="own_name").set_value("gaps").run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error
    said = [i.value.replace("\\", "") for i in at.info]
    assert any("Missing values: sex 3 (2.0%)" in line for line in said), said


def test_roles_form_suggests_and_bad_thresholds_are_named(files) -> None:
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files, roles=None)
    assert not at.exception
    assert at.selectbox(key="own_id").value == "person"
    assert at.selectbox(key="own_target").value == "score"
    assert at.multiselect(key="own_sensitive").value == ["age", "sex"]
    assert "give at least one threshold" in at.error[0].value
    at.text_input(key="own_thresholds").set_value("500, lots").run()
    assert escape_markdown("threshold 'lots' is not a number") in at.error[0].value
    at.text_input(key="own_thresholds").set_value("500, 600").run()
    at.text_input(key="own_name").set_value("../escape").run()
    at.button(key="own_import").click().run()
    assert escape_markdown("run name '../escape' must be") in at.error[0].value
    at.text_input(key="own_name").set_value("from-form").run()
    at.button(key="own_import").click().run()
    assert not at.error, at.error
    roles = json.loads((files / "runs" / "from-form" / "manifest.json").read_text())["roles"]
    assert roles["id"] == "person" and roles["sensitive"] == ["age", "sex"]
    assert [t["min_score"] for t in roles["tiers"]] == [500.0, 600.0]


def test_roles_form_takes_a_low_favourable_score(files) -> None:
    at = _paths(AppTest.from_file(PAGE, default_timeout=60).run(), files, roles=None)
    at.radio(key="own_favourable").set_value("low").run()
    at.text_input(key="own_thresholds").set_value("500, 600").run()
    assert escape_markdown("strictly descending") in at.error[0].value
    at.text_input(key="own_thresholds").set_value("600, 500").run()
    at.text_input(key="own_name").set_value("low-form").run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error, at.error
    roles = json.loads((files / "runs" / "low-form" / "manifest.json").read_text())["roles"]
    assert roles["favourable"] == "low"
    assert [(t["name"], t["min_score"]) for t in roles["tiers"]] == [
        ("at_most_600", 600.0), ("at_most_500", 500.0)]


def test_report_of_the_imported_run_can_be_downloaded(files) -> None:
    at = _paths(AppTest.from_file(PAGE, default_timeout=120).run(), files)
    at.text_input(key="own_name").set_value("for-report").run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error
    assert escape_markdown("explains the model's prediction") in at.info[-1].value
    assert not at.get("download_button")
    at.radio(key="own_report_format").set_value("json").run()
    at.button(key="own_report").click().run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 1 and "JSON" in buttons[0].proto.label
    at.radio(key="own_report_format").set_value("html").run()
    assert not at.get("download_button")


@pytest.mark.parametrize("page", ["overview", "person", "drivers", "fairness", "proxies",
                                  "friends", "about", "own"])
def test_audit_pages_run_on_an_imported_classifier(page, tmp_path, monkeypatch) -> None:
    from own_inputs import CLASSIFIER_ROLES, classifier

    from sesame_audit.model.importing.importer import import_files

    frame = table()
    (tmp_path / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "m.skops").write_bytes(skops_bytes(classifier(frame)))
    (tmp_path / "r.toml").write_text(CLASSIFIER_ROLES)
    import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                 tmp_path / "runs" / "approvals")
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path / "runs"))
    path = Path(PAGE).with_name(f"{page}.py")
    at = AppTest.from_file(str(path), default_timeout=120)
    at.session_state["run_name"] = "approvals"
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("value", ["1", "true", "ON"])
def test_a_deployment_can_allow_uploads_only(files, monkeypatch, value) -> None:
    monkeypatch.setenv("SESAME_UPLOADS_ONLY", value)
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert not [r for r in at.radio if r.key == "own_where"]
    assert not any(t.key and t.key.endswith("_path") for t in at.text_input)
    monkeypatch.setenv("SESAME_UPLOADS_ONLY", "0")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert at.radio(key="own_where").options == ["Upload", "Paths on this server"]
