"""Importing your own model: round trips on a synthetic run and on the German credit table."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from own_inputs import GERMAN_ROLES, ROLES, german_credit, regressor, skops_bytes, table
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sesame_audit.model.explain.any_model import explain_any
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.person.explained import explain_person, what_if
from sesame_audit.model.runs.model_files import model_bytes, requested_types
from sesame_audit.model.runs.store import load_run


def _write(folder, frame: pd.DataFrame, model: object, roles: str, name: str = "t.parquet"):
    data = folder / name
    if name.endswith(".parquet"):
        frame.to_parquet(data, index=False)
    else:
        frame.to_csv(data, index=False)
    (folder / "m.skops").write_bytes(model if isinstance(model, bytes) else skops_bytes(model))
    (folder / "r.toml").write_text(roles)
    return data, folder / "m.skops", folder / "r.toml"


def test_synthetic_run_round_trips(social_run, tmp_path) -> None:
    roles = social_run.roles
    frame = social_run.people[[roles.id, *roles.inputs, *roles.sensitive, roles.target]]
    thresholds = ", ".join(f"{t.min_score!r}" for t in roles.tiers)
    text = (f'id = "{roles.id}"\ntarget = "{roles.target}"\n'
            f"sensitive = {list(roles.sensitive)!r}\n".replace("'", '"')
            + f"score_min = 350.0\nscore_max = 950.0\nthresholds = [{thresholds}]\n")
    paths = _write(tmp_path, frame, model_bytes(social_run.model), text)
    run = load_run(import_files(*paths, tmp_path / "imported"))
    assert run.manifest["source"] == "imported"
    assert run.manifest["shap"]["explainer"] == "tree" and run.manifest["shap"]["exact"]
    assert list(run.roles.inputs) == list(roles.inputs)
    assert [t.min_score for t in run.roles.tiers] == [t.min_score for t in roles.tiers]
    np.testing.assert_allclose(run.explanation.prediction, social_run.explanation.prediction,
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(run.explanation.values.to_numpy(),
                               social_run.explanation.values.to_numpy(), rtol=0, atol=1e-3)
    assert run.explanation.base == pytest.approx(social_run.explanation.base, abs=1e-6)
    assert run.edges is None and run.policy_text is None
    assert run.manifest["metrics"]["r2"] > 0.9


def _german_pipeline(estimator: object) -> tuple[pd.DataFrame, Pipeline]:
    frame = german_credit()
    X = frame.drop(columns=["creditability", "personal_status_and_sex", "foreign_worker"])
    categorical = [c for c in X if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X if c not in categorical]
    encode = ColumnTransformer([
        ("c", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ("n", StandardScaler(), numeric)])
    return frame, Pipeline([("encode", encode), ("model", estimator)]).fit(
        X, frame["creditability"])


@pytest.fixture(scope="module")
def german_forest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("german_rf")
    frame, model = _german_pipeline(RandomForestClassifier(60, max_depth=6, random_state=0))
    paths = _write(folder, frame, model, GERMAN_ROLES, "german.csv")
    return frame, model, load_run(import_files(*paths, folder / "run"))


def test_german_credit_forest_explains_the_probability(german_forest) -> None:
    frame, model, run = german_forest
    X = frame[list(run.roles.inputs)]
    good = list(model.classes_).index("good")
    probability = model.predict_proba(X)[:, good]
    np.testing.assert_allclose(run.explanation.prediction, probability, atol=1e-12)
    total = run.explanation.base + run.explanation.values.to_numpy(np.float64).sum(axis=1)
    np.testing.assert_allclose(total, probability, atol=1e-5)
    assert run.explanation.values.shape == (1000, 18)
    assert run.manifest["shap"]["output"] == "probability"
    assert "probability of class 'good'" in run.manifest["shap"]["explains"]
    assert run.roles.task == "classification"
    assert (run.roles.score_min, run.roles.score_max) == (0, 1)
    assert set(run.people["creditability"]) == {0.0, 1.0}
    assert run.people["creditability"].mean() == pytest.approx(0.7)
    assert set(run.people["age_in_years_band"]) == {"under 25", "25 to under 35",
                                                     "35 to under 50", "50 and over"}
    age, band = run.people["age_in_years"], run.people["age_in_years_band"]
    assert (band[age == 35] == "35 to under 50").all() and (band[age == 50] == "50 and over").all()
    assert (run.people["age_in_years_band"] == "under 25").sum() == (frame.age_in_years < 25).sum()
    assert "sklearn.tree._tree.Tree" in run.manifest["model"]["types"]
    metrics = run.manifest["metrics"]
    assert metrics["accuracy"] == pytest.approx(((probability >= 0.5) == (
        frame.creditability == "good")).mean())


def test_imported_person_is_explained(german_forest) -> None:
    _, _, run = german_forest
    person = explain_person(run, 3)
    assert isinstance(person.person, int) and str(person.person) == "3"  # never "3.0"
    assert person.recorded_score in (0.0, 1.0)
    assert person.score == pytest.approx(run.explanation.prediction[3])


def test_german_credit_logistic_folds_one_hot_columns(tmp_path) -> None:
    frame, model = _german_pipeline(LogisticRegression(max_iter=2000))
    run = load_run(import_files(*_write(tmp_path, frame, model, GERMAN_ROLES, "g.csv"),
                                tmp_path / "run"))
    assert run.manifest["shap"]["explainer"] == "linear"
    assert run.manifest["shap"]["output"] == "log_odds"
    X = frame[list(run.roles.inputs)]
    encoded = model[:-1].transform(X)
    centred = (encoded - encoded.mean(axis=0)) * model[-1].coef_[0]
    encoder = model.named_steps["encode"]
    expected, start = {}, 0
    one_hot = encoder.named_transformers_["c"]
    for column, categories in zip(encoder.transformers_[0][2], one_hot.categories_, strict=True):
        expected[column] = centred[:, start:start + len(categories)].sum(axis=1)
        start += len(categories)
    for offset, column in enumerate(encoder.transformers_[1][2]):
        expected[column] = centred[:, start + offset]
    for column, values in expected.items():
        np.testing.assert_allclose(run.explanation.values[column], values, atol=1e-4)
    np.testing.assert_allclose(run.explanation.prediction, model.decision_function(X))
    assert run.roles.tiers[0].min_score == pytest.approx(0.0)


def test_model_without_exact_explainer_says_which_approximation() -> None:
    frame = table(n=80)
    X = frame[["income", "debts", "age"]]
    model = Pipeline([("s", StandardScaler()), ("knn", KNeighborsRegressor(5))]).fit(
        X, frame.score)
    explanation, method = explain_any(model, X, output="score")
    assert (method.explainer, method.exact) == ("permutation", False)
    assert method.background_rows == 50 and method.max_evals == 30
    assert "50 rows" in method.note and "approximate" in method.note
    total = explanation.base + explanation.values.to_numpy(np.float64).sum(axis=1)
    np.testing.assert_allclose(total, model.predict(X), atol=1e-3)


def test_the_types_a_model_file_asks_for_are_listed(tmp_path) -> None:
    frame = table()
    data = skops_bytes(regressor(frame))
    types = requested_types(data)
    assert {"sklearn.pipeline.Pipeline", "sklearn.linear_model._ridge.Ridge",
            "sklearn.preprocessing._encoders.OneHotEncoder"} <= set(types)
    run = load_run(import_files(*_write(tmp_path, frame, data, ROLES, "t.csv"),
                                tmp_path / "run"))
    assert run.manifest["model"]["types"] == types
    assert run.roles.sensitive == ("sex", "age_band")
    assert "district" in run.roles.categorical
    assert run.roles.privacy["income"] == "financial"
    assert run.roles.privacy["age"] == "unspecified"


def test_native_categorical_splits_are_explained_exactly() -> None:
    # shap's TreeExplainer gets these splits wrong; the tree kernels follow their category
    # sets (tests/test_native_categorical.py checks them against brute-force Shapley values)
    frame = table(n=200)
    X = frame[["income", "debts", "district", "age"]]
    codes = ColumnTransformer([("o", OrdinalEncoder(), ["district"])], remainder="passthrough",
                              verbose_feature_names_out=False).set_output(transform="pandas")
    model = Pipeline([("codes", codes), ("trees", HistGradientBoostingRegressor(
        max_iter=30, categorical_features=["district"], random_state=0))]).fit(X, frame.score)
    explanation, method = explain_any(model, X, output="score")
    assert method.explainer == "tree" and method.exact
    assert method.max_additivity_error < 1e-9
    total = explanation.base + explanation.values.to_numpy(np.float64).sum(axis=1)
    np.testing.assert_allclose(total, model.predict(X), atol=1e-3)


def test_german_credit_audit_findings(german_forest) -> None:
    from sesame_audit.model.audit.findings import audit_findings

    _, _, run = german_forest
    findings = audit_findings(run)
    single = {"personal_status_and_sex", "age_in_years_band", "foreign_worker"}
    assert single <= set(findings["impact_ratios"])
    assert {key for key in findings["impact_ratios"] if key not in single} == {
        f"{a} & {b}" for a, b in combinations(["personal_status_and_sex", "age_in_years_band",
                                               "foreign_worker"], 2)}
    reach = pd.Series(run.explanation.prediction >= 0.5)
    groups = run.people["foreign_worker"]
    sizes = groups.value_counts()
    rates = reach.groupby(groups).mean()[sizes >= 11]
    best = rates[sizes[rates.index] >= 30].max()  # the reference has at least 30 people
    for group, rate in rates.items():
        cell = findings["impact_ratios"]["foreign_worker"][group]["at_least_0.5"]
        assert cell["ratio"] == pytest.approx(rate / best)
        assert (cell["n"], cell["reached"]) == (sizes[group], reach[groups == group].sum())
    assert findings["friends"] is None
    assert set(findings["drivers"]) == set(run.roles.inputs)
    assert findings["proxies"] and {p["attribute"] for p in findings["proxies"]} <= set(
        run.roles.sensitive)
    # the attributes the model reads are direct use, never their own proxies
    direct = {(d["attribute"], d["feature"]) for d in findings["direct_use"]}
    assert direct == {("age_in_years_band", "age_in_years")}  # the model reads age
    ranked = {(p["attribute"], p["feature"]) for p in findings["proxies"]}
    assert not direct & ranked
    assert all(p["feature"] != p["attribute"] for p in findings["proxies"])
    assert max(p["strength"] for p in findings["proxies"]) < 0.99
    drivers = run.explanation.values.abs().mean()
    for entry in findings["direct_use"]:
        assert entry["shap_share"] == pytest.approx(drivers[entry["feature"]] / drivers.sum())
    assert findings["accuracy"]["accuracy"] == run.manifest["metrics"]["accuracy"]


def test_an_attribute_read_through_its_information_is_never_called_unread(german_forest
                                                                         ) -> None:
    from sesame_audit.model.audit.headline import proxy_sentence
    from sesame_audit.model.audit.unawareness import unawareness_gap, unawareness_sentence
    from sesame_audit.model.person.subject_access import person_data

    _, _, run = german_forest
    band = "age_in_years_band"  # the model reads age_in_years, which determines the band
    bands = run.people.groupby(band, observed=True)["age_in_years"].agg(["min", "max"]
                                                                      ).sort_values("min")
    assert (bands["max"].to_numpy()[:-1] < bands["min"].to_numpy()[1:]).all()  # by hand
    gap = unawareness_gap(run, band)
    assert gap.is_input and gap.read_through == ["age_in_years"]
    label = run.roles.label("age_in_years")
    for sentence in (proxy_sentence(gap, run.roles, run.roles.labels),
                     unawareness_sentence(gap, dict(run.roles.labels), roles=run.roles)):
        assert "never reads" not in sentence and "not an input" not in sentence
        assert f"through {label}, which carries the same information" in sentence
    data = person_data(run, run.people[run.roles.id].iloc[0]).set_index("column")
    assert data.loc[band, "use"] == f"⚠ sensitive, read by the model through {label}"
    unread = [a for a in run.roles.sensitive if a not in (band, *run.roles.inputs)]
    assert unread and all(data.loc[a, "use"] == "⚠ sensitive, not read by the model"
                          for a in unread if a in data.index)
    assert not unawareness_gap(run, unread[0]).is_input
    from sesame_audit.model.audit.findings import audit_findings, findings_text

    text = findings_text(audit_findings(run), dict(run.roles.labels), roles=run.roles)
    line = next(x for x in text.splitlines() if "moves scores by" in x)
    share = audit_findings(run)["direct_use"][0]["mean_abs_points"] * 100  # a probability
    assert f"moves scores by {share:.1f} percentage points" in line, line


def test_score_rows_matches_what_the_shap_values_add_up_to(german_forest, social_run) -> None:
    from sesame_audit.model.runs.scoring import score_rows

    _, model, run = german_forest
    X = run.people[list(run.roles.inputs)].head(40)
    good = list(model.classes_).index("good")
    np.testing.assert_allclose(score_rows(run, X), model.predict_proba(X)[:, good])
    np.testing.assert_allclose(score_rows(run, X), run.explanation.prediction[:40])
    synthetic = social_run.people[list(social_run.roles.inputs)].head(40)
    np.testing.assert_allclose(score_rows(social_run, synthetic),
                               social_run.explanation.prediction[:40])


def test_what_if_on_imported_runs_uses_the_runs_own_explainer(german_forest, tmp_path) -> None:
    frame, model, run = german_forest
    unchanged = what_if(run, 3, {})
    assert unchanged.score == pytest.approx(run.explanation.prediction[3], abs=1e-9)
    np.testing.assert_allclose(list(unchanged.contributions.values()),
                               run.explanation.values.iloc[3].to_numpy(np.float64), atol=1e-5)
    edited = what_if(run, 3, {"duration_in_month": 60})
    row = frame[list(run.roles.inputs)].iloc[[3]].copy()
    row["duration_in_month"] = 60
    good = list(model.classes_).index("good")
    assert edited.score == pytest.approx(model.predict_proba(row)[0, good], abs=1e-9)
    assert edited.base + sum(edited.contributions.values()) == pytest.approx(edited.score,
                                                                             abs=1e-5)
    # a linear model's what-if keeps the population's base value (the table's mean)
    frame, logistic = _german_pipeline(LogisticRegression(max_iter=2000))
    linear = load_run(import_files(*_write(tmp_path, frame, logistic, GERMAN_ROLES, "g.csv"),
                                   tmp_path / "run"))
    again = what_if(linear, 5, {})
    assert again.base == pytest.approx(linear.explanation.base, abs=1e-3)
    np.testing.assert_allclose(list(again.contributions.values()),
                               linear.explanation.values.iloc[5].to_numpy(np.float64),
                               atol=1e-3)


def test_actionable_directions_in_a_roles_file() -> None:
    from sesame_audit.model.core.bad_input import RolesError
    from sesame_audit.model.importing.roles_file import parse_roles

    spec = parse_roles('sensitive = ["sex"]\n[actionable]\nsavings = "rise"\ndebt = "fall"\n'
                       'hours = "either"\n')
    assert spec.actionable == ("savings", "debt", "hours")
    assert spec.directions == {"savings": "rise", "debt": "fall"}
    assert parse_roles('actionable = ["a", "b"]').directions == {}
    with pytest.raises(RolesError, match=r"direction of 'debt'.*'rise', 'fall', 'either'"):
        parse_roles('[actionable]\ndebt = "down"\n')
