"""Guilt by association: how much of a score comes from friends, and what unfriending pays.

The points a person gets from friends are the SHAP value of the friends' mean score. The
unfriending audits need the social graph (``run.edges``, person -> friend) and the scores
the friends' mean is taken over: the noise-free ``hidden_score`` when the run has it, else
the recorded score. A run without them (e.g. one imported from a user's own model) raises
:class:`NotAvailableError`, which says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core.jsonable import plain
from sesame_audit.model.figures.groups import group_frame, group_labels, group_means
from sesame_audit.model.figures.intervals import mean_interval
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.scoring import score_rows

FRIENDS_FEATURE = "friends_mean_score"
FRIENDS_COUNT = "n_friends"
HIDDEN_SCORE = "hidden_score"


class NotAvailableError(ValueError):
    """An audit that needs something this run does not have (a social graph, a feature)."""


def _need_friends_feature(run: Run) -> None:
    if FRIENDS_FEATURE not in run.roles.inputs:
        raise NotAvailableError("not available for this run: friends' scores are not a "
                                "model input")


def _need_edges(run: Run) -> pd.DataFrame:
    _need_friends_feature(run)
    if run.edges is None or len(run.edges) == 0:
        raise NotAvailableError("not available for this run: it has no social graph")
    return run.edges


def friend_scores(run: Run) -> np.ndarray:
    """Return the score each person counts for as a friend, by row of ``run.people``.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    numpy.ndarray
        ``hidden_score`` when the run has it (what the friends' mean is computed from),
        else the recorded score.
    """
    column = HIDDEN_SCORE if HIDDEN_SCORE in run.people.columns else run.roles.target
    return run.people[column].to_numpy(dtype=float)


def _positions(run: Run) -> pd.Series:
    ids = run.people[run.roles.id]
    return pd.Series(np.arange(len(ids)), index=ids.to_numpy())


def friends_points(run: Run) -> pd.Series:
    """Return the points of each person's score that come from their friends' scores.

    Parameters
    ----------
    run : Run
        A loaded run.

    Returns
    -------
    pandas.Series
        SHAP value of the friends' mean score, in points, indexed by person id.

    Raises
    ------
    NotAvailableError
        When friends' scores are not a model input.
    """
    _need_friends_feature(run)
    values = run.explanation.values[FRIENDS_FEATURE].to_numpy(dtype=float)
    return pd.Series(values, index=run.people[run.roles.id].to_numpy(), name="friends_points")


def friends_by_group(run: Run, attribute: str | tuple[str, str], *, k: int = DEFAULT_K
                     ) -> pd.DataFrame:
    """Return the points from friends by group.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int
        Smallest group size shown.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``count``, ``points`` (mean points from friends) with its 95% interval
        ``points_lower``/``points_upper``, ``friends_score`` (mean of the friends' mean
        score), ``share_pulled_down`` (share of people whose friends lower their score),
        ``suppressed``.
    """
    points = friends_points(run).to_numpy()
    values = pd.DataFrame({
        "points": points,
        "friends_score": run.people[FRIENDS_FEATURE].to_numpy(dtype=float),
        "share_pulled_down": (points < 0).astype(float),
    }, index=run.people.index)
    groups = group_labels(run.people, attribute)
    table = group_means(values, group_frame(run.people, attribute), k=k)[0]
    spread = pd.Series(points).groupby(groups.to_numpy()).std(ddof=1)
    low, high = mean_interval(table["points"], spread.reindex(table["group"]).to_numpy(),
                              table["count"].to_numpy(dtype=float, na_value=np.nan))
    table.insert(table.columns.get_loc("points") + 1, "points_lower", low)
    table.insert(table.columns.get_loc("points") + 2, "points_upper", high)
    return table


def _rescore(run: Run, rows: np.ndarray, friends_mean: np.ndarray, removed: np.ndarray
             ) -> np.ndarray:
    X = run.people[list(run.roles.inputs)].iloc[rows].copy()
    X[FRIENDS_FEATURE] = friends_mean
    if FRIENDS_COUNT in X.columns:
        X[FRIENDS_COUNT] = (X[FRIENDS_COUNT].to_numpy() - removed).astype(
            run.people[FRIENDS_COUNT].dtype)
    return score_rows(run, X)


@dataclass(frozen=True)
class UnfriendGain:
    """What one person would gain by dropping their lowest-scoring friend(s).

    Attributes
    ----------
    person : object
        The person's id.
    dropped : list
        Ids of the friends dropped, lowest score first.
    dropped_scores : list of float
        Their scores.
    dropped_groups : dict
        Sensitive attribute -> the dropped friends' groups, in the same order.
    friends_before, friends_after : int
        Friendship links before and after (a friend listed twice counts twice).
    friends_mean_before, friends_mean_after : float
        Mean score of the friends, recomputed from the social graph.
    score_before, score_after : float
        The model's score with the friends before and after.
    gain : float
        ``score_after - score_before``, in points.
    """

    person: Any
    dropped: list[Any]
    dropped_scores: list[float]
    dropped_groups: dict[str, list[str]]
    friends_before: int
    friends_after: int
    friends_mean_before: float
    friends_mean_after: float
    score_before: float
    score_after: float
    gain: float


def _friends_of(run: Run, person_id: Any) -> tuple[int, pd.DataFrame]:
    edges = _need_edges(run)
    i = run.row(person_id)
    own = run.people[run.roles.id].iloc[i]
    mine = edges[edges["person_id"].to_numpy() == own]
    positions = _positions(run)
    rows = positions.reindex(mine["friend_id"].to_numpy()).to_numpy()
    if np.isnan(rows.astype(float)).any():
        raise NotAvailableError(f"the social graph names friends of {own!r} who are not in "
                                "this run")
    scores = friend_scores(run)[rows.astype(int)]
    friends = pd.DataFrame({"friend_id": mine["friend_id"].to_numpy(),
                            "row": rows.astype(int), "score": scores})
    return i, friends


def unfriend_gain(run: Run, person_id: Any, *, drop: int = 1) -> UnfriendGain:
    """Drop a person's lowest-scoring friend(s), recompute the friends' mean and re-score.

    Parameters
    ----------
    run : Run
        A loaded run with a social graph.
    person_id : object
        The person's id.
    drop : int
        How many distinct friends to drop, lowest score first (all links to them go).

    Returns
    -------
    UnfriendGain
        Who is dropped and what the person gains.

    Raises
    ------
    NotAvailableError
        When the run has no social graph or no friends' score input.
    KeyError
        For an unknown person.
    ValueError
        When ``drop`` is not positive or would leave the person with no friend.
    """
    if isinstance(drop, bool) or not isinstance(drop, int | np.integer) or drop < 1:
        raise ValueError(f"drop must be a positive integer, got {drop!r}")
    i, friends = _friends_of(run, person_id)
    distinct = friends.drop_duplicates("friend_id").sort_values(["score", "friend_id"])
    if len(distinct) <= drop:
        raise ValueError(f"person {person_id!r} has {len(distinct)} distinct friend(s); "
                         f"dropping {drop} would leave none")
    gone = distinct.head(drop)
    kept = friends[~friends["friend_id"].isin(gone["friend_id"])]
    removed = len(friends) - len(kept)
    mean_after = float(kept["score"].mean())
    score_after = float(_rescore(run, np.array([i]), np.array([mean_after]),
                                 np.array([removed]))[0])
    score_before = float(run.explanation.prediction[i])
    groups = {a: [str(v) for v in run.people[a].iloc[gone["row"].to_numpy()]]
              for a in run.roles.sensitive if a in run.people.columns}
    return UnfriendGain(
        person=plain(run.people[run.roles.id].iloc[i]),
        dropped=[plain(v) for v in gone["friend_id"]],
        dropped_scores=[float(s) for s in gone["score"]], dropped_groups=groups,
        friends_before=len(friends), friends_after=len(kept),
        friends_mean_before=float(friends["score"].mean()), friends_mean_after=mean_after,
        score_before=score_before, score_after=score_after, gain=score_after - score_before)


def _lowest_friend(src: np.ndarray, dst: np.ndarray, score: np.ndarray, n: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each person's lowest-scoring friend (ties: the friend's smaller row), among people
    with at least two distinct friends, as rows of the person and of the friend, by person."""
    pairs, first = np.unique(src * n + dst, return_index=True)  # sorted by person, friend
    if not len(pairs):
        return pairs, pairs
    p_src, p_dst, p_score = pairs // n, pairs % n, score[first]
    starts = np.flatnonzero(np.r_[True, p_src[1:] != p_src[:-1]])  # one per person, in order
    sizes = np.diff(np.r_[starts, len(pairs)])  # distinct friends of each
    at_lowest = p_score == np.repeat(np.minimum.reduceat(p_score, starts), sizes)
    people, pick = np.unique(p_src[at_lowest], return_index=True)  # smallest friend row
    keep = sizes > 1
    return people[keep], p_dst[at_lowest][pick][keep]


@dataclass(frozen=True)
class UnfriendIncentive:
    """The pressure to drop low-scoring friends, across the population.

    Attributes
    ----------
    per_person : pandas.DataFrame
        ``person_id``, ``dropped_id`` (their lowest-scoring friend) and ``gain`` (points the
        person would gain by dropping them); people with a single distinct friend left out.
    by_group : pandas.DataFrame
        For each group: ``group``, ``count``, ``mean_gain`` (of its members),
        ``times_dropped`` (how often its members are the friend dropped),
        ``share_of_drops``, ``share_of_links`` (of all friendship links pointing to the
        group), ``pressure`` (share of drops over share of links: above 1, the group is
        dropped more than its place among friends implies), ``suppressed``.
    """

    per_person: pd.DataFrame
    by_group: pd.DataFrame = field(repr=False)


def unfriend_incentive(run: Run, attribute: str | tuple[str, str], *, k: int = DEFAULT_K
                       ) -> UnfriendIncentive:
    """Measure, for everyone at once, what dropping the lowest-scoring friend would pay.

    Parameters
    ----------
    run : Run
        A loaded run with a social graph; its model re-scores everyone.
    attribute : str or tuple of two str
        Column(s) defining the groups.
    k : int
        Smallest group size shown.

    Returns
    -------
    UnfriendIncentive
        Gains per person and ostracism pressure by group.
    """
    edges = _need_edges(run)
    positions = _positions(run)
    src = positions.reindex(edges["person_id"].to_numpy()).to_numpy(dtype=float)
    dst = positions.reindex(edges["friend_id"].to_numpy()).to_numpy(dtype=float)
    ok = ~(np.isnan(src) | np.isnan(dst))
    n = len(run.people)
    links_src, links_dst = src[ok].astype(np.int64), dst[ok].astype(np.int64)
    links_score = friend_scores(run)[links_dst]
    total = np.bincount(links_src, weights=links_score, minlength=n)
    count = np.bincount(links_src, minlength=n)
    rows, lowest_dst = _lowest_friend(links_src, links_dst, links_score, n)
    lowest_of = np.full(n, -1, dtype=np.int64)
    lowest_of[rows] = lowest_dst
    hit = lowest_of[links_src] == links_dst  # every link to the friend dropped
    removed_sum = np.bincount(links_src[hit], weights=links_score[hit], minlength=n)
    removed = np.bincount(links_src[hit], minlength=n)
    mean_after = (total[rows] - removed_sum[rows]) / (count[rows] - removed[rows])
    gain = _rescore(run, rows, mean_after, removed[rows]) - np.asarray(
        run.explanation.prediction, float)[rows]
    ids = run.people[run.roles.id].to_numpy()
    per_person = pd.DataFrame({"person_id": ids[rows], "dropped_id": ids[lowest_dst],
                               "gain": gain})
    labels = group_labels(run.people, attribute)
    gains = pd.Series(np.nan, index=run.people.index)
    gains.iloc[rows] = gain
    dropped_times = np.bincount(lowest_dst, minlength=n).astype(float)
    linked_times = np.bincount(links_dst, minlength=n).astype(float)
    values = pd.DataFrame({"mean_gain": gains, "times_dropped": dropped_times,
                           "links": linked_times}, index=run.people.index)
    table, _ = group_means(values, group_frame(run.people, attribute), k=k)
    sums = (values.groupby(labels.to_numpy(), sort=True)[["times_dropped", "links"]].sum()
            .reindex(table["group"]))
    sums[table["suppressed"].to_numpy()] = np.nan
    table["times_dropped"] = sums["times_dropped"].to_numpy()
    table["share_of_drops"] = table["times_dropped"] / len(rows)
    table["share_of_links"] = sums["links"].to_numpy() / len(links_src)
    table["pressure"] = table["share_of_drops"] / table["share_of_links"]
    table = table[["group", "count", "mean_gain", "times_dropped", "share_of_drops",
                   "share_of_links", "pressure", "suppressed"]]
    return UnfriendIncentive(per_person=per_person, by_group=table)


def ego_network(run: Run, person_id: Any, *, with_sensitive: bool = False) -> pd.DataFrame:
    """Return a person and their friends, laid out on a circle, for an ego-network chart.

    Friends' sensitive attributes are left out unless asked for: a chart of one person's
    friends names individuals, so it shows their scores only (a class may look at them in
    a synthetic run).

    Parameters
    ----------
    run : Run
        A loaded run with a social graph.
    person_id : object
        The person's id.
    with_sensitive : bool, default=False
        Whether to add every sensitive attribute of the person and their friends.

    Returns
    -------
    pandas.DataFrame
        One row for the person (``role`` "person", at the centre) and one per distinct
        friend (``role`` "friend", on a circle, lowest score first): ``id``, ``role``,
        ``score``, ``links`` (times listed), ``lowest`` (the friend unfriending would drop
        first), ``x``, ``y`` and, ``with_sensitive``, every sensitive attribute.
    """
    i, friends = _friends_of(run, person_id)
    distinct = (friends.groupby(["friend_id", "row"], as_index=False)
                .agg(score=("score", "first"), links=("score", "size"))
                .sort_values(["score", "friend_id"], ignore_index=True))
    angle = 2 * np.pi * np.arange(len(distinct)) / max(len(distinct), 1)
    people = run.people
    sensitive = [a for a in run.roles.sensitive if a in people.columns]
    ego = pd.DataFrame({"id": [people[run.roles.id].iloc[i]], "role": ["person"],
                        "score": [float(run.explanation.prediction[i])], "links": [0],
                        "lowest": [False], "x": [0.0], "y": [0.0]})
    ring = pd.DataFrame({"id": distinct["friend_id"].to_numpy(), "role": "friend",
                         "score": distinct["score"].to_numpy(),
                         "links": distinct["links"].to_numpy(),
                         "lowest": np.arange(len(distinct)) == 0,
                         "x": np.cos(angle), "y": np.sin(angle)})
    frame = pd.concat([ego, ring], ignore_index=True)
    rows = np.concatenate([[i], distinct["row"].to_numpy()])
    for attribute in sensitive if with_sensitive else []:
        frame[attribute] = people[attribute].iloc[rows].astype(str).to_numpy()
    return frame
