"""Build a run: generate a population under a policy, fit the score model, explain it."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from datasets.generate import CITY_SIZE, CitySpec, assemble, generate_city, plan_cities
from datasets.policy import Policy, load_policy, policy_to_toml
from model import aggregates
from model.engine import Engine, executor
from model.explain import additivity_error, explain
from model.fidelity import fidelity_table
from model.roles import synthetic_roles
from model.store import commit, runs_root, staging, write_frames
from model.train import TreeParams, fit_score_model

Progress = Callable[[str, float], None]
FIT_ROWS = 1_000_000  # larger populations fit the score model on a seeded sample this size


def _peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_name(policy: Policy, n: int, seed: int) -> str:
    """Return the default folder name of a run, e.g. ``social-credit-n20000-s0``.

    Parameters
    ----------
    policy : Policy
        The hidden rules.
    n : int
        Population size.
    seed : int
        Seed.

    Returns
    -------
    str
        Folder name.
    """
    return f"{policy.name}-n{n}-s{seed}"


def _city(policy: Policy, seed: int, spec: CitySpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate one city (a top-level function, so that Dask workers can run it)."""
    return generate_city(policy, spec.size, seed=seed, index=spec.index, offset=spec.offset)


def build_run(policy: Policy | str | Path, n: int, seed: int = 0, out: Path | None = None,
              *, params: TreeParams | None = None, progress: Progress | None = None,
              engine: Engine = "local", scheduler: str | None = None,
              city_size: int = CITY_SIZE) -> Path:
    """Generate, fit, explain and write one run folder.

    Parameters
    ----------
    policy : Policy, str or pathlib.Path
        A policy, a preset name or a policy file.
    n : int
        Population size.
    seed : int
        Seed of the population, the split and the trees.
    out : pathlib.Path, optional
        Destination; defaults to ``runs_root() / run_name(...)``.
    params : TreeParams, optional
        Tree sizes of the score model.
    progress : callable, optional
        Called as ``progress(step_description, fraction_done)``.
    engine : {"local", "dask"}
        Where the chunked steps (cities, SHAP chunks) run; see :mod:`model.engine`.
    scheduler : str, optional
        Address of an existing Dask scheduler; a local two-worker cluster without it.
    city_size : int
        Largest city (chunk) of the population.

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    report = progress or (lambda _step, _done: None)
    policy = policy if isinstance(policy, Policy) else load_policy(policy)
    out = Path(out) if out is not None else runs_root() / run_name(policy, n, seed)
    roles = synthetic_roles()
    timings: dict[str, float] = {}

    specs = plan_cities(n, seed=seed, city_size=city_size)
    with executor(engine, scheduler=scheduler) as runner:
        report(f"Generating {n:,} people in {len(specs)} cities under '{policy.name}'", 0.0)
        start = time.perf_counter()
        world = assemble(policy, seed, runner.map(partial(_city, policy, seed), specs))
        timings["generate_s"] = time.perf_counter() - start
        timings["generate_peak_mb"] = _peak_mb()

        report("Fitting the score model", 0.2)
        start = time.perf_counter()
        training = (world.people if n <= FIT_ROWS
                    else world.people.sample(FIT_ROWS, random_state=seed))
        model, metrics = fit_score_model(training, roles, seed=seed, params=params)
        timings["fit_s"] = time.perf_counter() - start
        timings["fit_peak_mb"] = _peak_mb()

        report(f"Explaining {n:,} scores with SHAP", 0.4)
        start = time.perf_counter()
        explanation = explain(model, world.people[list(roles.inputs)], map_chunks=runner.map)
        timings["explain_s"] = time.perf_counter() - start
        timings["explain_peak_mb"] = _peak_mb()

    report("Computing the audit's aggregates", 0.85)
    start = time.perf_counter()
    fidelity = fidelity_table(world.people, explanation.values)
    tables = aggregates.compute(world.people, explanation, roles)
    timings["aggregates_s"] = time.perf_counter() - start
    manifest = {
        "source": "synthetic",
        "policy": policy.name,
        "policy_title": policy.title,
        "seed": seed,
        "n": n,
        "metrics": metrics,
        "shap": {
            "max_additivity_error_points": additivity_error(explanation),
            "rows_per_second": explanation.rows_per_second,
            "dtype": "float32",
        },
        "fidelity": {row.feature: row.pearson for row in fidelity.itertuples()},
        "timings": timings,
        "engine": runner.name,
    }
    report("Writing the run folder", 0.9)
    with staging(out) as folder:
        start = time.perf_counter()
        write_frames(folder, world.people, explanation, world.edges)
        manifest["timings"]["write_tables_s"] = time.perf_counter() - start
        path = commit(folder, out, model=model, roles=roles, manifest=manifest,
                      base=explanation.base, tables=tables, policy_text=policy_to_toml(policy))
    report("Done", 1.0)
    return path
