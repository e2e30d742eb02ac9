"""What a public score gives away: intervals, AUC from counts, views, bands and findings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from streamlit.testing.v1 import AppTest

from sesame_audit.model.audit.disclosure import (
    _adjusted_eta_squared,
    attribute_disclosure,
    badge_threshold,
    disclosure_findings,
    narrowing,
    view_counts,
    view_finding,
    view_label,
)
from sesame_audit.model.cli import main
from sesame_audit.model.figures.association import auc_from_counts
from sesame_audit.model.person.shown_score import band_table, person_sentences
from sesame_audit.model.person.subject_access import subject_access, to_markdown

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def test_auc_from_counts_equals_sklearn_on_the_people_it_counts() -> None:
    rng = np.random.default_rng(3)
    score = rng.integers(0, 6, 40).astype(float)  # many ties
    pos = rng.integers(0, 5, 40).astype(float)
    neg = rng.integers(0, 5, 40).astype(float)
    labels = np.concatenate([np.ones(int(pos.sum())), np.zeros(int(neg.sum()))])
    scores = np.concatenate([np.repeat(score, pos.astype(int)),
                             np.repeat(score, neg.astype(int))])
    assert auc_from_counts(score, pos, neg) == pytest.approx(roc_auc_score(labels, scores))
    assert np.isnan(auc_from_counts(score, pos, np.zeros(40)))


def test_views_count_the_people_of_the_run(proxy_run) -> None:
    people = proxy_run.people
    score = np.asarray(proxy_run.explanation.prediction, dtype=float)
    threshold = badge_threshold(proxy_run)
    assert threshold == 588
    views = view_counts(proxy_run, "ethnicity")
    groups = people["ethnicity"].astype(str)
    above = pd.Series(score >= threshold).groupby(groups.to_numpy()).sum()
    badge = views["badge_588"]
    for group in above.index:
        assert badge.loc[1, group] == above[group]
        assert badge[group].sum() == (groups == group).sum()
    starts = np.array([t.min_score for t in proxy_run.roles.tiers])
    level = np.searchsorted(starts, score, side="right")  # 0 = below every tier
    tiers = pd.crosstab(level, groups.to_numpy())
    for group in tiers.columns:
        for lvl, count in tiers[group].items():
            assert views["tier"].loc[lvl, group] == count
    assert views["score"].to_numpy().sum() == len(people)


def test_independent_view_gives_chance_and_a_planted_one_is_found() -> None:
    rng = np.random.default_rng(7)
    shares = np.array([0.7, 0.3])
    noise = pd.DataFrame(rng.multinomial(400, shares, size=12))  # bands x groups, no link
    found = view_finding(noise, k=11)
    assert found is not None and found.low <= 0.5 <= found.high
    ramp = np.linspace(0.1, 0.9, 12)  # band i holds group 1 with share ramp[i]
    planted = pd.DataFrame([rng.multinomial(400, [1 - p, p]) for p in ramp])
    clear = view_finding(planted, k=11)
    assert clear is not None and clear.low > 0.7
    # groups under k people are left out of the comparison
    assert view_finding(pd.DataFrame({"a": [50, 60], "b": [3, 4]}), k=11) is None


def test_adjusted_eta_squared_by_hand() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0])
    bands = np.array([0, 0, 0, 1, 1, 1])
    means = values.reshape(2, 3).mean(axis=1)
    between = 3 * ((means - values.mean()) ** 2).sum()
    total = ((values - values.mean()) ** 2).sum()
    eta = between / total
    expected = 1 - (1 - eta) * (6 - 1) / (6 - 2)
    assert _adjusted_eta_squared(values, bands) == pytest.approx(expected)


def test_band_shares_by_hand_and_no_small_cell(proxy_run) -> None:
    k = 11
    table = band_table(proxy_run, "ethnicity", k=k)
    score = np.clip(np.asarray(proxy_run.explanation.prediction, dtype=float),
                    proxy_run.roles.score_min, proxy_run.roles.score_max)
    groups = proxy_run.people["ethnicity"].astype(str).to_numpy()
    shown = table[~table["suppressed"]]
    assert len(shown) > 0
    last = table["band_end"].max()
    for row in shown.itertuples():
        inside = (score >= row.band_start) & ((score < row.band_end) | (row.band_end == last))
        assert row.band_people == inside.sum()
        count = (inside & (groups == row.group)).sum()
        assert row.people == count and (count == 0 or count >= k)
        assert row.share == pytest.approx(row.people / row.band_people)
        assert row.low <= row.share <= row.high
        assert row.lift == pytest.approx(row.share / (groups == row.group).mean())
    hidden = table[table["suppressed"]]
    assert hidden[["people", "share", "low", "high", "lift"]].isna().all().all()
    # no band holds exactly one hidden cell that could be recovered from the band's total
    per_band = table.groupby("band_start")["suppressed"].sum()
    open_bands = table.groupby("band_start")["band_people"].first().notna()
    assert not ((per_band == 1) & open_bands).any()


def test_the_proxy_score_gives_ethnicity_away_and_marketed_hides_opinion(
        proxy_run, marketed_run, social_run) -> None:
    proxy = attribute_disclosure(proxy_run)
    assert proxy["ethnicity"]["score"].low > 0.6  # clearly better than chance
    assert proxy["ethnicity"]["score"].n == len(proxy_run.people)
    marketed = attribute_disclosure(marketed_run)["political_opinion"]["score"]
    assert marketed.auc < 0.56 and marketed.high < proxy["ethnicity"]["score"].low
    social = attribute_disclosure(social_run)["political_opinion"]["score"]
    assert social.auc > marketed.auc  # flagged posts and friends carry opinion into the score


def test_cli_disclosure_json(proxy_run, capsys) -> None:
    assert main(["disclosure", str(proxy_run.path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ethnicity = data["attributes"]["ethnicity"]
    assert set(ethnicity) == {"score", "tier", "badge_588"}
    for view in ethnicity.values():
        assert {"auc", "low", "high", "base_rate"} <= set(view)
        assert view["low"] <= view["auc"] <= view["high"]
    assert data["inputs"][0]["explained"] >= data["inputs"][-1]["explained"]
    assert main(["disclosure", str(proxy_run.path), "--k", "0"]) == 2
    assert main(["disclosure", str(proxy_run.path)]) == 0
    assert "Ethnicity: score" in capsys.readouterr().out


def test_person_sentence_and_subject_access(proxy_run) -> None:
    person = proxy_run.people[proxy_run.roles.id].iloc[0]
    sentences = person_sentences(proxy_run, person)
    assert len(sentences) == len([a for a in proxy_run.roles.sensitive
                                  if a in proxy_run.people.columns])
    summary = subject_access(proxy_run, person)
    assert summary["shown_score"] == sentences
    assert "What my score tells others" in to_markdown(summary)
    assert findings_have_disclosure(proxy_run)


def findings_have_disclosure(run) -> bool:
    found = disclosure_findings(run, bands=False)
    return found["bands"] is None and "ethnicity" in found["attributes"]


def test_disclosure_page(proxy_run, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(proxy_run.path.parent))
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.session_state["run_name"] = proxy_run.path.name
    at.run()
    at.switch_page("views/disclosure.py")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value.startswith("What does a score shown in public")
    assert len(at.get("vega_lite_chart")) == 3
    lead = at.get("text")[0].value
    assert "AUC" in lead and "ethnicity" in lead
    at.selectbox(key="disclosure_attribute").set_value("hukou").run()
    assert not at.exception


def test_the_narrowing_estimate_lies_in_its_interval(proxy_run) -> None:
    found = narrowing(proxy_run)
    assert len(found) > 5 and found["explained"].is_monotonic_decreasing
    assert ((found["low"] <= found["explained"]) & (found["explained"] <= found["high"])).all()
    # the score is built from friends' scores and payments: they are what it gives away most
    assert {"friends_mean_score", "payment_history"} & set(found["feature"].head(3))


def test_the_badge_threshold_is_written_as_typed() -> None:
    from sesame_audit.model.core.roles import Roles, TierSpec

    log_odds = Roles(id="id", inputs=("a",), sensitive=("s",), target="y", score_min=-5.0,
                     score_max=5.0, tiers=(TierSpec("at_least_0.5", 0.0),),
                     task="classification", unit="log_odds")
    assert view_label("badge_0", log_odds) == "above or below probability 0.5"
    assert view_label("badge_588") == "above or below 588"
    assert view_label("score", log_odds) == "the score"
