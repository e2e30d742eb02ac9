"""Build a run: generate a population under a policy, fit the score model, explain it."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from sesame_audit.datasets.generate import CITY_SIZE, CitySpec, generate_city, plan_cities
from sesame_audit.datasets.policy import Policy, load_policy, policy_to_toml
from sesame_audit.model.build.engine import Engine, executor
from sesame_audit.model.build.summaries import ChunkSummary, merge, summarise
from sesame_audit.model.build.synthetic import synthetic_roles
from sesame_audit.model.build.train import TreeParams, fit_score_model
from sesame_audit.model.core.roles import Roles
from sesame_audit.model.explain.explanation import require_additivity
from sesame_audit.model.explain.score_model import explain, explain_base
from sesame_audit.model.figures.drivers import sample_rows
from sesame_audit.model.runs.destination import run_path
from sesame_audit.model.runs.run import FRIENDS, PEOPLE, SHAP, part_name
from sesame_audit.model.runs.store import runs_root
from sesame_audit.model.runs.writer import commit, shap_table, staging, write_part

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


def _generate_part(policy: Policy, seed: int, folder: Path, fit_rows: np.ndarray | None,
                   spec: CitySpec) -> pd.DataFrame:
    """Generate one city and write its people and friendships into the staging folder.

    A top-level function, so that Dask workers can run it; the folder must be on a file
    system they see. Returns the city's people the score model is fitted on: all of them,
    or the city's share of the seeded sample ``fit_rows`` (population row positions).
    """
    people, edges = generate_city(policy, spec.size, seed=seed, index=spec.index,
                                  offset=spec.offset)
    write_part(people, folder, PEOPLE, spec.index)
    write_part(edges, folder, FRIENDS, spec.index)
    if fit_rows is None:
        return people
    inside = fit_rows[(fit_rows >= spec.offset) & (fit_rows < spec.offset + spec.size)]
    return people.iloc[inside - spec.offset]


def _explain_part(model: object, roles: Roles, folder: Path, total: int,
                  spec: CitySpec) -> tuple[ChunkSummary, float]:
    """Explain one city read back from the staging folder, write its SHAP part, summarise it.

    Returns the city's :class:`ChunkSummary` and the seconds its explanation took.
    """
    people = pd.read_parquet(Path(folder) / part_name(PEOPLE, spec.index))
    start = time.perf_counter()
    explanation = explain(model, people[list(roles.inputs)])
    seconds = time.perf_counter() - start
    write_part(shap_table(explanation), folder, SHAP, spec.index)
    return summarise(people, explanation, roles, offset=spec.offset, total=total), seconds


def build_run(policy: Policy | str | Path, n: int, seed: int = 0, out: Path | None = None,
              *, params: TreeParams | None = None, progress: Progress | None = None,
              engine: Engine = "local", scheduler: str | None = None,
              city_size: int = CITY_SIZE, replace: bool = False) -> Path:
    """Generate, fit, explain and write one run folder, a city at a time.

    Each city is generated and written, then (once the score model is fitted on all the
    people, or on a seeded sample of ``FIT_ROWS`` beyond that) read back, explained and
    reduced to a :class:`build.summaries.ChunkSummary`; the summaries merge into the stored
    aggregates. The process running the build never holds the population: only the
    training rows, and each person's score and group codes.

    Parameters
    ----------
    policy : Policy, str or pathlib.Path
        A policy, a preset name or a policy file.
    n : int
        Population size.
    seed : int
        Seed of the population, the split and the trees.
    out : pathlib.Path, optional
        Destination; defaults to ``runs_root() / run_name(...)``, for a policy whose name
        is a plain slug (see :func:`runs.destination.run_path`). It must be absent, or a
        run folder and ``replace`` true (see :func:`runs.destination.check_destination`).
    params : TreeParams, optional
        Tree sizes of the score model.
    progress : callable, optional
        Called as ``progress(step_description, fraction_done)``.
    engine : {"local", "dask"}
        Where the cities are generated and explained; see :mod:`build.engine`.
    scheduler : str, optional
        Address of an existing Dask scheduler; a local two-worker cluster without it.
    city_size : int
        Largest city (chunk) of the population.
    replace : bool, default=False
        Whether a run folder already at ``out`` may be replaced.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    DestinationError
        When the run may not be written there (checked before anything is written).
    ValueError
        If the SHAP values do not add up to the predictions (see
        :func:`explain.explanation.require_additivity`); an earlier run at ``out`` is kept.
    """
    report = progress or (lambda _step, _done: None)
    policy = policy if isinstance(policy, Policy) else load_policy(policy)
    out = Path(out) if out is not None else run_path(run_name(policy, n, seed), runs_root())
    roles = synthetic_roles()
    timings: dict[str, float] = {}

    specs = plan_cities(n, seed=seed, city_size=city_size)
    fit_rows = None if n <= FIT_ROWS else sample_rows(n, FIT_ROWS, seed=seed)
    with staging(out, replace=replace) as folder, executor(engine, scheduler=scheduler) as runner:
        report(f"Generating {n:,} people in {len(specs)} cities under '{policy.name}'", 0.0)
        start = time.perf_counter()
        parts = runner.map(partial(_generate_part, policy, seed, folder, fit_rows), specs)
        training = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        del parts
        timings["generate_s"] = time.perf_counter() - start
        timings["generate_peak_mb"] = _peak_mb()

        report("Fitting the score model", 0.2)
        start = time.perf_counter()
        model, metrics = fit_score_model(training, roles, seed=seed, params=params)
        del training
        timings["fit_s"] = time.perf_counter() - start
        timings["fit_peak_mb"] = _peak_mb()

        report(f"Explaining {n:,} scores with SHAP", 0.4)
        start = time.perf_counter()
        done = runner.map(partial(_explain_part, model, roles, folder, n), specs)
        timings["explain_s"] = time.perf_counter() - start
        timings["explain_peak_mb"] = _peak_mb()

        report("Merging the audit's aggregates", 0.85)
        start = time.perf_counter()
        merged = merge([summary for summary, _ in done], roles)
        require_additivity(merged.additivity)  # before anything replaces an earlier run
        base = explain_base(model)
        timings["aggregates_s"] = time.perf_counter() - start
        explain_seconds = sum(seconds for _, seconds in done)
        del done
        manifest = {
            "source": "synthetic",
            "policy": policy.name,
            "policy_title": policy.title,
            "seed": seed,
            "n": n,
            "metrics": metrics,
            "shap": {
                "rows_per_second": n / explain_seconds if explain_seconds > 0 else float("nan"),
                "dtype": "float32",
            },
            "fidelity": {row.feature: row.pearson for row in merged.fidelity.itertuples()},
            "timings": timings,
            "engine": runner.name,
        }
        report("Writing the run folder", 0.9)
        path = commit(folder, out, model=model, roles=roles, manifest=manifest, base=base,
                      tables=merged.tables, policy_text=policy_to_toml(policy), replace=replace)
    report("Done", 1.0)
    return path
