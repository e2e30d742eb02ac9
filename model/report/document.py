"""The audit report: one self-contained document (HTML, PDF or JSON) that can be published.

The report holds aggregates only: what was audited (data, model, hashes, versions, date),
accuracy, global drivers and their privacy categories, impact ratios by group and tier with
their 95% intervals, people and the four-fifths findings (clear or uncertain), sensitive
attributes read directly, proxies, friends' influence when there is a social graph, and the
number of suppressed cells (and error rates by group when outcomes are recorded), under a
plain-language summary. No person's row appears; cells
of fewer than ``k`` people arrive suppressed from the audit. Charts are Altair specs
rendered offline to SVG by vl-convert and embedded as ``data:`` images, so the HTML opens
with no network and no script; every data-derived string goes through Jinja2's autoescape.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np
import pandas as pd

from sesame_audit.model.audit.disclosure import view_label
from sesame_audit.model.audit.fairness import (
    CLEAR,
    UNCERTAIN,
    four_fifths_finding,
)
from sesame_audit.model.audit.findings import HIDDEN_FINDING
from sesame_audit.model.audit.proxies import direct_use_lines
from sesame_audit.model.core import units
from sesame_audit.model.core.jsonable import strict
from sesame_audit.model.core.pdf import html_to_pdf
from sesame_audit.model.core.roles import LOW
from sesame_audit.model.core.wording import METRICS, metric_label, metric_meaning, readable
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.importing.cells import printable
from sesame_audit.model.report.outcomes_section import outcomes_context
from sesame_audit.model.report.report_charts import TOP_DRIVERS, report_charts
from sesame_audit.model.runs.identity import identity_line, run_identity
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.stored import influence, r2_label

TEMPLATE = "report.html.j2"  # Jinja2, autoescaped: data never becomes markup
Format = Literal["html", "pdf", "json"]
TOP_PROXIES = 12


def accuracy_rows(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The report's accuracy table: each metric's label, value and meaning, in words.

    Parameters
    ----------
    metrics : dict
        The manifest's metrics.

    Returns
    -------
    list of (str, str, str)
        Label (see :func:`core.wording.metric_label`), the value as shown, what it measures;
        in the order of :data:`core.wording.METRICS` (the model's accuracy first), then the
        metrics it does not name.
    """
    known = list(METRICS)
    order = sorted(metrics, key=lambda k: (known.index(k) if k in known else len(known), k))
    return [(metric_label(key, metrics), _shown_number(metrics[key]), metric_meaning(key))
            for key in order if not isinstance(metrics[key], dict | list)]


def _shown_number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return f"{x:.{digits}g}" if 0 < abs(x := float(value)) < 1e-3 else f"{x:,.{digits}f}"


def _drivers(run: Run, findings: dict[str, Any]) -> pd.DataFrame:
    """The audit's drivers (feature -> mean |SHAP|) with labels and privacy categories."""
    drivers = findings.get("drivers") or {}
    return pd.DataFrame({
        "feature": list(drivers),
        "label": [run.roles.label(f) for f in drivers],
        "privacy": [run.roles.privacy.get(f, "unspecified") for f in drivers],
        "mean_abs": [float(v) for v in drivers.values()],
    }, columns=["feature", "label", "privacy", "mean_abs"])


def _cell_text(cell: dict[str, Any]) -> str:
    """An impact ratio with its interval and people, e.g. ``0.62 [0.50, 0.77], 45/120``."""
    text = _shown_number(cell.get("ratio"), 2)
    if cell.get("low") is not None and cell.get("high") is not None:
        text += f" [{_shown_number(cell['low'], 2)}, {_shown_number(cell['high'], 2)}]"
    if cell.get("n") is not None:
        text += f", {cell.get('reached')}/{cell['n']}"
    return text


