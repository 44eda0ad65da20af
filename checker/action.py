"""Entry point of the GitHub Action (``action.yml``): inputs in, ``trailcheck scan`` out.

``action.yml`` hands every input over in an ``INPUT_*`` environment variable and never
interpolates it into a shell script: an input is data, and a crafted value (a branch
name, a path from a pull request) must not become code. This module turns those
variables into the argument list of ``trailcheck scan``, runs the scan in-process, then
publishes the step outputs in ``$GITHUB_OUTPUT``. The scan itself appends the ``md``
report to ``$GITHUB_STEP_SUMMARY`` (the action always asks for ``md``). Its exit code is
the scan's: 0 clean, 1 blocking findings, 2 bad input.

Run it as ``python -m checker.action``.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from checker import cli
from checker.comma_list import comma_list
from checker.errors import InputError
from checker.findings import FAILING
from checker.report.document import load_report

INPUT_NAMES = ("snapshot", "terraform-plan", "terraform-dir", "cloudformation", "baseline-plan", "events", "policies",
               "org", "role-name", "regions", "fail-on", "formats", "output-dir", "waivers", "baseline", "upload-sarif")
# Formats the action needs: json for the outputs, md for the step summary the scan writes.
REQUIRED_FORMATS = ("json", "md")
FINDINGS_JSON = "findings.json"
FINDINGS_SARIF = "findings.sarif"


def env_name(input_name: str) -> str:
    """The variable action.yml sets for an input: ``fail-on`` -> ``INPUT_FAIL_ON``."""
    return "INPUT_" + input_name.upper().replace("-", "_")


@dataclass(frozen=True)
class ActionInputs:
    """The action's inputs, parsed. Defaults are action.yml's."""

    snapshot: str = ""
    terraform_plan: str = ""
    terraform_dir: str = ""
    cloudformation: str = ""
    baseline_plan: str = ""
    events: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    org: bool = False
    role_name: str = ""
    regions: tuple[str, ...] = ()
    fail_on: str = "high"
    formats: tuple[str, ...] = ("sarif", "md", "json")
    output_dir: str = "reports"
    waivers: str = ""
    baseline: str = ""
    upload_sarif: bool = True

    @property
    def findings_json(self) -> Path:
        return Path(self.output_dir) / FINDINGS_JSON

    @property
    def findings_sarif(self) -> Path:
        return Path(self.output_dir) / FINDINGS_SARIF


def read_inputs(env: Mapping[str, str]) -> ActionInputs:
    """Parse the ``INPUT_*`` variables; an empty or missing variable takes the default.

    Lists (events, policies, regions, formats) take one item per line or comma-separated
    items. A boolean that is neither ``true`` nor ``false`` is an :class:`InputError`.
    """
    defaults = ActionInputs()

    def text(name: str, default: str = "") -> str:
        return env.get(env_name(name), "").strip() or default

    def items(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return comma_list(text(name)) or default

    def flag(name: str, default: bool) -> bool:
        value = text(name).lower()
        if not value:
            return default
        if value not in ("true", "false"):
            raise InputError(f"input '{name}'", f"expected true or false, got {value!r}")
        return value == "true"

    return ActionInputs(
        snapshot=text("snapshot"),
        terraform_plan=text("terraform-plan"),
        terraform_dir=text("terraform-dir"),
        cloudformation=text("cloudformation"),
        baseline_plan=text("baseline-plan"),
        events=items("events"),
        policies=items("policies"),
        org=flag("org", defaults.org),
        role_name=text("role-name"),
        regions=items("regions"),
        fail_on=text("fail-on", defaults.fail_on),
        formats=items("formats", defaults.formats),
        output_dir=text("output-dir", defaults.output_dir),
        waivers=text("waivers"),
        baseline=text("baseline"),
        upload_sarif=flag("upload-sarif", defaults.upload_sarif),
    )


def scan_formats(inputs: ActionInputs) -> tuple[str, ...]:
    """The requested formats plus the ones the action needs (json, md, and sarif to upload it)."""
    needed = REQUIRED_FORMATS + (("sarif",) if inputs.upload_sarif else ())
    return tuple(dict.fromkeys(inputs.formats + needed))


def build_scan_argv(inputs: ActionInputs) -> list[str]:
    """The ``trailcheck scan`` arguments for these inputs (without the program name)."""
    argv = ["scan"]
    for flag, value in (("--snapshot", inputs.snapshot), ("--terraform-plan", inputs.terraform_plan),
                        ("--terraform-dir", inputs.terraform_dir), ("--cloudformation", inputs.cloudformation),
                        ("--baseline-plan", inputs.baseline_plan)):
        if value:
            argv += [flag, value]
    for source in inputs.events:
        argv += ["--events", source]
    for directory in inputs.policies:
        argv += ["--policies", directory]
    if inputs.org:
        argv.append("--org")
    if inputs.role_name:
        argv += ["--role-name", inputs.role_name]
    if inputs.regions:
        argv += ["--regions", ",".join(inputs.regions)]
    if inputs.waivers:
        argv += ["--waivers", inputs.waivers]
    if inputs.baseline:
        argv += ["--baseline", inputs.baseline]
    argv += ["--format", ",".join(scan_formats(inputs)), "--output-dir", inputs.output_dir,
             "--fail-on", inputs.fail_on]
    return argv


def step_outputs(inputs: ActionInputs) -> dict[str, str]:
    """``failed-count`` (fail + error findings, any severity), ``findings-json`` and ``sarif-file``."""
    report = load_report(inputs.findings_json)
    return {
        "failed-count": str(sum(1 for f in report.findings if f.status in FAILING)),
        "findings-json": str(inputs.findings_json),
        "sarif-file": str(inputs.findings_sarif) if inputs.findings_sarif.is_file() else "",
    }


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append outputs to a ``$GITHUB_OUTPUT`` file, each in the multi-line form with a random
    delimiter so that no value (a path) can inject another output."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            delimiter = f"trailcheck_{uuid.uuid4().hex}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def run_scan(argv: list[str]) -> int:
    """Run ``trailcheck scan`` in-process and return its exit code (argparse exits count too)."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def main() -> int:
    """Run the action: scan, then publish the outputs when the scan produced a report."""
    try:
        inputs = read_inputs(os.environ)
    except InputError as exc:
        print(f"trailcheck: {exc}", file=sys.stderr)
        return 2
    code = run_scan(build_scan_argv(inputs))
    if code not in (0, 1):
        return code  # no report was written: publishing stale files would mislead
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        write_outputs(Path(output_file), step_outputs(inputs))
    return code


if __name__ == "__main__":
    sys.exit(main())
