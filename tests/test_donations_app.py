"""The "Audit from donations" page under Streamlit's AppTest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from sesame_audit.model.runs.run import Run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


@pytest.fixture
def page(proxy_run: Run, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The page on the session's small proxy run."""
    monkeypatch.setenv("SESAME_RUNS", str(proxy_run.path.parent))
    at = AppTest.from_file(MAIN, default_timeout=240)
    at.session_state["run_name"] = proxy_run.path.name
    at.run()
    at.switch_page("views/donations.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _rows(at: AppTest, index: int) -> pd.DataFrame:
    element = at.get("vega_lite_chart")[index]
    return pd.concat([pa.ipc.open_stream(d.data.data).read_all().to_pandas()
                      for d in element.proto.datasets], ignore_index=True)


def test_empty_state_then_a_campaign_beside_the_truth(page: AppTest) -> None:
    assert page.title[0].value.startswith("Audit from donations")
    assert any("Set up a campaign" in i.value for i in page.info)
    page.number_input(key="donation_requests").set_value(2000)
    page.slider(key="donation_response").set_value(0.6)
    page.number_input(key="donation_refits").set_value(2)
    page.button[0].click().run()  # the form's submit button
    assert not page.exception, page.exception
    texts = " ".join(t.value for t in page.text)
    assert "donated it" in texts and "White-box four-fifths findings confirmed" in texts
    assert "Hidden rules recovered" not in texts, "the rules stay hidden outside Teacher mode"
    page.toggle(key="teacher_toggle").set_value(True).run()
    assert "Hidden rules recovered" in " ".join(t.value for t in page.text)
    page.selectbox(key="donation_attribute").set_value("ethnicity").run()
    rows = _rows(page, 0)
    assert {"donated", "weighted", "white-box"} <= set(rows["estimate"])
    donated = rows[rows["estimate"] == "donated"]
    assert (donated["n"] >= 11).all()
    assert ((donated["low"] <= donated["ratio"]) & (donated["ratio"] <= donated["high"])).all()
    spec = json.loads(page.get("vega_lite_chart")[0].proto.spec)
    assert "synthetic data" in json.dumps(spec["title"])
    assert "impact ratio with 95% interval" in " ".join(spec["title"]["text"])
    assert "_" not in json.dumps(sorted(set(rows["group"].dropna())))  # names in words
    labels = [b.label for b in page.get("download_button")]
    assert any("donations (CSV)" in label for label in labels)
    assert any("donation audit (Markdown)" in label for label in labels)


def test_power_curve_on_the_page(page: AppTest) -> None:
    page.number_input(key="donation_requests").set_value(1000)
    page.slider(key="donation_response").set_value(0.5)
    page.number_input(key="donation_refits").set_value(0)
    page.button[0].click().run()
    page.button(key="donation_plan").click().run()
    assert not page.exception, page.exception
    charts = page.get("vega_lite_chart")
    assert len(charts) == 2
    curve = _rows(page, 1).dropna(subset=["bias"])  # the 80% line is a dataset too
    assert set(curve["bias"]) == {"none", "mild", "like-the-campaign"}
    assert curve["donations"].max() <= 2000
    findings = page.selectbox(key="donation_finding").options  # as shown: in words
    assert findings and not any(f.startswith("The hidden rule") for f in findings)
    assert not any("impact_ratio" in f or "_" in f for f in findings)


def test_outside_teacher_mode_nothing_names_the_rules() -> None:
    from sesame_audit.app.donation_charts import without_rules
    from sesame_audit.model.donations.donated import report_markdown

    audit = {"run": "r", "standin": {"candidates": []},
             "findings": {"donations": 100, "k": 11, "weighted": False, "drivers": []},
             "clear": [], "truth": {"run": "t", "findings": [], "rules": [{"feature": "x"}],
                                    "rules_total": 3, "rules_recovered": 2,
                                    "counts": {"confirmed": 1, "missed": 0, "invented": 0}}}
    hidden = without_rules(audit)
    assert set(hidden["truth"]) == {"run", "findings", "counts"}
    assert "Hidden rules" in report_markdown(audit)
    assert "Hidden rules" not in report_markdown(hidden)
    assert "confirmed 1" in report_markdown(hidden)
