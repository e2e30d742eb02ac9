"""Words for names the code keeps short: group values, tiers and the model's accuracy metrics.

One mapping, :data:`METRICS`, names every accuracy figure a run's manifest records; the
Overview page, the CLI's text and the report all print a metric through
:func:`metric_label`, so that none of them shows a raw key such as ``mae_hidden_points``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

METRICS: dict[str, tuple[str, str]] = {
    "r2": ("Model accuracy",
           "R²: the share of the recorded score's variation the model reproduces (1 = all)."),
    "mae_points": ("Typical error",
                   "Mean absolute gap between the model's score and the recorded one, in "
                   "the score's unit."),
    "r2_hidden": ("Accuracy against the hidden rules without noise",
                  "R² of the model against the score the hidden rules give before noise."),
    "mae_hidden_points": ("Typical error against the hidden rules without noise",
                          "Mean absolute gap between the model's score and the hidden "
                          "rules' score before noise, in the score's unit."),
    "accuracy": ("Decisions matching the recorded outcome",
                 "Share of people whose decision at the first threshold matches the "
                 "recorded outcome."),
    "auc": ("Ranking quality (AUC)",
            "Chance that a person with the scored outcome ranks above one without it."),
    "brier": ("Brier score",
              "Mean squared gap between the predicted probability and the outcome (0 = "
              "perfect)."),
    "positive_rate": ("Recorded outcome rate",
                      "Share of people whose recorded outcome is the scored one."),
    "n": ("People measured on", "Rows the figures above were measured on."),
    "n_train": ("People trained on", "Rows the model was fitted on."),
    "n_test": ("People held out", "Rows kept out of training to measure the model on."),
    "max_leaf_nodes": ("Leaves per tree", "The tree size chosen on the validation split."),
    "measured_on": ("Measured on", "Which rows the accuracy figures come from."),
    "note": ("Note", "Why a figure is missing."),
}
_VALIDATION = re.compile(r"validation_r2_leaves_(\d+)")


def readable(value: object) -> str:
    """Return a category, group or tier name as words (``minority_b`` -> ``minority b``).

    Parameters
    ----------
    value : object
        The name as stored.

    Returns
    -------
    str
        The name with underscores as spaces.
    """
    return str(value).replace("_", " ")


def r2_label(metrics: Mapping[str, object]) -> str:
    """Return what a run's R2 was measured on, as a label: held-out or in-sample.

    Parameters
    ----------
    metrics : mapping
        The manifest's metrics (or ``audit --json``'s ``accuracy``). A built run measures
        its model on a held-out split; an imported one records ``measured_on`` instead.

    Returns
    -------
    str
        ``"held-out R²"``, or ``"in-sample R²"`` when the metrics were measured on a table
        that may include the rows the model was trained on.
    """
    return "in-sample R²" if "measured_on" in metrics else "held-out R²"


def metric_label(key: str, metrics: Mapping[str, object] | None = None) -> str:
    """Return the words for one accuracy metric of a run's manifest.

    Parameters
    ----------
    key : str
        The manifest's key (``r2``, ``mae_hidden_points``, ``validation_r2_leaves_15``...).
    metrics : mapping, optional
        The run's metrics, to say whether R² is held-out or in-sample.

    Returns
    -------
    str
        The label of :data:`METRICS`; a key it does not know, in words (never the raw key).

    Examples
    --------
    >>> metric_label("r2", {})
    'Model accuracy (held-out R²)'
    >>> metric_label("validation_r2_leaves_15")
    'Validation R² with 15 leaves per tree'
    """
    if key == "r2":
        return f"{METRICS['r2'][0]} ({r2_label(metrics or {})})"
    if key in METRICS:
        return METRICS[key][0]
    if found := _VALIDATION.fullmatch(key):
        return f"Validation R² with {found.group(1)} leaves per tree"
    words = readable(key).replace(" r2", " R²").replace("r2 ", "R² ").strip()
    return words[:1].upper() + words[1:]


def metric_meaning(key: str) -> str:
    """Return what one accuracy metric measures, in a sentence ('' when not known).

    Parameters
    ----------
    key : str
        The manifest's key.

    Returns
    -------
    str
        The meaning of :data:`METRICS`, the validation R² of a tree size, or ''.
    """
    if key in METRICS:
        return METRICS[key][1]
    if _VALIDATION.fullmatch(key):
        return "R² on the validation split of a model with trees of this size."
    return ""
