"""An import with missing values says how many, where, and what was done with them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from own_inputs import ROLES, table
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from sesame_audit.model.cli import main
from sesame_audit.model.runs.model_files import model_bytes
from sesame_audit.model.runs.store import load_run

INPUTS = ["income", "debts", "district"]


def _import(folder: Path, frame: pd.DataFrame) -> Path:
    """Import ``frame`` with trees that take missing values; return the run folder."""
    model = Pipeline([
        ("encode", ColumnTransformer([("d", OrdinalEncoder(), ["district"])],
                                     remainder="passthrough")),
        ("trees", HistGradientBoostingRegressor(max_iter=30))]).fit(frame[INPUTS], frame["score"])
    frame.to_csv(folder / "t.csv", index=False)
    (folder / "m.skops").write_bytes(model_bytes(model))
    (folder / "r.toml").write_text(f"inputs = {json.dumps(INPUTS)}\n" + ROLES)
    out = folder / "runs" / "gaps"
    assert main(["import", "--data", str(folder / "t.csv"), "--model", str(folder / "m.skops"),
                 "--roles", str(folder / "r.toml"), "--out", str(out)]) == 0
    return out


def test_missing_values_are_counted_and_said(tmp_path, capsys) -> None:
    frame = table(200, seed=3)
    rng = np.random.default_rng(0)
    frame.loc[rng.choice(200, 9, replace=False), "income"] = np.nan
    frame.loc[rng.choice(200, 4, replace=False), "sex"] = np.nan
    out = _import(tmp_path, frame)
    printed = capsys.readouterr().out
    by_hand = {c: int(frame[c].isna().sum()) for c in ("income", "sex")}
    assert by_hand == {"income": 9, "sex": 4}
    assert load_run(out).manifest["data"]["missing"] == by_hand
    assert "missing values: income 9 (4.5%), sex 4 (2.0%)" in printed
    assert load_run(out).people["sex"].isna().sum() == 4


def test_a_complete_table_says_nothing_of_missing_values(tmp_path, capsys) -> None:
    out = _import(tmp_path, table(200, seed=3))
    assert "missing values" not in capsys.readouterr().out
    assert load_run(out).manifest["data"]["missing"] == {}
