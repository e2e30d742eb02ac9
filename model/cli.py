"""The ``sesame-audit`` command line: build runs, explain scores, audit them.

Every command prints plain text, or JSON with ``--json``; a bad argument or input ends
with a one-line ``error: ...`` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sesame_audit.datasets.generate import MAX_PEOPLE, MIN_PEOPLE
from sesame_audit.datasets.policy import PRESETS, PolicyError
from sesame_audit.model.build.engine import ENGINES
from sesame_audit.model.cli_donations import (
    add_donation_arguments,
    add_donation_commands,
    import_donations_command,
)
from sesame_audit.model.cli_output import CliError, emit, positive_int
from sesame_audit.model.core.wording import metric_label
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.run import RunError
from sesame_audit.model.runs.store import load_run


def cmd_build(args: argparse.Namespace) -> int:
    """Build a run folder from a preset or a policy file."""
    from sesame_audit.model.build.builder import build_run

    def progress(step: str, done: float) -> None:
        print(f"[{done:4.0%}] {step}", file=sys.stderr, flush=True)

    path = build_run(args.policy, args.n, args.seed, args.out, progress=progress,
                     engine=args.engine, scheduler=args.scheduler, replace=args.replace)
    manifest = json.loads((path / "manifest.json").read_text())
    summary = {"run": str(path), "policy": manifest["policy"], "n": manifest["n"],
               "seed": manifest["seed"], "metrics": manifest["metrics"],
               "shap": manifest["shap"], "fidelity": manifest["fidelity"]}
    emit(summary, as_json=args.json, text=lambda: (
        f"Built {path}\n"
        f"  {metric_label('r2', manifest['metrics'])} {manifest['metrics']['r2']:.3f}, "
        f"{metric_label('mae_points').lower()} {manifest['metrics']['mae_points']:.1f} "
        "points\n"
        f"  SHAP additivity error {manifest['shap']['max_additivity_error_points']:.2e} points,"
        f" {manifest['shap']['rows_per_second']:,.0f} rows/s"))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain one person's score."""
    from sesame_audit.model.core import units
    from sesame_audit.model.person.explained import explain_person
    from sesame_audit.model.runs.identity import identity_line, run_identity

    run = load_run(args.run)
    try:
        person = explain_person(run, args.person)
    except KeyError as exc:
        raise CliError(str(exc).strip("'\"")) from None
    data = {
        "run": run_identity(run),
        "unit": units.unit_label(run.roles),
        "person": person.person,
        "score": person.score,
        "recorded_score": person.recorded_score,
        "base": person.base,
        "contributions": person.contributions,
        "reasons": [r.text for r in person.reasons],
        "tier": person.tier,
        "next_tier": None if person.next_tier is None else person.next_tier.name,
        "points_to_next": person.points_to_next,
    }

    def text() -> str:
        roles = run.roles
        lines = [identity_line(run_identity(run)),
                 f"Person {person.person}: score {units.format_value(person.score, roles)} "
                 f"(tier {units.tier_label(person.tier, roles)})",
                 f"  average score {units.format_value(person.base, roles)}",
                 f"Contributions ({units.change_label(roles)}, the most unfavourable "
                 "first):"]
        adverse_first = sorted(person.contributions.items(),
                               key=lambda kv: float(roles.oriented(kv[1])))
        for feature, points in adverse_first:
            if abs(points) >= units.smallest_reason(roles):
                lines.append(f"  {units.number(points, roles, change=True):>8}  "
                             f"{roles.label(feature)}")
        lines += ["Principal reasons:"] + [f"  - {r.text}" for r in person.reasons]
        return "\n".join(lines)

    emit(data, as_json=args.json, text=text)
    return 0


def cmd_fidelity(args: argparse.Namespace) -> int:
    """Check the SHAP values against the hidden rules of a run."""
    from sesame_audit.model.course.fidelity import NoHiddenRules, fidelity_report, hidden_rules

    run = load_run(args.run)
    try:
        rules = hidden_rules(run)
        report = fidelity_report(run)
    except NoHiddenRules as exc:
        raise CliError(str(exc)) from None
    data = {"run": run.path.name, "rules": [r.text for r in rules], **report.to_dict()}

    def text() -> str:
        lines = [f"Hidden rules of {run.path.name} ({report.n:,} people):"]
        lines += [f"  - {r.text}" for r in rules]
        lines.append("SHAP against the true contribution of each rule:")
        for row in report.terms.itertuples():
            lines.append(f"  r={row.pearson:5.3f} slope={row.slope:4.2f} "
                         f"sd={row.true_sd_points:5.1f} pts  {row.label}: {row.diagnosis}")
        lines.append(f"SHAP mass on inputs no rule reads: {report.unread_share:.1%}; "
                     f"model error against the hidden score: {report.mae_hidden_points:.1f} "
                     f"points (noise {report.noise_sd_points:g})")
        return "\n".join(lines)

    emit(data, as_json=args.json, text=text)
    return 0


