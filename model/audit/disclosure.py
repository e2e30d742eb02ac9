"""What a public score gives away: how well an onlooker infers a person's data from it.

Scores are shown on dating profiles and as badges ("588+"). An onlooker who sees only that
view of the score can guess a person's sensitive attributes as well as the best classifier
from the view allows: for each attribute and view, the area under the ROC curve (one group
against the rest, macro-averaged over groups of at least ``k`` people) of the group shares
per view value, cross-fitted (the shares are learnt on one random half of the people and
scored on the other), with a 95% interval from its bootstrap standard error; and the
accuracy of guessing the most likely group against the base rate of always guessing the
largest group.

Views: ``score`` (the score, in the run's stored 25-point bands), ``tier`` (the highest
reward tier reached) and a badge (above or below one threshold: 588 where a tier starts
there, as on the dating badges, else the lowest tier). All come from the run's stored group
tables, so a run of any size costs the same.

The reverse question, for inputs a person may keep private: how much of an input's
variation the shown score explains (the correlation ratio over score bands, adjusted for
chance), from the run's fixed sample of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.association import auc_from_counts
from sesame_audit.model.figures.intervals import Z as Z95
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.person.shown_score import band_counts, band_table
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

BADGE = 588.0
BOOTSTRAP = 50
SPLITS = 5
NARROWING_BANDS = 10
_STREAM = 0xD15C_1053


@dataclass(frozen=True)
class ViewFinding:
    """How well one view of the score reveals one attribute.

    Attributes
    ----------
    auc, low, high : float
        Cross-fitted AUC and its bootstrap 95% interval (0.5 is chance).
    accuracy : float
        Cross-fitted accuracy of guessing the most likely group from the view.
    base_rate : float
        Accuracy of always guessing the largest group.
    n : int
        People behind the figure (groups of at least ``k`` people).
    groups : int
        Groups compared.
    """

    auc: float
    low: float
    high: float
    accuracy: float
    base_rate: float
    n: int
    groups: int

    def to_dict(self) -> dict[str, float | int]:
        """Return a JSON-ready dictionary."""
        return {"auc": self.auc, "low": self.low, "high": self.high,
                "accuracy": self.accuracy, "base_rate": self.base_rate,
                "gain": self.accuracy - self.base_rate, "n": self.n, "groups": self.groups}


def badge_threshold(run: Run) -> float | None:
    """The badge shown: 588 where a tier starts there, else the lowest tier, else None."""
    starts = [t.min_score for t in run.roles.tiers]
    if BADGE in starts:
        return BADGE
    return starts[0] if starts else None


def view_label(view: str, roles: Roles | None = None) -> str:
    """Return a view of the score in words (``badge_588`` -> ``"above or below 588"``).

    Parameters
    ----------
    view : str
        ``score``, ``tier`` or ``badge_<threshold>``.
    roles : Roles, optional
        The run's roles: the badge's threshold is then written as typed (``probability
        0.5`` on a log-odds run, where the threshold is stored as 0).

    Returns
    -------
    str
        The view in words.
    """
    if view.startswith("badge_"):
        threshold = view.removeprefix("badge_")
        if roles is not None:
            threshold = units.format_threshold(float(threshold), roles)
        return f"above or below {threshold}"
    return {"score": "the score", "tier": "the tier badge"}.get(view, view)


def view_names(run: Run) -> list[str]:
    """The views of the score this run has: ``score``, ``tier``, ``badge_<threshold>``."""
    threshold = badge_threshold(run)
    if threshold is None:
        return ["score"]
    return ["score", "tier", f"badge_{threshold:g}"]


def view_counts(run: Run, attribute: str) -> dict[str, pd.DataFrame]:
    """People per view value (rows) and group (columns), for every view of the score.

    Parameters
    ----------
    run : Run
        A run.
    attribute : str
        A sensitive attribute.

    Returns
    -------
    dict
        View name -> integer counts.
    """
    views = {"score": band_counts(run, attribute).reset_index(drop=True)}
    threshold = badge_threshold(run)
    if threshold is None:
        return views
    table = stored.groups(run, attribute)
    count = table["count"].to_numpy(dtype=float)
    reached = np.column_stack([np.rint(table[f"share_{t.name}"].to_numpy(dtype=float) * count)
                               for t in run.roles.tiers])
    # people whose highest tier is each tier: reached it, not the next one
    levels = np.column_stack([count, reached, np.zeros_like(count)])
    exactly = levels[:, :-1] - levels[:, 1:]
    groups = [str(g) for g in table.index]
    views["tier"] = pd.DataFrame(exactly.T.astype(np.int64), columns=groups)
    index = [t.min_score for t in run.roles.tiers].index(threshold)
    above = reached[:, index]
    views[f"badge_{threshold:g}"] = pd.DataFrame(
        np.vstack([count - above, above]).astype(np.int64), columns=groups)
    return views


def _halves(counts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split the people of a count table into two random halves."""
    half = rng.binomial(counts, 0.5)
    return half, counts - half


