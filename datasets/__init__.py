"""The synthetic world: scoring policies (the hidden rules), population generator, data
dictionary and reward tiers."""

from sesame_audit.datasets.dictionary import COLUMNS, DICTIONARY, INPUTS, SENSITIVE, Column, label
from sesame_audit.datasets.generate import World, generate
from sesame_audit.datasets.policy import (
    PRESETS,
    Policy,
    PolicyError,
    Term,
    load_policy,
    parse_policy,
)
from sesame_audit.datasets.tiers import TIERS, Tier

__all__ = [
    "COLUMNS",
    "DICTIONARY",
    "INPUTS",
    "PRESETS",
    "SENSITIVE",
    "TIERS",
    "Column",
    "Policy",
    "PolicyError",
    "Term",
    "Tier",
    "World",
    "generate",
    "label",
    "load_policy",
    "parse_policy",
]
