"""Small-cell suppression: no figure about fewer than ``k`` people is ever shown.

This module is the only home of ``k``'s default and of the rule. A group with fewer than
``k`` people is suppressed (primary suppression). A "line" is a set of groups whose total
is shown elsewhere: the whole table (the population), and, for an intersection of two
attributes, every group of either attribute shown in its own table (and the union of the
groups hidden there, since it is the population minus the groups shown); a table of three
or more attributes (groups by recorded outcome, say) has a line for every group of every
margin of fewer attributes. Subtracting the groups shown in a line from its total gives
the union of the groups hidden in it, and lines taken together can give single hidden
groups. So groups are hidden further, the next smallest of a line first (complementary
suppression), until no hidden group and no union of the hidden groups of a line that can
be recomputed holds fewer than ``k`` people.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

DEFAULT_K = 11
_TOLERANCE = 1e-9
_PAIRED = 12  # smallest candidates tried in pairs when no single one will do


@dataclass(frozen=True)
class Suppression:
    """Which groups of a table are hidden, and why.

    Attributes
    ----------
    mask : pandas.Series of bool
        True for every hidden group, indexed like the counts it was computed from.
    primary : int
        Groups hidden because they hold fewer than ``k`` people.
    complementary : int
        Groups hidden so that no hidden group, nor a union of hidden groups, of fewer than
        ``k`` people can be recomputed from totals.
    k : int
        Smallest group size shown.
    """

    mask: pd.Series
    primary: int
    complementary: int
    k: int

    @property
    def cells(self) -> int:
        """Number of hidden groups (primary plus complementary)."""
        return self.primary + self.complementary

    def note(self) -> str:
        """Return a plain sentence saying how many groups were hidden and why."""
        if self.cells == 0:
            return f"No group was hidden: every group has at least {self.k} people."
        parts = f"{self.primary} with fewer than {self.k} people"
        if self.complementary:
            parts += (f", {self.complementary} more so that the hidden ones cannot be "
                      "recomputed from totals")
        return f"{self.cells} group(s) hidden: {parts}."


def check_k(k: object) -> int:
    """Return ``k`` when it is a positive integer.

    Parameters
    ----------
    k : object
        Smallest group size shown.

    Returns
    -------
    int
        ``k``.

    Raises
    ------
    ValueError
        When ``k`` is not a positive integer.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k (smallest group shown) must be a positive integer, got {k!r}")
    return int(k)


def count_text(count: int, *, k: int = DEFAULT_K) -> str:
    """Return a count of people as shown: the number, or "fewer than k" below ``k``.

    Parameters
    ----------
    count : int
        People counted.
    k : int, default=11
        Smallest group size shown.

    Returns
    -------
    str
        ``"1,234"``, ``"0"`` or ``"fewer than 11"``.

    Examples
    --------
    >>> count_text(3, k=11)
    'fewer than 11'
    """
    k = check_k(k)
    return f"fewer than {k}" if 0 < count < k else f"{int(count):,}"


def _order(counts: pd.Series) -> np.ndarray:
    """Rank of each group when choosing the next to hide: smallest first, then a key that
    does not depend on the order of an intersection's attributes (a & b is b & a)."""
    index = counts.index
    if isinstance(index, pd.MultiIndex):
        names = [str(n) for n in index.names]
        keys = [str(sorted(zip(names, map(str, key), strict=True))) for key in index]
    else:
        keys = [str(key) for key in index]
    frame = pd.DataFrame({"count": counts.to_numpy(dtype=float), "key": keys})
    ranked = frame.sort_values(["count", "key"], kind="stable").index.to_numpy()
    order = np.empty(len(ranked), dtype=np.int64)
    order[ranked] = np.arange(len(ranked))
    return order


def _lines(counts: pd.Series, k: int, total_shown: bool) -> list[np.ndarray]:
    """Positions of the groups of every line whose total is known."""
    n = len(counts)
    lines = [np.arange(n)] if total_shown else []
    index = counts.index
    if isinstance(index, pd.MultiIndex):
        for size in range(1, index.nlevels):
            for levels in combinations(range(index.nlevels), size):
                keys = [np.asarray(index.get_level_values(level).astype(str))
                        for level in levels]
                margin = counts.groupby(keys, sort=True).sum()
                hidden = suppression(margin, k=k, total_shown=total_shown).mask.to_numpy()
                codes = pd.MultiIndex.from_arrays(keys) if size > 1 else pd.Index(keys[0])
                position = margin.index.get_indexer(codes)
                for value in np.flatnonzero(~hidden):
                    lines.append(np.flatnonzero(position == value))
                if total_shown and hidden.any():
                    lines.append(np.flatnonzero(hidden[position]))
    return sorted((line for line in lines if len(line)), key=len)  # narrow lines first