def _fairness(findings: dict[str, Any], label: Callable[[str], str]
              ) -> tuple[list[str], list[dict[str, Any]], pd.DataFrame]:
    """Tiers, rows of the fairness table (labels, not ids) and each group's lowest ratio."""
    ratios = findings.get("impact_ratios") or {}
    tiers: list[str] = []
    for groups in ratios.values():
        for cells in groups.values():
            tiers += [t for t in cells if t not in tiers]
    rows, lowest = [], []
    for attribute, groups in ratios.items():
        for group, cells in groups.items():
            row_cells = []
            for tier in tiers:
                cell = cells.get(tier) or {}
                finding = four_fifths_finding(
                    np.nan if cell.get("ratio") is None else cell["ratio"],
                    np.nan if cell.get("high") is None else cell["high"]).item()
                hidden = tier in cells and cell.get("ratio") is None and cell.get("n") is None
                row_cells.append({"text": "suppressed" if hidden else _cell_text(cell),
                                  "flagged": finding == CLEAR,
                                  "uncertain": finding == UNCERTAIN})
            named = " & ".join(label(c) for c in attribute.split(" & "))
            rows.append({"attribute": named, "group": readable(group), "cells": row_cells})
            shown = [(c["ratio"], c.get("low"), c.get("high")) for c in cells.values()
                     if c and c.get("ratio") is not None]
            if shown and " & " not in attribute:  # the chart: one attribute at a time
                ratio, low, high = min(shown, key=lambda r: r[0])
                finding = four_fifths_finding(
                    ratio, np.nan if high is None else high).item()
                lowest.append({"who": f"{named}: {readable(group)}", "ratio": ratio,
                               "low": np.nan if low is None else low,
                               "high": np.nan if high is None else high,
                               "finding": finding})
    frame = pd.DataFrame(lowest, columns=["who", "ratio", "low", "high", "finding"])
    return [readable(t) for t in tiers], rows, frame


def _summary(run: Run, findings: dict[str, Any], drivers: pd.DataFrame,
             privacy: pd.DataFrame, explains: str, k: int) -> list[str]:
    lines = [f"The audited score is {explains}, computed for {len(run.people):,} people."]
    metrics = run.manifest.get("metrics", {})
    if metrics.get("r2") is not None:
        lines.append(f"The model reproduces the recorded score with R² {metrics['r2']:.3f} "
                     f"({r2_label(metrics).removesuffix(' R²')}).")
    elif metrics.get("accuracy") is not None:
        lines.append(f"The model's decisions match the recorded outcomes for "
                     f"{metrics['accuracy']:.1%} of people.")
    top = drivers.head(3)
    if len(top):
        lines.append("The inputs that move scores most: "
                     + ", ".join(f"{r.label} ({r.privacy})" for r in top.itertuples()) + ".")
    sensitive_share = privacy.loc[privacy["privacy"] == "special category", "share"].sum()
    if sensitive_share > 0:
        lines.append(f"Special-category data (GDPR Art. 9) carry {sensitive_share:.1%} of the "
                     "score's movement, summed by privacy category as on the Drivers page.")
    flags, uncertain = findings.get("flags") or [], findings.get("uncertain") or []
    minimum = findings.get("reference_min")
    if flags:
        worst = min(flags, key=lambda f: (f["high"], f["impact_ratio"]))  # surest, not rarest
        lines.append(
            f"{len(flags)} group-by-tier comparison(s) clearly fail the four-fifths rule (the "
            f"whole 95% interval under 0.8). The largest gap (lowest upper end of the "
            f"interval): "
            f"{' & '.join(run.roles.label(a) for a in worst['attribute'].split(' & '))} = "
            f"{readable(worst['group'])} ({worst['n']:,} people, {worst['reached']:,} "
            f"reaching) reaches tier {readable(worst['tier'])} at "
            f"{worst['impact_ratio']:.2f} times the rate of {readable(worst['reference'])} "
            f"(95% interval {worst['low']:.2f} to {worst['high']:.2f}).")
    else:
        lines.append("No group-by-tier comparison clearly fails the four-fifths rule.")
    if uncertain:
        lines.append(f"{len(uncertain)} more comparison(s) fall under 0.8 with an interval "
                     "that reaches 0.8: too few people to tell (listed apart below).")
    if findings.get("findings_may_be_hidden"):
        lines.append(HIDDEN_FINDING.format(k=k))
    if minimum:
        lines.append(f"Each ratio compares a group with the most favoured group of at least "
                     f"{minimum} people.")
    lines += direct_use_lines(findings.get("direct_use") or [], roles=run.roles)
    proxies = findings.get("proxies") or []
    if proxies:
        best = max(proxies, key=lambda p: p["strength"])
        lines.append(f"Strongest proxy: {best['feature']} alone predicts {best['attribute']} "
                     f"with strength {best['strength']:.2f} (0.5 is chance, 1 is certainty).")
    if findings.get("friends"):
        lines.append("Friends' scores feed the score: see the points each group gets from "
                     "its friends below.")
    suppressed = int(findings.get("suppressed_cells") or 0)
    if suppressed:
        lines.append(f"{suppressed} group(s) are suppressed: they hold fewer than {k} people, "
                     "or would let such a group be recomputed from the totals shown.")
    return lines


