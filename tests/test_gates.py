"""Audit gates: the syntax, what trips them, and the exit statuses."""

from __future__ import annotations

import json

import pytest

from sesame_audit.model.audit.gates import (
    Gate,
    GateError,
    evaluate_gates,
    parse_gate,
    uncertain_crossings,
)
from sesame_audit.model.cli import main


def _cell(ratio, low, high) -> dict:
    n = None if ratio is None else 100
    return {"ratio": ratio, "low": low, "high": high, "n": n,
            "reached": None if ratio is None else 50}


FINDINGS = {
    "impact_ratios": {
        "sex": {"female": {"gold": _cell(0.62, 0.5, 0.77), "silver": _cell(0.91, 0.85, 0.97)},
                "male": {"gold": _cell(1.0, 1.0, 1.0), "silver": _cell(1.0, 1.0, 1.0)}},
        "ethnicity": {"han": {"gold": _cell(1.0, 1.0, 1.0)},
                      "uyghur": {"gold": _cell(0.75, 0.7, 0.79)},
                      "hui": {"gold": _cell(0.7, 0.45, 1.1)},
                      "tiny": {"gold": _cell(None, None, None)}},
    },
    "flags": [],
    "proxies": [
        {"feature": "district", "attribute": "ethnicity", "strength": 0.83},
        {"feature": "phone", "attribute": "ethnicity", "strength": 0.41},
        {"feature": "income", "attribute": "sex", "strength": 0.72},
    ],
    "suppressed_cells": 3,
}


@pytest.mark.parametrize(("text", "gate"), [
    ("impact_ratio<0.8", Gate("impact_ratio", "<", 0.8)),
    (" impact_ratio [ sex ] <= 0.75 ", Gate("impact_ratio", "<=", 0.75, "sex")),
    ("proxy_strength>0.7", Gate("proxy_strength", ">", 0.7)),
    ("proxy_strength[ethnicity]>=.5", Gate("proxy_strength", ">=", 0.5, "ethnicity")),
    ("suppressed_cells>20", Gate("suppressed_cells", ">", 20.0)),
])
def test_parse(text, gate) -> None:
    assert parse_gate(text) == gate


@pytest.mark.parametrize(("text", "message"), [
    ("", "malformed gate"),
    ("impact_ratio", "malformed gate"),
    ("impact_ratio=0.8", "malformed gate"),
    ("impact_ratio<<0.8", "is not a number"),
    ("impact_ratio<abc", "is not a number"),
    ("impact_ratio<nan", "not a finite number"),
    ("disparity<0.8", "unknown metric 'disparity'"),
    ("suppressed_cells[sex]>1", "counts all attributes"),
    ("impact_ratio[sex<0.8", "malformed gate"),
])
def test_malformed_gates_are_named(text, message) -> None:
    with pytest.raises(GateError, match=r"expected METRIC|not a|counts all") as info:
        parse_gate(text)
    assert message in str(info.value)


def test_impact_ratio_gate_lists_every_clear_cell_under_the_threshold_worst_first() -> None:
    breaches = evaluate_gates(FINDINGS, [parse_gate("impact_ratio<0.8")])
    assert [(b.where, b.value) for b in breaches] == [
        ("sex=female, tier gold", 0.62), ("ethnicity=uyghur, tier gold", 0.75)]
    assert breaches[0].text == ("impact_ratio<0.8: sex=female, tier gold = 0.62 "
                                "[95% interval 0.5 to 0.77]")
    # hui: 0.70, but its interval reaches 1.1: uncertain, shown apart, never a breach
    apart = uncertain_crossings(FINDINGS, [parse_gate("impact_ratio<0.8")])
    assert [(b.where, b.value, b.high) for b in apart] == [("ethnicity=hui, tier gold", 0.7, 1.1)]


