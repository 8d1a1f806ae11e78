"""moto server with a memoized access-key -> account lookup.

moto maps every request's access key to an account by scanning every
account's IAM backend (`moto.iam.models.get_account_id_from`), so its cost per
request grows with the number of accounts (LOCAL-AWS.md: ~5-6 ms at 1,000).
This launcher replaces that function with one that remembers successful
lookups in a dict and otherwise behaves the same, then runs moto's own server
(`moto.server.main`: werkzeug, threaded) in this process.

Answers stay identical: only keys that were found are remembered; a
remembered answer is re-checked with one dict lookup (the key must still be
in that account's IAM backend, e.g. after a reset it is not) and otherwise the
full scan runs. Unknown keys (such as the hub's `testing`) always take the
full scan and get moto's default account. The one theoretical difference is
an access key id present in two accounts at once (the scan returns the first
in insertion order); moto's random 20-character key ids make that impossible
in practice. With MOTO_FAST_VERIFY=1 every lookup also runs the original scan
and compares; the counts are printed to stderr at exit.

Two more costs that are pure overhead here go too, with the same answers:
moto's dispatcher lists its own package directory on every request
(`moto.backends.list_of_moto_modules`: an os.listdir plus a stat per entry,
~1 ms per request; the installed package does not change while it runs), so
that listing is computed once; and werkzeug's per-request access log is off.

    python bench/moto_fast.py PORT
"""

import atexit
import logging
import os
import sys

import moto.backends
import moto.iam.models as iam_models
import moto.server
from moto.utilities.utils import PARTITION_NAMES

_original = iam_models.get_account_id_from
_cache: dict[str, str] = {}
_stats = {"lookups": 0, "hits": 0, "verified": 0, "mismatches": 0}
_VERIFY = os.environ.get("MOTO_FAST_VERIFY") == "1"


def _still_there(account_id: str, access_key: str) -> bool:
    # dict.get: never create a backend as a side effect of checking.
    account = dict.get(iam_models.iam_backends, account_id)
    if account is None:
        return False
    for partition in PARTITION_NAMES:
        backend = dict.get(account, partition)
        if backend is not None and access_key in backend.access_keys:
            return True
    return False


def get_account_id_from(access_key: str) -> str:
    _stats["lookups"] += 1
    cached = _cache.get(access_key)
    if cached is not None and _still_there(cached, access_key):
        _stats["hits"] += 1
        answer = cached
    else:
        _cache.pop(access_key, None)
        answer = _original(access_key)
        if answer != iam_models.DEFAULT_ACCOUNT_ID or _still_there(answer, access_key):
            _cache[access_key] = answer
    if _VERIFY:
        _stats["verified"] += 1
        if _original(access_key) != answer:
            _stats["mismatches"] += 1
            print(f"moto_fast mismatch for {access_key}", file=sys.stderr, flush=True)
    return answer


def _report() -> None:
    print(f"moto_fast stats {_stats}", file=sys.stderr, flush=True)


def main() -> None:
    port = sys.argv[1]
    # moto.core.responses imports the function from the module at every call.
    iam_models.get_account_id_from = get_account_id_from
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: iter(modules)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    atexit.register(_report)
    moto.server.main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
