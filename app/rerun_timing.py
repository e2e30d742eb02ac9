"""Time the dashboard's whole reruns with Streamlit's AppTest, for ``bench/bench_app.py``.

It lives in ``app/`` because it drives the pages through streamlit; the benchmark only
reports the figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parent / "main.py"
Timer = Callable[[Callable[[int], object]], float]


def rerun_times(path: Path, timer: Timer) -> dict[str, float]:
    """Time whole reruns of the main interactions, caches warm (first runs excluded).

    Parameters
    ----------
    path : pathlib.Path
        A run folder; its parent is used as the runs folder.
    timer : callable
        ``timer(step)`` returns the time of ``step(i)`` over repeated calls, in ms.

    Returns
    -------
    dict
        Milliseconds per rerun: switching person, a what-if edit, switching feature, switching
        the attribute groups are compared by.

    Raises
    ------
    RuntimeError
        When a page raised an exception.
    """
    os.environ["SESAME_RUNS"] = str(path.parent)
    at = AppTest.from_file(str(MAIN), default_timeout=600)
    at.session_state["run_name"] = path.name
    at.run()
    at.switch_page("views/person.py")
    at.run()

    def person(i: int) -> None:
        at.text_input(key="person_id").input(str(10 + i)).run()

    person_ms = timer(person)
    at.multiselect(key="wi_features").set_value(["payment_history"]).run()

    def edit(i: int) -> None:
        at.number_input(key="wi_payment_history").set_value(0.9 + 0.01 * (i + 1)).run()

    what_if_ms = timer(edit)
    at.switch_page("views/drivers.py")
    at.run()
    features = ["payment_history", "district", "friends_mean_score", "device",
                "monthly_income"]

    def feature(i: int) -> None:
        at.selectbox(key="dep_feature").set_value(features[i % len(features)])
        at.selectbox(key="dep_colour").set_value("ethnicity").run()

    feature_ms = timer(feature)
    at.switch_page("views/fairness.py")
    at.run()
    attributes = ["hukou", "gender", "age_group", "political_opinion", "ethnicity"]

    def attribute(i: int) -> None:
        at.selectbox(key="fair_attribute").set_value(attributes[i % len(attributes)]).run()

    fairness_ms = timer(attribute)
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception}")
    return {"rerun_switch_person_ms": person_ms, "rerun_what_if_ms": what_if_ms,
            "rerun_switch_feature_ms": feature_ms, "rerun_fairness_ms": fairness_ms}


PAGES = ("overview", "person", "drivers", "fairness", "proxies", "friends", "recourse",
         "hidden_rules", "lessons", "about")


def page_times(path: Path) -> dict[str, tuple[float, float]]:
    """Time opening each page: first (caches cold for this run) and again (caches warm).

    Parameters
    ----------
    path : pathlib.Path
        A run folder; its parent is used as the runs folder.

    Returns
    -------
    dict
        Page -> (first open ms, next rerun ms).

    Raises
    ------
    RuntimeError
        When a page raised an exception.
    """
    os.environ["SESAME_RUNS"] = str(path.parent)
    at = AppTest.from_file(str(MAIN), default_timeout=900)
    at.session_state["run_name"] = path.name
    found = {}
    for page in PAGES:
        if page != "overview":
            at.switch_page(f"views/{page}.py")
        times = []
        for _ in range(2):
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(f"the {page} page raised: {at.exception}")
        found[page] = (times[0], times[1])
    return found