def _resampled(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A bootstrap resample of the people of a count table."""
    n = int(counts.sum())
    return rng.multinomial(n, counts.ravel() / n).reshape(counts.shape) if n else counts


def _cross_fitted(parts: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """AUC (macro one-vs-rest) and accuracy of group shares per view value, learnt on one
    half of the people and scored on the other, both ways."""
    counts = parts[0] + parts[1]
    prior = counts.sum(axis=0) / max(counts.sum(), 1)
    scores, weights = [], []
    for fit, apply in (parts, parts[::-1]):
        rates = (fit + prior) / (fit.sum(axis=1, keepdims=True) + 1.0)
        scores.append(rates)
        weights.append(apply)
    rate, weight = np.vstack(scores), np.vstack(weights)
    everyone = weight.sum(axis=1)
    aucs = [auc_from_counts(rate[:, g], weight[:, g], everyone - weight[:, g])
            for g in range(counts.shape[1])]
    guess = rate.argmax(axis=1)
    accuracy = weight[np.arange(len(guess)), guess].sum() / max(weight.sum(), 1)
    if counts.shape[1] == 2:
        return aucs[1], float(accuracy)
    return float(np.nanmean(aucs)), float(accuracy)


def view_finding(counts: pd.DataFrame, *, k: int = DEFAULT_K,
                 seed: int = _STREAM) -> ViewFinding | None:
    """How well a view reveals the groups, from its counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        People per view value (rows) and group (columns).
    k : int, default=11
        Groups of fewer people are left out.
    seed : int
        Seed of the cross-fitting halves and the bootstrap.

    Returns
    -------
    ViewFinding or None
        None when fewer than two groups have ``k`` people.
    """
    table = counts.to_numpy(dtype=np.int64)
    table = table[:, table.sum(axis=0) >= k]
    if table.shape[1] < 2:
        return None
    table = table[table.sum(axis=1) > 0]
    rng = np.random.default_rng(seed)
    point = np.array([_cross_fitted(_halves(table, rng)) for _ in range(SPLITS)]).mean(axis=0)
    n = int(table.sum())
    # each half is resampled on its own, so that no person lands on both sides of the fit
    boot = [_cross_fitted(tuple(_resampled(h, rng) for h in _halves(table, rng)))[0]
            for _ in range(BOOTSTRAP)]
    # resampled halves hold fewer distinct people, which lowers their AUC: the bootstrap
    # gives the spread only, and the interval is centred on the estimate
    spread = Z95 * float(np.nanstd(boot, ddof=1))
    low, high = point[0] - spread, point[0] + spread
    return ViewFinding(auc=float(point[0]), low=float(low), high=float(high),
                       accuracy=float(point[1]),
                       base_rate=float(table.sum(axis=0).max() / n), n=n,
                       groups=int(table.shape[1]))


def attribute_disclosure(run: Run, *, k: int = DEFAULT_K) -> dict[str, dict[str, ViewFinding]]:
    """How well each view of the score reveals each sensitive attribute.

    Parameters
    ----------
    run : Run
        A run.
    k : int, default=11
        Groups of fewer people are left out.

    Returns
    -------
    dict
        Attribute -> view -> :class:`ViewFinding` (attributes with fewer than two groups of
        ``k`` people are left out).
    """
    found: dict[str, dict[str, ViewFinding]] = {}
    for attribute in run.roles.sensitive:
        if attribute not in run.columns:
            continue
        views = {}
        for view, counts in view_counts(run, attribute).items():
            finding = view_finding(counts, k=k)
            if finding is not None:
                views[view] = finding
        if views:
            found[attribute] = views
    return found


def _adjusted_eta_squared(values: np.ndarray, bands: np.ndarray) -> float:
    """Share of ``values``' variance between score bands, adjusted for the number of bands."""
    n = len(values)
    labels, inverse = np.unique(bands, return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    sizes = np.bincount(inverse)
    total = ((values - values.mean()) ** 2).sum()
    if total <= 0 or n <= len(labels):
        return float("nan")
    between = (sums**2 / sizes).sum() - values.sum() ** 2 / n
    eta = between / total
    return float(1 - (1 - eta) * (n - 1) / (n - len(labels)))


def narrowing(run: Run, *, seed: int = _STREAM) -> pd.DataFrame:
    """How much the shown score narrows each numeric input a person may keep private.

    Parameters
    ----------
    run : Run
        A run.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per numeric input, most narrowed first: ``feature``, ``label``,
        ``explained`` (share of the input's variation the score's bands explain, adjusted
        for chance; 0 means the score says nothing of it), ``low``, ``high`` (bootstrap 95%
        interval, from the bootstrap's spread) and ``n`` (people in the run's fixed sample).
    """
    people, values = stored.sample(run)
    score = run.base + values.sum(axis=1).to_numpy(dtype=float)
    edges = np.unique(np.quantile(score, np.linspace(0, 1, NARROWING_BANDS + 1)[1:-1]))
    bands = np.searchsorted(edges, score, side="right")
    rng = np.random.default_rng(seed)
    rows = []
    for feature in run.roles.inputs:
        if feature in run.roles.categorical or feature not in people:
            continue
        column = pd.to_numeric(people[feature], errors="coerce").to_numpy(dtype=float)
        keep = ~np.isnan(column)
        x, b = column[keep], bands[keep]
        if len(x) < 3 or np.ptp(x) == 0:
            continue
        boot = []
        for _ in range(BOOTSTRAP):
            pick = rng.integers(0, len(x), len(x))
            boot.append(_adjusted_eta_squared(x[pick], b[pick]))
        # resampling repeats people, which inflates the share explained: the bootstrap
        # gives the spread only, and the interval is centred on the estimate
        point = _adjusted_eta_squared(x, b)
        spread = Z95 * float(np.nanstd(boot, ddof=1))
        rows.append({"feature": feature, "label": run.roles.label(feature),
                     "explained": point, "low": point - spread, "high": point + spread,
                     "n": len(x)})
    table = pd.DataFrame(rows, columns=["feature", "label", "explained", "low", "high", "n"])
    return table.sort_values("explained", ascending=False, ignore_index=True)


def disclosure_findings(run: Run, *, k: int = DEFAULT_K, bands: bool = True) -> dict[str, Any]:
    """Everything this module measures, JSON-ready: what ``sesame-audit disclosure`` prints.

    Parameters
    ----------
    run : Run
        A run.
    k : int, default=11
        Smallest number of people a figure may be about.
    bands : bool, default=True
        Whether to include the band tables (``bands``), the longest part.

    Returns
    -------
    dict
        ``attributes`` (attribute -> view -> ``auc``, ``low``, ``high``, ``accuracy``,
        ``base_rate``, ``gain``, ``n``, ``groups``), ``bands`` (attribute -> rows of
        :func:`band_table`), ``inputs`` (rows of :func:`narrowing`), ``views`` and ``k``.

    Examples
    --------
    >>> from sesame_audit.model.runs.store import load_run
    >>> found = disclosure_findings(load_run("runs/proxy-n20000-s0"))  # doctest: +SKIP
    >>> found["attributes"]["ethnicity"]["score"]["auc"]  # doctest: +SKIP
    0.7...
    """
    attributes = attribute_disclosure(run, k=k)
    return {
        "k": k,
        "views": view_names(run),
        "attributes": {a: {v: f.to_dict() for v, f in views.items()}
                       for a, views in attributes.items()},
        "bands": ({a: band_table(run, a, k=k).to_dict(orient="records") for a in attributes}
                  if bands else None),
        "inputs": narrowing(run).to_dict(orient="records"),
    }
