"""Proxies: one-feature AUC by hand, score through proxies, flip test, minimisation, and the
acceptance on the presets at 20,000 people."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score, roc_auc_score
from tiny_runs import LinearModel, tiny_run

from sesame_audit.model.audit.counterfactuals import flip_test, minimise, resolve_drop
from sesame_audit.model.audit.fairness import impact_ratios
from sesame_audit.model.audit.proxies import (
    direct_use,
    joint_strength,
    proxies_of,
    proxy_strength,
)
from sesame_audit.model.audit.unawareness import (
    score_through_proxies,
    unawareness_gap,
    unawareness_sentence,
)
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.build.train import fit_score_model
from sesame_audit.model.figures.association import (
    binary_auc,
    feature_codes,
    mutual_information,
    one_feature_auc,
)
from sesame_audit.model.figures.same_information import same_information, same_name
from sesame_audit.model.runs.store import load_run, verify

PLANTED = {"district", "device", "friends_mean_score", "patriotic_purchase_share"}


def test_one_feature_auc_by_hand() -> None:
    target = np.tile([0, 1], 5000)
    assert one_feature_auc(target.copy(), target) == pytest.approx(1.0)
    assert one_feature_auc(np.zeros(10_000, dtype=int), target) == pytest.approx(0.5, abs=0.02)
    # code 1 holds 3 of every 4 positives: with many people, the cross-fitted AUC tends to
    # the AUC of the true rates, (3/4 * 3/4 + 1/2 * (3/4 * 1/4 + 1/4 * 3/4)) = 0.75
    codes = np.array([0, 0, 0, 1, 1, 1, 1, 0] * 2000)
    target = np.array([0, 0, 1, 1, 1, 1, 0, 0] * 2000)
    rates = pd.Series(target).groupby(codes).transform("mean").to_numpy()
    assert roc_auc_score(target, rates) == pytest.approx(0.75)
    assert one_feature_auc(codes, target) == pytest.approx(0.75, abs=0.01)
    assert one_feature_auc(1 - codes, target) == pytest.approx(one_feature_auc(codes, target))


def test_binary_and_macro_auc_agree_with_sklearn() -> None:
    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, 30_000)
    codes = np.where(rng.random(30_000) < 0.4, target, rng.integers(0, 5, 30_000))
    score = np.round(rng.random(30_000) + 0.3 * (target == 1), 1)
    assert binary_auc(target == 1, score) == pytest.approx(roc_auc_score(target == 1, score))
    assert binary_auc(np.array([True, False]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert np.isnan(binary_auc(np.zeros(4, dtype=bool), np.arange(4.0)))
    # with many people the cross-fitted rates are the group rates of each code: the macro
    # one-vs-rest AUC of those rates, by sklearn
    rates = pd.crosstab(codes, target, normalize="index").to_numpy()[codes]
    expected = roc_auc_score(target, rates, multi_class="ovr", average="macro")
    assert one_feature_auc(codes, target) == pytest.approx(expected, abs=0.01)


def test_mutual_information_in_bits_by_hand() -> None:
    # 4 people: codes (0, 0, 1, 1), groups (0, 0, 0, 1): p(0,0)=1/2, p(1,0)=p(1,1)=1/4,
    # p(c=0)=p(c=1)=1/2, p(g=0)=3/4, p(g=1)=1/4
    by_hand = (0.5 * np.log2(0.5 / (0.5 * 0.75)) + 0.25 * np.log2(0.25 / (0.5 * 0.75))
               + 0.25 * np.log2(0.25 / (0.5 * 0.25)))
    assert mutual_information(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1])) == pytest.approx(
        by_hand)
    rng = np.random.default_rng(5)
    target = rng.integers(0, 3, 5000)
    codes = np.where(rng.random(5000) < 0.3, target, rng.integers(0, 4, 5000))
    table = np.zeros((4, 3))
    np.add.at(table, (codes, target), 1 / 5000)
    outer = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True)
    assert mutual_information(codes, target) == pytest.approx(
        np.sum(table * np.log2(table / outer)))
    assert mutual_information(codes, target) == pytest.approx(
        mutual_info_score(target, codes) / np.log(2))
    assert mutual_information(target, target) == pytest.approx(
        -np.sum(np.bincount(target) / 5000 * np.log2(np.bincount(target) / 5000)))


def test_feature_codes_bins_numbers_and_keeps_categories() -> None:
    numbers = pd.Series(np.arange(100, dtype=float))
    codes = feature_codes(numbers, categorical=False, bins=4)
    assert np.bincount(codes).tolist() == [25, 25, 25, 25]
    words = feature_codes(pd.Series(["a", "b", "a", None]), categorical=True)
    assert words.tolist() == [0, 1, 0, 2]


def _proxy_world(n: int = 400):
    rng = np.random.default_rng(7)
    group = np.where(np.arange(n) % 4 == 0, "minority", "majority")
    # every minority person lives east, and 1 in 30 of the majority: a strong proxy that
    # does not carry the same information as the group
    district = np.where((group == "minority") | (np.arange(n) % 40 == 1), "east", "west")
    noise = rng.normal(size=n)
    people = pd.DataFrame({"person_id": np.arange(n), "group": group, "district": district,
                           "noise": noise, "score": 0.0})
    shap = pd.DataFrame({"district": np.where(district == "east", -30.0, 10.0),
                         "noise": noise})
    prediction = 600 + shap.sum(axis=1).to_numpy()
    model = LinearModel(600.0, {"noise": 1.0}, {"district": {"east": -30.0, "west": 10.0}})
    return tiny_run(people, inputs=("district", "noise"), sensitive=("group",),
                    prediction=prediction, shap=shap, model=model, categorical=("district",))


def test_proxy_strength_ranks_a_strong_stand_in_first() -> None:
    run = _proxy_world()
    strength = proxy_strength(run)
    top = strength.iloc[0]
    assert (top["feature"], top["attribute"]) == ("district", "group")
    # east holds all 100 minority people and 10 of the 300 majority: the AUC of the
    # district's rates is P(minority east) * P(majority west) + ties / 2
    assert top["strength"] == pytest.approx(1.0 * 290 / 300 + 0.5 * 10 / 300, abs=0.01)
    assert top["mutual_information"] == pytest.approx(
        mutual_info_score(run.people["group"], run.people["district"]) / np.log(2))
    noise = strength[strength["feature"] == "noise"].iloc[0]
    assert 0.35 < noise["strength"] < 0.65
    assert proxies_of(strength, "group", 0.7) == ["district"]
    assert direct_use(run).empty


def _direct_world(n: int = 600):
    rng = np.random.default_rng(5)
    age = rng.integers(18, 80, n)
    band = np.where(age < 30, "18-29", np.where(age < 50, "30-49", "50+"))
    sex = np.where(rng.random(n) < 0.5, "female", "male")
    code = np.where(sex == "female", "F", "M")  # a recoding of sex
    income = rng.normal(size=n) + 0.3 * (sex == "male")
    people = pd.DataFrame({"person_id": np.arange(n), "sex": sex, "age": age.astype(float),
                           "age_band": band, "sex_code": code, "income": income,
                           "score": 0.0})
    shap = pd.DataFrame({"sex": np.where(sex == "male", 6.0, -6.0), "age": (age - 49) / 10,
                         "sex_code": 0.0, "income": 3 * income})
    return tiny_run(people, inputs=("sex", "age", "sex_code", "income"),
                    sensitive=("sex", "age_band"), prediction=600 + shap.sum(axis=1).to_numpy(),
                    shap=shap, categorical=("sex", "sex_code"))


def test_an_attribute_read_directly_is_never_its_own_proxy() -> None:
    run = _direct_world()
    strength = proxy_strength(run)
    pairs = set(zip(strength["feature"], strength["attribute"], strict=True))
    assert pairs == {("income", "sex"), ("income", "age_band"), ("sex", "age_band"),
                     ("sex_code", "age_band"), ("age", "sex")}
    direct = direct_use(run).set_index(["attribute", "feature"])
    assert set(direct.index) == {("sex", "sex"), ("sex", "sex_code"), ("age_band", "age")}
    assert direct.loc[("sex", "sex"), "relation"] == "the attribute itself"
    assert direct.loc[("age_band", "age"), "relation"] == "same information"
    mean_abs = run.explanation.values.abs().mean()
    assert direct.loc[("sex", "sex"), "mean_abs_points"] == pytest.approx(6.0)
    assert direct.loc[("sex", "sex"), "shap_share"] == pytest.approx(6.0 / mean_abs.sum())
    # the band test: sorted by age, the band changes twice
    assert same_information(run.people["age"], pd.factorize(run.people["age_band"])[0],
                            categorical=False)
    assert not same_information(run.people["income"], pd.factorize(run.people["sex"])[0],
                                categorical=False)
    assert same_name("age", "age_band") and not same_name("age", "agency")


def test_unawareness_names_the_largest_contributors_whatever_their_strength() -> None:
    run = _proxy_world()
    gap = unawareness_gap(run, "group", threshold=0.99)  # district (about 0.98) is no proxy
    assert gap.proxies == [] and gap.proxy_gap == 0.0
    top = gap.contributors()
    assert top["feature"].iloc[0] == "district"
    assert top["strength"].iloc[0] == pytest.approx(
        proxy_strength(run).set_index("feature").loc["district", "strength"])
    sentence = unawareness_sentence(gap)
    assert "district (+39 points, strength 0.98)" in sentence
    assert "No input reaches a strength of 0.99 for group" in sentence
    minority = (run.people["group"] == "minority").to_numpy()
    score = run.explanation.prediction
    se = np.sqrt(score[~minority].var(ddof=1) / 300 + score[minority].var(ddof=1) / 100)
    assert (gap.gap_low, gap.gap_high) == pytest.approx((gap.gap - 1.959964 * se,
                                                         gap.gap + 1.959964 * se))
    assert (gap.n_favoured, gap.n_disfavoured) == (300, 100)
    assert f"(95% interval {gap.gap_low:.0f} to {gap.gap_high:.0f})" in sentence


def test_score_through_proxies_and_unawareness_by_hand() -> None:
    run = _proxy_world()
    found = score_through_proxies(run, "group", k=11)
    assert found.proxies == ["district"]
    assert np.allclose(found.per_person.to_numpy(), run.explanation.values["district"])
    by_group = found.by_group.set_index("group")
    assert by_group.loc["minority", "points"] == pytest.approx(-30.0)
    assert by_group.loc["majority", "points"] == pytest.approx((290 * 10.0 - 10 * 30.0) / 300)
    gap = unawareness_gap(run, "group")
    minority = (run.people["group"] == "minority").to_numpy()
    expected = (run.explanation.prediction[~minority].mean()
                - run.explanation.prediction[minority].mean())
    assert (gap.favoured, gap.disfavoured) == ("majority", "minority")
    assert gap.gap == pytest.approx(expected)
    assert gap.by_feature["gap_points"].sum() == pytest.approx(gap.gap)
    assert gap.proxy_gap == pytest.approx((290 * 10.0 - 10 * 30.0) / 300 + 30.0)
    assert not gap.is_input


def test_flip_test_by_hand() -> None:
    run = _proxy_world()
    flipped = flip_test(run, "district", "group")
    assert (flipped.majority, flipped.value) == ("majority", "west")
    by_group = flipped.by_group.set_index("group")
    assert by_group.loc["minority", "change"] == pytest.approx(40.0)
    assert by_group.loc["majority", "change"] == pytest.approx(10 * 40.0 / 300)
    noise = run.people["noise"].to_numpy()
    minority = (run.people["group"] == "minority").to_numpy()
    assert flipped.gap_after == pytest.approx(abs(noise[~minority].mean() - noise[minority].mean()))
    with pytest.raises(ValueError, match="not a model input"):
        flip_test(run, "group", "group")


def test_minimise_retrains_without_the_data(proxy_run) -> None:
    assert resolve_drop(proxy_run, ["social graph"]) == ["n_friends", "friends_mean_score",
                                                         "friends_recruited"]
    with pytest.raises(ValueError, match="neither a model input nor a privacy category"):
        resolve_drop(proxy_run, ["shoe size"])
    result = minimise(proxy_run, ["district", "device"])
    roles = proxy_run.roles
    dropped = {"district", "device"}
    kept = dataclasses.replace(
        roles, inputs=tuple(f for f in roles.inputs if f not in dropped),
        categorical=tuple(c for c in roles.categorical if c not in dropped))
    _, metrics = fit_score_model(proxy_run.people, kept, seed=0)
    accuracy = result.accuracy.set_index("metric")
    assert accuracy.loc["r2", "after"] == pytest.approx(metrics["r2"])
    assert accuracy.loc["r2", "before"] == pytest.approx(proxy_run.manifest["metrics"]["r2"])
    assert accuracy.loc["r2", "after"] < accuracy.loc["r2", "before"]
    gaps = result.gaps.set_index("attribute")
    assert gaps.loc["ethnicity", "gap_after"] < gaps.loc["ethnicity", "gap_before"]
    assert minimise(proxy_run, ["device", "district"]) is result
    verify(proxy_run.path, proxy_run.manifest)


# --- acceptance on the presets at 20,000 people ---

@pytest.fixture(scope="module")
def preset_runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("presets")
    built: dict[str, object] = {}

    def get(policy: str):
        if policy not in built:
            built[policy] = load_run(build_run(policy, 20_000, 0, Path(root) / policy))
        return built[policy]
    return get


@pytest.mark.slow
def test_proxy_preset_planted_proxies_rank_first_and_fail_four_fifths(preset_runs) -> None:
    run = preset_runs("proxy")
    strength = proxy_strength(run)
    ethnicity = strength[strength["attribute"] == "ethnicity"]
    assert set(ethnicity["feature"].head(4)) == PLANTED
    assert (ethnicity["strength"].head(4) > 0.7).all()
    ratios = impact_ratios(run, "ethnicity")
    minority = ratios[ratios["group"].str.startswith("minority")]
    assert (minority["flagged"]).any()
    assert minority["impact_ratio"].min() < 0.8
    gap = unawareness_gap(run, "ethnicity", strength=strength)
    assert gap.share_through_proxies > 0.5
    joint = joint_strength(run).set_index("attribute")
    assert joint.loc["ethnicity", "strength"] >= ethnicity["strength"].max() - 0.02


@pytest.mark.slow
def test_political_opinion_matters_on_social_credit_not_on_marketed(preset_runs) -> None:
    marketed, social = preset_runs("marketed"), preset_runs("social-credit")
    posts = "political_posts_flagged"
    mean_abs = {name: float(run.explanation.values[posts].abs().mean())
                for name, run in (("marketed", marketed), ("social", social))}
    assert mean_abs["marketed"] < 1.0 < 5.0 < mean_abs["social"]
    through = {name: score_through_proxies(run, "political_opinion", threshold=0.65)
               for name, run in (("marketed", marketed), ("social", social))}
    assert posts in through["marketed"].proxies and posts in through["social"].proxies
    marketed_points = through["marketed"].by_group.set_index("group")["points"]
    social_points = through["social"].by_group.set_index("group")["points"]
    assert marketed_points.abs().max() < 1.0
    assert social_points["critical"] < -5.0
