"""A run's identity and its score's unit: the functions every page and export writes with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from own_inputs import ROLES, regressor, skops_bytes, table
from test_report import findings_for

from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles, TierSpec
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.figures.population import score_histogram
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.person.explained import principal_reasons
from sesame_audit.model.person.subject_access import subject_access, to_markdown
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.identity import identity_line, run_identity
from sesame_audit.model.runs.store import load_run


def _roles(unit: str, lo: float, hi: float) -> Roles:
    task = "classification" if unit in ("probability", "log_odds") else "regression"
    return Roles(id="id", inputs=("a", "b"), sensitive=(), target="y", score_min=lo,
                 score_max=hi, tiers=(TierSpec("t", (lo + hi) / 2),), task=task, unit=unit)


POINTS, PROB, LOGODDS = _roles("points", 350, 950), _roles("probability", 0, 1), \
    _roles("log_odds", -4, 4)
EUR, BARE = _roles("EUR", 0, 5000), _roles("", 0, 3)


@pytest.mark.parametrize(("roles", "level", "change", "threshold", "label"), [
    (POINTS, "612 points", "-3.2 points", "600", "points"),
    (PROB, "61.2%", "-3.2 percentage points", "0.6", "probability"),
    (LOGODDS, "0.61 log-odds", "-0.03 log-odds", "probability 0.5", "log-odds"),
    (EUR, "1,234 EUR", "-3.2 EUR", "2500", "EUR"),
    (BARE, "1.23", "-0.032", "1.5", "score units"),
])
def test_values_are_written_in_the_unit(roles, level, change, threshold, label) -> None:
    value = {"points": 612.2, "probability": 0.6123, "log_odds": 0.612, "EUR": 1234.4,
             "": 1.234}[roles.unit]
    delta = {"points": -3.24, "probability": -0.0324, "log_odds": -0.0324, "EUR": -3.24,
             "": -0.0324}[roles.unit]
    limit = {"points": 600, "probability": 0.6, "log_odds": 0.0, "EUR": 2500, "": 1.5}
    assert units.format_value(value, roles) == level
    assert units.format_change(delta, roles) == change
    assert units.format_change(-delta, roles).startswith("+")
    assert not units.format_change(-delta, roles, signed=False).startswith("+")
    assert units.format_threshold(limit[roles.unit], roles) == threshold
    assert units.unit_label(roles) == label


def test_bands_and_reasons_follow_the_range() -> None:
    assert units.band_width(POINTS) == 10.0
    assert units.band_width(PROB) == pytest.approx(0.02)
    assert units.band_width(EUR) == pytest.approx(100.0)
    histogram = score_histogram(np.array([0.0, 0.01, 0.5, 0.999, 1.0]), PROB)
    assert len(histogram) == 50 and histogram["people"].sum() == 5
    assert histogram["people"].iloc[0] == 2 and histogram["people"].iloc[-1] == 2
    assert units.smallest_reason(POINTS) == pytest.approx(0.5)
    values = pd.Series({"a": 1.0, "b": 1.0})
    # 0.01 of a probability is 1 percentage point: a reason; 0.0005 is not (< 1/1200)
    reasons = principal_reasons(pd.Series({"a": -0.01, "b": -0.0005}), values, PROB)
    assert [r.feature for r in reasons] == ["a"]
    assert reasons[0].text.endswith("lowered the score by 1.0 percentage points")
    assert principal_reasons(pd.Series({"a": -0.4, "b": -0.6}), values, POINTS)[0].feature \
        == "b"


def test_older_classifier_manifests_get_a_unit() -> None:
    raw = replace(PROB, unit="points").to_dict()
    del raw["unit"]
    assert Roles.from_dict(raw).unit == "probability"
    raw = replace(LOGODDS, unit="points").to_dict()
    del raw["unit"]
    assert Roles.from_dict(raw).unit == "log_odds"
    raw = POINTS.to_dict()
    del raw["unit"]
    assert Roles.from_dict(raw).unit == "points"


def test_identity_of_a_synthetic_run(social_run, social_path) -> None:
    who = run_identity(social_run)
    digest = hashlib.sha256((social_path / "manifest.json").read_bytes()).hexdigest()
    assert who["name"] == social_path.name and who["manifest_sha256"] == digest
    assert who["manifest_hash"] == digest[:12] and who["synthetic"] is True
    assert who["n"] == 2_000 and who["tool_version"] == metadata.version("sesame-audit")
    assert len(who["date"]) == 10 and who["source"].startswith("scenario ")
    line = identity_line(who)
    assert line.startswith(f"Run {social_path.name} · ") and line.endswith("synthetic data")
    summary = subject_access(social_run, 3)
    assert summary["run"]["manifest_sha256"] == digest and summary["unit"] == "points"
    assert f"Run: {escape_markdown(line)}" in to_markdown(summary)


@pytest.fixture(scope="module")
def in_euros(tmp_path_factory):
    """An imported regressor whose roles file says its score is in EUR."""
    folder = tmp_path_factory.mktemp("eur")
    frame = table()
    (folder / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "m.skops").write_bytes(skops_bytes(regressor(frame)))
    (folder / "r.toml").write_text('unit = "EUR"\n' + ROLES)
    return load_run(import_files(folder / "t.csv", folder / "m.skops", folder / "r.toml",
                                 folder / "prices"))


def test_exports_of_an_imported_run_name_it_and_its_unit(in_euros) -> None:
    run = in_euros
    assert run.roles.unit == "EUR"
    digest = hashlib.sha256((run.path / "manifest.json").read_bytes()).hexdigest()
    data = json.loads(build_report(run, findings_for(run), "json"))
    assert data["identity"]["name"] == "prices" and data["identity"]["unit"] == "EUR"
    assert data["identity"]["manifest_sha256"] == digest
    assert data["identity"]["synthetic"] is False
    html = build_report(run, findings_for(run), "html").decode()
    assert f"Run prices · imported from t.csv · 150 people · manifest {digest[:12]}" in html
    assert "Synthetic data" not in html and "EUR" in html
    text = to_markdown(subject_access(run, 1000))
    assert "EUR" in text and "points" not in text and digest[:12] in text


@pytest.mark.parametrize(("unit", "lo", "hi", "value", "text"), [
    ("probability", 0.0, 1.0, 0.0004, "under 0.1 percentage points"),
    ("probability", 0.0, 1.0, 0.0213, "2.1 percentage points"),
    ("log_odds", -5.0, 5.0, 0.003, "under 0.01 log-odds"),
    ("log_odds", -5.0, 5.0, 0.0, "0.00 log-odds"),
    ("points", 350.0, 950.0, 0.02, "under 0.1 points")])
def test_an_error_never_reads_as_zero_unless_it_is(unit, lo, hi, value, text) -> None:
    assert units.format_error(value, _roles(unit, lo, hi)) == text


def test_a_score_under_every_tier_reads_none_yet() -> None:
    from sesame_audit.model.core.roles import BELOW_ALL_TIERS

    roles = _roles("points", 350.0, 950.0)
    assert units.tier_label(BELOW_ALL_TIERS, roles) == "none yet"
    assert "below" not in units.tier_label(BELOW_ALL_TIERS, roles)
