"""Run folders: one audited population on disk, written atomically, verified on loading.

A run folder holds ``people.parquet`` (inputs, sensitive attributes, score, ground truth),
``shap.parquet`` (float32 SHAP values per input and the model's prediction),
``model.skops``, optionally ``friends.parquet`` and ``policy.toml`` for synthetic runs, and
``manifest.json`` with the configuration, versions, metrics and the sha256 of every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model import partials
from model.explanation import Explanation
from model.persist import load_model_bytes, model_bytes
from model.roles import Roles
from model.row_lookup import count_rows, locate, read_position

FORMAT = 2
MANIFEST = "manifest.json"
PEOPLE = "people"
SHAP = "shap"
FRIENDS = "friends"
AGGREGATES = "aggregates"
MODEL = "model.skops"
POLICY = "policy.toml"
PREDICTION = "prediction"
PART_ROWS = 250_000
ROW_GROUP = 16_384
PERSON_CACHE = 64
_PACKAGES = ("numpy", "pandas", "scikit-learn", "shap", "skops", "pyarrow", "streamlit",
             "fairlearn", "numba")


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


def write_part(frame: pd.DataFrame, folder: Path, table: str, index: int) -> None:
    """Write one part of a partitioned table into a (staging) run folder.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows of this part.
    folder : pathlib.Path
        The run folder being written.
    table : str
        ``people``, ``shap`` or ``friends``.
    index : int
        Part number.
    """
    path = Path(folder) / part_name(table, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.reset_index(drop=True).to_parquet(path, index=False, compression="zstd",
                                            row_group_size=ROW_GROUP)


def shap_table(explanation: Explanation) -> pd.DataFrame:
    """Return SHAP values as stored: float32 per input, and the float64 prediction.

    Parameters
    ----------
    explanation : Explanation
        SHAP values and predictions.

    Returns
    -------
    pandas.DataFrame
        One column per input and ``prediction``.
    """
    frame = explanation.values.reset_index(drop=True).astype(np.float32)
    frame[PREDICTION] = np.asarray(explanation.prediction, dtype=np.float64)
    return frame


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
    """

    row: pd.DataFrame
    values: pd.Series
    prediction: float
    position: int


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
                                                                float("nan"))))
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
        read (see :mod:`model.row_lookup`); the last 64 people read are kept.

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
            record = PersonRecord(self._people.iloc[[i]].reset_index(drop=True),
                                  explanation.values.iloc[i].astype(np.float64),
                                  float(explanation.prediction[i]), i)
        else:
            row = read_position(self.files(PEOPLE), i)
            shap_row = read_position(self.files(SHAP), i).iloc[0]
            record = PersonRecord(row, shap_row[list(self.roles.inputs)].astype(np.float64),
                                  float(shap_row[PREDICTION]), i)
        self._people_read[key] = record
        if len(self._people_read) > PERSON_CACHE:
            self._people_read.popitem(last=False)
        return record

    def aggregate(self, name: str) -> pd.DataFrame | None:
        """Return a table precomputed when the run was written, or None if it has none.

        Parameters
        ----------
        name : str
            The table's name (see :mod:`model.aggregates`).

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


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Return the versions of Python and of the packages that shape a run.

    Returns
    -------
    dict
        Package -> version.
    """
    found = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def runs_root() -> Path:
    """Return the folder that holds run folders: ``$SESAME_RUNS`` or ``./runs``.

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    return Path(os.environ.get("SESAME_RUNS", "runs")).resolve()


def list_runs(root: Path | None = None) -> list[Path]:
    """Return the run folders under ``root`` that have a manifest, sorted by name.

    Parameters
    ----------
    root : pathlib.Path, optional
        Defaults to :func:`runs_root`.

    Returns
    -------
    list of pathlib.Path
        Run folders.
    """
    base = root or runs_root()
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """Yield a hidden sibling folder of ``out`` to write a run into; removed if anything fails.

    Parts of the big tables can be written into it by :func:`write_part` from anywhere that
    sees the same file system (Dask workers, for instance); :func:`commit` then hashes
    everything and swaps it in place of ``out``.

    Parameters
    ----------
    out : pathlib.Path
        The run folder to be written.

    Yields
    ------
    pathlib.Path
        The staging folder (empty).
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_frames(folder: Path, people: pd.DataFrame, explanation: Explanation,
                 edges: pd.DataFrame | None = None) -> None:
    """Write in-memory tables into a staging folder as parts of ``PART_ROWS`` rows.

    Parameters
    ----------
    folder : pathlib.Path
        A staging folder (see :func:`staging`).
    people : pandas.DataFrame
        The population table.
    explanation : Explanation
        SHAP values aligned with ``people``.
    edges : pandas.DataFrame, optional
        Friendships.
    """
    shap_frame = shap_table(explanation)
    tables = [(PEOPLE, people.reset_index(drop=True)), (SHAP, shap_frame)]
    if edges is not None:
        tables.append((FRIENDS, edges.reset_index(drop=True)))
    for table, frame in tables:
        for index, lo in enumerate(range(0, max(len(frame), 1), PART_ROWS)):
            write_part(frame.iloc[lo:lo + PART_ROWS], folder, table, index)


