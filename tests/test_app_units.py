"""Imported runs on every page: the score's own unit, no synthetic-world text, the run named.

Three runs are imported from the small credit-like table of ``own_inputs``: a logistic
regression scored as a probability, the same scored in log-odds, and a ridge regression
whose roles file says its score is in EUR.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from own_inputs import CLASSIFIER_ROLES, ROLES, classifier, regressor, skops_bytes, table
from streamlit.testing.v1 import AppTest

from sesame_audit.model.audit.fairness import CLEAR
from sesame_audit.model.audit.headline import penalty_of
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
PAGES = ["overview", "person", "drivers", "fairness", "proxies", "friends", "outcomes",
         "recourse", "hidden_rules", "policy_editor", "lessons", "own", "donations", "about"]
TEXTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success",
         "error", "text")
SCORE_POINTS = re.compile(r"(?<!percentage )\bpoints?\b", re.IGNORECASE)
SYNTHETIC_WORDS = re.compile(r"hukou|press report|social graph|sesame credit|reward tier|perks"
                             r"|hidden rules stay hidden", re.IGNORECASE)
GENERATED_TIER = re.compile(r"at (least|most) [\d.]+ tier|\(band\)\)")  # made from a number
PERCENT = re.compile(r"\d\.\d%")
RAW_FLOAT = re.compile(r"\d\.\d{6,}")  # a number printed as Python stores it


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with three imported runs: probability, log-odds and EUR."""
    folder = tmp_path_factory.mktemp("units")
    frame = table()
    (folder / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (folder / "c.skops").write_bytes(skops_bytes(classifier(frame)))
    (folder / "r.skops").write_bytes(skops_bytes(regressor(frame)))
    for name, roles, model in (
            ("approvals-p", CLASSIFIER_ROLES + 'output = "probability"\n', "c.skops"),
            ("approvals-lo", CLASSIFIER_ROLES + 'output = "log_odds"\n', "c.skops"),
            ("prices-eur", 'unit = "EUR"\n' + ROLES, "r.skops")):
        (folder / f"{name}.toml").write_text(roles)
        import_files(folder / "t.csv", folder / model, folder / f"{name}.toml",
                     folder / "runs" / name)
    return folder / "runs"


def _spec_titles(value: object) -> list[str]:
    """Every title, subtitle and tooltip title in a chart spec."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("title", "subtitle", "text") and isinstance(item, str):
                found.append(item)
            elif key in ("title", "subtitle", "text") and isinstance(item, list):
                found += [str(i) for i in item]
            else:
                found += _spec_titles(item)
    elif isinstance(value, list):
        for item in value:
            found += _spec_titles(item)
    return found


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def _words(at: AppTest) -> str:
    """All the text a page shows: elements, metrics, expander labels, chart titles."""
    parts = [str(e.value) for kind in TEXTS for e in at.get(kind)]
    parts += [f"{m.label} {m.value} {m.proto.delta}" for m in at.metric]
    parts += [e.label for e in at.expander]
    parts += [t for spec in _charts(at) for t in _spec_titles(spec)]
    return "\n".join(parts)


def _visit(runs: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Open the app on run ``name`` and return each page's text."""
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = name
    at.run()
    seen = {}
    for page in PAGES:
        at.switch_page(f"views/{page}.py")
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        seen[page] = _words(at)
        assert at.session_state["run_name"] == name, page
    return seen


@pytest.mark.parametrize("name", ["approvals-p", "approvals-lo", "prices-eur"])
def test_every_page_speaks_the_run_unit_and_names_it(imported, name, monkeypatch) -> None:
    seen = _visit(imported, name, monkeypatch)
    run = load_run(imported / name)
    for page, words in seen.items():
        assert not SCORE_POINTS.search(words), (page, SCORE_POINTS.search(words))
        assert not SYNTHETIC_WORDS.search(words), (page, SYNTHETIC_WORDS.search(words))
        assert f"Run {name}" in words, page
        assert "synthetic data" not in words, page
        assert not RAW_FLOAT.search(words), (page, RAW_FLOAT.search(words))
        assert not GENERATED_TIER.search(words), (page, GENERATED_TIER.search(words))
    everything = "\n".join(seen.values())
    penalty = penalty_of(run)
    if penalty is not None and penalty.finding != CLEAR:  # no accusation without a finding
        assert "penalised" not in seen["overview"] and "penalises" not in seen["overview"]
        assert "No group clearly falls behind" in seen["overview"]
    if name == "approvals-p":
        assert PERCENT.search(seen["overview"]) and PERCENT.search(seen["person"])
        assert "percentage points" in seen["drivers"]
    elif name == "approvals-lo":
        assert "log-odds" in seen["overview"] and "log-odds" in seen["drivers"]
        # the threshold the roles file gave as a probability, written as typed
        assert "probability 0.5" in seen["overview"]
    else:
        assert "EUR" in seen["overview"] and "EUR" in seen["person"]
    overview = seen["overview"]
    if run.roles.task == "classification":
        assert "Decisions matching the recorded outcome" in overview
        assert "Ranking quality (AUC)" in overview
    else:
        assert "Model accuracy (in-sample R²)" in overview
    assert "(0+)" not in everything and "(1+)" not in everything


def test_the_flip_test_gives_a_number_as_a_person_reads_it(imported, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(imported))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = "prices-eur"
    at.run()
    at.switch_page("views/proxies.py").run()
    at.selectbox(key="proxy_attribute").set_value("sex").run()
    at.selectbox(key="flip_feature").set_value("income").run()
    assert not at.exception, [e.value for e in at.exception]
    people = load_run(imported / "prices-eur").people
    largest = people["sex"].value_counts().idxmax()
    median = float(people.loc[people["sex"] == largest, "income"].median())  # by hand
    assert median != round(median, 2) or f"{median:,.4g}" != f"{median}"
    titles = [t for spec in _charts(at) for t in _spec_titles(spec)]
    assert f"Mean score if everyone had income = {median:,.4g}" in " ".join(titles)
    assert not any(RAW_FLOAT.search(t) for t in titles)
    shown = [c.value.replace("\\", "") for c in at.caption]  # Markdown escapes removed
    assert any(f"median income of the largest group, {largest}: {median:,.4g}" in c
               for c in shown)


def test_an_attribute_read_through_an_input_is_never_called_unread(tmp_path, monkeypatch
                                                                   ) -> None:
    frame = table()
    frame["age_band"] = np.where(frame["age"] < 40, "under 40", "40 and over")  # from age
    (tmp_path / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "r.skops").write_bytes(skops_bytes(regressor(frame)))
    (tmp_path / "r.toml").write_text(ROLES.replace('sensitive = ["sex", "age"]',
                                                   'sensitive = ["sex", "age_band"]'))
    import_files(tmp_path / "t.csv", tmp_path / "r.skops", tmp_path / "r.toml",
                 tmp_path / "runs" / "bands")
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = "bands"
    at.run()
    at.switch_page("views/person.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "the model does not read them" not in said
    assert "the model reads some of them" in said
    uses = dict(zip(at.dataframe[-1].value["Data"], at.dataframe[-1].value["Use"], strict=True))
    assert uses["age_band"] == "⚠ sensitive, read by the model through age"
    assert uses["sex"] == "⚠ sensitive, not read by the model"


def test_a_tier_made_from_a_probability_is_named_by_it_on_a_log_odds_axis(imported) -> None:
    from sesame_audit.app.charts import score_histogram_chart
    from sesame_audit.model.figures.population import score_histogram, tier_reach_table

    run = load_run(imported / "approvals-lo")
    scores = np.asarray(run.explanation.prediction, float)
    assert run.roles.tiers[0].min_score == 0.0  # probability 0.5 is 0 on the log-odds
    spec = score_histogram_chart(score_histogram(scores, run.roles),
                                 tier_reach_table(scores, run.roles), roles=run.roles).to_dict()
    names = {row["name"] for data in spec["datasets"].values() for row in data if "name" in row}
    assert names == {"probability 0.5"}, names


def test_histogram_bands_follow_the_range(imported, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(imported))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = "approvals-p"
    at.run()
    assert not at.exception
    import pyarrow as pa

    element = at.get("vega_lite_chart")[1]  # after the headline chart
    rows = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in element.proto.datasets]
    bands = next(r for r in rows if "people" in r)
    assert len(bands) == 50  # 1/50 of the 0-1 range: bands of 0.02
    assert bands["end"].iloc[0] - bands["start"].iloc[0] == pytest.approx(0.02)
    assert int(bands["people"].sum()) == 150


def test_principal_reasons_on_a_probability(imported, monkeypatch) -> None:
    run = load_run(imported / "approvals-p")
    values = run.explanation.values.to_numpy()
    row = int(np.argmin(values.min(axis=1)))  # the person pushed down the most
    person = str(run.people[run.roles.id].iloc[row])
    monkeypatch.setenv("SESAME_RUNS", str(imported))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = "approvals-p"
    at.run()
    at.switch_page("views/person.py")
    at.run()
    at.text_input(key="person_id").input(person).run()
    assert not at.exception
    reasons = [m.value for m in at.markdown if "lowered the score by" in m.value]
    assert reasons, "no principal reason for the person pushed down the most"
    assert all("percentage points" in r for r in reasons)
    push = -values[row].min() * 100
    assert escape_markdown(f"{push:.1f} percentage points") in reasons[0]


def test_switching_run_forgets_the_old_runs_choices(imported, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(imported))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state["run_name"] = "approvals-p"
    at.run()
    at.switch_page("views/person.py")
    at.run()
    at.text_input(key="person_id").input("1149").run()
    assert not at.exception and not at.error
    assert at.query_params["run"] == ["approvals-p"] or at.query_params["run"] == "approvals-p"
    at.selectbox(key="run_picker").set_value("prices-eur").run()
    assert not at.exception and not at.error
    assert at.session_state["run_name"] == "prices-eur"
    assert at.text_input(key="person_id").value == "1000"  # the new run's first person
    assert any("Run prices-eur ·" in c.value for c in at.caption)
    at.switch_page("views/drivers.py")
    at.run()
    assert at.selectbox(key="run_picker").value == "prices-eur"
    assert any("Run prices-eur ·" in c.value for c in at.caption)


def test_an_address_opens_a_run_or_says_why_not(imported, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(imported))
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params["run"] = "approvals-lo"
    at.run()
    assert not at.exception
    assert at.session_state["run_name"] == "approvals-lo"
    assert any("Run approvals-lo ·" in c.value for c in at.caption)
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params["run"] = "no-such-run"
    at.run()
    assert not at.exception
    assert any("`no-such-run`, which is not in the runs folder" in w.value for w in at.warning)
    assert at.session_state["run_name"] == "approvals-lo"  # the first run: no default here
