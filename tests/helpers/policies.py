"""Rules for tests, built the way users build them: YAML through the policy loader."""

from __future__ import annotations

from typing import Any

import yaml

from checker.policy.loader import parse_policy
from checker.policy.model import EventRule, Rule


def load_rule(**item: Any) -> Rule:
    """One rule written in ``test.yaml`` (title and severity have defaults), loaded."""
    document = {"rules": [{"title": "Test rule", "severity": "medium", **item}]}
    (rule,) = parse_policy(yaml.safe_dump(document), "test.yaml")
    return rule


def load_event_rule(**item: Any) -> EventRule:
    """One event rule (``scope: event`` implied), loaded."""
    rule = load_rule(scope="event", **item)
    assert isinstance(rule, EventRule)
    return rule
