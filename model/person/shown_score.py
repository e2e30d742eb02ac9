"""What a score shown in public says about the person behind it, band by band.

A score on a dating profile or a "588+" badge is a summary of a person's data. For every
score band, this module gives the share of each sensitive group among the people in that
band, beside the group's share of everyone: the lift an onlooker gains by seeing the band.
It reads only the run's stored per-group score bins, so it costs the same at any size.
Cells of fewer than ``k`` people are suppressed (with complementary suppression across
bands and groups, whose totals are shown elsewhere).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.figures.intervals import wilson
from sesame_audit.model.figures.suppress import DEFAULT_K, suppression
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

_BANDS: weakref.WeakKeyDictionary[Run, dict[tuple[str, int], pd.DataFrame]] = (
    weakref.WeakKeyDictionary())

BAND_COLUMNS = ("band_start", "band_end", "group", "band_people", "people", "share", "low",
                "high", "overall_share", "lift", "suppressed")


def band_counts(run: Run, attribute: str) -> pd.DataFrame:
    """People per score band (rows) and group (columns), from the stored score bins.

    Parameters
    ----------
    run : Run
        A run.
    attribute : str
        A sensitive attribute.

    Returns
    -------
    pandas.DataFrame
        Integer counts indexed by ``(band_start, band_end)``, one column per group; bands no
        one falls in are dropped.
    """
    table = stored.bins(run, attribute).pivot_table(
        index=["bin_start", "bin_end"], columns="group", values="people", aggfunc="sum",
        fill_value=0)
    table = table[table.sum(axis=1) > 0].astype(np.int64)
    table.index = table.index.set_names(["band_start", "band_end"])
    table.columns.name = None
    return table


def band_table(run: Run, attribute: str, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """Share of each group among the people of each score band, with its 95% interval.

    Parameters
    ----------
    run : Run
        A run.
    attribute : str
        A sensitive attribute.
    k : int, default=11
        Smallest number of people a figure may be about.

    Returns
    -------
    pandas.DataFrame
        One row per band and group: ``band_start``, ``band_end``, ``group``,
        ``band_people`` (people in the band, None when fewer than ``k``), ``people`` (of the
        group in the band), ``share`` (of the band), its Wilson interval ``low``-``high``,
        ``overall_share`` (the group's share of everyone), ``lift`` (share / overall share)
        and ``suppressed``. Figures of suppressed cells are None.

    See Also
    --------
    person_sentences : the same figures in words, for one person's band.
    """
    kept = _BANDS.setdefault(run, {})
    if (attribute, k) not in kept:  # the same for every person: computed once per run
        kept[(attribute, k)] = _band_table(run, attribute, k)
    return kept[(attribute, k)].copy()


def _band_table(run: Run, attribute: str, k: int) -> pd.DataFrame:
    counts = band_counts(run, attribute)
    long = counts.stack()
    long.index = long.index.set_names(["band_start", "band_end", "group"])
    cells = long.groupby(level=["band_start", "group"]).sum()
    hidden = suppression(cells, k=k).mask
    totals = counts.sum(axis=0)
    overall = totals / totals.sum()
    rows = []
    for (start, end), row in counts.iterrows():
        band_n = int(row.sum())
        for group, people in row.items():
            share = people / band_n
            low, high = (float(b) for b in wilson(int(people), band_n))
            cut = bool(hidden.loc[(start, group)]) or band_n < k
            rows.append({"band_start": float(start), "band_end": float(end), "group": group,
                         "band_people": None if band_n < k else band_n,
                         "people": None if cut else int(people),
                         "share": None if cut else share, "low": None if cut else low,
                         "high": None if cut else high,
                         "overall_share": float(overall[group]),
                         "lift": None if cut else share / float(overall[group]),
                         "suppressed": cut})
    return pd.DataFrame(rows, columns=list(BAND_COLUMNS))


def person_sentences(run: Run, person_id: Any, *, k: int = DEFAULT_K) -> list[str]:
    """What this person's shown score tells others about them, one plain sentence per attribute.

    For each sensitive attribute, the group most over-represented in the person's score band
    (among cells of at least ``k`` people) is named with how much more likely a profile in
    that band is to belong to it than the average profile.

    Parameters
    ----------
    run : Run
        A run.
    person_id : object
        The person's id.
    k : int, default=11
        Smallest number of people a figure may be about.

    Returns
    -------
    list of str
        Sentences; a band of fewer than ``k`` people gets a sentence saying it is too small
        to describe.

    Examples
    --------
    >>> person_sentences(run, 42)  # doctest: +SKIP
    ['A profile showing 600-625 is 1.8 times as likely as the average profile to be ...']
    """
    score = float(run.person(person_id).prediction)
    sentences = []
    for attribute in run.roles.sensitive:
        if attribute not in run.columns:
            continue
        table = band_table(run, attribute, k=k)
        starts = table["band_start"].unique()
        inside = table[table["band_start"] == starts[starts <= score].max(initial=starts.min())]
        start, end = inside["band_start"].iloc[0], inside["band_end"].iloc[0]
        band = units.band_text(start, end, run.roles)
        shown = inside[~inside["suppressed"]]
        label = run.roles.label(attribute).lower()
        if inside["band_people"].isna().all():
            sentences.append(f"Fewer than {k} people show a score of {band}: nothing is said "
                             f"about their {label}.")
            continue
        if shown.empty:
            sentences.append(f"Among people showing a score of {band}, no group of {label} "
                             f"is large enough (at least {k} people) to be described.")
            continue
        top = shown.loc[shown["lift"].idxmax()]
        group = str(top["group"]).replace("_", " ")
        sentences.append(
            f"A profile showing a score of {band} is {top['lift']:.1f} times as likely as the "
            f"average profile to have {label} '{group}' ({top['share']:.0%} of "
            f"{int(top['band_people']):,} such profiles, 95% interval {top['low']:.0%}-"
            f"{top['high']:.0%}, against {top['overall_share']:.0%} of everyone).")
    return sentences
