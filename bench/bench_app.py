"""Server time of the dashboard's main interactions, at one or more run sizes.

For each run folder given (default: the runs in ``$SESAME_RUNS``), it times the ``model``
functions each interaction calls (median of several repeats, nothing cached), then the
whole Streamlit rerun of the same interactions with AppTest (page script, caches warm, chart
serialisation included). Usage::

    python bench/bench_app.py RUN_FOLDER [RUN_FOLDER ...]

Writes ``bench/results/app.md``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

from app.rerun_timing import rerun_times
from model import drivers
from model.person import explain_person, what_if
from model.store import list_runs, load_run
from model.subject_access import person_data, subject_access, to_markdown
from model.waterfall import compare_explanations, waterfall_data

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
EDITS = {"payment_history": 1.0, "device": "iphone"}


def _median_ms(step: Callable[[int], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``step(i)`` over ``repeats`` calls, in milliseconds."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        step(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_functions(path: Path) -> dict[str, float]:
    """Time the model functions behind each interaction on one run."""
    start = time.perf_counter()
    run = load_run(path)
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    _ = run.model
    model_ms = (time.perf_counter() - start) * 1000
    ids = run.people[run.roles.id].to_numpy()
    values, roles = run.explanation.values, run.roles

    def person(i: int) -> None:
        who = ids[(i * 7919) % len(ids)]
        waterfall_data(explain_person(run, who), roles)
        person_data(run, who)
        to_markdown(subject_access(run, who))

    def edit(i: int) -> None:
        who = ids[(i * 104729) % len(ids)]
        before = explain_person(run, who)
        after = what_if(run, who, EDITS)
        waterfall_data(after, roles)
        compare_explanations(before, after, roles)

    features = list(roles.inputs)

    def feature(i: int) -> None:
        points, _ = drivers.dependence_data(values, run.people, roles,
                                            features[i % len(features)], "ethnicity")
        drivers.dependence_summary(points, categorical=features[i % len(features)]
                                   in roles.categorical)

    def population(_i: int) -> None:
        drivers.influence_by_feature(values, roles)
        drivers.influence_by_privacy(values, roles)
        drivers.beeswarm_data(values, run.people, roles)

    return {"n": len(run.people), "load_run_ms": load_ms, "load_model_ms": model_ms,
            "switch_person_ms": _median_ms(person), "what_if_ms": _median_ms(edit),
            "switch_feature_ms": _median_ms(feature),
            "drivers_population_ms": _median_ms(population, 3)}


def main() -> None:
    """Run the benchmark on the given runs and write the results table."""
    paths = [Path(a).resolve() for a in sys.argv[1:]] or list_runs()
    rows = []
    for path in paths:
        row = {"run": path.name, **bench_functions(path), **rerun_times(path, _median_ms)}
        rows.append(row)
        print(row, flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = ["# Dashboard interactions: server time", "", describe(),
             f"- load average when written (1, 5, 15 min): {load}", "",
             "Model functions: median of 5 calls with nothing cached (first-time cost). "
             "Rerun: the whole Streamlit script rerun measured with AppTest after a widget "
             "change, caches warm (population-wide results are cached per run); it includes "
             "building and validating every Altair chart on the page (roughly 50-100 ms "
             "per chart here), which is most of it.", "",
             "| run | people | load run ms | load model ms | switch person ms | what-if ms "
             "| switch feature ms | Drivers population results ms | rerun: person ms "
             "| rerun: what-if ms | rerun: feature ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['n']:,} | {r['load_run_ms']:.0f} | {r['load_model_ms']:.0f} | "
            f"{r['switch_person_ms']:.0f} | {r['what_if_ms']:.0f} | "
            f"{r['switch_feature_ms']:.0f} | {r['drivers_population_ms']:.0f} | "
            f"{r['rerun_switch_person_ms']:.0f} | {r['rerun_what_if_ms']:.0f} | "
            f"{r['rerun_switch_feature_ms']:.0f} |")
    out = ROOT / "bench" / "results" / "app.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
