"""End-to-end build time and peak memory: generate, fit, explain, merge, commit.

Each size runs in its own process (`sesame-audit build`) so that peak memory is the build's
own. Usage: ``python bench/bench_build.py [N ...]`` (default 20000 100000 1000000 5000000).
Writes ``bench/results/build.md``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

from sesame_audit.datasets.dictionary import SENSITIVE
from sesame_audit.datasets.generate import CITY_SIZE
from sesame_audit.model.build.builder import FIT_ROWS

SIZES = (20_000, 100_000, 1_000_000, 5_000_000)
POLICY = "social-credit"


def bench(n: int, root: Path) -> dict[str, float]:
    """Build one run of ``n`` people in a subprocess; return its timings and peak memory."""
    out = root / f"run-{n}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sesame_audit.model.cli", "build", "--policy", POLICY,
                    "--n",
                    str(n), "--seed", "0", "--out", str(out), "--json"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    return {"n": n, "wall_s": wall, "cities": len(list((out / "people").iterdir())),
            **manifest["timings"],
            "shap_rows_per_s": manifest["shap"]["rows_per_second"],
            "r2": manifest["metrics"]["r2"], "folder_mb": size_mb,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def extrapolate(r: dict[str, float], target: int = 100_000_000) -> list[str]:
    """Lines estimating a ``target``-person build from the measured per-chunk times of ``r``."""
    per_city = r["generate_s"] / r["cities"]
    cities = -(-target // CITY_SIZE)
    explain_rate = r["n"] / r["explain_s"]  # the whole step, not TreeSHAP alone
    explain_s = target / explain_rate
    per_person = 8 + len(SENSITIVE)  # bytes the building process keeps: score, group codes
    client_mb = r["explain_peak_mb"] + (target - r["n"]) * per_person / 2**20
    lines = [f"## Extrapolation to {target:,} people (not measured)", "",
             f"From the {r['n']:,}-person build: {per_city:.1f} s per city of {CITY_SIZE:,} "
             f"to generate and write, {explain_rate:,.0f} people/s per two-core machine to "
             "read back, explain (TreeSHAP alone: "
             f"{r['shap_rows_per_s']:,.0f} rows/s), predict, write and summarise, the fit on a "
             f"{FIT_ROWS:,}-person "
             f"sample ({r['fit_s']:.0f} s, measured at {min(r['n'], FIT_ROWS):,}), "
             f"{(r['aggregates_s'] + r['commit_s']) / r['n'] * 1e6:.1f} s per million people "
             "for the building process to merge the summaries, write the aggregates and hash "
             f"the files, {r['folder_mb'] / r['n'] * 1e6:.0f} MB of run folder per million "
             "people.", "",
             "| two-core workers | generate min | explain min | fit min "
             "| merge and commit min (client) | total min |",
             "|---:|---:|---:|---:|---:|---:|"]
    client = (r["aggregates_s"] + r["commit_s"]) * target / r["n"] / 60
    for workers in (1, 10, 50):
        gen = cities * per_city / workers / 60
        exp = explain_s / workers / 60
        fit = r["fit_s"] / 60
        lines.append(f"| {workers} | {gen:.1f} | {exp:.1f} | {fit:.1f} | {client:.1f} | "
                     f"{gen + exp + fit + client:.1f} |")
    lines += ["", f"Folder: ~{r['folder_mb'] / r['n'] * target / 1024:.0f} GB, written by the "
              "workers on a file system they share. The building process keeps "
              f"{per_person} bytes a person (the score and one group code per sensitive "
              f"attribute, for exact group medians): ~{client_mb / 1024:.1f} GB at "
              f"{target:,} people, on top of the fit's training sample."]
    return lines


def main() -> None:
    """Run the benchmark and write the results table."""
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            row = bench(n, Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    header = ("| people | wall s | generate s | fit s | explain s | SHAP rows/s | merge s "
              "| commit s | peak MB (after generate / fit / explain) | folder MB | R2 |")
    lines = [f"# Build benchmark ({POLICY})", "", describe(), "", header,
             "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['wall_s']:.1f} | {r['generate_s']:.1f} | {r['fit_s']:.1f} | "
            f"{r['explain_s']:.1f} | {r['shap_rows_per_s']:,.0f} | {r['aggregates_s']:.1f} | "
            f"{r['commit_s']:.1f} | {r['generate_peak_mb']:.0f} / "
            f"{r['fit_peak_mb']:.0f} / {r['explain_peak_mb']:.0f} | {r['folder_mb']:.1f} | "
            f"{r['r2']:.3f} |")
    lines += ["", "Wall time includes interpreter start and imports (~10 s here). Generate: "
              "cities generated and written; explain: each city read back, explained, its "
              "SHAP part written and summarised; merge: the summaries merged into the "
              "aggregates; commit: model and aggregates written, every file hashed. Beyond "
              f"{FIT_ROWS:,} people the model is fitted on a seeded sample of that size, so "
              "the peak stops growing with the population.", "",
              *extrapolate(max(rows, key=lambda r: r["n"]))]
    target = Path(__file__).resolve().parent / "results" / "build.md"
    target.write_text("\n".join(lines) + "\n")
    print(target.read_text())


if __name__ == "__main__":
    main()
