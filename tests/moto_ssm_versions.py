"""moto server with exactly three SSM behaviours moto 5.2.5 lacks, EMULATED
for the integration tests (tests/reverts.rs, tests/canary.rs). Never used by
product code.

1. ``ListDocumentVersions`` (moto answers HTTP 500). Modelled on the AWS API
   model (botocore ``ssm/2014-11-06``): request ``Name``, ``MaxResults``
   (1..50), ``NextToken``; response ``DocumentVersions`` (``Name``,
   ``DocumentVersion``, ``CreatedDate``, ``IsDefaultVersion``,
   ``DocumentFormat``, ``Status``) and ``NextToken``; ``InvalidDocument``
   for a missing document, ``InvalidNextToken`` for a token it did not give.
   Versions are listed newest first; callers must not rely on the order.

2. SSM's per-document version limit (moto has none). With
   ``RUNAS_GUARD_TEST_SSM_VERSION_LIMIT=N`` set, ``UpdateDocument`` on a
   document that already holds N versions is refused the way the API model
   shapes it: error ``DocumentVersionLimitExceeded`` (HTTP 400), message
   "The document has too many versions. Delete one or more document versions
   and try again." It is checked where AWS would (after the document and the
   version are found valid, before the content is compared), and each
   refusal appends one line (``account region name count``) to the file named
   by ``RUNAS_GUARD_TEST_SSM_LIMIT_LOG``, so a test can assert that the
   emulated limit fired.

3. The tag limit of an SSM document (moto has none): "Most resources can
   have a maximum of 50 tags" (API reference, ``AddTagsToResource``). An
   ``AddTagsToResource`` with ``ResourceType`` ``Document`` that would leave
   the document with more than 50 tags, counting the keys it already
   carries (a key already there only takes the new value), is refused with
   the model's error for it, ``TooManyTagsError`` (HTTP 400, the model's
   message), and changes nothing. Every other resource type is moto's.

4. A version the document lacks, and ``$DEFAULT`` (found by the
   differential check, tests/sim/diff/). ``GetDocument``,
   ``DescribeDocument`` and ``UpdateDocumentDefaultVersion`` naming a
   version the (existing) document does not hold are refused
   ``InvalidDocumentVersion`` ("The document version isn't valid or doesn't
   exist.", each operation's "Errors" in the API reference; moto answers
   ``InvalidDocument``, which the reference keeps for a document that does
   not exist), and ``GetDocument``/``DescribeDocument`` take ``$DEFAULT``
   (the model's ``DocumentVersion`` pattern, ``([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)``)
   as the default version (moto answers ``InvalidDocument``).

Usage: the same arguments as ``moto_server`` (``-H 127.0.0.1 -p PORT``).
"""

import os
import sys

from moto.core.responses import ActionResult
import moto_dynamodb_atomic  # noqa: F401 - DynamoDB requests atomic, as AWS's are
import moto_ssm_created_date  # noqa: F401 - GetDocument answers CreatedDate, as AWS's does
import moto_ssm_sessions  # noqa: F401 - Session Manager's sessions (DescribeSessions), as AWS's
import moto_securityhub  # noqa: F401 - Security Hub's findings (BatchImportFindings, GetFindings), as AWS's
import moto_org_paths  # noqa: F401 - Organizations answers carry Account.Paths, as AWS's do
from moto.server import main
from moto.ssm import models as ssm_models
from moto.ssm import responses as ssm_responses
from moto.ssm.exceptions import InvalidDocument, InvalidDocumentVersion, SSMException


class DocumentVersionLimitExceeded(SSMException):
    def __init__(self):
        super().__init__(
            "DocumentVersionLimitExceeded",
            "The document has too many versions. Delete one or more document versions and try again.",
        )


class InvalidNextToken(SSMException):
    def __init__(self):
        super().__init__("InvalidNextToken", "The specified token isn't valid.")


class TooManyTagsError(SSMException):
    def __init__(self):
        super().__init__(
            "TooManyTagsError",
            "The Targets parameter includes too many tags. Remove one or more tags and try the command again.",
        )


# moto finds an error's service from its class's module, and takes any module
# named moto* for one of its own: imported by another launcher (not run as
# __main__), these errors' module ("moto_ssm_versions") failed that lookup
# with HTTP 500. They are SSM errors; say so.
for _error_class in (InvalidNextToken, DocumentVersionLimitExceeded, TooManyTagsError):
    _error_class.__module__ = "moto.ssm.exceptions"


