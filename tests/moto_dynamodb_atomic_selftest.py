"""Checks tests/moto_dynamodb_atomic.py: many conditional claims of one item
sent at once leave exactly one winner, as in DynamoDB.

Run: .venv/bin/python tests/moto_dynamodb_atomic_selftest.py
It runs the same race against moto as it comes too, and requires that one to
have more than one winner: the race this module closes is real, and this
test would see it come back.
"""

import sys
import threading
from pathlib import Path

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import emulator_server  # noqa: E402

CLAIMERS = 24
ROUNDS = 5


def client(url):
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(max_pool_connections=CLAIMERS, retries={"max_attempts": 1}),
    )


def race(ddb, key):
    """How many of CLAIMERS simultaneous `attribute_not_exists` claims won."""
    start = threading.Barrier(CLAIMERS)
    won = []

    def claim(me):
        start.wait()
        try:
            ddb.update_item(
                TableName="t", Key={"pk": {"S": key}},
                UpdateExpression="SET #o = :me",
                ConditionExpression="attribute_not_exists(pk) OR #o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": str(me)}},
            )
            won.append(me)
        except ddb.exceptions.ConditionalCheckFailedException:
            pass

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


def winners(plain):
    """Winners per item over ROUNDS races, against moto plain or made atomic."""
    # The server pauses between reading the item and judging the condition
    # (where a loaded machine switches threads), so the race shows on an
    # idle one too.
    code = (
        "import sys, time; "
        "from moto.dynamodb.models.table import Table; "
        "read = Table.get_item; "
        "Table.get_item = lambda *a, **k: (read(*a, **k), time.sleep(0.02))[0]; "
        f"sys.path.insert(0, {str(HERE)!r}); "
        + ("" if plain else "import moto_dynamodb_atomic; ")
        + "from moto.server import main; sys.exit(main(sys.argv[1:]))"
    )
    command = [sys.executable, "-c", code]
    proc, url = emulator_server.start(command)
    try:
        ddb = client(url)
        ddb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        won = [len(race(ddb, f"event-{r}")) for r in range(ROUNDS)]
    finally:
        emulator_server.stop(proc)
    return won


def main():
    plain, atomic = winners(plain=True), winners(plain=False)
    print(f"winners per item, moto as it comes: {plain}; made atomic: {atomic}")
    if all(w == 1 for w in plain):
        print("FAIL: moto as it comes showed no race: this test cannot see one")
        return 1
    if any(w != 1 for w in atomic):
        print("FAIL: a conditional claim was won more than once (or never)")
        return 1
    print("ok atomic: one winner per item where moto alone lets several win")
    return 0


if __name__ == "__main__":
    sys.exit(main())
