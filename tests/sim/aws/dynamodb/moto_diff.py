"""Differential check of the simulated DynamoDB against moto (the local AWS).

The Rust side (`cases_for_the_differential_check`, an ignored test in
tests.rs) writes what the simulation answers to every write and read the
product sends (on an absent and on a sample item) and to requests AWS
refuses. This plays the same requests against moto, on a table made as
infra/hub.yaml makes it, and compares:

- the product's writes and reads: the answers must be the same (sets in any
  order); any difference fails;
- the refused requests (the simulation refuses each, as AWS does): where
  moto is kinder than AWS (it accepts, or evaluates what AWS refuses) that
  is listed, not failed.

    SIMDDB_DIFF_DIR=/tmp/d cargo test --test simulation cases_for_the_differential_check -- --ignored
    PATH=$PWD/.venv/bin:$PATH python3 tests/sim/aws/dynamodb/moto_diff.py /tmp/d/simddb-cases.json
"""

import json
import sys

import boto3
from moto import mock_aws

TABLE = "runas-guard-state"


def fresh(client):
    try:
        client.delete_table(TableName=TABLE)
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "state_shard")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "state",
                "KeySchema": [
                    {"AttributeName": "state_shard", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def norm(value):
    """Sets compare in any order."""
    if isinstance(value, dict):
        return {k: (sorted(v) if k in ("SS", "NS") else norm(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def call(client, op, req):
    method = {
        "GetItem": client.get_item,
        "PutItem": client.put_item,
        "UpdateItem": client.update_item,
        "DeleteItem": client.delete_item,
        "Query": client.query,
        "Scan": client.scan,
    }[op]
    try:
        out = method(**req)
        # moto answers ConsumedCapacity unasked; AWS only when asked.
        return {k: v for k, v in out.items() if k not in ("ResponseMetadata", "ConsumedCapacity")}
    except client.exceptions.ClientError as e:
        return {"error": e.response["Error"]["Code"]}
    except Exception as e:  # moto or botocore failing before an answer
        return {"error": "client-side " + type(e).__name__}


def main(path):
    cases = json.load(open(path))
    failures, kinder = [], []
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for w in cases["writes"]:
            fresh(client)
            if w["existing"]:
                client.put_item(TableName=TABLE, Item=cases["sample"])
            got = call(client, "UpdateItem", w["req"])
            if norm(got) != norm(w["answer"]):
                failures.append(f"{w['from']} (item present: {w['existing']}): moto {got} / sim {w['answer']}")
        for r in cases["reads"]:
            fresh(client)
            client.put_item(TableName=TABLE, Item=cases["sample"])
            got = call(client, r["op"], r["req"])
            if norm(got) != norm(r["answer"]):
                failures.append(f"{r['from']}: moto {got} / sim {r['answer']}")
        for m in cases["refused"]:
            fresh(client)
            got = call(client, m["op"], m["req"]).get("error", "ok")
            if got != m["code"] and m["code"] != "SimUnsupportedExpression":
                kinder.append(f"{m['why']}: sim {m['code']}, moto {got}")
    total = len(cases["writes"]) + len(cases["reads"])
    print(f"{total} product requests compared, {len(cases['refused'])} refusals")
    for k in kinder:
        print("moto differs (AWS refuses, as the simulation does):", k)
    for f in failures:
        print("DIFFERENCE:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
