"""Published CIS AWS Foundations monitoring filter texts, as test data.

The CIS Benchmarks are licensed by CIS; these strings are quoted as the CIS v1.4 remediation
texts (the same in v1.5 to v4.0, numbered 3.x in v1.2) and the v5.0 differences, as Prowler's
and Steampipe's CIS transcriptions give them, and used only to check that trailcheck judges
them as the controls mean them.
"""

from __future__ import annotations

IAM = ["DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
       "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
       "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
       "DetachGroupPolicy"]
TRAIL = ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"]
S3 = ["PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
      "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"]
CONFIG = ["StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"]
SECURITY_GROUPS = ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                   "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"]
NACL = ["CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"]
GATEWAYS = ["CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
            "DeleteInternetGateway", "DetachInternetGateway"]
ROUTES = ["CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
          "DeleteRoute", "DisassociateRouteTable"]
VPC = ["CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
       "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
       "DisableVpcClassicLink", "EnableVpcClassicLink"]
ORGANIZATIONS = ["AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
                 "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
                 "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
                 "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"]


def _names(names: list[str], source: str | None = None, quoted: bool = False) -> str:
    value = '"{}"' if quoted else "{}"
    alternatives = " || ".join(f"($.eventName = {value.format(name)})" for name in names)
    return f"{{ {alternatives} }}" if source is None else f"{{ ($.eventSource = {source}) && ({alternatives}) }}"


V14 = {
    "4.1": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
           '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }',
    "4.2": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    "4.3": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
           '$.eventType != "AwsServiceEvent" }',
    "4.4": "{" + "||".join(f"($.eventName={name})" for name in IAM) + "}",
    "4.5": _names(TRAIL),
    "4.6": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    "4.7": "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
    "4.8": _names(S3, source="s3.amazonaws.com"),
    "4.9": "{($.eventSource = config.amazonaws.com) && (" + "||".join(f"($.eventName={n})" for n in CONFIG) + ")}",
    "4.10": _names(SECURITY_GROUPS),
    "4.11": _names(NACL),
    "4.12": _names(GATEWAYS),
    "4.13": _names(ROUTES),
    "4.14": _names(VPC),
    "4.15": _names(ORGANIZATIONS, source="organizations.amazonaws.com", quoted=True),
}
"""The CIS v1.4 remediation filter of each control (4.10 misses ModifySecurityGroupRules)."""

V5_4_10 = _names([*SECURITY_GROUPS, "ModifySecurityGroupRules"])
"""CIS v5.0 4.10, with ModifySecurityGroupRules."""

RULE_OF_CONTROL = {
    "4.1": "monitor-unauthorized-api-calls", "4.2": "monitor-console-signin-without-mfa",
    "4.3": "monitor-root-usage", "4.4": "monitor-iam-policy-changes", "4.5": "monitor-cloudtrail-changes",
    "4.6": "monitor-console-auth-failures", "4.7": "monitor-kms-key-disable-or-deletion",
    "4.8": "monitor-s3-bucket-policy-changes", "4.9": "monitor-config-changes",
    "4.10": "monitor-security-group-changes", "4.11": "monitor-nacl-changes",
    "4.12": "monitor-network-gateway-changes", "4.13": "monitor-route-table-changes", "4.14": "monitor-vpc-changes",
    "4.15": "monitor-organizations-changes",
}
"""The built-in monitoring rule of each CIS v1.4-v5.0 control."""
