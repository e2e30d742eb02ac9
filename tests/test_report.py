"""The audit report: sections, offline charts, escaping, no person rows, PDF pages, JSON."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from own_inputs import ROLES, regressor, skops_bytes, table

from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.report.document import build_report, report_context, write_report
from sesame_audit.model.runs.store import load_run

SECTIONS = {"summary", "audited", "accuracy", "drivers", "fairness", "proxies", "friends",
            "suppressed"}
EVIL = "<script>alert('x')</script>"


def _cell(ratio, low, high, n, reached) -> dict:
    return {"ratio": ratio, "low": low, "high": high, "n": n, "reached": reached}


def findings_for(run) -> dict:
    """Findings shaped like ``audit.findings.audit_findings``, with a hostile group name."""
    drivers = run.explanation.values.abs().mean().sort_values(ascending=False)
    return {
        "run": run.path.name, "people": len(run.people), "k": 11,
        "reference_min": 30,
        "references": {"sex": {"at_least_500": "male", "at_least_600": "male"},
                       "age_band": {"at_least_500": "30-50", "at_least_600": "30-50"}},
        "impact_ratios": {
            "sex": {"female": {"at_least_500": _cell(0.71, 0.6, 0.79, 120, 60),
                               "at_least_600": _cell(0.55, 0.41, 0.72, 120, 33)},
                    "male": {"at_least_500": _cell(1.0, 1.0, 1.0, 150, 127),
                             "at_least_600": _cell(1.0, 1.0, 1.0, 150, 90)}},
            "age_band": {EVIL: {"at_least_500": _cell(None, None, None, None, None),
                                "at_least_600": _cell(None, None, None, None, None)},
                         "30-50": {"at_least_500": _cell(0.93, 0.8, 1.05, 100, 79),
                                   "at_least_600": _cell(0.74, 0.52, 1.04, 100, 44)}}},
        "flags": [{"attribute": "sex", "group": "female", "tier": "at_least_600",
                   "impact_ratio": 0.55, "low": 0.41, "high": 0.72, "n": 120, "reached": 33,
                   "reference": "male"},
                  {"attribute": "sex", "group": "female", "tier": "at_least_500",
                   "impact_ratio": 0.71, "low": 0.6, "high": 0.79, "n": 120, "reached": 60,
                   "reference": "male"}],
        "uncertain": [{"attribute": "age_band", "group": "30-50", "tier": "at_least_600",
                       "impact_ratio": 0.74, "low": 0.52, "high": 1.04, "n": 100,
                       "reached": 44, "reference": "30-50"}],
        "direct_use": [{"attribute": "sex", "feature": "sex", "relation": "the attribute itself",
                        "mean_abs_points": 4.2, "shap_share": 0.12}],
        "proxies": [{"feature": "district", "attribute": "sex", "strength": 0.62}],
        "suppressed_cells": 2,
        "friends": None,
        "accuracy": {"r2": 0.9},
        "drivers": {f: float(v) for f, v in drivers.items()},
    }


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: set[str] = set()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.flagged = 0
        self.uncertain = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.add(attrs.get("id"))
        self.urls += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if "flag" in (attrs.get("class") or "").split():
            self.flagged += 1
        if "uncertain" in (attrs.get("class") or "").split():
            self.uncertain += 1

    def handle_data(self, data) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """An imported run whose ids and incomes are distinctive strings."""
    folder = tmp_path_factory.mktemp("report")
    frame = table(n=300)
    frame["person"] = [f"ID-{i:06d}-X" for i in range(len(frame))]
    (folder / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "m.skops").write_bytes(skops_bytes(regressor(frame)))
    (folder / "r.toml").write_text(ROLES)
    run = load_run(import_files(folder / "t.csv", folder / "m.skops", folder / "r.toml",
                                folder / "run"))
    return frame, run, hashlib.sha256((folder / "t.csv").read_bytes()).hexdigest()


def test_html_has_every_section_offline_and_escaped(imported) -> None:
    _, run, _ = imported
    html = build_report(run, findings_for(run), "html",
                        generated=datetime(2026, 1, 2, 3, 4, tzinfo=UTC)).decode()
    page = _Page()
    page.feed(html)
    assert page.sections >= SECTIONS
    assert "script" not in page.tags and "link" not in page.tags
    assert page.urls and all(u.startswith("data:image/svg+xml;base64,") for u in page.urls)
    assert "&lt;script&gt;" in html and EVIL not in html
    assert page.flagged == 2 and page.uncertain == 1
    text = " ".join(page.text)
    assert "Generated 2026-01-02 03:04 UTC" in text
    assert "2 group-by-tier comparison(s) clearly fail the four-fifths rule" in text
    assert (f"interval): {run.roles.label('sex')} = female (120 people, 33 reaching) reaches "
            "tier at least 600 at 0.55 times the rate of male (95% interval 0.41 to 0.72)"
            ) in text
    assert "1 more comparison(s) fall under 0.8" in text
    assert "0.55 [0.41, 0.72], 33/120" in text and "0.74 [0.52, 1.04], 44/100" in text
    assert "Direct use: the model reads sex, which is the sensitive attribute sex" in text
    assert "12% of all movement" in text
    assert "(in-sample)" in text  # an imported run's R² may include its training rows
    assert text.count("suppressed") >= 2


_RENDER = """
import json, sys
from pathlib import Path
from sesame_audit.model.report.document import write_report
from sesame_audit.model.runs.store import load_run
run, findings, out = load_run(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]
write_report(run, findings, "html", out + ".html")
write_report(run, findings, "pdf", out + ".pdf")
"""


def test_control_characters_in_group_names_do_not_abort_the_pdf(imported, tmp_path) -> None:
    """Run in a subprocess: the chart renderer and WeasyPrint abort the process on a NUL."""
    _, run, _ = imported
    findings = findings_for(run)
    hostile = "fe\x00male\x1b[31m\x07"
    findings["impact_ratios"]["sex"][hostile] = findings["impact_ratios"]["sex"].pop("female")
    findings["flags"][0]["group"] = hostile
    (tmp_path / "findings.json").write_text(json.dumps(findings))
    done = subprocess.run([sys.executable, "-c", _RENDER, str(run.path),
                           str(tmp_path / "findings.json"), str(tmp_path / "hostile")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "hostile.html").read_text()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", html)
    assert "female[31m (120 people, 33 reaching) reaches tier at least 600" in html
    assert (tmp_path / "hostile.pdf").read_bytes()[:5] == b"%PDF-"
def test_the_largest_gap_is_the_surest_not_the_rarest(imported) -> None:
    _, run, _ = imported
    findings = findings_for(run)
    findings["flags"][0]["high"] = 0.795  # 0.55, but from few people: a wide interval
    summary = " ".join(report_context(run, findings)["summary"])
    assert (f"{run.roles.label('sex')} = female (120 people, 60 reaching) reaches tier "
            "at least 500 at 0.71") in summary


def test_no_person_row_appears(imported) -> None:
    frame, run, _ = imported
    findings = findings_for(run)
    html = build_report(run, findings, "html").decode()
    data = build_report(run, findings, "json").decode()
    for document in (html, data):
        assert not any(pid in document for pid in frame["person"])
        assert not any(f"{income:.2f}" in document for income in frame["income"].head(50))


def test_json_is_strict_and_names_what_was_audited(imported) -> None:
    _, run, table_hash = imported
    findings = findings_for(run)
    findings["accuracy"]["mae_points"] = float("nan")
    data = json.loads(build_report(run, findings, "json"))
    assert data["audited"]["source"] == "imported"
    assert data["audited"]["data"]["sha256"] == table_hash
    assert data["audited"]["model"]["estimator"] == "Pipeline"
    assert data["findings"]["accuracy"]["mae_points"] is None
    assert data["findings"]["impact_ratios"]["sex"]["female"]["at_least_600"] == {
        "ratio": 0.55, "low": 0.41, "high": 0.72, "n": 120, "reached": 33}


def test_pdf_has_pages_and_renders(imported, tmp_path) -> None:
    _, run, _ = imported
    out = write_report(run, findings_for(run), "pdf", tmp_path / "report.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    assert pages >= 2
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(out),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Summary of findings" in text and "Fairness by group and tier" in text


def test_unknown_format_is_refused(imported) -> None:
    _, run, _ = imported
    with pytest.raises(ValueError, match="unknown report format 'docx'"):
        build_report(run, findings_for(run), "docx")


def test_report_of_a_synthetic_run_with_real_findings(social_run, tmp_path) -> None:
    from sesame_audit.model.audit.findings import audit_findings

    findings = audit_findings(social_run)
    assert findings["friends"] is not None
    html = build_report(social_run, findings, "html").decode()
    page = _Page()
    page.feed(html)
    assert page.sections >= SECTIONS
    cells = [c for groups in findings["impact_ratios"].values() for tiers in groups.values()
             for c in tiers.values() if c["ratio"] is not None]
    expected_flags = sum(c["high"] < 0.8 for c in cells)
    assert page.flagged == expected_flags == len(findings["flags"])
    assert page.uncertain == sum(c["ratio"] < 0.8 <= c["high"] for c in cells) == len(
        findings["uncertain"])
    assert "points from friends" in html and "not measured" not in html
    out = write_report(social_run, findings, "pdf", tmp_path / "social.pdf")
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(out),
                    str(tmp_path / "page")], check=True)
    assert next(tmp_path.glob("page*.png")).stat().st_size > 10_000


def test_report_command_writes_each_format(social_path, tmp_path, capsys) -> None:
    from sesame_audit.model.cli import main

    for fmt, magic in (("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"), ("json", b"{")):
        out = tmp_path / f"report.{fmt}"
        assert main(["report", str(social_path), "--format", fmt, "--out", str(out)]) == 0
        assert out.read_bytes().startswith(magic)
    assert main(["report", str(social_path), "--format", "docx", "--out", "x"]) == 2
    assert "invalid choice: 'docx'" in capsys.readouterr().err
