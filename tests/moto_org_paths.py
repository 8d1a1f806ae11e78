"""moto server whose Organizations answers carry ``Account.Paths`` and
``OrganizationalUnit.Path``, as AWS's do since its API model of 2026-03-31
(botocore ``organizations/2016-11-28``). EMULATED, and on in every local AWS
the tests, the demo, the rehearsal and the bench start (each launcher
imports it beside moto_dynamodb_atomic, so the local AWS answers as AWS does
today); never used by product code, which talks to it as to AWS.

moto 5.2.5 never answers either field. This launcher adds them to the
answers of ``DescribeAccount``, ``ListAccounts``, ``ListAccountsForParent``
(every ``Account`` object: ``Paths``, a list of one string) and of
``DescribeOrganizationalUnit``, ``ListOrganizationalUnitsForParent``,
``CreateOrganizationalUnit``, ``UpdateOrganizationalUnit`` (every
``OrganizationalUnit`` object: ``Path``), built from moto's own tree at the
time of the answer (so a ``MoveAccount`` shows at once):

    o-<org>/r-<root>/ou-<root>-<x>/.../<account id>/     (an account)
    o-<org>/r-<root>/ou-<root>-<x>/.../ou-<root>-<y>/    (an OU: itself last)

``RUNAS_GUARD_ORG_PATHS=off`` leaves both out (answers as before the model
of 2026-03-31, as plain moto gives them). How it differs from AWS: an
account is always given exactly one path (AWS documents a list and does not
say when it holds more); an answer for an object moto cannot place (no
organization in the caller's backend) is left as moto gave it.

``ListParents`` of a child Organizations does not know (EMULATED, always
on): ``ChildNotFoundException``, the one not-found error the API reference
names for it; moto answers ``AccountNotFoundException`` (or
``OrganizationalUnitNotFoundException``).

Organizations lives (EMULATED, always on): moto keeps an account's first
``JoinedTimestamp`` for good (it has no remove-and-rejoin); AWS gives an
account that left and joined again the time of its latest join, in
``DescribeAccount``, ``ListAccounts`` and ``ListAccountsForParent`` alike.
``POST /_emulated/organizations/rejoin`` ``{"account": ID, "joined": EPOCH
SECONDS}`` (``joined`` defaults to now) says the account left and joined
again then: every later answer carries that ``JoinedTimestamp``.
``GET /_emulated/organizations/rejoined`` lists what was said.

Importing this module applies the patch (unless switched off; the lives
always). Usage as a
launcher: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``);
it then loads the other always-on emulations too, as moto_dynamodb_atomic's
launcher does.
"""

import json
import os
import sys
import time

from emulator_control import ControlError, serve

from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import OrganizationsBackend, organizations_backends
from moto.organizations.responses import OrganizationsResponse
from moto.server import main

ON = os.environ.get("RUNAS_GUARD_ORG_PATHS", "on") != "off"

# The answers that carry Account objects (their JoinedTimestamp).
ACCOUNT_ACTIONS = ["describe_account", "list_accounts", "list_accounts_for_parent"]

# Account id -> the epoch seconds of its latest join, where it rejoined.
REJOINED = {}

# The answers that carry Account or OrganizationalUnit objects.
ACTIONS = [
    "describe_account",
    "list_accounts",
    "list_accounts_for_parent",
    "describe_organizational_unit",
    "list_organizational_units_for_parent",
    "create_organizational_unit",
    "update_organizational_unit",
]


def _backend(response):
    """The backend that holds the caller's organization (a delegated
    administrator's calls are answered from the management account's)."""
    backend = response.organizations_backend
    if backend.org is None:
        entry = organizations_backends.master_accounts.get(response.current_account)
        if entry:
            backend = organizations_backends[entry[0]][entry[1]]
    return backend if backend.org is not None else None


def _path(backend, leaf_id, parent_id):
    """``o-…/r-…/…/<leaf_id>/`` from ``parent_id`` up to the root; None when
    the chain does not reach the root in moto's tree."""
    parts = [leaf_id]
    ous = {ou.id: ou for ou in backend.ou}
    current = parent_id
    for _ in range(10):
        node = ous.get(current)
        if node is None:
            return None
        parts.append(node.id)
        if node.id == backend.org.root_id:
            parts.append(backend.org.id)
            return "/".join(reversed(parts)) + "/"
        current = node.parent_id
    return None


