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


def check_document():
    """The run-as user check's Command document (member.yaml
    RunAsUserCheckDocument's Content), as a dict: the one source the demo, the
    bench and the tests' emulations read, so none carries its own copy."""
    member = load_template(MEMBER_TEMPLATE)
    return member["Resources"]["RunAsUserCheckDocument"]["Properties"]["Content"]


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
    """A template uses a function (or a form of one) this small resolver does not know."""


PSEUDO_PARAMETERS = ("AWS::AccountId", "AWS::Region", "AWS::Partition")


def parameter_values(template, parameters):
    """Every parameter's value as CloudFormation passes it: given, else its Default (as a string)."""
    values = {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    values.update({name: str(value) for name, value in parameters.items()})
    return values


class Stack:
    """One stack instance of ``template``: its parameters, pseudo parameters and Conditions.

    ``resolve`` evaluates the intrinsic functions the templates use on
    parameters and pseudo parameters: Ref (a CommaDelimitedList parameter is a
    list, split on ","), Fn::If (and AWS::NoValue, dropped as CloudFormation
    does), Fn::Join, Fn::Split, Fn::Select and Fn::Sub (``${!Literal}`` kept
    as ``${Literal}``). A Ref to a resource and Fn::GetAtt are opaque and left
    as they are. Conditions support Fn::Equals, Fn::And, Fn::Or, Fn::Not and
    Condition over anything ``resolve`` can resolve; they are evaluated when
    first needed, so a parameter with no value only matters to the
    Conditions that use it. Anything else raises UnsupportedIntrinsic;
    a Ref to a parameter with no value raises KeyError.
    """

    def __init__(self, template, parameters, account_id, region, partition="aws"):
        self.template = template
        self.values = parameter_values(template, parameters)
        self.values.update({"AWS::AccountId": account_id, "AWS::Region": region, "AWS::Partition": partition})
        self.definitions = template.get("Conditions", {})
        self._conditions = {}

    def condition(self, name):
        if name not in self._conditions:
            self._conditions[name] = bool(self._evaluate(self.definitions[name]))
        return self._conditions[name]

    def conditions(self):
        return {name: self.condition(name) for name in self.definitions}

    def _evaluate(self, node):
        if isinstance(node, dict) and len(node) == 1:
            (function, argument), = node.items()
            if function == "Condition":
                return self.condition(argument)
            if function == "Fn::Equals":
                left, right = argument
                return self._scalar(left) == self._scalar(right)
            if function == "Fn::And":
                return all(self._evaluate(item) for item in argument)
            if function == "Fn::Or":
                return any(self._evaluate(item) for item in argument)
            if function == "Fn::Not":
                (item,) = argument
                return not self._evaluate(item)
        raise UnsupportedIntrinsic(f"cannot evaluate the condition {node!r}")

    def _scalar(self, node):
        value = self.resolve(node)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise UnsupportedIntrinsic(f"{node!r} is not a string in a condition")

    def _ref(self, name):
        if name == "AWS::NoValue":
            return NO_VALUE
        spec = self.template.get("Parameters", {}).get(name)
        if spec is None and name not in PSEUDO_PARAMETERS:
            return {"Ref": name}  # a resource: opaque
        if name not in self.values:
            raise KeyError(f"parameter {name} has no value")
        value = self.values[name]
        if spec is not None and spec.get("Type") == "CommaDelimitedList":
            return value.split(",")
        return value

    def _strings(self, node, where):
        value = self.resolve(node)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise UnsupportedIntrinsic(f"{where}: expected a list of strings, got {value!r}")
        return value

    def _string(self, node, where):
        value = self.resolve(node)
        if not isinstance(value, str):
            raise UnsupportedIntrinsic(f"{where}: expected a string, got {value!r}")
        return value

    def _sub(self, argument):
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], {k: self._string(v, f"Fn::Sub {k}") for k, v in argument[1].items()}
        else:
            raise UnsupportedIntrinsic(f"Fn::Sub {argument!r}")
        if not isinstance(text, str):
            raise UnsupportedIntrinsic(f"Fn::Sub needs a literal string, got {text!r}")

        def value(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return variables[name]
            resolved = self._ref(name)
            if not isinstance(resolved, str):
                raise UnsupportedIntrinsic(f"Fn::Sub cannot resolve ${{{name}}}")
            return resolved

        return re.sub(r"\$\{([^}]+)\}", value, text)

    def resolve(self, node):
        """``node`` with every intrinsic this resolver knows evaluated for this stack instance."""
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item != NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (function, argument), = node.items()
            if function == "Ref":
                return self._ref(argument)
            if function == "Fn::GetAtt":
                return node
            if function == "Fn::If":
                condition, then, otherwise = argument
                return self.resolve(then if self.condition(condition) else otherwise)
            if function == "Fn::Join":
                delimiter, items = argument
                if not isinstance(delimiter, str):
                    raise UnsupportedIntrinsic(f"Fn::Join delimiter must be a literal string, got {delimiter!r}")
                return delimiter.join(self._strings(items, "Fn::Join"))
            if function == "Fn::Split":
                delimiter, text = argument
                if not isinstance(delimiter, str):
                    raise UnsupportedIntrinsic(f"Fn::Split delimiter must be a literal string, got {delimiter!r}")
                return self._string(text, "Fn::Split").split(delimiter)
            if function == "Fn::Select":
                index, items = argument
                return self._strings(items, "Fn::Select")[int(self.resolve(index))]
            if function == "Fn::Sub":
                return self._sub(argument)
            if function.startswith("Fn::") or function == "Condition":
                raise UnsupportedIntrinsic(f"cannot resolve {function}")
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != NO_VALUE}


def evaluate_conditions(template, parameters, account_id, region, partition="aws"):
    """Evaluate every Condition of ``template`` for one stack instance (see Stack).

    Parameters not given take their Default.
    """
    return Stack(template, parameters, account_id, region, partition).conditions()


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