def _known(lines: list[np.ndarray], hidden: np.ndarray) -> np.ndarray:
    """Hidden groups whose count follows from the lines' totals and the groups shown."""
    positions = np.flatnonzero(hidden)
    known = np.zeros(len(hidden), dtype=bool)
    if not len(positions) or not lines:
        return known
    column = np.full(len(hidden), -1)
    column[positions] = np.arange(len(positions))
    matrix = np.zeros((len(lines), len(positions)))
    for row, line in enumerate(lines):
        inside = column[line]
        matrix[row, inside[inside >= 0]] = 1.0
    _, singular, basis = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > _TOLERANCE * max(1.0, singular.max(initial=0.0))).sum())
    reach = (basis[:rank] ** 2).sum(axis=0)
    known[positions] = reach > 1 - 1e-6
    return known


def _leaks(values: np.ndarray, hidden: np.ndarray, lines: list[np.ndarray], k: int) -> int:
    """How many hidden groups, or unions of the hidden groups of a line, of fewer than ``k``
    people can be recomputed from the lines' totals and the groups shown."""
    known = _known(lines, hidden)
    small = int((known & (values > 0) & (values < k)).sum())
    for line in lines:
        total = values[line[hidden[line] & ~known[line]]].sum()
        small += int(0 < total < k)
    return small


def _next_hidden(values: np.ndarray, hidden: np.ndarray, lines: list[np.ndarray], k: int,
                 order: np.ndarray, leaks: int) -> list[int]:
    """The groups to hide next, among those sharing a line with a hidden group: the
    smallest one, else the pair with fewest people, that stops a recomputation; else the
    smallest one."""
    near = [line[~hidden[line]] for line in lines if hidden[line].any()]
    candidates = np.unique(np.concatenate(near)) if near else np.array([], dtype=np.int64)
    candidates = [int(c) for c in candidates[np.argsort(order[candidates])]]

    def stops(cells: tuple[int, ...]) -> bool:
        trial = hidden.copy()
        trial[list(cells)] = True
        return _leaks(values, trial, lines, k) < leaks

    for cell in candidates:
        if stops((cell,)):
            return [cell]
    pairs = sorted(combinations(candidates[:_PAIRED], 2),
                   key=lambda pair: (values[list(pair)].sum(), sorted(order[list(pair)])))
    for pair in pairs:
        if stops(pair):
            return list(pair)
    return candidates[:1]


def suppression(counts: pd.Series, *, k: int = DEFAULT_K, total_shown: bool = True,
                hide: np.ndarray | pd.Series | None = None) -> Suppression:
    """Decide which groups to hide, with complementary suppression.

    Parameters
    ----------
    counts : pandas.Series
        People per group. A two-level index is read as an intersection: each group of
        either attribute shown in that attribute's own table (suppressed by the same rule)
        is a line whose total is shown, as is the whole table.
    k : int, default=11
        Smallest group size shown.
    total_shown : bool, default=True
        Whether the total of the whole table is shown (it usually is, as the population).
    hide : array-like of bool, optional
        Groups hidden whatever their size (e.g. cells of a group hidden in its own table),
        counted as primary; complementary suppression then starts from them.

    Returns
    -------
    Suppression
        The mask and the number of groups hidden.

    Raises
    ------
    ValueError
        When ``k`` is not a positive integer.

    Examples
    --------
    Groups of 7 and 3 are hidden, and so is the next smallest group, since 7 + 3 < 11
    could be recomputed from the total:

    >>> hidden = suppression(pd.Series({"a": 7, "b": 3, "c": 40, "d": 50}), k=11)
    >>> hidden.mask.tolist()
    [True, True, True, False]
    """
    k = check_k(k)
    values = counts.to_numpy(dtype=float)
    primary = (values > 0) & (values < k)
    if hide is not None:
        primary |= np.asarray(hide, dtype=bool) & (values > 0)
    hidden = primary.copy()
    lines = _lines(counts, k, total_shown)
    order = _order(counts)
    while (leaks := _leaks(values, hidden, lines, k)) and (
            cells := _next_hidden(values, hidden, lines, k, order, leaks)):
        hidden[cells] = True
    mask = pd.Series(hidden, index=counts.index, name="suppressed")
    return Suppression(mask=mask, primary=int(primary.sum()),
                       complementary=int(hidden.sum() - primary.sum()), k=k)
