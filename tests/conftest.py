"""Shared fixtures: small runs built once per test session in a temporary runs folder."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("OMP_NUM_THREADS", "2")

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run

# Hypothesis: derandomised locally (the same 60 examples every run); in CI (CI=true) fresh
# examples every run from a seed printed in the report header (rerun one with
# HYPOTHESIS_SEED=<seed> or --hypothesis-seed=<seed>), and a larger budget for the
# properties that guard exactness (profile "exactness": TreeSHAP against shap, the walker
# against predict; use it as @settings(settings.get_profile("exactness"))).
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
settings.register_profile("dev", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("ci", max_examples=60, derandomize=False, print_blob=True, **_COMMON)
settings.load_profile("ci" if IN_CI else "dev")
settings.register_profile("exactness", max_examples=400 if IN_CI else 20)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """In CI, give Hypothesis a seed (HYPOTHESIS_SEED, or a fresh one) unless one is set."""
    if IN_CI and config.getoption("hypothesis_seed", None) is None:
        chosen = os.environ.get("HYPOTHESIS_SEED") or str(random.SystemRandom().randrange(2**32))
        config.option.hypothesis_seed = chosen


def pytest_report_header(config: pytest.Config) -> str:
    """Name the Hypothesis profile and seed, so that a CI failure can be replayed."""
    seed = config.getoption("hypothesis_seed", None)
    return (f"hypothesis profile {settings.get_current_profile_name()!r}, "
            f"seed {seed if seed is not None else 'derandomised'}")

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
