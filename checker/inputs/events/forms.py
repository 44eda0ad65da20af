"""The wrappers a CloudTrail record arrives in, and how to get the record out.

Users hand us records the way they got them: bare, inside a log file's
``Records``, as LookupEvents items whose ``CloudTrailEvent`` is the record as a JSON
*string*, or as an EventBridge envelope's ``detail``. Digest files travel alongside log
files and are recognised so that they are skipped without being called errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from checker import safejson
from checker.inputs.events.interface import Record
from checker.inputs.events.stats import EventStats

ENVELOPE_SUFFIX = "via CloudTrail"
"""Every EventBridge ``detail-type`` that carries a CloudTrail record ends with this."""


@dataclass(frozen=True)
class Skip:
    """A value that is not a usable record, and why."""

    reason: str
    digest: bool = False


def unwrap(value: Any) -> Iterator[Record | Skip]:
    """The records inside one decoded value (a bare record yields itself)."""
    if not isinstance(value, dict):
        yield Skip(f"not a JSON object but {_json_type(value)}")
    elif _looks_like_record(value):
        yield value
    elif "detail-type" in value and "detail" in value:
        yield _from_envelope(value)
    elif "CloudTrailEvent" in value:
        yield _from_lookup_item(value)
    elif isinstance(value.get("Records"), list):
        for element in value["Records"]:
            yield from unwrap(element)
    elif isinstance(value.get("Events"), list):
        for element in value["Events"]:
            yield from unwrap(element)
    elif "digestStartTime" in value and "logFiles" in value:
        yield Skip("CloudTrail digest file", digest=True)
    else:
        yield Skip("not a CloudTrail record: no eventVersion, eventName or eventSource")


def emit(value: Any, stats: EventStats, source: str,
         position: str | Callable[[], str]) -> Iterator[Record]:
    """Yield the records of ``value``, counting them and reporting what is skipped.

    ``position`` may be a callable so that the hot path never formats it.
    """
    if type(value) is dict and "eventVersion" in value:  # the common case, without a generator
        stats.read += 1
        yield value
        return
    for result in unwrap(value):
        if isinstance(result, Skip):
            if result.digest:
                stats.skip_digest()
            else:
                stats.report(source, position if isinstance(position, str) else position(), result.reason)
        else:
            stats.read += 1
            yield result


def _looks_like_record(value: dict[str, Any]) -> bool:
    return "eventVersion" in value or ("eventName" in value and "eventSource" in value)


def _as_record(value: Any, what: str) -> Record | Skip:
    if not isinstance(value, dict):
        return Skip(f"{what} is not a JSON object but {_json_type(value)}")
    if not _looks_like_record(value):
        return Skip(f"{what} is not a CloudTrail record: no eventVersion, eventName or eventSource")
    return value


def _from_envelope(envelope: dict[str, Any]) -> Record | Skip:
    detail_type = envelope["detail-type"]
    if not (isinstance(detail_type, str) and detail_type.endswith(ENVELOPE_SUFFIX)):
        return Skip(f"EventBridge event of detail-type {detail_type!r} does not carry a CloudTrail record")
    return _as_record(envelope["detail"], "the EventBridge detail")


def _from_lookup_item(item: dict[str, Any]) -> Record | Skip:
    """Parse the record string; fill ``readOnly`` from the item's ``"true"``/``"false"`` if absent."""
    text = item["CloudTrailEvent"]
    if not isinstance(text, str):
        return Skip(f"CloudTrailEvent is {_json_type(text)}, not a JSON string")
    try:
        parsed = safejson.STRICT_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return Skip(f"CloudTrailEvent is not valid JSON: {exc}")
    except RecursionError:
        return Skip("CloudTrailEvent is not valid JSON: nested too deeply")
    except ValueError as exc:  # JSON, but not strict (NaN, a repeated key, a huge number)
        return Skip(f"CloudTrailEvent is {safejson.strictness(exc)}")
    record = _as_record(parsed, "CloudTrailEvent")
    read_only = item.get("ReadOnly")
    if isinstance(record, dict) and "readOnly" not in record and read_only in ("true", "false"):
        record["readOnly"] = read_only == "true"
    return record


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
