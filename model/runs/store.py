"""Finding, checking and opening run folders (see :mod:`runs.run` for what they hold).

Every file of a run folder is checked against the sha256 its manifest records before the
run is opened, so a folder changed after its build is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.runs.row_lookup import count_rows
from sesame_audit.model.runs.run import (
    FORMAT,
    MANIFEST,
    MODEL,
    PEOPLE,
    POLICY,
    SHAP,
    Run,
    RunError,
    table_parts,
)


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
