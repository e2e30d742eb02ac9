"""The README's example roles file is a working one: it imports a model as it says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.runs.model_files import model_bytes
from sesame_audit.model.runs.store import load_run

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("A roles file for a loan-approval classifier")
    return re.search(r"```toml\n(.*?)```", text[start:], re.DOTALL).group(1)


def test_the_readme_roles_file_imports_as_described(tmp_path) -> None:
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({
        "applicant_id": np.arange(5000, 5000 + n),
        "income": rng.gamma(4.0, 600.0, n).round(0),
        "debt": rng.uniform(0, 3000, n).round(0),
        "age": rng.integers(18, 80, n),
        "district": rng.choice(["north", "south"], n),
        "sex": rng.choice(["female", "male"], n)})
    frame["repaid"] = np.where(frame.income / 2400 - frame.debt / 3000
                               + rng.normal(0, 0.5, n) > 0, "yes", "no")
    inputs = ["income", "debt", "age", "district"]
    model = Pipeline([
        ("encode", ColumnTransformer([("d", OneHotEncoder(sparse_output=False), ["district"]),
                                      ("n", StandardScaler(), ["income", "debt", "age"])])),
        ("forest", RandomForestClassifier(20, max_depth=4, random_state=0)),
    ]).fit(frame[inputs], frame["repaid"])  # exact on the probability: a quick import
    frame.to_csv(tmp_path / "loans.csv", index=False)
    (tmp_path / "m.skops").write_bytes(model_bytes(model))
    (tmp_path / "roles.toml").write_text(_example(), encoding="utf-8")
    run = load_run(import_files(tmp_path / "loans.csv", tmp_path / "m.skops",
                                tmp_path / "roles.toml", tmp_path / "runs" / "loans"))
    roles = run.roles
    assert roles.inputs == tuple(inputs) and roles.id == "applicant_id"
    assert set(roles.sensitive) >= {"sex"} and roles.unit == "probability"
    assert roles.label("income") == "Monthly income (EUR)"
    assert roles.directions == {"debt": "fall", "income": "rise"}
    assert roles.privacy["district"] == "identity"
    # the probability of "yes", as the file says, and the bands it names
    expected = model.predict_proba(frame[inputs])[:, list(model.classes_).index("yes")]
    assert np.allclose(np.asarray(run.explanation.prediction, float), expected, atol=1e-6)
    bands = run.people.filter(like="age").drop(columns="age").iloc[:, 0]
    age = run.people["age"]
    assert set(bands) == {"under 30", "30 to under 50", "50 and over"}
    assert (bands[age == 30] == "30 to under 50").all()
    assert (bands[age == 50] == "50 and over").all()
