"""Accuracy metrics in words: the report, the CLI's text and the Overview page name them alike.

A run's manifest keeps its metrics under short keys (``r2``, ``mae_hidden_points``,
``validation_r2_leaves_15``, ``positive_rate``...); none of them may reach a reader as such.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from outcome_inputs import import_outcome_run
from streamlit.testing.v1 import AppTest

from sesame_audit.model.audit.findings import audit_findings, findings_text
from sesame_audit.model.core.wording import METRICS, metric_label, metric_meaning
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


class _Text(HTMLParser):
    """The visible text of a page, and the header cells of its accuracy table."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headers: list[str] = []
        self._skip = 0
        self._section: str | None = None
        self._in_th = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "section":
            self._section = dict(attrs).get("id")
        if tag == "th" and self._section == "accuracy":
            self._in_th = True
            self.headers.append("")

    def handle_endtag(self, tag) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        if tag == "th":
            self._in_th = False

    def handle_data(self, data) -> None:
        if not self._skip:
            self.text.append(data)
        if self._in_th:
            self.headers[-1] += data


def _keys_like_code(metrics: dict) -> list[str]:
    """The metric keys no English sentence would contain: with an underscore or a digit."""
    return [key for key in metrics if "_" in key or re.search(r"\d", key)]


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    """An imported classifier run that records outcomes (accuracy, AUC, Brier...)."""
    return load_run(import_outcome_run(tmp_path_factory.mktemp("labels"), "loans"))


@pytest.mark.parametrize("which", ["social_run", "classifier_run"])
def test_the_report_names_every_metric_in_words(which, request) -> None:
    run = request.getfixturevalue(which)
    metrics = run.manifest["metrics"]
    scalars = {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}
    assert len(_keys_like_code(scalars)) >= 2  # the test has raw keys to miss
    page = _Text()
    page.feed(build_report(run, audit_findings(run), "html").decode())
    text = " ".join(page.text)
    leaked = [k for k in _keys_like_code(scalars) if re.search(rf"\b{re.escape(k)}\b", text)]
    assert leaked == []
    rows = page.headers[3:]  # after the table's own header: measure, value, what it measures
    assert page.headers[:3] == ["measure", "value", "what it measures"]
    assert len(rows) == len(scalars)
    assert all("_" not in row and row[:1].isupper() for row in rows), rows
    if "r2" in scalars:
        held = "in-sample" if "measured_on" in scalars else "held-out"
        assert rows[0] == f"Model accuracy ({held} R²)"  # the headline figure first


def test_labels_read_as_words() -> None:
    for key in [*METRICS, "validation_r2_leaves_15", "some_new_measure"]:
        label = metric_label(key, {})
        assert "_" not in label and label[:1].isupper()
    assert metric_label("validation_r2_leaves_7") == "Validation R² with 7 leaves per tree"
    assert metric_label("r2", {"measured_on": "x"}) == "Model accuracy (in-sample R²)"
    assert metric_label("some_new_measure") == "Some new measure"
    assert all(metric_meaning(key).endswith(".") for key in METRICS)
    assert metric_meaning("some_new_measure") == ""


def test_cli_text_and_overview_use_the_report_words(social_run, social_path) -> None:
    findings = audit_findings(social_run)
    text = findings_text(findings, social_run.roles.labels, roles=social_run.roles)
    assert not [k for k in _keys_like_code(social_run.manifest["metrics"])
                if re.search(rf"\b{re.escape(k)}\b", text)]
    page = _Text()
    page.feed(build_report(social_run, findings, "html").decode())
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.session_state["run_name"] = social_path.name
    at.run()
    assert not at.exception
    shown = {m.label for m in at.metric}
    # the Overview's accuracy tiles carry the report's row names
    assert {"Model accuracy (held-out R²)", "Typical error"} <= shown & set(page.headers)
    assert "Model accuracy (held-out R²) " in text and "typical error " in text
