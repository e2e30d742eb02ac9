"""How often a donation audit's minority impact-ratio interval covers the white-box figure.

On the proxy run of 20,000 people, simulates 40 campaigns per bias (20,000 requests, 15%
response: about 3,000 donations) and counts how often the Katz 95% interval of each
minority's impact ratio at the lowest tier, from the donors' recorded scores, holds the
white-box ratio (everyone, the operator's model), with the mean shift selection caused.
Usage::

    python bench/bench_donation_coverage.py [RUN_FOLDER]

Writes ``bench/results/donation_coverage.md``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from machine import describe

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.donations.campaign import PRESETS, simulate_campaign
from sesame_audit.model.figures.intervals import ratio_interval
from sesame_audit.model.runs.store import load_run

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGNS = 40
GROUPS = ("minority_a", "minority_b")


def main() -> None:
    """Simulate the campaigns and write the results file."""
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        path = Path(os.environ.get("SESAME_RUNS", ROOT / "runs")) / "proxy-n20000-s0"
        if not (path / "manifest.json").is_file():
            build_run("proxy", 20_000, 0, path)
    run = load_run(path)
    tier = run.roles.tiers[0]
    score, ethnicity = run.explanation.prediction, run.people["ethnicity"].to_numpy()
    reference = (score[ethnicity == "majority"] >= tier.min_score).mean()
    truth = {g: (score[ethnicity == g] >= tier.min_score).mean() / reference for g in GROUPS}
    lines = ["# Donated impact ratios against the white-box figure", "", describe(), "",
             f"Run `{path.name}`; {CAMPAIGNS} campaigns per bias of 20,000 requests at 15% "
             f"response; ethnicity at tier `{tier.name}` (white-box: "
             + ", ".join(f"{g} {truth[g]:.3f}" for g in GROUPS) + ").", "",
             "| bias | donations (mean) | " + " | ".join(
                 f"{g} covered | {g} mean shift" for g in GROUPS) + " |",
             "| --- | ---: | " + " | ".join("---: | ---:" for _ in GROUPS) + " |"]
    for bias in PRESETS:
        covered, shifts, sizes = dict.fromkeys(GROUPS, 0), {g: [] for g in GROUPS}, []
        for seed in range(CAMPAIGNS):
            campaign = simulate_campaign(run, requests=20_000, response=0.15, bias=bias,
                                         seed=seed)
            recorded = campaign.table["score"].to_numpy()
            stated = campaign.table["ethnicity"].astype(object).to_numpy()
            sizes.append(len(recorded))
            base = recorded[stated == "majority"] >= tier.min_score
            for group in GROUPS:
                mine = recorded[stated == group] >= tier.min_score
                ratio, low, high = ratio_interval(mine.sum(), len(mine), base.sum(), len(base))
                covered[group] += bool(low <= truth[group] <= high)
                shifts[group].append(float(ratio) - truth[group])
        cells = " | ".join(f"{covered[g] / CAMPAIGNS:.0%} | {np.mean(shifts[g]):+.3f}"
                           for g in GROUPS)
        lines.append(f"| {bias} | {np.mean(sizes):,.0f} | {cells} |")
    out = ROOT / "bench" / "results" / "donation_coverage.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text())


if __name__ == "__main__":
    main()
