"""Real-browser test: Debian's Chromium against `streamlit run`, every page of the app.

Pages are found through the sidebar navigation, so pages added to ``app/main.py`` later are
covered too. Every page is checked with axe-core (no serious or critical violation) and
screenshotted at a desktop width and a phone width, into ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
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
from playwright import sync_api as playwright  # a dev dependency: `make setup` installs it

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


@contextlib.contextmanager
def _serve(runs: Path, **environ: str) -> Iterator[str]:
    """A `streamlit run` of the app on a free port over ``runs``; yields its address."""
    port = _free_port()
    env = {**os.environ, "SESAME_RUNS": str(runs), "OMP_NUM_THREADS": "1", **environ}
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
def server(runs_dir: Path, social_path: Path) -> Iterator[str]:
    """A `streamlit run` of the app on a free port, over the session's runs folder."""
    with _serve(runs_dir) as url:
        yield url


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


@pytest.fixture(scope="module")
def three_runs(runs_dir: Path, social_path: Path) -> list[str]:
    """The social-credit run and two imported ones (named to sort after it)."""
    from own_inputs import CLASSIFIER_ROLES, ROLES, classifier, regressor, skops_bytes, table

    from sesame_audit.model.importing.importer import import_files

    folder = runs_dir.parent / f"{runs_dir.name}-inputs"
    folder.mkdir(exist_ok=True)
    frame = table()
    (folder / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "c.skops").write_bytes(skops_bytes(classifier(frame)))
    (folder / "r.skops").write_bytes(skops_bytes(regressor(frame)))
    (folder / "c.toml").write_text(CLASSIFIER_ROLES)
    (folder / "r.toml").write_text('unit = "EUR"\n' + ROLES)
    names = [social_path.name, "zz-browser-approvals", "zz-browser-prices"]
    for name, model, roles in ((names[1], "c.skops", "c.toml"), (names[2], "r.skops", "r.toml")):
        if not (runs_dir / name / "manifest.json").is_file():
            import_files(folder / "t.csv", folder / model, folder / roles, runs_dir / name)
    return names


def _names_run(tab: object, name: str, where: str) -> None:
    caption = tab.locator("[data-testid=stMain] [data-testid=stCaptionContainer]",
                          has_text=f"Run {name} ·")
    assert caption.count() >= 1, f"{where}: the page does not name run {name}"
    assert f"run={name}" in tab.url, f"{where}: the address lost the run ({tab.url})"


def _every_page_names(tab: object, name: str, how: str) -> None:
    for title in _nav_names(tab):
        _go(tab, title)
        _no_exception(tab, f"{title} on {name}")
        _names_run(tab, name, f"{title} ({how})")


def _pick_in_sidebar(tab: object, name: str) -> None:
    box = tab.locator("[data-testid=stSidebar] [data-testid=stSelectbox]",
                      has_text="Run (scenario)")
    box.get_by_role("combobox").click()
    tab.get_by_role("option", name=name, exact=True).click()
    _settle(tab)


def test_the_chosen_run_stays_on_every_page(page: object, server: str,
                                            three_runs: list[str]) -> None:
    page.set_default_timeout(3 * STEP_MS)  # 36 page visits, some searching recourse
    for name in three_runs:  # by address
        page.goto(f"{server}/?run={name}")
        _settle(page)
        _every_page_names(page, name, "link")
    page.goto(server)
    _settle(page)
    for name in reversed(three_runs):  # by the sidebar
        _pick_in_sidebar(page, name)
        _names_run(page, name, "after choosing")
        _every_page_names(page, name, "sidebar")
        _go(page, "Person")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download this explanation (JSON)").click()
        assert name in download.value.suggested_filename
        saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert saved["run"]["name"] == name and len(saved["run"]["manifest_hash"]) == 12
    page.goto(f"{server}/?run=no-such-run")
    _settle(page)
    assert page.get_by_text("which is not in the runs folder").count() == 1
    _no_exception(page, "unknown run in the address")


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder holding one imported run whose names are Markdown, HTML and links."""
    import hashlib

    from own_inputs import hostile_inputs

    from sesame_audit.model.importing.importer import import_run, read_model
    from sesame_audit.model.importing.roles_file import parse_roles_bytes
    from sesame_audit.model.importing.table_file import read_table

    runs = tmp_path_factory.mktemp("hostile-runs")
    table_bytes, model, roles = hostile_inputs()
    import_run(read_table(table_bytes, "people.csv"), read_model(model, "model.skops"),
               parse_roles_bytes(roles, "roles.toml"), runs / "hostile",
               table_name="people.csv", table_sha256=hashlib.sha256(table_bytes).hexdigest())
    return runs


LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_no_request_leaves_and_no_markup_from_names(page: object, hostile_runs: Path) -> None:
    """Tour every page of a run with hostile names: every request stays on the app's host."""
    from urllib.parse import urlsplit

    from own_inputs import BOLD, IMAGE, TAG

    requests: list[str] = []
    with _serve(hostile_runs) as url:
        tab = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(3 * STEP_MS)  # each page opens a run nothing has cached yet
        tab.on("request", lambda request: requests.append(request.url))
        tab.goto(url)
        tab.wait_for_selector("[data-testid=stMain] h1", timeout=STARTUP_S * 1000)
        tab.wait_for_selector("[data-testid=stSidebarNav] a")
        markup, texts = [], []
        for name in _nav_names(tab):
            _go(tab, name)
            _no_exception(tab, name)
            texts.append(tab.locator("[data-testid=stMain]").inner_text().replace("\u2060", ""))
            markup += tab.evaluate("""() => [
                ...[...document.querySelectorAll('img')].map(e => 'img ' + e.src)
                    .filter(s => !s.startsWith('img data:') && !/\\/static\\/|\\/media\\//
                        .test(s)),
                ...[...document.querySelectorAll('a[href]')].map(e => 'a ' + e.href)
                    .filter(s => s.includes('example.invalid')),
                ...[...document.querySelectorAll('script')].map(e => 'script ' + e.text)
                    .filter(s => s.includes('alert(1)')),
                ...[...document.querySelectorAll('strong')].map(e => 'strong ' + e.innerText)
                    .filter(s => s === 'strong bold'),
            ]""")
        tab.close()
    outside = sorted({u for u in requests
                      if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert not outside, outside
    assert not markup, markup
    assert len(texts) >= 10  # every page was visited
    # The names reached the pages, shown as the text they are.
    assert any(name in text for name in (IMAGE, TAG, BOLD) for text in texts)