def _friends(findings: dict[str, Any]) -> list[tuple[str, str, str]]:
    friends = findings.get("friends") or {}
    return [(attribute, str(group), "suppressed" if cell["points"] is None else
             f"{cell['points']:+.1f} [{cell['low']:+.1f}, {cell['high']:+.1f}], "
             f"{cell['n']:,} people")
            for attribute, groups in friends.items() for group, cell in groups.items()]


def _disclosure(run: Run, findings: dict[str, Any]) -> list[dict[str, str]]:
    """Rows of the Disclosure section: attribute, what is shown, AUC and its interval."""
    shown = (findings.get("disclosure") or {}).get("attributes") or {}
    return [{"attribute": run.roles.label(attribute),
             "view": view_label(view, run.roles),
             "auc": _shown_number(f["auc"], 2), "interval": f"{f['low']:.2f}-{f['high']:.2f}",
             "people": f"{f['n']:,}"}
            for attribute, views in shown.items() for view, f in views.items()]


def report_context(run: Run, findings: dict[str, Any], *, k: int = DEFAULT_K,
                   generated: datetime | None = None) -> dict[str, Any]:
    """Gather everything the report shows; aggregates only.

    Parameters
    ----------
    run : Run
        The audited run.
    findings : dict
        Output of ``audit.findings.audit_findings(run, k=k)``.
    k : int
        Smallest group shown (the audit suppressed smaller ones).
    generated : datetime, optional
        Time stamp of the report (defaults to now, UTC).

    Returns
    -------
    dict
        Template context: ``what``, ``headline``, ``summary``, ``accuracy``, ``drivers``,
        ``privacy``, ``tiers``, ``fairness``, ``flags`` (clear findings), ``uncertain``,
        ``reference_min``, ``direct_use`` (sentences), ``proxies``, ``friends``,
        ``suppressed``, ``charts``, ``k``, ``explains``, ``disclosure``, ``outcomes``.
    """
    manifest = run.manifest
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    explains = manifest.get("shap", {}).get("explains") or (
        f"the model's score ({run.roles.score_min:g}-{run.roles.score_max:g})")
    drivers = _drivers(run, findings)
    privacy = influence(run)[1]  # the Drivers page's table: one definition of the share
    tiers, fairness, lowest = _fairness(findings, run.roles.label)
    source = manifest.get("source", "synthetic")
    identity = run_identity(run)
    rows = [("run", run.path.name), ("source", source), ("people", f"{len(run.people):,}"),
            ("manifest sha256", identity["manifest_sha256"]),
            ("population", "synthetic" if identity["synthetic"] else "imported"),
            ("score explained", explains), ("unit", units.unit_label(run.roles)),
            ("tiers", ", ".join(f"{t.name} {'≤' if run.roles.favourable == LOW else '≥'} "
                                f"{units.format_threshold(t.min_score, run.roles)}"
                                for t in run.roles.tiers)),
            ("sensitive attributes", ", ".join(run.roles.sensitive)),
            ("SHAP method", manifest.get("shap", {}).get("note", "exact TreeSHAP"))]
    if source == "imported":
        rows += [("data", f"{manifest['data']['name']} (sha256 {manifest['data']['sha256']})"),
                 ("model", f"{manifest['model']['name']} (sha256 {manifest['model']['sha256']})"
                  ), ("estimator", manifest["model"]["estimator"])]
    else:
        rows += [("policy", str(manifest.get("policy"))), ("seed", str(manifest.get("seed")))]
    try:
        tool_version = metadata.version("sesame-audit")
    except metadata.PackageNotFoundError:
        tool_version = "unknown"
    return {
        "k": k,
        "explains": explains,
        "what": {"run": run.path.name, "title": f"{run.path.name} ({source})",
                 "identity": identity_line(identity), "synthetic": identity["synthetic"],
                 "generated": when, "tool_version": tool_version, "rows": rows,
                 "files": sorted(manifest.get("files", {}).items()),
                 "versions": sorted(manifest.get("versions", {}).items())},
        "headline": (findings.get("headline") or {}).get("sentence", ""),
        "summary": _summary(run, findings, drivers, privacy, explains, k),
        "accuracy": accuracy_rows(manifest.get("metrics", {})),
        "drivers": [{"label": r.label, "privacy": r.privacy, "mean_abs": _shown_number(r.mean_abs)}
                    for r in drivers.head(TOP_DRIVERS).itertuples()],
        "privacy": [{"privacy": r.privacy, "share": f"{r.share:.1%}"}
                    for r in privacy.itertuples()],
        "tiers": tiers,
        "fairness": fairness,
        "flags": findings.get("flags") or [],
        "uncertain": findings.get("uncertain") or [],
        "reference_min": findings.get("reference_min"),
        "direct_use": direct_use_lines(findings.get("direct_use") or [], roles=run.roles),
        "proxies": [{"feature": p["feature"], "attribute": p["attribute"],
                     "strength": _shown_number(p["strength"])}
                    for p in sorted(findings.get("proxies") or [],
                                    key=lambda p: -p["strength"])[:TOP_PROXIES]],
        "friends": _friends(findings),
        "suppressed": int(findings.get("suppressed_cells") or 0),
        "charts": report_charts(drivers, privacy, lowest, units.change_label(run.roles)),
        "disclosure": _disclosure(run, findings), "outcomes": outcomes_context(findings),
    }


