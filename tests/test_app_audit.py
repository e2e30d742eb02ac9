"""The audit pages (Fairness, Proxies, Friends) driven through streamlit's AppTest, and their
charts checked through ``to_dict()``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sesame_audit.app.audit_charts import display_table, tier_access_chart
from sesame_audit.app.proxy_charts import proxy_heatmap
from sesame_audit.model.audit.fairness import impact_ratios
from sesame_audit.model.audit.headline import penalty_of
from sesame_audit.model.audit.proxies import proxy_strength
from sesame_audit.model.build.write import write_run
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.runs.store import load_run

TIMEOUT = 180
MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


@pytest.fixture
def runs(runs_dir, social_path, proxy_run, marketed_run, monkeypatch):
    """The session's runs folder with its three small runs built."""
    monkeypatch.setenv("SESAME_RUNS", str(runs_dir))
    return runs_dir


def _open(page: str, run_name: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    if run_name is not None:
        at.selectbox(key="run_picker").set_value(run_name).run()
    return at


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _titles(node: object) -> list[str]:
    """Every axis and legend title of a chart spec."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding":
                found += [v["title"] for v in value.values()
                          if isinstance(v, dict) and isinstance(v.get("title"), str)]
            else:
                found += _titles(value)
    elif isinstance(node, list):
        for value in node:
            found += _titles(value)
    return found


def test_fairness_page(runs, proxy_run) -> None:
    at = _open("fairness", proxy_run.path.name)
    assert not at.exception
    assert at.title[0].value == "Whom does the score treat unfairly?"
    assert len(at.get("vega_lite_chart")) == 3
    ratios = impact_ratios(proxy_run, "ethnicity")
    clear = int((ratios["finding"] == "clear").sum())
    uncertain = int((ratios["finding"] == "uncertain").sum())
    # the page opens with who is penalised, then the four-fifths counts
    assert at.markdown[0].value.startswith("**") and "less often than" in at.markdown[0].value
    headline = at.markdown[1].value
    assert headline.startswith(escape_markdown(f"{clear} group/tier pair(s) clearly fail"))
    assert escape_markdown(f"{uncertain} more fall under 0.8") in headline
    reference = ratios.loc[ratios['tier'] == 'deposit_free', 'reference'].iloc[0]
    assert escape_markdown(f"deposit free: {reference.replace('_', ' ')}") in headline
    titles = [t for spec in _specs(at) for t in _titles(spec)]
    assert "Tier (score threshold)" in titles and "Score under audit (points)" in titles
    assert not [t for t in titles if "_" in t]
    at.selectbox(key="fair_second").set_value("hukou").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 3
    assert "minority a & rural" in json.dumps(_specs(at))
    at.number_input(key="audit_k").set_value(5000).run()
    assert not at.exception
    assert "hidden" in " ".join(c.value for c in at.caption)
    assert "nothing to show" in at.warning[0].value and len(at.get("vega_lite_chart")) == 0


def test_fairness_lead_names_its_attribute_and_the_clearest_finding(runs, proxy_run) -> None:
    quiet = [a for a in proxy_run.roles.sensitive
             if not (impact_ratios(proxy_run, a)["finding"] == "clear").any()]
    overall = penalty_of(proxy_run)
    assert quiet and overall.finding == "clear"  # by hand: gender shows no clear finding
    at = _open("fairness", proxy_run.path.name)
    at.selectbox(key="fair_attribute").set_value(quiet[0]).run()
    assert not at.exception
    label = proxy_run.roles.label(quiet[0]).lower()
    assert at.markdown[0].value.startswith("**" + escape_markdown(
        f"By {label}: no group clearly falls behind"))
    pointer = " ".join(i.value for i in at.info)
    assert "the score does show a clear four-fifths finding" in pointer
    assert proxy_run.roles.label(overall.attribute).lower() in pointer.replace("\\", "")
    at.selectbox(key="fair_attribute").set_value(overall.attribute).run()
    assert "less often than" in at.markdown[0].value and not at.info


def test_proxies_page(runs, proxy_run) -> None:
    at = _open("proxies", proxy_run.path.name)
    assert not at.exception
    assert at.title[0].value == "Which inputs stand in for sensitive attributes?"
    assert len(at.get("vega_lite_chart")) == 4
    assert "Unawareness test" in " ".join(m.value for m in at.markdown)
    at.selectbox(key="proxy_attribute").set_value("gender").run()
    at.slider(key="proxy_threshold").set_value(0.95).run()
    assert not at.exception
    assert any("No input reaches a strength of 0.95" in i.value for i in at.info)
    sentence = " ".join(m.value for m in at.markdown if "Unawareness test" in m.value)
    assert escape_markdown("The largest contributors: ") in sentence
    assert escape_markdown("strength 0.") in sentence
    assert escape_markdown("No input reaches a strength of 0.95 for Gender") in sentence
    at.selectbox(key="flip_feature").set_value("device").run()
    assert not at.exception
    at.multiselect(key="minimise_drop").set_value(["social graph"]).run()
    at.button(key="minimise_button").click().run()
    assert not at.exception
    assert len(at.dataframe) >= 4
    retrained = [c.value for c in at.caption if c.value.startswith("Retrained without")]
    assert retrained == ["Retrained without all social graph data."]
    # the result stays through other clicks and a visit to another page
    at.slider(key="proxy_threshold").set_value(0.9).run()
    at.switch_page("views/about.py").run()
    at.switch_page("views/proxies.py").run()
    assert not at.exception
    assert [c.value for c in at.caption if c.value.startswith("Retrained without")] == retrained
    # kept at the k it was computed with: another k shows nothing until asked again
    at.sidebar.number_input(key="audit_k").set_value(30).run()
    assert not [c.value for c in at.caption if c.value.startswith("Retrained without")]


def test_friends_page(runs, social_path) -> None:
    at = _open("friends", social_path.name)
    assert not at.exception
    assert at.title[0].value == "How much do your friends decide your score?"
    assert len(at.get("vega_lite_chart")) == 3
    at.number_input(key="ego_person").set_value(5).run()
    at.slider(key="unfriend_drop").set_value(2).run()
    assert not at.exception
    assert "Dropping 2 friend(s)" in " ".join(m.value for m in at.markdown)


def test_friends_page_without_a_graph(tmp_path, social_path, monkeypatch) -> None:
    run = load_run(social_path)
    extra = {k: v for k, v in run.manifest.items()
             if k not in {"files", "roles", "versions", "format"}}
    write_run(tmp_path / "no-graph", people=run.people, explanation=run.explanation,
              model=run.model, roles=run.roles, manifest=extra)
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    at = _open("friends")
    assert not at.exception
    assert any("not available for this run" in i.value for i in at.info)
    assert len(at.get("vega_lite_chart")) == 0


@pytest.mark.parametrize("page", ["fairness", "proxies", "friends"])
def test_pages_without_runs(page, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    at = _open(page)
    assert not at.exception
    assert any("No run has been built yet" in i.value for i in at.info)
    assert len(at.get("vega_lite_chart")) == 0


def test_charts_use_labels_units_and_hide_small_groups(proxy_run) -> None:
    tiers = [(t.name, t.min_score) for t in proxy_run.roles.tiers]
    counts = proxy_run.people["ethnicity"].value_counts()
    ratios = impact_ratios(proxy_run, "ethnicity", k=int(counts.min()) + 1)
    spec = tier_access_chart(ratios, tiers).to_dict()
    bars, whiskers = spec["layer"]
    assert bars["encoding"]["x"]["title"] == ["People reaching the tier", "(%, 95% interval)"]
    assert (whiskers["encoding"]["x"]["field"], whiskers["encoding"]["x2"]["field"]) == (
        "share_lower", "share_upper")
    shown = {row["group"] for row in spec["datasets"][spec["data"]["name"]]}
    assert counts.idxmin().replace("_", " ") not in shown and "majority" in shown
    heat = proxy_heatmap(proxy_strength(proxy_run), proxy_run.roles.labels).to_dict()
    rows = next(iter(heat["datasets"].values()))
    assert {r["feature_label"] for r in rows} >= {"District of residence", "Phone"}
    assert {r["attribute_label"] for r in rows} >= {"Ethnicity", "Political opinion"}
    table = display_table(ratios, proxy_run.roles.labels, tiers)
    assert "Impact ratio" in table.columns and "impact_ratio" not in table.columns
    assert {"Share lower", "Impact upper", "Reference", "Finding"} <= set(table.columns)
