"""Pieces every rich format shares, so that they agree: framework references and the
``account/region/resource`` path of a finding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from checker.findings import Finding


def framework_refs(frameworks: Mapping[str, Sequence[str]]) -> list[str]:
    """``{"cis-aws-foundations-v3.0": ["3.1"]}`` -> ``["cis-aws-foundations-v3.0:3.1"]``, sorted."""
    return sorted(f"{framework}:{control}" for framework, controls in frameworks.items()
                  for control in controls)


def unit_path(finding: Finding) -> str:
    """``account/region/resource`` with the missing parts left out (``-`` if all are)."""
    parts = [part for part in (finding.account_id, finding.region, finding.resource) if part]
    return "/".join(parts) or "-"
