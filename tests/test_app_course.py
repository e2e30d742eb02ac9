"""App tests of the course pages: hidden rules, policy editor, recourse."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.person.recourse import find_recourse

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def _page(page: str, runs_dir: Path, run_name: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=300)
    if run_name is not None:
        at.session_state["run_name"] = run_name
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_hidden_rules_blind_then_revealed(social_path) -> None:
    at = _page("hidden_rules", social_path.parent, social_path.name)
    assert not at.exception
    assert at.title[0].value == "Do the explanations find the hidden rules?"
    assert "Teacher mode" in at.info[0].value and not _charts(at)
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception
    charts = _charts(at)
    assert len(charts) == 2
    assert "Bills paid on time" in at.markdown[0].value
    assert at.metric[0].value.endswith("of 13")
    at.selectbox(key="fidelity_rule").set_value("Flagged political posts").run()
    assert not at.exception
    assert "Flagged political posts" in json.dumps(_charts(at)[1])
    at.switch_page("views/overview.py").run()
    at.switch_page("views/hidden_rules.py").run()
    assert len(_charts(at)) == 2, "teacher mode is kept across pages"


def test_hidden_rules_on_own_model(own_run_path) -> None:
    at = _page("hidden_rules", own_run_path.parent, own_run_path.name)
    # said at once, not after asking for Teacher mode to reveal rules that do not exist
    assert "has no hidden rules" in at.warning[0].value and not at.info
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception
    assert "has no hidden rules" in at.warning[0].value and not _charts(at)


def test_empty_runs_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    for page in ("hidden_rules", "policy_editor", "recourse"):
        at = _page(page, tmp_path)
        assert not at.exception
        assert "No run has been built yet" in at.info[0].value


def test_policy_editor_rebuild_and_compare(social_path, runs_dir) -> None:
    at = _page("policy_editor", runs_dir, social_path.name)
    assert at.title[0].value == "What if the rules were different?"
    assert "Teacher mode" in at.info[0].value
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception and not _charts(at)
    at.toggle(key="on_political_posts_flagged").set_value(False).run()
    at.number_input(key="w_payment_history").set_value(200.0).run()
    at.number_input(key="edit_n").set_value(2_000).run()
    at.button(key="edit_build").click().run()
    assert not at.exception and not at.error
    base, built = at.session_state["edited_run"]
    built = Path(built)
    assert base == social_path.name
    assert built.parent == runs_dir and built.name.startswith("social-credit-edited-")
    assert len(_charts(at)) == 3
    at.selectbox(key="edit_attribute").set_value("ethnicity").run()
    assert not at.exception and len(_charts(at)) == 3
    download = at.get("download_button")
    assert len(download) == 1


def test_policy_editor_bad_toml(social_path, runs_dir) -> None:
    at = _page("policy_editor", runs_dir, social_path.name)
    at.toggle(key="teacher_toggle").set_value(True).run()
    at.radio(key="edit_how").set_value("The policy file (TOML)").run()
    text = at.text_area(key="edit_toml").value
    at.text_area(key="edit_toml").set_value(text.replace('shape = "linear"', 'shape = "wavy"',
                                                         1)).run()
    assert not at.exception
    assert at.error[0].value.startswith("These rules cannot be used: " + escape_markdown(
        "term 1 (payment_history): unknown shape 'wavy'"))
    at.text_area(key="edit_toml").set_value("base = [").run()
    assert "not valid TOML" in at.error[0].value


def test_policy_editor_on_own_model(own_run_path) -> None:
    at = _page("policy_editor", own_run_path.parent, own_run_path.name)
    assert "has no hidden rules" in at.warning[0].value and not at.info
    at.toggle(key="teacher_toggle").set_value(True).run()
    assert not at.exception and "has no hidden rules" in at.warning[0].value


def test_recourse_page(social_path, social_run, runs_dir) -> None:
    at = _page("recourse", runs_dir, social_path.name)
    assert not at.exception
    assert at.title[0].value == "Who can act their way to a better score?"
    assert at.success or at.warning
    assert not _charts(at)
    at.text_input(key="person_id").input("4").run()
    found = find_recourse(social_run, 4)
    shown = at.success if found.reachable else at.warning
    assert shown[0].value == escape_markdown(found.text)
    at.number_input(key="recourse_sample").set_value(80).run()
    at.button(key="recourse_go").click().run()
    assert not at.exception
    charts = _charts(at)
    assert len(charts) == 1 and "Who can act their way up" in json.dumps(charts[0])



# The lessons tests below depend on the audit API (audit.fairness, audit.proxies,
# audit.network, audit.findings), as the Lessons page does.


def test_lessons_page(social_path, social_run, marketed_run, runs_dir) -> None:
    from sesame_audit.model.audit.recourse_burden import recourse_sample
    from sesame_audit.model.course.lessons import lessons, recourse_gap

    at = _page("lessons", runs_dir, social_path.name)
    assert not at.exception
    assert at.title[0].value == "What can a class find out about this score?"
    expected = lessons(social_run, other=marketed_run)
    shown = [e for e in at.expander if e.label == "Show the answer"]
    assert len(shown) == 5 and not _charts(at)
    for expander, lesson in zip(shown, expected, strict=True):
        assert expander.markdown[0].value == escape_markdown(lesson.answer)
    assert [h.value for h in at.header][:5] == [
        f"{i}. {escape_markdown(lesson.title)}" for i, lesson in enumerate(expected, 1)]
    at.button(key="lessons_recourse").click().run()
    assert not at.exception
    attribute = expected[0].figures["attribute"]
    sixth = recourse_gap(social_run, attribute, found=recourse_sample(social_run, sample=200))
    assert escape_markdown(sixth.answer) in [m.value for m in at.markdown] + [
        w.value for w in at.warning]


def _heatmap_text(at: AppTest) -> dict[tuple[str, str], str]:
    """(group, tier label) -> the text of each impact-ratio heatmap cell on the page."""
    import pyarrow as pa

    element = next(e for e in at.get("vega_lite_chart")
                   if "Impact ratio:" in json.dumps(json.loads(e.proto.spec).get("title")))
    rows = [row for ds in element.proto.datasets
            for row in pa.ipc.open_stream(ds.data.data).read_pandas().to_dict("records")]
    return {(r["group"], r["tier_label"]): r["text"] for r in rows if "text" in r}


def test_lesson_5_figures_are_on_the_page_its_hint_names(social_path, social_run,
                                                         marketed_run, runs_dir) -> None:
    from sesame_audit.model.course.lessons import compare_presets

    lesson = compare_presets(social_run, marketed_run)
    big = lesson.figures["biggest"]
    assert lesson.hint.startswith("Fairness page") and marketed_run.path.name in lesson.hint
    for run, ratio in ((social_run, big["ratio"]), (marketed_run, big["other_ratio"])):
        at = _page("fairness", runs_dir, run.path.name)
        assert not at.exception
        # the page opens on the attribute the lesson asks about...
        assert at.selectbox(key="fair_attribute").value == lesson.figures["attribute"]
        # ...and says the count in the lesson's words
        count = lesson.figures["flags"][run.manifest["policy"]]
        said = f"{count} group/tier pair(s) clearly fail the four-fifths rule"
        assert f"'{run.manifest['policy']}': {said}" in lesson.answer
        assert any(escape_markdown(said) in m.value for m in at.markdown)
        # the biggest difference is a heatmap cell, with the group as the answer writes it
        group = big["group"].replace("_", " ")
        assert f"'{group}'" in lesson.answer
        cell = next(text for (g, tier), text in _heatmap_text(at).items()
                    if g == group and tier.startswith(big["tier"].replace("_", " ")))
        assert cell.startswith(f"{ratio:.2f}") and f"{ratio:.2f}" in lesson.answer


def test_lesson_1_figure_is_on_the_fairness_page(social_path, social_run, runs_dir) -> None:
    from sesame_audit.model.course.lessons import penalised_group

    lesson = penalised_group(social_run)
    f = lesson.figures
    at = _page("fairness", runs_dir, social_path.name)
    at.selectbox(key="fair_attribute").set_value(f["attribute"]).run()
    assert not at.exception
    group, tier = f["group"].replace("_", " "), f["tier"].replace("_", " ")
    cell = next(text for (g, label), text in _heatmap_text(at).items()
                if g == group and label.startswith(tier))
    assert cell.startswith(f"{f['impact_ratio']:.2f}")
    assert f"'{group}'" in lesson.answer and f"{f['impact_ratio']:.2f}" in lesson.answer


def test_lessons_offer_to_build_the_paired_run(tmp_path, monkeypatch) -> None:
    from sesame_audit.model.build.builder import build_run

    monkeypatch.setenv("SESAME_RUNS", str(tmp_path))
    build_run("marketed", 300, 0, tmp_path / "marketed-n300-s0")
    at = _page("lessons", tmp_path)
    assert escape_markdown("social-credit-n300-s0") in at.info[0].value
    assert escape_markdown("Build the 'social-credit' run") in at.warning[-1].value
    at.button(key="lessons_build").click().run()
    assert not at.exception
    assert (tmp_path / "social-credit-n300-s0" / "manifest.json").is_file()
    assert escape_markdown("'social-credit':") in at.expander[4].markdown[0].value


def test_lessons_on_own_model(own_run_path) -> None:
    at = _page("lessons", own_run_path.parent, own_run_path.name)
    assert not at.exception
    # an imported run has no synthetic world to ask the lessons' questions about
    assert any("lessons are written for the synthetic scenarios" in i.value for i in at.info)
    assert not at.header


# Chart builders, tested through their Vega-Lite specs.


def _spec_layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _data(spec: dict) -> list[dict]:
    return next(iter(spec["datasets"].values())) if len(spec["datasets"]) == 1 else [
        row for rows in spec["datasets"].values() for row in rows]


def test_fidelity_charts(social_run) -> None:
    from sesame_audit.app import course_charts as charts
    from sesame_audit.model.course.fidelity import fidelity_points, fidelity_report

    report = fidelity_report(social_run)
    spec = charts.fidelity_bars(report.terms).to_dict()
    bars = _spec_layers(spec)[0]
    assert bars["encoding"]["x"]["title"].endswith("(r)")
    colour = bars["encoding"]["color"]["scale"]
    assert colour["domain"] == ["tracks the rule", "under-states the rule", "disagrees"]
    assert len(set(colour["range"])) == 3  # one colour per verdict
    assert set(report.terms["verdict"]) <= set(colour["domain"])
    assert " ".join(spec["title"]["text"]).endswith("?")
    points = fidelity_points(social_run, "payment_history", max_points=400)
    spec = charts.fidelity_scatter(points, "Bills paid on time", 0.99, 2_000).to_dict()
    dots = _spec_layers(spec)[0]
    assert "(points" in dots["encoding"]["x"]["title"]
    assert "(points)" in dots["encoding"]["y"]["title"]
    assert "400 of 2,000 people" in " ".join(spec["title"]["subtitle"])
    assert spec["title"]["text"][0].startswith("Does SHAP")
    assert sum(len(rows) for rows in spec["datasets"].values()) == 400 + 2


def test_comparison_and_recourse_charts(social_run, marketed_run) -> None:
    from sesame_audit.app import course_charts as charts
    from sesame_audit.model.audit.recourse_burden import recourse_burden
    from sesame_audit.model.course.compare import compare_drivers, compare_scores, compare_tiers

    runs = {"social": social_run, "marketed": marketed_run}
    spec = charts.score_distributions(compare_scores(runs)).to_dict()
    assert spec["encoding"]["x"]["title"] == "Score (points)"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["social", "marketed"]
    tiers = compare_tiers(runs, "ethnicity", k=200)  # minorities hidden, 282 of them in all
    spec = charts.tier_access(tiers, "car_rental", "Ethnicity").to_dict()
    shown = _data(spec)
    assert shown and all(not row["suppressed"] for row in shown)
    assert {row["group"] for row in shown} == set(
        tiers[~tiers["suppressed"]]["group"])
    spec = charts.drivers(compare_drivers(runs), top=5).to_dict()
    assert len({row["label"] for row in _data(spec)}) == 5
    assert spec["encoding"]["x"]["title"] == "Mean absolute SHAP value (points)"
    found = pd.DataFrame({"row": range(200), "person": range(200), "tier": "car_rental",
                          "min_score": 650.0, "score": 600.0,
                          "reachable": [True, False] * 100, "cost": 0.3, "n_changes": 1,
                          "plausible": [True, False] * 100, "new_score": 651.0})
    table = recourse_burden(social_run, "hukou", found=found)
    spec = charts.recourse_burden(table, "Hukou").to_dict()
    assert {row["group"] for row in _data(spec)} == {"rural", "urban"}
    hidden = recourse_burden(social_run, "hukou", found=found.head(12))
    assert hidden["suppressed"].all()
    assert _data(charts.recourse_burden(hidden, "Hukou").to_dict()) == []
    assert spec["encoding"]["y"]["axis"]["format"] == "%"


def test_recourse_page_on_own_model(own_run_path) -> None:
    at = _page("recourse", own_run_path.parent, own_run_path.name)
    assert not at.exception
    assert (at.success or at.warning)[0].value.startswith(("To reach", "No change",
                                                           "This score"))


def test_recourse_page_takes_ids_that_are_text(tmp_path, monkeypatch) -> None:
    from own_inputs import ROLES, regressor, skops_bytes, table

    from sesame_audit.model.importing.importer import import_files
    from sesame_audit.model.runs.store import load_run

    frame = table()
    model = regressor(frame)  # fitted on the inputs, whatever the ids
    frame["person"] = [f"p{i:05d}" for i in range(len(frame))]
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "m.skops").write_bytes(skops_bytes(model))
    (tmp_path / "r.toml").write_text('actionable = ["income", "debts"]\n' + ROLES)
    import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                 tmp_path / "runs" / "text-ids")
    monkeypatch.setenv("SESAME_RUNS", str(tmp_path / "runs"))
    at = _page("recourse", tmp_path / "runs", "text-ids")
    assert "Run text-ids" in " ".join(c.value for c in at.caption)
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="person_id").input("p00007").run()
    assert not at.exception, [e.value for e in at.exception]
    found = find_recourse(load_run(tmp_path / "runs" / "text-ids"), "p00007")
    shown = at.success if found.plausible else at.warning
    assert escape_markdown(found.text) in [s.value for s in shown]


def test_person_page_shows_recourse(social_path, social_run, runs_dir) -> None:
    at = _page("person", runs_dir, social_path.name)
    at.text_input(key="person_id").input("42").run()
    assert not at.exception
    found = find_recourse(social_run, 42)
    shown = at.success if found.reachable else at.warning
    assert escape_markdown(found.text) in [s.value for s in shown]
    assert any(h.value.startswith("What could this person change") for h in at.header)
