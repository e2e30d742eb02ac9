"""The burden of recourse: which groups can reach the tiers by their own changes, at what cost.

A sample of people not reaching each tier is searched for recourse
(:func:`person.recourse.search`); by sensitive group, the share who have any and their
median cost is a fairness measure: a group that can do nothing is treated worse than one
that pays a little.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import LOW
from sesame_audit.model.figures.drivers import sample_rows
from sesame_audit.model.figures.suppress import DEFAULT_K, suppression
from sesame_audit.model.person.recourse import (
    LARGE_MOVE,
    action_space,
    largest_move,
    search,
    total_cost,
)
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.scoring import score_rows

SAMPLE = 400
BURDEN_COLUMNS = ("attribute", "group", "tier", "min_score", "below", "share_with_recourse",
                  "share_plausible", "median_cost", "median_changes", "suppressed")


def recourse_sample(run: Run, *, sample: int = SAMPLE, seed: int = 0) -> pd.DataFrame:
    """Search recourse to every tier for a random sample of people who do not reach it.

    Parameters
    ----------
    run : Run
        A loaded run.
    sample : int
        People drawn (all of them when the run is smaller).
    seed : int
        Seed of the draw.

    Returns
    -------
    pandas.DataFrame
        One row per (person, tier above their score): ``row``, ``person``, ``tier``,
        ``min_score``, ``score``, ``reachable``, ``cost`` (NaN when unreachable),
        ``n_changes``, ``plausible`` (reached with no single input moved past more than
        ``LARGE_MOVE`` of the population) and ``new_score``.
    """
    if sample < 1:
        raise ValueError(f"sample must be at least 1, got {sample}")
    rows = sample_rows(len(run.people), sample, seed=seed)
    now = score_rows(run, run.X.iloc[rows])
    space = action_space(run)
    frames = []
    for tier in run.roles.tiers:
        below = rows[~run.roles.reaches(now, tier.min_score)]
        if len(below) == 0:
            continue
        changed, scores, reached = search(run, run.X.iloc[below],
                                          np.full(len(below), tier.min_score))
        original = run.X.iloc[below].reset_index(drop=True)
        cost = total_cost(space, changed, original)
        largest = largest_move(space, changed, original)
        n_changes = np.zeros(len(below), dtype=np.int64)
        for feature in space.features:
            if feature in space.categorical:
                n_changes += (original[feature].astype(str).to_numpy()
                              != changed[feature].astype(str).to_numpy())
            else:
                n_changes += ~np.isclose(original[feature].to_numpy(dtype=np.float64),
                                         changed[feature].to_numpy(dtype=np.float64))
        frames.append(pd.DataFrame({
            "row": below,
            "person": run.people[run.roles.id].to_numpy()[below],
            "tier": tier.name,
            "min_score": tier.min_score,
            "score": now[np.searchsorted(rows, below)],
            "reachable": reached,
            "cost": np.where(reached, cost, np.nan),
            "n_changes": np.where(reached, n_changes, 0),
            "plausible": reached & (largest <= LARGE_MOVE),
            "new_score": scores,
        }))
    columns = ["row", "person", "tier", "min_score", "score", "reachable", "cost",
               "n_changes", "plausible", "new_score"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def recourse_burden(run: Run, attribute: str, *, found: pd.DataFrame | None = None,
                    sample: int = SAMPLE, seed: int = 0, k: int = DEFAULT_K) -> pd.DataFrame:
    """The burden of recourse by group: who can reach each tier, and at what cost.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        A sensitive attribute (or any column) to group by.
    found : pandas.DataFrame, optional
        Output of :func:`recourse_sample`, to reuse one search for several attributes.
    sample, seed : int
        Passed to :func:`recourse_sample` when ``found`` is not given.
    k : int
        Smallest group shown; smaller groups are hidden, with complementary suppression
        (see :mod:`figures.suppress`) within each tier.

    Returns
    -------
    pandas.DataFrame
        One row per (group, tier): people of the group below the tier in the sample
        (``below``), the share of them with any recourse (``share_with_recourse``) and with a
        plausible one (``share_plausible``), the median cost and number of
        changes of those with one; values are NaN and ``suppressed`` True for hidden
        groups.

    Raises
    ------
    KeyError
        When ``attribute`` is not a column of the run.
    """
    if attribute not in run.people:
        raise KeyError(f"no column {attribute!r} in this run")
    found = recourse_sample(run, sample=sample, seed=seed) if found is None else found
    if found.empty:
        return pd.DataFrame(columns=list(BURDEN_COLUMNS))
    groups = run.people[attribute].iloc[found["row"].to_numpy()].astype(str).to_numpy()
    rows = []
    for tier, line in found.assign(group=groups).groupby("tier", sort=False):
        parts = dict(tuple(line.groupby("group")))
        hidden = suppression(pd.Series({g: len(p) for g, p in parts.items()}), k=k).mask
        for group, part in parts.items():
            ok = part[part["reachable"]]
            shown = not hidden[group]
            rows.append({
                "attribute": attribute,
                "group": group,
                "tier": tier,
                "min_score": float(part["min_score"].iloc[0]),
                "below": len(part) if shown else np.nan,
                "share_with_recourse": float(part["reachable"].mean()) if shown else np.nan,
                "share_plausible": float(part["plausible"].mean()) if shown else np.nan,
                "median_cost": float(ok["cost"].median()) if shown and len(ok) else np.nan,
                "median_changes": (float(ok["n_changes"].median()) if shown and len(ok)
                                   else np.nan),
                "suppressed": not shown,
            })
    out = pd.DataFrame(rows, columns=list(BURDEN_COLUMNS))
    return out.sort_values(["min_score", "group"], ignore_index=True,
                           ascending=[run.roles.favourable != LOW, True])
