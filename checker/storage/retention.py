"""``retention``: are the trail's logs kept at least ``min_days`` days? (PCI DSS 4.0 10.5.1 asks
for twelve months.) Read exactly (docs/semantics.md, "Where the logs live"):

- in the bucket, a lifecycle rule counts when it is ``Enabled``, its filter can select a log
  file and it expires *current* objects (``Expiration`` ``Days``, or ``Date``: the days from the
  snapshot's collection to that date). A filter selects log files when its prefix and the
  trail's log prefix (``<S3KeyPrefix>/AWSLogs/``, or ``AWSLogs/``) overlap, one a prefix of the
  other, since even a narrower rule deletes some of the logs; a filter that requires object tags
  never applies (CloudTrail does not tag log files); size bounds do not stop a rule (log files
  come in every size). Transitions move logs without deleting them, and noncurrent-version
  expirations delete only old versions: neither counts. No lifecycle rule: kept until deleted;
- a CloudWatch Logs group without ``retentionInDays`` keeps its events forever.

Both places are judged and the worse answer stands; a trail without a log group is judged on
its bucket alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checker.storage.judgement import Judgement, shown
from checker.storage_model import Bucket, LifecycleRule, LogGroup, Unread
from checker.timefmt import parse_timestamp

LOGS_FOLDER = "AWSLogs/"


def log_prefix(s3_key_prefix: object) -> str:
    """Where CloudTrail writes under the trail's ``S3KeyPrefix`` (none: at the bucket's root)."""
    if isinstance(s3_key_prefix, str) and s3_key_prefix:
        return f"{s3_key_prefix}/{LOGS_FOLDER}"
    return LOGS_FOLDER


def bucket_retention(bucket: Bucket, prefix: str, min_days: int, collected_at: datetime | None) -> Judgement:
    """The shortest expiry of current log files under ``prefix`` is at least ``min_days``."""
    rules = bucket.lifecycle
    if isinstance(rules, Unread):
        return Judgement("error", f"the lifecycle configuration of bucket {bucket.name} was not read "
                                  "(GetBucketLifecycleConfiguration)", {"Lifecycle": shown(rules)})
    rows: list[dict[str, Any]] = []
    expiring: list[tuple[int, str]] = []
    undecided: list[str] = []
    for rule in rules:
        row: dict[str, Any] = {"rule": _name(rule)}
        skip = _not_applying(rule, prefix)
        if skip is not None:
            row["applies"] = False
            row["why"] = skip
        else:
            row["applies"] = True
            days, text = _expiry_days(rule, collected_at)
            row["expires"] = text
            if days is None:
                undecided.append(f"rule {_name(rule)} expires them {text}")
            else:
                expiring.append((days, f"lifecycle rule {_name(rule)} of bucket {bucket.name} expires log files "
                                       f"under {prefix} {text}"))
        rows.append(row)
    evidence: dict[str, Any] = {"log_prefix": prefix, "min_days": min_days, "lifecycle_rules": rows}
    short = sorted(e for e in expiring if e[0] < min_days)
    if short:
        return Judgement("fail", f"{short[0][1]}, fewer than {min_days}", evidence)
    if undecided:
        return Judgement("error", f"cannot tell how long bucket {bucket.name} keeps its log files: "
                                  f"{'; '.join(undecided)}", evidence)
    if expiring:
        days, sentence = min(expiring)
        return Judgement("pass", f"{sentence}, at least {min_days}", evidence)
    return Judgement("pass", f"no enabled lifecycle rule of bucket {bucket.name} expires current log files "
                             f"under {prefix}: they are kept until deleted", evidence)


def log_group_retention(group: LogGroup, min_days: int) -> Judgement:
    """The log group keeps events at least ``min_days`` days (no ``retentionInDays``: forever)."""
    days = group.retention_in_days
    evidence = {"retentionInDays": days, "min_days": min_days}
    if days is None:
        return Judgement("pass", f"log group {group.name} keeps events forever (no retentionInDays)", evidence)
    if days < min_days:
        return Judgement("fail", f"log group {group.name} keeps events {days} days, fewer than {min_days}", evidence)
    return Judgement("pass", f"log group {group.name} keeps events {days} days, at least {min_days}", evidence)


def _name(rule: LifecycleRule) -> str:
    return repr(rule.id) if rule.id else "(no ID)"


def _not_applying(rule: LifecycleRule, prefix: str) -> str | None:
    """Why the rule deletes no current log file, or ``None`` when it may."""
    if not rule.enabled:
        return "disabled"
    if rule.tags:
        return "its filter requires object tags, and CloudTrail does not tag log files"
    if not (rule.prefix.startswith(prefix) or prefix.startswith(rule.prefix)):
        return f"its prefix {rule.prefix!r} does not overlap {prefix!r}"
    if rule.expiration_days is None and rule.expiration_date is None:
        return "it expires no current objects (transitions or noncurrent versions only)"
    return None


def _expiry_days(rule: LifecycleRule, collected_at: datetime | None) -> tuple[int | None, str]:
    """How many days a log file written at collection time is kept, and that in words."""
    if rule.expiration_days is not None:
        return rule.expiration_days, f"after {rule.expiration_days} days"
    date_text = str(rule.expiration_date)
    try:
        date = parse_timestamp(date_text)
    except ValueError:
        return None, f"on {date_text!r}, which is not a date"
    if date is None or collected_at is None:
        return None, f"on {date_text} (the snapshot has no collection time to count from)"
    days = (date - collected_at).days
    if days < 0:
        return days, f"on {date_text}, {-days} days before the snapshot was collected (already due)"
    return days, f"on {date_text}, {days} days after the snapshot was collected"
