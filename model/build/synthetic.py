"""The roles of a generated population, read from the synthetic world's data dictionary."""

from __future__ import annotations

from sesame_audit.datasets.dictionary import COLUMNS
from sesame_audit.datasets.tiers import RESTRICTED_NOTE, TIERS
from sesame_audit.model.core.roles import Roles, TierSpec


def synthetic_roles() -> Roles:
    """Return the roles of a generated population, from the data dictionary.

    Returns
    -------
    Roles
        Inputs, sensitive attributes, tiers, labels and privacy categories.
    """
    inputs = tuple(c.name for c in COLUMNS if c.role == "input")
    return Roles(
        id="person_id",
        inputs=inputs,
        sensitive=tuple(c.name for c in COLUMNS if c.role == "sensitive"),
        target="score",
        score_min=350.0,
        score_max=950.0,
        tiers=tuple(TierSpec(t.name, t.min_score, t.perk, t.status, t.note) for t in TIERS),
        below_note=RESTRICTED_NOTE,
        categorical=tuple(c.name for c in COLUMNS if c.role == "input" and c.kind == "category"),
        labels={c.name: c.label for c in COLUMNS},
        privacy={c.name: c.privacy for c in COLUMNS},
        actionable=tuple(c.name for c in COLUMNS if c.role == "input" and c.actionable),
        pillars={c.name: c.pillar for c in COLUMNS if c.pillar},
        kinds={c.name: c.kind for c in COLUMNS},
    )
