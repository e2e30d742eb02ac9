"""Run folders: reproducible bytes, manifest contents, tamper detection, atomic writes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import sesame_audit.model.runs.writer as run_writer
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.runs.run import RunError
from sesame_audit.model.runs.store import load_run, sha256_file


def test_manifest_has_the_promised_fields(social_path) -> None:
    manifest = json.loads((social_path / "manifest.json").read_text())
    for key in ("policy", "seed", "n", "versions", "files", "metrics", "shap", "fidelity",
                "roles"):
        assert key in manifest, key
    assert manifest["policy"] == "social-credit"
    assert {"r2", "mae_points"} <= set(manifest["metrics"])
    assert {"max_additivity_error_points", "rows_per_second", "base"} <= set(manifest["shap"])
    assert manifest["versions"]["python"].startswith("3.11")
    for name, digest in manifest["files"].items():
        assert sha256_file(social_path / name) == digest
    assert {"people/part-00000.parquet", "shap/part-00000.parquet", "model.skops",
            "friends/part-00000.parquet", "policy.toml", "aggregates/groups.parquet",
            "aggregates/profile.parquet"} <= set(manifest["files"])


def test_loaded_run_is_consistent(social_run) -> None:
    people, expl = social_run.people, social_run.explanation
    assert len(people) == len(expl.values) == len(expl.prediction)
    assert expl.values.dtypes.eq(np.float32).all()
    total = expl.base + expl.values.to_numpy(np.float64).sum(axis=1)
    assert np.max(np.abs(total - expl.prediction)) < 1e-3
    own = social_run.model.predict(social_run.X)
    assert np.allclose(own, expl.prediction)


def test_same_seed_same_bytes(tmp_path) -> None:
    a = build_run("proxy", 300, 5, tmp_path / "a")
    b = build_run("proxy", 300, 5, tmp_path / "b")
    c = build_run("proxy", 300, 6, tmp_path / "c")
    ma, mb, mc = (json.loads((p / "manifest.json").read_text())["files"] for p in (a, b, c))
    assert ma == mb
    assert ma["people/part-00000.parquet"] != mc["people/part-00000.parquet"]


def test_tampered_run_loads_nothing(social_path, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(social_path, copy)
    with (copy / "people/part-00000.parquet").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(RunError, match=r"people/part-00000\.parquet does not match the hash"):
        load_run(copy)
    (copy / "people/part-00000.parquet").unlink()
    with pytest.raises(RunError, match=r"people/part-00000\.parquet is missing"):
        load_run(copy)
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(RunError, match="not valid JSON"):
        load_run(copy)
    with pytest.raises(RunError, match="no run folder"):
        load_run(tmp_path / "absent")


def test_interrupted_build_keeps_the_previous_run(tmp_path, monkeypatch) -> None:
    path = build_run("marketed", 200, 1, tmp_path / "run")
    before = {p.relative_to(path): sha256_file(p) for p in path.rglob("*") if p.is_file()}

    def broken(_model: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(run_writer, "model_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        build_run("marketed", 200, 2, path, replace=True)
    after = {p.relative_to(path): sha256_file(p) for p in path.rglob("*") if p.is_file()}
    assert before == after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    load_run(path)