def test_suppressed_ratios_never_trip_and_attribute_scopes() -> None:
    assert evaluate_gates(FINDINGS, [parse_gate("impact_ratio<=0.62")]) == []  # high 0.77
    assert [b.value for b in uncertain_crossings(
        FINDINGS, [parse_gate("impact_ratio<=0.62")])] == [0.62]
    assert evaluate_gates(FINDINGS, [parse_gate("impact_ratio<=0.77")])[0].value == 0.62
    scoped = evaluate_gates(FINDINGS, [parse_gate("impact_ratio[ethnicity]<0.95")])
    assert [b.where for b in scoped] == ["ethnicity=uyghur, tier gold"]
    assert evaluate_gates(FINDINGS, [parse_gate("impact_ratio<0.5")]) == []
    assert uncertain_crossings(FINDINGS, [parse_gate("impact_ratio<0.5")]) == []
    above = evaluate_gates(FINDINGS, [parse_gate("impact_ratio>0.9")])  # the low end decides
    assert {b.where for b in above} == {"sex=male, tier gold", "sex=male, tier silver",
                                        "ethnicity=han, tier gold"}
    assert [b.where for b in uncertain_crossings(FINDINGS, [parse_gate("impact_ratio>0.9")])
            ] == ["sex=female, tier silver"]


def test_proxy_and_suppressed_gates() -> None:
    proxies = evaluate_gates(FINDINGS, [parse_gate("proxy_strength>0.7")])
    assert [b.where for b in proxies] == ["district -> ethnicity", "income -> sex"]
    assert evaluate_gates(FINDINGS, [parse_gate("proxy_strength[sex]>0.8")]) == []
    assert len(evaluate_gates(FINDINGS, [parse_gate("suppressed_cells>=3")])) == 1
    assert evaluate_gates(FINDINGS, [parse_gate("suppressed_cells>3")]) == []


def test_unknown_attribute_in_a_gate_is_an_error() -> None:
    with pytest.raises(GateError, match="attribute 'religion'"):
        evaluate_gates(FINDINGS, [parse_gate("impact_ratio[religion]<0.8")])


def test_several_gates_report_in_gate_order() -> None:
    gates = [parse_gate("impact_ratio<0.8"), parse_gate("proxy_strength>0.8")]
    assert [b.text for b in evaluate_gates(FINDINGS, gates)] == [
        "impact_ratio<0.8: sex=female, tier gold = 0.62 [95% interval 0.5 to 0.77]",
        "impact_ratio<0.8: ethnicity=uyghur, tier gold = 0.75 [95% interval 0.7 to 0.79]",
        "proxy_strength>0.8: district -> ethnicity = 0.83"]
    assert evaluate_gates(FINDINGS, []) == []


@pytest.mark.parametrize(("gates", "status"), [
    ([], 0),
    (["impact_ratio<0"], 0),
    (["proxy_strength>1.5", "suppressed_cells>100000"], 0),
    (["impact_ratio<=1"], 1),
    (["impact_ratio<0", "proxy_strength>=0"], 1),
])
def test_audit_command_exit_status(social_path, gates, status, capsys) -> None:
    argv = ["audit", str(social_path), "--json"]
    for gate in gates:
        argv += ["--fail-on", gate]
    assert main(argv) == status
    captured = capsys.readouterr()
    findings = json.loads(captured.out)
    failed = [line for line in captured.err.splitlines() if line.startswith("FAILED ")]
    if status:
        assert failed and all(":" in line and " = " in line for line in failed)
    else:
        assert not failed
    if "impact_ratio<=1" in gates:
        clear = sum(c["ratio"] is not None and c["high"] <= 1
                    for groups in findings["impact_ratios"].values()
                    for tiers in groups.values() for c in tiers.values())
        assert len(failed) == clear
        uncertain = [line for line in captured.err.splitlines()
                     if line.startswith("uncertain (does not fail) ")]
        shown = sum(c["ratio"] is not None for groups in findings["impact_ratios"].values()
                    for tiers in groups.values() for c in tiers.values())
        assert len(failed) + len(uncertain) == shown


@pytest.mark.parametrize(("gate", "message"), [
    ("impact_ratio<<0.8", "is not a number"),
    ("ratio<0.8", "unknown metric 'ratio'"),
    ("impact_ratio[religion]<0.8", "attribute 'religion'"),
])
def test_audit_command_malformed_gate_exits_2(social_path, gate, message, capsys) -> None:
    assert main(["audit", str(social_path), "--fail-on", gate]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
