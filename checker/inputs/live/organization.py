"""Which accounts and regions a live scan covers, and how it gets into each account.

The caller's account is scanned with the caller's own credentials; with ``--org`` every
ACTIVE account of the organization is listed and entered by assuming
``arn:<partition>:iam::<id>:role/<role-name>``. The regions are the account's enabled
ones (EC2 DescribeRegions honours opt-in) unless ``--regions`` fixes them. Each function
is one AWS call, so the collector can schedule them on its worker pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.arn import Arn
from checker.inputs.clients import Credentials

ROLE_SESSION_NAME = "trailcheck"
ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
ACCOUNTS_PAGE_SIZE = 20


@dataclass(frozen=True)
class Caller:
    """Who runs the scan (STS GetCallerIdentity) and in which partition."""

    account_id: str
    arn: str

    @property
    def partition(self) -> str:
        return Arn.parse(self.arn).partition


@dataclass(frozen=True)
class OrgAccount:
    """One ListAccounts item: id, name, and whether it is ACTIVE."""

    account_id: str
    name: str | None
    state: str

    @property
    def active(self) -> bool:
        return self.state == "ACTIVE"


def caller_identity(sts: Any) -> Caller:
    response = sts.get_caller_identity()
    return Caller(response["Account"], response["Arn"])


def describe_organization(organizations: Any) -> dict[str, Any]:
    """The snapshot's ``organization`` object: ``{id, management_account_id}``."""
    org = organizations.describe_organization()["Organization"]
    return {"id": org["Id"], "management_account_id": org["MasterAccountId"]}


def list_accounts_page(organizations: Any, token: str | None) -> tuple[list[OrgAccount], str | None]:
    """One ListAccounts page and the token of the next (``None`` after the last).

    Pages are fetched one call at a time so the collector can start on the accounts of
    a page while the next one is on its way.
    """
    kwargs: dict[str, Any] = {"MaxResults": ACCOUNTS_PAGE_SIZE}
    if token:
        kwargs["NextToken"] = token
    response = organizations.list_accounts(**kwargs)
    accounts = [OrgAccount(item["Id"], item.get("Name"), item.get("State") or item.get("Status", ""))
                for item in response.get("Accounts", [])]
    return accounts, response.get("NextToken")


def member_role_arn(partition: str, account_id: str, role_name: str) -> str:
    return str(Arn(partition, "iam", "", account_id, f"role/{role_name}"))


def assume_member_role(sts: Any, role_arn: str, external_id: str | None) -> Credentials:
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if external_id:
        kwargs["ExternalId"] = external_id
    return Credentials.from_assume_role(sts.assume_role(**kwargs))


def enabled_regions(ec2: Any) -> list[str]:
    """The account's enabled regions: opt-in not required, or opted in."""
    response = ec2.describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in response.get("Regions", [])
                  if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN)
