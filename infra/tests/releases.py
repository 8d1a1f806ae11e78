"""What earlier releases shipped, as the upgrade and rollback notes need it.

Each release's commit is the one its CHANGELOG section names. The lists
were read once from that commit (``git show <commit>:infra/hub.yaml``, its
``Parameters``) and are kept here, so the tests that use them run in any
checkout, a shallow clone or an exported tree included;
``test_release_history_agrees`` reads the commits again where the history
is there and fails if a list here differs from what that release shipped.
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
    },
}
