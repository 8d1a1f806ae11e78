"""moto server whose DynamoDB refuses expression attribute names and values
no expression of the request uses, as DynamoDB does. EMULATED, always on:
moto_dynamodb_atomic imports it, and every local AWS the tests, the demo,
the rehearsal and the bench start imports that; never used by product code.

DynamoDB refuses a request whose ``ExpressionAttributeNames`` or
``ExpressionAttributeValues`` hold a key none of its expressions names,
with a ``ValidationException``::

    Value provided in ExpressionAttributeNames unused in expressions: keys: {#made}
    Value provided in ExpressionAttributeValues unused in expressions: keys: {:made}

(the wording every DynamoDB-compatible store copies; Developer Guide,
"Expression attribute names" and "Expression attribute values",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html).
moto 5.2.5 accepts them: a product whose update declares a name it writes
only sometimes passes every local test and fails against AWS on every call.
A ``TransactWriteItems`` is refused whole when any of its actions is (a
validation error, not a cancellation); ``TransactGetItems`` and
``BatchGetItem`` likewise, per action and per table.

How it differs from AWS: placeholders are found by their spelling (``#`` or
``:`` then letters, digits, ``_``) in every expression text of the request,
without parsing; a placeholder inside a string is not possible in
DynamoDB's grammar, so this finds what DynamoDB's parser finds.
"""

import json
import re

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.responses import DynamoHandler

EXPRESSIONS = (
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)
_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


def unused(request):
    """The refusal message for one request-like dict, or None (pure)."""
    used = set()
    for key in EXPRESSIONS:
        text = request.get(key)
        if isinstance(text, str):
            used.update(_PLACEHOLDER.findall(text))
    for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        declared = request.get(field)
        if not isinstance(declared, dict):
            continue
        spare = sorted(k for k in declared if k not in used)
        if spare:
            return f"Value provided in {field} unused in expressions: keys: {{{', '.join(spare)}}}"
    return None


def actions(target, body):
    """The request-like dicts of one DynamoDB call (pure)."""
    if target in ("TransactWriteItems", "TransactGetItems"):
        for item in body.get("TransactItems") or []:
            if isinstance(item, dict):
                yield from (a for a in item.values() if isinstance(a, dict))
    elif target == "BatchGetItem":
        yield from (r for r in (body.get("RequestItems") or {}).values() if isinstance(r, dict))
    else:
        yield body


def refusal(target, raw):
    """The ValidationException message for a call, or None (pure)."""
    try:
        body = json.loads(raw or "{}")
    except ValueError:
        return None  # moto answers malformed JSON itself
    if not isinstance(body, dict):
        return None
    for action in actions(target, body):
        message = unused(action)
        if message:
            return message
    return None


_call_action = DynamoHandler.call_action


def _checked_call_action(self):
    target = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
    message = refusal(target, self.body)
    if message is None:
        return _call_action(self)
    error = MockValidationException(message)
    headers = dict(error.get_headers() or [])
    headers["status"] = error.code
    return error.code, headers, error.description


if not getattr(DynamoHandler, "_runas_guard_expressions", False):
    DynamoHandler.call_action = _checked_call_action
    DynamoHandler._runas_guard_expressions = True
