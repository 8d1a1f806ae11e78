"""Helpers for the infra tests: load CloudFormation YAML, evaluate Conditions.

CloudFormation short-form tags (!Ref, !Sub, !GetAtt, !If, !Equals, ...) are not
YAML that PyYAML knows. ``load_template`` turns each into the plain JSON form
CloudFormation itself uses (``{"Ref": x}``, ``{"Fn::Sub": x}``,
``{"Fn::GetAtt": [resource, attribute]}``, ``{"Condition": name}``), so the
tests look at the same structure whichever form a template is written in.
"""

import json
import os
import re
import unittest

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INFRA_DIR = os.path.join(REPO_ROOT, "infra")
EVENTS_DIR = os.path.join(REPO_ROOT, "events")
HUB_TEMPLATE = os.path.join(INFRA_DIR, "hub.yaml")
MEMBER_TEMPLATE = os.path.join(INFRA_DIR, "member.yaml")
# ${Name} or ${Resource.Attribute} in a Fn::Sub string (not the ${!Literal} escape).
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic tags."""


def _construct_intrinsic(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::" + tag_suffix: value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def resources_of_type(template, resource_type):
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def load_events():
    """Every events/*.json sample as (file name, expected trigger, event)."""
    samples = []
    if not os.path.isdir(EVENTS_DIR):
        return samples
    for name in sorted(os.listdir(EVENTS_DIR)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(EVENTS_DIR, name), encoding="utf-8") as handle:
            event = json.load(handle)
        samples.append((name, name.split(".", 1)[0], event))
    return samples


class UnsupportedIntrinsic(ValueError):
    """A Condition uses a function this small evaluator does not know."""


def evaluate_conditions(template, parameters, account_id, region, partition="aws"):
    """Evaluate every Condition of ``template`` for one stack instance.

    Supports Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition and Ref (to a
    parameter or a pseudo parameter); anything else raises. Parameters not
    given take their Default.
    """
    values = {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    values.update({name: str(value) for name, value in parameters.items()})
    values.update({"AWS::AccountId": account_id, "AWS::Region": region, "AWS::Partition": partition})
    definitions = template.get("Conditions", {})
    cache = {}

    def condition(name):
        if name not in cache:
            cache[name] = bool(evaluate(definitions[name]))
        return cache[name]

    def evaluate(node):
        if isinstance(node, (str, int, float)):
            return str(node)
        if isinstance(node, dict) and len(node) == 1:
            (function, argument), = node.items()
            if function == "Ref":
                if argument not in values:
                    raise KeyError(f"parameter {argument} has no value")
                return values[argument]
            if function == "Condition":
                return condition(argument)
            if function == "Fn::Equals":
                left, right = argument
                return evaluate(left) == evaluate(right)
            if function == "Fn::And":
                return all(evaluate(item) for item in argument)
            if function == "Fn::Or":
                return any(evaluate(item) for item in argument)
            if function == "Fn::Not":
                (item,) = argument
                return not evaluate(item)
        raise UnsupportedIntrinsic(f"cannot evaluate {node!r}")

    return {name: condition(name) for name in definitions}


def created_resources(template, conditions):
    """Logical IDs of the resources a stack instance with ``conditions`` creates."""
    return {
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if "Condition" not in resource or conditions[resource["Condition"]]
    }


class TemplateTestCase(unittest.TestCase):
    """Base class giving tests the two parsed templates."""

    @classmethod
    def setUpClass(cls):
        cls.hub = load_template(HUB_TEMPLATE)
        cls.member = load_template(MEMBER_TEMPLATE)


def statements(policy_document):
    stmts = policy_document["Statement"]
    return stmts if isinstance(stmts, list) else [stmts]


def as_list(value):
    return value if isinstance(value, list) else [value]


NO_VALUE = {"Ref": "AWS::NoValue"}


def resolve_conditionals(node, conditions):
    """``node`` as one stack instance sees it: every Fn::If taken by ``conditions``.

    A property or list item whose value comes out as ``AWS::NoValue`` is
    removed, as CloudFormation does; other intrinsics are left as they are.
    """
    if isinstance(node, list):
        items = [resolve_conditionals(item, conditions) for item in node]
        return [item for item in items if item != NO_VALUE]
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            condition, then, otherwise = node["Fn::If"]
            return resolve_conditionals(then if conditions[condition] else otherwise, conditions)
        if node == NO_VALUE:
            return node
        resolved = {key: resolve_conditionals(value, conditions) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != NO_VALUE}
    return node


def render_sub(text, values):
    """A Fn::Sub string with every ${Name} replaced from ``values`` (KeyError if one is missing)."""
    return SUB_VARIABLE.sub(lambda match: values[match.group(1)], text)
