"""Importing an XGBoost JSON model: the CLI and the importer take it, explain it exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import xgboost  # a dev dependency: `make setup` installs it
from own_inputs import SAVED_INPUTS as NUMBERS
from own_inputs import saved_model_inputs
from sklearn.metrics import roc_auc_score

from sesame_audit.model.audit.classifier_views import recorded_outcomes, roc
from sesame_audit.model.importing.importer import import_files, read_model
from sesame_audit.model.runs.model_files import (
    UnsafeModelError,
    load_model_bytes,
    model_bytes,
    model_file_types,
)
from sesame_audit.model.runs.store import load_run


def _files(tmp_path, objective: str = "binary:logistic"):
    binary = objective.startswith("binary")
    frame = saved_model_inputs(tmp_path, binary=binary)
    target = frame["approved"] if binary else frame["score"]
    booster = xgboost.train({"objective": objective, "max_depth": 4, "nthread": 1},
                            xgboost.DMatrix(frame[NUMBERS], target), num_boost_round=30)
    booster.save_model(tmp_path / "model.json")
    return booster, frame


def test_binary_json_model_imports_and_equals_pred_contribs(tmp_path) -> None:
    booster, _ = _files(tmp_path)
    run = load_run(import_files(tmp_path / "t.csv", tmp_path / "model.json",
                                tmp_path / "r.toml", tmp_path / "run"))
    shap = run.manifest["shap"]
    assert shap["explainer"] == "tree" and shap["exact"] and shap["output"] == "log_odds"
    assert run.manifest["model"]["estimator"] == "XGBoostJSONClassifier"
    # The table as read back from the CSV is what the run explains.
    matrix = xgboost.DMatrix(run.people[NUMBERS].astype(np.float64))
    contrib = booster.predict(matrix, pred_contribs=True)
    stored = run.explanation.values[NUMBERS].to_numpy(dtype=np.float64)
    assert np.max(np.abs(stored - contrib[:, :-1])) < 1e-5  # stored as float32
    assert run.explanation.base == pytest.approx(float(contrib[0, -1]), abs=1e-6)
    margin = booster.predict(matrix, output_margin=True)
    assert np.array_equal(run.explanation.prediction, margin.astype(np.float64))
    # The run keeps the model as a skops file of the estimator (the JSON text), which loads
    # back, parsed and checked again, with the same output.
    assert np.max(np.abs(run.model.predict_proba(run.people[NUMBERS])[:, 1]
                         - booster.predict(matrix))) < 1e-6
    # The import's AUC is the Outcomes page's figure, and scikit-learn's.
    auc = run.manifest["metrics"]["auc"]
    assert auc == roc(recorded_outcomes(run))[1]["auc"]
    assert auc == pytest.approx(roc_auc_score(run.people["approved"], margin), abs=1e-12)


def test_regression_json_model_through_the_cli(tmp_path, capsys) -> None:
    booster, _ = _files(tmp_path, "reg:squarederror")
    done = subprocess.run([sys.executable, "-m", "sesame_audit.model.cli", "import", "--data",
                           str(tmp_path / "t.csv"), "--model", str(tmp_path / "model.json"),
                           "--roles", str(tmp_path / "r.toml"), "--out", str(tmp_path / "run"),
                           "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    run = load_run(tmp_path / "run")
    assert run.manifest["shap"]["output"] == "score" and run.manifest["shap"]["exact"]
    matrix = xgboost.DMatrix(run.people[NUMBERS].astype(np.float64))
    assert np.array_equal(run.explanation.prediction, booster.predict(matrix).astype(float))
    assert json.loads(done.stdout)["model"]["estimator"] == "XGBoostJSONRegressor"
    from sesame_audit.model.cli import main

    assert main(["import", "--data", str(tmp_path / "t.csv"), "--model",
                 str(tmp_path / "model.json"), "--roles", str(tmp_path / "r.toml"),
                 "--out", str(tmp_path / "again")]) == 0
    said = capsys.readouterr().out
    assert "read by the project's own parser (no code loaded)" in said
    assert "allow-listed" not in said


def test_json_model_types_and_refusals(tmp_path) -> None:
    booster, _ = _files(tmp_path)
    data = (tmp_path / "model.json").read_bytes()
    asked, refused = model_file_types(data, "model.json")
    assert asked == ["sesame_audit.model.explain.xgboost_json.XGBoostJSONClassifier"]
    assert refused == []
    model = read_model(data, "model.json").model
    zeros = np.zeros((2, 3))
    own = booster.predict(xgboost.DMatrix(zeros, feature_names=NUMBERS), output_margin=True)
    assert np.array_equal(load_model_bytes(model_bytes(model)).decision_function(zeros), own)
    with pytest.raises(UnsafeModelError, match="not UTF-8"):
        read_model(b"\x80\x04\x95pickle", "model.json")
    broken = data.replace(b'"num_feature":"3"', b'"num_feature":"2"')
    assert broken != data
    with pytest.raises(UnsafeModelError, match="XGBoost JSON model refused"):
        read_model(broken, "model.json")
    booster.save_model(tmp_path / "model.ubj")  # XGBoost's binary JSON is not read
    with pytest.raises(UnsafeModelError, match="skops"):
        read_model((tmp_path / "model.ubj").read_bytes(), "model.ubj")
