"""Route every sample event in events/ (and the samples in samples.py that
events/ does not hold yet) through the EventBridge rules of infra/hub.yaml and
infra/member.yaml.

The sample's file name says what it must trigger: the part before the first
dot is one of ``account_vended``, ``document_changed``, ``account_moved``,
``run_as_override``, ``session_document_changed``, ``member_stack_landed``,
``baseline_applied``, ``forwarding_canary``, ``sweep`` or ``ignored``.

The templates' patterns contain CloudFormation intrinsics (the document rules
list ``NamedSessionDocuments`` besides SSM-SessionManagerRunShell), so every
pattern is first resolved for a stack instance (cfn.Stack). The samples are
routed through stacks deployed with ``NamedSessionDocuments`` =
``SAMPLE_NAMED_DOCUMENTS``, so a sample of an edit to one of those documents
is a ``document_changed`` sample like any other; stacks with the default
(empty) list must route exactly the SSM-SessionManagerRunShell edits, as
before the parameter existed.

The matcher below is deliberately small. It implements EventBridge's matching
for exactly the pattern syntax these templates use, and nothing else:

* **objects** - ``{"detail": {"eventName": [...]}}``: every key must match; a
  nested object is matched against the event's object at that path (an event
  field that is absent, ``null`` or a scalar counts as an absent object).
* **arrays of objects** - when the event's value at a nested pattern's path is
  an array (CloudTrail's ``requestParameters.tags``: ``[{"key": ..., "value":
  ...}, ...]``), the nested pattern matches if it matches one element of the
  array. EventBridge (Event Ruler) flattens such arrays, so
  ``{"tags": {"key": ["X"]}}`` matches when any element's ``key`` is ``X``;
  Ruler also refuses a match whose fields come from different elements of one
  array, which "one element must match the whole nested pattern" reproduces.
  A ``value`` of ``X`` is a different field and does not match. ``exists``
  below such an array is not implemented (an empty array would need Ruler's
  flattening rules) and raises.
* **exact values** - a leaf is a non-empty JSON array of strings, numbers,
  booleans or null; it matches when the event's value equals one of them
  (type-strict: ``"true"`` is not ``true``). When the event value is an array,
  any element may match.
* **equals-ignore-case** - ``[{"equals-ignore-case": "X"}]`` matches a string
  value (or any string in an array value) equal to ``X`` ignoring case.
* **wildcard** - ``[{"wildcard": "arn:*:ssm:*"}]`` matches a string value (or
  any string in an array value) where each ``*`` stands for any run of
  characters, empty included, and every other character for itself. A
  backslash (EventBridge's escape) is not implemented and raises.
* **exists** - ``[{"exists": false}]`` matches when the leaf field is absent;
  ``[{"exists": true}]`` when it is present. Like EventBridge, this looks at
  leaf fields only: a field whose value is an object is not a leaf.
* **anything-but** (a list of strings) - ``[{"anything-but": ["A", "B"]}]``
  matches a present string value (or any string in an array value) equal to
  none of them, case-sensitively. ``[{"anything-but": {"wildcard": ["A",
  "arn:*"]}}]`` (Event Ruler's list form) matches one that matches none of
  the wildcards (read as ``wildcard`` above; one without ``*`` is exact). An
  absent field matches nothing (Event Ruler matches only fields an event
  has, ``exists: false`` aside), and so does a value that is not a string
  (these patterns list strings only). The
  other forms (a single value, numbers, ``prefix``, ``suffix``,
  ``equals-ignore-case``, a single ``wildcard`` string inside it) raise.
* **$or** - ``{"$or": [pattern, pattern, ...]}`` (at least two) at any object
  level: at least one alternative must match, besides the other keys.

Any other operator (``prefix``, ``suffix``, ``numeric``,
``cidr``, ``$and``...), a scalar where an array is expected, an
empty array or an unresolved CloudFormation intrinsic in a pattern raises
``UnsupportedPattern``. Every pattern is validated whole before it is
evaluated, so a template change that uses new syntax fails here loudly instead
of being tested by a matcher that does not understand it.
"""

import copy
import json
import re
import unittest

from . import cfn, samples
from . import test_member_policy as member_policy

_MISSING = object()
OPERATORS = ("exists", "equals-ignore-case", "wildcard", "anything-but")


class UnsupportedPattern(ValueError):
    """The pattern uses syntax this matcher does not implement."""


def validate(pattern, path="$"):
    """Raise UnsupportedPattern unless ``pattern`` uses only supported syntax."""
    if not isinstance(pattern, dict) or not pattern:
        raise UnsupportedPattern(f"{path}: a pattern must be a non-empty object, got {pattern!r}")
    for key, value in pattern.items():
        where = f"{path}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise UnsupportedPattern(f"{where}: $or needs a list of at least two patterns")
            for index, alternative in enumerate(value):
                validate(alternative, f"{where}[{index}]")
        elif key.startswith("$") or key.startswith("Fn::") or key == "Ref":
            raise UnsupportedPattern(f"{where}: unsupported key or unresolved intrinsic {key!r}")
        elif isinstance(value, dict):
            validate(value, where)
        elif isinstance(value, list):
            if not value:
                raise UnsupportedPattern(f"{where}: empty value list matches nothing")
            for index, item in enumerate(value):
                _validate_leaf_item(item, f"{where}[{index}]")
        else:
            raise UnsupportedPattern(f"{where}: leaf values must be arrays, got {value!r}")


def _validate_leaf_item(item, path):
    if item is None or isinstance(item, (str, bool, int, float)):
        return
    if isinstance(item, dict):
        if len(item) != 1:
            raise UnsupportedPattern(f"{path}: an operator object has exactly one key, got {item!r}")
        (operator, argument), = item.items()
        if operator not in OPERATORS:
            raise UnsupportedPattern(
                f"{path}: operator {operator!r} is not supported by this matcher "
                f"(supported: exact values, nested objects, exists, equals-ignore-case, wildcard, "
                f"anything-but, $or)"
            )
        if operator == "exists" and not isinstance(argument, bool):
            raise UnsupportedPattern(f"{path}: exists takes true or false, got {argument!r}")
        if operator == "equals-ignore-case" and not isinstance(argument, str):
            raise UnsupportedPattern(f"{path}: equals-ignore-case takes a string, got {argument!r}")
        if operator == "wildcard" and (not isinstance(argument, str) or "\\" in argument or "**" in argument):
            raise UnsupportedPattern(f"{path}: wildcard takes a string without escapes or '**', got {argument!r}")
        if operator == "anything-but":
            _validate_anything_but(argument, path)
        return
    raise UnsupportedPattern(f"{path}: unsupported value {item!r}")


def _validate_anything_but(argument, path):
    # A list of strings, or Event Ruler's {"wildcard": [...]} (a non-empty
    # list of wildcards, each as strict as a positive wildcard).
    if isinstance(argument, dict) and list(argument) == ["wildcard"]:
        wildcards = argument["wildcard"]
        if (not isinstance(wildcards, list) or not wildcards
                or not all(isinstance(w, str) and w and "\\" not in w and "**" not in w for w in wildcards)):
            raise UnsupportedPattern(f"{path}: anything-but wildcard takes a non-empty list of wildcards "
                                     f"without escapes or '**', got {wildcards!r}")
        return
    if not isinstance(argument, list) or not argument or not all(isinstance(a, str) for a in argument):
        raise UnsupportedPattern(f"{path}: anything-but takes a non-empty list of strings or "
                                 f"{{\"wildcard\": [...]}} here, got {argument!r}")


def _wildcard(pattern):
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _excluded(anything_but, value):
    if isinstance(anything_but, dict):
        return any(_wildcard(w).fullmatch(value) for w in anything_but["wildcard"])
    return value in anything_but


def matches(pattern, event):
    """True when ``event`` matches the EventBridge ``pattern``."""
    validate(pattern)
    return _match_object(pattern, event)


def _match_object(pattern, obj):
    for key, value in pattern.items():
        if key == "$or":
            if not any(_match_object(alternative, obj) for alternative in value):
                return False
            continue
        field = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
        if isinstance(value, dict):
            if isinstance(field, list):
                if _uses_exists(value):
                    raise UnsupportedPattern(f"{key}: exists below an array of objects is not implemented")
                if not any(_match_object(value, item) for item in field if isinstance(item, dict)):
                    return False
            elif not _match_object(value, field if isinstance(field, dict) else _MISSING):
                return False
        elif not _match_leaf(value, field):
            return False
    return True


def _uses_exists(pattern):
    for key, value in pattern.items():
        alternatives = value if key == "$or" else [value]
        for item in alternatives:
            if isinstance(item, dict) and _uses_exists(item):
                return True
            if isinstance(item, list) and any(isinstance(v, dict) and "exists" in v for v in item):
                return True
    return False


def _same(expected, actual):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, str) or isinstance(actual, str):
        return isinstance(expected, str) and isinstance(actual, str) and expected == actual
    return expected == actual


def _match_leaf(values, field):
    present = field is not _MISSING and not isinstance(field, dict)
    candidates = field if isinstance(field, list) else [field]
    for item in values:
        if isinstance(item, dict) and "exists" in item:
            if item["exists"] == present:
                return True
        elif isinstance(item, dict) and "anything-but" in item:
            if present and any(isinstance(c, str) and not _excluded(item["anything-but"], c) for c in candidates):
                return True
        elif isinstance(item, dict) and "wildcard" in item:
            regex = _wildcard(item["wildcard"])
            if present and any(isinstance(c, str) and regex.fullmatch(c) for c in candidates):
                return True
        elif isinstance(item, dict):
            wanted = item["equals-ignore-case"].casefold()
            if present and any(isinstance(c, str) and c.casefold() == wanted for c in candidates):
                return True
        elif present and any(_same(item, candidate) for candidate in candidates):
            return True
    return False


