"""Every action a shipped role grants, and the flow that needs it.

``NEEDED`` says, for each role, why each granted action is there: the flow,
and either the adapter files of ``src/`` that make the call (comma-separated;
the call must be in each) or, for a grant that AWS itself uses on the role's
behalf, which service uses it and why. The test holds the table against both sides:

- every action a role's statements grant is in the table (a grant nobody can
  explain fails), and every action in the table is granted (a flow whose
  permission is missing fails, naming the action);
- every call the function makes through the SDK (the ``src/adapters/aws/*.rs``
  adapters and the ``src/adapters/store/*.rs`` table stores it uses) is in the table:
  a new call without its grant fails here, before a deployment meets
  ``AccessDenied``.

The table in infra/docs/permissions.md ("Why each permission") is generated from
``NEEDED`` (``python -m infra.tests.test_necessity`` prints it) and checked
to be current.
"""

import glob
import os
import re
import unittest

from . import cfn

SRC = os.path.join(cfn.REPO_ROOT, "src", "adapters")
PAGE = os.path.join(cfn.INFRA_DIR, "docs", "permissions.md")
BEGIN = "<!-- necessity:begin -->"
END = "<!-- necessity:end -->"

# role -> action -> (flows, "src/adapters/aws/<file>" that calls it | "aws:" why AWS uses it)
NEEDED = {
    "hub": {
        "sts:AssumeRole": ("every flow that touches a member", "src/adapters/aws/sts.rs"),
        "s3:GetObject": ("policy load and refresh", "src/adapters/aws/policy_object.rs"),
        "s3:GetObjectVersion": ("cold start on a broken policy: the newest valid earlier version", "src/adapters/aws/policy_object.rs"),
        "s3:ListBucketVersions": ("cold start on a broken policy: which versions exist", "src/adapters/aws/policy_object.rs"),
        "dynamodb:GetItem": ("event claims, lost conditional writes (claims, reported drift); a fanned-out sweep's snapshot of one account", "src/adapters/aws/dynamodb.rs, src/adapters/store/known.rs"),
        "dynamodb:PutItem": ("event claims, rejected events, sweep parts; an account's departure from governance, "
                             "told once", "src/adapters/store/receipts.rs, src/adapters/store/governance.rs"),
        "dynamodb:UpdateItem": ("state records (`pending` too), leases, claims, outbox", "src/adapters/aws/dynamodb.rs"),
        "dynamodb:DeleteItem": ("outbox: an alert published is removed; a departure, once the account is governed "
                                "again", "src/adapters/store/outbox.rs, src/adapters/store/governance.rs"),
        "dynamodb:Query": ("sweep snapshot (state index), outbox, sweep parts, an account-region's told facts (a refused claim; an edit event naming its editor, since 0.12.0)", "src/adapters/store/known.rs, src/adapters/store/fact_items.rs"),
        "dynamodb:BatchWriteItem": ("history rows; alerts kept in the outbox", "src/adapters/aws/dynamodb.rs"),
        "sns:Publish": ("every alert", "src/adapters/aws/topics.rs"),
        "kms:GenerateDataKey": ("every alert", "aws: SNS encrypts what the role publishes to the KMS-encrypted topic"),
        "kms:Decrypt": ("every alert; policy load from a KMS-encrypted bucket", "aws: SNS and S3 use the topic's and the bucket's key for the role"),
        "kms:Encrypt": ("every flow, with KmsKeyArn set", "aws: DynamoDB uses the table's customer managed key for the role"),
        "kms:GenerateDataKey*": ("every flow, with KmsKeyArn set", "aws: DynamoDB uses the table's customer managed key for the role"),
        "kms:ReEncrypt*": ("every flow, with KmsKeyArn set", "aws: DynamoDB uses the table's customer managed key for the role"),
        "kms:DescribeKey": ("every flow, with KmsKeyArn set", "aws: DynamoDB uses the table's customer managed key for the role"),
        "logs:CreateLogStream": ("every invocation", "aws: Lambda writes the function's log (and its EMF metrics) as the role"),
        "logs:PutLogEvents": ("every invocation", "aws: Lambda writes the function's log (and its EMF metrics) as the role"),
        # A pending account-region's re-attempt is a message on the sweep
        # queue with its own DelaySeconds: the same action, the same queue.
        "sqs:SendMessage": ("fanned-out sweep (SendMessageBatch is authorised as SendMessage); a pending account's "
                            "re-attempt (DelaySeconds per message); failed async events", "src/adapters/aws/queue.rs"),
        "sqs:ReceiveMessage": ("fanned-out sweep; pending re-attempts; an operator's redrive request (the "
                               "failure queues' named messages)",
                               "aws: Lambda's event source mapping polls the sweep queue as the role; "
                               "src/flow/redrive/queue.rs"),
        "sqs:DeleteMessage": ("fanned-out sweep; pending re-attempts; an operator's redrive request (what it "
                              "handled)",
                              "aws: Lambda's event source mapping deletes what the function handled; "
                              "src/flow/redrive/queue.rs"),
        "sqs:GetQueueAttributes": ("fanned-out sweep; pending re-attempts",
                                   "aws: Lambda's event source mapping reads the queue's settings"),
        "sqs:ChangeMessageVisibility": ("fanned-out sweep; pending re-attempts; an operator's redrive request "
                                        "(what it keeps, visible again)",
                                        "aws: Lambda's event source mapping returns batch failures to the queue; "
                                        "src/flow/redrive/queue.rs"),
        "organizations:DescribeAccount": ("vend, move, re-attempt, document edit: the account's OU path "
                                          "(`Account.Paths`), its name and when it joined (`pending` or "
                                          "`failed`); a sweep worker's older message, or one without the "
                                          "account's state; `doctor --account`", "src/adapters/aws/organizations_paths.rs"),
        "organizations:DescribeOrganizationalUnit": ("every flow: OU names in reports and alerts", "src/adapters/aws/organizations.rs"),
        "organizations:ListParents": ("vend, move, document edit: the account's OU path where Organizations "
                                      "answers no readable `Account.Paths`", "src/adapters/aws/organizations.rs"),
        "organizations:ListOrganizationalUnitsForParent": ("sweep: the walk of the tree", "src/adapters/aws/organizations_walk.rs"),
        "organizations:ListAccountsForParent": ("sweep: the walk of the tree; a Control Tower baseline's OU", "src/adapters/aws/organizations_walk.rs"),
        "organizations:ListRoots": ("sweep: the walk of the tree, and the root's policy types it answers (the watch for a native policy; doctor's `policy types`)", "src/adapters/aws/organizations.rs"),
        # The declared Identity Center mapping ([identity_center]; hub.yaml
        # IdentityCenterAccess), with the hub role's own credentials.
        "sso:ListInstances": ("Identity Center mapping without `instance_arn`: the one instance "
                              "(IdentityCenterInstanceArn empty)", "src/adapters/aws/identity_center.rs"),
        "sso:DescribeInstanceAccessControlAttributeConfiguration": (
            "Identity Center mapping: every `aws.sso` access-control event and every sweep (Read, Enforce)",
            "src/adapters/aws/identity_center.rs"),
        "sso:UpdateInstanceAccessControlAttributeConfiguration": (
            "Identity Center mapping, mode enforce: put the declared mapping back (Enforce)",
            "src/adapters/aws/identity_center.rs"),
        "sso:CreateInstanceAccessControlAttributeConfiguration": (
            "Identity Center mapping, mode enforce: the configuration was deleted (Enforce)",
            "src/adapters/aws/identity_center.rs"),
    },
    "member": {
        "ssm:DescribeDocument": ("every flow: default and latest version; another Session document written: "
                                 "its type and versions; user check, nodes failed: the check document's "
                                 "version the association runs",
                                 "src/adapters/aws/ssm.rs, src/adapters/aws/session_documents.rs, src/adapters/aws/associations/document.rs"),
        "ssm:GetDocument": ("every flow: the content; another Session document written: can it skip Run As?",
                            "src/adapters/aws/ssm.rs, src/adapters/aws/session_documents.rs"),
        # The policy's [session_documents] sweep (off by default): one page of
        # the account-region's Session documents.
        "ssm:ListDocuments": ("sweep with `[session_documents] sweep = true`: the Session documents",
                              "src/adapters/aws/session_documents.rs"),
        # An alert that tells a Run As window (run_as_window, or a reverted or
        # detected edit): who started sessions then, one page of each state.
        "ssm:DescribeSessions": ("an alert that tells a Run As window (`run_as_window`, `drift_reverted`, "
                                 "`drift_detected`, `tamper_repeated`): the sessions started in it",
                                 "src/adapters/aws/sessions.rs"),
        "ssm:CreateDocument": ("vend: the document does not exist yet", "src/adapters/aws/ssm.rs"),
        "ssm:UpdateDocument": ("revert, vend over LZA's document", "src/adapters/aws/ssm.rs"),
        "ssm:UpdateDocumentDefaultVersion": ("revert, adopting LZA's latest version", "src/adapters/aws/ssm.rs"),
        "ssm:ListDocumentVersions": ("revert at SSM's version limit", "src/adapters/aws/ssm.rs"),
        "ssm:DeleteDocument": ("revert at SSM's version limit: one old version", "src/adapters/aws/ssm.rs"),
        "iam:ListRoleTags": ("run_as_override: is the role's SSMSessionRunAs tag still there? "
                             "Sweep with `[run_as_tags] sweep = true`: each role's tags",
                             "src/adapters/aws/principal_tags.rs"),
        "iam:ListUserTags": ("run_as_override: is the user's SSMSessionRunAs tag still there? "
                             "Sweep with `[run_as_tags] sweep = true`: each user's tags",
                             "src/adapters/aws/principal_tags.rs"),
        # The Run As tag inventory (member.yaml RunAsTagInventory=Enabled,
        # policy [run_as_tags] sweep): which roles and users there are.
        "iam:ListRoles": ("sweep with `[run_as_tags] sweep = true` (RunAsTagInventory=Enabled): every role",
                          "src/adapters/aws/principal_tags.rs"),
        "iam:ListUsers": ("sweep with `[run_as_tags] sweep = true` (RunAsTagInventory=Enabled): every user",
                          "src/adapters/aws/principal_tags.rs"),
        # The run-as user check (member.yaml RunAsUserCheck=Enabled, policy [nodes] check_user).
        "ssm:ListAssociations": ("user check: find the check's association by its name", "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociation": ("user check: the association's user, version and per-node outcome (every sweep)",
                                    "src/adapters/aws/associations.rs"),
        "ssm:CreateAssociation": ("user check: vend, or the check's association deleted", "src/adapters/aws/associations.rs"),
        "ssm:UpdateAssociation": ("user check: the account's user changed, or the association edited",
                                  "src/adapters/aws/associations.rs"),
        "ssm:DeleteAssociation": ("user check: a second association under the check's name; the check's "
                                  "association at its version limit, or one no update can put back (its tag "
                                  "refused, or the update refused for want of it), before it is made anew",
                                  "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociationExecutions": ("user check: nodes failed: the newest run",
                                              "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociationExecutionTargets": ("user check: nodes failed: which nodes lack the user; a hold "
                                                    "told: the nodes whose run timed out or was not delivered",
                                                    "src/adapters/aws/associations.rs, src/adapters/aws/associations/not_run.rs"),
        "ssm:DescribeInstanceAssociationsStatus": ("user check: nodes failed: each one's report (only the "
                                                   "check script's line is a missing user)",
                                                   "src/adapters/aws/associations/node_status.rs"),
        "ssm:DescribeInstanceInformation": ("user check readiness: no result yet, or no managed Linux or macOS "
                                            "nodes (one page of 5, PlatformTypes Linux, MacOS)",
                                            "src/adapters/aws/associations.rs"),
        # The forwarding canary (policy [forwarding_canary], src/flow/sweep/canary.rs):
        # a sweep tags the account-region's SSM-SessionManagerRunShell; the
        # grant allows that one tag key on that one document only. The
        # run-as user check tags its association runas-guard:managed (the
        # member role's RunAsUserCheckCreateTagged: that key only).
        "ssm:AddTagsToResource": ("sweep with `[forwarding_canary] enabled = true`: the canary's tag "
                                  "`runas-guard:canary` on SSM-SessionManagerRunShell; user check: the tag "
                                  "`runas-guard:managed` on the check's association (at creation, once on one "
                                  "made untagged, before every put-back)",
                                  "src/adapters/aws/canary_tag.rs, src/adapters/aws/associations.rs"),
        # Security Hub findings (policy [security_hub] findings, off by
        # default): imported from the member account-region itself, as its
        # own default product (member.yaml SecurityHubFindings: that product
        # only).
        "securityhub:BatchImportFindings": ("`[security_hub] findings = true`: each governed account-region's "
                                            "findings, imported into its own Security Hub",
                                            "src/adapters/aws/security_hub.rs"),
        # A sweep reads its own findings back (tamper detection): on the
        # account's hub (member.yaml SecurityHubFindingsReadBack).
        "securityhub:GetFindings": ("sweep with `[security_hub] findings = true`: runas-guard's own findings read "
                                    "back to find those someone else changed; doctor --account: is the hub enabled", "src/adapters/aws/security_hub.rs"),
    },
    # The operator's seat (member.yaml OperatorRole, OperatorPrincipals set):
    # what `why`, `doctor --account` and `reconcile --dry-run` read through it.
    "operator": {
        "ssm:DescribeDocument": ("doctor --account, reconcile --dry-run: default and latest version",
                                 "src/adapters/aws/ssm.rs"),
        "ssm:GetDocument": ("why: the document a session uses; doctor --account, reconcile --dry-run: the content",
                            "src/adapters/aws/ssm.rs, src/flow/why/read.rs"),
        "iam:ListRoleTags": ("why: the caller role's SSMSessionRunAs tag", "src/adapters/aws/principal_tags.rs"),
        "iam:ListUserTags": ("why: the caller user's SSMSessionRunAs tag", "src/adapters/aws/principal_tags.rs"),
        # RunAsUserCheck=Enabled: the check's results, as the member role reads them.
        "ssm:ListAssociations": ("reconcile --dry-run, doctor --account (user check): the check's association",
                                 "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociation": ("reconcile --dry-run (user check): the association's user and outcome",
                                    "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociationExecutions": ("reconcile --dry-run (user check): nodes failed: the newest run",
                                              "src/adapters/aws/associations.rs"),
        "ssm:DescribeAssociationExecutionTargets": ("reconcile --dry-run (user check): which nodes failed",
                                                    "src/adapters/aws/associations.rs"),
        "ssm:DescribeInstanceAssociationsStatus": ("reconcile --dry-run (user check): a failed node's report; "
                                                   "why --node: the node's latest run",
                                                   "src/adapters/aws/associations/node_status.rs, src/flow/why/read.rs"),
        "ssm:DescribeInstanceInformation": ("reconcile --dry-run (user check): are there Linux or macOS nodes",
                                            "src/adapters/aws/associations.rs"),
    },
}

# The role each template gives the function (hub), the hub (member) or on-call (operator).
ROLES = {"hub": (cfn.HUB_TEMPLATE, "HubRole"), "member": (cfn.MEMBER_TEMPLATE, "ExecutionRole"),
         "operator": (cfn.MEMBER_TEMPLATE, "OperatorRole")}

# Adapters the function calls through, by IAM service prefix, as paths below
# src/ (a "*" takes every file of the folder, so a store added there is
# checked without a change here). Operator-only adapters (store/status.rs:
# `status`/`history`; store/audit_read.rs: `report`; aws/regions.rs: `doctor`) run with the operator's
# credentials and are not the hub role's.
# A file may serve two services: each of its calls is the action of
# whichever of them a role grants, and of both (so the test names it) if
# neither does.
FUNCTION_ADAPTERS = {
    "dynamodb": ["aws/dynamodb.rs", "store/*.rs"],
    "sns": ["aws/topics.rs"],
    "sqs": ["aws/queue.rs"],
    "sts": ["aws/sts.rs"],
    "s3": ["aws/policy_object.rs"],
    "organizations": ["aws/organizations.rs", "aws/organizations_paths.rs"],
    "ssm": ["aws/ssm.rs", "aws/associations.rs", "aws/session_documents.rs", "aws/canary_tag.rs"],
    "iam": ["aws/principal_tags.rs"],
    # IAM Identity Center's admin API: the aws-sdk-ssoadmin crate (client
    # module aws_sdk_ssoadmin) signs as service "sso", the IAM prefix of its
    # actions (Service Authorization Reference, AWS IAM Identity Center).
    "sso": ["aws/identity_center.rs"],
    # Security Hub CSPM (aws-sdk-securityhub, IAM prefix securityhub): the
    # findings import, in the member session.
    "securityhub": ["aws/security_hub.rs"],
}
OPERATOR_ONLY = {"store/status.rs", "store/audit_read.rs", "aws/regions.rs"}
# Calls AWS answers without any permission: nothing to grant. "No permissions
# are required to perform this operation" (STS API Reference,
# GetCallerIdentity), even an explicit deny does not stop it.
NO_PERMISSION = {"sts:GetCallerIdentity"}
# SDK operations whose IAM action has another name.
ACTION_OF = {"sqs:SendMessageBatch": "sqs:SendMessage", "s3:ListObjectVersions": "s3:ListBucketVersions"}
# SDK operations authorised as several IAM actions: DynamoDB has no
# TransactWriteItems action; each item is authorised as the underlying
# operation ("Using IAM with DynamoDB transactions", DynamoDB developer
# guide). The sweep's transaction puts a part and updates the sweep's item.
ACTIONS_OF = {"dynamodb:TransactWriteItems": ("dynamodb:PutItem", "dynamodb:UpdateItem")}
# IAM actions authorised on a call of another name (GetObject with a version id).
CALLED_AS = {
    "sqs:SendMessage": "send_message_batch",
    "s3:ListBucketVersions": "list_object_versions",
    "s3:GetObjectVersion": "get_object",
}
# An SDK call: an operation right after the client (`self.client\n.publish()`).
CALL = re.compile(r"client(?:\(\))?\s*\.\s*([a-z][a-z0-9_]*)\(\)")


def _statements(role):
    for policy in role["Properties"].get("Policies", []):
        for statement in _flatten(policy["PolicyDocument"]["Statement"]):
            yield statement


def _flatten(value):
    """Statements, with each ``Fn::If`` taken both ways."""
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict) and "Fn::If" in value:
        for branch in value["Fn::If"][1:]:
            if branch != {"Ref": "AWS::NoValue"}:
                yield from _flatten(branch)
    elif isinstance(value, dict):
        yield value


def granted(role_key):
    path, logical_id = ROLES[role_key]
    role = cfn.load_template(path)["Resources"][logical_id]
    actions = set()
    for statement in _statements(role):
        if statement.get("Effect") != "Allow":
            continue
        action = statement.get("Action", [])
        actions.update([action] if isinstance(action, str) else action)
    return actions


def _pascal(snake):
    return "".join(part.capitalize() for part in snake.split("_"))


def calls_in(path):
    """The SDK operations a file calls on a client."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return {m.group(1) for m in CALL.finditer(text)}


def adapter_files(pattern):
    """The files below src/ that ``pattern`` names (tests and operator-only adapters left out)."""
    paths = sorted(glob.glob(os.path.join(SRC, pattern)))
    names = [os.path.relpath(path, SRC).replace(os.sep, "/") for path in paths]
    return [name for name in names if name not in OPERATOR_ONLY and not name.endswith("_tests.rs")]


def function_actions():
    """`service:Action` for every SDK operation the function's adapters call."""
    services_of = {}
    for service, patterns in FUNCTION_ADAPTERS.items():
        for pattern in patterns:
            files = adapter_files(pattern)
            assert files, f"no file matches src/{pattern}"
            for name in files:
                services_of.setdefault(name, []).append(service)
    granted_anywhere = set(NEEDED["hub"]) | set(NEEDED["member"])
    actions = {}
    for name, services in services_of.items():
        path = os.path.join(SRC, name)
        for op in calls_in(path):
            if op == "clone":
                continue
            candidates = [ACTION_OF.get(a, a) for a in (f"{service}:{_pascal(op)}" for service in services)]
            chosen = [a for a in candidates if a in granted_anywhere] if len(candidates) > 1 else candidates
            for action in chosen or candidates:
                for needed in ACTIONS_OF.get(action, (action,)):
                    actions.setdefault(needed, set()).add(f"src/{name}")
    return actions


def table():
    lines = ["| role | action | needed by | where |", "| --- | --- | --- | --- |"]
    for role, actions in NEEDED.items():
        for action, (flow, where) in sorted(actions.items()):
            where = where if where.startswith("src/") else where.removeprefix("aws: ")
            lines.append(f"| {role} | `{action}` | {flow} | {where} |")
    return "\n".join(lines)


class NecessityTests(unittest.TestCase):
    def test_every_grant_is_needed_and_every_need_is_granted(self):
        for role in NEEDED:
            with self.subTest(role=role):
                have, need = granted(role), set(NEEDED[role])
                self.assertEqual(set(), have - need, f"{role} role grants actions no flow needs")
                self.assertEqual(set(), need - have, f"{role} role lacks actions a flow needs")

    def test_each_action_is_called_where_the_table_says(self):
        for role, actions in NEEDED.items():
            for action, (_, where) in actions.items():
                if not where.startswith("src/"):
                    continue
                op = re.sub(r"(?<!^)([A-Z])", r"_\1", action.split(":", 1)[1]).lower()
                for path in where.split(", "):
                    calls = calls_in(os.path.join(cfn.REPO_ROOT, path))
                    self.assertTrue(op in calls or CALLED_AS.get(action) in calls,
                                    f"{action}: {path} does not call {op}")

    def test_every_call_the_function_makes_is_granted(self):
        allowed = set(NEEDED["hub"]) | set(NEEDED["member"]) | NO_PERMISSION
        for action, files in sorted(function_actions().items()):
            with self.subTest(action=action):
                self.assertIn(action, allowed, f"{', '.join(sorted(files))} calls {action}, which no shipped role grants")

    def test_the_permissions_page_table_is_current(self):
        with open(PAGE, encoding="utf-8") as handle:
            text = handle.read()
        self.assertIn(BEGIN, text)
        current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
        self.assertEqual(table(), current, "regenerate it: python -m infra.tests.test_necessity")


if __name__ == "__main__":
    print(table())
