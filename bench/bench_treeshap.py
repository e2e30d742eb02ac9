"""Benchmark explain.treeshap against shap.TreeExplainer and LightGBM's pred_contrib.

Trains, on the same synthetic data (25 mixed features), a HistGradientBoostingRegressor
and a LightGBM model of the same size (200 trees x 31 leaves), then measures rows/s of

* ``hgb_shap_values`` on the HGB model (n_jobs=2, default float32 output),
* ``shap.TreeExplainer`` on the HGB model (single-threaded C++; run on a sample and
  extrapolated, since it is linear in the rows),
* LightGBM ``predict(pred_contrib=True, num_threads=2)`` on the LightGBM model (its
  own C++ TreeSHAP; at 1M rows extrapolated from the 100k run unless ``--full``),

at 100k and 1M rows. Each method runs in a fresh worker process so that its peak
resident memory (VmHWM from ``/proc/self/status``) can be reported, both absolute
and above the worker's RSS before the first timed call (model and data loaded). It
also checks that ours matches shap on a 2,000-row sample, and writes
``bench/results/treeshap.md``.

Run: ``OMP_NUM_THREADS=2 .venv/bin/python bench/bench_treeshap.py [--full]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sesame_audit.model.runs.model_files import load_model, model_bytes

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "out" / "treeshap"  # git-ignored scratch
RESULTS = ROOT / "bench" / "results" / "treeshap.md"
N_FEATURES = 25
N_TRAIN = 200_000
SIZES = (100_000, 1_000_000)
SHAP_SAMPLE = 2_000
THREADS = 2


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return 25 mixed features and a target with interactions.

    Columns: 12 Gaussian, 4 log-normal (skewed), 4 integer counts 0..20 (ties),
    3 binary flags, 2 Gaussian with 10% missing values.
    """
    rng = np.random.default_rng(seed)
    X = np.empty((n, N_FEATURES))
    X[:, 0:12] = rng.normal(size=(n, 12))
    X[:, 12:16] = rng.lognormal(size=(n, 4))
    X[:, 16:20] = rng.integers(0, 21, size=(n, 4))
    X[:, 20:23] = rng.integers(0, 2, size=(n, 3))
    X[:, 23:25] = rng.normal(size=(n, 2))
    X[:, 23:25][rng.random((n, 2)) < 0.1] = np.nan
    y = (
        X[:, 0] * X[:, 1]
        + np.sin(2 * X[:, 2])
        + 0.5 * X[:, 3] ** 2
        + 0.3 * np.log(X[:, 12])
        + 0.1 * X[:, 16]
        + X[:, 20] * X[:, 4]
        + np.where(np.isnan(X[:, 23]), 1.0, X[:, 23])
        + 0.5 * rng.normal(size=n)
    )
    return X, y


def _status_mb(field: str) -> float:
    """A memory field of /proc/self/status (reported in kB) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it started, in MB.

    This is the kernel's VmHWM. ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not
    usable here: Linux carries it over from the parent across fork + exec, so every
    worker would report at least the parent's peak.
    """
    return _status_mb("VmHWM")


# --------------------------------------------------------------------------- workers


def worker(method: str, sizes: list[int]) -> None:
    """Time one method at each size in a fresh process; print one JSON line."""
    X = np.load(WORK / "X_eval.npy")
    report: dict = {"method": method, "runs": []}
    if method == "ours":
        from sesame_audit.model.explain.treeshap import _FLAT_CACHE, hgb_shap_values

        est = load_model(WORK / "hgb.skops")
        tic = time.perf_counter()
        hgb_shap_values(est, X[:1000], n_jobs=THREADS)  # JIT compilation
        report["compile_s"] = time.perf_counter() - tic

        def run(n: int) -> None:
            _FLAT_CACHE.clear()  # every timed call builds the trees' tables again
            hgb_shap_values(est, X[:n], n_jobs=THREADS)

    elif method == "lightgbm":
        import lightgbm

        booster = lightgbm.Booster(model_file=str(WORK / "lgb.txt"))
        booster.predict(X[:100], pred_contrib=True, num_threads=THREADS)

        def run(n: int) -> None:
            booster.predict(X[:n], pred_contrib=True, num_threads=THREADS)

    elif method == "shap":
        import shap

        est = load_model(WORK / "hgb.skops")
        explainer = shap.TreeExplainer(est)
        explainer.shap_values(X[:20])

        def run(n: int) -> None:
            explainer.shap_values(X[:n])

    else:
        raise ValueError(method)
    report["rss_before_mb"] = rss_mb()
    for n in sizes:
        tic = time.perf_counter()
        run(n)
        seconds = time.perf_counter() - tic
        report["runs"].append({"rows": n, "seconds": seconds, "peak_rss_mb": peak_rss_mb()})
    print(json.dumps(report))