# ---------------------------------------------------------------------------
# Which rule is for which trigger. Every AWS::Events::Rule of both templates
# must be listed here (test_every_rule_is_classified), so a new rule cannot
# slip past the routing tests.
# ---------------------------------------------------------------------------
HUB, MEMBER = "hub.yaml", "member.yaml"
RULE_TRIGGERS = {
    (HUB, "VendOrganizationsRule"): "account_vended",
    (HUB, "VendOrganizationsForwardedRule"): "account_vended",
    (HUB, "VendControlTowerRule"): "account_vended",
    (HUB, "VendControlTowerForwardedRule"): "account_vended",
    (HUB, "MoveAccountRule"): "account_moved",
    (HUB, "MoveAccountForwardedRule"): "account_moved",
    (HUB, "DocumentChangedRule"): "document_changed",
    (HUB, "DocumentChangedLocalRule"): "document_changed",
    (HUB, "AccountJoinedRule"): "account_vended",
    (HUB, "AccountJoinedForwardedRule"): "account_vended",
    (HUB, "RunAsOverrideRule"): "run_as_override",
    (HUB, "RunAsOverrideLocalRule"): "run_as_override",
    # The run-as user check's association writes: the function classifies
    # them as a change of the check (document_changed).
    (HUB, "RunAsUserCheckRule"): "document_changed",
    (HUB, "RunAsUserCheckLocalRule"): "document_changed",
    # Writes of every other Session document: can it skip Run As?
    (HUB, "SessionDocumentChangedRule"): "session_document_changed",
    (HUB, "SessionDocumentChangedLocalRule"): "session_document_changed",
    (HUB, "SweepScheduleRule"): "sweep",
    # A stack instance of the member StackSet created or updated: the new
    # account's member stack landed (on the default bus of the StackSet's
    # administrator, forwarded to the custom bus from anywhere else).
    (HUB, "MemberStackInstanceRule"): "member_stack_landed",
    (HUB, "MemberStackInstanceForwardedRule"): "member_stack_landed",
    (MEMBER, "MemberStackInstanceForwardRule"): "member_stack_landed",
    (MEMBER, "DocumentChangedForwardRule"): "document_changed",
    (MEMBER, "RunAsOverrideForwardRule"): "run_as_override",
    (MEMBER, "RunAsUserCheckForwardRule"): "document_changed",
    (MEMBER, "SessionDocumentChangedForwardRule"): "session_document_changed",
    (MEMBER, "VendOrganizationsForwardRule"): "account_vended",
    (MEMBER, "VendControlTowerForwardRule"): "account_vended",
    (MEMBER, "AccountJoinedForwardRule"): "account_vended",
    (MEMBER, "MoveAccountForwardRule"): "account_moved",
}
# Rules that route a second trigger besides RULE_TRIGGERS': the Control Tower
# rules carry the account lifecycle events and the baseline events (an
# account or an OU enrolled: LZA 1.15+ enrolls with ResetEnabledBaseline).
# The document rules carry the forwarding canary too (the policy's
# [forwarding_canary]): its tag on SSM-SessionManagerRunShell travels the way
# an edit of the document does, so its arrival proves that way works.
ALSO_ROUTES = {
    (HUB, "VendControlTowerRule"): {"baseline_applied"},
    (HUB, "VendControlTowerForwardedRule"): {"baseline_applied"},
    (MEMBER, "VendControlTowerForwardRule"): {"baseline_applied"},
    (HUB, "DocumentChangedRule"): {"forwarding_canary"},
    (HUB, "DocumentChangedLocalRule"): {"forwarding_canary"},
    (MEMBER, "DocumentChangedForwardRule"): {"forwarding_canary"},
}
TRIGGERS = ("account_vended", "document_changed", "account_moved", "run_as_override", "session_document_changed",
            "member_stack_landed", "baseline_applied", "forwarding_canary", "sweep", "ignored")
HUB_CUSTOM_BUS_DOCUMENT_RULE = (HUB, "DocumentChangedRule")
DOCUMENT_RULES = {(HUB, "DocumentChangedRule"), (HUB, "DocumentChangedLocalRule"), (MEMBER, "DocumentChangedForwardRule")}
PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
# Edits that name the document by ARN: every stack routes them, the function
# keeps the governed names of the account and region the ARN names.
DOCUMENT_ARN_WILDCARD = "arn:*:ssm:*:*:document/*"
# The forwarding canary's tag (src/domain/canary.rs TAG_KEY) and the document rules'
# third requestParameters branch, which routes it: an AddTagsToResource of
# that key on SSM-SessionManagerRunShell (src/adapters/aws/canary_tag.rs), whatever
# NamedSessionDocuments says.
CANARY_TAG_KEY = "runas-guard:canary"
CANARY_BRANCH = {"resourceType": ["Document"], "resourceId": [PREFERENCES_DOCUMENT],
                 "tags": {"key": [CANARY_TAG_KEY]}}
HUB_DEFAULT_BUS_DOCUMENT_RULE = (HUB, "DocumentChangedLocalRule")
# NamedSessionDocuments of the stacks the samples are routed through.
SAMPLE_NAMED_DOCUMENTS = "SSMRunAs-Admin,SSMRunAs-ReadOnly"
MEMBER_DOCUMENT_FORWARD_RULE = (MEMBER, "DocumentChangedForwardRule")
HUB_MOVE_RULES = {(HUB, "MoveAccountRule"), (HUB, "MoveAccountForwardedRule")}
HUB_JOINED_RULES = {(HUB, "AccountJoinedRule"), (HUB, "AccountJoinedForwardedRule")}
MEMBER_JOINED_FORWARD_RULE = (MEMBER, "AccountJoinedForwardRule")
HUB_CUSTOM_BUS_RUN_AS_RULE = (HUB, "RunAsOverrideRule")
HUB_DEFAULT_BUS_RUN_AS_RULE = (HUB, "RunAsOverrideLocalRule")
MEMBER_RUN_AS_FORWARD_RULE = (MEMBER, "RunAsOverrideForwardRule")
USER_CHECK_RULES = {(HUB, "RunAsUserCheckRule"), (HUB, "RunAsUserCheckLocalRule"),
                    (MEMBER, "RunAsUserCheckForwardRule")}
CHECK_DOCUMENT = "RunAsGuard-CheckRunAsUser"
ASSOCIATION_WRITES = ("CreateAssociation", "UpdateAssociation", "DeleteAssociation")
# runas-guard's tag on the check's association (src/domain/nodes/managed_tag.rs):
# taken off, or written with another value, it is routed by the association
# rules; runas-guard's own tag (the value "true") is not.
MANAGED_TAG_KEY = samples.MANAGED_TAG_KEY
MANAGED_TAG_VALUE = samples.MANAGED_TAG_VALUE
TAG_CALLS = ("RemoveTagsFromResource", "AddTagsToResource")
UNTAG_BRANCH = {"eventName": ["RemoveTagsFromResource"],
                "requestParameters": {"resourceType": ["Association"], "tagKeys": [MANAGED_TAG_KEY]}}
RETAG_BRANCH = {"eventName": ["AddTagsToResource"],
                "requestParameters": {"resourceType": ["Association"],
                                      "tags": {"key": [MANAGED_TAG_KEY],
                                               "value": [{"anything-but": [MANAGED_TAG_VALUE]}]}}}
SESSION_DOCUMENT_RULES = {(HUB, "SessionDocumentChangedRule"), (HUB, "SessionDocumentChangedLocalRule"),
                          (MEMBER, "SessionDocumentChangedForwardRule")}
HUB_CUSTOM_BUS_SESSION_DOCUMENT_RULE = (HUB, "SessionDocumentChangedRule")
HUB_DEFAULT_BUS_SESSION_DOCUMENT_RULE = (HUB, "SessionDocumentChangedLocalRule")
STACK_INSTANCE_RULES = {(HUB, "MemberStackInstanceRule"), (HUB, "MemberStackInstanceForwardedRule"),
                        (MEMBER, "MemberStackInstanceForwardRule")}
CONTROL_TOWER_RULES = {(HUB, "VendControlTowerRule"), (HUB, "VendControlTowerForwardedRule"),
                       (MEMBER, "VendControlTowerForwardRule")}


def routes(key):
    """Every trigger the rule ``key`` routes."""
    return {RULE_TRIGGERS[key]} | ALSO_ROUTES.get(key, set())


def is_association_write(event):
    return event.get("source") == "aws.ssm" and event["detail"].get("eventName") in ASSOCIATION_WRITES


def tags_an_association(event):
    """A tag call (RemoveTagsFromResource, AddTagsToResource) on a State Manager association."""
    detail = event.get("detail") or {}
    return (event.get("source") == "aws.ssm" and detail.get("eventName") in TAG_CALLS
            and (detail.get("requestParameters") or {}).get("resourceType") == "Association")


def writes_a_session_document(event):
    """The shapes the session document rules route, whatever the name: a successful CreateDocument of a
    Session document (its type in the request), UpdateDocument of one (in the answer), any
    UpdateDocumentDefaultVersion (its answer has no type)."""
    detail = event.get("detail") or {}
    if event.get("source") != "aws.ssm" or "errorCode" in detail:
        return False
    request = detail.get("requestParameters") or {}
    answer = ((detail.get("responseElements") or {}).get("documentDescription") or {})
    return {"CreateDocument": request.get("documentType") == "Session",
            "UpdateDocument": answer.get("documentType") == "Session",
            "UpdateDocumentDefaultVersion": True}.get(detail.get("eventName"), False)


