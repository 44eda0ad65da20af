"""ARNs are taken apart in one place: every field, colons and slashes inside the resource."""

from __future__ import annotations

import pytest

from checker.arn import Arn


@pytest.mark.parametrize(("text", "fields"), [
    ("arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail",
     ("aws", "cloudtrail", "us-east-1", "111111111111", "trail/org-trail")),
    ("arn:aws-us-gov:iam::222222222222:role/path/Audit", ("aws-us-gov", "iam", "", "222222222222", "role/path/Audit")),
    ("arn:aws:logs:eu-west-1:111111111111:log-group:trail-logs:*",
     ("aws", "logs", "eu-west-1", "111111111111", "log-group:trail-logs:*")),
    ("arn:aws-cn:s3:::bucket/key/with/slashes", ("aws-cn", "s3", "", "", "bucket/key/with/slashes")),
])
def test_parse_splits_five_fields_and_round_trips(text: str, fields: tuple[str, ...]) -> None:
    arn = Arn.parse(text)
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == fields
    assert str(arn) == text


@pytest.mark.parametrize("text", ["", "111111111111", "arn:aws:s3", "urn:aws:s3:::bucket", "arn::s3:::b",
                                  "arn:aws::us-east-1:1:x"])
def test_what_is_not_an_arn_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not an ARN"):
        Arn.parse(text)
    assert Arn.parse_or_none(text) is None


def test_resource_name_is_what_follows_the_last_slash() -> None:
    assert Arn.parse("arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail").resource_name == "org-trail"
    assert Arn.parse("arn:aws:iam::111111111111:role/path/Audit").resource_name == "Audit"
    assert Arn.parse("arn:aws:sns:us-east-1:111111111111:alerts").resource_name == "alerts"
