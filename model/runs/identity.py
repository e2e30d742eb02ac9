"""Which run a figure comes from: name, source, people, manifest hash, tool version, date.

Every page and every export names its run with :func:`run_identity`, so that a number
filed from the dashboard can be traced back to the run folder that produced it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sesame_audit.model.explain.permutation_shap import sample_text
from sesame_audit.model.runs.run import MANIFEST, Run

TOOL = "sesame-audit"
SHORT_HASH = 12


def tool_version() -> str:
    """Return the installed version of Sesame Audit ("unknown" when not installed)."""
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:
        return "unknown"


def manifest_hash(run: Run) -> str:
    """Return the sha256 of the run's ``manifest.json`` (which pins the hash of every file).

    Parameters
    ----------
    run : Run
        A run; one held in memory is hashed from its manifest as canonical JSON.

    Returns
    -------
    str
        Hex digest.
    """
    file = run.path / MANIFEST
    if file.is_file():
        return hashlib.sha256(file.read_bytes()).hexdigest()
    text = json.dumps(run.manifest, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _source(manifest: dict[str, Any], name: str) -> str:
    if manifest.get("source") == "imported":
        data = manifest.get("data") or {}
        return f"imported from {data.get('name', 'a table')}"
    title = manifest.get("policy_title") or manifest.get("policy") or name
    return f"scenario {title}"


def run_identity(run: Run) -> dict[str, Any]:
    """Return what names a run in every page and export.

    Parameters
    ----------
    run : Run
        A run.

    Returns
    -------
    dict
        ``name`` (the run folder's name), ``source`` (the scenario, or the imported table),
        ``n`` (people), ``manifest_sha256`` and ``manifest_hash`` (its first 12 hex
        digits), ``tool_version`` (of the tool that wrote the run when recorded, else the
        installed one), ``date`` (UTC day the manifest was written, empty for a run held
        in memory), ``synthetic`` (True unless the run was imported) and ``explained``
        ("explained for N of M people (random sample, seed S)" when only a sample was
        explained, else None; see :func:`explain.permutation_shap.sample_text`).
    """
    manifest = run.manifest
    digest = manifest_hash(run)
    file = run.path / MANIFEST
    date = (datetime.fromtimestamp(file.stat().st_mtime, UTC).strftime("%Y-%m-%d")
            if file.is_file() else "")
    return {"name": run.path.name, "source": _source(manifest, run.path.name),
            "n": int(manifest.get("n") or run.n), "manifest_sha256": digest,
            "manifest_hash": digest[:SHORT_HASH],
            "tool_version": (manifest.get("versions") or {}).get(TOOL) or tool_version(),
            "date": date, "synthetic": manifest.get("source") != "imported",
            "explained": sample_text(manifest.get("shap") or {})}


def identity_line(identity: dict[str, Any]) -> str:
    """Return a run's identity as one line of plain text (no markup).

    Parameters
    ----------
    identity : dict
        Output of :func:`run_identity`.

    Returns
    -------
    str
        E.g. ``Run social-credit-n2000-s0 · scenario Social credit · 2,000 people ·
        manifest 1a2b3c4d5e6f · Sesame Audit 0.1.0 · 2026-12-03 · synthetic data``.
    """
    parts = [f"Run {identity['name']}", identity["source"],
             identity.get("explained") or f"{identity['n']:,} people",
             f"manifest {identity['manifest_hash']}",
             f"Sesame Audit {identity['tool_version']}"]
    if identity["date"]:
        parts.append(identity["date"])
    if identity["synthetic"]:
        parts.append("synthetic data")
    return " · ".join(parts)
