"""Errors for files a user brings: each names the problem, and nothing is stored after one.

Every check of an imported table, model or roles file raises a subclass of
:class:`BadInputError` (a ``ValueError``), so callers can tell a user's mistake from a bug.
"""

from __future__ import annotations

MAX_BYTES = 200 * 1024 * 1024
"""Largest table or model file accepted (200 MiB): beyond it, sample or split the table."""


class BadInputError(ValueError):
    """A file or setting brought by a user that cannot be imported; the message says why."""


class TooLargeError(BadInputError):
    """A file over :data:`MAX_BYTES`."""


class TableError(BadInputError):
    """A table that cannot be read, is empty, or has missing, duplicated or ill-typed columns."""


class RolesError(BadInputError):
    """A roles file that is malformed or names columns the table does not have."""


class ModelFitError(BadInputError):
    """A model that is not a regressor or classifier, or that fails on the table."""


def check_size(size: int, name: str, *, max_bytes: int = MAX_BYTES) -> None:
    """Refuse a file over ``max_bytes``.

    Parameters
    ----------
    size : int
        Size of the file in bytes.
    name : str
        File name, for the message.
    max_bytes : int
        The limit.

    Raises
    ------
    TooLargeError
        Naming the file, its size and the limit.
    """
    if size > max_bytes:
        raise TooLargeError(f"{name} is {size / 2**20:,.1f} MiB, over the "
                            f"{max_bytes / 2**20:,.0f} MiB limit; sample or split it first")
