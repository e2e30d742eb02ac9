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

from sesame_audit.app.rerun_timing import PAGES, page_times, rerun_times
from sesame_audit.model.audit.fairness import (
    impact_ratios,
    score_distribution,
    tier_table_with_suppression,
)
from sesame_audit.model.figures import dependence
from sesame_audit.model.person.explained import explain_person, what_if
from sesame_audit.model.person.recourse import find_recourse
from sesame_audit.model.person.subject_access import person_data, subject_access, to_markdown
from sesame_audit.model.person.waterfall import compare_explanations, waterfall_data
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import list_runs, load_run

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
POPULATION_PAGES = {"proxies", "friends", "recourse", "lessons"}
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
    """Time the model functions behind each interaction on one run, opened lazily."""
    start = time.perf_counter()
    run = load_run(path)
    open_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    _ = run.model
    model_ms = (time.perf_counter() - start) * 1000
    n = run.n
    ids = [run.first_id() + (i * 7919) % n for i in range(REPEATS)]
    roles = run.roles

    def overview(_i: int) -> None:
        stored.score_spread(Run(run.path, run.manifest, run.roles))

    def person(i: int) -> None:
        who = ids[i]
        waterfall_data(explain_person(run, who), roles)
        person_data(run, who)
        to_markdown(subject_access(run, who))

    def recourse(i: int) -> None:
        find_recourse(run, ids[i])

    def edit(i: int) -> None:
        before = explain_person(run, ids[i])
        after = what_if(run, ids[i], EDITS)
        waterfall_data(after, roles)
        compare_explanations(before, after, roles)

    features = list(roles.inputs)

    def feature(i: int) -> None:
        people, values = stored.sample(run)
        points, _ = dependence.dependence_data(values, people, roles,
                                            features[i % len(features)], "ethnicity")
        dependence.dependence_summary(points, categorical=features[i % len(features)]
                                   in roles.categorical)

    attributes = ["ethnicity", ("ethnicity", "hukou"), "age_group", ("gender", "hukou"),
                  "political_opinion"]

    def fairness(i: int) -> None:
        attribute = attributes[i % len(attributes)]
        tier_table_with_suppression(run, attribute, k=11)
        impact_ratios(run, attribute, k=11)
        score_distribution(run, attribute, k=11)

    timings = {"n": n, "open_run_ms": open_ms, "load_model_ms": model_ms,
               "overview_ms": _median_ms(overview), "switch_person_ms": _median_ms(person),
               "recourse_ms": _median_ms(recourse), "what_if_ms": _median_ms(edit),
               "switch_feature_ms": _median_ms(feature), "fairness_ms": _median_ms(fairness),
               "population_read": float(run.loaded)}
    start = time.perf_counter()
    _ = run.people, run.explanation
    timings["load_population_ms"] = (time.perf_counter() - start) * 1000
    return timings


def main() -> None:
    """Run the benchmark on the given runs and write the results table."""
    paths = [Path(a).resolve() for a in sys.argv[1:]] or list_runs()
    if not paths:
        raise SystemExit("no run to time: build one (make default-run) or name run folders")
    rows = []
    for path in paths:
        row = {"run": path.name, **bench_functions(path), **rerun_times(path, _median_ms),
               "pages": page_times(path)}
        rows.append(row)
        print(row, flush=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = ["# Dashboard interactions: server time", "", describe(),
             f"- load average when written (1, 5, 15 min): {load}", "",
             "Model functions: median of 5 calls on a run opened lazily (manifest, hashes "
             "and Parquet metadata read; the population is not). Overview and Fairness read "
             "the aggregates stored in the run; a person is read by id through row-group "
             "statistics; the dependence plot uses the stored sample. Rerun: the whole "
             "Streamlit script rerun measured with AppTest after a widget change, caches "
             "warm; it includes building and serialising every Altair chart on the page.", "",
             "| run | people | open run ms | load model ms | Overview ms | switch person ms "
             "| recourse ms | what-if ms | switch feature ms | Fairness attribute ms "
             "| population read by these | load population ms | rerun: person ms "
             "| rerun: what-if ms | rerun: feature ms | rerun: fairness ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['n']:,} | {r['open_run_ms']:.0f} | {r['load_model_ms']:.0f} | "
            f"{r['overview_ms']:.0f} | {r['switch_person_ms']:.0f} | {r['recourse_ms']:.0f} | "
            f"{r['what_if_ms']:.0f} | {r['switch_feature_ms']:.0f} | {r['fairness_ms']:.0f} | "
            f"{'yes' if r['population_read'] else 'no'} | {r['load_population_ms']:.0f} | "
            f"{r['rerun_switch_person_ms']:.0f} | {r['rerun_what_if_ms']:.0f} | "
            f"{r['rerun_switch_feature_ms']:.0f} | {r['rerun_fairness_ms']:.0f} |")
    lines += ["", "Opening each page on a fresh session, caches of this run cold (first) and then "
              "warm (again), in ms. Pages marked * read the whole population on first use; once "
              "read it stays in memory for the pages after them (Hidden rules is shown locked, "
              "as without Teacher mode).", "",
              "| run | " + " | ".join(p + ("*" if p in POPULATION_PAGES else "") for p in PAGES)
              + " |", "|---|" + "---:|" * len(PAGES)]
    for r in rows:
        lines.append(f"| {r['run']} | " + " | ".join(
            f"{r['pages'][p][0]:,.0f} / {r['pages'][p][1]:,.0f}" for p in PAGES) + " |")
    out = ROOT / "bench" / "results" / "app.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