class MatcherTests(unittest.TestCase):
    """The matcher itself, on hand-made patterns and events."""

    EVENT = {
        "source": "aws.ssm",
        "detail-type": "AWS API Call via CloudTrail",
        "resources": ["arn:aws:ssm:us-east-1:111122223333:document/A", "arn:b"],
        "detail": {
            "eventName": "UpdateDocument",
            "readOnly": False,
            "requestParameters": {"name": "SSM-SessionManagerRunShell", "documentVersion": "$LATEST"},
            "responseElements": None,
            "count": 3,
        },
    }

    def test_exact_values(self):
        self.assertTrue(matches({"source": ["aws.ssm"]}, self.EVENT))
        self.assertTrue(matches({"source": ["aws.ec2", "aws.ssm"]}, self.EVENT))
        self.assertFalse(matches({"source": ["aws.ec2"]}, self.EVENT))
        self.assertFalse(matches({"source": ["AWS.SSM"]}, self.EVENT))
        self.assertTrue(matches({"detail": {"count": [3]}}, self.EVENT))

    def test_all_keys_must_match(self):
        self.assertFalse(matches({"source": ["aws.ssm"], "detail-type": ["Scheduled Event"]}, self.EVENT))

    def test_values_are_type_strict(self):
        self.assertTrue(matches({"detail": {"readOnly": [False]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"readOnly": ["false"]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"readOnly": [0]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"count": ["3"]}}, self.EVENT))
        self.assertTrue(matches({"detail": {"responseElements": [None]}}, self.EVENT))

    def test_event_arrays_match_any_element(self):
        self.assertTrue(matches({"resources": ["arn:b"]}, self.EVENT))
        self.assertFalse(matches({"resources": ["arn:c"]}, self.EVENT))

    def test_nested_objects(self):
        pattern = {"detail": {"requestParameters": {"name": ["SSM-SessionManagerRunShell"]}}}
        self.assertTrue(matches(pattern, self.EVENT))
        other = {"detail": {"requestParameters": {"name": ["AWS-RunShellScript"]}}}
        self.assertFalse(matches(other, self.EVENT))
        # A missing or null parent never matches a value below it.
        self.assertFalse(matches({"detail": {"responseElements": {"x": ["y"]}}}, self.EVENT))
        self.assertFalse(matches({"detail": {"nothing": {"x": ["y"]}}}, self.EVENT))

    def test_exists(self):
        self.assertTrue(matches({"detail": {"errorCode": [{"exists": False}]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"errorCode": [{"exists": True}]}}, self.EVENT))
        self.assertTrue(matches({"detail": {"eventName": [{"exists": True}]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"eventName": [{"exists": False}]}}, self.EVENT))
        # null is a present leaf; an object is not a leaf.
        self.assertTrue(matches({"detail": {"responseElements": [{"exists": True}]}}, self.EVENT))
        self.assertTrue(matches({"detail": {"requestParameters": [{"exists": False}]}}, self.EVENT))
        # Below an absent parent, every leaf is absent.
        self.assertTrue(matches({"detail": {"nothing": {"errorCode": [{"exists": False}]}}}, self.EVENT))
        failed = {"detail": {"errorCode": "AccessDenied"}}
        self.assertFalse(matches({"detail": {"errorCode": [{"exists": False}]}}, failed))

    def test_or(self):
        pattern = {
            "source": ["aws.ssm"],
            "detail": {
                "$or": [
                    {"eventName": ["CreateDocument"]},
                    {"requestParameters": {"documentVersion": ["$LATEST"]}},
                ]
            },
        }
        self.assertTrue(matches(pattern, self.EVENT))
        pattern["detail"]["$or"][1]["requestParameters"]["documentVersion"] = ["1"]
        self.assertFalse(matches(pattern, self.EVENT))
        top_level = {"$or": [{"source": ["aws.ec2"]}, {"detail-type": ["AWS API Call via CloudTrail"]}]}
        self.assertTrue(matches(top_level, self.EVENT))

    def test_equals_ignore_case(self):
        self.assertTrue(matches({"source": [{"equals-ignore-case": "AWS.SSM"}]}, self.EVENT))
        self.assertTrue(matches({"source": ["aws.ec2", {"equals-ignore-case": "aws.ssm"}]}, self.EVENT))
        self.assertFalse(matches({"source": [{"equals-ignore-case": "aws.ssm2"}]}, self.EVENT))
        # Strings only; any element of an array value.
        self.assertFalse(matches({"detail": {"count": [{"equals-ignore-case": "3"}]}}, self.EVENT))
        self.assertTrue(matches({"resources": [{"equals-ignore-case": "ARN:B"}]}, self.EVENT))
        # An absent field matches nothing.
        self.assertFalse(matches({"detail": {"nothing": [{"equals-ignore-case": "x"}]}}, self.EVENT))

    TAGGED = {
        "detail": {
            "requestParameters": {
                "tags": [{"key": "Team", "value": "SSMSessionRunAs"}, {"key": "ssmSessionRunAs", "value": "root"}],
                "tagKeys": ["A", "B"],
            }
        }
    }

    def test_arrays_of_objects_match_one_element(self):
        def tags(**fields):
            return {"detail": {"requestParameters": {"tags": fields}}}

        self.assertTrue(matches(tags(key=["Team"]), self.TAGGED))
        self.assertTrue(matches(tags(key=[{"equals-ignore-case": "SSMSessionRunAs"}]), self.TAGGED))
        self.assertFalse(matches(tags(key=["SSMSessionRunAs"]), self.TAGGED))  # case-sensitive
        # A key is not a value, and a value is not a key.
        self.assertFalse(matches(tags(key=["root"]), self.TAGGED))
        self.assertTrue(matches(tags(value=["SSMSessionRunAs"]), self.TAGGED))
        # Both fields must come from the same element (Ruler's array consistency).
        self.assertTrue(matches(tags(key=["Team"], value=["SSMSessionRunAs"]), self.TAGGED))
        self.assertFalse(matches(tags(key=["Team"], value=["root"]), self.TAGGED))
        # Arrays of strings still match any element; an empty array matches nothing.
        self.assertTrue(matches({"detail": {"requestParameters": {"tagKeys": ["B"]}}}, self.TAGGED))
        empty = {"detail": {"requestParameters": {"tags": []}}}
        self.assertFalse(matches(tags(key=["Team"]), empty))
        with self.assertRaises(UnsupportedPattern):
            matches(tags(key=[{"exists": True}]), self.TAGGED)
        with self.assertRaises(UnsupportedPattern):
            matches(tags(**{"$or": [{"key": ["Team"]}, {"value": [{"exists": False}]}]}), self.TAGGED)

    def test_wildcard(self):
        def name(pattern):
            return {"detail": {"requestParameters": {"name": [{"wildcard": pattern}]}}}
        self.assertTrue(matches(name("SSM-*"), self.EVENT))
        self.assertTrue(matches(name("*RunShell"), self.EVENT))
        self.assertTrue(matches(name("SSM-Session*Run*"), self.EVENT))
        self.assertTrue(matches(name("SSM-SessionManagerRunShell*"), self.EVENT), "a star matches nothing too")
        self.assertFalse(matches(name("SSM-SessionManagerRunShell"[:-1]), self.EVENT), "no star: the whole value")
        self.assertFalse(matches(name("ssm-*"), self.EVENT), "case-sensitive")
        self.assertFalse(matches(name("SSM.*"), self.EVENT), "a dot is a dot")
        self.assertTrue(matches({"resources": [{"wildcard": "arn:*:ssm:*:*:document/*"}]}, self.EVENT))
        self.assertFalse(matches({"detail": {"count": [{"wildcard": "*"}]}}, self.EVENT), "strings only")

    def test_anything_but(self):
        def name(*names):
            return {"detail": {"requestParameters": {"name": [{"anything-but": list(names)}]}}}
        self.assertFalse(matches(name("SSM-SessionManagerRunShell"), self.EVENT))
        self.assertFalse(matches(name("A", "SSM-SessionManagerRunShell"), self.EVENT))
        self.assertTrue(matches(name("A", "B"), self.EVENT))
        self.assertTrue(matches(name("ssm-sessionmanagerrunshell"), self.EVENT), "case-sensitive")
        self.assertTrue(matches(name("SSM-SessionManagerRunShel"), self.EVENT), "whole values only")
        # An absent field, a null or a number matches nothing.
        self.assertFalse(matches({"detail": {"nothing": [{"anything-but": ["x"]}]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"responseElements": [{"anything-but": ["x"]}]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"count": [{"anything-but": ["x"]}]}}, self.EVENT))
        # An array value: any element that is none of them.
        self.assertTrue(matches({"resources": [{"anything-but": ["arn:b"]}]}, self.EVENT))
        self.assertFalse(matches({"resources": [{"anything-but": ["arn:b", self.EVENT["resources"][0]]}]},
                                 self.EVENT))
        # Beside other keys, and inside $or, like every other leaf.
        pattern = {"detail": {"requestParameters": {"name": [{"anything-but": ["X"]}]},
                              "$or": [{"eventName": ["CreateDocument"]},
                                      {"requestParameters": {"documentVersion": ["$LATEST"]}}]}}
        self.assertTrue(matches(pattern, self.EVENT))
        pattern["detail"]["requestParameters"]["name"] = [{"anything-but": ["SSM-SessionManagerRunShell"]}]
        self.assertFalse(matches(pattern, self.EVENT))

    def test_anything_but_wildcards(self):
        def name(*wildcards):
            return {"detail": {"requestParameters": {"name": [{"anything-but": {"wildcard": list(wildcards)}}]}}}
        # One without "*" is an exact name; "arn:*" every ARN.
        self.assertFalse(matches(name("SSM-SessionManagerRunShell", "arn:*"), self.EVENT))
        self.assertTrue(matches(name("SSM-SessionManagerRunShel", "arn:*"), self.EVENT), "whole values only")
        self.assertTrue(matches(name("ssm-sessionmanagerrunshell"), self.EVENT), "case-sensitive")
        self.assertFalse(matches(name("A", "SSM-*"), self.EVENT))
        self.assertFalse(matches(name("*Shell"), self.EVENT))
        self.assertTrue(matches(name("*shell"), self.EVENT))
        by_arn = copy.deepcopy(self.EVENT)
        by_arn["detail"]["requestParameters"]["name"] = "arn:aws:ssm:eu-west-1:111122223333:document/X"
        self.assertFalse(matches(name("SSM-SessionManagerRunShell", "arn:*"), by_arn))
        self.assertTrue(matches(name("SSM-SessionManagerRunShell"), by_arn))
        # An absent field or a number matches nothing, as with the list form.
        self.assertFalse(matches({"detail": {"nothing": [{"anything-but": {"wildcard": ["x"]}}]}}, self.EVENT))
        self.assertFalse(matches({"detail": {"count": [{"anything-but": {"wildcard": ["x"]}}]}}, self.EVENT))

    def test_unsupported_operators_raise(self):
        for operator in (
            {"prefix": "aws."},
            {"suffix": ".ssm"},
            {"anything-but": "aws.ec2"},
            {"anything-but": []},
            {"anything-but": [1, 2]},
            {"anything-but": {"prefix": "aws."}},
            {"anything-but": {"wildcard": "aws.*"}},
            {"anything-but": {"wildcard": []}},
            {"anything-but": {"wildcard": ["aws**"]}},
            {"anything-but": {"wildcard": ["aws\\.*"]}},
            {"anything-but": {"wildcard": [""]}},
            {"anything-but": {"wildcard": ["a"], "prefix": "b"}},
            {"numeric": [">", 0]},
            {"cidr": "10.0.0.0/8"},
            {"wildcard": "aws\\.*"},
            {"wildcard": "aws**"},
            {"wildcard": ["aws.*"]},
            {"equals-ignore-case": ["AWS.SSM"]},
            {"equals-ignore-case": None},
            {"exists": "false"},
            {"exists": False, "prefix": "x"},
        ):
            with self.subTest(operator=operator), self.assertRaises(UnsupportedPattern):
                matches({"source": [operator]}, self.EVENT)

    def test_unsupported_operator_raises_even_where_never_reached(self):
        pattern = {"source": ["aws.ec2"], "detail": {"eventName": [{"prefix": "Update"}]}}
        with self.assertRaises(UnsupportedPattern):
            matches(pattern, self.EVENT)
        pattern = {"source": ["aws.ssm", {"prefix": "aws."}]}
        with self.assertRaises(UnsupportedPattern):
            matches(pattern, self.EVENT)

    def test_malformed_patterns_raise(self):
        for pattern in (
            {"source": "aws.ssm"},
            {"source": []},
            {"source": [["aws.ssm"]]},
            {},
            {"$or": [{"source": ["aws.ssm"]}]},
            {"$and": [{"source": ["aws.ssm"]}, {"source": ["aws.ec2"]}]},
            {"source": {"Ref": "SomeParameter"}},
            {"detail": {"Fn::Sub": "x"}},
        ):
            with self.subTest(pattern=pattern), self.assertRaises(UnsupportedPattern):
                matches(pattern, self.EVENT)


