"""Which inputs stand in for sensitive attributes, and how much score flows through them.

A sensitive attribute that is not a model input can still shape the score through inputs
correlated with it (proxies). The strength of an input as a proxy is the AUC of a
one-feature classifier predicting the attribute from it: each category (or each quantile
bin of a number) is scored by the attribute's group rates within it, fitted on one half of
the people and measured on the other, both ways. 0.5 means no information, 1.0 a perfect
stand-in; multi-class attributes use the macro one-vs-rest AUC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from model.fairness import tier_table_with_suppression
from model.groups import group_labels, group_means
from model.store import Run
from model.suppress import DEFAULT_K
from model.train import fit_score_model

N_BINS = 20
PROXY_THRESHOLD = 0.7


# The audit's own random stream, apart from any population's seed: a generator seeded like
# the population would draw the same numbers that decided who belongs to which group.
_STREAM = 0x5E5A_A0D1


def _rows(n: int, sample: int | None) -> np.ndarray:
    if sample is None or n <= sample:
        return np.arange(n)
    if sample < 100:
        raise ValueError(f"sample must be at least 100 people, got {sample}")
    return np.sort(np.random.default_rng(_STREAM).choice(n, size=sample, replace=False))


def feature_codes(values: pd.Series, *, categorical: bool, bins: int = N_BINS) -> np.ndarray:
    """Return integer codes of a feature: its categories, or quantile bins of a number.

    Parameters
    ----------
    values : pandas.Series
        The feature.
    categorical : bool
        Whether the feature holds categories.
    bins : int
        Most quantile bins of a number (fewer when values repeat).

    Returns
    -------
    numpy.ndarray of int
        One code per row; missing values get a code of their own.
    """
    if categorical or not pd.api.types.is_numeric_dtype(values):
        return pd.factorize(values.astype(object).where(values.notna(), "\0missing"))[0]
    numbers = values.to_numpy(dtype=float)
    edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, numbers, side="right")
    return np.where(np.isnan(numbers), len(edges) + 1, codes)


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Return the ROC AUC of ``score`` for ``positive``, counting ties as one half.

    The one-feature scores take few distinct values, so the AUC is computed from counts per
    value (the Mann-Whitney statistic) rather than by sorting every person.

    Parameters
    ----------
    positive : numpy.ndarray of bool
        Whether each person belongs to the group.
    score : numpy.ndarray of float
        Score of each person.

    Returns
    -------
    float
        Probability that a random member scores above a random non-member (ties: 1/2);
        NaN when either side is empty.
    """
    values, index = np.unique(score, return_inverse=True)
    pos = np.bincount(index, weights=positive.astype(float), minlength=len(values))
    neg = np.bincount(index, minlength=len(values)) - pos
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))


def mutual_information(codes: np.ndarray, target: np.ndarray) -> float:
    """Return the mutual information, in bits, between two integer codings of people.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or bin of each person.
    target : numpy.ndarray of int
        Group of each person.

    Returns
    -------
    float
        ``sum p(c, g) log2(p(c, g) / (p(c) p(g)))`` over the observed pairs.
    """
    table = np.zeros((int(codes.max()) + 1, int(target.max()) + 1))
    np.add.at(table, (codes, target), 1.0)
    joint = table / table.sum()
    expected = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / expected[seen])).sum())