def run_worker(method: str, sizes: list[int]) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--sizes", ",".join(map(str, sizes))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def train_and_save() -> dict:
    import lightgbm
    from sklearn.ensemble import HistGradientBoostingRegressor

    WORK.mkdir(parents=True, exist_ok=True)
    X, y = make_data(N_TRAIN, seed=0)
    tic = time.perf_counter()
    hgb = HistGradientBoostingRegressor(
        max_iter=200, max_leaf_nodes=31, early_stopping=False, random_state=0
    ).fit(X, y)
    hgb_fit = time.perf_counter() - tic
    tic = time.perf_counter()
    booster = lightgbm.train(
        {"objective": "regression", "num_leaves": 31, "num_threads": THREADS, "verbose": -1},
        lightgbm.Dataset(X, y),
        num_boost_round=200,
    )
    lgb_fit = time.perf_counter() - tic
    (WORK / "hgb.skops").write_bytes(model_bytes(hgb))
    booster.save_model(str(WORK / "lgb.txt"))
    np.save(WORK / "X_eval.npy", make_data(max(SIZES), seed=1)[0])
    n_leaves = [len(it[0].nodes) // 2 + 1 for it in hgb._predictors]
    lgb_leaves = [t["num_leaves"] for t in booster.dump_model()["tree_info"]]
    return {
        "hgb_fit_s": hgb_fit,
        "lgb_fit_s": lgb_fit,
        "hgb_trees": len(n_leaves),
        "hgb_mean_leaves": float(np.mean(n_leaves)),
        "lgb_trees": len(lgb_leaves),
        "lgb_mean_leaves": float(np.mean(lgb_leaves)),
    }


def check_against_shap() -> dict:
    import shap

    from sesame_audit.model.explain.treeshap import hgb_shap_values

    est = load_model(WORK / "hgb.skops")
    X = np.load(WORK / "X_eval.npy", mmap_mode="r")[:SHAP_SAMPLE]
    ours, base = hgb_shap_values(est, X, n_jobs=THREADS, dtype=np.float64)
    explainer = shap.TreeExplainer(est)
    ref = explainer.shap_values(X)
    return {
        "max_abs_diff": float(np.abs(ours - ref).max()),
        "base_diff": abs(base - float(np.ravel(explainer.expected_value)[0])),
        "additivity": float(np.abs(base + ours.sum(1) - est.predict(X)).max()),
        "ours_f32_vs_f64": float(np.abs(hgb_shap_values(est, X, n_jobs=THREADS)[0] - ours).max()),
    }


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    import lightgbm
    import numba
    import shap
    import sklearn

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scikit-learn": sklearn.__version__,
        "shap": shap.__version__,
        "lightgbm": lightgbm.__version__,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset"),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(full: bool) -> None:
    started = time.perf_counter()
    load_start = os.getloadavg()
    info = machine()
    print("machine:", info, flush=True)
    models = train_and_save()
    print("models:", models, flush=True)
    check = check_against_shap()
    print("ours vs shap on 2,000 rows:", check, flush=True)

    ours = run_worker("ours", list(SIZES))
    print("ours:", ours, flush=True)
    shap_run = run_worker("shap", [SHAP_SAMPLE])
    print("shap:", shap_run, flush=True)
    lgb_sizes = list(SIZES) if full else [s for s in SIZES if s <= 100_000]
    lgb = run_worker("lightgbm", lgb_sizes)
    print("lightgbm:", lgb, flush=True)
    load_end = os.getloadavg()

    rows = []  # (method, rows, seconds or None, rows/s, peak MB, above-baseline MB, note)

    def measured(report: dict, label: str) -> dict[int, float]:
        rates = {}
        for run in report["runs"]:
            rate = run["rows"] / run["seconds"]
            rates[run["rows"]] = rate
            rows.append(
                (
                    label,
                    run["rows"],
                    run["seconds"],
                    rate,
                    run["peak_rss_mb"],
                    run["peak_rss_mb"] - report["rss_before_mb"],
                    "measured",
                )
            )
        return rates

    ours_rate = measured(ours, "ours hgb_shap_values (n_jobs=2, float32)")
    shap_rate = measured(shap_run, "shap TreeExplainer on HGB (serial)")[SHAP_SAMPLE]
    lgb_rate = measured(lgb, "LightGBM pred_contrib (2 threads)")
    for n in SIZES:
        rows.append(
            (
                "shap TreeExplainer on HGB (serial)",
                n,
                n / shap_rate,
                shap_rate,
                None,
                None,
                f"extrapolated from {SHAP_SAMPLE:,} rows",
            )
        )
        if n not in lgb_rate:
            rate = lgb_rate[max(lgb_rate)]
            rows.append(
                (
                    "LightGBM pred_contrib (2 threads)",
                    n,
                    n / rate,
                    rate,
                    None,
                    None,
                    f"extrapolated from {max(lgb_rate):,} rows (run with --full to measure)",
                )
            )
            lgb_rate[n] = rate
    order = {"ours": 0, "Ligh": 1, "shap": 2}
    rows.sort(key=lambda r: (order[r[0][:4]], r[1]))

    def fmt(x: float | None, spec: str) -> str:
        return "n/a" if x is None else format(x, spec)

    table = [
        "| method | rows | seconds | rows/s | peak RSS (MB) | peak above start (MB) | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for method, n, sec, rate, peak, above, note in rows:
        table.append(
            f"| {method} | {n:,} | {fmt(sec, '.1f')} | {rate:,.0f} | {fmt(peak, ',.0f')} "
            f"| {fmt(above, ',.0f')} | {note} |"
        )
    ratios = [
        f"- {n:,} rows: ours / LightGBM = **{ours_rate[n] / lgb_rate[n]:.1f}x**, "
        f"ours / shap = **{ours_rate[n] / shap_rate:.0f}x**"
        for n in SIZES
    ]
    total = time.perf_counter() - started
    md = [
        "# TreeSHAP benchmark: `explain.treeshap.hgb_shap_values`",
        "",
        "Generated by `bench/bench_treeshap.py`"
        + (" --full" if full else "")
        + f" in {total / 60:.1f} min.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        f"- load average (1/5/15 min) at start: {', '.join(f'{x:.2f}' for x in load_start)}; "
        f"at end: {', '.join(f'{x:.2f}' for x in load_end)}",
        "",
        "## Models",
        "",
        f"Same synthetic data ({N_TRAIN:,} training rows, {N_FEATURES} features: 12 Gaussian, "
        "4 log-normal, 4 integer counts, 3 binary, 2 with 10% NaN). "
        f"HGB: {models['hgb_trees']} trees, {models['hgb_mean_leaves']:.1f} leaves on average "
        f"(max_leaf_nodes=31, early_stopping=False), fit in {models['hgb_fit_s']:.1f} s. "
        f"LightGBM: {models['lgb_trees']} trees, {models['lgb_mean_leaves']:.1f} leaves on "
        f"average (num_leaves=31, 200 rounds, 2 threads), fit in {models['lgb_fit_s']:.1f} s. "
        "Rows explained are fresh draws from the same generator.",
        "",
        "## Throughput and memory",
        "",
        *table,
        "",
        *ratios,
        "",
        f"Ours includes flattening the trees and building the leaf tables on every call; "
        f"one-time numba compilation ({ours['compile_s']:.1f} s) is excluded (warm-up call). "
        "Memory: each method runs in a fresh worker process; *peak RSS* is that process's "
        "peak resident set size (VmHWM in `/proc/self/status`; not `ru_maxrss`, which Linux "
        "carries over from the parent across fork + exec) after the call (it includes the "
        f"{max(SIZES) * N_FEATURES * 8 / 2**20:,.0f} MB float64 evaluation matrix and the "
        "libraries), *peak above start* subtracts the RSS measured before the first timed "
        "call. Sizes run in increasing order in one worker, so the peak at 1M rows is the "
        "1M call's. Extrapolated rows were not run, so they have no memory figure.",
        "",
        f"## Agreement with shap (first {SHAP_SAMPLE:,} rows, float64)",
        "",
        f"- max |ours - shap| over all values: {check['max_abs_diff']:.2e}",
        f"- |expected_value difference|: {check['base_diff']:.2e}",
        f"- max |expected_value + sum(values) - predict|: {check['additivity']:.2e}",
        f"- max |float32 output - float64 output|: {check['ours_f32_vs_f64']:.2e}",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(md))
    print("\n".join(table))
    print("\n".join(ratios))
    print(f"wrote {RESULTS.relative_to(ROOT)} ({total / 60:.1f} min)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run LightGBM at 1M rows")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        worker(args.worker, [int(s) for s in args.sizes.split(",")])
    else:
        sys.path.insert(0, str(ROOT))
        main(args.full)
