"""moto server whose DynamoDB requests are atomic, as DynamoDB's are. Used by
every local AWS the tests, the demo and the rehearsal start (each launcher
imports it); never by product code.

DynamoDB applies a write and its ``ConditionExpression`` as one step: "the
write succeeds only if the condition evaluates to true", and concurrent
conditional writes on one item are serialised (Developer Guide, "Condition
expressions" and "Conditional writes",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
moto 5.2.5 serves each request on its own thread and reads the item,
evaluates the condition and writes with no lock between them: two
``UpdateItem`` calls with ``attribute_not_exists(pk)`` arriving together can
both succeed, and a read can see an update half applied. On a loaded 2-core
machine that let two deliveries of one event both claim it. Importing this
module runs each DynamoDB request under one lock, so a request is atomic
against every other, which is what the product relies on (one claim per
event, one lease holder per account-region). It also loads
moto_dynamodb_expressions: names and values no expression uses are refused,
as DynamoDB refuses them.

Usage as a launcher: the same arguments as ``moto_server``; the launcher
also loads the other always-on emulations (moto_ssm_created_date,
moto_ssm_sessions, moto_securityhub, moto_org_paths), which every launcher
imports beside this.
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

import moto_dynamodb_expressions  # noqa: F401 - unused expression names and values refused, as AWS refuses them

_LOCK = threading.RLock()
_call_action = DynamoHandler.call_action


def _atomic_call_action(self):
    with _LOCK:
        return _call_action(self)


if not getattr(DynamoHandler, "_runas_guard_atomic", False):
    DynamoHandler.call_action = _atomic_call_action
    DynamoHandler._runas_guard_atomic = True

if __name__ == "__main__":
    # The tests' plain local AWS: the other always-on emulations too.
    import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
    import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
    import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
    import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do

    sys.exit(main(sys.argv[1:]))
