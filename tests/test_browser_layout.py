"""Real-browser layout of the Policy editor, Own model, Donations and Outcomes pages.

Each page is drawn at a phone's width (390 px) and a desktop's (1440 px), with its charts
filled in (a donation campaign run, an imported classifier with recorded outcomes), and
screenshotted into ``tests/artifacts/layout-<page>-<width>.png``. At either width no text
or chart may run past the page's right edge, and every chart must be labelled for a
screen reader, and headings may not skip a level.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from outcome_inputs import import_outcome_run
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    STARTUP_S,
    STEP_MS,
    _chart_labels,
    _no_exception,
    _serve,
    playwright,
)
from test_browser import _settle as settle
from test_browser import _shot as shot

pytestmark = pytest.mark.browser

# Elements whose right edge may not pass the page's: text, headings, charts, tables.
_OVERFLOW = """(width) => {
  const main = document.querySelector('[data-testid=stMain]');
  const found = [];
  for (const el of main.querySelectorAll(
      'h1, h2, h3, p, li, label, [data-testid=stVegaLiteChart], [data-testid=stDataFrame], '
      + '[data-testid=stMetric], [data-testid=stAlert]')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      found.push(`${el.tagName.toLowerCase()} ${el.dataset.testid || ''}: right edge `
                 + `${Math.round(box.right)} px: ${(el.innerText || '').slice(0, 60)}`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def layout_runs(social_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with the small social-credit run and an imported classifier."""
    folder = tmp_path_factory.mktemp("layout")
    import_outcome_run(folder, "loans")
    shutil.copytree(social_path, folder / "runs" / social_path.name)
    return folder / "runs"


@pytest.fixture(scope="module")
def browser(layout_runs: Path) -> Iterator[tuple[object, str]]:
    """Chromium, and the address of a `streamlit run` over ``layout_runs``."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    with _serve(layout_runs) as url, playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched, url
        launched.close()


def _campaign(tab: object) -> None:
    """Run a small donation campaign and open its power curves."""
    tab.get_by_label("People who request their record").fill("1500")
    tab.get_by_role("button", name="Run the campaign").click()
    tab.get_by_text("donated it").first.wait_for()
    settle(tab)
    tab.get_by_role("button", name="Simulate campaigns of every size").click()
    tab.get_by_text("simulated campaigns per size").first.wait_for()
    settle(tab)


def _rebuild(tab: object) -> None:
    """Switch on Teacher mode in the sidebar and rebuild the population with the rules."""
    opener = tab.locator("[data-testid=stExpandSidebarButton]")
    if opener.is_visible():  # a phone starts with the sidebar closed
        opener.click()
    tab.locator("[data-testid=stSidebar]").get_by_text(
        "Teacher mode: reveal the hidden rules").click()
    settle(tab)
    closer = tab.locator("[data-testid=stSidebarCollapseButton] button")
    if tab.viewport_size["width"] < 600 and closer.count():
        closer.first.click()
    tab.get_by_role("button", name="Rebuild with these rules").click()
    tab.get_by_text("Each line is the share of people").first.wait_for()
    settle(tab)


PAGES = {  # slug -> (address, run, what to do before the screenshot)
    "policy-editor": ("policy_editor", "social-credit-n2000-s0", _rebuild),
    "own-model": ("own", "social-credit-n2000-s0", None),
    "donations": ("donations", "social-credit-n2000-s0", _campaign),
    "outcomes": ("outcomes", "loans", None),
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("slug", list(PAGES))
def test_page_fits_its_width(browser: tuple[object, str], slug: str,
                             viewport: dict[str, int]) -> None:
    launched, url = browser
    address, run, action = PAGES[slug]
    tab = launched.new_page(viewport=viewport)
    tab.set_default_timeout(STEP_MS * 3)
    try:
        tab.goto(f"{url}/{address}?run={run}")
        tab.wait_for_selector("[data-testid=stMain] h1", timeout=STARTUP_S * 1000)
        settle(tab)
        if action is not None:
            action(tab)
        _no_exception(tab, slug)
        shot(tab, f"layout-{slug}-{viewport['width']}")
        assert tab.evaluate(_OVERFLOW, viewport["width"]) == []
        levels = tab.evaluate("[...document.querySelectorAll('[data-testid=stMain] "
                              "h1, [data-testid=stMain] h2, [data-testid=stMain] h3, "
                              "[data-testid=stMain] h4')].map(h => +h.tagName[1])")
        assert levels[:1] == [1]
        assert [(a, b) for a, b in pairwise(levels) if b > a + 1] == []  # no skips
        assert all(label and label != "Vega visualization" for label in _chart_labels(tab))
    finally:
        tab.close()
