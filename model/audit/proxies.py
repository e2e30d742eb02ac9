"""Which inputs stand in for sensitive attributes, and how much score flows through them.

A sensitive attribute that is not a model input can still shape the score through inputs
correlated with it (proxies). The strength of an input as a proxy is the AUC of a
one-feature classifier predicting the attribute from it: each category (or each quantile
bin of a number) is scored by the attribute's group rates within it, fitted on one half of
the people and measured on the other, both ways. 0.5 means no information, 1.0 a perfect
stand-in; multi-class attributes use the macro one-vs-rest AUC.

An input that is the attribute itself, or carries the same information (see
:mod:`figures.same_information`: the input determines the attribute or the attribute the
input, as an age determines an age band), is no proxy: the model reads the attribute
directly. Such inputs are reported apart as direct use (:func:`direct_use`), never ranked
as proxies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from sesame_audit.model.core import units
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.figures.association import (
    feature_codes,
    mutual_information,
    one_feature_auc,
)
from sesame_audit.model.figures.same_information import attribute_codes, audit_rows, is_direct
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run

PROXY_THRESHOLD = 0.7
TOP_CONTRIBUTORS = 3


def proxy_strength(run: Run, *, sample: int | None = 20_000) -> pd.DataFrame:
    """Rank every input by how well it alone predicts each sensitive attribute.

    An input that is the attribute itself or carries the same information (see
    :func:`direct_use`) is left out: it is direct use, not a proxy.

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
    rows = audit_rows(len(run.people), sample)
    targets = attribute_codes(run.people, run.roles, rows)
    records = []
    for feature in run.roles.inputs:
        codes = feature_codes(run.people[feature].iloc[rows],
                              categorical=feature in run.roles.categorical)
        for attribute, target in targets.items():
            if is_direct(run.people, run.roles, feature, attribute, rows, target):
                continue
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


def direct_use(run: Run, *, sample: int | None = 20_000) -> pd.DataFrame:
    """Return the sensitive attributes the model reads directly, and how much they move scores.

    Parameters
    ----------
    run : Run
        A loaded run.
    sample : int or None
        People used to compare an input with an attribute (a fixed random sample).

    Returns
    -------
    pandas.DataFrame
        One row per input and attribute it stands for: ``attribute``, ``feature``,
        ``relation`` (``"the attribute itself"`` or ``"same information"``, e.g. an age for
        an age band), ``mean_abs_points`` (the input's mean |SHAP|) and ``shap_share`` (its
        share of all inputs' mean |SHAP|); largest share first.
    """
    rows = audit_rows(len(run.people), sample)
    influence = stored.influence(run)[0].set_index("feature")["mean_abs_points"]
    total = float(influence.sum())
    records = []
    for attribute, target in attribute_codes(run.people, run.roles, rows).items():
        for feature in run.roles.inputs:
            if not is_direct(run.people, run.roles, feature, attribute, rows, target):
                continue
            points = float(influence.get(feature, 0.0))
            records.append({
                "attribute": attribute, "feature": feature,
                "relation": "the attribute itself" if feature == attribute
                else "same information",
                "mean_abs_points": points, "shap_share": points / total if total else np.nan})
    frame = pd.DataFrame(records, columns=["attribute", "feature", "relation",
                                           "mean_abs_points", "shap_share"])
    return frame.sort_values(["shap_share", "attribute"], ascending=[False, True],
                             ignore_index=True)


def direct_use_lines(direct: list[dict], labels: dict[str, str] | None = None, *,
                     roles: Roles | None = None) -> list[str]:
    """Return one plain sentence per sensitive attribute the model reads directly.

    Parameters
    ----------
    direct : list of dict
        Records of :func:`direct_use` (as in ``audit --json``'s ``direct_use``).
    labels : dict, optional
        Column -> label.
    roles : Roles, optional
        The run's roles, for the score's unit (score points without).

    Returns
    -------
    list of str
        E.g. "Direct use: the model reads Age, which carries the same information as Age
        band; it moves scores by 12.3 points on average, 8% of all movement."
    """
    name = (labels or {}).get
    lines = []
    for row in direct:
        what = ("is the sensitive attribute" if row["relation"] == "the attribute itself"
                else "carries the same information as")
        moved = (f"{row['mean_abs_points']:.1f} points" if roles is None
                 else units.format_change(row["mean_abs_points"], roles, signed=False))
        lines.append(f"Direct use: the model reads {name(row['feature'], row['feature'])}, "
                     f"which {what} {name(row['attribute'], row['attribute'])}; it moves "
                     f"scores by {moved} on average, "
                     f"{row['shap_share']:.0%} of all movement.")
    return lines


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
    rows = audit_rows(len(run.people), sample)
    X = run.people[list(run.roles.inputs)].iloc[rows]
    categorical = [c for c in run.roles.inputs if c in run.roles.categorical]
    records = []
    for attribute, target in attribute_codes(run.people, run.roles, rows).items():
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


def check_sensitive(run: Run, attribute: str) -> None:
    """Raise ``ValueError`` naming ``attribute`` when the run has no such column."""
    if attribute not in run.people.columns:
        raise ValueError(f"unknown attribute {attribute!r}: not a column of this run")
