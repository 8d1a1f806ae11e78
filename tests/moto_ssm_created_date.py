"""``GetDocument`` answers ``CreatedDate``, as SSM does; imported by every
local AWS the tests, the demo and the rehearsal start (beside
moto_dynamodb_atomic), never by product code. EMULATED.

The API model (botocore ``ssm/2014-11-06``, ``GetDocumentResult``) has
``CreatedDate``: "The date the SSM document was created" — for a version
asked by ``DocumentVersion``, that version's creation. moto 5.2.5 leaves
it out of ``GetDocument`` (``DescribeDocument`` has it). runas-guard reads
it from past versions to say when a Run As window opened and closed.
"""

from moto.ssm import models as ssm_models

_get_document = ssm_models.SimpleSystemManagerBackend.get_document


def _get_document_with_created_date(self, name, document_version, version_name, document_format):
    result = _get_document(self, name, document_version, version_name, document_format)
    documents = self._get_documents(name)
    version = documents.find(document_version, version_name)
    result["CreatedDate"] = version.created_date
    return result


if not getattr(ssm_models.SimpleSystemManagerBackend, "_runas_guard_created_date", False):
    ssm_models.SimpleSystemManagerBackend.get_document = _get_document_with_created_date
    ssm_models.SimpleSystemManagerBackend._runas_guard_created_date = True
