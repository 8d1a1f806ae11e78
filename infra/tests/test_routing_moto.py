"""The document rules', the run-as user check rules', the session
document rules', the stack-instance rules' and the Control Tower rules'
patterns, deployed into moto's EventBridge (in process, ``moto.mock_aws``),
route exactly what test_routing's matcher says: an independent
implementation of EventBridge matching agrees on the samples, on edits that
name the document by ARN (the ``$or`` branch with a ``wildcard``), on
association writes of the check document by name, by ARN, by id (the
answer's name) and of other documents, on writes of other Session documents
(``anything-but`` the governed names, the type in the request or in the
answer), on stack-instance events of the member StackSet and of look-alikes
(the ``wildcard`` on its ARN) and on baseline events (each under its own
status object), so the patterns are not only right for our own matcher.

One part of a pattern moto cannot judge: a field inside an array of objects.
Its EventPattern flattens an event's nested objects only (an array is one
leaf), so ``{"tags": {"key": [...]}}`` never matches CloudTrail's
``"tags": [{"key": ..., "value": ...}]``, where EventBridge matches any
element's key (test_moto_cannot_match_inside_arrays_of_objects holds this
premise). The run-as override rules (``tags.key`` of TagRole / TagUser) are
not routed through moto here at all, and likewise the document rules' forwarding canary
branch (``tags.key`` of AddTagsToResource) is left to test_routing's matcher:
an event with such an array (the canary sample, and AddTagsToResource of
another key) is routed through moto by the document rule without that branch,
every other event by the whole rule. The same holds for the association
rules' branch for runas-guard's tag overwritten (``tags.key`` and
``tags.value`` of AddTagsToResource on an association): an event with such an
array is routed through moto by the association rule without that branch,
every other event (the tag's removal included: ``tagKeys`` is an array of
strings, which moto matches) by the whole rule; and moto judges that branch's
leaves (the key, ``anything-but`` the value ``"true"``) on each tag given as
one object instead of the array (``one_tag``), which both matchers read as
an array of one element.
"""

import copy
import json
import unittest

import boto3
from moto import mock_aws

from . import cfn, samples
from . import test_member_stack as member_stack
from . import test_routing as routing

ARN_NAMES = [
    "arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell",
    "arn:aws:ssm:us-east-1:444455556666:document/SSMRunAs-Admin",
    "arn:aws:ssm:eu-west-1:111122223333:parameter/SSM-SessionManagerRunShell",
    "arn:aws:ec2:eu-west-1:111122223333:document/SSM-SessionManagerRunShell",
    "SSMRunAs-Admin",
    "SSMRunAs-ReadOnly",
    "arn:aws:ssm:eu-west-1:111122223333:document/RunAsGuard-CheckRunAsUser",
    "arn:aws:ssm:eu-west-1:111122223333:document/RunAsGuard-CheckRunAsUserX",
    "RunAsGuard-CheckRunAsUser",
    "AWS-GatherSoftwareInventory",
    "Elevated-Shell",
    "SSM-SessionManagerRunShellCustom",
]
DOCUMENT_TYPES = ["Session", "Command", "session"]
CHECK_ARN = "arn:aws-us-gov:ssm:us-gov-west-1:444455556666:document/RunAsGuard-CheckRunAsUser"


def typed(event, kind):
    """A document write whose type (CreateDocument: in the request; UpdateDocument: in the answer) is ``kind``."""
    event = copy.deepcopy(event)
    detail = event["detail"]
    if detail["eventName"] == "CreateDocument":
        detail["requestParameters"]["documentType"] = kind
    else:
        detail["responseElements"]["documentDescription"]["documentType"] = kind
    return event


def has_tag_objects(event):
    """The event's request carries an array of tag objects (CloudTrail's ``requestParameters.tags``)."""
    tags = (event["detail"].get("requestParameters") or {}).get("tags")
    return isinstance(tags, list) and any(isinstance(tag, dict) for tag in tags)


def without_canary(pattern):
    """A document rule's ``pattern`` without its forwarding canary branch (checked to be exactly that)."""
    pattern = copy.deepcopy(pattern)
    branches = pattern["detail"]["requestParameters"]["$or"]
    kept = [branch for branch in branches if branch != routing.CANARY_BRANCH]
    if len(kept) != len(branches) - 1 or any("tags" in json.dumps(branch) for branch in kept):
        raise AssertionError(f"not one canary branch and the rest free of tags: {branches}")
    pattern["detail"]["requestParameters"]["$or"] = kept
    return pattern


