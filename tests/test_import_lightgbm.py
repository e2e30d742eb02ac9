"""Importing a LightGBM text model: the CLI and the importer take it, explain it exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import lightgbm  # a dev dependency: `make setup` installs it
import numpy as np
import pytest
from own_inputs import SAVED_INPUTS as NUMBERS
from own_inputs import saved_model_inputs

from sesame_audit.model.importing.importer import import_files, read_model
from sesame_audit.model.runs.model_files import (
    UnsafeModelError,
    load_model_bytes,
    model_bytes,
    model_file_types,
)
from sesame_audit.model.runs.store import load_run


def _files(tmp_path, objective: str = "binary"):
    frame = saved_model_inputs(tmp_path, binary=objective == "binary")
    target = frame["approved"] if objective == "binary" else frame["score"]
    booster = lightgbm.train({"objective": objective, "verbose": -1, "num_leaves": 15,
                              "min_data_in_leaf": 5, "num_threads": 1},
                             lightgbm.Dataset(frame[NUMBERS], target), num_boost_round=30)
    booster.save_model(tmp_path / "model.txt")
    return booster, frame


def test_binary_text_model_imports_and_equals_pred_contrib(tmp_path) -> None:
    booster, frame = _files(tmp_path)
    run = load_run(import_files(tmp_path / "t.csv", tmp_path / "model.txt", tmp_path / "r.toml",
                                tmp_path / "run"))
    shap = run.manifest["shap"]
    assert shap["explainer"] == "tree" and shap["exact"] and shap["output"] == "log_odds"
    assert run.manifest["model"]["estimator"] == "LightGBMTextClassifier"
    X = frame[NUMBERS].to_numpy(dtype=np.float64)
    contrib = booster.predict(X, pred_contrib=True)
    # Stored as float32: equal to LightGBM's own values up to float32 rounding.
    stored = run.explanation.values[NUMBERS].to_numpy(dtype=np.float64)
    assert np.max(np.abs(stored - contrib[:, :-1])) < 1e-5
    assert run.explanation.base == pytest.approx(contrib[0, -1], abs=1e-9)
    assert np.max(np.abs(run.explanation.prediction - booster.predict(X, raw_score=True))) < 1e-9
    # The run keeps the model as a skops file of the estimator, which loads back (parsed and
    # checked again) with the same output.
    assert np.allclose(run.model.predict_proba(frame[NUMBERS])[:, 1], booster.predict(X),
                       rtol=0, atol=1e-12)


def test_regression_text_model_through_the_cli(tmp_path) -> None:
    booster, frame = _files(tmp_path, "regression")
    done = subprocess.run([sys.executable, "-m", "sesame_audit.model.cli", "import", "--data",
                           str(tmp_path / "t.csv"), "--model", str(tmp_path / "model.txt"),
                           "--roles", str(tmp_path / "r.toml"), "--out", str(tmp_path / "run"),
                           "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path / "run")
    assert run.manifest["shap"]["output"] == "score"
    X = frame[NUMBERS].to_numpy(dtype=np.float64)
    assert np.max(np.abs(run.explanation.prediction - booster.predict(X))) < 1e-9
    assert json.loads(done.stdout)


def test_text_model_types_and_refusals(tmp_path) -> None:
    booster, _ = _files(tmp_path)
    data = (tmp_path / "model.txt").read_bytes()
    asked, refused = model_file_types(data, "model.txt")
    assert asked == ["sesame_audit.model.explain.lightgbm_text.LightGBMTextClassifier"]
    assert refused == []
    model = read_model(data, "model.txt").model
    assert np.array_equal(load_model_bytes(model_bytes(model)).decision_function(
        np.zeros((2, 3))), booster.predict(np.zeros((2, 3)), raw_score=True))
    with pytest.raises(UnsafeModelError, match="not UTF-8"):
        read_model(b"\x80\x04\x95pickle", "model.txt")
    broken = data.replace(b"max_feature_idx=2", b"max_feature_idx=1")
    with pytest.raises(UnsafeModelError, match="LightGBM text model refused"):
        read_model(broken, "model.txt")
    with pytest.raises(UnsafeModelError, match="skops"):
        read_model(data, "model.skops")  # the suffix decides the format
