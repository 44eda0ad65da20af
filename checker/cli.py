"""The ``trailcheck`` command line: parse options, call the pipeline, print, exit.

Exit codes: 0 nothing blocking; 1 a blocking ``fail`` or any ``error`` finding; 2 bad
invocation or bad input (a one-line message naming the place, never a traceback); 3 an
internal error, a bug (one line saying so; ``--verbose`` adds the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checker import __version__
from checker.alerting.chain_model import Chain, Link, short_id
from checker.alerting.chains import RecordAlert, record_alert
from checker.arn import Arn
from checker.comma_list import comma_list
from checker.errors import InputError
from checker.findings import SEVERITIES
from checker.formats import parse_formats
from checker.formats.interface import write_report
from checker.formats.table import simple_table
from checker.inputs.events import EventOptions, parse_since
from checker.inputs.interface import SnapshotSource
from checker.inputs.live.options import DEFAULT_ROLE_NAME, DEFAULT_WORKERS, LiveOptions, Shard
from checker.inputs.snapshot import SnapshotFile
from checker.plan.rules import FAMILIES, parse_families
from checker.policy.loader import builtin_policy_dir, load_policies
from checker.policy.model import Rule
from checker.recorders import RECORDER_FAMILIES
from checker.report.baseline import Baseline, diff_findings, render_diff_json, render_diff_table
from checker.report.document import load_report
from checker.report.model import Report
from checker.safetext import for_terminal, json_for_terminal
from checker.scan import ScanOptions, exit_code, load_rules, run_scan
from checker.schemas import SCHEMA_NAMES, load_schema
from checker.simulator import RecordVerdict, record_verdict

EXIT_OK, EXIT_BAD_INPUT, EXIT_BUG = 0, 2, 3


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the examples in epilogs as written."""


def _command(sub: Any, name: str, summary: str, examples: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=summary, formatter_class=_Formatter,
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples.strip().splitlines()))
    return parser


def _add_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", action="append", type=Path, default=[], metavar="DIR",
                        help="policy file or directory to load (repeatable); added to the built-in pack")
    parser.add_argument("--no-builtin", action="store_true", help="do not load the built-in policy pack")


def _add_rule_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=comma_list, default=(), metavar="ID,...", help="only these rule ids")
    parser.add_argument("--skip-rules", type=comma_list, default=(), metavar="ID,...", help="leave out these rule ids")
    parser.add_argument("--param", action="append", default=[], metavar="RULE.KEY=VALUE",
                        help="override a rule parameter (repeatable)")


def _add_live_options(parser: argparse.ArgumentParser) -> None:
    live = parser.add_argument_group("live AWS (default credential chain; AWS_ENDPOINT_URL honoured)")
    live.add_argument("--org", action="store_true",
                      help="walk the AWS Organization: every ACTIVE account through --role-name")
    live.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default chain)")
    live.add_argument("--regions", type=comma_list, metavar="R,...",
                      help="regions to read (default: the enabled regions from EC2 DescribeRegions)")
    live.add_argument("--accounts", type=comma_list, metavar="ID,...", help="only these accounts (with --org)")
    live.add_argument("--role-name", default=DEFAULT_ROLE_NAME,
                      help=f"role assumed in member accounts (default: {DEFAULT_ROLE_NAME})")
    live.add_argument("--external-id", help="external id for AssumeRole")
    live.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                      help=f"concurrent API workers (default: {DEFAULT_WORKERS}); event files use at most "
                           "one process per CPU")
    live.add_argument("--processes", type=int, default=1, metavar="N",
                      help="collect in N processes, a share of the accounts each (default: 1); for large "
                           "organizations, where botocore's CPU per call, not AWS's latency, bounds the time")
    live.add_argument("--with", dest="with_families", type=comma_list, default=(), metavar="FAMILY,...",
                      help="also collect these data families, whatever the rules need ("
                           + ", ".join(family for family in FAMILIES if family != "trails")
                           + "): every monitoring chain, every trail's bucket, key and log group, the "
                             "CloudTrail Lake event data stores (read only when asked)")


