"""An import audits the model's output on the table exactly as given: no value is altered.

CSV exports often write ``a, b`` with a space after the comma; a model trained on such text
knows `` Male`` and ``Male`` as different categories. The stored predictions must be the
model's own on every row of the file as it is.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from own_inputs import table
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.importing.table_file import read_table
from sesame_audit.model.runs.model_files import model_bytes
from sesame_audit.model.runs.store import load_run

SPELLINGS = [" Male", "Male", "male ", "MALE", " female", "Female", "NA", "null"]
ROLES = """
id = "person"
target = "score"
sensitive = ["sex"]
thresholds = [500.0]
"""


def _frame(n: int = 400) -> pd.DataFrame:
    frame = table(n=n, seed=5)
    rng = np.random.default_rng(11)
    frame["gender"] = rng.choice(SPELLINGS, n)
    # The score depends on the spelling, so a model that saw one for another scores wrongly.
    bonus = {s: 40.0 * i for i, s in enumerate(SPELLINGS)}
    frame["score"] = frame.score + frame.gender.map(bonus)
    return frame


def _write_csv(frame: pd.DataFrame) -> bytes:
    """A CSV as many exports write it: a space after each comma."""
    lines = [", ".join(frame.columns)]
    lines += [", ".join(str(v) for v in row) for row in frame.itertuples(index=False)]
    return ("\n".join(lines) + "\n").encode()


def _as_given(data: bytes) -> pd.DataFrame:
    """The file parsed by the csv module alone: every field kept, numbers converted by hand."""
    import csv

    rows = list(csv.reader(io.StringIO(data.decode())))
    names = [name.strip() for name in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=names, dtype=object)
    for column in ("person", "income", "debts", "age", "score"):
        frame[column] = frame[column].astype(float)
    return frame


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_stored_predictions_are_the_models_on_the_table_as_given(kind: str, tmp_path) -> None:
    data = _write_csv(_frame())
    given = _as_given(data)
    inputs = ["income", "debts", "gender", "age"]
    encode = ColumnTransformer([("g", OneHotEncoder(handle_unknown="ignore",
                                                    sparse_output=False), ["gender"])],
                               remainder="passthrough")
    if kind == "regressor":
        model = Pipeline([("e", encode), ("m", Ridge(alpha=0.01))]).fit(given[inputs],
                                                                        given.score)
        roles = ROLES
    else:
        label = np.where(given.score > given.score.median(), "yes", "no")
        model = Pipeline([("e", encode), ("m", LogisticRegression(max_iter=2000))]).fit(
            given[inputs], label)
        roles = ROLES.replace('target = "score"', 'output = "probability"').replace(
            "500.0", "0.5")
    (tmp_path / "t.csv").write_bytes(data)
    (tmp_path / "m.skops").write_bytes(model_bytes(model))
    (tmp_path / "r.toml").write_text(roles)
    run = load_run(import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                                tmp_path / "run"))
    expected = (model.predict(given[inputs]) if kind == "regressor"
                else model.predict_proba(given[inputs])[:, 1])
    assert len(run.explanation.prediction) == len(given) == 400
    np.testing.assert_allclose(run.explanation.prediction, expected, rtol=0, atol=1e-9)
    assert list(run.people["gender"]) == list(given.gender)
    assert set(run.people["gender"]) == {f" {s}" for s in SPELLINGS}  # the export's space
    assert list(run.people["sex"]) == list(given.sex)


def test_text_values_keep_their_spaces_and_na_stays_text() -> None:
    data = b"id,name,code,amount\n1, Male ,NA, 3\n2,female,null,4 \n3,x,,5\n"
    frame = read_table(data, "t.csv")
    assert list(frame["name"]) == [" Male ", "female", "x"]
    assert list(frame["code"][:2]) == ["NA", "null"] and pd.isna(frame["code"][2])
    assert list(frame["amount"]) == [3, 4, 5]
