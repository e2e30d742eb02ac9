"""How imported runs read: findings told only when clear, tiers made from a threshold read as
the threshold, the run's unit in every band and axis, a classifier's roles without ``unit``."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_inputs import CLASSIFIER_ROLES, classifier, skops_bytes, table
from test_headline import _ratios

from sesame_audit.app.headline_charts import PENALISED, penalty_chart
from sesame_audit.app.proxy_charts import before_after_chart
from sesame_audit.model.audit.fairness import CLEAR, NO_FINDING, UNCERTAIN
from sesame_audit.model.audit.headline import most_penalised, penalty_of, penalty_sentence
from sesame_audit.model.core.bad_input import RolesError
from sesame_audit.model.core.roles import Roles, TierSpec
from sesame_audit.model.core.units import band_text, threshold_words, tier_words
from sesame_audit.model.importing.checks import prepare
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.importing.roles_file import parse_roles
from sesame_audit.model.person.shown_score import band_table, person_sentences
from sesame_audit.model.runs.store import load_run

ACCUSING = re.compile(r"\bperson \(.*\) reaches .* less often than an? ")


def _roles(unit: str = "points", tiers: tuple[TierSpec, ...] = (TierSpec("low", 500),),
           favourable: str = "high") -> Roles:
    task = "classification" if unit in ("probability", "log_odds") else "regression"
    top = 1.0 if unit == "probability" else 1000.0
    return Roles(id="id", inputs=("a",), sensitive=("colour",), target="y", score_min=0,
                 score_max=top, tiers=tiers, task=task, unit=unit,  # type: ignore[arg-type]
                 favourable=favourable)  # type: ignore[arg-type]


def _found(red_reached: int, red_n: int = 1000) -> object:
    """The penalty of red against blue (500 of 1,000 reach the tier ``low``)."""
    ratios = _ratios([("blue", "low", 1000, 500, False),
                      ("red", "low", red_n, red_reached, False)], "blue")
    return most_penalised(ratios, {"low": 500.0})


@pytest.mark.parametrize(("red_reached", "red_n", "finding"), [
    (495, 1000, NO_FINDING),  # ratio 0.99: within the rule
    (9, 20, NO_FINDING),      # ratio 0.9 on 20 people
    (7, 20, UNCERTAIN),       # ratio 0.7, its interval reaching 0.8
])
def test_no_accusation_without_a_clear_finding(red_reached, red_n, finding) -> None:
    found = _found(red_reached, red_n)
    ratio = (red_reached / red_n) / 0.5  # by hand
    assert found.ratio == pytest.approx(ratio)
    assert found.finding == finding and found.high >= 0.8
    text = penalty_sentence(found, _roles(), {"colour": "Colour"})
    assert text.startswith("No group clearly falls behind its reference group in reaching "
                           "the low tier (a score of 500 or more)."), text
    assert not ACCUSING.search(text) and "less often than a blue" not in text
    # the figures are still given, for whoever checks them
    assert f"{red_reached / red_n:.1%} of {red_n:,} people against 50.0% of 1,000" in text
    assert f"Impact ratio {ratio:.2f}" in text
    spec = penalty_chart(found, _roles(), {"colour": "Colour"}, sentence=text).to_dict()
    legend = spec["layer"][0]["encoding"]["color"]["scale"]
    assert "penalised" not in legend["domain"] and PENALISED not in legend["range"]
    assert "penalised" not in spec["description"]


def test_a_clear_finding_is_still_told_as_one() -> None:
    found = _found(300)  # 30% against 50% of 1,000 each: ratio 0.6, clearly under 0.8
    assert found.finding == CLEAR
    text = penalty_sentence(found, _roles(), {"colour": "Colour"})
    assert text.startswith("A red person (colour) reaches the low tier (a score of 500 or "
                           "more) 40% less often than a blue person")
    legend = penalty_chart(found, _roles()).to_dict()["layer"][0]["encoding"]["color"]["scale"]
    assert legend["domain"][0] == "penalised" and legend["range"][0] == PENALISED


def test_tiers_made_from_thresholds_read_as_the_threshold() -> None:
    spec = parse_roles("thresholds = [0.5]\n")
    assert [t.generated for t in spec.tiers] == [True]
    low = parse_roles('thresholds = [40.0, 25.0]\nfavourable = "low"\n')
    assert [t.name for t in low.tiers] == ["at_most_40", "at_most_25"]
    assert all(t.generated for t in low.tiers)
    named = parse_roles('[[tiers]]\nname = "gold"\nmin_score = 650\n')
    assert not named.tiers[0].generated
    # a classifier's default tier, made when no threshold is given
    assert TierSpec("positive", 0.5, "probability at least 0.5").generated
    assert not TierSpec("positive", 0.5, "a loan").generated

    probability = _roles("probability", spec.tiers)
    assert tier_words("at_least_0.5", 0.5, probability) == "a probability of 0.5 or more"
    days = replace(_roles("days", low.tiers, "low"), score_max=80.0)
    assert tier_words("at_most_25", 25.0, days) == "a score of 25 days or less"
    assert tier_words("gold", 650.0, _roles("points", named.tiers)) == (
        "the gold tier (a score of 650 or more)")
    assert threshold_words(0.5, probability) == "a probability of 0.5 or more"


def test_the_sentence_on_a_generated_tier_and_a_banded_attribute() -> None:
    ratios = _ratios([("blue", "at_least_0.5", 1000, 500, False),
                      ("red", "at_least_0.5", 1000, 300, False)], "blue")
    found = most_penalised(ratios, {"at_least_0.5": 0.5})
    roles = _roles("probability", parse_roles("thresholds = [0.5]\n").tiers)
    text = penalty_sentence(found, roles, {"colour": "Age (band)"})
    assert "reaches a probability of 0.5 or more 40% less often" in text, text
    assert "at least 0.5" not in text and "tier" not in text
    assert "))" not in text and "(age band)" in text
    title = penalty_chart(found, roles, {"colour": "Age (band)"}).to_dict()["title"]
    assert " ".join(title["text"]) == "Who reaches a probability of 0.5 or more?"


def test_bands_are_written_in_the_run_unit() -> None:
    assert band_text(0.6, 0.65, _roles("probability")) == "60.0% to 65.0%"
    assert band_text(600.0, 625.0, _roles("points")) == "600 to 625"
    days = replace(_roles("days"), score_max=80.0)
    assert band_text(24.0, 25.6, days) == "24.0 to 25.6 days"  # range 80: one decimal


@pytest.fixture(scope="module")
def approvals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An imported classifier scored as a probability."""
    folder = tmp_path_factory.mktemp("wording")
    frame = table()
    (folder / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "c.skops").write_bytes(skops_bytes(classifier(frame)))
    (folder / "r.toml").write_text(CLASSIFIER_ROLES + 'output = "probability"\n')
    import_files(folder / "t.csv", folder / "c.skops", folder / "r.toml", folder / "run")
    return folder / "run"


