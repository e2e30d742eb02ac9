"""The score under audit for new rows, whatever the run: what the SHAP values add up to.

A synthetic or imported regression run scores with ``predict()``; an imported classifier
scores with the probability or the log-odds of its positive class, as its manifest says.
Audits that re-score people (flip tests, unfriending, what-if edits) call
:func:`score_rows` so that they compare like with like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.explain_any import model_output
from model.store import Run


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
    """
    output = run.manifest.get("shap", {}).get("output", "score")
    classes = [str(c) for c in run.manifest.get("model", {}).get("classes", [])]
    positive_class = run.manifest.get("model", {}).get("positive_class")
    positive = classes.index(positive_class) if positive_class in classes else 1
    return model_output(run.model, X[list(run.roles.inputs)], output, positive)
