"""The ``sesame-audit`` commands of data donations: ``donate``, ``plan`` and
``import --donations`` (see :mod:`model.donations`), with the same conventions as
:mod:`model.cli`: plain text or ``--json``, one-line errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sesame_audit.datasets.generate import MAX_PEOPLE
from sesame_audit.model.cli_output import CliError, emit, positive_int
from sesame_audit.model.figures.suppress import DEFAULT_K
from sesame_audit.model.runs.store import load_run


def _share(name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {raw!r}") from None
        if not 0 < value <= 1:
            raise argparse.ArgumentTypeError(f"{name} must be a share in (0, 1], got {raw}")
        return value
    return parse


def add_donation_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``import --donations`` to the ``import`` parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``import`` subcommand's parser.
    """
    positive = positive_int
    parser.add_argument("--margins", type=Path, default=None,
                     help="with --donations: population shares (CSV attribute,group,share) "
                          "to weight donors to")
    parser.add_argument("--truth", type=Path, default=None,
                     help="with --donations: the synthetic run they came from, to compare")
    parser.add_argument("--refits", type=positive("--refits", 0, 1000), default=20,
                     help="with --donations: bootstrap refits of the stand-in (default 20)")
    parser.add_argument("--seed", type=positive("--seed", 0, 2**32 - 1), default=0)
    parser.add_argument("--k", type=positive("--k", 1, 1_000_000), default=DEFAULT_K,
                     help=f"smallest group shown (default {DEFAULT_K})")


def add_donation_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``donate`` and ``plan`` to the command line.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The command line's subparsers.
    """
    positive = positive_int
    donate = sub.add_parser("donate", help="simulate a data-donation campaign on a run")
    donate.add_argument("run", type=Path, help="run folder")
    donate.add_argument("--requests", required=True,
                        type=positive("--requests", 1, MAX_PEOPLE),
                        help="people who request their record")
    donate.add_argument("--response", type=_share("--response"), default=0.1,
                        help="average share of requesters who donate (default 0.1)")
    donate.add_argument("--bias", default="mild",
                        help="none, mild, like-the-campaign, or TRAIT=FACTOR,... "
                             "(e.g. urban=1.5,young=1.3)")
    donate.add_argument("--seed", type=positive("--seed", 0, 2**32 - 1), default=0)
    donate.add_argument("--round", type=float, default=1.0,
                        help="the record's score is rounded to this step (default 1; 0 keeps it)")
    donate.add_argument("--blank", type=float, default=0.15,
                        help="chance a donor leaves a sensitive attribute blank (default 0.15)")
    donate.add_argument("--out", required=True, type=Path,
                        help="donations CSV; roles, counts and margins are written beside it")
    donate.add_argument("--json", action="store_true")
    donate.set_defaults(func=cmd_donate)

    plan = sub.add_parser("plan", help="how many donations a campaign needs (power curve)")
    plan.add_argument("run", type=Path, help="a synthetic run folder")
    plan.add_argument("--finding", action="append", default=[], metavar="FINDING",
                      help="impact_ratio:ATTRIBUTE=GROUP@TIER or rule:FEATURE (repeatable; "
                           "default: the white-box findings at the lowest tier and every rule)")
    plan.add_argument("--sizes", nargs="+", type=positive("--sizes", 10, MAX_PEOPLE),
                      default=[250, 500, 1000, 2000, 4000, 8000, 16000])
    plan.add_argument("--biases", nargs="+", default=["none", "mild", "like-the-campaign"])
    plan.add_argument("--reps", type=positive("--reps", 1, 10_000), default=100,
                      help="campaigns simulated per size and bias (default 100)")
    plan.add_argument("--seed", type=positive("--seed", 0, 2**32 - 1), default=0)
    plan.add_argument("--k", type=positive("--k", 1, 1_000_000), default=DEFAULT_K)
    plan.add_argument("--json", action="store_true")
    plan.set_defaults(func=cmd_plan)


def import_donations_command(args: argparse.Namespace) -> int:
    """Fit a stand-in on donations, write it as a run and print the donation audit."""
    from sesame_audit.model.donations.donated import import_donation_files, report_markdown

    if args.data is not None or args.model is not None:
        raise CliError("give either --donations or --data with --model, not both")
    found = import_donation_files(args.donations, args.roles, args.out, margins=args.margins,
                                  truth=args.truth, replace=args.replace, k=args.k,
                                  refits=args.refits, seed=args.seed,
                                  delimiter=args.delimiter)
    emit(found, as_json=args.json, text=lambda: f"Imported {found['path']}\n"
         + report_markdown(found))
    return 0


def cmd_donate(args: argparse.Namespace) -> int:
    """Simulate a data-donation campaign on a run; write the donations and roles."""
    from sesame_audit.model.donations.campaign import (
        campaign_counts,
        simulate_campaign,
        write_campaign,
    )
    from sesame_audit.model.donations.raking import margins_of

    run = load_run(args.run)
    campaign = simulate_campaign(run, requests=args.requests, response=args.response,
                                 bias=args.bias, seed=args.seed, round_to=args.round,
                                 blank=args.blank)
    written = write_campaign(campaign, args.out, margins=margins_of(run))
    emit({**campaign.summary, "files": {k: str(v) for k, v in written.items()}},
         as_json=args.json, text=lambda: "\n".join(
             [campaign_counts(campaign.summary)]
             + [f"  wrote {what}: {path}" for what, path in written.items()]))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """Power curves: the chance a campaign of each size detects each finding."""
    from sesame_audit.model.donations.power import parse_finding, power_curve

    run = load_run(args.run)
    findings = [parse_finding(run, text, k=args.k) for text in args.finding] or None
    plan = power_curve(run, findings, sizes=tuple(args.sizes), biases=tuple(args.biases),
                       reps=args.reps, seed=args.seed, k=args.k)

    def text() -> str:
        lines = [f"Donations needed for 80% power ({plan['reps']} simulated campaigns per "
                 f"size and bias, run {plan['run']}):"]
        for finding, by_bias in plan["needed"].items():
            most = f"over {max(plan['sizes']):,}"
            cells = ", ".join(f"{bias} {most if n is None else format(n, ',')}"
                              for bias, n in by_bias.items())
            lines.append(f"  {finding}: {cells}")
        return "\n".join(lines)

    emit(plan, as_json=args.json, text=text)
    return 0


