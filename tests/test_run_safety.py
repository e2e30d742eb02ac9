"""No input loses data: where runs may be written, names that become paths, killed builds,
edited manifests, and stored columns that cannot collide with a user's columns."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from own_inputs import ROLES, regressor, skops_bytes, table
from sklearn.linear_model import LinearRegression
from streamlit.testing.v1 import AppTest

from sesame_audit.datasets.policy import load_policy, policy_to_toml
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.cli import main
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.runs import stored
from sesame_audit.model.runs.run import RunError
from sesame_audit.model.runs.store import list_runs, load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
BUILD = ["build", "--policy", "proxy", "--n", "300", "--seed", "3"]


def _tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (links not followed) -> a hash of what it is."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            elif path.is_file():
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = "dir"
    return found


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run folder, built once; tests copy it."""
    return build_run("proxy", 300, 3, tmp_path_factory.mktemp("built") / "proxy-n300-s3")


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], watched: Path,
             match: str) -> None:
    before = _tree(watched)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and match in err[-1], err
    assert "Traceback" not in "\n".join(err)
    assert _tree(watched) == before


def test_a_folder_with_a_users_file_is_refused_and_untouched(tmp_path, capsys) -> None:
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("Years of work.\n")
    (thesis / "figures").mkdir()
    (thesis / "figures" / "plot.png").write_bytes(b"\x89PNG...")
    for extra in ([], ["--replace"]):
        _refused([*BUILD, "--out", str(thesis), *extra], capsys, tmp_path,
                 "is not a run folder")


def test_current_and_parent_folders_are_refused(tmp_path, monkeypatch, capsys) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    monkeypatch.chdir(work)
    for out in ("..", "", "."):
        _refused([*BUILD, "--out", out, "--replace"], capsys, tmp_path, "names no run folder")


def test_a_link_to_an_outside_run_is_refused(tmp_path, built, capsys) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(built, outside / "run")
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "linked").symlink_to(outside / "run", target_is_directory=True)
    _refused([*BUILD, "--out", str(runs / "linked"), "--replace"], capsys, tmp_path,
             "symbolic link")