def _live_options(args: argparse.Namespace) -> LiveOptions:
    if args.workers < 1:
        raise InputError("--workers", f"must be a positive integer, got {args.workers}")
    if args.processes < 1:
        raise InputError("--processes", f"must be a positive integer, got {args.processes}")
    return LiveOptions(profile=args.profile, regions=args.regions, org=args.org, accounts=args.accounts,
                       role_name=args.role_name, external_id=args.external_id, workers=args.workers,
                       processes=args.processes,
                       quiet=args.quiet, with_families=parse_families(args.with_families),
                       shard=Shard.parse(args.shard) if getattr(args, "shard", None) else None)


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", "-q", action="store_true", help="no progress or notes on stderr")
    verbosity.add_argument("--verbose", "-v", action="store_true", help="more detail on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trailcheck", formatter_class=_Formatter,
        description="Policy-as-code compliance checks for AWS CloudTrail, with exact event-selector semantics.",
        epilog="examples:\n  trailcheck scan --snapshot examples/estate.json\n  trailcheck rules\n"
               "  trailcheck explain --snapshot examples/estate.json event.json\n"
               "run 'trailcheck COMMAND --help' for a command's options and examples.")
    parser.add_argument("--version", action="version", version=f"trailcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = _command(sub, "scan", "Evaluate policies against trail configurations and sampled events.", """
trailcheck scan --snapshot examples/estate.json
trailcheck scan --snapshot estate.json --format table,json,sarif --output-dir out/
trailcheck scan --snapshot estate.json --rules kms-exclusion-gap,multi-region-trail
trailcheck scan --snapshot estate.json --param trail-delivery-healthy.max_delivery_age_hours=6
trailcheck scan --snapshot estate.json --policies my-policies/ --fail-on medium
trailcheck scan --snapshot estate.json --events events/ --events s3://trail-bucket/AWSLogs/ --since 24h
trailcheck scan --events lookup --regions us-east-1,eu-west-1 --since 7d   # event rules only
trailcheck scan --org --role-name AuditRole --format json,html,sarif       # live, whole organization
trailcheck scan --snapshot estate.json --waivers waivers.yaml --baseline last-night/findings.json
trailcheck scan --snapshot estate.json --framework cis-aws-foundations-v3.0 --format table,html
trailcheck scan --terraform-plan plan.json --format table,sarif,md       # pull-request gate on a Terraform plan
trailcheck scan --cloudformation template.yaml --regions us-east-1,eu-west-1""")
    scan.add_argument("--snapshot", type=Path, metavar="FILE", help="trail configuration snapshot (offline)")
    scan.add_argument("--live", action="store_true",
                      help="read trail configurations from AWS (the default when no --snapshot/--events)")
    code = scan.add_argument_group("infrastructure as code: the pull-request gate (docs/iac.md); --regions names "
                                   "the Regions the code deploys to")
    code.add_argument("--terraform-plan", type=Path, metavar="PLAN.json",
                      help="a plan as 'terraform show -json PLANFILE' writes it (OpenTofu too)")
    code.add_argument("--terraform-dir", type=Path, metavar="DIR",
                      help="the plan's root module, whose .tf files give findings their lines (default: the "
                           "plan's directory)")
    code.add_argument("--cloudformation", type=Path, metavar="TEMPLATE",
                      help="a CloudFormation template (YAML, JSON, cdk synth output), deployed once per --regions")
    code.add_argument("--baseline-plan", type=Path, metavar="FILE",
                      help="the plan or template of the base branch, for coverage-regression (default for a "
                           "plan: its prior state)")
    events = scan.add_argument_group("sampled events")
    events.add_argument("--events", action="append", default=[], metavar="PATH|s3://B/P|lookup|-",
                        help="CloudTrail records: files/dirs (json, json.gz, jsonl), S3 prefix, LookupEvents, "
                             "stdin (repeatable)")
    events.add_argument("--since", metavar="WHEN", help="oldest events for s3:// and lookup: ISO time or 24h, 7d")
    events.add_argument("--max-files", type=int, metavar="N", help="newest N files per s3:// source")
    events.add_argument("--max-events", type=int, metavar="N", help="stop after N records in all")
    _add_policy_options(scan)
    _add_rule_selection(scan)
    scan.add_argument("--format", default="table,json", metavar="FMT,...",
                      help="output formats: table (stdout), json, jsonl (one finding per line), md, html, sarif, "
                           "junit, csv (default: table,json)")
    scan.add_argument("--output-dir", type=Path, default=Path("reports"), metavar="DIR",
                      help="where report files are written (default: reports/)")
    scan.add_argument("--fail-on", choices=SEVERITIES, default="high",
                      help="exit 1 when a finding fails at or above this severity (default: high)")
    scan.add_argument("--waivers", type=Path, metavar="FILE", help="YAML waivers: matching failures become 'waived'")
    scan.add_argument("--baseline", type=Path, metavar="PREVIOUS.json",
                      help="an earlier findings.json: report new, resolved and still-failing findings")
    scan.add_argument("--framework", metavar="ID",
                      help="only the rules mapped to this framework (e.g. cis-aws-foundations-v3.0), "
                           "reported control by control")
    _add_live_options(scan)
    _add_verbosity(scan)

    collect = _command(sub, "collect", "Read trail configurations from AWS into a snapshot file, and what the "
                       "rules in effect need beyond them (monitoring chains, where the logs live).", """
trailcheck collect -o snapshot.json
trailcheck collect --regions us-east-1,eu-west-1 --profile audit -o snapshot.json
trailcheck collect --org --role-name TrailcheckAudit --external-id abc123 -o org.json
trailcheck collect --rules cloudtrail-enabled,multi-region-trail -o trails.json   # no monitoring calls
trailcheck collect --param ssm-session-notifications.via=eventbridge -o snapshot.json
trailcheck collect --with monitoring -o snapshot.json    # every monitoring chain, for explain
AWS_ENDPOINT_URL=http://127.0.0.1:5000 trailcheck collect -o -    # a private endpoint, to stdout
trailcheck collect --org --shard 3/8 -o shard-3.json    # one job of a CI matrix; then trailcheck merge
trailcheck collect --org --processes 2 --workers 64 -o org.json    # a large organization on two cores""")
    collect.add_argument("-o", "--output", default="-", metavar="FILE", help="snapshot file (default: stdout)")
    collect.add_argument("--shard", metavar="I/N",
                         help="collect shard I of N (1-based): the accounts whose stable hash of the account id "
                              "modulo N is I-1; the caller's account only in its own shard (see docs/live-scans.md)")
    _add_policy_options(collect)
    _add_rule_selection(collect)
    _add_live_options(collect)
    _add_verbosity(collect)

    rules = _command(sub, "rules", "List the rules in effect (id, severity, scope, frameworks).", """
trailcheck rules
trailcheck rules --format json
trailcheck rules --format md > docs/rules.md     # the generated rule reference
trailcheck rules --policies my-policies/ --no-builtin""")
    _add_policy_options(rules)
    rules.add_argument("--format", choices=("table", "json", "md"), default="table")

    validate = _command(sub, "validate", "Validate policy files: schema, JMESPath, semantics. No AWS access.", """
trailcheck validate                 # the built-in pack
trailcheck validate my-policies/
trailcheck validate policies/a.yaml policies/b.yaml""")
    validate.add_argument("paths", nargs="*", type=Path, metavar="DIR|FILE")

    explain = _command(sub, "explain", "Explain which trails (and event data stores) would record one CloudTrail "
                       "record, and why; with monitoring data in the snapshot, also whether it would raise an "
                       "alert, chain by chain.", """
trailcheck explain --snapshot examples/estate.json examples/stop-logging.json
aws cloudtrail lookup-events --max-results 1 | trailcheck explain --snapshot estate.json -
trailcheck explain --snapshot estate.json record.json --format json""")
    explain.add_argument("--snapshot", type=Path, required=True, metavar="FILE")
    explain.add_argument("event", metavar="EVENT.json|-",
                         help="one CloudTrail record, in any form --events reads (file or - for stdin)")
    explain.add_argument("--format", choices=("table", "json"), default="table")

    diff = _command(sub, "diff", "Compare two findings.json reports: new, resolved and still-failing findings.", """
trailcheck diff last-night/findings.json reports/findings.json
trailcheck diff old.json new.json --format json""")
    diff.add_argument("old", type=Path, metavar="OLD.json")
    diff.add_argument("new", type=Path, metavar="NEW.json")
    diff.add_argument("--format", choices=("table", "json"), default="table")

    merge = _command(sub, "merge", "Merge snapshots collected in shards (collect --shard I/N, or --accounts per job) "
                     "into one snapshot to scan.", """
trailcheck merge shard-1.json shard-2.json shard-3.json -o org.json
trailcheck merge shards/*.json -o org.json && trailcheck scan --snapshot org.json --format json,html
trailcheck merge shard-*.json -o - | jq '.accounts | length'""")
    merge.add_argument("snapshots", nargs="+", type=Path, metavar="SNAPSHOT.json",
                       help="the shards' snapshots; with --shard, every shard's file (an empty shard too)")
    merge.add_argument("-o", "--output", default="-", metavar="FILE", help="merged snapshot file (default: stdout)")
    _add_verbosity(merge)

    schema = _command(sub, "schema", "Print the JSON Schema of a trailcheck file format.", """
trailcheck schema policy > policy.schema.json
trailcheck schema snapshot""")
    schema.add_argument("name", choices=SCHEMA_NAMES)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
    try:
        handler = _HANDLERS[args.command]
        return handler(args)
    except InputError as exc:
        for problem in exc.problems:
            print(f"trailcheck: error: {for_terminal(str(problem))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: exit 3, never 1 (findings) and never a bare traceback
        return report_bug(exc, verbose=getattr(args, "verbose", None))


def report_bug(exc: BaseException, verbose: bool | None) -> int:
    """One line saying trailcheck failed and how to report it; the traceback with ``--verbose``
    (``None``: the command has no ``--verbose``, so the line itself is what to report)."""
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    detail = for_terminal(" ".join(f"{type(exc).__name__}: {exc}".split()))
    detail = detail if len(detail) <= 300 else detail[:297] + "..."
    what = "the output of the same run with --verbose" if verbose is False else "this message"
    print(f"trailcheck: internal error (a bug in trailcheck, not in your input): {detail}; please report it "
          f"in the project's issue tracker with the command line and {what}", file=sys.stderr)
    return EXIT_BUG


def _scan(args: argparse.Namespace) -> int:
    formats = parse_formats(args.format)
    code = _code_source(args)
    live_requested = args.live or args.org or not (args.snapshot or args.events or code)
    if code is not None and (args.snapshot or args.live or args.org):
        raise InputError("--terraform-plan" if args.terraform_plan else "--cloudformation",
                         "scans code; give it without --snapshot, --live or --org")
    if args.snapshot and (args.live or args.org):
        raise InputError("--snapshot", "give either --snapshot FILE or --live/--org, not both")
    if args.snapshot and args.with_families:
        raise InputError("--with", "names data to collect from AWS; a --snapshot file carries what it was "
                                   "collected with")
    event_options = EventOptions(since=parse_since(args.since) if args.since else None, max_files=args.max_files,
                                 max_events=args.max_events, regions=args.regions or (), profile=args.profile)
    options = ScanOptions(
        snapshot=args.snapshot, policies=args.policies, builtin=not args.no_builtin,
        rules=list(args.rules), skip_rules=list(args.skip_rules),
        params=args.param, events=args.events, event_options=event_options,
        workers=min(args.workers, os.cpu_count() or 1), live=_live_options(args) if live_requested else None,
        code=code, waivers=args.waivers, baseline=args.baseline, framework=args.framework, quiet=args.quiet)
    report = run_scan(options)
    write_outputs(report, formats, args.output_dir, quiet=args.quiet)
    return exit_code(report, args.fail_on)


def _code_source(args: argparse.Namespace) -> SnapshotSource | None:
    """``--terraform-plan`` or ``--cloudformation`` with their companions, or ``None``."""
    if args.terraform_plan and args.cloudformation:
        raise InputError("--cloudformation", "give either --terraform-plan or --cloudformation, not both")
    if args.terraform_dir and not args.terraform_plan:
        raise InputError("--terraform-dir", "goes with --terraform-plan")
    if args.baseline_plan and not (args.terraform_plan or args.cloudformation):
        raise InputError("--baseline-plan", "goes with --terraform-plan or --cloudformation")
    regions = tuple(args.regions or ())
    if args.terraform_plan:
        from checker.inputs.iac.terraform import TerraformPlanSource  # ~70 ms of start-up, for code scans only

        return TerraformPlanSource(args.terraform_plan, args.terraform_dir, regions, args.baseline_plan)
    if args.cloudformation:
        from checker.inputs.iac.cloudformation import CloudFormationSource  # ~30 ms of start-up, for code scans only

        return CloudFormationSource(args.cloudformation, regions, args.baseline_plan)
    return None


def write_outputs(report: Report, formats: Sequence[Any], output_dir: Path, quiet: bool) -> list[Path]:
    """Print stdout formats, write the others under ``output_dir``; return the files written."""
    written = []
    for fmt in formats:
        if fmt.filename is None:
            sys.stdout.write(for_terminal(fmt.render(report)))
            continue
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            path = output_dir / fmt.filename
            with path.open("w", encoding="utf-8") as handle:
                write_report(fmt, report, handle)
        except OSError as exc:
            raise InputError(str(output_dir), f"cannot write report: {exc.strerror or exc}") from None
        written.append(path)
        if fmt.name == "md" and _step_summary(path) and not quiet:
            print("wrote the Markdown summary to $GITHUB_STEP_SUMMARY", file=sys.stderr)
    if written and not quiet:
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return written


def _step_summary(markdown_file: Path) -> bool:
    """Add the Markdown report to the GitHub step summary, in a workflow; whether it did."""
    from checker.formats.markdown import write_step_summary  # loaded with the md format, when it is chosen

    return write_step_summary(markdown_file.read_text(encoding="utf-8"))


def _collect(args: argparse.Namespace) -> int:
    """The rules in effect decide what is read beyond the trails (see docs/live-scans.md)."""
    from checker.inputs.live.collector import write_snapshot  # the collector: ~80 ms of start-up
    from checker.inputs.live.processes import collect_in_processes

    options = _live_options(args)
    rules, _ = load_rules(args.policies, not args.no_builtin, args.rules, args.skip_rules, args.param)
    document = collect_in_processes(options, tuple(rules))
    write_snapshot(document, args.output)
    if not args.quiet and args.output != "-":
        errors = sum(len(a.get("errors", [])) for a in document["accounts"])
        print(f"wrote {args.output}: {len(document['accounts'])} account(s), {errors} collection error(s)",
              file=sys.stderr)
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    """An account in two files, or files that disagree on the organization or ``contents``, exit 2."""
    from checker.inputs.live.collector import write_snapshot  # the collector: ~80 ms of start-up, not for scans
    from checker.inputs.merge import merge_files  # with the monitoring read plans: ~17 ms of start-up

    document = merge_files(args.snapshots)
    write_snapshot(document, args.output)
    if not args.quiet and args.output != "-":
        print(f"wrote {args.output}: {len(document['accounts'])} account(s) from {len(args.snapshots)} file(s)",
              file=sys.stderr)
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    rules, _ = load_rules(args.policies, not args.no_builtin)
    if args.format == "json":
        print(json.dumps([{"id": r.id, "title": r.title, "severity": r.severity, "scope": r.scope,
                           "frameworks": r.frameworks, "source": r.source} for r in rules], indent=2))
        return EXIT_OK
    if args.format == "md":
        sys.stdout.write(for_terminal(rules_markdown(rules)))
        return EXIT_OK
    rows = [[r.id, r.severity, r.scope, _frameworks_text(r.frameworks)] for r in sorted(rules, key=lambda r: r.id)]
    print(for_terminal(simple_table(rows, ["id", "severity", "scope", "frameworks"])))
    return EXIT_OK


def _frameworks_text(frameworks: dict[str, list[str]]) -> str:
    return "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(frameworks.items()))


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _param_text(value: object) -> str:
    """A parameter as ``--param`` takes it: a list comma-separated, ``true``/``false``."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rules_markdown(rules: Sequence[Rule]) -> str:
    """The rule reference in docs/rules.md, generated from the policies (never edited by hand)."""
    lines = ["# Built-in rules", "",
             "Generated by `trailcheck rules --format md`; do not edit by hand.", "",
             "| id | severity | scope | title | frameworks |", "|---|---|---|---|---|"]
    ordered = sorted(rules, key=lambda r: (r.scope == "event", r.id))
    lines += [f"| `{r.id}` | {r.severity} | {r.scope} | {_md_cell(r.title)} "
              f"| {_md_cell(_frameworks_text(r.frameworks))} |" for r in ordered]
    lines.append("")
    for rule in ordered:
        lines += [f"## `{rule.id}`", "",
                  f"**{_md_cell(rule.title)}** — severity {rule.severity}, scope {rule.scope}.", ""]
        if rule.description:
            lines += [" ".join(rule.description.split()), ""]
        if rule.params:
            lines += ["Parameters: " + ", ".join(f"`{k}` = `{_param_text(v)}`" for k, v in sorted(rule.params.items())),
                      ""]
        if rule.remediation:
            lines += ["Remediation: " + " ".join(rule.remediation.split()), ""]
        if rule.references:
            lines += ["References:", "", *[f"- <{url}>" for url in rule.references], ""]
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    paths = args.paths or [builtin_policy_dir()]
    rules, files = load_policies(paths)
    print(f"OK: {len(rules)} rules in {len(files)} file(s)")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from checker.inputs.events.sources import read_single_record  # the event readers: ~20 ms of start-up

    snapshot = SnapshotFile(args.snapshot).load()
    record = read_single_record(args.event, EventOptions())
    verdict = record_verdict(snapshot, record, frozenset(RECORDER_FAMILIES))
    alert = record_alert(snapshot, record)
    if args.format == "json":
        print(json_for_terminal(json.dumps(_explain_document(verdict, alert, snapshot.carries("event-data-stores")),
                                            indent=2)))
        return EXIT_OK
    what = f"{record.get('eventSource')} {record.get('eventName')} ({verdict.category})"
    if not verdict.known_account:
        print(for_terminal(f"{what}: account {verdict.account_id} is not in the snapshot: nothing to decide"))
        return EXIT_OK
    answer = {True: "LOGGED", False: "NOT LOGGED", None: "UNKNOWN"}[verdict.logged]
    storing = [Arn.parse(d.arn).resource_name for d in verdict.stores if d.logged]
    if storing and not any(d.logged for d in verdict.trails):
        answer += f" (event data store {', '.join(storing)})"
    print(for_terminal(f"{what} in {verdict.account_id} {verdict.region}: {answer}"))
    for heading, decisions in (("trail", verdict.trails), ("event data store", verdict.stores)):
        rows = [[d.arn, _YES_NO[d.logged], d.decision, d.reason] for d in decisions]
        if rows:
            print(for_terminal(simple_table(rows, [heading, "logged", "decision", "reason"],
                                            maxcolwidths=[None, None, None, 80])))
        elif heading == "trail":
            print("no trail reaches this account")
    _print_alert(alert, snapshot.carries("monitoring"))
    return EXIT_OK


def _explain_document(verdict: RecordVerdict, alert: RecordAlert, stores_carried: bool) -> dict[str, Any]:
    """``explain --format json``: the trails' and event data stores' decisions and the ARNs of
    those that record the event (``recorded_by``), then ``alerted`` and every chain link by link
    (``event_data_stores`` is null when the snapshot carries no event data stores, ``alerted``
    when it carries no monitoring data: unknown, not none)."""
    return {
        "account_id": verdict.account_id, "region": verdict.region, "logged": verdict.logged,
        "category": verdict.category,
        "trails": [{"arn": d.arn, "logged": d.logged, "decision": d.decision, "reason": d.reason}
                   for d in verdict.trails],
        "event_data_stores": [{"arn": d.arn, "logged": d.logged, "decision": d.decision, "reason": d.reason}
                              for d in verdict.stores] if stores_carried else None,
        "recorded_by": [d.arn for d in verdict.recorders if d.logged],
        "alerted": alert.alerted,
        "chains": [{"via": c.via, "fires": c.fires, "links": [link.to_dict() for link in c.links]}
                   for c in alert.chains],
    }


_ALERT_ANSWER = {True: "ALERTED", False: "NOT ALERTED", None: "UNKNOWN"}
_YES_NO = {True: "yes", False: "no", None: "?"}
_FIRING_FIRST = {True: 0, None: 1, False: 2}


def _print_alert(alert: RecordAlert, monitored: bool) -> None:
    """The alert half of ``explain``: ALERTED, NOT ALERTED or UNKNOWN, then the chains, those that
    fire first. A chain that fires (or may) shows every link; one that does not, its first broken
    link only (``--format json`` has every link of every chain)."""
    print()
    if not monitored:
        print("alert: UNKNOWN: the snapshot carries no monitoring data (metric filters, alarms, SNS topics, "
              "EventBridge rules)")
        return
    chains = sorted(alert.chains, key=lambda chain: _FIRING_FIRST[chain.fires])
    firing = [chain for chain in chains if chain.fires is True]
    headline = f"alert: {_ALERT_ANSWER[alert.alerted]}"
    if firing:
        more = f" (and {len(firing) - 1} more chain(s))" if len(firing) > 1 else ""
        headline += f" through {firing[0].summary()}{more}"
    elif not chains:
        headline += ": no monitoring chain reaches the account"
    print(for_terminal(headline))
    rows = [row for group in _chain_groups(chains) for row in _chain_rows(group)]
    if rows:
        print(for_terminal(simple_table(rows, ["chain", "fires", "link", "id", "ok", "reason"],
                                        maxcolwidths=[None, None, None, 40, None, 70])))
    if any(chain.fires is False for chain in chains):
        print("(a chain that does not fire shows its first broken link; --format json lists every link)")


def _chain_groups(chains: Sequence[Chain]) -> list[list[Chain]]:
    """Each chain alone, except that consecutive chains that do not fire, broken at the same link
    (every filter of a log group behind a trail that does not record the event), form one group."""
    groups: list[list[Chain]] = []
    for chain in chains:
        previous = groups[-1][-1] if groups else None
        if previous is not None and chain.fires is False and previous.fires is False \
                and _broken_row(previous) == _broken_row(chain):
            groups[-1].append(chain)
        else:
            groups.append([chain])
    return groups


def _broken_row(chain: Chain) -> tuple[str, str, str, bool | None, str] | None:
    link = chain.first_broken()
    return None if link is None else (chain.via, link.kind, _link_id(chain, link), link.ok, link.reason)


def _chain_rows(group: Sequence[Chain]) -> list[list[str]]:
    """One row per link of a chain (only the first broken one when it does not fire). A link without
    an id of its own (a pattern's ``match``, a trail's missing log group) shows, in parentheses, the id
    of the link it belongs to."""
    chain = group[0]
    broken = chain.first_broken()
    shown = [broken] if chain.fires is False and broken is not None else list(chain.links)
    label = chain.via if len(group) == 1 else f"{chain.via} ({len(group)} chains)"
    return [[label if index == 0 else "", _YES_NO[chain.fires] if index == 0 else "", link.kind,
             _link_id(chain, link), _YES_NO[link.ok], link.reason] for index, link in enumerate(shown)]


def _link_id(chain: Chain, link: Link) -> str:
    if link.id:
        return short_id(link.id)
    before = chain.links[:chain.links.index(link)]
    owner = next((step.id for step in reversed(before) if step.id), "")
    return f"({short_id(owner)})" if owner else "-"


def _diff(args: argparse.Namespace) -> int:
    """Always 0 for readable reports: a diff informs; gating is ``scan --fail-on``'s job."""
    changes = diff_findings(Baseline(str(args.old), load_report(args.old).findings), load_report(args.new).findings)
    text = json_for_terminal(render_diff_json(changes)) if args.format == "json" else for_terminal(
        render_diff_table(changes))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(load_schema(args.name), indent=2))
    return EXIT_OK


_HANDLERS = {"scan": _scan, "collect": _collect, "rules": _rules, "validate": _validate, "explain": _explain,
             "diff": _diff, "schema": _schema, "merge": _merge}
