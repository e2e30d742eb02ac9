"""Time of the donation power curve (``sesame-audit plan``) on its default grid.

Builds (or reuses) the proxy run of 20,000 people, then times :func:`power_curve` with the
default findings (the white-box findings at the lowest tier and every hidden rule), sizes
(250 to 16,000 donations), biases (none, mild, like-the-campaign) and 100 campaigns per
size and bias. Usage::

    python bench/bench_plan.py [RUN_FOLDER]

Writes ``bench/results/plan.md``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.donations.power import BIASES, REPS, SIZES, power_curve
from sesame_audit.model.runs.store import load_run

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def main() -> None:
    """Time the default grid and write the results file."""
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        path = Path(os.environ.get("SESAME_RUNS", ROOT / "runs")) / "proxy-n20000-s0"
        if not (path / "manifest.json").is_file():
            build_run("proxy", 20_000, 0, path)
    run = load_run(path)
    _ = run.people, run.explanation  # read before timing: loading is not planning
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    plan = power_curve(run)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    lines = ["# Donation power curve (`sesame-audit plan`)", "", describe(), "",
             f"Run `{path.name}` ({run.n:,} people); default grid: {len(plan['findings'])} "
             f"findings x {len(SIZES)} sizes ({SIZES[0]:,}-{SIZES[-1]:,} donations) x "
             f"{len(BIASES)} biases x {REPS} campaigns.", "",
             f"**{seconds:.1f} s** wall, {cpu:.1f} s of CPU (target: under "
             f"{TARGET_SECONDS:.0f} s); load average {load:.1f} on {os.cpu_count()} cores when "
             "it started (the machine is shared: wall time grows with the load).", "",
             "Donations needed for 80% power:", "",
             "| finding | " + " | ".join(BIASES) + " |",
             "| --- | " + " | ".join("---:" for _ in BIASES) + " |"]
    for finding, by_bias in plan["needed"].items():
        cells = [f"{n:,}" if n is not None else f"> {max(plan['sizes']):,}"
                 for n in by_bias.values()]
        lines.append(f"| `{finding}` | " + " | ".join(cells) + " |")
    out = ROOT / "bench" / "results" / "plan.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text())


if __name__ == "__main__":
    main()
