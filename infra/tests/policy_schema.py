"""The policy file's keys, read from the Rust source.

``current_keys`` reads this checkout's schema: the ``allowed`` table of the
file under ``src/`` that lists the keys each policy table may hold (today
src/policy/schema.rs, whose own test holds it to the serde structs of
src/policy/raw.rs). It is found by what it says, not by its path, so a
file moved within ``src/`` is still found. ``raw_struct_keys`` reads a
``raw.rs`` of a release (its serde structs, each ``deny_unknown_fields``)
into the same shape.
"""

import os
import re

from . import cfn

SRC = os.path.join(cfn.REPO_ROOT, "src")
ALLOWED = re.compile(r"fn allowed\(path: &str\)[^{]*\{(.*?)_ => return None", re.S)
ARM = re.compile(r'((?:"[^"]*"\s*\|\s*)*"[^"]*")\s*=>\s*&\[(.*?)\]', re.S)
# raw.rs's serde structs and the tables they are read into.
STRUCT_TABLES = {
    "RawPolicy": [""],
    "RawRule": ["default"],
    "RawScope": ["scope"],
    "RawScoped": ["ou", "account", "document.ou", "document.account"],
    "RawExempt": ["exempt"],
    "RawDocument": ["document"],
    "RawNodes": ["nodes"],
    "RawSessionDocuments": ["session_documents"],
    "RawRunAsTags": ["run_as_tags"],
    "RawIdentityCenter": ["identity_center"],
    "RawCanary": ["forwarding_canary"],
}


class SchemaNotFound(AssertionError):
    pass


def rust_sources():
    for directory, dirs, files in os.walk(SRC):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as handle:
                    yield path, handle.read()


def schema_source():
    """(path, text) of the file under src/ that holds the policy's key table."""
    for path, text in rust_sources():
        if ALLOWED.search(text) and '"member_role"' in text:
            return path, text
    raise SchemaNotFound("no file under src/ has the policy's key table (fn allowed(path: &str) -> ...)")


def allowed_keys(text):
    """{table: [keys]} of an ``allowed`` function's match arms."""
    body = ALLOWED.search(text).group(1)
    tables = {}
    for names, keys in ARM.findall(body):
        for table in re.findall(r'"([^"]*)"', names):
            tables[table] = re.findall(r'"([^"]+)"', keys)
    return tables


def current_keys():
    """This checkout's policy keys: the schema's table, else (the table
    moved or renamed) the serde structs of the file that defines
    ``struct RawPolicy``."""
    try:
        return allowed_keys(schema_source()[1])
    except SchemaNotFound:
        pass
    for _, text in rust_sources():
        if re.search(r"struct RawPolicy \{", text):
            return raw_struct_keys(text)
    raise SchemaNotFound("no file under src/ lists the policy's keys (fn allowed(path: &str), or struct "
                         "RawPolicy): point infra/tests/policy_schema.py at where they are now")


def raw_struct_keys(text):
    """{table: [keys]} of a raw.rs's structs (the fields' names, in order)."""
    tables = {}
    for struct, body in re.findall(r"pub(?:\(super\))? struct (\w+) \{(.*?)\n\}", text, re.S):
        fields = re.findall(r"^\s*pub (\w+):", body, re.M)
        for table in STRUCT_TABLES.get(struct, []):
            tables[table] = fields
    return tables


def added_since(old, new):
    """The (table, key) pairs ``new`` accepts and ``old`` does not, in ``new``'s order."""
    return [(table, key) for table, keys in new.items() for key in keys if key not in old.get(table, [])]
