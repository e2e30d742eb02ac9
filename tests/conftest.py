"""Shared fixtures: small runs built once per test session in a temporary runs folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run

SMALL_N = 2_000


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder for the whole session, exported as SESAME_RUNS."""
    root = tmp_path_factory.mktemp("runs")
    os.environ["SESAME_RUNS"] = str(root)
    return root


def _build(runs_dir: Path, policy: str) -> Path:
    path = runs_dir / f"{policy}-n{SMALL_N}-s0"
    if not (path / "manifest.json").is_file():
        build_run(policy, SMALL_N, 0, path)
    return path


@pytest.fixture(scope="session")
def social_path(runs_dir: Path) -> Path:
    """Folder of a small social-credit run."""
    return _build(runs_dir, "social-credit")


@pytest.fixture(scope="session")
def social_run(social_path: Path) -> Run:
    """A small social-credit run, loaded."""
    return load_run(social_path)


@pytest.fixture(scope="session")
def proxy_run(runs_dir: Path) -> Run:
    """A small proxy run, loaded."""
    return load_run(_build(runs_dir, "proxy"))


@pytest.fixture(scope="session")
def marketed_run(runs_dir: Path) -> Run:
    """A small marketed run, loaded."""
    return load_run(_build(runs_dir, "marketed"))


@pytest.fixture(scope="session")
def own_run_path(runs_dir: Path, social_run: Run) -> Path:
    """A run as a user's own model would give it: no hidden rules, no ground truth, no graph."""
    from sesame_audit.model.build.write import write_run

    path = runs_dir / "zz-own-model"
    if not (path / "manifest.json").is_file():
        people = social_run.people.drop(
            columns=[c for c in social_run.people if c.startswith("true__")]
            + ["hidden_score"])
        write_run(path, people=people, explanation=social_run.explanation,
                  model=social_run.model, roles=social_run.roles,
                  manifest={"source": "imported", "n": len(people),
                            "metrics": social_run.manifest["metrics"]})
    return path