def cmd_drivers(args: argparse.Namespace) -> int:
    """Print what drives the score for everyone: by feature and by privacy category."""
    from sesame_audit.model.figures.drivers import influence_by_feature, influence_by_privacy

    run = load_run(args.run)
    features = influence_by_feature(run.explanation.values, run.roles)
    privacy = influence_by_privacy(run.explanation.values, run.roles)
    data = {"features": features.to_dict("records"), "privacy": privacy.to_dict("records")}

    def text() -> str:
        lines = ["Mean |SHAP| by feature (points; mean signed in brackets):"]
        lines += [f"  {r.mean_abs_points:7.1f}  ({r.mean_signed_points:+.2f})  {r.label}"
                  for r in features.itertuples()]
        lines.append("Mean |SHAP| by privacy category (points, share):")
        lines += [f"  {r.mean_abs_points:7.1f}  {r.share:4.0%}  {r.privacy}"
                  for r in privacy.itertuples()]
        return "\n".join(lines)

    emit(data, as_json=args.json, text=text)
    return 0


def cmd_recourse(args: argparse.Namespace) -> int:
    """Find the smallest actionable change lifting one person to a tier."""
    from sesame_audit.model.person.recourse import find_recourse

    run = load_run(args.run)
    try:
        found = find_recourse(run, args.person, target=args.tier)
    except KeyError as exc:
        raise CliError(str(exc).strip("'\"")) from None
    emit(found.to_dict(), as_json=args.json, text=lambda: found.text)
    return 0


def cmd_subject_access(args: argparse.Namespace) -> int:
    """Print one person's subject-access summary: data, score, reasons."""
    from sesame_audit.model.person.subject_access import subject_access, to_markdown

    run = load_run(args.run)
    try:
        summary = subject_access(run, args.person)
    except KeyError as exc:
        raise CliError(str(exc).strip("'\"")) from None
    emit(summary, as_json=args.json, text=lambda: to_markdown(summary))
    return 0


def cmd_disclosure(args: argparse.Namespace) -> int:
    """Print what a public score gives away about sensitive attributes and private inputs."""
    from sesame_audit.model.audit.disclosure import disclosure_findings

    run = load_run(args.run)
    found = disclosure_findings(run, k=args.k)

    def text() -> str:
        lines = [f"What the shown score reveals (AUC, 0.5 = chance; 95% interval), run "
                 f"{run.path.name}:"]
        for attribute, views in found["attributes"].items():
            cells = "  ".join(f"{view} {v['auc']:.2f} ({v['low']:.2f}-{v['high']:.2f})"
                              for view, v in views.items())
            lines.append(f"  {run.roles.label(attribute)}: {cells}")
        lines.append("How much of each private input the shown score explains:")
        lines += [f"  {r['explained']:6.0%} ({r['low']:.0%}-{r['high']:.0%})  {r['label']}"
                  for r in found["inputs"][:10]]
        return "\n".join(lines)

    emit(found, as_json=args.json, text=text)
    return 0


def _types_text(types: list[str]) -> str:
    """What a model file asked to load: types checked against the allow-list (skops), or
    the trees the project's own reader parsed (LightGBM text, XGBoost JSON)."""
    if any(t.startswith("sesame_audit.") for t in types):
        return "read by the project's own parser (no code loaded):"
    plural = "s" if len(types) != 1 else ""
    return f"the file asked for {len(types)} type{plural}, all allow-listed:"


