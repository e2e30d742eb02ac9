"""Small-cell suppression: no figure about fewer than ``k`` people is ever shown.

A group with fewer than ``k`` people is suppressed (primary suppression). When a line of
groups whose total is shown elsewhere (a whole table, or one level of an intersection) has
exactly one suppressed group, that group could be recomputed from the total and the others,
so the next smallest group of the line is suppressed too (complementary suppression).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

DEFAULT_K = 11


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
        Groups hidden so that a primary one cannot be recomputed from a total.
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


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k (smallest group shown) must be a positive integer, got {k!r}")
    return k


def suppression(counts: pd.Series, *, k: int = DEFAULT_K, total_shown: bool = True
                ) -> Suppression:
    """Decide which groups to hide, with complementary suppression.

    Parameters
    ----------
    counts : pandas.Series
        People per group. A two-level index is read as an intersection: each level of
        either attribute is a line of groups whose total is shown (the one-attribute
        tables), as is the whole table.
    k : int
        Smallest group size shown (default 11).
    total_shown : bool
        Whether the total of the whole table is shown (it usually is, as the population).

    Returns
    -------
    Suppression
        The mask and the number of groups hidden.

    Raises
    ------
    ValueError
        When ``k`` is not a positive integer.
    """
    k = _check_k(k)
    values = counts.astype(float)
    primary = values < k
    mask = primary.copy()
    lines: list[pd.Index] = []
    if total_shown:
        lines.append(values.index)
    if isinstance(values.index, pd.MultiIndex):
        for level in range(values.index.nlevels):
            codes = values.index.get_level_values(level)
            lines.extend(values.index[codes == v] for v in pd.unique(codes))
    changed = True
    while changed:
        changed = False
        for line in lines:
            if len(line) < 2 or int(mask.loc[line].sum()) != 1:
                continue
            shown = values.loc[line][~mask.loc[line]]
            mask.loc[[shown.idxmin()]] = True
            changed = True
    return Suppression(mask=mask, primary=int(primary.sum()),
                       complementary=int(mask.sum() - primary.sum()), k=k)
