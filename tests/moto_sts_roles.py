"""moto server whose ``AssumeRole`` needs the role to exist, as AWS's does,
EMULATED for the differential check of the simulated AWS (tests/sim/diff/);
never used by product code.

moto 5.2.5 lets ``AssumeRole`` into any ARN ("the role does not need to
exist", moto's own docstring), so a member account whose execution role is
missing (its member stack not landed, or deleted) looks reachable. AWS
refuses: the caller "is not authorized to perform: sts:AssumeRole on
resource" (HTTP 403, ``AccessDenied``; STS API reference, AssumeRole,
"Errors" and the IAM User Guide, "Troubleshooting IAM roles": "the role
must exist"). With ``RUNAS_GUARD_STS_ROLES=enforce`` set, an ``AssumeRole``
whose role (by name, in the ARN's account) is not in moto's IAM of that
account is refused so, and nothing is issued.

A member account made by ``CreateAccount`` can be reached through its
``OrganizationAccountAccessRole``, which moto (as AWS) makes in it.

With the same switch, Organizations answers the operations the product
reads (``ListRoots``, ``ListAccounts``, ``ListAccountsForParent``,
``ListOrganizationalUnitsForParent``, ``ListParents``, ``DescribeAccount``,
``DescribeOrganizationalUnit``) only to the management account: a member
account's caller is refused ``AccessDeniedException`` ("This operation can be
called only from the organization's management account or by a member
account that is a delegated administrator", each operation's API reference).
moto answers a member from its own empty backend (no accounts). Delegated
administrators are not emulated (every member is refused).
``DescribeOrganization``, which any account of the organization may call,
stays moto's.

Unset, it is off and the server is moto_ssm_versions.py's (which loads
every always-on emulation). Usage: the same arguments as ``moto_server``.
"""

import os
import sys

import moto_ssm_versions  # noqa: F401 - ListDocumentVersions, the version and tag limits; the always-on emulations
from moto.iam.models import iam_backends
from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import OrganizationsBackend, organizations_backends
from moto.server import main
from moto.sts import models as sts_models
from moto.sts.exceptions import STSClientError

ON = os.environ.get("RUNAS_GUARD_STS_ROLES") == "enforce"


class AccessDenied(STSClientError):
    code = "AccessDenied"

    def __init__(self, message):
        # HTTP 400 as moto answers its STS errors (AWS: 403); the SDK
        # reads the code.
        super().__init__("AccessDenied", message)


# moto serialises an error by looking its class up in the service's module
# (see moto_ssm_versions.py): say it is an STS error.
AccessDenied.__module__ = "moto.sts.exceptions"


def _role_exists(account, name):
    backend = iam_backends[account]["aws"]
    return any(r.name == name for r in backend.get_roles())


_assume_role = sts_models.STSBackend.assume_role


def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
    if ON:
        rest = role_arn.split(":", 5)
        account = rest[4] if len(rest) == 6 else ""
        name = rest[5].rsplit("/", 1)[-1] if len(rest) == 6 and rest[5].startswith("role/") else ""
        if not account or not name or not _role_exists(account, name):
            raise AccessDenied(
                f"User: arn:aws:iam::{self.account_id}:root is not authorized to perform: "
                f"sts:AssumeRole on resource: {role_arn}"
            )
    return _assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id)


sts_models.STSBackend.assume_role = assume_role



class AccessDeniedException(OrganizationsClientError):
    def __init__(self):
        super().__init__(
            "AccessDeniedException", "You don't have permissions to access this resource."
        )


AccessDeniedException.__module__ = "moto.organizations.exceptions"


def _management_only(original):
    def method(self, *args, **kwargs):
        if ON and self.account_id in organizations_backends.master_accounts:
            raise AccessDeniedException()
        return original(self, *args, **kwargs)

    return method


for _name in (
    "list_roots",
    "list_accounts",
    "list_accounts_for_parent",
    "list_organizational_units_for_parent",
    "list_parents",
    "describe_account",
    "describe_organizational_unit",
):
    setattr(OrganizationsBackend, _name, _management_only(getattr(OrganizationsBackend, _name)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
