"""An imported classifier whose table records outcomes, with groups small enough to hide."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.runs.model_files import model_bytes

INPUTS = ["income", "debts", "age"]
ROLES = """
id = "person"
target = "approved"
sensitive = ["sex", "region"]
positive_class = "yes"
thresholds = [0.5]
"""
# Region sizes: "isle" is under k = 11; "fjord" is large but only 5 of its people have the
# positive outcome, so its true positive rate rests on too few people.
REGIONS = {"north": 700, "south": 450, "east": 300, "fjord": 40, "isle": 9}


def outcome_table(seed: int = 3) -> pd.DataFrame:
    """A loan table: inputs, sex, region and a noisy recorded approval (yes/no)."""
    rng = np.random.default_rng(seed)
    region = np.repeat(list(REGIONS), list(REGIONS.values()))
    n = len(region)
    frame = pd.DataFrame({
        "person": np.arange(5000, 5000 + n),
        "income": rng.gamma(4.0, 1500.0, n).round(2),
        "debts": rng.uniform(0, 5000, n).round(2),
        "age": rng.integers(18, 80, n),
        "sex": rng.choice(["female", "male"], n),
        "region": region,
    })
    logit = (frame.income / 1500 - frame.debts / 1000 - 1.2
             + np.where(frame.sex == "male", 0.6, 0.0) + rng.normal(0, 1.2, n))
    approved = logit > 0
    fjord = np.flatnonzero(region == "fjord")
    approved[fjord] = False
    approved[fjord[:5]] = True
    frame["approved"] = np.where(approved, "yes", "no")
    return frame


def classifier(frame: pd.DataFrame) -> Pipeline:
    """A logistic regression of the approval on income, debts and age."""
    scale = ColumnTransformer([("numbers", StandardScaler(), INPUTS)])
    return Pipeline([("scale", scale), ("logit", LogisticRegression(max_iter=500))]).fit(
        frame[INPUTS], frame["approved"])


def import_outcome_run(folder: Path, name: str, *, roles: str = ROLES,
                       output: str = "log_odds") -> Path:
    """Write the table, model and roles into ``folder`` and import them as run ``name``
    (in log-odds, which a linear model is explained on exactly and fast)."""
    frame = outcome_table()
    (folder / "loans.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "loans.skops").write_bytes(model_bytes(classifier(frame)))
    (folder / f"{name}.toml").write_text(roles + f'output = "{output}"\n')
    return import_files(folder / "loans.csv", folder / "loans.skops", folder / f"{name}.toml",
                        folder / "runs" / name)
