"""Write a run held in memory (an import, a small rebuild) through the build's one engine.

The aggregates are computed by the same summaries that a city-at-a-time build merges
(:mod:`build.summaries`), so a run written here and a built run store equal tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sesame_audit.model.build import summaries as partials
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.runs.writer import commit, staging, write_frames


def write_run(out: Path, *, people: pd.DataFrame, explanation: Explanation, model: object,
              roles: Roles, manifest: dict[str, Any], edges: pd.DataFrame | None = None,
              policy_text: str | None = None, replace: bool = False) -> Path:
    """Write a run folder atomically: a failed write leaves any earlier run at ``out`` intact.

    Everything, the aggregates of :mod:`runs.stored` included, is written into a hidden
    sibling folder first, hashed, and only then swapped in place of ``out`` by renames.

    Parameters
    ----------
    out : pathlib.Path
        Destination folder.
    people : pandas.DataFrame
        The population table.
    explanation : Explanation
        SHAP values aligned with ``people``.
    model : object
        The fitted model, saved with skops.
    roles : Roles
        Column roles, stored in the manifest.
    manifest : dict
        Extra manifest entries (policy, seed, n, metrics, ...).
    edges : pandas.DataFrame, optional
        Friendships.
    policy_text : str, optional
        The policy as TOML.
    replace : bool, default=False
        Whether a run folder already at ``out`` may be replaced; anything at ``out`` that is
        not a run folder is refused (see :func:`runs.destination.check_destination`).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    with staging(out, replace=replace) as folder:
        write_frames(folder, people, explanation, edges)
        return commit(folder, out, model=model, roles=roles, manifest=manifest,
                      base=explanation.base, policy_text=policy_text, replace=replace,
                      tables=partials.merge([partials.summarise(people, explanation, roles)],
                                            roles).tables)
