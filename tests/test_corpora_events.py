"""The built-in event rules on real CloudTrail records (the corpora in tests/data).

Every Stratus Red Team detonation a built-in rule is meant to catch is caught, by that
rule, and no built-in rule fires on a detonation it is not about. The corpora are read
with ``json.load`` on purpose: these tests are about the rules, not the readers.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from checker.engine.events import evaluate_event_rules
from checker.findings import Finding
from checker.policy.loader import builtin_policy_dir, load_policies
from checker.policy.model import EventRule
from checker.simulator import classify
from tests.helpers.data import DOC_EXAMPLES_DIR, STRATUS_DIR, stratus_files
from tests.helpers.policies import load_event_rule


def load_records(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    if isinstance(data, dict):
        return list(data["Records"]) if "Records" in data else [data]
    return list(data)


@cache
def event_rules() -> tuple[EventRule, ...]:
    rules, _ = load_policies([builtin_policy_dir()])
    return tuple(r for r in rules if isinstance(r, EventRule))


def rule(rule_id: str) -> EventRule:
    return next(r for r in event_rules() if r.id == rule_id)


def fails(records: list[dict[str, Any]]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in evaluate_event_rules(event_rules(), records, None):
        if finding.status == "fail":
            found.setdefault(finding.rule_id, []).append(finding)
    return found


def test_the_pack_has_every_event_rule_of_the_spec() -> None:
    assert {r.id for r in event_rules()} == {
        "cloudtrail-tampering", "root-account-usage", "console-login-without-mfa", "console-auth-failures",
        "unauthorized-api-calls", "kms-key-disable-or-deletion", "iam-policy-changes", "s3-bucket-policy-changes",
        "config-changes", "security-group-changes", "nacl-changes", "network-gateway-changes",
        "route-table-changes", "vpc-changes", "organizations-changes", "ssm-session-activity",
        "ec2-instance-connect-activity", "unlogged-events"}
    severities = {r.id: r.severity for r in event_rules()}
    assert severities["cloudtrail-tampering"] == "critical"
    assert severities["ssm-session-activity"] == severities["ec2-instance-connect-activity"] == "info"
    assert rule("unlogged-events").logged is False


# detonation -> {rule id: (eventName, eventIDs of the records the rule must report)}
CAUGHT: dict[str, dict[str, tuple[str, int]]] = {
    "aws.defense-evasion.cloudtrail-stop": {"cloudtrail-tampering": ("StopLogging", 1)},
    "aws.defense-evasion.cloudtrail-delete": {"cloudtrail-tampering": ("DeleteTrail", 1)},
    "aws.defense-evasion.cloudtrail-event-selectors": {"cloudtrail-tampering": ("PutEventSelectors", 1)},
    "aws.initial-access.console-login-without-mfa": {"console-login-without-mfa": ("ConsoleLogin", 1)},
    "aws.execution.ssm-start-session": {"ssm-session-activity": ("StartSession", 3)},
    "aws.lateral-movement.ec2-instance-connect": {"ec2-instance-connect-activity": ("SendSSHPublicKey", 3)},
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key": {
        "ec2-instance-connect-activity": ("SendSerialConsoleSSHPublicKey", 3)},
    "aws.persistence.iam-create-admin-user": {"iam-policy-changes": ("AttachUserPolicy", 1)},
    "aws.persistence.iam-create-backdoor-role": {"iam-policy-changes": ("AttachRolePolicy", 1)},
    "aws.exfiltration.ec2-security-group-open-port-22-ingress": {
        "security-group-changes": ("AuthorizeSecurityGroupIngress", 1)},
    # The detonation's LeaveOrganization was denied (errorCode AccessDenied): as docs/rules.md says, a
    # failed attempt is reported by unauthorized-api-calls, not as an organization change.
    "aws.defense-evasion.organizations-leave": {"unauthorized-api-calls": ("LeaveOrganization", 1)},
    "aws.credential-access.ec2-get-password-data": {"unauthorized-api-calls": ("GetPasswordData", 30)},
    "aws.discovery.ec2-download-user-data": {"unauthorized-api-calls": ("DescribeInstanceAttribute", 15)},
    "aws.execution.ec2-launch-unusual-instances": {"unauthorized-api-calls": ("RunInstances", 1)},
}


@pytest.mark.parametrize("technique", sorted(CAUGHT))
def test_detonation_is_caught_by_its_rule(technique: str) -> None:
    records = load_records(STRATUS_DIR / f"{technique}.json")
    found = fails(records)
    for rule_id, (event_name, count) in CAUGHT[technique].items():
        expected = {r["eventID"] for r in records if r["eventName"] == event_name}
        assert len(expected) == count
        groups = [f for f in found.get(rule_id, []) if event_name in
                  (f.evidence.get("group", {}).get("eventName"), *f.evidence.get("samples", {}).get("eventName", ()))]
        assert sum(f.evidence["count"] for f in groups) >= count, f"{rule_id} missed {event_name} in {technique}"
        reported = {i for f in groups for i in f.evidence["event_ids"]}
        assert expected <= reported if count <= 10 else len(reported & expected) >= 10
        assert {f.severity for f in groups} == {rule(rule_id).severity}


@pytest.mark.parametrize("path", stratus_files(), ids=lambda p: p.stem)
def test_no_rule_fires_on_a_detonation_it_is_not_about(path: Path) -> None:
    expected = set(CAUGHT.get(path.stem, {}))
    assert expected | {"unauthorized-api-calls"} >= set(fails(load_records(path)))
    if "unauthorized-api-calls" not in expected:
        assert "unauthorized-api-calls" not in fails(load_records(path))


def test_ssm_session_activity_groups_by_principal_and_target() -> None:
    records = load_records(STRATUS_DIR / "aws.execution.ssm-start-session.json")
    found = fails(records)["ssm-session-activity"]
    targets = {r["requestParameters"]["target"] for r in records if r["eventName"] == "StartSession"}
    assert {f.evidence["group"]["requestParameters.target"] for f in found} == targets | {None}
    assert sum(f.evidence["count"] for f in found) == 6, "3 StartSession and 3 TerminateSession"
    assert all(f.evidence["group"]["userIdentity.arn"].endswith(":user/christophe") for f in found)


def stratus_record(technique: str, event_name: str) -> dict[str, Any]:
    records = load_records(STRATUS_DIR / f"{technique}.json")
    return copy.deepcopy(next(r for r in records if r["eventName"] == event_name))


def test_athena_terminate_session_is_not_ssm_activity() -> None:
    athena = stratus_record("aws.execution.ssm-start-session", "TerminateSession")
    athena["eventSource"] = "athena.amazonaws.com"
    athena["requestParameters"] = {"sessionId": "a1b2c3d4-athena-session"}
    assert "ssm-session-activity" not in fails([athena])


def test_failed_stop_logging_is_not_tampering_but_an_unauthorized_call() -> None:
    denied = stratus_record("aws.defense-evasion.cloudtrail-stop", "StopLogging")
    denied["errorCode"] = "AccessDenied"
    denied["errorMessage"] = "User is not authorized to perform: cloudtrail:StopLogging"
    assert set(fails([denied])) == {"unauthorized-api-calls"}


def test_successful_leave_organization_is_an_organization_change() -> None:
    left = stratus_record("aws.defense-evasion.organizations-leave", "LeaveOrganization")
    del left["errorCode"], left["errorMessage"]
    (finding,) = fails([left])["organizations-changes"]
    assert finding.account_id == "307578594326"
    assert finding.resource is not None and "eventName=LeaveOrganization" in finding.resource


def all_stratus_records() -> list[dict[str, Any]]:
    return [r for path in stratus_files() for r in load_records(path)]


def test_cis_or_erratum_would_match_everything_and_the_and_reading_does_not() -> None:
    """CIS 1.4-3.0 print `|| sourceIPAddress != ... || eventName != HeadBucket` (pitfall 17)."""
    erratum_expr = ("ends_with(errorCode || '', 'UnauthorizedOperation') || starts_with(errorCode || '', "
                    "'AccessDenied') || sourceIPAddress != 'delivery.logs.amazonaws.com' "
                    "|| eventName != 'HeadBucket'")
    erratum = load_event_rule(id="cis-erratum", expr=erratum_expr)
    records = all_stratus_records()
    errors = [r for r in records if str(r.get("errorCode", "")).endswith("UnauthorizedOperation")
              or str(r.get("errorCode", "")).startswith("AccessDenied")]
    loose = evaluate_event_rules([erratum], records, None)
    assert sum(f.evidence["count"] for f in loose) == len(records)
    strict = evaluate_event_rules([rule("unauthorized-api-calls")], records, None)
    assert sum(f.evidence["count"] for f in strict) == len(errors) < len(records) / 4


def test_unauthorized_api_calls_ignores_log_delivery_and_head_bucket() -> None:
    base = stratus_record("aws.credential-access.ec2-get-password-data", "GetPasswordData")
    delivery = {**base, "sourceIPAddress": "delivery.logs.amazonaws.com"}
    head = {**base, "eventSource": "s3.amazonaws.com", "eventName": "HeadBucket", "errorCode": "AccessDenied"}
    assert "unauthorized-api-calls" not in fails([delivery, head])
    assert "unauthorized-api-calls" in fails([base])


def test_console_login_rules_on_the_real_sign_in_record() -> None:
    login = stratus_record("aws.initial-access.console-login-without-mfa", "ConsoleLogin")
    with_mfa = copy.deepcopy(login)
    with_mfa["additionalEventData"]["MFAUsed"] = "Yes"
    federated = copy.deepcopy(login)
    federated["userIdentity"]["type"] = "AssumedRole"
    failure = copy.deepcopy(login)
    failure["responseElements"] = {"ConsoleLogin": "Failure"}
    failure["errorMessage"] = "Failed authentication"
    assert "console-login-without-mfa" not in fails([with_mfa, federated, failure])
    assert set(fails([failure])) == {"console-auth-failures"}


def test_old_records_without_event_category_work() -> None:
    """eventVersion 1.03 (a Records log file): a root call; RotateKey 1.08 is a service event."""
    (root,) = fails(load_records(DOC_EXAMPLES_DIR / "TerminateInstances-log-file.json"))["root-account-usage"]
    assert (root.account_id, root.region) == ("123456789012", "us-west-2")
    assert fails(load_records(DOC_EXAMPLES_DIR / "RotateKey-1.08.json")) == {}


@pytest.mark.parametrize(("name", "category"), [
    ("CreateControlChannel-1.08.json", "Data"),
    ("RequestManagedInstanceRoleToken-1.08.json", "Data"),
    ("DeleteDocument-1.04.json", "Management"),
    ("StartConnection-1.08.json", "Management"),
    ("RotateKey-1.08.json", "Management"),
    ("SendSSHPublicKey-1.05.json", "Management"),
    ("TerminateInstances-log-file.json", "Management"),
])
def test_aws_documentation_examples_classify(name: str, category: str) -> None:
    for rec in load_records(DOC_EXAMPLES_DIR / name):
        assert classify(rec).category == category


def test_control_channel_example_is_a_data_event_of_ssm_messages() -> None:
    rec = load_records(DOC_EXAMPLES_DIR / "CreateControlChannel-1.08.json")[0]
    probe = load_event_rule(id="control-channel", match={
        "eventSource": "ssm.amazonaws.com", "resources.type": "AWS::SSMMessages::ControlChannel", "readOnly": False})
    (finding,) = evaluate_event_rules([probe], [rec], None)
    assert finding.status == "fail" and finding.evidence["event_ids"] == [rec["eventID"]]
    assert classify(rec).category == "Data"
    assert fails([rec]) == {}, "agent channel setup is not SSM session activity"