def test_the_person_page_writes_bands_as_percentages(approvals) -> None:
    run = load_run(approvals)
    person = run.people[run.roles.id].iloc[0]
    score = float(run.person(person).prediction)
    sentences = person_sentences(run, person)
    assert sentences and all("%" in s.split(" is ")[0] or "%" in s.split(":")[0]
                             for s in sentences), sentences
    table_ = band_table(run, "sex")
    start = table_["band_start"][table_["band_start"] <= score].max()
    end = table_.loc[table_["band_start"] == start, "band_end"].iloc[0]
    assert f"{start:.1%} to {end:.1%}" in sentences[0]
    assert not re.search(r"score of 0\.\d", " ".join(sentences))


def test_the_headline_of_the_classifier_is_not_an_accusation(approvals) -> None:
    run = load_run(approvals)
    found = penalty_of(run)
    assert found is not None
    text = penalty_sentence(found, run.roles, run.roles.labels)
    assert "a probability of 0.5 or more" in text and "at least 0.5" not in text
    if found.finding != CLEAR:
        assert text.startswith("No group clearly falls behind") and not ACCUSING.search(text)


def test_the_flip_test_axis_is_in_percent() -> None:
    import pandas as pd

    by_group = pd.DataFrame({"group": ["a", "b"], "mean_before": [0.556, 0.612],
                             "mean_after": [0.58, 0.59], "suppressed": [False, False]})
    spec = before_after_chart(by_group, title="Flip", value_title="Mean score (probability)",
                              roles=_roles("probability")).to_dict()
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    assert axis["format"] == "%"
    assert "55.6%" in spec["description"] and "0.556" not in spec["description"]


