"""``trailcheck explain`` on a snapshot with monitoring data: would this one record raise an alert,
and through which chain, link by link (table and ``--format json``)?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cis_texts import V14
from tests.helpers.cli import CliResult, run_cli
from tests.helpers.data import ESTATE, EXAMPLES
from tests.helpers.monitoring import (
    SSM_RECIPE,
    alarm,
    cis_region,
    event_rule,
    region_data,
    topic,
    topic_arn,
    with_monitoring,
)
from tests.helpers.snapshots import MANAGEMENT, MEMBER, account, snapshot, trail, write_json

Document = dict[str, Any]
METRIC_FILTER_LINKS = ["trail", "log-group", "metric-filter", "match", "metric", "alarm", "topic"]
EVENTBRIDGE_LINKS = ["trails", "event-bus", "event-rule", "match", "topic"]


def record(event_source: str, event_name: str, region: str = "us-east-1", account_id: str = MANAGEMENT,
           **fields: Any) -> Document:
    """A successful write management call, as CloudTrail delivers it."""
    return {"eventVersion": "1.10", "eventCategory": "Management", "eventType": "AwsApiCall",
            "eventSource": event_source, "eventName": event_name, "readOnly": False, "awsRegion": region,
            "recipientAccountId": account_id, "userIdentity": {"type": "IAMUser", "accountId": account_id},
            **fields}


STOP_LOGGING = record("cloudtrail.amazonaws.com", "StopLogging")
MODIFY_RULES = record("ec2.amazonaws.com", "ModifySecurityGroupRules")
START_SESSION = record("ssm.amazonaws.com", "StartSession", region="eu-west-1")
CIS_TEXTS = {control: text for control, text in V14.items() if control != "4.1"}
"""The CIS v1.4 filters but 4.1, whose `||` erratum matches nearly every record (and alerts on all)."""


def cis_estate(us_east_1: Document | None = None) -> Document:
    """One account, one multi-Region trail whose log group carries the CIS v1.4 filters and alarms."""
    monitored = with_monitoring(account(MANAGEMENT, trail()), us_east_1=us_east_1 or cis_region(CIS_TEXTS),
                                eu_west_1=region_data([], [], [], []))
    return snapshot(monitored)


def ssm_estate() -> Document:
    """A trail without CloudWatch Logs; the Session Manager rule of the SSM docs in eu-west-1 only."""
    sessions = region_data([], [], [topic(topic_arn(region="eu-west-1"))],
                           [event_rule("ssm-sessions", SSM_RECIPE, region="eu-west-1")])
    monitored = with_monitoring(account(MANAGEMENT, trail(CloudWatchLogsLogGroupArn=None)),
                                us_east_1=region_data([], [], [], []), eu_west_1=sessions)
    return snapshot(monitored)


def explain(capsys: pytest.CaptureFixture[str], tmp_path: Path, estate: Document | Path, event: Document,
            *args: str) -> CliResult:
    snapshot_path = estate if isinstance(estate, Path) else write_json(tmp_path / "snapshot.json", estate)
    event_path = write_json(tmp_path / "event.json", event)
    result = run_cli(capsys, "explain", "--snapshot", str(snapshot_path), str(event_path), *args)
    assert result.code == 0, result.err
    return result


def explain_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, estate: Document | Path,
                 event: Document) -> Document:
    answer: Document = json.loads(explain(capsys, tmp_path, estate, event, "--format", "json").out)
    return answer


def chain_through(answer: Document, kind: str, identifier: str) -> Document:
    """The one chain with a link of that kind whose id ends with ``identifier``."""
    found: list[Document] = [chain for chain in answer["chains"] if any(
        link["kind"] == kind and link["id"].endswith(identifier) for link in chain["links"])]
    assert len(found) == 1, [c["links"] for c in answer["chains"]]
    return found[0]


def first_broken(chain: Document) -> Document:
    broken: Document = next(link for link in chain["links"] if link["ok"] is False)
    return broken


def alert_section(out: str) -> list[str]:
    """The lines from the ``alert:`` headline on."""
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("alert: ")):]


def chain_table(section: list[str]) -> list[list[str]]:
    """The rows of the chain table under the headline, cells cut at the columns the dashes mark; a
    wrapped line (nothing in the link column) continues the row above."""
    dashes = section[2]
    spans = [(start, start + len(run)) for start, run in _runs(dashes)]
    rows: list[list[str]] = []
    for line in section[3:]:
        if not line.strip() or line.startswith("("):
            break
        cells = [line[start:end].strip() for start, end in spans[:-1]] + [line[spans[-1][0]:].strip()]
        if cells[2]:
            rows.append(cells)
        else:
            rows[-1][-1] += " " + cells[-1]
    return rows


def _runs(dashes: str) -> list[tuple[int, str]]:
    runs, start = [], 0
    for part in dashes.split(" "):
        if part:
            runs.append((start, part))
        start += len(part) + 1
    return runs


# -- JSON ---------------------------------------------------------------------------------------

def test_json_has_alerted_and_chains_in_the_documented_shape(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, cis_estate(), STOP_LOGGING)
    assert {"account_id", "region", "logged", "trails", "alerted", "chains"} <= set(answer)
    assert answer["chains"], "every CIS filter of the log group is a chain"
    for chain in answer["chains"]:
        assert set(chain) == {"via", "fires", "links"}
        assert chain["via"] in ("metric-filter", "eventbridge") and chain["fires"] in (True, False, None)
        for link in chain["links"]:
            assert set(link) == {"kind", "id", "ok", "reason"}
            assert isinstance(link["id"], str) and isinstance(link["reason"], str) and link["reason"]
            assert link["ok"] in (True, False, None)


def test_a_record_that_alerts_through_a_metric_filter(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, cis_estate(), STOP_LOGGING)
    assert (answer["logged"], answer["alerted"]) == (True, True)
    chain = chain_through(answer, "metric-filter", "cis-4.5")
    assert chain["via"] == "metric-filter" and chain["fires"] is True
    assert [link["kind"] for link in chain["links"]] == METRIC_FILTER_LINKS
    assert all(link["ok"] is True for link in chain["links"])
    assert chain["links"][-1]["id"] == "arn:aws:sns:us-east-1:111111111111:security-alerts"
    # the other CIS filters are chains too, broken where their pattern misses the record
    other = chain_through(answer, "metric-filter", "cis-4.7")
    assert (other["fires"], first_broken(other)["kind"]) == (False, "match")


def test_a_record_that_alerts_through_eventbridge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, ssm_estate(), START_SESSION)
    assert answer["alerted"] is True
    chain = chain_through(answer, "event-rule", "rule/ssm-sessions")
    assert chain["via"] == "eventbridge" and chain["fires"] is True
    assert [link["kind"] for link in chain["links"]] == EVENTBRIDGE_LINKS
    metric = [c for c in answer["chains"] if c["via"] == "metric-filter"]
    assert [first_broken(c)["kind"] for c in metric] == ["log-group"], "the trail sends nothing to CloudWatch Logs"


def test_the_same_record_in_the_region_without_the_rule_is_not_alerted(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, ssm_estate(), {**START_SESSION, "awsRegion": "us-east-1"})
    assert answer["alerted"] is False
    bridged = [c for c in answer["chains"] if c["via"] == "eventbridge"]
    assert bridged and all(c["fires"] is False for c in bridged)
    assert first_broken(bridged[0])["kind"] == "event-bus"


def test_a_record_no_filter_matches_names_the_broken_link(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, cis_estate(), MODIFY_RULES)
    assert (answer["logged"], answer["alerted"]) == (True, False)
    chain = chain_through(answer, "metric-filter", "cis-4.10")
    broken = first_broken(chain)
    assert broken["kind"] == "match" and "does not match" in broken["reason"]
    assert all(c["fires"] is False for c in answer["chains"])


def test_a_broken_alarm_is_the_broken_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    region = cis_region({"4.5": V14["4.5"]})
    region["alarms"] = [alarm("cis-4.5", ActionsEnabled=False)]
    answer = explain_json(capsys, tmp_path, cis_estate(region), STOP_LOGGING)
    assert answer["alerted"] is False
    broken = first_broken(chain_through(answer, "metric-filter", "cis-4.5"))
    assert broken["kind"] == "alarm" and broken["id"].endswith(":alarm:cis-4.5")
    assert "ActionsEnabled" in broken["reason"]


def test_missing_subscriptions_make_the_alert_unknown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    region = cis_region({"4.5": V14["4.5"]})
    region["topics"] = [{"TopicArn": "arn:aws:sns:us-east-1:111111111111:security-alerts"}]
    answer = explain_json(capsys, tmp_path, cis_estate(region), STOP_LOGGING)
    assert answer["alerted"] is None
    chain = chain_through(answer, "metric-filter", "cis-4.5")
    assert chain["fires"] is None and chain["links"][-1] == {**chain["links"][-1], "kind": "topic", "ok": None}


def test_a_snapshot_without_monitoring_data_leaves_alerted_null(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, snapshot(account(MANAGEMENT, trail())), STOP_LOGGING)
    assert answer["logged"] is True
    assert (answer["alerted"], answer["chains"]) == (None, [])


# -- table --------------------------------------------------------------------------------------

def test_table_says_alerted_and_lists_the_chain_link_by_link(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    out = explain(capsys, tmp_path, cis_estate(), STOP_LOGGING).out
    assert out.splitlines()[0].endswith(": LOGGED")
    section = alert_section(out)
    assert section[0].startswith("alert: ALERTED through log-group main -> metric-filter cis-4.5 -> ")
    assert section[0].endswith("-> topic security-alerts")
    assert section[1].split() == ["chain", "fires", "link", "id", "ok", "reason"]
    rows = chain_table(section)
    firing = rows[:len(METRIC_FILTER_LINKS)]
    assert firing[0][:5] == ["metric-filter", "yes", "trail", "main", "yes"]
    assert [row[2] for row in firing] == METRIC_FILTER_LINKS
    assert all(row[4] == "yes" for row in firing)
    assert firing[2][5].startswith("pattern { ($.eventName = CreateTrail) ||")
    assert firing[3][2:5] == ["match", "(cis-4.5)", "yes"], "a match link shows the pattern it belongs to"
    assert firing[-1][3] == "security-alerts"
    # each chain that does not fire shows its first broken link, one row
    broken = rows[len(METRIC_FILTER_LINKS):]
    assert len(broken) == len(CIS_TEXTS), "the 13 other filters and the Region's event bus (no rule)"
    assert broken[-1][:3] == ["eventbridge", "no", "event-bus"]
    assert ["metric-filter", "no", "match", "(cis-4.7)", "no", "the pattern does not match the record"] in broken


def test_table_says_not_alerted_and_names_the_broken_link(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    section = alert_section(explain(capsys, tmp_path, cis_estate(), MODIFY_RULES).out)
    assert section[0] == "alert: NOT ALERTED"
    assert ["metric-filter", "no", "match", "(cis-4.10)", "no", "the pattern does not match the record"
            ] in chain_table(section)
    assert "first broken link" in section[-1]


def test_table_groups_chains_broken_at_the_same_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stopped = snapshot(with_monitoring(account(MANAGEMENT, trail(Status={"IsLogging": False})),
                                       us_east_1=cis_region(CIS_TEXTS), eu_west_1=region_data([], [], [], [])))
    section = alert_section(explain(capsys, tmp_path, stopped, STOP_LOGGING).out)
    assert section[0] == "alert: NOT ALERTED"
    rows = chain_table(section)
    assert rows[0][:5] == [f"metric-filter ({len(CIS_TEXTS)} chains)", "no", "trail", "main", "no"]
    assert "IsLogging" in rows[0][5] or "not logging" in rows[0][5]


def test_table_through_eventbridge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    section = alert_section(explain(capsys, tmp_path, ssm_estate(), START_SESSION).out)
    assert section[0] == "alert: ALERTED through event-bus default -> event-rule ssm-sessions -> topic security-alerts"
    rows = chain_table(section)
    assert [row[2] for row in rows[:len(EVENTBRIDGE_LINKS)]] == EVENTBRIDGE_LINKS
    assert rows[0][:2] == ["eventbridge", "yes"]
    assert rows[len(EVENTBRIDGE_LINKS)][:4] == ["metric-filter", "no", "log-group", "(main)"]


def test_table_without_monitoring_data_says_unknown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = explain(capsys, tmp_path, snapshot(account(MANAGEMENT, trail())), STOP_LOGGING).out
    assert alert_section(out) == ["alert: UNKNOWN: the snapshot carries no monitoring data (metric filters, "
                                  "alarms, SNS topics, EventBridge rules)"]


def test_hostile_names_cannot_drive_the_terminal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hostile = "cis-4.5\x1b]8;;https://evil.example/\x07\u202e"
    region = cis_region({"4.5": V14["4.5"]})
    region["metric_filters"][0]["filterName"] = hostile
    table = explain(capsys, tmp_path, cis_estate(region), STOP_LOGGING).out
    answer = explain(capsys, tmp_path, cis_estate(region), STOP_LOGGING, "--format", "json").out
    for out in (table, answer):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "cis-4.5\\x1b]8;;https://evil.example/\\x07\\u202e" in table
    assert chain_through(json.loads(answer), "metric-filter", "\u202e")["fires"] is True


# -- the demo -------------------------------------------------------------------------------------

def test_demo_stop_logging_alerts_a_member_through_the_organization_trail(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    """examples/stop-logging.json (the README's example): prod's StopLogging reaches the management
    account's log group through the organization trail, whose CIS 4.5 alarm notifies the SOC."""
    event = json.loads((EXAMPLES / "stop-logging.json").read_text(encoding="utf-8"))
    assert event["recipientAccountId"] == MEMBER
    answer = explain_json(capsys, tmp_path, ESTATE, event)
    assert answer["alerted"] is True
    chain = chain_through(answer, "metric-filter", "cis-4.5-CloudTrailChanges")
    assert chain["fires"] is True
    assert chain["links"][0]["id"] == "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
    assert chain["links"][1]["id"].startswith("arn:aws:logs:us-east-1:111111111111:log-group:")


def test_demo_disable_key_is_silenced_by_the_kms_exclusion(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    answer = explain_json(capsys, tmp_path, ESTATE, record("kms.amazonaws.com", "DisableKey"))
    assert (answer["logged"], answer["alerted"]) == (False, False)
    broken = first_broken(chain_through(answer, "metric-filter", "cis-4.7-DisableOrDeleteCMK"))
    assert broken["kind"] == "trail" and "NotEquals kms.amazonaws.com" in broken["reason"]