def test_an_existing_run_is_replaced_only_with_replace(tmp_path, built, capsys) -> None:
    out = tmp_path / "run"
    shutil.copytree(built, out)
    _refused([*BUILD[:-1], "4", "--out", str(out)], capsys, tmp_path, "already exists")
    assert main([*BUILD[:-1], "4", "--out", str(out), "--replace"]) == 0
    assert load_run(out).manifest["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("name", ["../../x", "ABSOLUTE", "a/b", ".hidden", "x/../../y"])
def test_policy_names_that_are_not_slugs_are_refused(name, tmp_path, monkeypatch,
                                                       capsys) -> None:
    name = str(tmp_path / "abs") if name == "ABSOLUTE" else name
    top = tmp_path / "top"
    runs = top / "deep" / "runs"
    runs.mkdir(parents=True)
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    text = policy_to_toml(load_policy("proxy"))
    assert 'name = "proxy"' in text
    policy = tmp_path / "policy.toml"
    policy.write_text(text.replace('name = "proxy"', f"name = {json.dumps(name)}"))
    before = _tree(tmp_path)
    assert main(["build", "--policy", str(policy), "--n", "300"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: run name") and "letters, digits" in err
    assert _tree(tmp_path) == before


def test_a_build_killed_between_the_renames_is_recovered_on_load(tmp_path, built) -> None:
    out = tmp_path / "proxy-n300-s3"
    shutil.copytree(built, tmp_path / f".{out.name}.old-{_dead_pid()}")
    assert not out.exists()
    run = load_run(out)
    assert run.n == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    shutil.copytree(built, tmp_path / "other")
    (tmp_path / "other").rename(tmp_path / f".second.old-{_dead_pid()}")
    assert [p.name for p in list_runs(tmp_path)] == [out.name, "second"]


def test_an_old_folder_of_a_running_build_is_left_alone(tmp_path, built) -> None:
    hidden = tmp_path / f".run.old-{os.getppid()}"
    shutil.copytree(built, hidden)
    with pytest.raises(RunError, match="no run folder"):
        load_run(tmp_path / "run")
    assert hidden.is_dir()


def test_stale_staging_folders_are_removed_and_nothing_else(tmp_path, built, capsys) -> None:
    out = tmp_path / "proxy-n300-s3"
    shutil.copytree(built, out)
    stale = tmp_path / f".{out.name}.tmp-{_dead_pid()}"
    shutil.copytree(built / "people", stale / "people")
    users = tmp_path / f".{out.name}.tmp-{_dead_pid()}"
    users.mkdir()
    (users / "diary.txt").write_text("not a build's")
    running = tmp_path / f".{out.name}.tmp-{os.getppid()}"
    shutil.copytree(built / "people", running / "people")
    assert [p.name for p in list_runs(tmp_path)] == [out.name]
    assert not stale.exists()
    assert (users / "diary.txt").read_text() == "not a build's"
    assert running.is_dir()
    shutil.copytree(built / "people", stale / "people")
    assert main([*BUILD, "--out", str(out), "--replace"]) == 0
    assert not stale.exists() and users.is_dir()


def test_an_edited_manifest_is_refused(tmp_path, built) -> None:
    out = tmp_path / "run"
    shutil.copytree(built, out)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps(manifest))  # same content, other layout
    assert load_run(out).n == 300
    edits = [("roles", "tiers", 0, "min_score", 350.0), ("shap", "base", 999.0),
             ("roles", "labels", "district", "Neighbourhood")]
    for *keys, value in edits:
        changed = json.loads(json.dumps(manifest))
        target = changed
        for key in keys[:-1]:
            target = target[key]
        assert target[keys[-1]] != value
        target[keys[-1]] = value
        (out / "manifest.json").write_text(json.dumps(changed, indent=2))
        with pytest.raises(RunError, match=r"manifest\.json does not match the hash it records"):
            load_run(out)


def test_same_seed_gives_the_same_manifest_digest(tmp_path, built) -> None:
    again = build_run("proxy", 300, 3, tmp_path / "again")
    first, second = (json.loads((p / "manifest.json").read_text()) for p in (built, again))
    assert first["files"] == second["files"]
    assert len(first["manifest_sha256"]) == 64


def _import(tmp_path: Path, frame: pd.DataFrame, model: object, roles: str) -> Path:
    (tmp_path / "t.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "m.skops").write_bytes(skops_bytes(model))
    (tmp_path / "r.toml").write_text(roles)
    return import_files(tmp_path / "t.csv", tmp_path / "m.skops", tmp_path / "r.toml",
                        tmp_path / "runs" / "imported")


def test_an_input_named_prediction_keeps_its_shap_values(tmp_path) -> None:
    frame = table(400, seed=2)
    frame["prediction"] = np.random.default_rng(5).normal(0, 30, len(frame)).round(2)
    inputs = ["income", "debts", "prediction"]
    frame["score"] = 500 + 0.01 * frame["income"] - 0.02 * frame["debts"] + frame["prediction"]
    model = LinearRegression().fit(frame[inputs], frame["score"])
    roles = ROLES.replace("[bands]\nage = [30, 50]\n", "").replace(
        'sensitive = ["sex", "age"]', 'sensitive = ["sex"]')
    path = _import(tmp_path, frame, model, roles)
    run = load_run(path)
    own = model.predict(frame[inputs])
    values = run.explanation.values
    assert list(values.columns) == inputs
    added = run.base + values.to_numpy(np.float64).sum(axis=1)
    assert np.abs(added - own).max() < 1e-3
    # a linear model's SHAP value of an input is its weight times the gap to the mean
    weight = model.coef_[inputs.index("prediction")]
    by_hand = weight * (frame["prediction"] - frame["prediction"].mean())
    assert np.abs(values["prediction"].to_numpy() - by_hand.to_numpy()).max() < 1e-3
    kept = run.manifest["shap"]["max_additivity_error_points"]
    assert kept == pytest.approx(np.abs(added - run.explanation.prediction).max(), abs=1e-12)


def test_columns_named_like_a_stored_intersection_keep_their_groups(tmp_path) -> None:
    frame = table(300, seed=4)
    rng = np.random.default_rng(9)
    frame["a"] = rng.choice(["p", "q"], len(frame))
    frame["b"] = rng.choice(["r", "s"], len(frame))
    frame["a & b"] = rng.choice(["t", "u", "v"], len(frame))
    roles = ROLES.replace('sensitive = ["sex", "age"]', 'sensitive = ["a", "b", "a & b"]')
    run = load_run(_import(tmp_path, frame, regressor(frame), roles))
    single = stored.groups(run, "a & b")
    assert dict(single["count"]) == frame["a & b"].value_counts().to_dict()
    pair = stored.groups(run, ("a", "b"))
    assert dict(pair["count"]) == frame.groupby(["a", "b"]).size().to_dict()
    bins = stored.bins(run, "a & b")
    assert set(bins["group"]) == {"t", "u", "v"}


def test_the_policy_editor_refuses_a_name_leading_outside(tmp_path, monkeypatch) -> None:
    runs = tmp_path / "top" / "runs"
    build_run("social-credit", 300, 0, runs / "social-credit-n300-s0")
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.session_state["run_name"] = "social-credit-n300-s0"
    at.run()
    at.switch_page("views/policy_editor.py")
    at.run()
    at.toggle(key="teacher_toggle").set_value(True).run()
    at.radio(key="edit_how").set_value("The policy file (TOML)").run()
    text = at.text_area(key="edit_toml").value
    assert 'name = "social-credit"' in text
    before = _tree(tmp_path)
    for name in ("../../x", str(tmp_path / "abs"), "a/b"):
        at.text_area(key="edit_toml").set_value(
            text.replace('name = "social-credit"', f"name = {json.dumps(name)}")).run()
        at.number_input(key="edit_n").set_value(2_000).run()
        at.button(key="edit_build").click().run()
        assert not at.exception
        assert at.error[0].value.startswith(
            "The rebuild failed and nothing was stored: " + escape_markdown(f"run name '{name}"))
        assert _tree(tmp_path) == before


def test_the_import_page_refuses_a_name_leading_outside(tmp_path, monkeypatch) -> None:
    runs = tmp_path / "top" / "runs"
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    frame = table()
    (tmp_path / "people.csv").write_bytes(frame.to_csv(index=False).encode())
    (tmp_path / "model.skops").write_bytes(skops_bytes(regressor(frame)))
    (tmp_path / "roles.toml").write_text(ROLES)
    at = AppTest.from_file(str(Path(MAIN).parent / "views" / "own.py"), default_timeout=60)
    at.run()
    at.radio(key="own_where").set_value("Paths on this server").run()
    for kind in ("table", "model", "roles"):
        name = {"table": "people.csv", "model": "model.skops", "roles": "roles.toml"}[kind]
        at.text_input(key=f"own_{kind}_path").set_value(str(tmp_path / name))
    at.run()
    before = _tree(tmp_path)
    for name in ("../evil", "/tmp/evil", ".."):
        at.text_input(key="own_name").set_value(name).run()
        at.checkbox(key="own_replace").set_value(True).run()
        at.button(key="own_import").click().run()
        assert not at.exception
        assert at.error[0].value.startswith(escape_markdown(f"run name '{name}'"))
        assert _tree(tmp_path) == before