def commit(folder: Path, out: Path, *, model: object, roles: Roles, manifest: dict[str, Any],
           base: float, tables: dict[str, pd.DataFrame],
           policy_text: str | None = None) -> Path:
    """Finish a staging folder and swap it in place of ``out``, leaving no half-written run.

    Parameters
    ----------
    folder : pathlib.Path
        The staging folder, holding the parts of ``people`` and ``shap`` (and ``friends``).
    out : pathlib.Path
        Destination folder; an earlier run there is replaced only once all is written.
    model : object
        The fitted model, saved with skops.
    roles : Roles
        Column roles, stored in the manifest.
    manifest : dict
        Extra manifest entries (policy, seed, n, metrics, ...); a ``timings`` entry gets
        ``commit_s``, the time this function took to write and hash.
    base : float
        The SHAP base value.
    tables : dict
        Aggregates precomputed from the population (see :mod:`model.aggregates`).
    policy_text : str, optional
        The policy as TOML.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    out = Path(out).resolve()
    start = time.perf_counter()
    (folder / MODEL).write_bytes(model_bytes(model))
    if policy_text is not None:
        (folder / POLICY).write_text(policy_text, encoding="utf-8")
    (folder / AGGREGATES).mkdir(exist_ok=True)
    for name, table in sorted(tables.items()):
        table.to_parquet(folder / AGGREGATES / f"{name}.parquet", index=False,
                         compression="zstd")
    files = {p.relative_to(folder).as_posix(): sha256_file(p)
             for p in sorted(folder.rglob("*")) if p.is_file()}
    full = {"format": FORMAT, **manifest, "roles": roles.to_dict(),
            "versions": versions(), "files": files}
    if "timings" in full:  # writing the model and aggregates, hashing every file
        full["timings"] = {**full["timings"], "commit_s": time.perf_counter() - start}
    full["shap"] = {**full.get("shap", {}), "base": float(base)}
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    try:
        folder.rename(out)
    except BaseException:
        if old.exists() and not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out


def write_run(out: Path, *, people: pd.DataFrame, explanation: Explanation, model: object,
              roles: Roles, manifest: dict[str, Any], edges: pd.DataFrame | None = None,
              policy_text: str | None = None) -> Path:
    """Write a run folder atomically: a failed write leaves any earlier run at ``out`` intact.

    Everything, the aggregates of :mod:`model.aggregates` included, is written into a hidden
    sibling folder first, hashed, and only then swapped in place of ``out`` by renames.

    Parameters
    ----------
    out : pathlib.Path
        Destination folder.
    people : pandas.DataFrame
        The population table.
    explanation : Explanation
        SHAP values aligned with ``people``.
    model : object
        The fitted model, saved with skops.
    roles : Roles
        Column roles, stored in the manifest.
    manifest : dict
        Extra manifest entries (policy, seed, n, metrics, ...).
    edges : pandas.DataFrame, optional
        Friendships.
    policy_text : str, optional
        The policy as TOML.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    with staging(out) as folder:
        write_frames(folder, people, explanation, edges)
        return commit(folder, out, model=model, roles=roles, manifest=manifest,
                      base=explanation.base, policy_text=policy_text,
                      tables=partials.merge([partials.summarise(people, explanation, roles)],
                                            roles).tables)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check a run folder's manifest.

    Parameters
    ----------
    path : pathlib.Path
        The run folder.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    RunError
        When the folder or manifest is missing or unreadable.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"no run folder at {path}; build one with `sesame-audit build`")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path.name}: no {MANIFEST}; this is not a run folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path.name}: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise RunError(f"{path.name}: {MANIFEST} lists no files")
    if manifest.get("format") != FORMAT:
        raise RunError(f"{path.name}: run format {manifest.get('format')!r} is not supported "
                       f"(expected {FORMAT}); rebuild it")
    return manifest


def verify(path: Path, manifest: dict[str, Any]) -> None:
    """Check every file of a run folder against the sha256 recorded in its manifest.

    Parameters
    ----------
    path : pathlib.Path
        The run folder.
    manifest : dict
        Its manifest.

    Raises
    ------
    RunError
        Naming the first file that is missing or changed.
    """
    for name, digest in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise RunError(f"{path.name}: {name} is missing; nothing was loaded")
        if sha256_file(file) != digest:
            raise RunError(f"{path.name}: {name} does not match the hash in {MANIFEST}; "
                           "it was changed after the build, so nothing was loaded")
    for required in (PEOPLE, SHAP):
        if not table_parts(manifest, required):
            raise RunError(f"{path.name}: {MANIFEST} lists no {required} table")
    if MODEL not in manifest["files"]:
        raise RunError(f"{path.name}: {MANIFEST} does not list {MODEL}")


def load_run(path: str | Path) -> Run:
    """Load a run folder after checking every file against its manifest.

    Parameters
    ----------
    path : str or pathlib.Path
        The run folder.

    Returns
    -------
    Run
        The run: manifest and roles read, the files' row counts checked; the population,
        the SHAP values and the model are read on first use.

    Raises
    ------
    RunError
        When the folder is missing, incomplete, tampered with or unreadable.
    """
    path = Path(path).resolve()
    manifest = read_manifest(path)
    verify(path, manifest)
    try:
        roles = Roles.from_dict(manifest["roles"])
        run = Run(path, manifest, roles,
                  policy_text=((path / POLICY).read_text(encoding="utf-8")
                               if POLICY in manifest["files"] else None))
        people, shap_rows = count_rows(run.files(PEOPLE)), count_rows(run.files(SHAP))
        float(manifest["shap"]["base"])
    except (KeyError, TypeError, OSError, ValueError) as exc:
        raise RunError(f"{path.name}: unreadable run ({exc})") from None
    if shap_rows != people:
        raise RunError(f"{path.name}: {SHAP} has {shap_rows} rows, {PEOPLE} has {people}")
    return run
