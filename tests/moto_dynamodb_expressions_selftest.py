"""Checks tests/moto_dynamodb_expressions.py: names and values no expression
uses are refused, as DynamoDB refuses them; used ones are not.

Run: .venv/bin/python tests/moto_dynamodb_expressions_selftest.py
The pure rule first (a table, hostile inputs), then the local AWS as the
tests start it: an update and a transaction with a spare name are refused
with DynamoDB's words and write nothing; the same without it is written.
"""

import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import emulator_server  # noqa: E402
from moto_dynamodb_expressions import refusal  # noqa: E402

NAMES = "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
VALUES = "Value provided in ExpressionAttributeValues unused in expressions: keys: {"

CASES = [
    ("all used", "UpdateItem", {"UpdateExpression": "SET #a = :a", "ExpressionAttributeNames": {"#a": "a"}, "ExpressionAttributeValues": {":a": {"S": "x"}}}, None),
    ("a spare name", "UpdateItem", {"UpdateExpression": "SET #a = :a", "ExpressionAttributeNames": {"#a": "a", "#made": "made"}, "ExpressionAttributeValues": {":a": {"S": "x"}}}, NAMES + "#made}"),
    ("a spare value", "PutItem", {"ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":v": {"S": "x"}}}, VALUES + ":v}"),
    ("used in the condition only", "UpdateItem", {"UpdateExpression": "SET a = :a", "ConditionExpression": "#b < :b", "ExpressionAttributeNames": {"#b": "b"}, "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"N": "2"}}}, None),
    ("a prefix is not a use", "UpdateItem", {"UpdateExpression": "SET #ab = :a", "ExpressionAttributeNames": {"#ab": "ab", "#a": "a"}, "ExpressionAttributeValues": {":a": {"S": "x"}}}, NAMES + "#a}"),
    ("query's key and filter", "Query", {"KeyConditionExpression": "pk = :pk", "FilterExpression": "#t > :t", "ExpressionAttributeNames": {"#t": "ttl"}, "ExpressionAttributeValues": {":pk": {"S": "p"}, ":t": {"N": "1"}}}, None),
    ("a projection's names", "GetItem", {"ProjectionExpression": "#a, b", "ExpressionAttributeNames": {"#a": "a"}}, None),
    ("a transaction's second action", "TransactWriteItems", {"TransactItems": [{"ConditionCheck": {"ConditionExpression": "attribute_exists(pk)"}}, {"Update": {"UpdateExpression": "SET #a = :a", "ExpressionAttributeNames": {"#a": "a", "#x": "x"}, "ExpressionAttributeValues": {":a": {"S": "x"}}}}]}, NAMES + "#x}"),
    ("a batch get's table", "BatchGetItem", {"RequestItems": {"t": {"Keys": [], "ProjectionExpression": "pk", "ExpressionAttributeNames": {"#a": "a"}}}}, NAMES + "#a}"),
    ("no expressions, no maps", "GetItem", {"Key": {}}, None),
    # Hostile: not JSON, not an object, maps of the wrong type.
    ("not JSON", "UpdateItem", "{", None),
    ("not an object", "UpdateItem", "[1]", None),
    ("names not a map", "UpdateItem", {"UpdateExpression": "SET a = :a", "ExpressionAttributeNames": ["#a"], "ExpressionAttributeValues": {":a": {"S": "x"}}}, None),
    ("transaction items not objects", "TransactWriteItems", {"TransactItems": ["x", 1, None]}, None),
]


def check_rule():
    import json
    failed = 0
    for why, target, body, want in CASES:
        raw = body if isinstance(body, str) else json.dumps(body)
        got = refusal(target, raw)
        if got != want:
            print(f"FAIL {why}: {got!r}, want {want!r}")
            failed += 1
    return failed


def check_server():
    proc, url = emulator_server.start([sys.executable, str(HERE / "moto_dynamodb_atomic.py")])
    try:
        ddb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        update = dict(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="SET #a = :a",
                      ExpressionAttributeNames={"#a": "a", "#made": "made"},
                      ExpressionAttributeValues={":a": {"S": "x"}})
        failed = 0
        for what, call in [
            ("UpdateItem", lambda: ddb.update_item(**update)),
            ("TransactWriteItems", lambda: ddb.transact_write_items(TransactItems=[{"Update": update}])),
        ]:
            try:
                call()
                print(f"FAIL {what} with a spare name was written")
                failed += 1
            except ClientError as e:
                err = e.response["Error"]
                if err["Code"] != "ValidationException" or not err["Message"].startswith(NAMES):
                    print(f"FAIL {what}: {err}")
                    failed += 1
        if "Item" in ddb.get_item(TableName="t", Key={"pk": {"S": "a"}}):
            print("FAIL a refused request wrote")
            failed += 1
        del update["ExpressionAttributeNames"]["#made"]
        ddb.update_item(**update)
        if ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["a"] != {"S": "x"}:
            print("FAIL the same update without the spare name was not written")
            failed += 1
        return failed
    finally:
        emulator_server.stop(proc)


def main():
    failed = check_rule() + check_server()
    if failed:
        return 1
    print(f"ok expressions: {len(CASES)} rule cases; spare names refused as DynamoDB refuses them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
