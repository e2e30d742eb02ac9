"""A run folder's layout, and a run opened from it: manifest, roles, model, data on demand.

A run folder holds the population (``people/``), its SHAP values and the model's
predictions (``shap/``) and, for synthetic runs, the friendships (``friends/``), each as
Parquet parts in row order; the aggregates computed when it was written (``aggregates/``);
``model.skops``; ``policy.toml`` for synthetic runs; and ``manifest.json`` with the
configuration, versions, metrics, the sha256 of every file and the sha256 of the manifest
itself. Columns stored beside the table's own (the prediction beside the SHAP values) carry
the reserved prefix ``sesame__``, which no imported column may have. :mod:`runs.store` finds,
checks and opens run folders; :mod:`runs.writer` writes them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sesame_audit.model.core.columns import RESERVED_PREFIX
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.runs.model_files import load_model_bytes
from sesame_audit.model.runs.row_lookup import count_rows, locate, read_position

FORMAT = 3
MANIFEST = "manifest.json"
MANIFEST_SHA256 = "manifest_sha256"
PEOPLE = "people"
SHAP = "shap"
FRIENDS = "friends"
AGGREGATES = "aggregates"
MODEL = "model.skops"
POLICY = "policy.toml"
PREDICTION = f"{RESERVED_PREFIX}prediction"
SHAP_ERROR = f"{RESERVED_PREFIX}shap_error"
"""Column of the SHAP table holding each person's estimated error, when approximate."""
PERSON_CACHE = 64


class RunError(ValueError):
    """A run folder that is missing, unreadable or was changed after it was written."""


def part_name(table: str, index: int) -> str:
    """Return the file name, inside a run folder, of one part of a partitioned table.

    Parameters
    ----------
    table : str
        ``people``, ``shap`` or ``friends``.
    index : int
        Part number (a city of a synthetic population, or a slice of rows).

    Returns
    -------
    str
        E.g. ``people/part-00003.parquet``.
    """
    return f"{table}/part-{index:05d}.parquet"


def table_parts(manifest: dict[str, Any], table: str) -> list[str]:
    """Return the files of a partitioned table listed in a manifest, in row order.

    Parameters
    ----------
    manifest : dict
        A run's manifest.
    table : str
        ``people``, ``shap`` or ``friends``.

    Returns
    -------
    list of str
        Part file names (empty when the run has no such table).
    """
    return sorted(name for name in manifest["files"] if name.startswith(f"{table}/part-"))


@dataclass(frozen=True)
class PersonRecord:
    """One person's stored data, read by id.

    Attributes
    ----------
    row : pandas.DataFrame
        The person's row of ``people`` (one row, stored dtypes).
    values : pandas.Series
        Their SHAP value per input, in points (float64).
    prediction : float
        The model's score.
    position : int
        Row position in the population.
    error : float or None, default=None
        Estimated error of their SHAP values when approximate (see
        :class:`explain.explanation.Explanation`); None when exact.
    """

    row: pd.DataFrame
    values: pd.Series
    prediction: float
    position: int
    error: float | None = None


