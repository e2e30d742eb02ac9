"""Explaining a random sample of people when only permutation SHAP fits the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_inputs import ROLES, skops_bytes, table
from sklearn.ensemble import RandomForestRegressor
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from streamlit.testing.v1 import AppTest

from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.runs.identity import identity_line, run_identity
from sesame_audit.model.runs.run import SHAP_ERROR
from sesame_audit.model.runs.store import load_run

NUMBERS = ["income", "debts", "age"]
PERSON_PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "person.py")


def _knn(frame: pd.DataFrame) -> Pipeline:
    return Pipeline([("s", StandardScaler()), ("knn", KNeighborsRegressor(5))]).fit(
        frame[NUMBERS], frame["score"])


def _svr(frame: pd.DataFrame) -> Pipeline:
    """A model with no exact explainer that skops files hold with its default types."""
    return Pipeline([("s", StandardScaler()), ("svr", SVR(C=100.0))]).fit(
        frame[NUMBERS], frame["score"])


def _drawn(rows: int, size: int, seed: int) -> np.ndarray:
    """The stated draw: numpy's default generator, without replacement, in table order."""
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def test_a_sample_is_drawn_as_stated_and_explained_alone() -> None:
    frame = table(n=120, seed=1)
    frame.index = frame.index * 10 + 5  # labels that are not positions
    model = _knn(frame)
    explanation, method = explain_any(model, frame[NUMBERS], output="score", seed=7,
                                      sample=30)
    positions = _drawn(120, 30, 7)
    assert list(explanation.values.index) == list(frame.index[positions])
    assert (method.explained_rows, method.table_rows, method.sample_seed) == (30, 120, 7)
    assert "explained for 30 of 120 people (random sample, seed 7)" in method.note
    own = model.predict(frame[NUMBERS].iloc[positions])
    assert np.array_equal(explanation.prediction, own)
    total = explanation.base + explanation.values.to_numpy(np.float64).sum(axis=1)
    np.testing.assert_allclose(total, own, atol=1e-3)
    assert explanation.error is not None and explanation.error.shape == (30,)
    # A sample as large as the table is everyone: no sample is stated.
    _, everyone = explain_any(model, frame[NUMBERS].iloc[:40], output="score", sample=40)
    assert everyone.sample_seed is None and everyone.explained_rows == 40


def test_an_exact_explainer_explains_everyone_whatever_the_sample() -> None:
    frame = table(n=100, seed=2)
    forest = RandomForestRegressor(5, random_state=0).fit(frame[NUMBERS], frame["score"])
    explanation, method = explain_any(forest, frame[NUMBERS], output="score", sample=10)
    assert method.exact and len(explanation.values) == 100
    assert (method.explained_rows, method.table_rows, method.sample_seed) == (100, 100, None)


def _import(tmp_path: Path, **options) -> Path:
    frame = table(n=150, seed=3)
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "m.skops").write_bytes(skops_bytes(_svr(frame)))
    (tmp_path / "r.toml").write_text(ROLES)
    return import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                        tmp_path / "runs" / "knn", **options)


def test_an_imported_sample_is_recorded_stored_and_stated(tmp_path) -> None:
    run = load_run(_import(tmp_path, explain_sample=40, seed=3))
    frame = pd.read_csv(tmp_path / "t.csv")
    positions = _drawn(150, 40, 3)
    assert list(run.people["person"]) == list(frame["person"].iloc[positions])
    shap = run.manifest["shap"]
    assert run.manifest["n"] == 40 and run.manifest["data"]["rows"] == 150
    assert (shap["explained_rows"], shap["table_rows"], shap["sample_seed"]) == (40, 150, 3)
    line = identity_line(run_identity(run))
    assert "explained for 40 of 150 people (random sample, seed 3)" in line
    # Each person's estimated error is stored with their values and read back by id.
    parts = pd.concat(pd.read_parquet(f) for f in run.files("shap"))
    error = parts[SHAP_ERROR].to_numpy()
    assert error.shape == (40,) and (error >= 0).all() and error.max() > 0
    # The same sample and seed explained again give the same errors, person by person.
    again, _ = explain_any(run.model, frame[NUMBERS].iloc[positions], output="score", seed=3)
    np.testing.assert_allclose(error, again.error, rtol=1e-12)
    person = run.people["person"].iloc[7]
    assert run.person(person).error == pytest.approx(error[7])
    assert explain_person(run, person).error == pytest.approx(error[7])
    assert np.array_equal(run.explanation.error, error)


