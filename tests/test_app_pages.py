"""The dashboard's pages under Streamlit's AppTest: titles, widgets, charts and bad states."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sesame_audit.model.build.write import write_run
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.person.explained import explain_person
from sesame_audit.model.runs import run, stored
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
TIMEOUT = 120


def _app(run_name: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    if run_name is not None:
        at.session_state["run_name"] = run_name
    return at


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def _chart_rows(at: AppTest, index: int) -> pd.DataFrame:
    """The data a chart was sent with (Streamlit moves it out of the spec, as Arrow)."""
    element = at.get("vega_lite_chart")[index]
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
              for d in element.proto.datasets]
    return pd.concat(frames, ignore_index=True)


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def social(social_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the session's small social-credit run."""
    monkeypatch.setenv("SESAME_RUNS", str(social_path.parent))
    at = _app(social_path.name)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview(social: AppTest, social_run) -> None:
    assert social.title[0].value == "What does this score decide, and how is it spread?"
    charts = _charts(social)
    assert len(charts) == 3
    # it leads with who is penalised: the sentence, then its chart, before the spread
    from sesame_audit.model.audit.headline import penalty_of, penalty_sentence

    sentence = penalty_sentence(penalty_of(social_run), social_run.roles,
                                social_run.roles.labels)
    assert social.markdown[0].value == f"**{escape_markdown(sentence)}**"
    assert charts[0]["description"].startswith(sentence)
    assert charts[1]["title"]["text"] == ["How are scores spread?"]
    metrics = {m.label: m.value for m in social.metric}
    assert metrics["People"] == f"{len(social_run.people):,}"
    assert metrics["Model accuracy (held-out R²)"] == f"{social_run.manifest['metrics']['r2']:.3f}"
    assert social.selectbox(key="run_picker").value == social_run.path.name
    text = " ".join(m.value for m in social.markdown)
    assert "Credit history" in text and "Interpersonal relationships" in text
    assert any("below 550" in w.value for w in social.warning)


def test_person_by_id_and_unknown_id(social: AppTest, social_run) -> None:
    at = _open(social, "person")
    assert at.title[0].value == "Why does this person have this score?"
    assert len(_charts(at)) == 1
    at.text_input(key="person_id").input("42").run()
    expected = explain_person(social_run, 42)
    assert at.metric[0].value == f"{expected.score:.0f} points"
    assert expected.next_tier is not None  # person 42 has a tier above theirs
    assert at.metric[2].label == "Next tier"  # the distance as a caption: a metric's value
    assert len(at.metric[2].value) <= 18      # is cut past about 18 characters
    away = f"{expected.points_to_next:.1f} points away"
    assert any(c.value in (away, escape_markdown(away)) for c in at.caption)
    assert [m.value for m in at.markdown if m.value.startswith("- ")][:len(expected.reasons)] \
        == [f"- {escape_markdown(r.text)}" for r in expected.reasons]
    at.text_input(key="person_id").input("no-such-person").run()
    assert not at.exception
    assert any("no person with id" in e.value for e in at.error)
    assert len(_charts(at)) == 0


def test_person_what_if(social: AppTest) -> None:
    at = _open(social, "person")
    at.text_input(key="person_id").input("7").run()
    at.multiselect(key="wi_features").select("payment_history").select("device").run()
    assert not at.exception, at.exception
    at.number_input(key="wi_payment_history").set_value(1.0)
    at.selectbox(key="wi_device").set_value("iphone").run()
    assert len(_charts(at)) == 3
    assert any(m.label == "Score after the edit" for m in at.metric)
    at.number_input(key="wi_payment_history").set_value(5.0).run()
    assert not at.exception
    assert any("outside the range seen" in e.value for e in at.error)


def test_person_search_and_someone_like_me(social: AppTest, social_run) -> None:
    at = _open(social, "person")
    at.radio(key="person_mode").set_value("Search with filters").run()
    at.selectbox(key="search_column").set_value("ethnicity").run()
    at.selectbox(key="search_value").set_value("minority_b").run()
    assert not at.exception, at.exception
    chosen = at.selectbox(key="search_pick").value
    assert social_run.people.loc[social_run.row(chosen), "ethnicity"] == "minority_b"
    at.radio(key="person_mode").set_value("Someone like me").run()
    at.multiselect(key="like_columns").set_value(["district", "monthly_income"]).run()
    at.selectbox(key="like_district").set_value("D8")
    at.number_input(key="like_monthly_income").set_value(4000.0).run()
    assert not at.exception, at.exception
    assert len(_charts(at)) == 1
    assert any("Nearest person" in c.value for c in at.caption)


