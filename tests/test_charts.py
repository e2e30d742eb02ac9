"""Chart builders, checked through their Vega-Lite spec."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from sesame_audit.app import charts
from sesame_audit.model.figures.drivers import (
    beeswarm_data,
    dependence_data,
    influence_by_feature,
    influence_by_privacy,
)
from sesame_audit.model.figures.population import score_histogram, tier_reach_table
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.person.waterfall import waterfall_data


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _data(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values()))


def _titles(spec: dict) -> list[str]:
    found = []
    for layer in _layers(spec):
        for channel in ("x", "y"):
            title = layer.get("encoding", {}).get(channel, {}).get("title")
            if title:
                found.append(title)
    return found


def _colours(spec: dict) -> list[str]:
    ranges = []
    for layer in _layers(spec):
        colour = layer.get("encoding", {}).get("color", {})
        ranges += colour.get("scale", {}).get("range", [])
    return ranges


def test_histogram_marks_every_tier(social_run) -> None:
    scores, roles = social_run.explanation.prediction, social_run.roles
    spec = charts.score_histogram_chart(score_histogram(scores, roles),
                                        tier_reach_table(scores, roles)).to_dict()
    assert len(spec["layer"]) == 3
    assert spec["layer"][0]["mark"]["type"] == "bar"
    assert spec["layer"][1]["mark"]["type"] == "rule"
    assert "Score (score points)" in _titles(spec) and "People" in _titles(spec)
    tiers = next(d for d in spec["datasets"].values() if d and "min_score" in d[0])
    assert [t["min_score"] for t in tiers] == [t.min_score for t in roles.tiers]
    assert spec["title"].endswith("?")


def test_tier_chart_colours_claims_and_uses_percent(social_run) -> None:
    scores, roles = social_run.explanation.prediction, social_run.roles
    table = tier_reach_table(scores, roles)
    spec = charts.tier_chart(table).to_dict()
    assert set(_colours(spec)) <= set(charts.OKABE_ITO)
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, 100]
    assert "%" in spec["encoding"]["x"]["title"]
    rows = _data(spec)
    assert [r["percent"] for r in rows] == pytest.approx(list(table["share"] * 100))


def test_waterfall_spec(social_run) -> None:
    person = explain_person(social_run, 3)
    steps = waterfall_data(person, social_run.roles)
    spec = charts.waterfall_chart(steps).to_dict()
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar" and bars["mark"]["clip"] is True
    assert bars["encoding"]["y"]["sort"] == list(steps["step"])
    assert "Score (score points)" in _titles(spec)
    assert set(_colours(spec)) <= set(charts.OKABE_ITO) | {charts.NEUTRAL}
    labels = {r["step"]: r["label"] for r in _data(spec)}
    first = steps.iloc[1]
    assert labels[first["step"]] == f"{first['points']:+.1f}"
    lo, hi = bars["encoding"]["x"]["scale"]["domain"]
    moves = steps[steps["kind"].isin(["up", "down"])]
    assert lo <= moves[["start", "end"]].min().min() and hi >= steps["end"].max()
    assert all(r["lo"] >= lo for r in _data(spec))
    assert spec["title"] == "What moved this score?"


def test_shared_waterfall_domain_covers_both() -> None:
    a = pd.DataFrame({"kind": ["base", "up", "total"], "start": [0, 600, 0],
                      "end": [600, 620, 620]})
    b = pd.DataFrame({"kind": ["base", "down", "total"], "start": [0, 600, 0],
                      "end": [600, 550, 550]})
    assert charts.waterfall_domain(a, b, pad=5) == (545.0, 625.0)


def test_influence_and_privacy_charts(social_run) -> None:
    values, roles = social_run.explanation.values, social_run.roles
    influence = influence_by_feature(values, roles)
    spec = charts.influence_chart(influence, top=5).to_dict()
    assert len(_data(spec)) == 5
    assert spec["encoding"]["y"]["sort"] == [roles.label(f) for f in influence["feature"][:5]]
    assert "score points" in spec["encoding"]["x"]["title"]
    assert all(r["label"] != r["feature"] for r in _data(spec))
    privacy = charts.privacy_chart(influence_by_privacy(values, roles)).to_dict()
    assert set(_colours(privacy)) <= set(charts.OKABE_ITO)
    assert "score points" in privacy["encoding"]["x"]["title"]


def test_beeswarm_shows_the_sample_size(social_run) -> None:
    points, n = beeswarm_data(social_run.explanation.values, social_run.people,
                              social_run.roles, sample=500)
    # Streamlit sends chart data apart from the spec; Altair's own 5,000-row guard is lifted
    # here only to read the spec.
    with alt.data_transformers.enable("default", max_rows=None):
        spec = charts.beeswarm_chart(points, n).to_dict()
    assert "500 people" in spec["title"]["subtitle"]
    assert spec["encoding"]["yOffset"]["field"] == "offset"
    assert spec["encoding"]["color"]["scale"]["scheme"] == charts.VALUE_SCHEME
    assert "score points" in spec["encoding"]["x"]["title"]
    assert len(_data(spec)) == len(points)


def test_dependence_chart_by_group(social_run) -> None:
    values, people, roles = social_run.explanation.values, social_run.people, social_run.roles
    points, _ = dependence_data(values, people, roles, "friends_mean_score", "ethnicity")
    spec = charts.dependence_chart(points, feature_label="Friends' mean score",
                                   categorical=False, colour_label="Ethnicity").to_dict()
    assert spec["encoding"]["x"]["type"] == "quantitative"
    assert spec["encoding"]["color"]["title"] == "Ethnicity"
    assert spec["encoding"]["color"]["scale"]["domain"] == sorted(points["group"].unique())
    assert "score points" in spec["encoding"]["y"]["title"]
    dots, _ = dependence_data(values, people, roles, "district")
    plain = charts.dependence_chart(dots, feature_label="District", categorical=True).to_dict()
    assert plain["encoding"]["x"]["type"] == "nominal"
    assert plain["encoding"]["xOffset"]["field"] == "jitter"
    assert plain["encoding"]["color"] == {"value": charts.UP}
