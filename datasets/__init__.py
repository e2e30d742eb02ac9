"""The synthetic world: scoring policies (the hidden rules), population generator, data
dictionary and reward tiers."""

from datasets.dictionary import COLUMNS, DICTIONARY, INPUTS, SENSITIVE, Column, label
from datasets.generate import World, generate
from datasets.policy import PRESETS, Policy, PolicyError, Term, load_policy, parse_policy
from datasets.tiers import TIERS, Tier

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
