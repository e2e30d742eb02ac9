"""How the score is spread over a population: histogram, reward tiers reached, accuracy."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import BELOW_ALL_TIERS, Roles
from sesame_audit.model.core.units import band_width

if TYPE_CHECKING:
    pass

BELOW_LABEL = "Below every tier"


def score_bins(score: np.ndarray, roles: Roles, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Return band edges over the score's range and each person's band, as np.histogram
    counts them (half-open bands, the last one closed on the right).

    Parameters
    ----------
    score : numpy.ndarray of float
        Scores; those outside the range fall in the first or last band.
    roles : Roles
        The score's range (``score_min`` to ``score_max``).
    width : float
        Width of a band, in the score's unit.

    Returns
    -------
    edges : numpy.ndarray
        ``score_min``, ``score_min + width``, ... up to the first edge at or past ``score_max``.
    band : numpy.ndarray of int
        Each score's band, from 0 to ``len(edges) - 2``.
    """
    bands = max(1, math.ceil((roles.score_max - roles.score_min) / width - 1e-9))
    edges = roles.score_min + width * np.arange(bands + 1)
    clipped = np.clip(score, roles.score_min, roles.score_max)
    band = np.minimum(np.searchsorted(edges, clipped, side="right") - 1, len(edges) - 2)
    return edges, band


def score_histogram(scores: np.ndarray | pd.Series, roles: Roles, *,
                    width: float | None = None) -> pd.DataFrame:
    """Count people per band of ``width`` over the score's range.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    roles : Roles
        The score's range (``score_min`` to ``score_max``).
    width : float, optional
        Width of a band, in the score's unit; :func:`core.units.band_width` by default
        (10 points, else 1/50 of the score's range).

    Returns
    -------
    pandas.DataFrame
        ``start``, ``end`` (in the score's unit) and ``people``; scores outside the range
        fall in the first or last band.

    Raises
    ------
    ValueError
        When ``width`` is not positive.
    """
    width = band_width(roles) if width is None else width
    if not width > 0:
        raise ValueError(f"band width must be positive, got {width!r}")
    edges, index = score_bins(np.asarray(scores, dtype=float), roles, width)
    counts = np.bincount(index, minlength=len(edges) - 1)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "people": counts})


def tier_reach_table(scores: np.ndarray | pd.Series, roles: Roles) -> pd.DataFrame:
    """Return each reward tier, what it gives and how many people reach it.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    roles : Roles
        Tiers, least favourable first, and the favourable direction.

    Returns
    -------
    pandas.DataFrame
        One row per tier, least favourable first: ``tier``, ``min_score``, ``perk``,
        ``status`` (reported or speculated, when known), ``note`` (source of the claim, for
        the tiers of the synthetic world), ``people`` reaching it (at or above
        ``min_score``, at or below when low scores are favourable) and
        ``share`` of the population (0 to 1).
    """
    values = np.asarray(scores, dtype=float)
    rows = [{"tier": t.name, "min_score": t.min_score, "perk": t.perk, "status": t.status,
             "note": t.note, "people": int(roles.reaches(values, t.min_score).sum())}
            for t in roles.tiers]
    frame = pd.DataFrame(rows, columns=["tier", "min_score", "perk", "status", "note",
                                        "people"])
    frame["share"] = frame["people"] / len(values) if len(values) else 0.0
    return frame


def below_tiers(scores: np.ndarray | pd.Series, roles: Roles) -> dict[str, Any]:
    """Return how many people reach no tier, with the speculated restrictions.

    Parameters
    ----------
    scores : array-like of float
        Scores.
    roles : Roles
        Tiers.

    Returns
    -------
    dict
        ``tier`` (``"below_tiers"``), ``threshold`` (the lowest tier's score, or None),
        ``people``, ``share`` and ``note`` (.
    """
    values = np.asarray(scores, dtype=float)
    threshold = roles.tiers[0].min_score if roles.tiers else None
    people = int((~roles.reaches(values, threshold)).sum()) if threshold is not None else 0
    return {"tier": BELOW_ALL_TIERS, "threshold": threshold, "people": people,
            "share": people / len(values) if len(values) else 0.0,
            "note": roles.below_note if threshold is not None else ""}