def one_feature_auc(codes: np.ndarray, target: np.ndarray) -> float:
    """Return the cross-fitted AUC of predicting ``target`` from the codes' group rates.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Category or bin of each person.
    target : numpy.ndarray of int
        Group (0..m-1) of each person; at least two groups.
    Returns
    -------
    float
        AUC (macro one-vs-rest for more than two groups) of rates fitted on one random half
        and applied to the other, pooled over both halves.
    """
    n_groups = int(target.max()) + 1
    n_codes = int(codes.max()) + 1
    half = np.random.default_rng(_STREAM).random(len(codes)) < 0.5
    proba = np.empty((len(codes), n_groups))
    prior = np.bincount(target, minlength=n_groups) / len(target)
    for fit in (half, ~half):
        table = np.zeros((n_codes, n_groups))
        np.add.at(table, (codes[fit], target[fit]), 1.0)
        rates = (table + prior) / (table.sum(axis=1, keepdims=True) + 1.0)
        proba[~fit] = rates[codes[~fit]]
    if n_groups == 2:
        return binary_auc(target == 1, proba[:, 1])
    return float(np.mean([binary_auc(target == g, proba[:, g]) for g in range(n_groups)]))


def _targets(run: Run, rows: np.ndarray) -> dict[str, np.ndarray]:
    found = {}
    for attribute in run.roles.sensitive:
        if attribute not in run.people.columns:
            continue
        codes = pd.factorize(group_labels(run.people.iloc[rows], attribute))[0]
        if codes.max() >= 1:
            found[attribute] = codes
    return found


def proxy_strength(run: Run, *, sample: int | None = 20_000) -> pd.DataFrame:
    """Rank every input by how well it alone predicts each sensitive attribute.

    Parameters
    ----------
    run : Run
        A loaded run.
    sample : int or None
        People used (a fixed random sample; all when None or fewer).

    Returns
    -------
    pandas.DataFrame
        One row per input and sensitive attribute: ``feature``, ``attribute``, ``strength``
        (AUC of a one-feature classifier, 0.5 = no information) and ``mutual_information``
        (in bits, between the attribute and the feature's categories or quantile bins);
        strongest first. Empty when the run has no sensitive attribute.
    """
    rows = _rows(len(run.people), sample)
    targets = _targets(run, rows)
    records = []
    for feature in run.roles.inputs:
        codes = feature_codes(run.people[feature].iloc[rows],
                              categorical=feature in run.roles.categorical)
        for attribute, target in targets.items():
            records.append({
                "feature": feature,
                "attribute": attribute,
                "strength": one_feature_auc(codes, target),
                "mutual_information": mutual_information(codes, target),
            })
    frame = pd.DataFrame(records, columns=["feature", "attribute", "strength",
                                           "mutual_information"])
    return frame.sort_values(["strength", "feature", "attribute"],
                             ascending=[False, True, True], ignore_index=True)


def joint_strength(run: Run, *, sample: int | None = 10_000, folds: int = 3) -> pd.DataFrame:
    """Return how well all inputs together predict each sensitive attribute.

    Parameters
    ----------
    run : Run
        A loaded run.
    sample : int or None
        People used (a fixed random sample; all when None or fewer).
    folds : int
        Folds of the cross-validation.

    Returns
    -------
    pandas.DataFrame
        One row per attribute: ``attribute`` and ``strength`` (cross-validated AUC of
        boosted trees on every input; macro one-vs-rest for more than two groups),
        strongest first.
    """
    rows = _rows(len(run.people), sample)
    X = run.people[list(run.roles.inputs)].iloc[rows]
    categorical = [c for c in run.roles.inputs if c in run.roles.categorical]
    records = []
    for attribute, target in _targets(run, rows).items():
        encode = ColumnTransformer(
            [("categories", OrdinalEncoder(handle_unknown="use_encoded_value",
                                           unknown_value=-1), categorical)],
            remainder="passthrough")
        trees = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15,
                                               early_stopping=False, random_state=0)
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        proba = cross_val_predict(Pipeline([("encode", encode), ("trees", trees)]), X, target,
                                  cv=split, method="predict_proba")
        auc = (roc_auc_score(target, proba[:, 1]) if proba.shape[1] == 2 else
               roc_auc_score(target, proba, multi_class="ovr", average="macro"))
        records.append({"attribute": attribute, "strength": float(auc)})
    frame = pd.DataFrame(records, columns=["attribute", "strength"])
    return frame.sort_values("strength", ascending=False, ignore_index=True)


