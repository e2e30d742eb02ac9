"""Policies: presets parse, terms compute their shapes, bad files get clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sesame_audit.datasets.policy import (
    PRESETS,
    PolicyError,
    Term,
    describe_term,
    load_policy,
    parse_policy,
    policy_to_toml,
)

MINIMAL = """
[[term]]
feature = "payment_history"
shape = "linear"
lo = 0.5
hi = 1.0
weight = 100
"""


@pytest.mark.parametrize("name", PRESETS)
def test_presets_parse_and_round_trip(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.terms
    assert parse_policy(policy_to_toml(policy)) == policy


def test_preset_contents_match_their_story() -> None:
    marketed = {t.feature for t in load_policy("marketed").active_terms}
    social = {t.feature for t in load_policy("social-credit").active_terms}
    proxy = load_policy("proxy")
    assert "political_posts_flagged" not in marketed
    assert load_policy("marketed").friends.weight == 0
    assert {"political_posts_flagged", "idle_purchase_share", "employer_type",
            "patriotic_purchase_share"} <= social
    assert load_policy("social-credit").friends.weight > 0
    sensitive = {"ethnicity", "gender", "age_group", "hukou", "political_opinion"}
    assert not sensitive & {t.feature for t in proxy.terms}
    assert {"district", "device"} <= {t.feature for t in proxy.terms}


def test_shapes_computed_by_hand() -> None:
    linear = Term("payment_history", "linear", 100, lo=0.5, hi=1.0)
    assert np.allclose(linear.apply(np.array([0.2, 0.5, 0.75, 1.0, 2.0])), [0, 0, 50, 100, 100])
    log = Term("assets_value", "log", 60, lo=10.0, hi=1000.0)
    assert np.allclose(log.apply(np.array([1.0, 10.0, 100.0, 1000.0, 1e6])), [0, 0, 30, 60, 60])
    step = Term("identity_verified", "step", 30, threshold=1)
    assert np.allclose(step.apply(np.array([0, 1])), [0, 30])
    category = Term("district", "category", -50, values=("D7", "D8"))
    assert np.allclose(category.apply(np.array(["D1", "D7", "D8"], dtype=object)), [0, -50, -50])
    off = Term("district", "category", -50, values=("D7",), enabled=False)
    assert np.allclose(off.apply(np.array(["D7"], dtype=object)), [0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[term", "not valid TOML"),
        ("base = 600", "at least one"),
        (MINIMAL.replace("payment_history", "shoe_size"), r"term 1 .*unknown feature 'shoe_size'"),
        (MINIMAL.replace("payment_history", "ethnicity"), "not a feature a rule may read"),
        (MINIMAL.replace("payment_history", "device"), "needs shape 'category'"),
        (MINIMAL.replace('"linear"', '"cubic"'), r"\(payment_history\): unknown shape 'cubic'"),
        (MINIMAL.replace("hi = 1.0\n", ""), "needs 'hi'"),
        (MINIMAL.replace("hi = 1.0", "hi = 0.1"), "must be greater than 'lo'"),
        (MINIMAL.replace("weight = 100", 'weight = "lots"'), "'weight' must be a finite number"),
        (MINIMAL.replace("weight = 100", "weight = nan"), "finite number"),
        (MINIMAL.replace("weight = 100", "weight = 5000"), "beyond"),
        (MINIMAL + "colour = 1\n", "unknown key"),
        (MINIMAL + MINIMAL, "used by two terms"),
        (MINIMAL + "[friends]\nweight = 1.5\n", "no fixed point"),
        ("noise = -1\n" + MINIMAL, "'noise'"),
        ("min_score = 900\nmax_score = 400\n" + MINIMAL, "below 'max_score'"),
        (MINIMAL + '[[term]]\nfeature = "district"\nshape = "category"\nvalues = ["Mars"]\n'
         "weight = 1\n", r"unknown value\(s\) \['Mars'\]"),
        (MINIMAL + '[[term]]\nfeature = "friends_mean_score"\nshape = "linear"\nlo = 0\n'
         "hi = 1\nweight = 1\n", r"\[friends\] table"),
        (MINIMAL + '[[term]]\nfeature = "assets_value"\nshape = "log"\nlo = 0\nhi = 10\n'
         "weight = 1\n", "'lo' > 0"),
    ],
)
def test_invalid_policies_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_load_policy_errors(tmp_path) -> None:
    with pytest.raises(PolicyError, match="no preset or policy file"):
        load_policy("nope")
    binary = tmp_path / "bad.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PolicyError, match="UTF-8"):
        load_policy(binary)
    good = tmp_path / "mine.toml"
    good.write_text(MINIMAL)
    assert load_policy(good).name == "mine"


def test_with_term_edits_and_validates() -> None:
    policy = load_policy("social-credit")
    edited = policy.with_term("political_posts_flagged", enabled=False)
    assert "political_posts_flagged" not in {t.feature for t in edited.active_terms}
    assert "switched off" in describe_term(
        next(t for t in edited.terms if t.feature == "political_posts_flagged"))
    with pytest.raises(PolicyError, match="no term on feature"):
        policy.with_term("shoe_size", weight=1)
    reweighted = policy.with_term("payment_history", weight=10)
    assert math.isclose(
        next(t.weight for t in reweighted.terms if t.feature == "payment_history"), 10)