def test_a_classifier_roles_file_with_a_unit_is_refused() -> None:
    frame = table()
    spec = parse_roles(CLASSIFIER_ROLES + 'unit = "probability"\n')  # no task: not yet known
    with pytest.raises(RolesError, match=r"'unit' is for regressors.*'output'"):
        prepare(frame, classifier(frame), spec)
    with pytest.raises(RolesError, match="'output'"):
        parse_roles(CLASSIFIER_ROLES + 'task = "classification"\nunit = "EUR"\n')
    unit = prepare(frame, classifier(frame), parse_roles(CLASSIFIER_ROLES)).roles.unit
    assert unit in ("probability", "log_odds")  # without 'unit', the model's natural output


def test_reference_groups_and_tier_bars_name_a_generated_tier_by_its_threshold() -> None:
    import pandas as pd

    from sesame_audit.app.charts import tier_chart
    from sesame_audit.model.audit.fairness import four_fifths_headline

    ratios = _ratios([("blue", "at_least_0.5", 1000, 500, False),
                      ("red", "at_least_0.5", 1000, 450, False)], "blue")
    roles = _roles("probability", parse_roles("thresholds = [0.5]\n").tiers)
    text = four_fifths_headline(ratios, roles)
    assert text.endswith("Reference groups (the most favoured with enough people): 0.5+: blue.")
    assert "at least" not in text
    tiers = pd.DataFrame({"tier": ["at_least_0.5"], "min_score": [0.5], "perk": [""],
                          "status": [""], "people": [75], "share": [0.5]})
    spec = tier_chart(tiers, roles=roles, synthetic=False).to_dict()
    assert " ".join(spec["title"]["text"]) == "Who reaches each threshold?"
    assert "reward" not in spec["description"]
    assert list(pd.DataFrame(spec["datasets"][spec["data"]["name"]])["name"]) == ["0.5+"]


def test_fairness_tier_labels_drop_a_name_made_from_the_threshold() -> None:
    from sesame_audit.app.audit_charts import tier_labels

    assert tier_labels([("at_least_0.5", 0.5, "0.5+"), ("car_rental", 650.0, "650+")]) == {
        "at_least_0.5": "0.5+", "car_rental": "car rental (650+)"}
    assert tier_labels([("at_most_25", 25.0, "≤ 25")]) == {"at_most_25": "≤ 25"}


def test_explain_names_a_generated_tier_by_its_threshold(approvals, capsys) -> None:
    from sesame_audit.model.cli import main

    run = load_run(approvals)
    scores = run.explanation.prediction
    row = int(np.argmax(scores))  # reaches the 0.5 threshold
    assert scores[row] >= 0.5
    person = str(run.people[run.roles.id].iloc[row])
    assert main(["explain", str(approvals), "--person", person]) == 0
    out = capsys.readouterr().out
    assert "(tier 0.5+)" in out and "at_least" not in out


@pytest.mark.parametrize(("read_through", "low", "opening", "absent"), [
    ([], 2.0, "The model never reads colour, yet red people score 5.0 points above", "tell"),
    (["hue"], 2.0, "The model reads colour through hue, which carries the same information, "
                   "and red people score", "yet"),
    ([], -1.0, "The model never reads colour; red people score 5.0 points above", "yet")])
def test_the_proxy_sentence_says_yet_only_for_a_gap_without_reading(read_through, low,
                                                                    opening, absent) -> None:
    from sesame_audit.model.audit.headline import proxy_sentence
    from sesame_audit.model.audit.unawareness import UnawarenessGap

    by_feature = pd.DataFrame({"feature": ["a"], "gap_points": [5.0], "strength": [0.6],
                               "is_proxy": [False]})
    gap = UnawarenessGap("colour", bool(read_through), "red", "blue", 5.0, 0.0, 0.0, [],
                         by_feature, gap_low=low, gap_high=8.0, n_favoured=400,
                         n_disfavoured=300, read_through=read_through)
    text = proxy_sentence(gap, _roles(), {"colour": "Colour", "hue": "hue"})
    assert text.startswith(opening), text
    assert absent not in text.split(" No single input")[0]
    if low <= 0:
        assert "includes no gap at all" in text