def all_rules(templates):
    """Every AWS::Events::Rule of ``templates`` ({file name: parsed template}), by (file name, logical id)."""
    return {(name, logical_id): resource["Properties"]
            for name, template in templates.items()
            for logical_id, resource in cfn.resources_of_type(template, "AWS::Events::Rule").items()}


def resolved_patterns(templates, **parameters):
    """Every rule's EventPattern as a stack instance with ``parameters`` deploys it.

    The account and region play no part in any pattern; the hub and member
    stacks get the same parameters (those they have in common).
    """
    patterns = {}
    for name, template in templates.items():
        known = {k: v for k, v in parameters.items() if k in template.get("Parameters", {})}
        stack = cfn.Stack(template, known, "111122223333", "eu-west-1")
        for logical_id, resource in cfn.resources_of_type(template, "AWS::Events::Rule").items():
            if "EventPattern" in resource["Properties"]:
                patterns[(name, logical_id)] = stack.resolve(resource["Properties"]["EventPattern"])
    return patterns


def matching(patterns, event):
    return {key for key, pattern in patterns.items() if matches(pattern, event)}


class RoutingTests(cfn.TemplateTestCase):
    """The templates' rules against the sample events in events/."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        templates = {HUB: cls.hub, MEMBER: cls.member}
        cls.rules = all_rules(templates)
        cls.pattern_rules = resolved_patterns(templates, NamedSessionDocuments=SAMPLE_NAMED_DOCUMENTS)
        cls.default_pattern_rules = resolved_patterns(templates)
        cls.files = cfn.load_events()
        cls.samples = cls.files + samples.inline_samples()

    def matching_rules(self, event):
        return matching(self.pattern_rules, event)

    def samples_of(self, trigger):
        found = [(name, event) for name, kind, event in self.samples if kind == trigger]
        self.assertTrue(found, f"no events/{trigger}.*.json sample (nor one in samples.py)")
        return found

    def test_every_rule_is_classified(self):
        self.assertEqual(set(self.rules), set(RULE_TRIGGERS))
        self.assertLessEqual(set(ALSO_ROUTES), set(RULE_TRIGGERS))
        self.assertLessEqual({t for key in RULE_TRIGGERS for t in routes(key)}, set(TRIGGERS) - {"ignored"})

    def test_every_pattern_uses_only_supported_syntax(self):
        for patterns in (self.pattern_rules, self.default_pattern_rules):
            for key, pattern in patterns.items():
                with self.subTest(rule=key):
                    validate(pattern)

    def test_samples_are_named_by_trigger(self):
        self.assertTrue(self.files, "events/*.json is empty")
        for name, trigger, _ in self.samples:
            with self.subTest(sample=name):
                self.assertIn(trigger, TRIGGERS)
        for trigger in TRIGGERS:
            self.samples_of(trigger)

    def test_account_vended_samples_match_a_vend_rule_only(self):
        for name, event in self.samples_of("account_vended"):
            with self.subTest(sample=name):
                matched = self.matching_rules(event)
                self.assertTrue(
                    {key for key in matched if key[0] == HUB},
                    f"{name} matches no hub vend rule",
                )
                self.assertEqual({RULE_TRIGGERS[key] for key in matched}, {"account_vended"}, matched)

    def test_document_changed_samples_reach_the_hub_bus(self):
        preferences = 0
        for name, event in self.samples_of("document_changed"):
            if is_association_write(event):
                continue  # test_association_writes_of_the_check_reach_the_hub
            if tags_an_association(event):
                continue  # test_the_association_tag_removed_or_overwritten_reaches_the_hub
            with self.subTest(sample=name):
                matched = self.matching_rules(event)
                self.assertIn(HUB_CUSTOM_BUS_DOCUMENT_RULE, matched)
                self.assertIn(MEMBER_DOCUMENT_FORWARD_RULE, matched)
                named = event["detail"]["requestParameters"]["name"]
                # A governed name is no other Session document, and an ARN is
                # the document rules' whatever it names: the session document
                # rules leave both to the document rules (one rule per bus).
                self.assertEqual({RULE_TRIGGERS[key] for key in matched}, {"document_changed"}, matched)
                # Stacks with the default (empty) NamedSessionDocuments route
                # the preferences document's edits only.
                default = matching(self.default_pattern_rules, event)
                if named == PREFERENCES_DOCUMENT or named.startswith("arn:"):
                    # An ARN is routed by every stack; the function decides.
                    preferences += 1
                    self.assertEqual(default, matched)
                else:
                    # Not governed there: any other Session document.
                    self.assertEqual(default, SESSION_DOCUMENT_RULES if writes_a_session_document(event) else set())
        self.assertTrue(preferences, "no document_changed sample edits SSM-SessionManagerRunShell")

    def test_forwarding_canary_samples_reach_the_hub_through_the_document_rules_only(self):
        # The canary travels as an edit of SSM-SessionManagerRunShell does:
        # forwarded by the member stack's document rule to the custom bus
        # (DocumentChangedRule), or, in the hub account's hub region (no
        # forwarder there), seen on the hub's default bus
        # (DocumentChangedLocalRule). No other rule, whatever
        # NamedSessionDocuments says.
        self.assertEqual(CANARY_TAG_KEY, member_policy.rust_str_constant("crate::domain::canary::TAG_KEY"))
        self.assertEqual(PREFERENCES_DOCUMENT, member_policy.rust_str_constant("crate::domain::trigger::DOCUMENT_NAME"))
        for name, event in self.samples_of("forwarding_canary"):
            with self.subTest(sample=name):
                detail = event["detail"]
                self.assertEqual((event["source"], detail["eventName"]), ("aws.ssm", "AddTagsToResource"))
                request = detail["requestParameters"]
                self.assertEqual((request["resourceType"], request["resourceId"]), ("Document", PREFERENCES_DOCUMENT))
                self.assertIn(CANARY_TAG_KEY, [tag["key"] for tag in request["tags"]])
                self.assertNotIn("errorCode", detail)
                for patterns in (self.pattern_rules, self.default_pattern_rules):
                    matched = matching(patterns, event)
                    self.assertEqual(matched, DOCUMENT_RULES)
                    for key in matched:
                        self.assertIn("forwarding_canary", routes(key))
                    by_bus = {}
                    for key in matched:
                        if key[0] == HUB:
                            by_bus.setdefault(json.dumps(self.rules[key]["EventBusName"]), set()).add(key)
                    self.assertEqual(by_bus, {json.dumps({"Ref": "EventBus"}): {HUB_CUSTOM_BUS_DOCUMENT_RULE},
                                              json.dumps("default"): {HUB_DEFAULT_BUS_DOCUMENT_RULE}})
        # The member forwarder is everywhere but the hub account's hub
        # region, where the default-bus rule takes over.
        forward = cfn.resources_of_type(self.member, "AWS::Events::Rule")["DocumentChangedForwardRule"]
        self.assertEqual(forward["Condition"], "ForwardEvents")
        for region, account, expected in (("eu-west-1", "111122223333", True), ("us-east-1", "111122223333", True),
                                          ("us-east-1", "999999999999", False),
                                          ("eu-west-1", "999999999999", True)):
            with self.subTest(region=region, account=account):
                parameters = {"HubAccountId": "999999999999", "HubRegion": "us-east-1"}
                conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
                self.assertEqual("DocumentChangedForwardRule" in cfn.created_resources(self.member, conditions),
                                 expected)

    def test_only_the_canary_tag_on_the_preferences_document_is_routed(self):
        (name, canary), = self.samples_of("forwarding_canary")

        def variant(**changes):
            event = copy.deepcopy(canary)
            detail = event["detail"]
            for key, value in changes.items():
                if key in ("source", "detail-type"):
                    event[key] = value
                elif key in ("eventName", "errorCode", "errorMessage"):
                    detail[key] = value
                elif value is None:
                    del detail["requestParameters"][key]
                else:
                    detail["requestParameters"][key] = value
            return event

        def tags(*keys):
            return [{"key": key, "value": "01jf3k9v2m8q7r5t4w6y0z1a2b"} for key in keys]

        not_routed = {
            # Another tag key, or the key in another case or form, or the
            # canary's key as a value.
            "key CostCenter": variant(tags=tags("CostCenter")),
            "key Runas-Guard:Canary": variant(tags=tags("Runas-Guard:Canary")),
            "key runas-guard:canary2": variant(tags=tags("runas-guard:canary2")),
            "key runas-guard:": variant(tags=tags("runas-guard:")),
            "key as a value": variant(tags=[{"key": "CostCenter", "value": CANARY_TAG_KEY}]),
            "no tags": variant(tags=[]),
            "tags absent": variant(tags=None),
            # Another resource type of the same name.
            "Parameter": variant(resourceType="Parameter"),
            "ManagedInstance": variant(resourceType="ManagedInstance"),
            "document": variant(resourceType="document"),
            "no resource type": variant(resourceType=None),
            # Another document, a governed one included, or the document by ARN.
            "SSMRunAs-Admin": variant(resourceId="SSMRunAs-Admin"),
            "RunAsGuard-CheckRunAsUser": variant(resourceId=CHECK_DOCUMENT),
            "SSM-SessionManagerRunShellX": variant(resourceId="SSM-SessionManagerRunShellX"),
            "ssm-sessionmanagerrunshell": variant(resourceId="ssm-sessionmanagerrunshell"),
            "document ARN": variant(resourceId=f"arn:aws:ssm:eu-west-1:111122223333:document/{PREFERENCES_DOCUMENT}"),
            # A failed call tagged nothing.
            "AccessDeniedException": variant(errorCode="AccessDeniedException", errorMessage="x"),
            "InvalidResourceId": variant(errorCode="InvalidResourceId", errorMessage="x"),
            # Other calls: removing or listing the tag, another service.
            "RemoveTagsFromResource": variant(eventName="RemoveTagsFromResource", tagKeys=[CANARY_TAG_KEY]),
            "RemoveTagsFromResource with tags": variant(eventName="RemoveTagsFromResource"),
            "ListTagsForResource": variant(eventName="ListTagsForResource"),
            "AddTagsToResources": variant(eventName="AddTagsToResources"),
            "aws.ssm-incidents": variant(source="aws.ssm-incidents"),
            "aws.tag": variant(source="aws.tag"),
            "AWS Service Event via CloudTrail": variant(**{"detail-type": "AWS Service Event via CloudTrail"}),
        }
        for what, event in not_routed.items():
            with self.subTest(sample=name, variant=what):
                self.assertEqual(self.matching_rules(event), set())
                self.assertEqual(matching(self.default_pattern_rules, event), set())
        # The other-key sample of events/ is such a call.
        (other_name, other), = [(n, e) for n, e in self.samples_of("ignored")
                                if e["detail"].get("eventName") == "AddTagsToResource"
                                and e["detail"]["requestParameters"]["resourceId"] == PREFERENCES_DOCUMENT]
        self.assertNotIn(CANARY_TAG_KEY, [t["key"] for t in other["detail"]["requestParameters"]["tags"]], other_name)
        self.assertEqual(self.matching_rules(other), set(), other_name)
        # Routed: the canary's tag beside others, and whoever wrote it (the
        # function keeps only its own role's: src/flow/workers/canary.rs).
        by_someone_else = variant()
        by_someone_else["detail"]["userIdentity"] = copy.deepcopy(other["detail"]["userIdentity"])
        routed = {"beside other tags": variant(tags=tags("CostCenter", CANARY_TAG_KEY)),
                  "written by someone else": by_someone_else}
        for what, event in routed.items():
            with self.subTest(sample=name, variant=what):
                self.assertEqual(self.matching_rules(event), DOCUMENT_RULES)
                self.assertEqual(matching(self.default_pattern_rules, event), DOCUMENT_RULES)

    def test_session_document_samples_reach_the_hub_through_one_rule_per_bus(self):
        # Forwarded by every member stack to the custom bus, or seen on the
        # hub's default bus in the hub account's hub region: exactly one hub
        # rule on each, whatever NamedSessionDocuments says.
        shapes = set()
        for name, event in self.samples_of("session_document_changed"):
            with self.subTest(sample=name):
                shapes.add(event["detail"]["eventName"])
                self.assertTrue(writes_a_session_document(event), "the sample is not of a routed shape")
                for patterns in (self.pattern_rules, self.default_pattern_rules):
                    matched = matching(patterns, event)
                    self.assertEqual(matched, SESSION_DOCUMENT_RULES)
                    by_bus = {}
                    for key in matched:
                        if key[0] == HUB:
                            by_bus.setdefault(json.dumps(self.rules[key]["EventBusName"]), set()).add(key)
                    self.assertEqual(sorted(by_bus.values(), key=sorted),
                                     sorted([{HUB_CUSTOM_BUS_SESSION_DOCUMENT_RULE},
                                             {HUB_DEFAULT_BUS_SESSION_DOCUMENT_RULE}], key=sorted))
        self.assertEqual(shapes, {"CreateDocument", "UpdateDocument", "UpdateDocumentDefaultVersion"})

    def test_only_writes_of_session_documents_are_routed(self):
        name, create = [(n, e) for n, e in self.samples_of("session_document_changed")
                        if e["detail"]["eventName"] == "CreateDocument"][0]
        _, update = [(n, e) for n, e in self.samples_of("session_document_changed")
                     if e["detail"]["eventName"] == "UpdateDocument"][0]
        self.assertEqual(self.matching_rules(create), SESSION_DOCUMENT_RULES, name)
        # Other document types, in the request or in the answer; no type
        # (SSM's default is Command).
        for kind in ("Command", "Automation", "Policy", "session", "SESSION"):
            other = copy.deepcopy(create)
            other["detail"]["requestParameters"]["documentType"] = kind
            self.assertEqual(self.matching_rules(other), set(), kind)
            other = copy.deepcopy(update)
            other["detail"]["responseElements"]["documentDescription"]["documentType"] = kind
            self.assertEqual(self.matching_rules(other), set(), kind)
        untyped = copy.deepcopy(create)
        del untyped["detail"]["requestParameters"]["documentType"]
        self.assertEqual(self.matching_rules(untyped), set())
        unanswered = copy.deepcopy(update)
        unanswered["detail"]["responseElements"] = None
        self.assertEqual(self.matching_rules(unanswered), set())
        # The type in the answer of a CreateDocument, or in the request of an
        # UpdateDocument, is not where the rules look.
        answered = copy.deepcopy(untyped)
        answered["detail"]["responseElements"]["documentDescription"]["documentType"] = "Session"
        self.assertEqual(self.matching_rules(answered), set())
        # Failed calls, deletions, reads and other calls of a Session document.
        failed = copy.deepcopy(create)
        failed["detail"].update(errorCode="AccessDenied", errorMessage="x", responseElements=None)
        self.assertEqual(self.matching_rules(failed), set())
        for other_call in ("DeleteDocument", "GetDocument", "DescribeDocument", "UpdateDocumentMetadata",
                           "ModifyDocumentPermission", "StartSession", "SendCommand", "CreateDocuments"):
            renamed_call = copy.deepcopy(create)
            renamed_call["detail"]["eventName"] = other_call
            self.assertEqual(self.matching_rules(renamed_call), set(), other_call)
        for other_source in ("aws.ssm-incidents", "aws.ssmmessages", "aws.ec2"):
            self.assertEqual(self.matching_rules(dict(create, source=other_source)), set(), other_source)

    def test_governed_documents_stay_with_the_document_rules(self):
        # SSM-SessionManagerRunShell always, and a named document in a stack
        # that lists it: one event, one rule per bus. Elsewhere a named
        # document is any other Session document.
        for _, event in self.samples_of("session_document_changed"):
            for document in (PREFERENCES_DOCUMENT, "SSMRunAs-Admin", "SSMRunAs-ReadOnly"):
                edit = renamed(event, document)
                with self.subTest(call=event["detail"]["eventName"], document=document):
                    self.assertEqual(self.matching_rules(edit), DOCUMENT_RULES)
                    self.assertEqual(matching(self.default_pattern_rules, edit),
                                     DOCUMENT_RULES if document == PREFERENCES_DOCUMENT else SESSION_DOCUMENT_RULES)
            for document in ("SSMRunAs-Admin2", "ssm-sessionmanagerrunshell", "SSM-SessionManagerRunShellX",
                             "Elevated-Shell"):
                with self.subTest(call=event["detail"]["eventName"], document=document):
                    self.assertEqual(self.matching_rules(renamed(event, document)), SESSION_DOCUMENT_RULES)

    def test_member_forwards_session_document_writes_wherever_it_forwards(self):
        forward = cfn.resources_of_type(self.member, "AWS::Events::Rule")["SessionDocumentChangedForwardRule"]
        self.assertEqual(forward["Condition"], "ForwardEvents")
        for region, account, expected in (("eu-west-1", "111122223333", True), ("us-east-1", "111122223333", True),
                                          ("us-east-1", "999999999999", False),
                                          ("eu-west-1", "999999999999", True)):
            with self.subTest(region=region, account=account):
                parameters = {"HubAccountId": "999999999999", "HubRegion": "us-east-1"}
                conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
                self.assertEqual("SessionDocumentChangedForwardRule" in cfn.created_resources(self.member, conditions),
                                 expected)

    def test_association_writes_of_the_check_reach_the_hub(self):
        # Forwarded by the member stack (RunAsUserCheck=Enabled) to the custom
        # bus, or seen on the hub's default bus in the hub account's hub
        # region; whatever NamedSessionDocuments says.
        writes = [(name, event) for name, event in self.samples_of("document_changed") if is_association_write(event)]
        self.assertEqual({e["detail"]["eventName"] for _, e in writes}, set(ASSOCIATION_WRITES))
        for name, event in writes:
            with self.subTest(sample=name):
                self.assertEqual(self.matching_rules(event), USER_CHECK_RULES)
                self.assertEqual(matching(self.default_pattern_rules, event), USER_CHECK_RULES)

    def test_only_the_check_documents_association_writes_are_routed(self):
        writes = [(name, event) for name, event in self.samples_of("document_changed")
                  if is_association_write(event) and event["detail"]["eventName"] != "DeleteAssociation"]
        self.assertTrue(writes)
        for name, event in writes:
            for other in ("AWS-GatherSoftwareInventory", "RunAsGuard-CheckRunAsUser2", "runasguard-checkrunasuser",
                          "XRunAsGuard-CheckRunAsUser", "SSM-SessionManagerRunShell",
                          "arn:aws:ssm:eu-west-1:111122223333:document/RunAsGuard-CheckRunAsUserX",
                          "arn:aws:ssm:eu-west-1:111122223333:parameter/RunAsGuard-CheckRunAsUser"):
                with self.subTest(sample=name, document=other):
                    edit = copy.deepcopy(event)
                    detail = edit["detail"]
                    if "name" in detail["requestParameters"]:
                        detail["requestParameters"]["name"] = other
                    answer = (detail.get("responseElements") or {}).get("associationDescription")
                    if answer:
                        answer["name"] = other
                    self.assertEqual(matching(self.pattern_rules, edit) & USER_CHECK_RULES, set())
            for arn in (f"arn:aws:ssm:eu-west-1:111122223333:document/{CHECK_DOCUMENT}",
                        f"arn:aws-us-gov:ssm:us-gov-west-1:444455556666:document/{CHECK_DOCUMENT}"):
                with self.subTest(sample=name, document=arn):
                    edit = copy.deepcopy(event)
                    edit["detail"]["requestParameters"]["name"] = arn
                    self.assertEqual(self.matching_rules(edit), USER_CHECK_RULES)

    def test_an_update_by_id_is_routed_by_the_document_its_answer_names(self):
        (name, event), = [(n, e) for n, e in self.samples_of("document_changed")
                          if e["detail"].get("eventName") == "UpdateAssociation"
                          and "name" not in e["detail"]["requestParameters"]]
        self.assertEqual(self.matching_rules(event), USER_CHECK_RULES, name)
        other = copy.deepcopy(event)
        other["detail"]["responseElements"]["associationDescription"]["name"] = "AWS-GatherSoftwareInventory"
        self.assertEqual(self.matching_rules(other), set())
        # A failed call has no answer to tell: not routed, whatever it named.
        failed = copy.deepcopy(event)
        failed["detail"].update(errorCode="ValidationException", errorMessage="x", responseElements=None)
        self.assertEqual(self.matching_rules(failed), set())

    def test_every_successful_delete_association_is_routed(self):
        # CloudTrail records a delete by id only: the function looks.
        (name, event), = [(n, e) for n, e in self.samples_of("document_changed")
                          if e["detail"].get("eventName") == "DeleteAssociation"]
        self.assertEqual(set(event["detail"]["requestParameters"]), {"associationId"}, name)
        self.assertEqual(self.matching_rules(event), USER_CHECK_RULES)
        failed = copy.deepcopy(event)
        failed["detail"]["errorCode"] = "AssociationDoesNotExist"
        self.assertEqual(self.matching_rules(failed), set())
        for other in ("Delete", "DeleteAssociations", "DeleteDocument", "StartAssociationsOnce",
                      "UpdateAssociationStatus", "CreateAssociationBatch"):
            renamed_call = copy.deepcopy(event)
            renamed_call["detail"]["eventName"] = other
            self.assertEqual(self.matching_rules(renamed_call) & USER_CHECK_RULES, set(), other)

    def test_member_forwards_association_writes_only_with_the_check_on(self):
        forward = cfn.resources_of_type(self.member, "AWS::Events::Rule")["RunAsUserCheckForwardRule"]
        self.assertEqual(forward["Condition"], "ForwardRunAsUserCheckEvents")
        for check, region, account, expected in (
            ("Enabled", "eu-west-1", "111122223333", True),
            ("Disabled", "eu-west-1", "111122223333", False),
            (None, "eu-west-1", "111122223333", False),
            # The hub account's hub region: the hub's default-bus rule sees them.
            ("Enabled", "us-east-1", "999999999999", False),
            ("Enabled", "eu-west-1", "999999999999", True),
        ):
            with self.subTest(check=check, region=region, account=account):
                parameters = {"HubAccountId": "999999999999", "HubRegion": "us-east-1"}
                if check:
                    parameters["RunAsUserCheck"] = check
                conditions = cfn.evaluate_conditions(self.member, parameters, account, region)
                self.assertEqual("RunAsUserCheckForwardRule" in cfn.created_resources(self.member, conditions),
                                 expected)

    def test_the_association_tag_branches(self):
        # Both tag calls are alternatives of the association rules' detail
        # $or, under the same errorCode-absent condition as the writes.
        for key in sorted(USER_CHECK_RULES):
            with self.subTest(rule=key):
                detail = self.pattern_rules[key]["detail"]
                self.assertEqual(detail["errorCode"], [{"exists": False}])
                self.assertIn(UNTAG_BRANCH, detail["$or"])
                self.assertIn(RETAG_BRANCH, detail["$or"])
        self.assertEqual(MANAGED_TAG_KEY, member_policy.rust_str_constant("crate::domain::nodes::managed_tag::KEY"))
        self.assertEqual(MANAGED_TAG_VALUE, member_policy.rust_str_constant("crate::domain::nodes::managed_tag::VALUE"))

    def test_the_association_tag_removed_or_overwritten_reaches_the_hub(self):
        # Without SCP 11 a member administrator can take runas-guard's tag off
        # the check's association or give it another value; the function tags
        # it again. Forwarded like the association writes (the member stack,
        # RunAsUserCheck=Enabled, to the custom bus; the hub account's own on
        # the default bus), by the association rules alone: not the document
        # rules, not the session document rules.
        tag_calls = [(name, event) for name, event in self.samples_of("document_changed")
                     if tags_an_association(event)]
        self.assertEqual({e["detail"]["eventName"] for _, e in tag_calls}, set(TAG_CALLS))
        for name, event in tag_calls:
            with self.subTest(sample=name):
                request = event["detail"]["requestParameters"]
                if event["detail"]["eventName"] == "RemoveTagsFromResource":
                    self.assertIn(MANAGED_TAG_KEY, request["tagKeys"])
                else:
                    self.assertIn(MANAGED_TAG_KEY, [t["key"] for t in request["tags"]])
                    self.assertNotIn(MANAGED_TAG_VALUE, [t["value"] for t in request["tags"]
                                                         if t["key"] == MANAGED_TAG_KEY])
                self.assertNotIn("errorCode", event["detail"])
                for patterns in (self.pattern_rules, self.default_pattern_rules):
                    self.assertEqual(matching(patterns, event), USER_CHECK_RULES)

    def test_only_runas_guards_tag_taken_off_or_overwritten_is_routed(self):
        (_, untag), = [(n, e) for n, e in self.samples_of("document_changed")
                       if tags_an_association(e) and e["detail"]["eventName"] == "RemoveTagsFromResource"]
        (_, retag), = [(n, e) for n, e in self.samples_of("document_changed")
                       if tags_an_association(e) and e["detail"]["eventName"] == "AddTagsToResource"]

        def variant(event, **changes):
            event = copy.deepcopy(event)
            detail = event["detail"]
            for key, value in changes.items():
                if key in ("source", "detail-type"):
                    event[key] = value
                elif key in ("eventName", "errorCode", "errorMessage", "userIdentity"):
                    detail[key] = value
                elif value is None:
                    del detail["requestParameters"][key]
                else:
                    detail["requestParameters"][key] = value
            return event

        def tags(*pairs):
            return [{"key": key, "value": value} for key, value in pairs]

        ours = MANAGED_TAG_KEY
        not_routed = {
            # Another key taken off, or the key in another case or form.
            "untag CostCenter": variant(untag, tagKeys=["CostCenter"]),
            "untag Runas-Guard:Managed": variant(untag, tagKeys=["Runas-Guard:Managed"]),
            "untag runas-guard:managed2": variant(untag, tagKeys=["runas-guard:managed2"]),
            "untag runas-guard:": variant(untag, tagKeys=["runas-guard:"]),
            "untag the canary's key": variant(untag, tagKeys=[CANARY_TAG_KEY]),
            "untag nothing": variant(untag, tagKeys=[]),
            "untag, no tagKeys": variant(untag, tagKeys=None),
            # runas-guard's own tag (its re-tag: routing it would loop), alone
            # or beside another tag of the same value.
            "retag true": variant(retag, tags=tags((ours, MANAGED_TAG_VALUE))),
            "retag true beside Team=true": variant(retag, tags=tags(("Team", "true"), (ours, MANAGED_TAG_VALUE))),
            # Another key, whatever its value; the key as a value.
            "retag Team=false": variant(retag, tags=tags(("Team", "false"))),
            "retag Runas-Guard:Managed=false": variant(retag, tags=tags(("Runas-Guard:Managed", "false"))),
            "retag the key as a value": variant(retag, tags=tags(("Team", ours))),
            "retag nothing": variant(retag, tags=[]),
            "retag, no tags": variant(retag, tags=None),
            # A failed call changed no tag.
            "untag AccessDeniedException": variant(untag, errorCode="AccessDeniedException", errorMessage="x"),
            "untag InvalidResourceId": variant(untag, errorCode="InvalidResourceId", errorMessage="x"),
            "retag AccessDeniedException": variant(retag, errorCode="AccessDeniedException", errorMessage="x"),
            # Another resource type: a document (the check's, or the
            # preferences document the canary tags), a parameter, a node.
            "untag Document": variant(untag, resourceType="Document", resourceId=CHECK_DOCUMENT),
            "untag the preferences document": variant(untag, resourceType="Document",
                                                      resourceId=PREFERENCES_DOCUMENT),
            "retag Document": variant(retag, resourceType="Document", resourceId=CHECK_DOCUMENT),
            "retag the preferences document": variant(retag, resourceType="Document",
                                                      resourceId=PREFERENCES_DOCUMENT),
            "retag Parameter": variant(retag, resourceType="Parameter"),
            "retag ManagedInstance": variant(retag, resourceType="ManagedInstance"),
            "untag association": variant(untag, resourceType="association"),
            "untag, no resource type": variant(untag, resourceType=None),
            "retag, no resource type": variant(retag, resourceType=None),
            # Other calls and sources.
            "ListTagsForResource": variant(untag, eventName="ListTagsForResource"),
            "AddTagsToResource with tagKeys only": variant(untag, eventName="AddTagsToResource"),
            "RemoveTagsFromResource with tags only": variant(retag, eventName="RemoveTagsFromResource"),
            "aws.ssm-incidents": variant(untag, source="aws.ssm-incidents"),
            "aws.tag": variant(retag, source="aws.tag"),
            "AWS Service Event via CloudTrail": variant(untag, **{"detail-type": "AWS Service Event via CloudTrail"}),
        }
        for what, event in not_routed.items():
            with self.subTest(variant=what):
                self.assertEqual(self.matching_rules(event), set())
                self.assertEqual(matching(self.default_pattern_rules, event), set())
        # Routed, by the association rules alone: the key among others, any
        # association (CloudTrail names it by id only: the function looks
        # whether it is the check's), whoever made the call, any value but
        # exactly "true". Not asserted either way: the key valued "true"
        # beside another tag of another value, which EventBridge may route
        # (it can match tags.key and tags.value on different elements); the
        # function reads the request and leaves it.
        someone = copy.deepcopy(samples._assumed_role(samples.MEMBER, "RunAsGuardExecution", "runas-guard", "03"))
        routed = {
            "untag beside another key": variant(untag, tagKeys=["Team", ours]),
            "untag another association": variant(untag, resourceId="0b2a4c7e-1f3d-4e5a-9b6c-fedcba987654"),
            "untag by runas-guard's role": variant(untag, userIdentity=someone),
            "retag another association": variant(retag, resourceId="0b2a4c7e-1f3d-4e5a-9b6c-fedcba987654"),
            "retag by runas-guard's role": variant(retag, userIdentity=someone),
            **{f"retag {value!r}": variant(retag, tags=tags((ours, value)))
               for value in ("false", "", "True", "TRUE", " true", "true ", "1", "yes")},
        }
        for what, event in routed.items():
            with self.subTest(variant=what):
                self.assertEqual(self.matching_rules(event), USER_CHECK_RULES)
                self.assertEqual(matching(self.default_pattern_rules, event), USER_CHECK_RULES)
        # The forwarding canary's tag on the preferences document travels as
        # before: by the document rules alone, and not on an association.
        (_, canary), = self.samples_of("forwarding_canary")
        self.assertEqual(self.matching_rules(canary), DOCUMENT_RULES)
        on_association = variant(canary, resourceType="Association", resourceId=samples.CHECK_ASSOCIATION_ID)
        self.assertEqual(self.matching_rules(on_association), set())
        beside = variant(canary, tags=tags((CANARY_TAG_KEY, "01jf3k9v2m8q7r5t4w6y0z1a2b"), (ours, "false")))
        self.assertEqual(self.matching_rules(beside), DOCUMENT_RULES)

    def test_account_joined_samples_match_the_joined_rules(self):
        joined = [(name, event) for name, event in self.samples_of("account_vended")
                  if event["detail"].get("eventName") == "AccountJoinedOrganization"]
        self.assertTrue(joined)
        for name, event in joined:
            with self.subTest(sample=name):
                matched = self.matching_rules(event)
                self.assertEqual(matched & HUB_JOINED_RULES, HUB_JOINED_RULES)
                self.assertIn(MEMBER_JOINED_FORWARD_RULE, matched)
                # AWS shows no whole AccountJoinedOrganization record, so the
                # pattern does not depend on its detail-type.
                as_api_call = dict(event, **{"detail-type": "AWS API Call via CloudTrail"})
                self.assertEqual(self.matching_rules(as_api_call), matched)

    def test_run_as_override_samples_reach_the_hub(self):
        sources = set()
        for name, event in self.samples_of("run_as_override"):
            with self.subTest(sample=name):
                sources.add(event["source"])
                matched = self.matching_rules(event)
                # Forwarded from the member account (IAM: its us-east-1 stack;
                # Identity Center: the instance's account and region) to the
                # custom bus, or seen on the hub's default bus when the hub
                # account is where the event is emitted.
                self.assertIn(MEMBER_RUN_AS_FORWARD_RULE, matched)
                self.assertIn(HUB_CUSTOM_BUS_RUN_AS_RULE, matched)
                self.assertIn(HUB_DEFAULT_BUS_RUN_AS_RULE, matched)
                self.assertEqual({RULE_TRIGGERS[key] for key in matched}, {"run_as_override"}, matched)
        self.assertEqual(sources, {"aws.iam", "aws.sso"})

    def test_member_stack_landed_samples_match_the_stack_instance_rules_only(self):
        # Where the StackSet's administrator is: the hub's default bus (the
        # hub is the administrator, in the StackSet's region), or forwarded
        # by the administrator's member stack to the custom bus. Whatever
        # NamedSessionDocuments says.
        for name, event in self.samples_of("member_stack_landed"):
            with self.subTest(sample=name):
                self.assertEqual(event["source"], "aws.cloudformation")
                self.assertEqual(self.matching_rules(event), STACK_INSTANCE_RULES)
                self.assertEqual(matching(self.default_pattern_rules, event), STACK_INSTANCE_RULES)

    def test_baseline_applied_samples_match_the_control_tower_rules_only(self):
        targets = set()
        for name, event in self.samples_of("baseline_applied"):
            with self.subTest(sample=name):
                targets.add(event["detail"]["eventName"])
                matched = self.matching_rules(event)
                self.assertEqual(matched, CONTROL_TOWER_RULES)
                for key in matched:
                    self.assertIn("baseline_applied", routes(key))
        self.assertEqual(targets, {"EnableBaseline", "ResetEnabledBaseline", "UpdateEnabledBaseline"})

    def test_account_moved_samples_match_the_move_rule(self):
        for name, event in self.samples_of("account_moved"):
            with self.subTest(sample=name):
                matched = self.matching_rules(event)
                self.assertTrue(matched & HUB_MOVE_RULES, f"{name} matches no MoveAccount rule")
                self.assertEqual({RULE_TRIGGERS[key] for key in matched}, {"account_moved"}, matched)

    def test_sweep_samples_come_from_the_schedule_rule(self):
        schedules = {key: props for key, props in self.rules.items() if "ScheduleExpression" in props}
        self.assertEqual(set(schedules), {(HUB, "SweepScheduleRule")})
        rule = schedules[(HUB, "SweepScheduleRule")]
        self.assertNotIn("EventPattern", rule)
        self.assertEqual(rule["ScheduleExpression"], {"Ref": "SweepSchedule"})
        self.assertEqual(self.hub["Parameters"]["SweepSchedule"]["Default"], "rate(6 hours)")
        self.assertEqual(rule["Name"], {"Fn::Sub": "${FunctionName}-sweep"})
        function_name = self.hub["Parameters"]["FunctionName"]["Default"]
        for name, event in self.samples_of("sweep"):
            with self.subTest(sample=name):
                self.assertEqual(event["source"], "aws.events")
                self.assertEqual(event["detail-type"], "Scheduled Event")
                # Scheduled events are sent by the schedule, not pattern-matched:
                # no pattern rule may pick them up a second time.
                self.assertEqual(self.matching_rules(event), set())
                rule_names = {arn.rsplit("/", 1)[-1] for arn in event.get("resources", [])}
                self.assertIn(f"{function_name}-sweep", rule_names)

    def test_ignored_samples_match_no_rule(self):
        for name, event in self.samples_of("ignored"):
            with self.subTest(sample=name):
                self.assertEqual(self.matching_rules(event), set())
                self.assertEqual(matching(self.default_pattern_rules, event), set())

    def test_copies_of_a_pattern_are_identical(self):
        # The same pattern lives on the hub's default bus, its custom bus and in
        # the member forwarders; they must not drift apart.
        groups = {
            "vend-organizations": [(HUB, "VendOrganizationsRule"), (HUB, "VendOrganizationsForwardedRule"),
                                   (MEMBER, "VendOrganizationsForwardRule")],
            "vend-controltower": [(HUB, "VendControlTowerRule"), (HUB, "VendControlTowerForwardedRule"),
                                  (MEMBER, "VendControlTowerForwardRule")],
            "move": [(HUB, "MoveAccountRule"), (HUB, "MoveAccountForwardedRule"), (MEMBER, "MoveAccountForwardRule")],
            "document": [(HUB, "DocumentChangedRule"), (HUB, "DocumentChangedLocalRule"),
                         (MEMBER, "DocumentChangedForwardRule")],
            "joined": [(HUB, "AccountJoinedRule"), (HUB, "AccountJoinedForwardedRule"),
                       (MEMBER, "AccountJoinedForwardRule")],
            "run-as-override": [(HUB, "RunAsOverrideRule"), (HUB, "RunAsOverrideLocalRule"),
                                (MEMBER, "RunAsOverrideForwardRule")],
            "run-as-user-check": [(HUB, "RunAsUserCheckRule"), (HUB, "RunAsUserCheckLocalRule"),
                                  (MEMBER, "RunAsUserCheckForwardRule")],
            "session-document": [(HUB, "SessionDocumentChangedRule"), (HUB, "SessionDocumentChangedLocalRule"),
                                 (MEMBER, "SessionDocumentChangedForwardRule")],
            "stack-instance": [(HUB, "MemberStackInstanceRule"), (HUB, "MemberStackInstanceForwardedRule"),
                               (MEMBER, "MemberStackInstanceForwardRule")],
        }
        raw = {key: props["EventPattern"] for key, props in self.rules.items() if "EventPattern" in props}
        for group, keys in groups.items():
            # As written (the same intrinsics, on parameters of the same
            # name), and as deployed with and without named documents.
            for patterns in (raw, self.pattern_rules, self.default_pattern_rules):
                with self.subTest(group=group):
                    first = patterns[keys[0]]
                    for key in keys[1:]:
                        self.assertEqual(patterns[key], first, key)

    def test_buses(self):
        custom = {"Ref": "EventBus"}
        expected = {
            "VendOrganizationsRule": "default", "VendOrganizationsForwardedRule": custom,
            "VendControlTowerRule": "default", "VendControlTowerForwardedRule": custom,
            "MoveAccountRule": "default", "MoveAccountForwardedRule": custom,
            "DocumentChangedRule": custom, "DocumentChangedLocalRule": "default",
            "AccountJoinedRule": "default", "AccountJoinedForwardedRule": custom,
            "RunAsOverrideRule": custom, "RunAsOverrideLocalRule": "default",
            "RunAsUserCheckRule": custom, "RunAsUserCheckLocalRule": "default",
            "SessionDocumentChangedRule": custom, "SessionDocumentChangedLocalRule": "default",
            "MemberStackInstanceRule": "default", "MemberStackInstanceForwardedRule": custom,
        }
        for logical_id, bus in expected.items():
            with self.subTest(rule=logical_id):
                self.assertEqual(self.rules[(HUB, logical_id)]["EventBusName"], bus)
        self.assertNotIn("EventBusName", self.rules[(HUB, "SweepScheduleRule")])  # default bus
        for key, props in self.rules.items():
            if key[0] == MEMBER:
                with self.subTest(rule=key):
                    self.assertEqual(props["EventBusName"], "default")

    def test_hub_rules_invoke_the_function_with_dlq_retry_and_permission(self):
        permissions = {
            props["Properties"]["SourceArn"]["Fn::GetAtt"][0]: props["Properties"]
            for props in cfn.resources_of_type(self.hub, "AWS::Lambda::Permission").values()
        }
        dlq_policy = cfn.resources_of_type(self.hub, "AWS::SQS::QueuePolicy")["EventsDeadLetterQueuePolicy"]
        (statement,) = cfn.statements(dlq_policy["Properties"]["PolicyDocument"])
        allowed_sources = {ref["Fn::GetAtt"][0] for ref in statement["Condition"]["ArnEquals"]["aws:SourceArn"]}
        for (template, logical_id), props in self.rules.items():
            if template != HUB:
                continue
            with self.subTest(rule=logical_id):
                self.assertEqual(props.get("State"), "ENABLED")
                (target,) = props["Targets"]
                self.assertEqual(target["Arn"], {"Fn::GetAtt": ["Function", "Arn"]})
                self.assertEqual(target["DeadLetterConfig"], {"Arn": {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}})
                self.assertIn("MaximumRetryAttempts", target["RetryPolicy"])
                self.assertIn("MaximumEventAgeInSeconds", target["RetryPolicy"])
                permission = permissions[logical_id]
                self.assertEqual(permission["Principal"], "events.amazonaws.com")
                self.assertEqual(permission["Action"], "lambda:InvokeFunction")
                self.assertEqual(permission["FunctionName"], {"Ref": "Function"})
                self.assertIn(logical_id, allowed_sources)
        self.assertEqual(set(permissions), {key[1] for key in self.rules if key[0] == HUB})

    def test_member_rules_forward_to_the_hub_bus(self):
        hub_bus = {"Fn::Sub": "arn:${AWS::Partition}:events:${HubRegion}:${HubAccountId}:event-bus/${HubBusName}"}
        for (template, logical_id), props in self.rules.items():
            if template != MEMBER:
                continue
            with self.subTest(rule=logical_id):
                (target,) = props["Targets"]
                self.assertEqual(target["Arn"], hub_bus)
                self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["ForwarderRole", "Arn"]})
                self.assertIn("RetryPolicy", target)


def renamed(event, name):
    """``event`` (a document edit) as if it had been made to the document ``name``."""
    event = copy.deepcopy(event)
    detail = event["detail"]
    detail["requestParameters"]["name"] = name
    for key in ("documentDescription", "description"):
        described = (detail.get("responseElements") or {}).get(key)
        if isinstance(described, dict) and "name" in described:
            described["name"] = name
    return event


class NamedSessionDocumentRoutingTests(cfn.TemplateTestCase):
    """Edits of the per-permission-set documents (NamedSessionDocuments) are routed like the preferences'."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.templates = {HUB: cls.hub, MEMBER: cls.member}
        cls.edits = [(name, event) for name, trigger, event in cfn.load_events() + samples.inline_samples()
                     if trigger == "document_changed"
                     and event["detail"]["requestParameters"].get("name") == PREFERENCES_DOCUMENT]
        # Calls on the preferences document that are ignored for another
        # reason than the name (failed, read-only).
        cls.not_edits = [(name, event) for name, trigger, event in cfn.load_events() + samples.inline_samples()
                         if trigger == "ignored" and event["source"] == "aws.ssm"
                         and (event["detail"]["requestParameters"] or {}).get("name") == PREFERENCES_DOCUMENT]

    def patterns(self, named):
        return resolved_patterns(self.templates, NamedSessionDocuments=named)

    def document_names(self, patterns):
        """The names each document rule routes (its first ``$or`` branch), having checked the other two: every
        document ARN, and the forwarding canary's tag on SSM-SessionManagerRunShell, whatever the list."""
        names = {}
        for key in DOCUMENT_RULES:
            by_name, by_arn, canary = patterns[key]["detail"]["requestParameters"]["$or"]
            self.assertEqual(set(by_name), {"name"}, key)
            self.assertEqual(by_arn, {"name": [{"wildcard": DOCUMENT_ARN_WILDCARD}]}, key)
            self.assertEqual(canary, CANARY_BRANCH, key)
            names[key] = by_name["name"]
        return names

    def test_both_stacks_take_the_same_parameter(self):
        hub = self.hub["Parameters"]["NamedSessionDocuments"]
        member = self.member["Parameters"]["NamedSessionDocuments"]
        self.assertEqual(hub["Type"], "String")
        self.assertEqual(hub["Default"], "")
        for field in ("Type", "Default", "AllowedPattern", "MaxLength"):
            self.assertEqual(hub[field], member[field], field)
        self.assertEqual(self.hub["Conditions"]["HasNamedSessionDocuments"],
                         self.member["Conditions"]["HasNamedSessionDocuments"])

    def test_default_routes_the_preferences_document_only(self):
        for key, names in self.document_names(self.patterns("")).items():
            with self.subTest(rule=key):
                self.assertEqual(names, [PREFERENCES_DOCUMENT])
        # Without the parameter at all (a stack deployed before it existed).
        self.assertEqual(resolved_patterns(self.templates), self.patterns(""))

    def test_named_documents_are_listed_after_the_preferences_document(self):
        for named, expected in (
            ("SSMRunAs-Admin", [PREFERENCES_DOCUMENT, "SSMRunAs-Admin"]),
            ("SSMRunAs-Admin,SSMRunAs-ReadOnly,Shell.db_2",
             [PREFERENCES_DOCUMENT, "SSMRunAs-Admin", "SSMRunAs-ReadOnly", "Shell.db_2"]),
        ):
            for key, names in self.document_names(self.patterns(named)).items():
                with self.subTest(named=named, rule=key):
                    self.assertEqual(names, expected)

    def test_edits_of_a_named_document_reach_the_hub(self):
        self.assertTrue(self.edits)
        named = self.patterns("SSMRunAs-Admin,SSMRunAs-ReadOnly")
        default = self.patterns("")
        for sample, event in self.edits:
            for name in ("SSMRunAs-Admin", "SSMRunAs-ReadOnly"):
                with self.subTest(sample=sample, document=name):
                    edit = renamed(event, name)
                    self.assertEqual(matching(named, edit), DOCUMENT_RULES)
                    # Not governed by a stack without the name: there it is
                    # any other Session document (if the call writes one).
                    other = SESSION_DOCUMENT_RULES if writes_a_session_document(edit) else set()
                    self.assertEqual(matching(default, edit), other)
                    self.assertEqual(matching(self.patterns("SSMRunAs-ReadOnly" if name == "SSMRunAs-Admin"
                                                            else "SSMRunAs-Admin"), edit), other)
            with self.subTest(sample=sample, document=PREFERENCES_DOCUMENT):
                # The preferences document is routed whatever the list.
                self.assertEqual(matching(named, event), DOCUMENT_RULES)
                self.assertEqual(matching(default, event), DOCUMENT_RULES)

    def test_only_exact_names_are_routed(self):
        named = self.patterns("SSMRunAs-Admin")
        for sample, event in self.edits:
            for other in ("SSMRunAs-Admin2", "SSMRunAs-Admi", "ssmrunas-admin", "SSMRUNAS-ADMIN", " SSMRunAs-Admin",
                          "SSMRunAs-Admin ", "SSMRunAs", "SSMRunAs-Admin,SSMRunAs-ReadOnly", "",
                          "arn:aws:ssm:eu-west-1:111122223333:parameter/SSMRunAs-Admin",
                          "arn:aws:ec2:eu-west-1:111122223333:document/SSMRunAs-Admin",
                          "arn:aws:ssm:eu-west-1:111122223333:document", "SSMRunAs-Admin:document/x"):
                with self.subTest(sample=sample, document=other):
                    edit = renamed(event, other)
                    self.assertEqual(matching(named, edit) & DOCUMENT_RULES, set())
                    # Another name: another Session document, if the call
                    # writes one (an ARN is the document rules', and possibly
                    # these rules' too: test_edits_by_document_arn_...).
                    if not other.startswith("arn:"):
                        self.assertEqual(matching(named, edit),
                                         SESSION_DOCUMENT_RULES if writes_a_session_document(edit) else set())

    def test_edits_by_document_arn_reach_the_hub_from_every_stack(self):
        # The pattern cannot tell this account's governed ARNs from others
        # (a CloudFormation list cannot become one suffix per name): every SSM
        # document ARN is routed, and the function keeps the governed names
        # of the account and region the ARN names (src/domain/trigger/document.rs).
        self.assertTrue(self.edits)
        for sample, event in self.edits:
            for arn in ("arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell",
                        "arn:aws-us-gov:ssm:us-gov-west-1:111122223333:document/SSMRunAs-Admin",
                        "arn:aws:ssm:us-east-1:444455556666:document/Shared-Doc",
                        "arn:aws:ssm:us-east-1::document/AWS-StartInteractiveCommand"):
                for named in ("", "SSMRunAs-Admin"):
                    with self.subTest(sample=sample, document=arn, named=named):
                        # The session document rules exclude the governed
                        # names and every ARN: an ARN-named write of any
                        # document reaches the function through the document
                        # rules only, one rule per bus, and the function looks
                        # at a Session document it does not govern as it does
                        # at a bare name. SSM's API takes bare names for these
                        # calls today.
                        edit = renamed(event, arn)
                        self.assertEqual(matching(self.patterns(named), edit), DOCUMENT_RULES)
        for sample, event in self.not_edits:
            with self.subTest(sample=sample):
                arn = "arn:aws:ssm:eu-west-1:111122223333:document/SSM-SessionManagerRunShell"
                self.assertEqual(matching(self.patterns(""), renamed(event, arn)), set())

    def test_failed_and_read_only_calls_on_a_named_document_are_not_routed(self):
        self.assertTrue(self.not_edits)
        named = self.patterns("SSMRunAs-Admin")
        for sample, event in self.not_edits:
            with self.subTest(sample=sample):
                self.assertEqual(matching(named, renamed(event, "SSMRunAs-Admin")), set())

    def test_admitted_names_reach_the_patterns_as_written(self):
        # test_member_policy checks what the parameter admits; whatever it
        # admits is routed verbatim: nothing trimmed, dropped or widened.
        for value in ("abc", "a" * 128, "Shell.db_2,x-y", ",".join(f"SSMRunAs-{i}" for i in range(20))):
            for key, names in self.document_names(self.patterns(value)).items():
                with self.subTest(value=value, rule=key):
                    self.assertEqual(names, [PREFERENCES_DOCUMENT] + value.split(","))

if __name__ == "__main__":
    unittest.main()