def cmd_import(args: argparse.Namespace) -> int:
    """Import a table and a model (skops, LightGBM text, XGBoost JSON), or donations."""
    from sesame_audit.model.explain.permutation_shap import sample_text
    from sesame_audit.model.importing.cells import missing_text
    from sesame_audit.model.importing.importer import import_files

    if args.donations is not None:
        return import_donations_command(args)
    if args.data is None or args.model is None:
        raise CliError("import needs --data and --model, or --donations (with --roles)")

    def progress(done: int, rows: int, seconds_left: float) -> None:
        print(f"explained {done:,} of {rows:,} rows, about {seconds_left:,.0f} s left",
              file=sys.stderr, flush=True)

    path = import_files(args.data, args.model, args.roles, args.out,
                        delimiter=args.delimiter, replace=args.replace, progress=progress,
                        explain_sample=args.explain_sample, seed=args.seed)
    manifest = json.loads((path / "manifest.json").read_text())
    summary = {"run": str(path), "n": manifest["n"], "model": manifest["model"],
               "shap": manifest["shap"], "metrics": manifest["metrics"]}
    emit(summary, as_json=args.json, text=lambda: "\n".join([
        f"Imported {path} ({manifest['n']:,} rows"
        + (f"; {sample_text(manifest['shap'])})" if sample_text(manifest["shap"]) else ")"),
        f"  model: {manifest['model']['estimator']} ({manifest['model']['task']}); "
        + _types_text(manifest["model"]["types"]),
        *(f"    {t}" for t in manifest["model"]["types"]),
        f"  SHAP: {manifest['shap']['note']}",
        f"  additivity error {manifest['shap']['max_additivity_error_points']:.2e}",
        *[f"  {line}" for line in [missing_text(manifest["data"].get("missing", {}),
                                                manifest["n"])] if line]]))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Audit a run: tier access by group, four-fifths flags, proxies, friends, drivers.

    With ``--fail-on`` gates (see :mod:`audit.gates`), exit 1 when a clear finding crosses
    one, printing each crossing on stderr, and the uncertain ones apart.
    """
    from sesame_audit.model.audit.findings import audit_findings, findings_text
    from sesame_audit.model.audit.gates import evaluate_gates, parse_gate, uncertain_crossings

    gates = [parse_gate(text) for text in args.fail_on]
    run = load_run(args.run)
    findings = audit_findings(run, k=args.k)
    emit(findings, as_json=args.json,
         text=lambda: findings_text(findings, run.roles.labels, roles=run.roles))
    breaches = evaluate_gates(findings, gates)
    for breach in breaches:
        print(f"FAILED {breach.text}", file=sys.stderr)
    for crossing in uncertain_crossings(findings, gates):
        print(f"uncertain (does not fail) {crossing.text}", file=sys.stderr)
    if gates and not breaches:
        print(f"passed {len(gates)} gate(s): {', '.join(g.text for g in gates)}",
              file=sys.stderr)
    return 1 if breaches else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the audit report of a run as HTML, PDF or JSON."""
    from sesame_audit.model.audit.findings import audit_findings
    from sesame_audit.model.report.document import write_report

    run = load_run(args.run)
    out = write_report(run, audit_findings(run, k=args.k), args.format, args.out, k=args.k)
    print(f"Wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``error: ...``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print a one-line error and exit with status 2."""
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sesame-audit",
        description="Audit an opaque score: build synthetic runs, explain and audit them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="generate a population, fit and explain the score")
    build.add_argument("--policy", default="social-credit",
                       help=f"a preset ({', '.join(PRESETS)}) or a policy .toml file")
    build.add_argument("--n", type=positive_int("--n", MIN_PEOPLE, MAX_PEOPLE), default=20_000,
                       help="number of people (default 20000)")
    build.add_argument("--seed", type=positive_int("--seed", 0, 2**32 - 1), default=0)
    build.add_argument("--out", type=Path, default=None,
                       help="run folder (default runs/<policy>-n<N>-s<seed>); a new folder, "
                            "or a run folder with --replace")
    build.add_argument("--replace", action="store_true",
                       help="replace an existing run folder at the destination (atomically); "
                            "nothing but a run folder is ever replaced")
    build.add_argument("--engine", choices=ENGINES, default="local",
                       help="where chunks run: this process (default) or a Dask cluster")
    build.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of an existing Dask scheduler (with --engine dask); "
                            "without it a local two-worker cluster is started")
    build.add_argument("--json", action="store_true", help="print a JSON summary")
    build.set_defaults(func=cmd_build)

    explain = sub.add_parser("explain", help="explain one person's score")
    explain.add_argument("run", type=Path, help="run folder")
    explain.add_argument("--person", required=True, help="the person's id")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(func=cmd_explain)

    fidelity = sub.add_parser("fidelity", help="check SHAP values against the hidden rules")
    fidelity.add_argument("run", type=Path, help="run folder")
    fidelity.add_argument("--json", action="store_true")
    fidelity.set_defaults(func=cmd_fidelity)

    recourse = sub.add_parser("recourse", help="what one person could change to reach a tier")
    recourse.add_argument("run", type=Path, help="run folder")
    recourse.add_argument("--person", required=True, help="the person's id")
    recourse.add_argument("--tier", default=None, help="tier to reach (default: the next one)")
    recourse.add_argument("--json", action="store_true")
    recourse.set_defaults(func=cmd_recourse)

    drivers = sub.add_parser("drivers", help="what drives the score for everyone")
    drivers.add_argument("run", type=Path, help="run folder")
    drivers.add_argument("--json", action="store_true")
    drivers.set_defaults(func=cmd_drivers)

    access = sub.add_parser("subject-access",
                            help="one person's data, score and reasons (Markdown or JSON)")
    access.add_argument("run", type=Path, help="run folder")
    access.add_argument("--person", required=True, help="the person's id")
    access.add_argument("--json", action="store_true")
    access.set_defaults(func=cmd_subject_access)

    audit = sub.add_parser("audit", help="fairness by group and tier, proxies, friends")
    audit.add_argument("run", type=Path, help="run folder")
    audit.add_argument("--k", type=positive_int("--k", 1, 1_000_000), default=DEFAULT_K,
                       help="smallest group shown; smaller groups are hidden "
                            f"(default {DEFAULT_K})")
    audit.add_argument("--json", action="store_true", help="print the findings as JSON")
    audit.add_argument("--fail-on", action="append", default=[], metavar="GATE",
                       help="exit 1 when a finding crosses GATE, e.g. 'impact_ratio<0.8' or "
                            "'proxy_strength[sex]>0.7' (repeatable; metrics: impact_ratio, "
                            "proxy_strength, suppressed_cells)")
    audit.set_defaults(func=cmd_audit)

    report = sub.add_parser("report", help="write the audit report (HTML, PDF or JSON)")
    report.add_argument("run", type=Path, help="run folder")
    report.add_argument("--format", choices=("html", "pdf", "json"), default="html")
    report.add_argument("--out", required=True, type=Path, help="file to write")
    report.add_argument("--k", type=positive_int("--k", 1, 1_000_000), default=DEFAULT_K,
                        help="smallest group shown; smaller groups are hidden "
                            f"(default {DEFAULT_K})")
    report.set_defaults(func=cmd_report)

    disclosure = sub.add_parser(
        "disclosure", help="what a score shown in public reveals about the person")
    disclosure.add_argument("run", type=Path, help="run folder")
    disclosure.add_argument("--k", type=positive_int("--k", 1, 1_000_000), default=11,
                            help="smallest group shown; smaller groups are hidden (default 11)")
    disclosure.add_argument("--json", action="store_true", help="print the findings as JSON")
    disclosure.set_defaults(func=cmd_disclosure)

    own = sub.add_parser("import", help="import your own table, model (skops, LightGBM "
                         ".txt or XGBoost .json) and roles file, or donations (a stand-in "
                         "model is fitted)")
    own.add_argument("--data", type=Path, help="table: CSV (UTF-8) or Parquet")
    own.add_argument("--model", type=Path,
                     help="model saved with skops, a LightGBM text model (.txt) or "
                          "an XGBoost JSON model (.json)")
    own.add_argument("--donations", type=Path,
                     help="donations or a decision log: inputs and recorded scores, no model")
    own.add_argument("--roles", required=True, type=Path, help="column roles (TOML)")
    own.add_argument("--out", required=True, type=Path, help="run folder to create")
    add_donation_arguments(own)
    own.add_argument("--explain-sample", type=positive_int("--explain-sample", 1, 10**9),
                     default=None, metavar="N",
                     help="for a model with no exact explainer, explain (and audit) a random "
                          "sample of N people drawn with --seed instead of everyone")
    own.add_argument("--delimiter", default=",", help="CSV delimiter (default ',')")
    own.add_argument("--replace", action="store_true",
                     help="replace an existing run folder at --out (atomically); nothing but "
                          "a run folder is ever replaced")
    own.add_argument("--json", action="store_true")
    own.set_defaults(func=cmd_import)

    add_donation_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when an audit gate fails, 2 on a usage or input error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its one-line usage error already
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except (CliError, RunError, PolicyError, ValueError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; no run folder was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
