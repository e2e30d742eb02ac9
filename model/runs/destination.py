"""Where a run may be written: the one check every writer makes before writing anything.

A build or an import writes a run folder by swapping a finished staging folder in place of
its destination (see :mod:`runs.writer`). The destination must be absent, or a run folder
of this tool (a real directory, not a symbolic link, holding a readable ``manifest.json``
of a run) that the caller was told to replace; anything else, a folder holding other
files, the current or parent folder, a link, a file, is refused and left untouched.

Names that become paths (a policy's name, a run's name, an import's name) must be plain
slugs, and the folder they name must resolve to a direct child of the runs folder.

A build killed between the two renames of its commit leaves the previous run as
``.<name>.old-<pid>`` with no ``<name>`` beside it, and a killed build leaves its staging
folder ``.<name>.tmp-<pid>``; :func:`recover` puts the first back and removes the second
once the process that made them is gone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.runs.run import (
    AGGREGATES,
    FRIENDS,
    MANIFEST,
    MODEL,
    PEOPLE,
    POLICY,
    SHAP,
    RunError,
)

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
_HIDDEN = re.compile(r"\.(?P<name>.+)\.(?P<kind>old|tmp)-(?P<pid>[1-9][0-9]{0,9})")
_STAGED = {PEOPLE, SHAP, FRIENDS, AGGREGATES, MODEL, POLICY, MANIFEST}


class DestinationError(RunError, BadInputError):
    """A place a run may not be written to, or a name that may not become a run's folder."""


def run_path(name: str, root: Path) -> Path:
    """Return the folder of the run called ``name`` in the runs folder, checking the name.

    Parameters
    ----------
    name : str
        1-120 letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit, with
        no ``..``.
    root : pathlib.Path
        The runs folder (see :func:`runs.store.runs_root`).

    Returns
    -------
    pathlib.Path
        ``root / name``, absolute.

    Raises
    ------
    DestinationError
        For any other name, or when the folder would resolve outside ``root`` (a link).

    Examples
    --------
    >>> run_path("social-credit-n20000-s0", Path("/srv/runs")).name
    'social-credit-n20000-s0'
    """
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        raise DestinationError(f"run name {name!r} must be 1-120 letters, digits, '.', '_' or "
                               "'-', starting with a letter or digit (no '/' and no '..')")
    base = Path(root).resolve()
    path = base / name
    if path.resolve().parent != base:
        raise DestinationError(f"run name {name!r} leads outside the runs folder {base}")
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process, or no such pid at all
        return False
    except PermissionError:
        return True
    return True


def _manifest_of(folder: Path) -> dict | None:
    """The run manifest of a real folder, or None when it holds none this tool wrote."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or not isinstance(manifest.get("format"), int):
        return None
    return manifest


def _looks_staged(folder: Path) -> bool:
    """Whether a folder holds nothing but what a build writes into its staging folder."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    return all(entry.name in _STAGED for entry in folder.iterdir())


def recover(out: Path) -> None:
    """Undo what a killed build left beside the run folder ``out``.

    When ``out`` is missing and a ``.<name>.old-<pid>`` run folder of a process that is no
    longer running lies beside it, it is renamed back to ``out``; such a folder left
    beside a present ``out`` (the swap finished, the clean-up did not) is removed. Staging
    folders ``.<name>.tmp-<pid>`` of processes no longer running are removed when they
    hold only what a build writes. Nothing else is touched.

    Parameters
    ----------
    out : pathlib.Path
        A run folder (present or not).
    """
    out = Path(out)
    parent = out.parent
    if not out.name or not parent.is_dir():
        return
    left = []
    for entry in parent.iterdir():
        found = _HIDDEN.fullmatch(entry.name)
        if found is None or found["name"] != out.name or entry.is_symlink() \
                or not entry.is_dir() or _pid_alive(int(found["pid"])):
            continue
        left.append((entry.stat().st_mtime, found["kind"], entry))
    for _, kind, entry in sorted(left, reverse=True):  # the newest earlier run first
        try:  # another process may be recovering the same run at the same time
            if kind == "old" and _manifest_of(entry) is not None:
                if not os.path.lexists(out):
                    entry.rename(out)
                else:
                    shutil.rmtree(entry)
            elif kind == "tmp" and _looks_staged(entry):
                shutil.rmtree(entry)
        except FileNotFoundError:
            continue


def recover_all(root: Path) -> None:
    """Run :func:`recover` for every run a killed build left hidden in a runs folder.

    Parameters
    ----------
    root : pathlib.Path
        The runs folder.
    """
    if not Path(root).is_dir():
        return
    names = {found["name"] for entry in Path(root).iterdir()
             if (found := _HIDDEN.fullmatch(entry.name)) is not None}
    for name in sorted(names):
        recover(Path(root) / name)


def check_destination(out: Path, *, replace: bool) -> Path:
    """Check that a run may be written at ``out``; call it before writing anything.

    Parameters
    ----------
    out : pathlib.Path
        The run folder to write.
    replace : bool
        Whether a run folder already at ``out`` may be replaced.

    Returns
    -------
    pathlib.Path
        ``out`` made absolute (its parent resolved, ``out`` itself not followed).

    Raises
    ------
    DestinationError
        When ``out`` names no folder (``""``, ``.``, ``..``), is a link, or exists and is
        not a run folder of this tool, or is one and ``replace`` is false; nothing changed.
    """
    given = Path(out)
    if given.name in ("", ".", ".."):
        raise DestinationError(f"{str(out)!r} names no run folder; give a new folder's name, "
                               "e.g. runs/my-run")
    if given.is_symlink():
        raise DestinationError(f"{given} is a symbolic link; a run is written only to a real "
                               "folder, so it was left alone")
    path = given.parent.resolve() / given.name
    recover(path)
    if not os.path.lexists(path):
        return path
    if _manifest_of(path) is None:
        raise DestinationError(f"{given} exists and is not a run folder of sesame-audit; it "
                               "was left alone (choose a new folder)")
    if not replace:
        raise DestinationError(f"{given} already exists; choose another folder or replace "
                               "the run explicitly (--replace)")
    return path
