"""Parts of common models that skops does not trust by default, accepted only as plain data.

Three kinds of model that auditors bring hold such parts, none of them code of their own:

- HistGradientBoosting with native categorical features keeps ``functools.partial(
  sklearn.utils.validation.check_array, **options)`` in its preprocessor;
- MLPClassifier and MLPRegressor keep their optimizer's state (``AdamOptimizer``,
  ``SGDOptimizer``: numbers and arrays);
- CalibratedClassifierCV keeps ``_CalibratedClassifier`` (an estimator, calibrators, the
  classes and the method's name) and ``_SigmoidCalibration`` (two numbers).

:data:`ALLOWED_PARTS` names exactly these types and the one function a partial may wrap;
skops still refuses any other type or function a file asks for. Once loaded,
:func:`check_parts` looks at every such part and refuses it unless it holds only what
those models store: a partial of that one function with plain options, optimizer states
of numbers and numeric arrays, calibration records of numbers, arrays and estimators.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from sesame_audit.model.core.bad_input import BadInputError

__all__ = ["ALLOWED_PARTS", "UnsafePartError", "check_parts"]

_PARTIAL = "functools.partial"
_CHECK_ARRAY = "sklearn.utils.validation.check_array"
_OPTIMIZERS = ("sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
               "sklearn.neural_network._stochastic_optimizers.SGDOptimizer")
_CALIBRATED = "sklearn.calibration._CalibratedClassifier"
_SIGMOID = "sklearn.calibration._SigmoidCalibration"
ALLOWED_PARTS: tuple[str, ...] = (_PARTIAL, _CHECK_ARRAY, *_OPTIMIZERS, _CALIBRATED, _SIGMOID)
"""Types (and the one function) trusted on loading, then checked by :func:`check_parts`."""

_MAX_DEPTH = 200


class UnsafePartError(BadInputError):
    """A model part on the conditional allow-list that holds more than plain data."""


def _name(obj: Any) -> str:
    kind = obj if isinstance(obj, type) else type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def _plain(value: Any, *, arrays: bool) -> bool:
    """Whether ``value`` is a number, string, None, dtype, numeric array or a list of them."""
    if value is None or isinstance(value, bool | int | float | str | np.number | np.bool_):
        return True
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return True
    if isinstance(value, np.ndarray):
        if value.dtype == object:  # class labels
            return arrays and all(isinstance(v, str | int | float) for v in value.ravel())
        return arrays and value.dtype.kind in "biufU"
    if isinstance(value, list | tuple):
        return all(_plain(v, arrays=arrays) for v in value)
    return False


def _check_partial(part: functools.partial, where: str) -> None:
    from sklearn.utils.validation import check_array

    if part.func is not check_array:
        raise UnsafePartError(f"{where} wraps {_name(part.func)}, not {_CHECK_ARRAY}")
    if part.args or not all(isinstance(k, str) and _plain(v, arrays=False)
                            for k, v in part.keywords.items()):
        raise UnsafePartError(f"{where} passes {_CHECK_ARRAY} something other than plain "
                              "options")


def _check_fields(obj: Any, where: str, estimators: frozenset[str] = frozenset()) -> None:
    """Refuse unless every field is plain (numbers, strings, numeric arrays) or allowed."""
    for key, value in vars(obj).items():
        if key in estimators:
            continue
        if not _plain(value, arrays=True):
            raise UnsafePartError(f"{where}.{key} holds a {type(value).__name__}, not plain "
                                  "data")


def _check_calibrated(obj: Any, where: str) -> None:
    from sklearn.base import BaseEstimator
    from sklearn.calibration import _SigmoidCalibration
    from sklearn.isotonic import IsotonicRegression

    if getattr(obj, "method", None) not in ("sigmoid", "isotonic"):
        raise UnsafePartError(f"{where} names no calibration method")
    if not isinstance(getattr(obj, "estimator", None), BaseEstimator):
        raise UnsafePartError(f"{where} calibrates something that is not an estimator")
    calibrators = getattr(obj, "calibrators", None)
    if not isinstance(calibrators, list) or not all(
            type(c) in (_SigmoidCalibration, IsotonicRegression) for c in calibrators):
        raise UnsafePartError(f"{where} holds calibrators other than sigmoid or isotonic ones")
    _check_fields(obj, where, frozenset({"estimator", "calibrators"}))


def _walk(obj: Any, where: str, seen: set[int], depth: int) -> None:
    if id(obj) in seen or depth > _MAX_DEPTH:
        return
    seen.add(id(obj))
    if isinstance(obj, functools.partial):
        _check_partial(obj, where)
        return
    kind = _name(obj)
    if kind in _OPTIMIZERS or kind == _SIGMOID:
        _check_fields(obj, where)
        return
    if kind == _CALIBRATED:
        _check_calibrated(obj, where)
    if isinstance(obj, dict):
        children = [(repr(k), v) for k, v in obj.items()]
    elif isinstance(obj, list | tuple):
        children = [(str(i), v) for i, v in enumerate(obj)]
    elif isinstance(obj, np.ndarray) and obj.dtype == object:
        children = [(str(i), v) for i, v in enumerate(obj.ravel())]
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        children = list(vars(obj).items())
    else:
        return
    for key, child in children:
        _walk(child, f"{where}.{key}", seen, depth + 1)


def check_parts(model: Any) -> None:
    """Refuse a model whose conditionally allowed parts hold anything but plain data.

    Parameters
    ----------
    model : object
        A model as loaded from a skops file.

    Raises
    ------
    UnsafePartError
        Naming the part and what it holds.

    Examples
    --------
    >>> from sklearn.neural_network import MLPRegressor
    >>> check_parts(MLPRegressor(max_iter=5).fit([[0.0], [1.0]], [0.0, 1.0]))
    """
    try:
        _walk(model, type(model).__name__, set(), 0)
    except UnsafePartError as exc:
        raise UnsafePartError(f"the model file is refused: {exc}") from None