def without_retag(pattern):
    """An association rule's ``pattern`` without its AddTagsToResource branch (checked to be exactly that)."""
    pattern = copy.deepcopy(pattern)
    branches = pattern["detail"]["$or"]
    kept = [branch for branch in branches if branch != routing.RETAG_BRANCH]
    if len(kept) != len(branches) - 1 or any('"tags"' in json.dumps(branch) for branch in kept):
        raise AssertionError(f"not one AddTagsToResource branch and the rest free of tags: {branches}")
    pattern["detail"]["$or"] = kept
    return pattern


def one_tag(name, event):
    """An event with an array of tag objects, once per tag with that tag alone as an object instead of the array."""
    variants = []
    for index, tag in enumerate(event["detail"]["requestParameters"]["tags"]):
        variant = copy.deepcopy(event)
        variant["detail"]["requestParameters"]["tags"] = dict(tag)
        variants.append((f"{name}, tag {index} as one object", variant))
    return variants


def answered(event, name):
    """An association write whose answer (responseElements.associationDescription) names ``name``."""
    event = copy.deepcopy(event)
    event["detail"]["responseElements"]["associationDescription"]["name"] = name
    return event


def valued(event, value):
    """An AddTagsToResource whose runas-guard:managed tag has ``value``."""
    event = copy.deepcopy(event)
    for tag in event["detail"]["requestParameters"]["tags"]:
        if tag["key"] == routing.MANAGED_TAG_KEY:
            tag["value"] = value
    return event


