"""The audit report: one self-contained document (HTML, PDF or JSON) that can be published.

The report holds aggregates only: what was audited (data, model, hashes, versions, date),
accuracy, global drivers and their privacy categories, impact ratios by group and tier with
the four-fifths flags, proxies, friends' influence when there is a social graph, and the
number of suppressed cells, under a plain-language summary. No person's row appears; cells
of fewer than ``k`` people arrive suppressed from the audit. Charts are Altair specs
rendered offline to SVG by vl-convert and embedded as ``data:`` images, so the HTML opens
with no network and no script; every data-derived string goes through Jinja2's autoescape.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Literal

import altair as alt
import jinja2
import numpy as np
import pandas as pd
import vl_convert as vlc

from sesame_audit.model.audit.disclosure import view_label
from sesame_audit.model.core.jsonable import strict
from sesame_audit.model.runs.run import Run

TEMPLATE = "report.html.j2"  # Jinja2, autoescaped: data never becomes markup
Format = Literal["html", "pdf", "json"]
FOUR_FIFTHS = 0.8
TOP_DRIVERS = 15
TOP_PROXIES = 12
_LABELS = alt.Axis(labelLimit=300)


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    number = float(value)
    return f"{number:.{digits}g}" if 0 < abs(number) < 1e-3 else f"{number:,.{digits}f}"


def _drivers(run: Run, findings: dict[str, Any]) -> pd.DataFrame:
    """The audit's drivers (feature -> mean |SHAP|) with labels and privacy categories."""
    drivers = findings.get("drivers") or {}
    return pd.DataFrame({
        "feature": list(drivers),
        "label": [run.roles.label(f) for f in drivers],
        "privacy": [run.roles.privacy.get(f, "unspecified") for f in drivers],
        "mean_abs": [float(v) for v in drivers.values()],
    }, columns=["feature", "label", "privacy", "mean_abs"])


def _svg(chart: alt.Chart) -> str:
    svg = vlc.vegalite_to_svg(chart.to_dict())
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _charts(drivers: pd.DataFrame, privacy: pd.DataFrame, lowest: pd.DataFrame,
            unit: str) -> dict[str, str]:
    top = drivers.head(TOP_DRIVERS)
    charts = {
        "drivers": _svg(alt.Chart(top).mark_bar(color="#3b6fb6").encode(
            x=alt.X("mean_abs:Q", title=f"mean |SHAP| ({unit})"),
            y=alt.Y("label:N", sort=None, title=None, axis=_LABELS)).properties(width=380)),
        "privacy": _svg(alt.Chart(privacy).mark_bar(color="#7a5195").encode(
            x=alt.X("share:Q", title="share of all movement", axis=alt.Axis(format="%")),
            y=alt.Y("privacy:N", sort=None, title=None, axis=_LABELS)).properties(width=380)),
        "fairness": "",
    }
    if len(lowest):
        bars = alt.Chart(lowest).mark_bar().encode(
            x=alt.X("ratio:Q", title="lowest impact ratio over tiers",
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("who:N", sort=None, title=None, axis=_LABELS),
            color=alt.Color("flagged:N", legend=None,
                            scale=alt.Scale(domain=[True, False], range=["#c0392b", "#7f8c8d"])))
        rule = alt.Chart(pd.DataFrame({"x": [FOUR_FIFTHS]})).mark_rule(
            strokeDash=[4, 3]).encode(x="x:Q")
        charts["fairness"] = _svg((bars + rule).properties(width=380))
    return charts


def _fairness(findings: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], pd.DataFrame]:
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
                ratio = cells.get(tier)
                flagged = ratio is not None and ratio < FOUR_FIFTHS
                row_cells.append({"text": "suppressed" if ratio is None and tier in cells
                                  else _number(ratio), "flagged": flagged})
            rows.append({"attribute": attribute, "group": group, "cells": row_cells})
            shown = [r for r in cells.values() if r is not None]
            if shown:
                lowest.append({"who": f"{attribute}: {group}", "ratio": min(shown),
                               "flagged": min(shown) < FOUR_FIFTHS})
    return tiers, rows, pd.DataFrame(lowest, columns=["who", "ratio", "flagged"])


def _summary(run: Run, findings: dict[str, Any], drivers: pd.DataFrame,
             privacy: pd.DataFrame, explains: str, k: int) -> list[str]:
    lines = [f"The audited score is {explains}, computed for {len(run.people):,} people."]
    metrics = run.manifest.get("metrics", {})
    if metrics.get("r2") is not None:
        lines.append(f"The model reproduces the recorded score with R² {metrics['r2']:.3f}.")
    elif metrics.get("accuracy") is not None:
        lines.append(f"The model's decisions match the recorded outcomes for "
                     f"{metrics['accuracy']:.1%} of people.")
    top = drivers.head(3)
    if len(top):
        lines.append("The inputs that move scores most: "
                     + ", ".join(f"{r.label} ({r.privacy})" for r in top.itertuples()) + ".")
    sensitive_share = privacy.loc[privacy["privacy"] == "special category", "share"].sum()
    if sensitive_share > 0:
        lines.append(f"{sensitive_share:.0%} of all score movement comes from special-category "
                     "data (GDPR Art. 9).")
    flags = findings.get("flags") or []
    if flags:
        worst = min(flags, key=lambda f: f["impact_ratio"])
        lines.append(
            f"{len(flags)} group-by-tier comparison(s) fail the four-fifths rule. The largest "
            f"gap: {worst['attribute']} = {worst['group']} reaches tier {worst['tier']} at "
            f"{worst['impact_ratio']:.2f} times the rate of the best-served group.")
    else:
        lines.append("No group-by-tier comparison fails the four-fifths rule.")
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
        lines.append(f"{suppressed} cell(s) with fewer than {k} people are suppressed.")
    return lines