def proxies_of(strength: pd.DataFrame, attribute: str, threshold: float = PROXY_THRESHOLD
               ) -> list[str]:
    """Return the inputs whose strength for ``attribute`` is at least ``threshold``.

    Parameters
    ----------
    strength : pandas.DataFrame
        Output of :func:`proxy_strength`.
    attribute : str
        A sensitive attribute.
    threshold : float
        Smallest AUC that makes an input a proxy.

    Returns
    -------
    list of str
        Proxies, strongest first.
    """
    rows = strength[(strength["attribute"] == attribute) & (strength["strength"] >= threshold)]
    return rows.sort_values("strength", ascending=False)["feature"].tolist()


def _check_sensitive(run: Run, attribute: str) -> None:
    if attribute not in run.people.columns:
        raise ValueError(f"unknown attribute {attribute!r}: not a column of this run")


@dataclass(frozen=True)
class ProxyPoints:
    """Points of the score that flow through an attribute's proxies.

    Attributes
    ----------
    attribute : str
        The sensitive attribute.
    threshold : float
        Smallest strength that makes an input a proxy.
    proxies : list of str
        The proxies, strongest first.
    per_person : pandas.Series
        Sum of the proxies' SHAP values of each person, in points.
    by_group : pandas.DataFrame
        ``group``, ``count``, ``points`` (mean of ``per_person``), ``score`` (mean score),
        ``suppressed``.
    by_feature : pandas.DataFrame
        Long: ``group``, ``feature``, ``points`` (mean SHAP value), for groups shown.
    """

    attribute: str
    threshold: float
    proxies: list[str]
    per_person: pd.Series
    by_group: pd.DataFrame
    by_feature: pd.DataFrame = field(repr=False)


def score_through_proxies(run: Run, attribute: str, *, threshold: float = PROXY_THRESHOLD,
                          k: int = DEFAULT_K, strength: pd.DataFrame | None = None
                          ) -> ProxyPoints:
    """Return the points of everyone's score that come from the attribute's proxies.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        A sensitive attribute.
    threshold : float
        Smallest strength (AUC) that makes an input a proxy (default 0.7).
    k : int
        Smallest group size shown.
    strength : pandas.DataFrame, optional
        Output of :func:`proxy_strength`, when already computed.

    Returns
    -------
    ProxyPoints
        Per person and per group.
    """
    _check_sensitive(run, attribute)
    strength = proxy_strength(run) if strength is None else strength
    proxies = proxies_of(strength, attribute, threshold)
    shap = run.explanation.values
    per_person = shap[proxies].sum(axis=1).astype(float).rename("points")
    groups = group_labels(run.people, attribute)
    score = pd.Series(run.explanation.prediction, index=shap.index, name="score")
    by_group, _ = group_means(pd.concat([per_person, score], axis=1), groups, k=k)
    means, _ = group_means(shap[proxies].astype(float), groups, k=k)
    shown = means[~means["suppressed"]]
    by_feature = shown.melt(id_vars=["group"], value_vars=proxies, var_name="feature",
                            value_name="points")
    return ProxyPoints(attribute=attribute, threshold=threshold, proxies=proxies,
                       per_person=per_person.set_axis(run.people[run.roles.id].to_numpy()),
                       by_group=by_group, by_feature=by_feature)


@dataclass(frozen=True)
class UnawarenessGap:
    """The score gap between groups of an attribute the model does not read.

    Attributes
    ----------
    attribute : str
        The sensitive attribute.
    is_input : bool
        Whether the attribute is itself a model input (then "unawareness" does not hold).
    favoured, disfavoured : str or None
        Groups shown with the highest and lowest mean score.
    gap : float
        Difference of their mean scores, in points.
    proxy_gap : float
        Part of ``gap`` carried by the proxies' SHAP values, in points.
    share_through_proxies : float
        ``proxy_gap / gap`` (NaN when there is no gap).
    proxies : list of str
        Inputs with strength at least the threshold for the attribute.
    by_feature : pandas.DataFrame
        ``feature``, ``gap_points`` (difference of mean SHAP values between the two
        groups; they sum to ``gap``), ``is_proxy``, largest first.
    """

    attribute: str
    is_input: bool
    favoured: str | None
    disfavoured: str | None
    gap: float
    proxy_gap: float
    share_through_proxies: float
    proxies: list[str]
    by_feature: pd.DataFrame = field(repr=False)


