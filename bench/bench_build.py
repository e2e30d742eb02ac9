"""End-to-end build time and peak memory: generate, fit, explain, write.

Each size runs in its own process (`sesame-audit build`) so that peak memory is the build's
own. Usage: ``python bench/bench_build.py [N ...]`` (default 20000 100000 1000000).
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

SIZES = (20_000, 100_000, 1_000_000)
POLICY = "social-credit"


def bench(n: int, root: Path) -> dict[str, float]:
    """Build one run of ``n`` people in a subprocess; return its timings and peak memory."""
    out = root / f"run-{n}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "model.cli", "build", "--policy", POLICY, "--n",
                    str(n), "--seed", "0", "--out", str(out), "--json"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    size_mb = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    return {"n": n, "wall_s": wall, **manifest["timings"],
            "shap_rows_per_s": manifest["shap"]["rows_per_second"],
            "r2": manifest["metrics"]["r2"], "folder_mb": size_mb,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    """Run the benchmark and write the results table."""
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            row = bench(n, Path(tmp))
            rows.append(row)
            print(json.dumps(row), flush=True)
    header = ("| people | wall s | generate s | fit s | explain s | SHAP rows/s | peak MB "
              "(after generate / fit / explain) | folder MB | R2 |")
    lines = [f"# Build benchmark ({POLICY})", "", describe(), "", header,
             "|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['wall_s']:.1f} | {r['generate_s']:.1f} | {r['fit_s']:.1f} | "
            f"{r['explain_s']:.1f} | {r['shap_rows_per_s']:,.0f} | "
            f"{r['generate_peak_mb']:.0f} / {r['fit_peak_mb']:.0f} / "
            f"{r['explain_peak_mb']:.0f} | {r['folder_mb']:.1f} | {r['r2']:.3f} |")
    lines += ["", "Wall time includes interpreter start and imports (~10 s here)."]
    target = Path(__file__).resolve().parent / "results" / "build.md"
    target.write_text("\n".join(lines) + "\n")
    print(target.read_text())


if __name__ == "__main__":
    main()