LIMIT = os.environ.get("RUNAS_GUARD_TEST_SSM_VERSION_LIMIT")
LIMIT_LOG = os.environ.get("RUNAS_GUARD_TEST_SSM_LIMIT_LOG")

_update_document = ssm_models.SimpleSystemManagerBackend.update_document


def update_document(self, content, attachments, name, version_name, document_version, document_format,
                    target_type):
    documents = self._documents.get(name)
    if LIMIT and documents is not None and len(documents.versions) >= int(LIMIT):
        # Only a call AWS would otherwise accept on version grounds reaches the
        # limit: a stale DocumentVersion is refused first, as before.
        if document_version in ("$LATEST", documents.latest_version):
            if LIMIT_LOG:
                with open(LIMIT_LOG, "a", encoding="utf-8") as log:
                    log.write(f"{self.account_id} {self.region_name} {name} {len(documents.versions)}\n")
            raise DocumentVersionLimitExceeded()
    return _update_document(self, content, attachments, name, version_name, document_version, document_format,
                            target_type)


DOCUMENT_TAG_LIMIT = 50

_add_tags_to_resource = ssm_models.SimpleSystemManagerBackend.add_tags_to_resource


def add_tags_to_resource(self, resource_type, resource_id, tags):
    if resource_type == "Document" and resource_id in self._documents:
        carried = self._resource_tags.get("Document", {}).get(resource_id, {})
        if len(set(carried) | set(tags)) > DOCUMENT_TAG_LIMIT:
            raise TooManyTagsError()
    return _add_tags_to_resource(self, resource_type, resource_id, tags)


def list_document_versions(self, name, max_results, next_token):
    documents = self._documents.get(name)
    if not documents:
        raise InvalidDocument("The specified document does not exist.")
    ordered = sorted(documents.versions.values(), key=lambda d: int(d.document_version), reverse=True)
    start = 0
    if next_token:
        if not next_token.isdigit() or int(next_token) > len(ordered):
            raise InvalidNextToken()
        start = int(next_token)
    page = ordered[start:start + max_results]
    listed = [
        {
            "Name": d.name,
            "DocumentVersion": d.document_version,
            "CreatedDate": d.created_date,
            "IsDefaultVersion": d.document_version == documents.default_version,
            "DocumentFormat": d.document_format,
            "Status": d.status,
        }
        for d in page
    ]
    end = start + len(page)
    return listed, (str(end) if end < len(ordered) else None)


def list_document_versions_response(self):
    max_results = int(self._get_param("MaxResults", 50))
    if not 1 <= max_results <= 50:
        from moto.ssm.exceptions import ValidationException
        raise ValidationException("MaxResults must be between 1 and 50.")
    versions, token = self.ssm_backend.list_document_versions(
        name=self._get_param("Name"),
        max_results=max_results,
        next_token=self._get_param("NextToken"),
    )
    result = {"DocumentVersions": versions}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


ssm_models.SimpleSystemManagerBackend.update_document = update_document
ssm_models.SimpleSystemManagerBackend.list_document_versions = list_document_versions
ssm_models.SimpleSystemManagerBackend.add_tags_to_resource = add_tags_to_resource
ssm_responses.SimpleSystemManagerResponse.list_document_versions = list_document_versions_response


def _version_checked(original, takes_default):
    """Item 4: a version the document lacks, and ``$DEFAULT``."""

    def method(self, name, document_version, *rest, **kwargs):
        documents = self._documents.get(name)
        if documents is not None and document_version:
            if document_version == "$DEFAULT" and takes_default:
                document_version = documents.default_version
            elif document_version != "$LATEST" and document_version not in documents.versions:
                raise InvalidDocumentVersion("The document version is not valid or does not exist.")
        return original(self, name, document_version, *rest, **kwargs)

    return method


for _name, _takes_default in (
    ("get_document", True),
    ("describe_document", True),
    ("update_document_default_version", False),
):
    setattr(
        ssm_models.SimpleSystemManagerBackend,
        _name,
        _version_checked(getattr(ssm_models.SimpleSystemManagerBackend, _name), _takes_default),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