def test_an_exact_run_stores_no_error_and_states_no_sample(tmp_path) -> None:
    frame = table(n=150, seed=3)
    frame.to_csv(tmp_path / "t.csv", index=False)
    forest = RandomForestRegressor(5, random_state=0).fit(frame[NUMBERS], frame["score"])
    (tmp_path / "m.skops").write_bytes(skops_bytes(forest))
    (tmp_path / "r.toml").write_text(ROLES)
    run = load_run(import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                                tmp_path / "run", explain_sample=10))
    assert run.manifest["n"] == 150 and run.manifest["shap"]["sample_seed"] is None
    assert run.explanation.error is None
    assert explain_person(run, run.first_id()).error is None
    assert "150 people" in identity_line(run_identity(run))


def test_the_cli_takes_a_sample_and_refuses_zero(tmp_path) -> None:
    _import(tmp_path)  # writes the files (and a first run, with everyone explained)
    command = [sys.executable, "-m", "sesame_audit.model.cli", "import", "--data",
               str(tmp_path / "t.csv"), "--model", str(tmp_path / "m.skops"), "--roles",
               str(tmp_path / "r.toml"), "--out", str(tmp_path / "sampled")]
    done = subprocess.run([*command, "--explain-sample", "25", "--seed", "4"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "explained for 25 of 150 people (random sample, seed 4)" in done.stdout
    manifest = json.loads((tmp_path / "sampled" / "manifest.json").read_text())
    assert manifest["n"] == 25 and manifest["shap"]["sample_seed"] == 4
    refused = subprocess.run([*command, "--explain-sample", "0"], capture_output=True,
                             text=True, check=False)
    assert refused.returncode != 0 and "--explain-sample must be between 1" in refused.stderr


def test_the_person_page_shows_the_error_and_the_sample(tmp_path, monkeypatch) -> None:
    run = load_run(_import(tmp_path, explain_sample=30, seed=5))
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(PERSON_PAGE, default_timeout=120)
    at.session_state["run_name"] = "knn"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "explained for 30 of 150 people (random sample, seed 5)" in captions
    shown = run.person(run.first_id())
    assert shown.error is not None
    # In the run's unit, as every push on the page (this roles file names no unit).
    assert run.roles.unit == ""
    assert f"± {shown.error:.1f}, approximate, for this person" in captions


def test_the_import_page_passes_the_sample_and_its_seed(tmp_path, monkeypatch) -> None:
    frame = table(n=150, seed=3)
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "m.skops").write_bytes(skops_bytes(_svr(frame)))
    (tmp_path / "r.toml").write_text(ROLES)
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(str(Path(PERSON_PAGE).with_name("own.py")), default_timeout=120)
    at.run()
    at.radio(key="own_where").set_value("Paths on this server").run()
    for kind, name in (("table", "t.csv"), ("model", "m.skops"), ("roles", "r.toml")):
        at.text_input(key=f"own_{kind}_path").set_value(str(tmp_path / name))
    at.run()
    at.text_input(key="own_name").set_value("sampled").run()
    at.number_input(key="own_sample").set_value(20)
    at.number_input(key="own_seed").set_value(9).run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    manifest = json.loads((tmp_path / "runs" / "sampled" / "manifest.json").read_text())
    assert manifest["n"] == 20
    assert (manifest["shap"]["explained_rows"], manifest["shap"]["table_rows"],
            manifest["shap"]["sample_seed"]) == (20, 150, 9)
    people = load_run(tmp_path / "runs" / "sampled").people
    assert list(people["person"]) == list(frame["person"].iloc[_drawn(150, 20, 9)])
