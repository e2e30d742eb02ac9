"""One definition per figure: what the pages show equals what `audit --json` and the report say.

The same words once gave different numbers on different surfaces (the special-category
share on Drivers and in the report, the model error on Overview and Hidden rules, the count
of failing pairs on Fairness, in Lessons and in the report). This test reads each figure off
the rendered pages (AppTest), off `sesame-audit audit --json` and off the JSON and HTML
report of the same run, and checks they agree.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sesame_audit.model.cli import main
from sesame_audit.model.runs.run import Run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
K = 11


@pytest.fixture(scope="module")
def surfaces(proxy_run: Run, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, object]:
    """`audit --json`, the JSON report and the HTML report's text, from the CLI."""
    out = tmp_path_factory.mktemp("reports")
    path = str(proxy_run.path)
    assert main(["report", path, "--format", "json", "--k", str(K),
                 "--out", str(out / "r.json")]) == 0
    assert main(["report", path, "--format", "html", "--k", str(K),
                 "--out", str(out / "r.html")]) == 0
    html = unescape(re.sub(r"<[^>]+>", " ", (out / "r.html").read_text()))
    return {"report": json.loads((out / "r.json").read_text()), "html": " ".join(html.split())}


@pytest.fixture(scope="module")
def audit_json(proxy_run: Run) -> dict[str, object]:
    """`sesame-audit audit RUN --json` as printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["audit", str(proxy_run.path), "--json", "--k", str(K)]) == 0
    return json.loads(buffer.getvalue())


def _page(run: Run, page: str, *, teacher: bool = False) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.session_state["run_name"] = run.path.name
    at.run()
    at.switch_page(f"views/{page}.py").run()
    if teacher:
        at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label_start: str) -> str:
    found = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def test_people_and_accuracy_agree(proxy_run: Run, audit_json: dict, surfaces: dict) -> None:
    overview = _page(proxy_run, "overview")
    people = int(_metric(overview, "People").replace(",", ""))
    report = surfaces["report"]
    assert people == audit_json["people"] == report["audited"]["people"] == len(proxy_run.people)
    r2 = audit_json["accuracy"]["r2"]
    assert _metric(overview, "Model accuracy") == f"{r2:.3f}"
    assert report["findings"]["accuracy"]["r2"] == r2
    assert f"R² {r2:.3f}" in surfaces["html"]


def test_model_error_against_hidden_rules_is_one_figure(proxy_run: Run) -> None:
    overview = _page(proxy_run, "overview")
    caption = " ".join(c.value for c in overview.caption if "hidden rules" in c.value)
    on_overview = re.search(r"typical error ([0-9.]+) points", caption)
    assert on_overview is not None, caption
    hidden = _page(proxy_run, "hidden_rules", teacher=True)
    on_hidden = _metric(hidden, "Model error vs hidden score")
    assert on_hidden == f"{float(on_overview.group(1)):.1f} points"
    assert float(on_overview.group(1)) == pytest.approx(
        proxy_run.manifest["metrics"]["mae_hidden_points"], abs=0.051)


def test_special_category_share_agrees(proxy_run: Run, surfaces: dict) -> None:
    drivers = _page(proxy_run, "drivers")
    # the numbers under the privacy chart, titled as its tooltips
    tables = [t.value for t in drivers.dataframe
              if {"Privacy category", "Features"} <= set(t.value.columns)]
    assert tables, "Drivers shows its privacy numbers"
    shown = tables[0].set_index("Privacy category")
    assert "special category" in shown.index
    share_column = next(c for c in shown.columns if "share" in str(c).lower())
    cell = shown.loc["special category", share_column]
    percent = str(cell).endswith("%") or "(%)" in str(share_column)
    share = float(str(cell).rstrip("%")) / (100 if percent else 1)
    assert f"carry {share:.1%} of the score's movement" in surfaces["html"]


def test_failing_pairs_agree(proxy_run: Run, audit_json: dict, surfaces: dict) -> None:
    flags = audit_json["flags"]
    fairness = _page(proxy_run, "fairness")
    for attribute in proxy_run.roles.sensitive:
        fairness.selectbox(key="fair_attribute").set_value(attribute).run()
        headline = " ".join(m.value for m in fairness.markdown if "four" in m.value)
        counted = re.search(r"(\d+) group\\?/tier pair", headline)
        assert counted is not None, headline
        assert int(counted.group(1)) == sum(f["attribute"] == attribute for f in flags)
    report = surfaces["report"]["findings"]
    assert len(report["flags"]) == len(flags)
    if flags:
        assert f"{len(flags)} group-by-tier comparison(s) clearly fail" in surfaces["html"]
