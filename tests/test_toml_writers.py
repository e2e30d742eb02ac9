"""The policy file writer gives back any text it is given."""

from __future__ import annotations

import tomllib
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from sesame_audit.datasets.policy import load_policy, parse_policy, policy_to_toml
from sesame_audit.model.importing.cells import MAX_TEXT

_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)
ANY_TEXT = st.text(max_size=60)  # newlines, quotes, backslashes, control characters, emoji
LABEL_TEXT = st.text(st.characters(min_codepoint=0x20, exclude_characters="\x7f"),
                     max_size=MAX_TEXT)  # what the roles file accepts in a label
POLICY = load_policy("marketed")


@_SETTINGS
@given(title=ANY_TEXT, description=ANY_TEXT, name=ANY_TEXT, why=ANY_TEXT)
def test_policy_text_round_trips(title: str, description: str, name: str, why: str) -> None:
    terms = (replace(POLICY.terms[0], why=why), *POLICY.terms[1:])
    policy = replace(POLICY, title=title, description=description, name=name, terms=terms)
    text = policy_to_toml(policy)
    raw = tomllib.loads(text)
    assert (raw["title"], raw["description"], raw["name"]) == (title, description, name)
    assert parse_policy(text) == policy


def test_a_policy_title_with_a_newline_used_to_break_the_file() -> None:
    policy = replace(POLICY, title='Line one\nline "two"\\', description="tab\there\x00")
    assert parse_policy(policy_to_toml(policy)) == policy