class Run:
    """A run folder, opened: manifest, roles and model at hand, the population read on demand.

    ``people``, ``explanation`` and ``edges`` are read from the folder the first time they
    are used; :meth:`person` reads one person by id without reading the population, and
    :meth:`aggregate` reads the tables precomputed at build time (group tables, histograms,
    samples for charts), so a page that needs only those never loads a million rows.
    A run can also be made in memory from frames (``path`` then need not exist).

    Parameters
    ----------
    path : pathlib.Path
        The folder.
    manifest : dict
        Contents of ``manifest.json``.
    roles : Roles
        Column roles of ``people``.
    people : pandas.DataFrame, optional
        One row per person; read from the folder when not given.
    explanation : Explanation, optional
        SHAP values (rows aligned with ``people``) and predictions; read when not given.
    edges : pandas.DataFrame, optional
        Friendships, for synthetic runs; read when not given and the run has them.
    policy_text : str, optional
        The hidden rules (TOML), for synthetic runs.
    _model : object, optional
        The fitted model; loaded from ``model.skops`` on first use when not given.

    Attributes
    ----------
    memo : dict
        Values derived from the run once and kept with it (e.g. column profiles).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], roles: Roles, *,
                 people: pd.DataFrame | None = None, explanation: Explanation | None = None,
                 edges: pd.DataFrame | None = None, policy_text: str | None = None,
                 _model: object | None = None) -> None:
        self.path, self.manifest, self.roles = Path(path), manifest, roles
        self.policy_text = policy_text
        self._people, self._explanation, self._edges = people, explanation, edges
        self._model = _model
        self._aggregates: dict[str, pd.DataFrame] = {}
        self.memo: dict[str, Any] = {}
        self._people_read: OrderedDict[str, PersonRecord] = OrderedDict()

    def __repr__(self) -> str:
        return f"Run({self.path.name!r}, loaded={self.loaded})"

    @property
    def key(self) -> str:
        """A short hash of the run's files: a cache key that changes when any file does."""
        joined = "".join(f"{k}:{v}" for k, v in sorted(self.manifest["files"].items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    @property
    def model(self) -> object:
        """The score model, loaded from ``model.skops`` on first use (allow-listed types)."""
        if self._model is None:
            self._model = load_model_bytes((self.path / MODEL).read_bytes())
        return self._model

    @property
    def loaded(self) -> bool:
        """Whether the whole population is in memory."""
        return self._people is not None

    def files(self, table: str) -> list[Path]:
        """Return the Parquet files of a stored table, in row order.

        Parameters
        ----------
        table : str
            ``people``, ``shap`` or ``friends``.

        Returns
        -------
        list of pathlib.Path
            Part files (empty for a run held in memory or without the table).
        """
        return [self.path / name for name in table_parts(self.manifest, table)]

    def _read(self, table: str) -> pd.DataFrame:
        try:
            parts = [pd.read_parquet(p) for p in self.files(table)]
        except (OSError, ValueError) as exc:
            raise RunError(f"{self.path.name}: unreadable {table} table ({exc})") from None
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    @property
    def people(self) -> pd.DataFrame:
        """Every person: id, sensitive attributes, inputs, score (read on first use)."""
        if self._people is None:
            self._people = self._read(PEOPLE)
        return self._people

    @property
    def explanation(self) -> Explanation:
        """SHAP values and predictions of every person (read on first use)."""
        if self._explanation is None:
            frame = self._read(SHAP)
            self._explanation = Explanation(
                base=self.base, values=frame[list(self.roles.inputs)],
                prediction=frame[PREDICTION].to_numpy(),
                rows_per_second=float(self.manifest["shap"].get("rows_per_second",
                                                                float("nan"))),
                error=frame[SHAP_ERROR].to_numpy() if SHAP_ERROR in frame else None)
        return self._explanation

    @property
    def edges(self) -> pd.DataFrame | None:
        """Friendships (``person_id -> friend_id``), or None for a run without a graph."""
        if self._edges is None and self.files(FRIENDS):
            self._edges = self._read(FRIENDS)
        return self._edges

    @property
    def base(self) -> float:
        """The SHAP base value: the average score before any input is known."""
        if self._explanation is not None:
            return self._explanation.base
        return float(self.manifest["shap"]["base"])

    @property
    def n(self) -> int:
        """Number of people, from the files' metadata when the population is not loaded."""
        if self._people is not None:
            return len(self._people)
        return count_rows(self.files(PEOPLE))

    @property
    def columns(self) -> list[str]:
        """Columns of ``people``, from the files' schema when the population is not loaded."""
        if self._people is not None:
            return list(self._people.columns)
        return list(pq.ParquetFile(self.files(PEOPLE)[0]).schema_arrow.names)

    @property
    def X(self) -> pd.DataFrame:
        """The model inputs of every person."""
        return self.people[list(self.roles.inputs)]

    def head(self, count: int) -> pd.DataFrame:
        """Return the first ``count`` people (read from the first row group only).

        Parameters
        ----------
        count : int
            Rows wanted (fewer when the first row group is smaller).

        Returns
        -------
        pandas.DataFrame
            The rows, with the stored dtypes.
        """
        if self._people is not None:
            return self._people.head(count)
        handle = pq.ParquetFile(self.files(PEOPLE)[0])
        return handle.read_row_group(0).slice(0, count).to_pandas()

    def first_id(self) -> object:
        """The id of the first person (read from the first row group only)."""
        return self.head(1)[self.roles.id].iloc[0]

    def row(self, person_id: object) -> int:
        """Return the row position of a person, or raise ``KeyError`` naming the id.

        Parameters
        ----------
        person_id : object
            Value of the id column.

        Returns
        -------
        int
            Row position in ``people``.
        """
        if self._people is None:
            found = locate(self.files(PEOPLE), self.roles.id, person_id)
            if found is None:
                raise KeyError(f"no person with id {person_id!r} in this run "
                               f"({self.n:,} people)")
            return found.row
        ids = self._people[self.roles.id]
        try:
            wanted = type(ids.iloc[0])(person_id) if len(ids) else person_id
        except (TypeError, ValueError):
            raise KeyError(f"no person with id {person_id!r}") from None
        hits = np.flatnonzero(ids.to_numpy() == wanted)
        if len(hits) == 0:
            raise KeyError(f"no person with id {person_id!r} in this run "
                           f"({len(ids):,} people)")
        return int(hits[0])

    def person(self, person_id: object) -> PersonRecord:
        """Return one person's row, SHAP values and score, read by id.

        When the population is not in memory, only the row groups that can hold the id are
        read (see :mod:`runs.row_lookup`); the last 64 people read are kept.

        Parameters
        ----------
        person_id : object
            Value of the id column.

        Returns
        -------
        PersonRecord
            The person's data.

        Raises
        ------
        KeyError
            When no person has this id.
        """
        key = f"{type(person_id).__name__}:{person_id}"
        if key in self._people_read:
            self._people_read.move_to_end(key)
            return self._people_read[key]
        i = self.row(person_id)
        if self._people is not None:
            explanation = self.explanation
            error = explanation.error
            record = PersonRecord(self._people.iloc[[i]].reset_index(drop=True),
                                  explanation.values.iloc[i].astype(np.float64),
                                  float(explanation.prediction[i]), i,
                                  None if error is None else float(error[i]))
        else:
            row = read_position(self.files(PEOPLE), i)
            shap_row = read_position(self.files(SHAP), i).iloc[0]
            record = PersonRecord(row, shap_row[list(self.roles.inputs)].astype(np.float64),
                                  float(shap_row[PREDICTION]), i,
                                  float(shap_row[SHAP_ERROR]) if SHAP_ERROR in shap_row
                                  else None)
        self._people_read[key] = record
        if len(self._people_read) > PERSON_CACHE:
            self._people_read.popitem(last=False)
        return record

    def aggregate(self, name: str) -> pd.DataFrame | None:
        """Return a table precomputed when the run was written, or None if it has none.

        Parameters
        ----------
        name : str
            The table's name (see :mod:`runs.stored`).

        Returns
        -------
        pandas.DataFrame or None
            The stored table.
        """
        file = f"{AGGREGATES}/{name}.parquet"
        if name not in self._aggregates:
            if file not in self.manifest["files"]:
                return None
            try:
                self._aggregates[name] = pd.read_parquet(self.path / file)
            except (OSError, ValueError) as exc:
                raise RunError(f"{self.path.name}: unreadable {file} ({exc})") from None
        return self._aggregates[name]
