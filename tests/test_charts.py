"""Chart builders, checked through their Vega-Lite spec."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from sesame_audit.app import chart_style, charts
from sesame_audit.app.headline_charts import penalty_chart
from sesame_audit.model.audit.headline import penalty_of
from sesame_audit.model.figures.dependence import dependence_data
from sesame_audit.model.figures.drivers import (
    beeswarm_data,
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
    assert spec["title"]["text"] == ["How are scores spread?"]


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
    assert spec["title"]["text"] == ["What moved this score?"]


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
    assert "500 people" in " ".join(spec["title"]["subtitle"])
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


def _audit_and_course_charts(run) -> dict[str, alt.TopLevelMixin]:
    """Every chart of the audit and course pages, built from a small run."""
    from sesame_audit.app import audit_charts, course_charts, proxy_charts
    from sesame_audit.model.audit.counterfactuals import flip_test
    from sesame_audit.model.audit.fairness import impact_ratios, score_distribution
    from sesame_audit.model.audit.network import ego_network, friends_by_group
    from sesame_audit.model.audit.proxies import proxy_strength
    from sesame_audit.model.audit.unawareness import score_through_proxies, unawareness_gap
    from sesame_audit.model.course.compare import compare_drivers, compare_scores, compare_tiers
    from sesame_audit.model.course.fidelity import fidelity_points, fidelity_report

    roles, labels = run.roles, run.roles.labels
    tiers = [(t.name, t.min_score) for t in roles.tiers]
    crossed = ("ethnicity", "hukou")
    strength = proxy_strength(run)
    gap = unawareness_gap(run, "ethnicity", strength=strength)
    runs = {"Loaded": run, "Edited": run}
    report = fidelity_report(run)
    return {
        "tier access": audit_charts.tier_access_chart(impact_ratios(run, crossed), tiers),
        "impact": audit_charts.impact_heatmap(impact_ratios(run, crossed), tiers),
        "distribution": audit_charts.distribution_chart(score_distribution(run, crossed),
                                                        tiers),
        "proxy heatmap": proxy_charts.proxy_heatmap(strength, labels),
        "points by group": proxy_charts.points_by_group_chart(
            score_through_proxies(run, "ethnicity", strength=strength).by_feature, labels,
            title="Points each proxy gives each group"),
        "gap": proxy_charts.gap_chart(gap.by_feature, labels),
        "before after": proxy_charts.before_after_chart(
            flip_test(run, "district", "ethnicity").by_group, title="Flip",
            value_title="Mean score (points)"),
        "group bars": audit_charts.group_bar_chart(
            friends_by_group(run, "ethnicity"), "points", rule=0.0, title="Friends",
            value_title="Mean points from friends (SHAP)"),
        "ego": audit_charts.ego_chart(
            ego_network(run, int(run.first_id()), with_sensitive=True), labels, "ethnicity"),
        "fidelity bars": course_charts.fidelity_bars(report.terms),
        "fidelity scatter": course_charts.fidelity_scatter(
            fidelity_points(run, "payment_history", max_points=300), "Bills paid on time",
            0.99, run.n),
        "score distributions": course_charts.score_distributions(compare_scores(runs)),
        "tier comparison": course_charts.tier_access(compare_tiers(runs, "ethnicity"),
                                                     "car_rental", "Ethnicity"),
        "drivers comparison": course_charts.drivers(compare_drivers(runs)),
    }


def _every_chart(run) -> dict[str, alt.TopLevelMixin]:
    values, people, roles = run.explanation.values, run.people, run.roles
    scores = run.explanation.prediction
    person = explain_person(run, 3)
    points, n = beeswarm_data(values, people, roles, sample=300)
    dots, _ = dependence_data(values, people, roles, "friends_mean_score", "ethnicity")
    return {
        "histogram": charts.score_histogram_chart(score_histogram(scores, roles),
                                                  tier_reach_table(scores, roles)),
        "tiers": charts.tier_chart(tier_reach_table(scores, roles)),
        "waterfall": charts.waterfall_chart(waterfall_data(person, roles)),
        "influence": charts.influence_chart(influence_by_feature(values, roles)),
        "privacy": charts.privacy_chart(influence_by_privacy(values, roles)),
        "beeswarm": charts.beeswarm_chart(points, n),
        "dependence": charts.dependence_chart(dots, feature_label="Friends' mean score",
                                              categorical=False, colour_label="Ethnicity"),
        "headline": penalty_chart(penalty_of(run), roles, roles.labels),
        **_audit_and_course_charts(run),
    }


def _axes(spec: dict) -> list[tuple[str, dict]]:
    """(channel, encoding) of every discrete x or y axis in a spec."""
    found = []
    for layer in _layers(spec):
        for channel in ("x", "y"):
            encoding = layer.get("encoding", {}).get(channel)
            if encoding and encoding.get("type") == "nominal":
                found.append((channel, encoding))
    return found


def test_every_chart_is_described_fits_its_container_and_keeps_labels(social_run) -> None:
    with alt.data_transformers.enable("default", max_rows=None):
        specs = {name: chart.to_dict() for name, chart in _every_chart(social_run).items()}
    for name, spec in specs.items():
        description = spec.get("description", "")
        # a screen reader announces the description: it must say what the chart shows, in
        # words and numbers, not the renderer's "Vega visualization"
        assert len(description) > 60 and any(ch.isdigit() for ch in description), name
        assert spec["width"] == "container", name
        # a height in pixels: with a step, Vega-Lite drops the fit to the container's width
        assert isinstance(spec["height"], int), name
        assert all("height" not in layer for layer in spec.get("layer", [])), name
        # fit-x: a height set by a step stays (fit would drop it with a console warning)
        assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}, name
        assert spec["config"]["legend"]["orient"] == "bottom", name
        assert spec["config"]["legend"]["labelLimit"] >= 150, name
        for line in spec["title"]["text"]:
            assert len(line) <= chart_style.TITLE_WRAP, (name, line)
        for channel, encoding in _axes(spec):
            axis = encoding.get("axis", {})
            assert axis.get("labelLimit", 0) >= 150, (name, channel)
        for layer in _layers(spec):
            for channel in layer.get("encoding", {}).values():
                legend = channel.get("legend") if isinstance(channel, dict) else None
                assert not (legend and "orient" in legend and legend["orient"] != "bottom")


def test_long_labels_wrap_onto_two_lines() -> None:
    import re

    import vl_convert

    long = "Share spent on 'patriotic' goods"
    data = pd.DataFrame({"label": [long, "Assets"], "privacy": ["behavioural", "financial"],
                         "mean_abs_points": [3.0, 2.0], "mean_signed_points": [1.0, -1.0]})
    svg = vl_convert.vegalite_to_svg(charts.influence_chart(data).to_dict())
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert lines[:2] == ["Share spent on", "'patriotic' goods"]
    assert "…" not in svg and "Assets" in svg


def test_four_fifths_outline_shows_on_every_bar_colour(social_run) -> None:
    from sesame_audit.app import audit_charts
    from sesame_audit.model.audit.fairness import impact_ratios

    tiers = [(t.name, t.min_score) for t in social_run.roles.tiers]
    spec = audit_charts.tier_access_chart(impact_ratios(social_run, ("ethnicity", "hukou")),
                                          tiers).to_dict()
    bars = spec["layer"][0]
    stroke, colour = bars["encoding"]["stroke"], bars["encoding"]["color"]
    outline = stroke["scale"]["range"][0]
    assert outline not in colour["scale"]["range"]
    assert stroke["scale"]["domain"][0].startswith("clearly under 4/5")
    assert stroke["scale"]["range"][:2] == [outline, outline]
    # both legend entries show a swatch: a filled symbol, outlined or not
    assert stroke["legend"]["symbolFillColor"] not in ("white", "#ffffff", "transparent")
    rows = _data(spec)
    assert all("_" not in r["group"] for r in rows)
    assert {r["tier_label"] for r in rows} <= set(audit_charts.tier_labels(tiers).values())


def test_ego_marks_this_person(social_run) -> None:
    from sesame_audit.app import audit_charts
    from sesame_audit.model.audit.network import ego_network

    person = int(social_run.first_id())
    ego = ego_network(social_run, person, with_sensitive=True)
    spec = audit_charts.ego_chart(ego, social_run.roles.labels, "ethnicity").to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert [t["encoding"]["text"] for t in texts] == [{"value": "this person"}]
    assert len(next(d for d in spec["datasets"].values() if len(d) == 1)) == 1
    assert f"person {person}" in spec["description"]


def test_intersection_distribution_is_one_row_per_group(social_run) -> None:
    from sesame_audit.app import audit_charts
    from sesame_audit.model.audit.fairness import score_distribution

    tiers = [(t.name, t.min_score) for t in social_run.roles.tiers]
    table = score_distribution(social_run, ("ethnicity", "hukou"))
    spec = audit_charts.distribution_chart(table, tiers).to_dict()
    cells = spec["layer"][0]
    assert cells["mark"]["type"] == "rect" and cells["encoding"]["y"]["field"] == "group"
    groups = {r["group"] for r in _data(spec) if "group" in r}
    assert groups == {g.replace("_", " ") for g in table["group"].astype(str)}
    assert len(groups) >= 4


def test_chart_numbers_are_the_tooltips_formatted(social_run) -> None:
    from sesame_audit.app.chart_view import chart_numbers

    scores, roles = social_run.explanation.prediction, social_run.roles
    table = tier_reach_table(scores, roles)
    frame, formats = chart_numbers(charts.tier_chart(table))
    assert list(frame.columns) == ["Tier", "Gives", "Claim", "People", "Share (%)"]
    assert frame["Share (%)"].tolist() == pytest.approx(list(table["share"] * 100))
    assert formats == {"People": "localized", "Share (%)": "%.1f"}
    assert "deposit free (600+)" in frame["Tier"].tolist()

    from sesame_audit.app import audit_charts
    from sesame_audit.model.audit.fairness import impact_ratios

    ratios = impact_ratios(social_run, "ethnicity")
    tiers = [(t.name, t.min_score) for t in roles.tiers]
    frame, formats = chart_numbers(audit_charts.tier_access_chart(ratios, tiers))
    shown = ratios[~ratios["suppressed"]]
    assert frame["Share reaching"].tolist() == pytest.approx(list(shown["share"] * 100))
    assert formats["Share reaching"] == "%.1f%%" and formats["Impact ratio"] == "%.2f"
    assert not any("_" in g for g in frame["Group"])


def test_audit_tables_show_labels_and_formats() -> None:
    from sesame_audit.app import audit_charts

    frame = pd.DataFrame({"group": ["minority_b", "majority"], "tier": ["deposit_free"] * 2,
                          "count": [120, 880], "share_deposit_free": [0.25, 0.5],
                          "impact_ratio": [0.5, 1.0], "mean_score": [601.25, 640.5]})
    table = audit_charts.display_table(frame, {}, [("deposit_free", 600.0)])
    assert table["Group"].tolist() == ["minority b", "majority"]
    assert table["Tier"].tolist() == ["deposit free (600+)"] * 2
    assert audit_charts.number_formats(table) == {
        "Share reaching deposit free (600+)": "percent", "Impact ratio": "%.2f",
        "Mean score": "%.1f"}


def test_a_saved_chart_names_its_run_date_and_source(social_run) -> None:
    from sesame_audit.app.run_banner import STAMP_WRAP, stamped
    from sesame_audit.model.runs.identity import run_identity

    who = run_identity(social_run)
    chart = penalty_chart(penalty_of(social_run), social_run.roles, social_run.roles.labels)
    spec = stamped(chart, social_run).to_dict()
    subtitle = spec["title"]["subtitle"]
    text = " ".join(subtitle)
    for part in (f"Run {who['name']}", who["manifest_hash"], who["date"], "synthetic data",
                 f"source: Sesame Audit {who['tool_version']}"):
        assert part in text, part
    assert all(len(line) <= STAMP_WRAP for line in subtitle[1:])
    # the chart's own subtitle stays above the stamp
    assert subtitle[0].startswith("a score of")
    assert spec["usermeta"]["manifest_sha256"] == who["manifest_sha256"]


def test_headline_chart_marks_the_penalised_and_the_reference(social_run) -> None:
    penalty = penalty_of(social_run)
    spec = penalty_chart(penalty, social_run.roles, social_run.roles.labels).to_dict()
    rows = {r["name"]: r for r in _data(spec)}
    assert rows[penalty.group.replace("_", " ")]["who"] == "penalised"
    assert rows[penalty.reference.replace("_", " ")]["who"] == "reference group"
    assert all(r["people"] == f"{r['reached']:,} of {r['count']:,}" for r in rows.values())
    whiskers = spec["layer"][1]["encoding"]
    assert (whiskers["x"]["field"], whiskers["x2"]["field"]) == ("share_lower", "share_upper")


def test_two_legends_stack_under_the_plot() -> None:
    import re

    import vl_convert

    data = pd.DataFrame({"g": ["a", "b"], "s": ["x", "y"], "v": [1, 2]})
    chart = chart_style.finished(alt.Chart(data).mark_bar().encode(
        y="g:N", x="v:Q", color="g:N", stroke="s:N"), "Bars of v by g: a 1; b 2.")
    spec = chart.properties(width=300).to_dict()
    spec["autosize"] = {"type": "pad"}  # no container to fit when rendered offline
    svg = vl_convert.vegalite_to_svg(spec)
    places = re.findall(r'role-legend"[^>]*><g transform="translate\(([-\d.]+),([-\d.]+)\)',
                        svg)
    assert len(places) == 2
    (x1, y1), (x2, y2) = [(float(x), float(y)) for x, y in places]
    assert x1 == x2 and y2 > y1  # one under the other, not side by side
