"""The installed project is one import package, ``sesame_audit``, beside any other ``datasets``."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"


def _uv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(UV), *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, "UV_NO_PROGRESS": "1"})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = _uv("build", "--wheel", "--out-dir", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("*.whl")
    return path


def test_the_wheel_holds_one_top_level_package_and_every_room(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if ".dist-info/" not in n}
    assert top == {"sesame_audit"}
    # every package folder of the checkout is in the wheel, with its data files
    for folder in ("app", "model", "datasets"):
        for init in (ROOT / folder).rglob("__init__.py"):
            package = init.parent.relative_to(ROOT).as_posix()
            assert f"sesame_audit/{package}/__init__.py" in names, package
    assert "sesame_audit/model/report/report.html.j2" in names
    assert "sesame_audit/datasets/policies/proxy.toml" in names


@pytest.mark.slow
def test_installs_beside_the_other_datasets_package(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert _uv("venv", "--python", sys.executable, str(venv)).returncode == 0
    python = venv / "bin" / "python"
    done = _uv("pip", "install", "--python", str(python), str(wheel), "datasets")
    assert done.returncode == 0, done.stderr[-2000:]
    help_text = subprocess.run([str(venv / "bin" / "sesame-audit"), "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert "build" in help_text and "audit" in help_text
    probe = ("import datasets, sesame_audit.datasets as ours; "
             "print(hasattr(datasets, 'load_dataset'), ours.generate.__module__)")
    shown = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout.split()
    assert shown == ["True", "sesame_audit.datasets.generate"]
