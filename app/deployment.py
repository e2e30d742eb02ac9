"""Deployment mode: the one switch for a dashboard that serves a class or the public.

``SESAME_DEPLOYMENT`` (true/1/yes/on or false/0/no/off, any case; unset is off) is read here
and nowhere else. When it is on:

- files come from uploads only, never from a path on the server;
- each browser session writes its imports, policy-editor rebuilds and lesson builds into a
  scratch folder of its own (``<runs>/.sessions/<random token>``), which no other session
  lists; scratch folders untouched for a day are removed when a session starts;
- the smallest group shown (k) cannot go below ``SESAME_MIN_K`` (default 11);
- Teacher mode, and with it the hidden rules and the lessons' answers, opens only with the
  passphrase the operator put in Streamlit's secrets (``teacher_passphrase``);
- builds are capped at :data:`MAX_BUILD_N` people and run one at a time per session.

``SESAME_UPLOADS_ONLY``, read the same way, turns on the first point alone.
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.store import runs_root

SWITCH = "SESAME_DEPLOYMENT"
UPLOADS_ONLY = "SESAME_UPLOADS_ONLY"
MIN_K = "SESAME_MIN_K"
PASSPHRASE_SECRET = "teacher_passphrase"
MAX_BUILD_N = 5_000
"""Largest population a visitor may build in deployment mode (lessons, policy editor)."""
SESSIONS = ".sessions"
STALE_SECONDS = 24 * 3600
LOCAL_MIN_K = 2
_ON = {"true", "1", "yes", "on"}
_OFF = {"false", "0", "no", "off", ""}
_TOKEN_KEY = "deployment_session_token"
_BUILD_LOCK_KEY = "deployment_build_lock"


class DeploymentError(ValueError):
    """A deployment setting with a value the dashboard does not understand."""


@dataclass(frozen=True)
class Settings:
    """What the operator set.

    Attributes
    ----------
    on : bool
        Deployment mode.
    uploads_only : bool
        Files come from uploads only (deployment mode, or ``SESAME_UPLOADS_ONLY``).
    min_k : int
        The lowest smallest-group-shown a visitor may choose.
    """

    on: bool
    uploads_only: bool
    min_k: int


def _switch(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise DeploymentError(f"{name} must be one of true, 1, yes, on or false, 0, no, off "
                          f"(any case), not {environ[name]!r}")


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the deployment settings from the environment.

    Parameters
    ----------
    environ : mapping, optional
        Defaults to ``os.environ``.

    Returns
    -------
    Settings
        The parsed settings.

    Raises
    ------
    DeploymentError
        When a switch has an unknown value, or ``SESAME_MIN_K`` is not a whole number of
        at least 2.
    """
    env = os.environ if environ is None else environ
    on = _switch(env, SWITCH)
    uploads_only = on or _switch(env, UPLOADS_ONLY)
    min_k = LOCAL_MIN_K
    if on:
        raw = env.get(MIN_K, "").strip() or str(DEFAULT_K)
        if not raw.isdigit() or int(raw) < LOCAL_MIN_K:
            raise DeploymentError(f"{MIN_K} must be a whole number of at least {LOCAL_MIN_K}, "
                                  f"not {raw!r}")
        min_k = int(raw)
    return Settings(on=on, uploads_only=uploads_only, min_k=min_k)


def require_settings() -> Settings:
    """The settings, or an error on the page and nothing else when one cannot be read.

    Returns
    -------
    Settings
        The parsed settings (the page stops before returning otherwise).
    """
    try:
        return settings()
    except DeploymentError as exc:
        st.error(f"The dashboard refuses to start: {exc}.")
        st.stop()
        raise  # st.stop() raises; this line keeps type checkers informed


def _sweep(folder: Path, keep: Path) -> None:
    """Remove scratch folders not modified for :data:`STALE_SECONDS`."""
    now = time.time()
    for old in folder.iterdir():
        if old != keep and old.is_dir() and now - old.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


def session_folder() -> Path | None:
    """This browser session's scratch runs folder in deployment mode, else None.

    The folder is named by a random token kept in the session's state, so no other session
    can name it; the first call of a session creates it and removes stale ones.

    Returns
    -------
    pathlib.Path or None
        The folder (created), or None outside deployment mode.
    """
    if not require_settings().on:
        return None
    token = st.session_state.get(_TOKEN_KEY)
    if token is None:
        token = st.session_state[_TOKEN_KEY] = secrets.token_hex(16)
    folder = runs_root() / SESSIONS / token
    if not folder.is_dir():
        folder.mkdir(parents=True)
        _sweep(folder.parent, folder)
    return folder


def write_root() -> Path:
    """Where this session's new runs go: its scratch folder, or the runs folder.

    Returns
    -------
    pathlib.Path
        A runs folder.
    """
    return session_folder() or runs_root()


def build_cap() -> int | None:
    """Largest population a build may have here: :data:`MAX_BUILD_N`, or None (no cap)."""
    return MAX_BUILD_N if require_settings().on else None


@contextmanager
def one_build() -> Iterator[bool]:
    """Hold this session's build slot; yields False (and holds nothing) when it is taken.

    Yields
    ------
    bool
        Whether the caller may build now.
    """
    lock = st.session_state.setdefault(_BUILD_LOCK_KEY, threading.Lock())
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def passphrase() -> str | None:
    """The teacher passphrase from Streamlit's secrets, or None when none is set.

    Returns
    -------
    str or None
        The passphrase; None without a secrets file or without the key.
    """
    try:  # without a secrets file, streamlit raises a FileNotFoundError of its own
        value = st.secrets.get(PASSPHRASE_SECRET)
    except FileNotFoundError:
        return None
    return str(value) if value else None


def passphrase_matches(typed: str, expected: str) -> bool:
    """Whether ``typed`` is the passphrase, compared in constant time.

    Parameters
    ----------
    typed : str
        What the visitor typed.
    expected : str
        The operator's passphrase.

    Returns
    -------
    bool
        True only for an exact match.
    """
    return hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))