def unawareness_gap(run: Run, attribute: str, *, k: int = DEFAULT_K,
                    threshold: float = PROXY_THRESHOLD, strength: pd.DataFrame | None = None
                    ) -> UnawarenessGap:
    """Test "fairness through unawareness": a gap remains though the attribute is no input.

    The gap between the mean scores of two groups splits exactly into the differences of
    their mean SHAP values, feature by feature, since every score is the base plus its
    SHAP values; the proxies' share of it is how much the proxies account for.

    Parameters
    ----------
    run : Run
        A loaded run.
    attribute : str
        A sensitive attribute.
    k : int
        Smallest group size shown; hidden groups are not compared.
    threshold : float
        Smallest strength that makes an input a proxy.
    strength : pandas.DataFrame, optional
        Output of :func:`proxy_strength`, when already computed.

    Returns
    -------
    UnawarenessGap
        The gap and its decomposition.
    """
    _check_sensitive(run, attribute)
    strength = proxy_strength(run) if strength is None else strength
    proxies = proxies_of(strength, attribute, threshold)
    groups = group_labels(run.people, attribute)
    shap = run.explanation.values.astype(float)
    score = pd.Series(run.explanation.prediction, index=shap.index, name="__score")
    table, _ = group_means(pd.concat([shap, score], axis=1), groups, k=k)
    shown = table[~table["suppressed"]].set_index("group")
    if len(shown) < 2:
        empty = pd.DataFrame(columns=["feature", "gap_points", "is_proxy"])
        return UnawarenessGap(attribute, attribute in run.roles.inputs, None, None, np.nan,
                              np.nan, np.nan, proxies, empty)
    favoured, disfavoured = shown["__score"].idxmax(), shown["__score"].idxmin()
    diff = shown.loc[favoured, list(shap.columns)] - shown.loc[disfavoured, list(shap.columns)]
    by_feature = pd.DataFrame({"feature": diff.index, "gap_points": diff.to_numpy(float),
                               "is_proxy": [f in proxies for f in diff.index]})
    by_feature = by_feature.reindex(by_feature["gap_points"].abs()
                                    .sort_values(ascending=False).index).reset_index(drop=True)
    gap = float(shown.loc[favoured, "__score"] - shown.loc[disfavoured, "__score"])
    proxy_gap = float(diff[proxies].sum())
    return UnawarenessGap(
        attribute=attribute, is_input=attribute in run.roles.inputs, favoured=str(favoured),
        disfavoured=str(disfavoured), gap=gap, proxy_gap=proxy_gap,
        share_through_proxies=proxy_gap / gap if gap else np.nan, proxies=proxies,
        by_feature=by_feature)


@dataclass(frozen=True)
class FlipResult:
    """What the score would be if everyone shared the majority's value of one proxy.

    Attributes
    ----------
    feature, attribute : str
        The proxy changed and the attribute whose groups are compared.
    majority : str
        Largest group of the attribute.
    value : object
        The value given to everyone (the majority's most common category, or its median).
    by_group : pandas.DataFrame
        ``group``, ``count``, ``mean_before``, ``mean_after``, ``change``, ``suppressed``.
    tiers : pandas.DataFrame
        Long: ``group``, ``tier``, ``share_before``, ``share_after``, for groups shown.
    gap_before, gap_after : float
        Highest minus lowest mean score of the groups shown, in points.
    """

    feature: str
    attribute: str
    majority: str
    value: object
    by_group: pd.DataFrame
    tiers: pd.DataFrame
    gap_before: float
    gap_after: float


