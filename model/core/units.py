"""The unit of a run's score, and how every page, sentence and export writes its values.

A synthetic world's score is in points; an imported regressor's score is in the user's own
unit (``unit = "EUR"`` in the roles file, or none); a classifier's score is a probability
(written as a percentage) or log-odds (two decimals). Thresholds are written as the user
typed them: a classifier's as probabilities, even when the score is in log-odds.
"""

from __future__ import annotations

import math

from sesame_audit.model.core.roles import (
    BELOW_ALL_TIERS,
    LOG_ODDS,
    LOW,
    POINTS,
    PROBABILITY,
    Roles,
)

BANDS = 50
REASON_SHARE = 1 / 1200  # of the score's range: half a point on a 600-point scale


def _span(roles: Roles) -> float:
    return float(roles.score_max - roles.score_min)


def decimals(roles: Roles) -> int:
    """Return the decimals a value in the user's unit is written with (0 to 4).

    Parameters
    ----------
    roles : Roles
        The score's range.

    Returns
    -------
    int
        Enough decimals to tell apart a hundredth of the score's range.
    """
    span = _span(roles)
    if not span > 0 or not math.isfinite(span):
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(span)))))


def unit_label(roles: Roles) -> str:
    """Return the unit as written in axis titles and column headers.

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        ``points``, ``probability``, ``log-odds``, the user's unit, or ``score units``
        when an imported regressor declares none.
    """
    if roles.unit == LOG_ODDS:
        return "log-odds"
    return roles.unit or "score units"


def change_label(roles: Roles) -> str:
    """Return the unit of a change of the score (a SHAP value, a gap between groups).

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        As :func:`unit_label`, but ``percentage points`` for a probability.
    """
    return "percentage points" if roles.unit == PROBABILITY else unit_label(roles)


def number(value: float, roles: Roles, *, change: bool = False) -> str:
    """Write a score, or a change of it, as a number without its unit's name.

    Parameters
    ----------
    value : float
        A score, or a difference of two scores when ``change``.
    roles : Roles
        The run's roles.
    change : bool
        Whether ``value`` is a change (written with its sign, a probability's in
        percentage points).

    Returns
    -------
    str
        E.g. ``512`` or ``+12.3`` (points), ``43.2%`` or ``+4.1`` (probability), ``-1.37``
        (log-odds), ``1,250.50`` (a user's unit, decimals after its range).
    """
    value = float(value)
    sign = "+" if change else ""
    if roles.unit == POINTS:
        return f"{value:{sign},.{1 if change else 0}f}"
    if roles.unit == PROBABILITY:
        return f"{value * 100:+.1f}" if change else f"{value:.1%}"
    if roles.unit == LOG_ODDS:
        return f"{value:{sign}.2f}"
    return f"{value:{sign},.{decimals(roles) + (1 if change else 0)}f}"


def format_value(value: float, roles: Roles) -> str:
    """Write a score (a level, not a change) in the run's unit.

    Parameters
    ----------
    value : float
        A score.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        E.g. ``512 points``, ``43.2%``, ``-1.37 log-odds``, ``1,250.50 EUR``.
    """
    text = number(value, roles)
    if roles.unit == PROBABILITY or not roles.unit:
        return text
    return f"{text} {unit_label(roles)}"


def format_change(value: float, roles: Roles, *, signed: bool = True) -> str:
    """Write a change of the score (a push, a gap, a distance) in the run's unit.

    Parameters
    ----------
    value : float
        A difference of two scores.
    roles : Roles
        The run's roles.
    signed : bool
        Whether to write the sign of a positive change.

    Returns
    -------
    str
        E.g. ``+12.3 points``, ``-4.1 percentage points``, ``+0.35 log-odds``.
    """
    text = number(value, roles, change=True)
    if not signed and text.startswith("+"):
        text = text[1:]
    return f"{text} {change_label(roles)}" if roles.unit else text


def format_error(value: float, roles: Roles) -> str:
    """Write the size of an error in the run's unit, never as a bare zero.

    Parameters
    ----------
    value : float
        A non-negative error (e.g. a person's estimated permutation error).
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        :func:`format_change` without sign, or "under" the smallest step the unit shows
        when the error rounds to zero (``under 0.1 percentage points``, not ``0.0``).
    """
    text = format_change(value, roles, signed=False)
    zero = format_change(0.0, roles, signed=False)
    if text != zero or value <= 0:
        return text
    steps = (format_change(step, roles, signed=False) for step in (1e-4, 1e-3, 1e-2, 0.1, 1.0))
    return "under " + next((step for step in steps if step != zero), text)