def _add(backend, value):
    """Adds ``Paths`` to every account object and ``Path`` to every OU
    object found at any depth of ``value``."""
    if isinstance(value, list):
        for v in value:
            _add(backend, v)
        return
    if not isinstance(value, dict):
        return
    for key, v in value.items():
        if key in ("Account", "Accounts"):
            for a in v if isinstance(v, list) else [v]:
                account = next((x for x in backend.accounts if x.id == a.get("Id")), None)
                path = account and _path(backend, account.id, account.parent_id)
                if path:
                    a["Paths"] = [path]
        elif key in ("OrganizationalUnit", "OrganizationalUnits"):
            for o in v if isinstance(v, list) else [v]:
                ou = next((x for x in backend.ou if x.id == o.get("Id")), None)
                path = ou and _path(backend, ou.id, ou.parent_id)
                if path:
                    o["Path"] = path
        else:
            _add(backend, v)


def _rejoined(value):
    """Every account object found at any depth of ``value`` that rejoined
    carries the time of its latest join."""
    if isinstance(value, list):
        for v in value:
            _rejoined(v)
        return
    if not isinstance(value, dict):
        return
    for key, v in value.items():
        if key in ("Account", "Accounts"):
            for a in v if isinstance(v, list) else [v]:
                if isinstance(a, dict) and a.get("Id") in REJOINED:
                    a["JoinedTimestamp"] = REJOINED[a["Id"]]
        else:
            _rejoined(v)


def _answered_as_aws(original, paths, lives):
    def answer(self):
        body = original(self)
        backend = _backend(self)
        if not isinstance(body, str) or backend is None:
            return body
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        if paths:
            _add(backend, parsed)
        if lives:
            _rejoined(parsed)
        return json.dumps(parsed)

    return answer


def _rejoin(body):
    account = body.get("account")
    if not isinstance(account, str) or not account.isdigit() or len(account) != 12:
        raise ControlError("account: a 12-digit account id")
    joined = body.get("joined", time.time())
    if not isinstance(joined, (int, float)) or isinstance(joined, bool):
        raise ControlError("joined: epoch seconds")
    REJOINED[account] = joined
    return {"account": account, "joined": joined}


ROUTES = {
    ("POST", "/_emulated/organizations/rejoin"): _rejoin,
    ("GET", "/_emulated/organizations/rejoined"): lambda _body: {"rejoined": REJOINED},
}

if not getattr(OrganizationsResponse, "_runas_guard_paths", False):
    for action in set(ACTIONS if ON else []) | set(ACCOUNT_ACTIONS):
        original = getattr(OrganizationsResponse, action)
        setattr(OrganizationsResponse, action,
                _answered_as_aws(original, ON, action in ACCOUNT_ACTIONS))
    OrganizationsResponse._runas_guard_paths = True
    serve("/_emulated/organizations", ROUTES)


class ChildNotFoundException(OrganizationsClientError):
    def __init__(self):
        super().__init__(
            "ChildNotFoundException",
            "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
        )


# moto serialises an error by its class's module (see moto_ssm_versions.py).
ChildNotFoundException.__module__ = "moto.organizations.exceptions"

_list_parents = OrganizationsBackend.list_parents


def _list_parents_as_aws(self, **kwargs):
    """``ListParents`` of a child Organizations does not know is
    ``ChildNotFoundException`` (the API reference's errors for ListParents
    name no other not-found error); moto answers ``AccountNotFoundException``
    or ``OrganizationalUnitNotFoundException`` (found by the differential
    check, tests/sim/diff/). EMULATED, always on."""
    try:
        return _list_parents(self, **kwargs)
    except OrganizationsClientError as e:
        if e.code not in ("AccountNotFoundException", "OrganizationalUnitNotFoundException"):
            raise
        raise ChildNotFoundException() from None


if not getattr(OrganizationsBackend, "_runas_guard_children", False):
    OrganizationsBackend.list_parents = _list_parents_as_aws
    OrganizationsBackend._runas_guard_children = True

if __name__ == "__main__":
    # The tests' plain local AWS with this switch: the other always-on emulations too.
    import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
    import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
    import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
    import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's

    sys.exit(main(sys.argv[1:]))