def _friends(findings: dict[str, Any]) -> list[tuple[str, str, str]]:
    friends = findings.get("friends") or {}
    return [(attribute, str(group), "suppressed" if points is None else f"{points:+.1f}")
            for attribute, groups in friends.items() for group, points in groups.items()]


def _disclosure(run: Run, findings: dict[str, Any]) -> list[dict[str, str]]:
    """Rows of the Disclosure section: attribute, what is shown, AUC and its interval."""
    shown = (findings.get("disclosure") or {}).get("attributes") or {}
    return [{"attribute": run.roles.label(attribute),
             "view": view_label(view),
             "auc": _number(f["auc"], 2), "interval": f"{f['low']:.2f}-{f['high']:.2f}",
             "people": f"{f['n']:,}"}
            for attribute, views in shown.items() for view, f in views.items()]


def report_context(run: Run, findings: dict[str, Any], *, k: int = 11,
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
        Template context: ``what``, ``summary``, ``accuracy``, ``drivers``, ``privacy``,
        ``tiers``, ``fairness``, ``flags``, ``proxies``, ``friends``, ``suppressed``,
        ``charts``, ``k``, ``explains``, ``disclosure``.
    """
    manifest = run.manifest
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    explains = manifest.get("shap", {}).get("explains") or (
        f"the model's score ({run.roles.score_min:g}-{run.roles.score_max:g})")
    drivers = _drivers(run, findings)
    total = drivers["mean_abs"].sum()
    privacy = (drivers.groupby("privacy", sort=False)["mean_abs"].sum()
               .sort_values(ascending=False).reset_index())
    privacy["share"] = privacy["mean_abs"] / total if total > 0 else 0.0
    tiers, fairness, lowest = _fairness(findings)
    source = manifest.get("source", "synthetic")
    rows = [("run", run.path.name), ("source", source), ("people", f"{len(run.people):,}"),
            ("score explained", explains),
            ("tiers", ", ".join(f"{t.name} ≥ {t.min_score:g}" for t in run.roles.tiers)),
            ("sensitive attributes", ", ".join(run.roles.sensitive)),
            ("SHAP method", manifest.get("shap", {}).get("note", "exact TreeSHAP"))]
    if source == "imported":
        rows += [("data", f"{manifest['data']['name']} (sha256 {manifest['data']['sha256']})"),
                 ("model", f"{manifest['model']['name']} (sha256 {manifest['model']['sha256']})"
                  ), ("estimator", manifest["model"]["estimator"])]
    else:
        rows += [("policy", str(manifest.get("policy"))), ("seed", str(manifest.get("seed")))]
    unit = "points" if manifest.get("shap", {}).get("output", "score") == "score" else \
        manifest["shap"]["output"].replace("_", "-")
    try:
        tool_version = metadata.version("sesame-audit")
    except metadata.PackageNotFoundError:
        tool_version = "unknown"
    return {
        "k": k,
        "explains": explains,
        "what": {"run": run.path.name, "title": f"{run.path.name} ({source})",
                 "generated": when, "tool_version": tool_version, "rows": rows,
                 "files": sorted(manifest.get("files", {}).items()),
                 "versions": sorted(manifest.get("versions", {}).items())},
        "summary": _summary(run, findings, drivers, privacy, explains, k),
        "accuracy": [(key, _number(value)) for key, value in manifest.get("metrics", {}).items()
                     if not isinstance(value, dict | list)],
        "drivers": [{"label": r.label, "privacy": r.privacy, "mean_abs": _number(r.mean_abs)}
                    for r in drivers.head(TOP_DRIVERS).itertuples()],
        "privacy": [{"privacy": r.privacy, "share": f"{r.share:.1%}"}
                    for r in privacy.itertuples()],
        "tiers": tiers,
        "fairness": fairness,
        "flags": findings.get("flags") or [],
        "proxies": [{"feature": p["feature"], "attribute": p["attribute"],
                     "strength": _number(p["strength"])}
                    for p in sorted(findings.get("proxies") or [],
                                    key=lambda p: -p["strength"])[:TOP_PROXIES]],
        "friends": _friends(findings),
        "suppressed": int(findings.get("suppressed_cells") or 0),
        "charts": _charts(drivers, privacy, lowest, unit),
        "disclosure": _disclosure(run, findings),
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
        HTML with the charts embedded as ``data:`` SVG images.
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = resources.files(__package__).joinpath(TEMPLATE).read_text("utf-8")
    return env.from_string(template).render(**context)


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
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def report_json(run: Run, findings: dict[str, Any], *, k: int = 11) -> dict[str, Any]:
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
    return {
        "audited": {"run": run.path.name, "source": manifest.get("source", "synthetic"),
                    "people": len(run.people), "k": k,
                    "data": manifest.get("data"), "model": manifest.get("model"),
                    "shap": manifest.get("shap"), "files": manifest.get("files"),
                    "versions": manifest.get("versions")},
        "findings": findings,
    }


def build_report(run: Run, findings: dict[str, Any], fmt: Format, *, k: int = 11,
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
                 k: int = 11) -> Path:
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
