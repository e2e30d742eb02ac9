"""Load test: concurrent browser sessions touring every page of a deployment-mode server.

Starts ``streamlit run app/main.py`` in deployment mode on the loopback address over a runs
folder holding the default run, then opens ``--sessions`` browser contexts of one Debian
Chromium at once. Each session opens the dashboard and visits every page of the sidebar in
turn, as a visitor clicking through. The run is bounded: at most ``--sessions`` contexts (at
most 60), each step waits at most ``--step-s`` seconds, and the whole test stops after
``--limit-s`` seconds, counting what was not done as errors.

It records the errors (an exception box on a page, a page error in the browser, a step that
timed out, a request to another host), the time from a click to the end of the page's script
run as each session saw it, and the server's memory (resident set of the server process,
sampled every half second). Results go to ``bench/results/load.md``.

Usage::

    python bench/bench_load.py [--sessions 30] [--runs RUNS_FOLDER]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from machine import describe
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "load.md"
DEFAULT_RUN = "social-credit-n20000-s0"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
MAX_SESSIONS = 60


@dataclass
class Session:
    """What one browser session saw."""

    times_ms: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    outside: set[str] = field(default_factory=set)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 once it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def _start_server(runs: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SESAME_RUNS": str(runs), "SESAME_DEPLOYMENT": "on",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start within 120 s")


async def _settled(page: Page, step_ms: int) -> None:
    """Wait until the page's script run is over and its heading is shown."""
    # the run may be over already, or not started yet: the next wait decides
    with contextlib.suppress(PlaywrightTimeout):
        await page.wait_for_selector("[data-testid=stApp][data-test-script-state=running]",
                                     timeout=1500)
    await page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",
                                 timeout=step_ms)
    await page.wait_for_selector("[data-testid=stMain] h1", timeout=step_ms)


async def _tour(browser: Browser, url: str, seen: Session, step_ms: int) -> None:
    """Open the dashboard in a fresh context and visit every sidebar page once."""
    host = urlparse(url).netloc
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
    page.on("request", lambda request: (urlparse(request.url).netloc not in {host, ""}
                                        and not request.url.startswith("data:")
                                        and seen.outside.add(request.url)))
    try:
        started = time.perf_counter()
        await page.goto(f"{url}/?run={DEFAULT_RUN}", timeout=step_ms)
        await _settled(page, step_ms)
        seen.times_ms["(open)"] = (time.perf_counter() - started) * 1000
        links = page.locator("[data-testid=stSidebarNavLink]")
        titles = [(await links.nth(i).inner_text()).strip().splitlines()[-1].strip()
                  for i in range(await links.count())]
        for i, title in enumerate(titles):
            started = time.perf_counter()
            await links.nth(i).click(timeout=step_ms)
            await _settled(page, step_ms)
            seen.times_ms[title] = (time.perf_counter() - started) * 1000
            if await page.locator("[data-testid=stException]").count():
                seen.errors.append(f"exception shown on {title}")
    except PlaywrightTimeout as error:
        seen.errors.append(f"timed out: {str(error).splitlines()[0]}")
    finally:
        await context.close()


async def _load(url: str, sessions: int, step_s: float, limit_s: float) -> list[Session]:
    seen = [Session() for _ in range(sessions)]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tours = [asyncio.create_task(_tour(browser, url, s, int(step_s * 1000))) for s in seen]
        _, pending = await asyncio.wait(tours, timeout=limit_s)
        for task in pending:
            task.cancel()
        for task, session in zip(tours, seen, strict=True):
            if task in pending:
                session.errors.append(f"not finished within {limit_s:.0f} s")
            elif task.exception() is not None:
                session.errors.append(f"failed: {task.exception()!r}")
        await browser.close()
    return seen


def _ensure_default_run(runs: Path) -> None:
    if (runs / DEFAULT_RUN / "manifest.json").is_file():
        return
    subprocess.run([str(Path(sys.executable).parent / "sesame-audit"), "build", "--policy",
                    "social-credit", "--n", "20000", "--seed", "0", "--out",
                    str(runs / DEFAULT_RUN)], check=True, cwd=ROOT)


def _report(seen: list[Session], memory: list[float], wall_s: float, sessions: int,
            load: tuple[float, float, float]) -> str:
    pages = list(dict.fromkeys(name for s in seen for name in s.times_ms))
    errors = [e for s in seen for e in s.errors]
    outside = sorted({u for s in seen for u in s.outside})
    lines = ["# Load test: concurrent sessions on one deployment-mode server", "",
             describe(),
             f"- load average before the test (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, "
             f"{load[2]:.1f}",
             "", f"{sessions} browser contexts of one Chromium, all started at once, each "
             "opening the dashboard (deployment mode, default run) and clicking through every "
             "page of the sidebar. Server and browser share the machine's cores, so page times "
             "include the browser's own work. Times are from the click to the end of the "
             "page's script run, as the session saw it.", "",
             f"- sessions: {sessions}; finished tours: "
             f"{sum(1 for s in seen if not s.errors and len(s.times_ms) == len(pages))}",
             f"- errors: {len(errors)}",
             f"- requests to another host: {len(outside)}",
             f"- wall time of the whole test: {wall_s:.1f} s",
             f"- server memory (resident): start {memory[0]:.0f} MB, peak {max(memory):.0f} MB, "
             f"end {memory[-1]:.0f} MB", "",
             "| page | sessions | median s | 90th percentile s | max s |",
             "|---|---:|---:|---:|---:|"]
    for name in pages:
        times = sorted(s.times_ms[name] / 1000 for s in seen if name in s.times_ms)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        lines.append(f"| {name} | {len(times)} | {statistics.median(times):.1f} | "
                     f"{p90:.1f} | {times[-1]:.1f} |")
    if errors:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in sorted(set(errors))]
    if outside:
        lines += ["", "Requests to other hosts:", ""] + [f"- {u}" for u in outside]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the load test and write ``bench/results/load.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--runs", type=Path, default=Path(os.environ.get("SESAME_RUNS",
                                                                          ROOT / "runs")))
    parser.add_argument("--step-s", type=float, default=180.0, help="longest wait per page")
    parser.add_argument("--limit-s", type=float, default=900.0, help="longest whole test")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    runs = args.runs.resolve()
    _ensure_default_run(runs)
    load = os.getloadavg()
    port = _free_port()
    server = _start_server(runs, port)
    memory = [_rss_mb(server.pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            memory.append(_rss_mb(server.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        seen = asyncio.run(_load(f"http://127.0.0.1:{port}", args.sessions, args.step_s,
                                 args.limit_s))
    finally:
        wall_s = time.perf_counter() - started
        stop.set()
        sampler.join()
        memory.append(_rss_mb(server.pid))
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # sessions still open: stop it outright
            server.kill()
            server.wait()
    text = _report(seen, memory, wall_s, args.sessions, load)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    if any(s.errors or s.outside for s in seen):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