def render_html(context: dict[str, Any]) -> str:
    """Render the report context as one self-contained HTML page (autoescaped).

    Parameters
    ----------
    context : dict
        Output of :func:`report_context`.

    Returns
    -------
    str
        HTML with the charts embedded as ``data:`` SVG images; control characters (which
        abort the PDF renderer) are removed from the text.
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = resources.files(__package__).joinpath(TEMPLATE).read_text("utf-8")
    return printable(env.from_string(template).render(**context))


def render_pdf(html: str) -> bytes:
    """Turn the report's HTML into a PDF with WeasyPrint, fetching nothing from outside.

    Parameters
    ----------
    html : str
        Output of :func:`render_html`.

    Returns
    -------
    bytes
        The PDF.
    """
    return html_to_pdf(html)


def report_json(run: Run, findings: dict[str, Any], *, k: int = DEFAULT_K) -> dict[str, Any]:
    """Return the findings with what was audited, as a JSON-ready dictionary.

    Parameters
    ----------
    run : Run
        The audited run.
    findings : dict
        Audit findings.
    k : int
        Smallest group shown.

    Returns
    -------
    dict
        ``audited`` (run, source, people, k, data/model hashes, SHAP method, file hashes,
        versions) and ``findings``.
    """
    manifest = run.manifest
    identity = run_identity(run)
    return {
        "identity": {**identity, "line": identity_line(identity),
                     "unit": units.unit_label(run.roles)},
        "audited": {"run": run.path.name, "source": manifest.get("source", "synthetic"),
                    "people": len(run.people), "k": k,
                    "data": manifest.get("data"), "model": manifest.get("model"),
                    "shap": manifest.get("shap"), "files": manifest.get("files"),
                    "versions": manifest.get("versions")},
        "findings": findings,
    }


def build_report(run: Run, findings: dict[str, Any], fmt: Format, *, k: int = DEFAULT_K,
                 generated: datetime | None = None) -> bytes:
    """Return the report in one format, as bytes ready to save or download.

    Parameters
    ----------
    run : Run
        The audited run.
    findings : dict
        Output of ``audit.findings.audit_findings(run, k=k)``.
    fmt : {"html", "pdf", "json"}
        Format.
    k : int
        Smallest group shown.
    generated : datetime, optional
        Time stamp (defaults to now, UTC).

    Returns
    -------
    bytes
        UTF-8 HTML or JSON, or a PDF.
    """
    if fmt == "json":
        data = strict(report_json(run, findings, k=k))
        return (json.dumps(data, indent=2, allow_nan=False, default=str) + "\n").encode()
    if fmt not in ("html", "pdf"):
        raise ValueError(f"unknown report format {fmt!r}: use html, pdf or json")
    html = render_html(report_context(run, findings, k=k, generated=generated))
    return html.encode() if fmt == "html" else render_pdf(html)


def write_report(run: Run, findings: dict[str, Any], fmt: Format, out: str | Path, *,
                 k: int = DEFAULT_K) -> Path:
    """Write the report to ``out`` (via a temporary file, so a failure leaves no half file).

    Parameters
    ----------
    run : Run
        The audited run.
    findings : dict
        Audit findings.
    fmt : {"html", "pdf", "json"}
        Format.
    out : str or pathlib.Path
        Destination file.
    k : int
        Smallest group shown.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    out = Path(out)
    data = build_report(run, findings, fmt, k=k)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
