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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.explain import Explanation
from model.persist import load_model_bytes, model_bytes
from model.roles import Roles

FORMAT = 1
MANIFEST = "manifest.json"
PEOPLE = "people.parquet"
SHAP = "shap.parquet"
FRIENDS = "friends.parquet"
MODEL = "model.skops"
POLICY = "policy.toml"
PREDICTION = "prediction"
_PACKAGES = ("numpy", "pandas", "scikit-learn", "shap", "skops", "pyarrow", "streamlit",
             "fairlearn", "numba")


class RunError(ValueError):
    """A run folder that is missing, unreadable or was changed after it was written."""


@dataclass
class Run:
    """A loaded run folder.

    Attributes
    ----------
    path : pathlib.Path
        The folder.
    manifest : dict
        Contents of ``manifest.json``.
    roles : Roles
        Column roles of ``people``.
    people : pandas.DataFrame
        One row per person.
    explanation : Explanation
        SHAP values (rows aligned with ``people``) and predictions.
    edges : pandas.DataFrame or None
        Friendships, for synthetic runs.
    policy_text : str or None
        The hidden rules (TOML), for synthetic runs.
    """

    path: Path
    manifest: dict[str, Any]
    roles: Roles
    people: pd.DataFrame
    explanation: Explanation
    edges: pd.DataFrame | None = None
    policy_text: str | None = None
    _model: object | None = field(default=None, repr=False)

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
    def X(self) -> pd.DataFrame:
        """The model inputs of every person."""
        return self.people[list(self.roles.inputs)]

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
        ids = self.people[self.roles.id]
        try:
            wanted = type(ids.iloc[0])(person_id) if len(ids) else person_id
        except (TypeError, ValueError):
            raise KeyError(f"no person with id {person_id!r}") from None
        hits = np.flatnonzero(ids.to_numpy() == wanted)
        if len(hits) == 0:
            raise KeyError(f"no person with id {person_id!r} in this run "
                           f"({len(ids):,} people)")
        return int(hits[0])


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


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False, compression="zstd", row_group_size=250_000)


def write_run(out: Path, *, people: pd.DataFrame, explanation: Explanation, model: object,
              roles: Roles, manifest: dict[str, Any], edges: pd.DataFrame | None = None,
              policy_text: str | None = None) -> Path:
    """Write a run folder atomically: a failed write leaves any earlier run at ``out`` intact.

    Everything is written into a hidden sibling folder first, hashed, and only then swapped
    in place of ``out`` by renames.

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
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_parquet(people.reset_index(drop=True), tmp / PEOPLE)
        shap_frame = explanation.values.reset_index(drop=True).astype(np.float32)
        shap_frame[PREDICTION] = np.asarray(explanation.prediction, dtype=np.float64)
        _write_parquet(shap_frame, tmp / SHAP)
        (tmp / MODEL).write_bytes(model_bytes(model))
        if edges is not None:
            _write_parquet(edges, tmp / FRIENDS)
        if policy_text is not None:
            (tmp / POLICY).write_text(policy_text, encoding="utf-8")
        files = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}
        full = {"format": FORMAT, **manifest, "roles": roles.to_dict(),
                "versions": versions(), "files": files}
        full["shap"] = {**full.get("shap", {}), "base": explanation.base}
        (tmp / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out


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
    for required in (PEOPLE, SHAP, MODEL):
        if required not in manifest["files"]:
            raise RunError(f"{path.name}: {MANIFEST} does not list {required}")


def load_run(path: str | Path) -> Run:
    """Load a run folder after checking every file against its manifest.

    Parameters
    ----------
    path : str or pathlib.Path
        The run folder.

    Returns
    -------
    Run
        The loaded run; the model itself loads on first use.

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
        people = pd.read_parquet(path / PEOPLE)
        shap_frame = pd.read_parquet(path / SHAP)
        edges = pd.read_parquet(path / FRIENDS) if FRIENDS in manifest["files"] else None
    except (KeyError, TypeError, OSError, ValueError) as exc:
        raise RunError(f"{path.name}: unreadable run ({exc})") from None
    if len(shap_frame) != len(people):
        raise RunError(f"{path.name}: {SHAP} has {len(shap_frame)} rows, "
                       f"{PEOPLE} has {len(people)}")
    explanation = Explanation(
        base=float(manifest["shap"]["base"]),
        values=shap_frame[list(roles.inputs)],
        prediction=shap_frame[PREDICTION].to_numpy(),
        rows_per_second=float(manifest["shap"].get("rows_per_second", float("nan"))),
    )
    policy_text = ((path / POLICY).read_text(encoding="utf-8")
                   if POLICY in manifest["files"] else None)
    return Run(path=path, manifest=manifest, roles=roles, people=people,
               explanation=explanation, edges=edges, policy_text=policy_text)