def flip_test(run: Run, feature: str, attribute: str, *, k: int = DEFAULT_K) -> FlipResult:
    """Give everyone the majority group's usual value of one input and re-score them.

    Parameters
    ----------
    run : Run
        A loaded run; its model re-predicts every person.
    feature : str
        A model input (e.g. a proxy such as the district).
    attribute : str
        A sensitive attribute; its largest group is the majority.
    k : int
        Smallest group size shown.

    Returns
    -------
    FlipResult
        Mean score and tier access by group, before and after.

    Raises
    ------
    ValueError
        When ``feature`` is not a model input or ``attribute`` not a column.
    """
    if feature not in run.roles.inputs:
        raise ValueError(f"{feature!r} is not a model input of this run")
    _check_sensitive(run, attribute)
    groups = group_labels(run.people, attribute)
    majority = str(groups.value_counts().idxmax())
    among = run.people.loc[(groups == majority).to_numpy(), feature]
    if feature in run.roles.categorical or not pd.api.types.is_numeric_dtype(among):
        value: object = among.mode(dropna=True).iloc[0]
    else:
        value = float(among.median())
    X = run.people[list(run.roles.inputs)].copy()
    X[feature] = pd.Series([value] * len(X), index=X.index).astype(X[feature].dtype)
    before = pd.Series(np.asarray(run.explanation.prediction, float), index=X.index)
    after = pd.Series(np.asarray(run.model.predict(X), float), index=X.index)
    table, _ = group_means(pd.DataFrame({"mean_before": before, "mean_after": after}),
                                groups, k=k)
    table.insert(4, "change", table["mean_after"] - table["mean_before"])
    shown = set(table.loc[~table["suppressed"], "group"])
    rows = []
    for spec in run.roles.tiers:
        reached = pd.DataFrame({"b": before >= spec.min_score, "a": after >= spec.min_score})
        rates = reached.groupby(groups.to_numpy()).mean()
        rows += [{"group": g, "tier": spec.name, "share_before": float(rates.loc[g, "b"]),
                  "share_after": float(rates.loc[g, "a"])} for g in sorted(shown)]
    shown_table = table[~table["suppressed"]]
    return FlipResult(
        feature=feature, attribute=attribute, majority=majority,
        value=value.item() if isinstance(value, np.generic) else value,
        by_group=table, tiers=pd.DataFrame(rows, columns=["group", "tier", "share_before",
                                                          "share_after"]),
        gap_before=float(shown_table["mean_before"].max() - shown_table["mean_before"].min()),
        gap_after=float(shown_table["mean_after"].max() - shown_table["mean_after"].min()))


@dataclass(frozen=True)
class Minimisation:
    """What dropping some inputs costs in accuracy and changes in group gaps.

    Attributes
    ----------
    dropped : list of str
        Inputs left out of the retrained model.
    accuracy : pandas.DataFrame
        ``metric`` (``r2``, ``mae_points``), ``before`` (the run's model), ``after`` (the
        retrained one), both on the same held-out split.
    gaps : pandas.DataFrame
        Per sensitive attribute: ``attribute``, ``gap_before``, ``gap_after`` (highest minus
        lowest mean score of the groups shown, in points), ``worst_ratio_before``,
        ``worst_ratio_after`` (lowest impact ratio at any tier).
    """

    dropped: list[str]
    accuracy: pd.DataFrame
    gaps: pd.DataFrame


_MINIMISED: dict[tuple[str, tuple[str, ...], int], Minimisation] = {}
_MINIMISED_MAX = 32


