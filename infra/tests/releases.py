"""What earlier releases shipped, as the upgrade and rollback notes need it.

Each release's commit is the one its CHANGELOG section names. The lists
were read once from that commit and are kept here, so the tests that use
them run in any checkout, a shallow clone or an exported tree included:

- ``hub_parameters`` / ``member_parameters``: the ``Parameters`` of
  ``infra/hub.yaml`` / ``infra/member.yaml`` (``git show <commit>:<path>``);
- ``policy_keys``: the keys each table of the policy file may hold, named
  as src/policy/schema.rs names the tables ("" the top level, ``ou``,
  ``document.ou``, ...), from the serde structs of that commit's
  ``src/policy/raw.rs`` (``raw_rs`` where it lived elsewhere; all
  ``deny_unknown_fields``: the release refuses any other key).

``test_releases.py`` reads the commits again where the history is there
and fails if a list here differs from what that release shipped.
"""

RELEASES = {
    "0.2.0": {
        "commit": "84c718e57d5c",
        "hub_parameters": [
            "OrganizationId", "ManagementAccountId", "CodeS3Bucket", "CodeS3Key", "PolicyKey",
            "NamedSessionDocuments", "FunctionName", "HubRoleName", "MemberRoleName", "FallbackRoles",
            "EventBusName", "SweepSchedule", "SweepMaxConcurrency", "LogRetentionInDays", "AlertEmail",
            "ChatNotifications", "RevertsAlarmThreshold", "ReservedConcurrency", "LogLevel", "KmsKeyArn",
        ],
        "member_parameters": [
            "HubAccountId", "HubRegion", "HubRoleName", "HubBusName", "MemberRoleName", "RoleRegion",
            "ManagementAccountId", "NamedSessionDocuments",
        ],
    },
    "0.3.0": {
        "commit": "592d1f675797",
        "hub_parameters": [
            "OrganizationId", "ManagementAccountId", "CodeS3Bucket", "CodeS3Key", "PolicyKey",
            "NamedSessionDocuments", "FunctionName", "HubRoleName", "MemberRoleName", "FallbackRoles",
            "EventBusName", "MemberStackSetName", "PendingWindowSeconds", "SweepSchedule", "SweepMaxConcurrency",
            "LogRetentionInDays", "AlertEmail", "AlarmTopicArn", "AlarmEmail", "ChatNotifications",
            "RevertsAlarmThreshold", "ReservedConcurrency", "LogLevel", "KmsKeyArn", "IdentityCenterAccess",
            "IdentityCenterInstanceArn",
        ],
        "member_parameters": [
            "HubAccountId", "HubRegion", "HubRoleName", "HubBusName", "MemberRoleName", "RoleRegion",
            "ManagementAccountId", "MemberStackSetName", "StackSetAdminAccountId", "NamedSessionDocuments",
            "RunAsUserCheck", "RunAsTagInventory",
        ],
        "policy_keys": {
            "": ["member_role", "fallback_roles", "regions", "mode", "allow_root", "default", "scope", "ou",
                 "account", "exempt", "document", "nodes", "session_documents", "identity_center", "run_as_tags",
                 "forwarding_canary"],
            "default": ["run_as_user"],
            "scope": ["ous", "accounts"],
            "ou": ["id", "run_as_user", "mode"],
            "account": ["id", "run_as_user", "mode"],
            "document.ou": ["id", "run_as_user", "mode"],
            "document.account": ["id", "run_as_user", "mode"],
            "exempt": ["accounts", "ous", "principals"],
            "document": ["name", "run_as_user", "inherit", "mode", "ou", "account"],
            "nodes": ["check_user", "document"],
            "session_documents": ["sweep"],
            "run_as_tags": ["sweep"],
            "identity_center": ["region", "instance_arn", "mode", "attributes"],
            "forwarding_canary": ["enabled", "interval", "grace"],
        },
    },
    "0.4.0": {
        "commit": "beb5975992cd",
        "raw_rs": "src/domain/policy/raw.rs",
        "hub_parameters": [
            "OrganizationId", "ManagementAccountId", "CodeS3Bucket", "CodeS3Key", "PolicyKey",
            "NamedSessionDocuments", "FunctionName", "HubRoleName", "MemberRoleName", "FallbackRoles",
            "EventBusName", "MemberStackSetName", "StackSetAdminAccountId", "PendingWindowSeconds",
            "SweepSchedule", "SweepMaxConcurrency", "LogRetentionInDays", "AlertEmail", "AlarmTopicArn",
            "AlarmEmail", "ChatNotifications", "RevertsAlarmThreshold", "ReservedConcurrency", "RunbookUrl",
            "LogLevel", "KmsKeyArn", "IdentityCenterAccess", "IdentityCenterInstanceArn",
        ],
        "member_parameters": [
            "HubAccountId", "HubRegion", "HubRoleName", "HubBusName", "MemberRoleName", "RoleRegion",
            "ManagementAccountId", "MemberStackSetName", "StackSetAdminAccountId", "NamedSessionDocuments",
            "RunAsUserCheck", "RunAsTagInventory", "OperatorPrincipals", "OrganizationId", "OperatorRoleName",
            "OperatorAccountIds",
        ],
        "policy_keys": {
            "": [
                "member_role", "fallback_roles", "operator_role", "regions", "mode", "allow_root",
                "directory_users", "default", "scope", "ou", "account", "exempt", "document", "nodes",
                "session_documents", "identity_center", "run_as_tags", "forwarding_canary",
            ],
            "forwarding_canary": [
                "enabled", "interval", "grace",
            ],
            "run_as_tags": [
                "sweep",
            ],
            "identity_center": [
                "region", "instance_arn", "mode", "attributes",
            ],
            "session_documents": [
                "sweep",
            ],
            "nodes": [
                "check_user", "document", "held_alert_after",
            ],
            "document": [
                "name", "run_as_user", "inherit", "mode", "ou", "account",
            ],
            "default": [
                "run_as_user",
            ],
            "ou": [
                "id", "run_as_user", "mode",
            ],
            "account": [
                "id", "run_as_user", "mode",
            ],
            "document.ou": [
                "id", "run_as_user", "mode",
            ],
            "document.account": [
                "id", "run_as_user", "mode",
            ],
            "scope": [
                "ous", "accounts",
            ],
            "exempt": [
                "accounts", "ous", "principals",
            ],
        },
    },
}
