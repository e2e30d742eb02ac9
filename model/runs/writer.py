"""Writing run folders: parts written from anywhere, then committed atomically.

A run is written into a hidden staging folder beside its destination, a part at a time (by
this process or by Dask workers that see the same file system), then :func:`commit` adds
the model and the aggregates, hashes every file into the manifest and swaps the folder in
place: a failed write leaves any earlier run intact.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.explanation import Explanation
from sesame_audit.model.runs.destination import check_destination
from sesame_audit.model.runs.model_files import model_bytes
from sesame_audit.model.runs.run import (
    AGGREGATES,
    FORMAT,
    FRIENDS,
    MANIFEST,
    MANIFEST_SHA256,
    MODEL,
    PEOPLE,
    POLICY,
    PREDICTION,
    SHAP,
    SHAP_ERROR,
    part_name,
    table_parts,
)
from sesame_audit.model.runs.store import manifest_digest, sha256_file

PART_ROWS = 250_000
ROW_GROUP = 16_384
_PACKAGES = ("sesame-audit", "numpy", "pandas", "scikit-learn", "shap", "skops", "pyarrow",
             "streamlit", "fairlearn", "numba")


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
        One column per input and :data:`runs.run.PREDICTION`, a reserved name no input
        can have; when the values are approximate, each person's estimated error too
        (:data:`runs.run.SHAP_ERROR`).
    """
    frame = explanation.values.reset_index(drop=True).astype(np.float32)
    frame[PREDICTION] = np.asarray(explanation.prediction, dtype=np.float64)
    if explanation.error is not None:
        frame[SHAP_ERROR] = np.asarray(explanation.error, dtype=np.float64)
    return frame


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


@contextmanager
def staging(out: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a hidden sibling folder of ``out`` to write a run into; removed if anything fails.

    Parts of the big tables can be written into it by :func:`write_part` from anywhere that
    sees the same file system (Dask workers, for instance); :func:`commit` then hashes
    everything and swaps it in place of ``out``.

    Parameters
    ----------
    out : pathlib.Path
        The run folder to be written, checked first by
        :func:`runs.destination.check_destination`.
    replace : bool, default=False
        Whether a run folder already at ``out`` may be replaced.

    Yields
    ------
    pathlib.Path
        The staging folder (empty).

    Raises
    ------
    DestinationError
        When ``out`` may not be written; nothing was written.
    """
    out = check_destination(out, replace=replace)
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


def stored_additivity(folder: Path, files: list[str], inputs: list[str], base: float) -> float:
    """Return the largest ``|base + sum(SHAP) - prediction|`` of a SHAP table as stored.

    The parts are read back from the folder, so the figure describes the written values
    (float32), not the ones held in memory before writing.

    Parameters
    ----------
    folder : pathlib.Path
        A (staging) run folder.
    files : list of str
        The SHAP table's parts, relative to ``folder``.
    inputs : list of str
        The model's inputs.
    base : float
        The SHAP base value.

    Returns
    -------
    float
        The largest gap in points (0 for no rows).
    """
    worst = 0.0
    for name in files:
        frame = pd.read_parquet(Path(folder) / name, columns=[*inputs, PREDICTION])
        if len(frame):
            total = base + frame[inputs].to_numpy(dtype=np.float64).sum(axis=1)
            worst = max(worst, float(np.max(np.abs(total - frame[PREDICTION].to_numpy()))))
    return worst


def commit(folder: Path, out: Path, *, model: object, roles: Roles, manifest: dict[str, Any],
           base: float, tables: dict[str, pd.DataFrame],
           policy_text: str | None = None, replace: bool = False) -> Path:
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
        Aggregates precomputed from the population (see :mod:`runs.stored`).
    policy_text : str, optional
        The policy as TOML.
    replace : bool, default=False
        Whether a run folder already at ``out`` may be replaced (checked again here, just
        before the swap, by :func:`runs.destination.check_destination`).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
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
    full["shap"] = {**full.get("shap", {}), "base": float(base),
                    "max_additivity_error_points": stored_additivity(
                        folder, table_parts(full, SHAP), list(roles.inputs), float(base))}
    full[MANIFEST_SHA256] = manifest_digest(full)
    (folder / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
    out = check_destination(out, replace=replace)
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