class MotoAgreesOnDocumentRoutingTests(cfn.TemplateTestCase):

    def test_moto_routes_what_the_matcher_routes(self):
        templates = {routing.HUB: self.hub, routing.MEMBER: self.member}
        ssm_events = [(name, event) for name, _, event in cfn.load_events() + samples.inline_samples()
                      if event["source"] == "aws.ssm"]
        edits = [(f"{name} as {doc}", routing.renamed(event, doc))
                 for name, event in ssm_events if "requestParameters" in event["detail"]
                 and isinstance(event["detail"]["requestParameters"].get("name"), str)
                 for doc in ARN_NAMES]
        answers = [(f"{name} answering {doc}", answered(event, doc))
                   for name, event in ssm_events
                   if (event["detail"].get("responseElements") or {}).get("associationDescription")
                   for doc in ARN_NAMES + [CHECK_ARN, "RunAsGuard-CheckRunAsUser"]]
        types = [(f"{name} typed {kind}", typed(event, kind))
                 for name, event in ssm_events if "errorCode" not in event["detail"]
                 and (event["detail"]["eventName"] == "CreateDocument"
                      or (event["detail"]["eventName"] == "UpdateDocument"
                          and (event["detail"].get("responseElements") or {}).get("documentDescription")))
                 for kind in DOCUMENT_TYPES]
        cases = ssm_events + edits + answers + types
        tagged = [(name, event) for name, event in cases if has_tag_objects(event)]
        untagged = [(name, event) for name, event in cases if not has_tag_objects(event)]
        self.assertTrue([name for name, _ in tagged if name.startswith("forwarding_canary.")], "the canary sample")
        self.assertTrue(any(routing.matches(
            routing.resolved_patterns(templates)[(routing.MEMBER, "DocumentChangedForwardRule")], e)
            for _, e in edits), "some ARN edit is routed")
        for named in ("", "SSMRunAs-Admin"):
            patterns = routing.resolved_patterns(templates, NamedSessionDocuments=named)
            for key in sorted(routing.DOCUMENT_RULES):
                with self.subTest(named=named, rule=key):
                    self.agree(patterns[key], untagged)
                    self.agree(without_canary(patterns[key]), tagged)
        self.assertTrue(any(routing.matches(
            routing.resolved_patterns(templates)[(routing.HUB, "RunAsUserCheckRule")], e)
            for _, e in cases), "some association write is routed")
        patterns = routing.resolved_patterns(templates)
        # runas-guard's tag on an association: its removal is routed through
        # moto by the whole rule; its overwrite by the rule without that
        # branch, and tag by tag (one object each) by the whole rule.
        tag_values = [(f"{name} valued {value!r}", valued(event, value))
                      for name, event in tagged if routing.tags_an_association(event)
                      for value in ("true", "false", "", "True")]
        one_tags = [variant for name, event in tagged + tag_values for variant in one_tag(name, event)]
        self.assertTrue(any(routing.matches(patterns[(routing.HUB, "RunAsUserCheckRule")], e)
                            for _, e in untagged if routing.tags_an_association(e)), "some removal is routed")
        self.assertTrue(any(routing.matches(patterns[(routing.HUB, "RunAsUserCheckRule")], e)
                            for _, e in one_tags), "some overwrite of the tag is routed")
        self.assertTrue(not all(routing.matches(patterns[(routing.HUB, "RunAsUserCheckRule")], e)
                                for _, e in one_tags), "runas-guard's own tag is not routed")
        for key in sorted(routing.USER_CHECK_RULES):
            with self.subTest(rule=key):
                self.agree(patterns[key], untagged + one_tags)
                self.agree(without_retag(patterns[key]), tagged + tag_values)
        self.assertTrue(any(routing.matches(patterns[(routing.HUB, "SessionDocumentChangedRule")], e)
                            for _, e in cases), "some session document write is routed")
        # The three copies are one pattern (test_routing.test_copies_of_a_pattern_are_identical).
        for named in ("", "SSMRunAs-Admin"):
            patterns = routing.resolved_patterns(templates, NamedSessionDocuments=named)
            with self.subTest(named=named, rule=routing.HUB_CUSTOM_BUS_SESSION_DOCUMENT_RULE):
                self.agree(patterns[routing.HUB_CUSTOM_BUS_SESSION_DOCUMENT_RULE], cases)

    def test_moto_routes_landed_stacks_and_baselines_as_the_matcher_does(self):
        templates = {routing.HUB: self.hub, routing.MEMBER: self.member}
        events = [(name, event) for name, _, event in cfn.load_events() + samples.inline_samples()
                  if event["source"] in ("aws.cloudformation", "aws.controltower")]
        cases = (events + [(name, event) for name, event, _ in member_stack.stack_instance_cases()]
                 + [(name, event) for name, event, _ in member_stack.baseline_cases()])
        for stack_set in ("runas-guard-member", "RunAsGuardMember"):
            patterns = routing.resolved_patterns(templates, MemberStackSetName=stack_set)
            self.assertTrue(any(routing.matches(patterns[(routing.HUB, "MemberStackInstanceRule")], e)
                                for _, e in cases) == (stack_set == "runas-guard-member"))
            for key in sorted(routing.STACK_INSTANCE_RULES):
                with self.subTest(stack_set=stack_set, rule=key):
                    self.agree(patterns[key], cases)
        patterns = routing.resolved_patterns(templates)
        self.assertTrue(any(routing.matches(patterns[(routing.HUB, "VendControlTowerRule")], e) for _, e in cases))
        for key in sorted(routing.CONTROL_TOWER_RULES):
            with self.subTest(rule=key):
                self.agree(patterns[key], cases)

    def test_moto_cannot_match_inside_arrays_of_objects(self):
        # The premise of leaving the canary branch (and the run-as override
        # rules) to test_routing's matcher. Should a moto release match here,
        # route those through moto too and drop this test.
        pattern = {"detail": {"requestParameters": {"tags": {"key": [routing.CANARY_TAG_KEY]}}}}
        event = {"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail",
                 "detail": {"requestParameters": {"tags": [{"key": routing.CANARY_TAG_KEY, "value": "x"}]}}}
        self.assertTrue(routing.matches(pattern, event))
        with mock_aws():
            events = boto3.client("events", region_name="eu-west-1")
            sqs = boto3.client("sqs", region_name="eu-west-1")
            queue = sqs.create_queue(QueueName="routed")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(
                QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name="rule", EventPattern=json.dumps(pattern))
            events.put_targets(Rule="rule", Targets=[{"Id": "q", "Arn": queue_arn}])
            events.put_events(Entries=[{"Source": event["source"], "DetailType": event["detail-type"],
                                        "Detail": json.dumps(event["detail"])}])
            self.assertEqual(sqs.receive_message(QueueUrl=queue).get("Messages", []), [])

    def agree(self, pattern, cases):
        with mock_aws():
            events = boto3.client("events", region_name="eu-west-1")
            sqs = boto3.client("sqs", region_name="eu-west-1")
            queue = sqs.create_queue(QueueName="routed")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(
                QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name="rule", EventPattern=json.dumps(pattern))
            events.put_targets(Rule="rule", Targets=[{"Id": "q", "Arn": queue_arn}])
            for name, event in cases:
                events.put_events(Entries=[{
                    "Source": event["source"], "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                }])
                got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
                for message in got:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                self.assertEqual(len(got) == 1, routing.matches(pattern, event), name)


if __name__ == "__main__":
    unittest.main()
