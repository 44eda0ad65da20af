"""Amazon Resource Names: the one place an ARN is taken apart or put together.

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``. The resource part may itself hold
colons (``log-group:NAME:*``, ``function:NAME:ALIAS``) and slashes (``trail/NAME``,
``role/PATH/NAME``), so it is everything after the fifth colon. Region and account are
empty for global resources (``arn:aws:s3:::bucket``, ``arn:aws:iam::ACCOUNT:role/NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arn:
    """An ARN split into its fields; ``str()`` gives the ARN back."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        """Split ``text``; :class:`ValueError` when it is not ``arn:`` and five fields."""
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
            raise ValueError(f"not an ARN: {text!r}")
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    @classmethod
    def parse_or_none(cls, text: str) -> Arn | None:
        """The ARN in ``text``, or ``None`` where ``text`` may be something else."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def resource_name(self) -> str:
        """The resource's own name: what follows the last ``/`` (``trail/org`` -> ``org``)."""
        return self.resource.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"
