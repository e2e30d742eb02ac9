"""The machine a benchmark ran on, for the results files."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PACKAGES = ("numpy", "pandas", "scikit-learn", "shap", "numba", "pyarrow", "streamlit",
            "lightgbm")


def describe() -> str:
    """Return a Markdown block naming the CPU, cores, memory, versions and date."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join([
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- cpu: {cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM",
        f"- OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        f"- python {platform.python_version()}; " + ", ".join(versions),
    ])
