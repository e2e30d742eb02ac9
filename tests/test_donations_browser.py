"""Real-browser test of the "Audit from donations" page: a campaign run and drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STARTUP_S,
    STEP_MS,
    _no_exception,
    _serve,
    playwright,
)
from test_browser import _settle as settle
from test_browser import _shot as shot

from sesame_audit.model.runs.run import Run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tab(proxy_run: Run) -> Iterator[object]:
    """Chromium on the donations page of the app, over the small proxy run."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    with _serve(proxy_run.path.parent) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_MS * 3)
        page.goto(f"{url}/donations?run={proxy_run.path.name}")
        page.wait_for_selector("[data-testid=stMain] h1", timeout=STARTUP_S * 1000)
        yield page
        browser.close()


def test_a_campaign_is_drawn_in_the_browser(tab: object) -> None:
    settle(tab)
    assert tab.get_by_text("Set up a campaign and run it").count() == 1
    requests = tab.get_by_label("People who request their record")
    requests.fill("1500")
    tab.get_by_role("button", name="Run the campaign").click()
    tab.get_by_text("donated it").first.wait_for()  # simulating and fitting take a while
    settle(tab)
    _no_exception(tab, "donations")
    charts = tab.locator("[data-testid=stVegaLiteChart]")
    assert charts.count() >= 1
    assert charts.first.locator("canvas, svg").count() >= 1
    shot(tab, "donations-campaign")
