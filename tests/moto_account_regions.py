"""moto server with the Account Management region operations moto 5.2.5
lacks, EMULATED for the integration tests (tests/doctor.rs). Never used by
product code, which talks to it as to AWS.

Modelled on the AWS API model (botocore ``account/2021-02-01``, REST-JSON):

- ``ListRegions`` (``POST /listRegions``): request ``AccountId``,
  ``MaxResults`` (1..50, default 20), ``NextToken``,
  ``RegionOptStatusContains``; response ``Regions`` (``RegionName``,
  ``RegionOptStatus``) and ``NextToken``.
- ``EnableRegion`` / ``DisableRegion`` (``POST /enableRegion``,
  ``/disableRegion``): request ``AccountId``, ``RegionName``.
- ``GetRegionOptStatus`` (``POST /getRegionOptStatus``).

Errors as AWS shapes them: ``ValidationException`` for a bad ``MaxResults``,
an unknown region or a region enabled by default; ``AccessDeniedException``
when ``AccountId`` names another account and the caller's organization has
not enabled trusted access for ``account.amazonaws.com`` (or the account is
not in its organization).

How it differs from AWS: ``EnableRegion`` makes a region ``ENABLED`` at once
(AWS passes through ``ENABLING`` for minutes) and ``DisableRegion`` makes it
``DISABLED`` at once; the region catalogue is fixed below.

Usage: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``).
"""

import sys

from moto.account import responses as account_responses
from moto.account import urls as account_urls
from moto.account.models import account_backends
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.organizations.models import organizations_backends
import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do
from moto.server import main

ENABLED_BY_DEFAULT = [
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
]
OPT_IN = [
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
]
STATUSES = {"ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT"}


class ValidationException(JsonRESTError):
    def __init__(self, message):
        super().__init__("ValidationException", message)


class AccessDeniedException(JsonRESTError):
    def __init__(self, message):
        super().__init__("AccessDeniedException", message)


def _opt_ins(account_id, partition):
    backend = account_backends[account_id][partition]
    if not hasattr(backend, "region_opt_ins"):
        backend.region_opt_ins = {r: "DISABLED" for r in OPT_IN}
    return backend.region_opt_ins


def _status(account_id, partition, region):
    if region in ENABLED_BY_DEFAULT:
        return "ENABLED_BY_DEFAULT"
    return _opt_ins(account_id, partition)[region]


def _target(self):
    """The account asked about; another account needs trusted access."""
    target = self._get_param("AccountId")
    caller = self.current_account
    if not target or target == caller:
        return caller
    orgs = organizations_backends[caller][self.partition]
    enabled = [s["ServicePrincipal"] for s in (orgs.services if orgs.org else [])]
    members = [a.id for a in (orgs.accounts if orgs.org else [])]
    if "account.amazonaws.com" not in enabled or target not in members:
        raise AccessDeniedException(
            f"User: arn:aws:iam::{caller}:root is not authorized to perform: account:ListRegions "
            f"on resource: arn:aws:account::{caller}:account/{target} "
            "(trusted access for AWS Account Management is not enabled in the organization)"
        )
    return target


def _region_param(self):
    region = self._get_param("RegionName")
    if region not in ENABLED_BY_DEFAULT and region not in OPT_IN:
        raise ValidationException(f"The region {region} is not a valid region name.")
    return region


def list_regions(self):
    account = _target(self)
    max_results = int(self._get_param("MaxResults", 20))
    if not 1 <= max_results <= 50:
        raise ValidationException("MaxResults must be between 1 and 50.")
    wanted = self._get_param("RegionOptStatusContains") or []
    if any(s not in STATUSES for s in wanted):
        raise ValidationException("RegionOptStatusContains has an invalid status.")
    regions = [
        {"RegionName": r, "RegionOptStatus": _status(account, self.partition, r)}
        for r in sorted(ENABLED_BY_DEFAULT + OPT_IN)
    ]
    regions = [r for r in regions if not wanted or r["RegionOptStatus"] in wanted]
    token = self._get_param("NextToken")
    start = 0
    if token:
        if not token.isdigit() or int(token) > len(regions):
            raise ValidationException("The NextToken is not valid.")
        start = int(token)
    page = regions[start:start + max_results]
    result = {"Regions": page}
    if start + max_results < len(regions):
        result["NextToken"] = str(start + max_results)
    return ActionResult(result)


def _set(self, status):
    account = _target(self)
    region = _region_param(self)
    if region in ENABLED_BY_DEFAULT:
        raise ValidationException(f"The region {region} is enabled by default and cannot be changed.")
    _opt_ins(account, self.partition)[region] = status
    return EmptyResult()


def enable_region(self):
    return _set(self, "ENABLED")


def disable_region(self):
    return _set(self, "DISABLED")


def get_region_opt_status(self):
    account = _target(self)
    region = _region_param(self)
    return ActionResult({"RegionName": region, "RegionOptStatus": _status(account, self.partition, region)})


account_responses.AccountResponse.list_regions = list_regions
account_responses.AccountResponse.enable_region = enable_region
account_responses.AccountResponse.disable_region = disable_region
account_responses.AccountResponse.get_region_opt_status = get_region_opt_status
for op in ("listRegions", "enableRegion", "disableRegion", "getRegionOptStatus"):
    account_urls.url_paths["{0}/" + op + "$"] = account_responses.AccountResponse.dispatch

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
