"""The demo's local AWS: moto server with the emulations the integration
tests use, in one process (each applies its patches on import):

- State Manager associations and managed nodes (tests/moto_ssm_associations.py,
  with tests/moto_ssm_versions.py): the run-as user check and readiness;
- Account Management's region operations (tests/moto_account_regions.py):
  `doctor`'s "regions enabled" check;
- Identity Center's access-control attributes (tests/moto_sso_attributes.py):
  what `why` and `[identity_center]` read;
- Organizations' `Account.Paths` and `OrganizationalUnit.Path`, as AWS
  answers them today (tests/moto_org_paths.py; `RUNAS_GUARD_ORG_PATHS=off`
  leaves them out): an account's OU path without a `ListParents` walk.

They are not AWS: see each file's docstring for how it differs. Usage: the
same arguments as `moto_server` (`-H 127.0.0.1 -p PORT`).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import moto_account_regions  # noqa: E402,F401 - its patches apply on import
import moto_dynamodb_atomic  # noqa: E402,F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: E402,F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: E402,F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: E402,F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: E402,F401 - Organizations answers carry Account.Paths, as AWS's do
import moto_ssm_associations  # noqa: E402,F401
import moto_sso_attributes  # noqa: E402,F401
from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
