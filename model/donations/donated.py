"""The donation audit end to end: files in, a run folder and findings out, and its report.

:func:`import_donation_files` reads a donations table (or any table of inputs and recorded
scores or decisions: a decision log without the model) and its roles file, fits and
writes the stand-in (:mod:`donations.standin`), and audits it over donors
(:mod:`donations.donor_audit`), weighted to margins when a margins file is given, beside
the truth when the run the donations came from is given. :func:`report_markdown` writes
the findings for a reader, with no individual's row.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from sesame_audit.model.core.bad_input import BadInputError, check_size
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.donations.campaign import Campaign
from sesame_audit.model.donations.donor_audit import (
    BOOTSTRAP,
    REFITS,
    clear_findings,
    donation_findings,
)
from sesame_audit.model.donations.raking import check_margins, read_margins
from sesame_audit.model.donations.standin import (
    StandIn,
    candidate,
    import_donations,
    standin_run,
)
from sesame_audit.model.donations.truth import compare_with_truth
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.importing.roles_file import parse_roles, parse_roles_bytes
from sesame_audit.model.importing.table_file import read_table
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run


def audit_campaign(run: Run, campaign: Campaign, *, margins: pd.DataFrame | None = None,
                   k: int = DEFAULT_K, bootstrap: int = BOOTSTRAP, refits: int = REFITS,
                   seed: int = 0) -> tuple[Run, dict[str, Any]]:
    """Audit a simulated campaign in memory, beside the truth of the run it was drawn from.

    Parameters
    ----------
    run : Run
        The run the campaign was drawn from (synthetic runs add the comparison with the
        hidden rules).
    campaign : Campaign
        Output of :func:`donations.campaign.simulate_campaign`.
    margins : pandas.DataFrame, optional
        Population margins to weight donors to.
    k : int, default=11
        Smallest group shown.
    bootstrap, refits : int
        Resamples (see :func:`donations.donor_audit.donation_findings`).
    seed : int, default=0
        Seed of the stand-in and the resamples.

    Returns
    -------
    donated : Run
        The stand-in run, in memory.
    audit : dict
        As :func:`audit_donated_run`.
    """
    spec = parse_roles(tomli_w.dumps(campaign.roles))
    donated, _standin = standin_run(campaign.table, spec, name=f"donations-{run.path.name}",
                                    seed=seed, extra={"campaign": campaign.summary})
    truth = run if run.policy_text is not None else None
    return donated, audit_donated_run(donated, margins=margins, truth=truth, k=k,
                                      bootstrap=bootstrap, refits=refits, seed=seed)


def standin_of(run: Run) -> StandIn:
    """Return the stand-in of a donations run, as written (for refits).

    Parameters
    ----------
    run : Run
        A run written by :func:`import_donation_files`.

    Returns
    -------
    StandIn
        The fitted model and its cross-validation.

    Raises
    ------
    BadInputError
        When the run holds no stand-in (it was not imported from donations).
    """
    record = run.manifest.get("standin")
    if not isinstance(record, dict):
        raise BadInputError(f"{run.path.name} was not imported from donations: no stand-in")
    roles = run.roles

    def make() -> Any:
        return candidate(record["model"], roles.inputs, roles.categorical)

    return StandIn(record["model"], run.model, pd.DataFrame(record["candidates"]), make)


def audit_donated_run(run: Run, *, margins: pd.DataFrame | None = None,
                      truth: Run | None = None, k: int = DEFAULT_K,
                      bootstrap: int = BOOTSTRAP, refits: int = REFITS, seed: int = 0
                      ) -> dict[str, Any]:
    """Audit a donations run over its donors, and against the truth when known.

    Parameters
    ----------
    run : Run
        A run written by :func:`import_donation_files`.
    margins : pandas.DataFrame, optional
        Population margins (see :mod:`donations.raking`).
    truth : Run, optional
        The synthetic run the donations came from.
    k : int, default=11
        Smallest group shown.
    bootstrap, refits : int
        Resamples (see :func:`donations.donor_audit.donation_findings`).
    seed : int, default=0
        Seed of the resamples.

    Returns
    -------
    dict
        JSON-ready: ``run``, ``standin`` (the cross-validation), ``findings`` (see
        :func:`donations.donor_audit.donation_findings`), ``clear`` and
        ``clear_weighted`` (clear four-fifths findings) and ``truth`` (see
        :func:`donations.truth.compare_with_truth`, None without a truth run).
    """
    standin = standin_of(run)
    found = donation_findings(run, standin, margins=margins, k=k, bootstrap=bootstrap,
                              refits=refits, seed=seed)
    return {"run": run.path.name, "standin": standin.to_dict(), "findings": found,
            "clear": clear_findings(found),
            "clear_weighted": clear_findings(found, weighted=True) if found["weighted"]
            else None,
            "truth": None if truth is None else compare_with_truth(truth, run, found, k=k)}


def import_donation_files(donations: str | Path, roles: str | Path, out: str | Path, *,
                          margins: str | Path | None = None, truth: str | Path | None = None,
                          replace: bool = False, k: int = DEFAULT_K,
                          bootstrap: int = BOOTSTRAP, refits: int = REFITS, seed: int = 0,
                          delimiter: str = ",") -> dict[str, Any]:
    """Import donations as a stand-in run and audit it.

    Parameters
    ----------
    donations : str or pathlib.Path
        CSV or Parquet table: inputs, the recorded score (the roles' ``target``), stated
        sensitive attributes.
    roles : str or pathlib.Path
        Its roles file (see :mod:`importing.roles_file`).
    out : str or pathlib.Path
        Run folder to create.
    margins : str or pathlib.Path, optional
        Population margins, CSV (see :func:`donations.raking.read_margins`).
    truth : str or pathlib.Path, optional
        The synthetic run the donations came from, to compare with.
    replace : bool, default=False
        Whether an existing run folder at ``out`` may be replaced.
    k : int, default=11
        Smallest group shown.
    bootstrap, refits : int
        Resamples (see :func:`donations.donor_audit.donation_findings`).
    seed : int, default=0
        Seed of the folds, the trees and the resamples.
    delimiter : str, default=","
        CSV delimiter.

    Returns
    -------
    dict
        :func:`audit_donated_run`'s result, with ``path`` (the run folder).

    Raises
    ------
    BadInputError
        Naming the problem; nothing has been written when the files are refused.

    Examples
    --------
    >>> found = import_donation_files("donations.csv", "donations.roles.toml",
    ...                               "runs/donated")  # doctest: +SKIP
    """
    paths = {"donations": Path(donations), "roles": Path(roles)}
    for what, path in paths.items():
        if not path.is_file():
            raise BadInputError(f"no {what} file at {path}")
        check_size(path.stat().st_size, path.name)
    table_margins = None if margins is None else check_margins(read_margins(margins))
    truth_run = None if truth is None else load_run(truth)
    spec = parse_roles_bytes(paths["roles"].read_bytes(), paths["roles"].name)
    raw = paths["donations"].read_bytes()
    table = read_table(raw, paths["donations"].name, delimiter=delimiter)
    path, _standin = import_donations(table, spec, Path(out),
                                      table_name=paths["donations"].name,
                                      table_sha256=hashlib.sha256(raw).hexdigest(),
                                      replace=replace, seed=seed)
    found = audit_donated_run(load_run(path), margins=table_margins, truth=truth_run, k=k,
                              bootstrap=bootstrap, refits=refits, seed=seed)
    return {"path": str(path), **found}


def _ratio(row: dict[str, Any], prefix: str = "") -> str:
    ratio, low, high = (row.get(f"{prefix}{key}") for key in ("ratio", "low", "high"))
    if ratio is None:
        return "hidden"
    if low is None or high is None:
        return f"{ratio:.2f} (no interval: no one of the group reaches the tier)"
    return f"{ratio:.2f} ({low:.2f}-{high:.2f})"


def report_markdown(audit: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """Return the donation audit as a Markdown report, with no individual's row.

    Parameters
    ----------
    audit : dict
        Output of :func:`audit_donated_run` (or :func:`import_donation_files`).
    labels : dict, optional
        Column -> human label.

    Returns
    -------
    str
        Sections: the stand-in, clear findings (as donated and weighted), drivers with
        their intervals, and the comparison with the truth when known. Text from the data
        is escaped (see :func:`core.safe_text.escape_markdown`).
    """
    esc, name = escape_markdown, (labels or {}).get
    found = audit["findings"]
    lines = [f"# Audit from donations: {esc(audit['run'])}", "",
             f"{found['donations']:,} donations; groups under {found['k']} donors hidden.", "",
             "## The stand-in model", ""]
    for c in audit["standin"]["candidates"]:
        mark = " (chosen)" if c["chosen"] else ""
        lines.append(f"- {esc(c['model'])}{mark}: cross-validated R2 {c['cv_r2']:.3f}, mean "
                     f"absolute error {c['cv_mae']:.2f}")
    lines += ["", "## Clear four-fifths findings (whole 95% interval under 0.8)", ""]
    for row in audit["clear"] or []:
        weighted = (f"; weighted {_ratio(row, 'weighted_')}" if found["weighted"] else "")
        lines.append(f"- {esc(name(row['attribute'], row['attribute']))} = "
                     f"{esc(row['group'])}, tier {esc(row['tier'])}: {_ratio(row)} of "
                     f"{row['n']:,} donors{weighted}")
    if not audit["clear"]:
        lines.append("- none")
    lines += ["", "## What drives the stand-in (mean |SHAP|, 95% interval over refits)", ""]
    for row in found["drivers"][:10]:
        interval = ("" if row["low"] is None else f" ({row['low']:.1f}-{row['high']:.1f})")
        lines.append(f"- {esc(row['label'])}: {row['mean_abs']:.1f}{interval}")
    truth = audit.get("truth")
    if truth is not None:
        counts = truth["counts"]
        lines += ["", f"## Against the truth of {esc(truth['run'])}", ""]
        if "rules_total" in truth:
            lines.append(f"- Hidden rules recovered (r >= 0.8): {truth['rules_recovered']} "
                         f"of {truth['rules_total']}")
        lines.append(f"- White-box findings confirmed {counts['confirmed']}, missed "
                     f"{counts['missed']}; invented {counts['invented']}")
        if "weighted" in counts:
            w = counts["weighted"]
            lines.append(f"- Weighted: confirmed {w['confirmed']}, missed {w['missed']}, "
                         f"invented {w['invented']}")
    return "\n".join(lines) + "\n"