def resolve_drop(run: Run, drop: list[str]) -> list[str]:
    """Return the inputs named by ``drop``: input names and/or privacy categories.

    Parameters
    ----------
    run : Run
        A loaded run.
    drop : list of str
        Input names, or privacy categories (e.g. ``"social graph"``) standing for all their
        inputs.

    Returns
    -------
    list of str
        Inputs to leave out, in the model's order.

    Raises
    ------
    ValueError
        For a name that is neither an input nor a privacy category of an input, or when
        nothing (or everything) would be dropped.
    """
    categories = {run.roles.privacy.get(f) for f in run.roles.inputs}
    chosen: set[str] = set()
    for name in drop:
        if name in run.roles.inputs:
            chosen.add(name)
        elif name in categories:
            chosen |= {f for f in run.roles.inputs if run.roles.privacy.get(f) == name}
        else:
            raise ValueError(f"{name!r} is neither a model input nor a privacy category of "
                             "this run")
    kept = [f for f in run.roles.inputs if f not in chosen]
    if not chosen:
        raise ValueError("choose at least one input or privacy category to drop")
    if not kept:
        raise ValueError("dropping every input leaves nothing to score with")
    return [f for f in run.roles.inputs if f in chosen]


def _gap_row(run: Run, attribute: str, score: np.ndarray, k: int) -> tuple[float, float]:
    table = tier_table_with_suppression(run, attribute, k=k, score=score)[0]
    shown = table[~table["suppressed"]]
    ratios = shown[[c for c in shown.columns if c.startswith("impact_ratio_")]].to_numpy(float)
    worst = float(np.nanmin(ratios)) if np.isfinite(ratios).any() else np.nan
    return float(shown["mean_score"].max() - shown["mean_score"].min()), worst


def minimise(run: Run, drop: list[str], *, k: int = DEFAULT_K) -> Minimisation:
    """Retrain the score model without some inputs: is this data needed?

    The model is refitted with :func:`model.train.fit_score_model` on the same split and
    seed as the run's, then scores everyone. Results are kept in memory per run and choice.

    Parameters
    ----------
    run : Run
        A loaded run.
    drop : list of str
        Inputs and/or privacy categories to leave out.
    k : int
        Smallest group size shown in the gaps.

    Returns
    -------
    Minimisation
        Accuracy and group gaps before and after.
    """
    dropped = resolve_drop(run, drop)
    key = (run.key, tuple(dropped), k)
    if key in _MINIMISED:
        return _MINIMISED[key]
    roles = run.roles
    kept_roles = replace(roles, inputs=tuple(f for f in roles.inputs if f not in dropped),
                         categorical=tuple(c for c in roles.categorical if c not in dropped))
    seed = int(run.manifest.get("seed", 0))
    before = run.manifest.get("metrics", {})
    if not {"r2", "mae_points"} <= set(before):
        _, before = fit_score_model(run.people, roles, seed=seed)
    model, after = fit_score_model(run.people, kept_roles, seed=seed)
    new_score = model.predict(run.people[list(kept_roles.inputs)])
    old_score = np.asarray(run.explanation.prediction, float)
    gaps = []
    for attribute in roles.sensitive:
        if attribute in run.people.columns:
            gap_b, worst_b = _gap_row(run, attribute, old_score, k)
            gap_a, worst_a = _gap_row(run, attribute, new_score, k)
            gaps.append({"attribute": attribute, "gap_before": gap_b, "gap_after": gap_a,
                         "worst_ratio_before": worst_b, "worst_ratio_after": worst_a})
    result = Minimisation(
        dropped=dropped,
        accuracy=pd.DataFrame({"metric": ["r2", "mae_points"],
                               "before": [float(before["r2"]), float(before["mae_points"])],
                               "after": [float(after["r2"]), float(after["mae_points"])]}),
        gaps=pd.DataFrame(gaps, columns=["attribute", "gap_before", "gap_after",
                                         "worst_ratio_before", "worst_ratio_after"]))
    if len(_MINIMISED) >= _MINIMISED_MAX:
        _MINIMISED.pop(next(iter(_MINIMISED)))
    _MINIMISED[key] = result
    return result
