"""Real-browser test: Debian's Chromium against `streamlit run`, every page of the app.

Pages are found through the sidebar navigation, so pages added to ``app/main.py`` later are
covered too. Every page is checked with axe-core (no serious or critical violation) and
screenshotted at a desktop width and a phone width, into ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_S = 90
STEP_MS = 180_000
DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
GRAVE = ("serious", "critical")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(runs_dir: Path, social_path: Path) -> Iterator[str]:
    """A `streamlit run` of the app on a free port, over the session's runs folder."""
    port = _free_port()
    env = {**os.environ, "SESAME_RUNS": str(runs_dir), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {process.stderr.read().decode()}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    """Debian's Chromium, driven by Playwright."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser: object, server: str, viewport: dict[str, int]) -> object:
    """A tab on the app at ``viewport``, collecting the browser console's warnings."""
    tab = browser.new_page(viewport=viewport)
    tab.set_default_timeout(STEP_MS)
    tab.console_warnings = []
    tab.on("console", lambda message: tab.console_warnings.append(message.text)
           if message.type in ("warning", "error") else None)
    tab.goto(server)
    tab.wait_for_selector("[data-testid=stMain] h1", timeout=STARTUP_S * 1000)
    return tab


@pytest.fixture(scope="module")
def page(browser: object, server: str) -> Iterator[object]:
    """A desktop-sized Chromium page on the app."""
    tab = _open(browser, server, DESKTOP)
    yield tab
    tab.close()


def _settle(tab: object) -> None:
    """Wait until the script run is over and every chart and table has painted."""
    # a rerun may start a moment after the action that caused it
    with contextlib.suppress(playwright.TimeoutError):
        tab.wait_for_selector("[data-testid=stApp][data-test-script-state=running]",
                              timeout=1500)
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    tab.wait_for_selector("[data-testid=stMain] h1")
    tab.wait_for_timeout(400)
    for selector, inner in (("[data-testid=stVegaLiteChart]", "canvas, svg"),
                            ("[data-testid=stDataFrame]", "canvas")):
        count = tab.locator(selector).count()
        for i in range(count):
            box = tab.locator(selector).nth(i)
            if box.is_visible():
                box.locator(inner).first.wait_for(state="attached")


def _no_exception(tab: object, where: str) -> None:
    errors = tab.locator("[data-testid=stException]")
    assert errors.count() == 0, f"{where}: {errors.first.inner_text()}"


def _shot(tab: object, name: str) -> None:
    """Screenshot the whole page: the app scrolls inside its main block, so grow the window."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = tab.viewport_size
    height = tab.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    tab.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    _settle(tab)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    tab.set_viewport_size(size)


def _grave_violations(tab: object) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(tab).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}; e.g. "
            f"{v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:200]}"
            for v in found if v["impact"] in GRAVE]


def _chart_labels(tab: object) -> list[str | None]:
    """The accessible name of every drawn chart (Vega puts it on the chart's container)."""
    views = tab.locator("[data-testid=stVegaLiteChart]")
    return [views.nth(i).get_attribute("aria-label") for i in range(views.count())]


def test_every_page_renders(page: object, browser: object, server: str) -> None:
    page.wait_for_selector("[data-testid=stSidebarNav] a")
    links = page.locator("[data-testid=stSidebarNav] a")
    names = _nav_names(page)
    main = (ROOT / "app" / "main.py").read_text()
    declared = re.findall(r'st\.Page\([^)]*\btitle="([^"]+)"', main)
    assert {"overview", "person", "drivers", "about"} <= {d.lower() for d in declared}
    assert [n.lower() for n in names] == [d.lower() for d in declared]
    addresses = [links.nth(i).get_attribute("href") for i in range(len(names))]
    problems = []
    for i, name in enumerate(names):
        links.nth(i).click()
        _settle(page)
        _no_exception(page, name)
        slug = name.lower().replace(" ", "-")
        _shot(page, f"page-{slug}")
        if slug in ("overview", "person", "drivers"):
            charts = page.locator("[data-testid=stVegaLiteChart]")
            assert charts.count() >= 1, f"{name}: no chart"
            assert charts.first.locator("canvas, svg").count() >= 1, f"{name}: chart not drawn"
        problems += [f"{name}: {v}" for v in _grave_violations(page)]
        problems += [f"{name}: a chart is labelled {label!r}" for label in _chart_labels(page)
                     if not label or label == "Vega visualization"]
    phone = _open(browser, server, PHONE)
    try:
        for name, address in zip(names, addresses, strict=True):
            phone.goto(address)
            phone.wait_for_selector("[data-testid=stMain] h1", timeout=STARTUP_S * 1000)
            _settle(phone)
            _no_exception(phone, f"{name} (phone)")
            wide = phone.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth")
            if wide > PHONE["width"]:
                problems.append(f"{name}: the page is {wide} px wide on a phone")
            _shot(phone, f"phone-{name.lower().replace(' ', '-')}")
        warnings = page.console_warnings + phone.console_warnings
    finally:
        phone.close()
    problems += [f"console: {w}" for w in warnings if "Dropping" in w]
    assert not problems, "\n".join(problems)


def _nav_names(tab: object) -> list[str]:
    links = tab.locator("[data-testid=stSidebarNav] a")
    return [links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())]


def _go(tab: object, title: str) -> None:
    names = [n.lower() for n in _nav_names(tab)]
    tab.locator("[data-testid=stSidebarNav] a").nth(names.index(title.lower())).click()
    _settle(tab)


def test_person_picker_and_what_if(page: object) -> None:
    _go(page, "Person")
    box = page.get_by_label("Person id", exact=True)
    box.fill("17")
    box.press("Enter")
    _settle(page)
    assert page.get_by_text("What the run holds about this person").count() == 1
    _no_exception(page, "person 17")

    box.fill("123456789")
    box.press("Enter")
    _settle(page)
    assert page.get_by_text("no person with id").count() >= 1
    _no_exception(page, "unknown person")
    box.fill("17")
    box.press("Enter")
    _settle(page)

    picker = page.locator("[data-testid=stMultiSelect]", has_text="Inputs to change")
    combo = picker.get_by_role("combobox")
    combo.click()
    combo.type("Bills paid")
    page.get_by_role("option", name="Bills paid on time").click()
    page.keyboard.press("Escape")
    _settle(page)
    page.get_by_label("Bills paid on time (a share from 0 to 1)").fill("1")
    page.keyboard.press("Enter")
    _settle(page)
    assert page.get_by_text("Score after the edit").count() == 1
    charts = page.locator("[data-testid=stVegaLiteChart]")
    assert charts.count() == 3
    _no_exception(page, "what-if")
    _shot(page, "person-what-if")

    page.get_by_label("Bills paid on time (a share from 0 to 1)").fill("7")
    page.keyboard.press("Enter")
    _settle(page)
    assert page.get_by_text("outside the range seen").count() == 1
    _no_exception(page, "what-if out of range")
