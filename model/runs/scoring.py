"""The score under audit for new rows, whatever the run: what the SHAP values add up to.

A synthetic or imported regression run scores with ``predict()``; an imported classifier
scores with the probability or the log-odds of its positive class, as its manifest says.
Audits that re-score people (flip tests, unfriending, what-if edits) call
:func:`score_rows` so that they compare like with like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sesame_audit.model.explain.any_model import explain_any, model_output
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.explain.score_model import explain
from sesame_audit.model.explain.tree_predict import fast_output
from sesame_audit.model.runs.run import Run

BACKGROUND_ROWS = 1_000


def _positive(run: Run) -> int:
    classes = [str(c) for c in run.manifest.get("model", {}).get("classes", [])]
    positive_class = run.manifest.get("model", {}).get("positive_class")
    return classes.index(positive_class) if positive_class in classes else 1


def explain_new_rows(run: Run, X: pd.DataFrame) -> Explanation:
    """Explain rows that are not in the run (e.g. what-if edits) the way the run was explained.

    Synthetic runs use the exact TreeSHAP of their pipeline. Imported runs use the
    explainer recorded in their manifest: tree SHAP needs no background; linear and
    permutation SHAP are computed with the first 1,000 people of the run as background
    rows, so that the base value stays that of the population.

    Parameters
    ----------
    run : Run
        A loaded run.
    X : pandas.DataFrame
        Model inputs (``run.roles.inputs``).

    Returns
    -------
    Explanation
        SHAP values and scores of the rows of ``X`` only.
    """
    X = X[list(run.roles.inputs)]
    if run.manifest.get("source") != "imported":
        return explain(run.model, X)
    shap_info = run.manifest.get("shap", {})
    output = shap_info.get("output", "score")
    if shap_info.get("explainer") == "tree":
        return explain_any(run.model, X, output=output, positive=_positive(run))[0]
    background = run.head(BACKGROUND_ROWS)[list(run.roles.inputs)]
    both = pd.concat([background, X], ignore_index=True)
    full, _ = explain_any(run.model, both, output=output, positive=_positive(run))
    keep = slice(len(background), None)
    values = full.values.iloc[keep].set_axis(X.index)
    return Explanation(base=full.base, values=values, prediction=full.prediction[keep],
                       rows_per_second=full.rows_per_second)


def score_rows(run: Run, X: pd.DataFrame) -> np.ndarray:
    """Return the run's score for the rows of ``X``, in the units its SHAP values use.

    Parameters
    ----------
    run : Run
        A loaded run.
    X : pandas.DataFrame
        Model inputs (``run.roles.inputs``).

    Returns
    -------
    numpy.ndarray
        One float per row: the prediction, or the positive class's probability or log-odds.
        A histogram gradient boosting model is scored by :func:`explain.tree_predict.fast_output`
        (the same numbers as its own methods, several times faster on many rows).
    """
    output = run.manifest.get("shap", {}).get("output", "score")
    X = X[list(run.roles.inputs)]
    fast = fast_output(run.model, X, output, _positive(run))
    return fast if fast is not None else model_output(run.model, X, output, _positive(run))
