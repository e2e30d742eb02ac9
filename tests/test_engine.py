"""The Dask engine: the same chunked build on a local two-worker cluster gives the same run."""

from __future__ import annotations

import json

import pytest

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.build.engine import executor
from sesame_audit.model.cli import main


def test_dask_build_equals_local_build(tmp_path) -> None:
    local = build_run("social-credit", 1_500, 3, tmp_path / "local", city_size=500)
    dask = build_run("social-credit", 1_500, 3, tmp_path / "dask", city_size=500,
                     engine="dask")
    local_manifest = json.loads((local / "manifest.json").read_text())
    dask_manifest = json.loads((dask / "manifest.json").read_text())
    assert dask_manifest["engine"].startswith("dask")
    assert local_manifest["engine"] == "local"
    assert local_manifest["files"] == dask_manifest["files"]


def test_engine_arguments_are_checked(capsys) -> None:
    with pytest.raises(ValueError, match="unknown engine"), executor("spark"):  # type: ignore[arg-type]
        pass
    with pytest.raises(ValueError, match="needs --engine dask"), executor(
            "local", scheduler="tcp://127.0.0.1:1"):
        pass
    assert main(["build", "--n", "100", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "needs --engine dask" in capsys.readouterr().err