def format_threshold(value: float, roles: Roles) -> str:
    """Write a tier's threshold as the user typed it.

    Parameters
    ----------
    value : float
        The threshold on the score's scale.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        Points without decimals; a classifier's threshold as the probability typed (also
        for a score in log-odds, whose threshold is stored as log-odds); else as typed.
    """
    value = float(value)
    if roles.unit == POINTS:
        return f"{value:.0f}"
    if roles.unit == LOG_ODDS:
        return f"probability {1 / (1 + math.exp(-value)):.6g}"
    return f"{value:g}"


def band_text(start: float, end: float, roles: Roles) -> str:
    """Write a band of scores in the run's unit: ``600 to 625``, ``60.0% to 65.0%``.

    Parameters
    ----------
    start, end : float
        The band's ends, on the score's scale.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        Both ends written as :func:`number` writes a score, the user's unit after the
        second (none for points and probabilities, as the synthetic world's pages write
        them).
    """
    unit = f" {unit_label(roles)}" if roles.unit not in (POINTS, PROBABILITY, "") else ""
    return f"{number(start, roles)} to {number(end, roles)}{unit}"


def threshold_words(threshold: float, roles: Roles) -> str:
    """Write where a tier is reached as a phrase, in the run's unit and direction.

    Parameters
    ----------
    threshold : float
        The threshold on the score's scale.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        ``a score of 650 or more`` (``or less`` when low scores are favourable), ``a
        probability of 0.5 or more`` (also for a score in log-odds), ``a score of 25 days
        or less``.
    """
    text = format_threshold(threshold, roles)
    more = "or less" if roles.favourable == LOW else "or more"
    if roles.unit == LOG_ODDS:
        return f"a {text.replace('probability ', 'probability of ')} {more}"
    if roles.unit == PROBABILITY:
        return f"a probability of {text} {more}"
    unit = f" {roles.unit}" if roles.unit and roles.unit != POINTS else ""
    return f"a score of {text}{unit} {more}"


def tier_words(tier: str, threshold: float, roles: Roles) -> str:
    """What reaching a tier means, as a phrase after "reaches".

    Parameters
    ----------
    tier : str
        The tier's name.
    threshold : float
        Its threshold, on the score's scale.
    roles : Roles
        The run's roles, whose tiers say whether the name was given or made from the
        threshold alone.

    Returns
    -------
    str
        ``the car rental tier (a score of 650 or more)`` for a named tier; the threshold
        alone (``a probability of 0.5 or more``) for a tier named after it.
    """
    words = threshold_words(threshold, roles)
    spec = next((t for t in roles.tiers if t.name == tier), None)
    if spec is not None and spec.generated:
        return words
    return f"the {tier.replace('_', ' ')} tier ({words})"


def reach_label(value: float, roles: Roles) -> str:
    """Write where a tier is reached, briefly: ``650+``, or ``≤ 25`` when low is favourable.

    Parameters
    ----------
    value : float
        The threshold on the score's scale.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        The threshold as typed (see :func:`format_threshold`) with its side.
    """
    text = format_threshold(value, roles)
    return f"≤ {text}" if roles.favourable == "low" else f"{text}+"


def tier_label(tier: str, roles: Roles) -> str:
    """Write a tier's name for a label: ``car rental``, or ``0.5+`` for a tier named after
    its threshold (``at_least_0.5``).

    Parameters
    ----------
    tier : str
        The tier's name.
    roles : Roles
        The run's roles.

    Returns
    -------
    str
        The name in words, or where the tier is reached (see :func:`reach_label`);
        ``none yet`` for a score under every tier.
    """
    if tier == BELOW_ALL_TIERS:
        return "none yet"
    spec = next((t for t in roles.tiers if t.name == tier), None)
    if spec is not None and spec.generated:
        return reach_label(spec.min_score, roles)
    return tier.replace("_", " ")


def band_width(roles: Roles) -> float:
    """Return the width of a histogram band: 10 points, else 1/50 of the score's range.

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    float
        A positive width on the score's scale.
    """
    if roles.unit == POINTS:
        return 10.0
    span = _span(roles)
    return span / BANDS if span > 0 else 1.0


def smallest_reason(roles: Roles) -> float:
    """Return the smallest push down that counts as a principal reason.

    Parameters
    ----------
    roles : Roles
        The run's roles.

    Returns
    -------
    float
        1/1200 of the score's range (half a point on the 350-950 scale).
    """
    return _span(roles) * REASON_SHARE