def test_drivers_and_switching_feature_reuses_population_results(
        social: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"influence": 0}
    original = stored.influence

    def counted(*args: object, **kwargs: object) -> object:
        calls["influence"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(stored, "influence", counted)
    st.cache_data.clear()
    at = _open(social, "drivers")
    assert at.title[0].value == "What drives the score for everyone?"
    assert len(_charts(at)) == 4
    first = calls["influence"]
    assert first >= 1
    at.selectbox(key="dep_feature").set_value("friends_mean_score")
    at.selectbox(key="dep_colour").set_value("ethnicity").run()
    assert not at.exception, at.exception
    assert calls["influence"] == first
    spec = _charts(at)[-1]
    assert spec["encoding"]["color"]["title"] == "Ethnicity"
    sizes = _chart_rows(at, -1)["group"].value_counts()
    assert len(sizes) >= 2
    assert sizes.min() >= DEFAULT_K


def test_about(social: AppTest) -> None:
    at = _open(social, "about")
    assert at.title[0].value == "What is this score, and what can this audit tell you?"
    assert len(at.dataframe) == 1
    text = " ".join(m.value for m in at.markdown)
    assert "cannot tell you" in " ".join(s.value for s in at.header)
    assert "speculated" in " ".join(c.value for c in at.caption).lower()
    assert "social-credit" in text


def test_empty_runs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    for page in ("overview", "person", "drivers"):
        at = _app()
        if page != "overview":
            at.switch_page(f"views/{page}.py")
        at.run()
        assert not at.exception, at.exception
        assert "No run has been built yet" in at.info[0].value
        assert len(_charts(at)) == 0
        assert at.button(key="build_go").label.startswith("Build ")


def test_tampered_run_loads_nothing(social_path: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "tampered-run"
    shutil.copytree(social_path, copy)
    part = copy / "people" / "part-00000.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    at = _app(copy.name)
    at.run()
    assert not at.exception, at.exception
    assert "does not match the hash" in at.error[0].value
    assert len(_charts(at)) == 0
    _open(at, "person")
    assert "does not match the hash" in at.error[0].value


def test_a_run_without_synthetic_extras(social_run, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    roles = replace(social_run.roles, pillars={}, labels={})
    out = write_run(tmp_path / "imported", people=social_run.people,
                    explanation=social_run.explanation, model=social_run.model, roles=roles,
                    manifest={"source": "imported", "metrics": {"r2": 0.9, "mae_points": 3}})
    assert load_run(out).policy_text is None
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    at = _app("imported")
    at.run()
    assert not at.exception, at.exception
    assert len(_charts(at)) == 3  # who is penalised, the spread, the tiers
    assert not any("pillars" in s.value for s in at.header)
    for page, charts in (("person", 1), ("drivers", 4)):
        _open(at, page)
        assert len(_charts(at)) == charts


def test_main_pages_never_read_the_population(social_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Overview, Person, Drivers and Fairness run on stored aggregates and reads by id."""
    reads: list[str] = []
    original = run.Run._read

    def counted(self: run.Run, table: str) -> pd.DataFrame:
        reads.append(table)
        return original(self, table)

    monkeypatch.setattr(run.Run, "_read", counted)
    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setenv("SESAME_RUNS", str(social_path.parent))
    at = _app(social_path.name)
    at.run()
    assert not at.exception, at.exception
    at = _open(at, "person")
    at.text_input(key="person_id").input("17").run()
    at.multiselect(key="wi_features").set_value(["payment_history"]).run()
    at.number_input(key="wi_payment_history").set_value(0.95).run()
    assert not at.exception, at.exception
    at = _open(at, "drivers")
    at.selectbox(key="dep_feature").set_value("district")
    at.selectbox(key="dep_colour").set_value("hukou").run()
    at = _open(at, "fairness")
    at.selectbox(key="fair_second").set_value("hukou").run()
    assert not at.exception, at.exception
    assert len(_charts(at)) == 3
    assert reads == []
    _open(at, "proxies")
    assert "people" in reads
