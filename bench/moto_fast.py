"""moto server without moto's avoidable per-request costs; same answers.

The benchmark should measure runas-guard, not how moto spends its CPU, and
moto answers on one core (one process, GIL). This launcher runs moto's own
server (`moto.server.main`: werkzeug, threaded, moto's WSGI app) in this
process after replacing a few of moto's internals with exact equivalents that
cost less. Each patch below says why its answers cannot differ; MOTO_FAST_VERIFY=1
also checks every cached answer against moto's own code at run time (the counts,
`mismatches` summed over all checks, are printed to stderr at exit), and
bench/moto_fast_check.py compares whole HTTP answers with plain moto's.

    python bench/moto_fast.py PORT
    MOTO_FAST=none python bench/moto_fast.py PORT        # plain moto, for comparison
    MOTO_FAST=lookup,ddb python bench/moto_fast.py PORT  # only some patches
    MOTO_FAST_ASSOCIATIONS=1 python bench/moto_fast.py PORT  # + State Manager associations
    RUNAS_GUARD_ORG_PATHS=off python bench/moto_fast.py PORT # Organizations without Paths

Organizations answers carry `Account.Paths` and `OrganizationalUnit.Path`, as
AWS's do today (tests/moto_org_paths.py, the tests' emulation, imported in
every mode, MOTO_FAST=none included, so bench/moto_fast_check.py compares like
with like); `RUNAS_GUARD_ORG_PATHS=off` leaves them out, as older answers did.
None of the patches below touches Organizations' response class it wraps.

MOTO_FAST_ASSOCIATIONS=1 also loads the tests' emulation of SSM State Manager
associations and a managed-node fleet (tests/moto_ssm_associations.py, which
carries tests/moto_ssm_versions.py; moto has neither) before the server starts,
for the benchmark's run-as user check phase. It is imported as it is, the same
module tests/nodes.rs runs (its control endpoints `/_emulated/ssm/...` included);
none of the patches below replaces anything it defines or calls differently
(it adds SSM actions to moto's SSM response class, which the `dispatch` memo
lists on the first request, after the import). bench/moto_fast_check.py runs an
association scenario against it with MOTO_FAST=none and MOTO_FAST=all.

Patches (MOTO_FAST=all, the default, is all of them):

lookup    moto maps every request's access key to an account by scanning every
          account's IAM backend in every partition
          (`moto.iam.models.get_account_id_from`), so a request costs more the more
          accounts there are; a key that is in no account (the hub's static
          `testing`) takes the full scan every time, ~5 ms at 1,000 accounts.
          New keys cost a full scan too: every AssumeRole makes one (1,000 per
          sweep). The answer is memoized, hits and misses, and stays exact because
          an access key enters an IAM backend at exactly two places
          (`IAMBackend.create_access_key`, `IAMBackend.create_temp_access_key`:
          IAM users' keys and STS's assumed-role and session credentials), both
          wrapped here: the new key's answer is its own account, which is what
          the scan would find because moto's key ids name their account (account
          // 2 in base32 and a parity-dependent character, so ids made for
          different accounts differ) and each new key's id is checked to name the
          account it is put in (if one ever does not, new keys are only forgotten
          from then on, and the next lookup scans); a key leaves one only by
          `delete_access_key_by_name` or a reset, so a remembered hit is
          re-checked with one dict lookup (is the key still in that account's
          backend?). A generation counter keeps a lookup that raced with a key's
          creation from storing its stale answer.
          (moto's scan also creates, as a side effect, the empty IAM backend of
          every partition of every account it passes; with the memo those come
          into being at other times or on first use. No AWS answer shows it, only
          the order of objects in moto's debugging dump /moto-api/data.json.)
modules   moto's dispatcher lists its own package directory on every request
          (`moto.backends.list_of_moto_modules`: an os.listdir plus a stat per
          entry, ~1 ms); the installed package does not change while it runs,
          so the listing is computed once.
ddb       DynamoDB UpdateItem parses its UpdateExpression twice per request and
          validates it with ten tree walks over a deep copy, two of them
          quadratic in the number of actions (~7 ms for runas-guard's 20-action
          record). (a) `UpdateExpressionParser.make` is memoized by expression
          string (successful parses only): every user of the tree reads it
          (`find_clauses`) or deep-copies it first (`Validator.__init__`), which
          the verify mode checks by comparing the cached tree with a fresh parse.
          (b) that deep copy of a memoized tree is made by unpickling a pickle
          taken when it was memoized: the same classes, attributes and shared
          references as `copy.deepcopy` gives (node objects hold only str, list,
          None and other nodes; no custom copy hooks), at a third of the cost.
          (c) of `UpdateExpressionValidator`'s processors the first three
          (ActionCountValidator, OverlappingPathsValidator,
          UpdateHashRangeKeyValidator) look only at the tree, the attribute
          names and the table's key attributes, return each node unchanged, and
          either raise or not: once they passed for a (expression, names, key
          attributes) they are skipped for it (the next seven, which read the
          item and the values, always run, in order). (d) each tree walker's
          `_processing_map()` is a literal {node class: bound method} dict, so
          its key tuple and items are computed once per walker, not per node,
          and (e) which of them applies to a node is an isinstance() question
          about the node's class (ABCs, nothing registered), answered once per
          (walker class, node class). (f) `Item.project` (a ProjectionExpression)
          converts the whole item to plain JSON once per projected name; with
          distinct top-level names it converts each projected attribute once,
          which yields the same values in the same order. (g) A ConditionExpression's
          lexing reads only the string: remembered, handed out as new tuples with new
          empty child lists, as lexing makes them. (h) `find_clauses` on a memoized
          (never changed) tree is remembered per tree and clause types.
backends  `BackendDict.__getitem__` checks `account_id not in list(self.keys())`
          (a copy of all account ids per backend access); `in` on the dict
          itself answers the same.
dispatch  per request, moto lists the response class's methods with
          inspect.getmembers (`method_names_from_class`), matches the host against
          hundreds of URL regexes (`get_backend_for_host`), and for an error answer
          rebuilds the service's error table (`get_error_model` makes a new
          `ErrorLookupFactory`, whose cache is per instance). All three are pure
          functions of things that do not change while moto runs (classes, the
          installed modules and moto's static URL patterns, botocore's service
          model objects), so each is computed once per input (backends only when
          found, so an unknown host still gets moto's warning).
serialize moto writes every DynamoDB item of an answer through its generic,
          botocore-shape-driven serializer: per attribute value, ten members
          probed through an alias-resolving attribute picker (~40 us each; a
          1,000-item Scan page takes most of a second). A scalar attribute value
          ({"S"|"N"|"BOOL"|"NULL": ...}) serializes to a function of the serializer
          and picker classes and settings, the shape, the path in the answer, the
          key and the value itself, all of which form the memo's key; the
          remembered output (a flat dict of str/bool) is copied into each answer.
headers   http.server parses each request's header block with the email
          package's FeedParser (`http.client.parse_headers`), ~0.4 ms a request.
          Where every line is a plain `Name: value` (no continuation lines, only
          printable ASCII and tabs, no multipart or message content type) the
          same HTTPMessage is built directly: the parser's result there is, per
          line, (name, value with leading blanks stripped), in order, and an empty
          payload; anything else goes to the email parser as before.
keepalive moto's werkzeug server answers `Connection: close`, so every request
          costs a TCP connection, an accepted socket, a new thread and
          werkzeug's after-request drain (an epoll selector and a 10 ms wait on
          the socket). Here a request whose body has a Content-Length (or none)
          is read whole before the app runs (the app reads the same bytes from a
          BytesIO), so the connection can carry the next request: the answer's
          `Connection: close` becomes `keep-alive` unless the client asked to
          close, the drain is skipped (it could only find the next request), and
          TCP_NODELAY is set (a header write and a body write must not wait for
          a delayed ACK). Chunked requests keep werkzeug's behaviour. The
          latency proxy reuses these connections.
quiet     werkzeug's per-request access log is off.
"""

import atexit
import base64
import copy
import io
import logging
import os
import pickle
import re
import sys
import threading
from collections import deque

import moto.backends
import moto.core.base_backend as base_backend
import moto.iam.models as iam_models
import moto.server
from moto.utilities.utils import PARTITION_NAMES

ALL = ("lookup", "modules", "ddb", "backends", "dispatch", "serialize", "headers", "keepalive", "quiet")
_VERIFY = os.environ.get("MOTO_FAST_VERIFY") == "1"
_stats = {"mismatches": 0}
_lock = threading.Lock()


def _count(name: str, n: int = 1) -> None:
    _stats[name] = _stats.get(name, 0) + n


def _mismatch(what: str) -> None:
    _count("mismatches")
    print(f"moto_fast mismatch: {what}", file=sys.stderr, flush=True)


def _same(a, b, memo=None) -> bool:
    """Same object graph: types, attributes, values and which parts are shared."""
    if memo is None:
        memo = {}
    if type(a) is not type(b):
        return False
    if a is None or isinstance(a, (str, int, float, bytes, bool)):
        return a == b
    if id(a) in memo:
        return memo[id(a)] is b
    memo[id(a)] = b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, memo) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], memo) for k in a)
    if hasattr(a, "__dict__"):
        return _same(vars(a), vars(b), memo)
    return a == b


# -- lookup: access key -> account ------------------------------------------------
_original_lookup = iam_models.get_account_id_from
_accounts: dict[str, str] = {}  # access key -> answer (an account that has it, or the default)
_found: set[str] = set()  # keys whose answer was found in a backend (re-checked on use)
_generation = 0  # bumped whenever a key is created anywhere


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
    _count("lookups")
    answer = _accounts.get(access_key)
    if answer is not None and (access_key not in _found or _still_there(answer, access_key)):
        _count("lookup_hits")
    else:
        generation = _generation
        _count("lookup_scans")
        answer = _original_lookup(access_key)
        found = _still_there(answer, access_key)
        with _lock:
            if generation == _generation:  # no key was created meanwhile
                _accounts[access_key] = answer
                (_found.add if found else _found.discard)(access_key)
    if _VERIFY:
        _count("lookup_verified")
        if _original_lookup(access_key) != answer:
            _mismatch(f"account of {access_key}")
    return answer


_learning = True  # every key created so far had an id that names its own account


def _names_account(key_id: str, account_id: str) -> bool:
    """Whether `key_id` is what moto's generator makes for `account_id`: a 4-character
    prefix, then 8 base32 characters of account // 2 + offset, then a character from
    the half of the alphabet for the account's parity (moto.iam.utils
    .generate_access_key_id_from_account_id). Such ids differ for different accounts."""
    from moto.iam.utils import ACCOUNT_OFFSET, AWS_ROLE_ALPHABET

    if len(account_id) != 12 or not account_id.isdigit() or len(key_id) != 20:
        return False
    n = int(account_id)
    try:
        part = base64.b32encode(int.to_bytes(n // 2 + ACCOUNT_OFFSET, byteorder="big", length=5)).decode()
    except OverflowError:
        return False
    half = AWS_ROLE_ALPHABET[16:] if n % 2 else AWS_ROLE_ALPHABET[:16]
    return key_id[4:12] == part and key_id[12] in half


def _noting(create):
    """Wraps a method that puts a new key into an IAM backend: the key's answer is its
    own account, provided every key ever created names its own account in its id (then
    the new id is in no other account: another account's keys name that account), else
    the key's remembered answer is just forgotten."""

    def wrapper(self, *args, **kwargs):
        global _generation, _learning
        key = create(self, *args, **kwargs)
        key_id = key.access_key_id
        with _lock:
            _generation += 1
            _learning = _learning and _names_account(key_id, self.account_id)
            if _learning:
                _accounts[key_id] = self.account_id
                _found.add(key_id)
                _count("lookup_keys_noted")
            else:
                _accounts.pop(key_id, None)
                _found.discard(key_id)
        return key

    wrapper.__wrapped__ = create
    return wrapper


def patch_lookup() -> None:
    # moto.core.responses imports the function from the module at every call.
    iam_models.get_account_id_from = get_account_id_from
    backend = iam_models.IAMBackend
    for name in ("create_access_key", "create_temp_access_key"):
        setattr(backend, name, _noting(getattr(backend, name)))


# -- ddb: UpdateItem's expression parsing and validation ------------------------------
def patch_ddb() -> None:
    from moto.dynamodb.parsing import ast_nodes, expressions, validators

    parser = expressions.UpdateExpressionParser
    original_make = parser.make.__func__
    trees: dict[str, object] = {}  # expression -> parsed tree (never handed out to be changed)
    pickles: dict[int, tuple[object, bytes, str]] = {}  # id(tree) -> (tree, pickle, expression)
    passed: set = set()  # (expression, names, key attributes) the tree-only validators accepted

    def parents_consistent(node) -> bool:
        """Every child node's parent is the node listing it (then a walker that returns
        each node unchanged leaves the tree as it was: it re-sets the same links)."""
        for child in node.children or []:
            if isinstance(child, ast_nodes.Node):
                if child.parent is not None and child.parent is not node:
                    return False
                if not parents_consistent(child):
                    return False
        return True

    def make(cls, expression_str):
        tree = trees.get(expression_str) if cls is parser else None
        if tree is None:
            tree = original_make(cls, expression_str)  # raises for a bad expression: not memoized
            if cls is not parser or len(trees) >= 10_000 or not isinstance(expression_str, str):
                return tree
            trees[expression_str] = tree
            pickles[id(tree)] = (tree, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL), expression_str,
                                 parents_consistent(tree))
        else:
            _count("ddb_parse_hits")
            if _VERIFY:
                _count("ddb_parse_verified")
                if not _same(tree, original_make(cls, expression_str)):
                    _mismatch(f"parsed tree of {expression_str!r}")
        return tree

    parser.make = classmethod(make)

    real_deepcopy = validators.deepcopy

    def deepcopy(x, memo=None):
        entry = pickles.get(id(x)) if memo is None else None
        if entry is None or entry[0] is not x:
            return real_deepcopy(x, memo)
        _count("ddb_fast_copies")
        y = pickle.loads(entry[1])
        if _VERIFY:
            _count("ddb_fast_copies_verified")
            if not _same(y, real_deepcopy(x)):
                _mismatch(f"copy of the tree of {entry[2]!r}")
        return y

    validators.deepcopy = deepcopy

    tree_only = (validators.ActionCountValidator, validators.OverlappingPathsValidator,
                 validators.UpdateHashRangeKeyValidator)
    update_validator = validators.UpdateExpressionValidator
    original_init = update_validator.__init__

    def init(self, expression, expression_attribute_names, expression_attribute_values, item, table):
        original_init(self, expression, expression_attribute_names, expression_attribute_values, item, table)
        entry = pickles.get(id(expression))
        self._fast_key = None
        if entry is not None and entry[0] is expression and entry[3]:
            try:
                names = tuple(sorted((expression_attribute_names or {}).items()))
                self._fast_key = (entry[2], names, tuple(table.table_key_attrs))
                hash(self._fast_key)
            except TypeError:  # something unhashable (a malformed request): no shortcut
                self._fast_key = None

    def validate(self):
        key = self._fast_key
        processors = self.processors
        if key is None or tuple(type(p) for p in processors[:3]) != tree_only:
            return original_validate(self)
        n = self.node_to_validate
        if key in passed:
            _count("ddb_validations_skipped")
            if _VERIFY:
                _count("ddb_validations_verified")
                before = copy.deepcopy(n)
                try:
                    m = n
                    for p in processors[:3]:
                        m = p.traverse(m)
                    if m is not n or not _same(before, n):
                        _mismatch(f"tree-only validators changed the tree of {key[0]!r}")
                except Exception as e:  # noqa: BLE001
                    _mismatch(f"tree-only validators raised {e!r} for {key!r}")
            rest = processors[3:]
        else:
            for p in processors[:3]:
                n = p.traverse(n)
            passed.add(key)
            rest = processors[3:]
        for p in rest:
            n = p.traverse(n)
        return n

    original_validate = validators.Validator.validate
    update_validator.__init__ = init
    update_validator.validate = validate

    traverser = ast_nodes.DepthFirstTraverser
    original_ntbp = traverser.nodes_to_be_processed

    def nodes_to_be_processed(self):
        d = self.__dict__
        kinds = d.get("_fast_kinds")
        if kinds is None:
            kinds = d["_fast_kinds"] = original_ntbp(self)
            d["_fast_items"] = tuple(self._processing_map().items())
        return kinds

    def process(self, node):
        d = self.__dict__
        if "_fast_items" not in d:
            nodes_to_be_processed(self)
        if _VERIFY:
            _count("ddb_walker_maps_verified")
            if d["_fast_items"] != tuple(self._processing_map().items()) or \
                    d["_fast_kinds"] != original_ntbp(self):
                _mismatch(f"processing map of {type(self).__name__}")
        for class_key, processor in d["_fast_items"]:
            if isinstance(node, class_key):
                return processor(node)

    # (e) Which kind of node a walker processes, and with which of its functions, is
    # an isinstance() question about the node's class: AST node classes are ABCs,
    # so each isinstance() is a Python-level ABCMeta.__instancecheck__ call, ten
    # walks x ~150 nodes per UpdateItem. The answer depends only on the node's
    # class and the walker's (literal, per class) map: nothing in moto registers
    # virtual subclasses or defines __subclasshook__ for them. So it is looked up
    # once per (walker class, node class); the walk itself is moto's, line for line.
    Node = ast_nodes.Node
    kinds_of: dict = {}  # (walker class, node class) -> (is a Node, index of its processor or None)

    def kind(self, node_type):
        key = (type(self), node_type)
        got = kinds_of.get(key)
        if got is None:
            is_node = issubclass(node_type, Node)
            index = None
            if is_node and issubclass(node_type, nodes_to_be_processed(self)):
                index = next(i for i, (k, _) in enumerate(self.__dict__["_fast_items"]) if issubclass(node_type, k))
            got = kinds_of[key] = (is_node, index)
        return got

    def process_indexed(self, node, index):
        items = self.__dict__.get("_fast_items")
        if items is None:
            nodes_to_be_processed(self)
            items = self.__dict__["_fast_items"]
        if _VERIFY:
            _count("ddb_walker_kinds_verified")
            fresh = tuple(self._processing_map().items())
            expected = next((i for i, (k, _) in enumerate(fresh) if isinstance(node, k)), None)
            if fresh != items or expected != index:
                _mismatch(f"{type(self).__name__} would process {type(node).__name__} differently")
        return items[index][1](node)

    def traverse_node_recursively(self, node, child_id=-1):
        is_node, index = kind(self, type(node))
        if _VERIFY:
            _count("ddb_walker_kinds_verified")
            processed = is_node and isinstance(node, nodes_to_be_processed(self))
            if is_node != isinstance(node, Node) or processed != (index is not None):
                _mismatch(f"{type(self).__name__} and a {type(node).__name__}")
        if is_node:
            parent_node = node.parent
            if node.children is not None:
                for i, child_node in enumerate(node.children):
                    self.pre_processing_of_child(node, i)
                    self.traverse_node_recursively(child_node, i)
            if index is not None:
                node = process_indexed(self, node, index)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        return node

    # (f) Item.project (Scan/Query/GetItem with a ProjectionExpression) converts the
    # whole item to plain JSON once per projected path, then picks the path out
    # of it. Where every path is one distinct top-level name (no dots, no list
    # index), what it picks is, per name present, in order, that attribute's own
    # conversion: the same values, converting each projected attribute once.
    # (botocore's merge_dicts only adds keys the result lacks when keys are distinct.)
    from moto.dynamodb.models import dynamo_type

    item_cls = dynamo_type.Item
    original_project = item_cls.project
    list_path = re.compile(r"(.+)\[(\d+)\]$")  # find_nested_key's test for a list index

    def project(self, projection_expressions):
        names = [p[0] for p in projection_expressions if len(p) == 1]
        if len(names) != len(projection_expressions) or len(set(names)) != len(names) \
                or any(type(n) is not str or list_path.match(n) for n in names):
            return original_project(self, projection_expressions)
        result = {}
        for name in names:
            attribute = self.attrs.get(name)
            if attribute is not None:
                result[name] = dynamo_type.deserializer.deserialize(attribute.to_regular_json())
        projected = item_cls(hash_key=self.hash_key, range_key=self.range_key,
                             attrs=dynamo_type.serializer.serialize(result)["M"])
        if _VERIFY:
            _count("ddb_projections_verified")
            if not _same(vars(projected), vars(original_project(self, projection_expressions))):
                _mismatch(f"projection {projection_expressions} of {self.attrs}")
        return projected

    item_cls.project = project

    # (g) ConditionExpression: its lexing (twice per UpdateItem) reads the string only,
    # and makes Node tuples each with a fresh empty `children` list; the remembered
    # tuples are handed out as such new tuples with new empty lists.
    from moto.dynamodb import comparisons

    condition_parser = comparisons.ConditionExpressionParser
    original_lex = condition_parser._lex_condition_expression
    lexed: dict[str, tuple] = {}

    def _lex_condition_expression(self):
        text = self.condition_expression
        got = lexed.get(text) if type(text) is str else None
        if got is None:
            nodes = original_lex(self)  # raises for a bad expression: not remembered
            if type(text) is str and len(lexed) < 10_000 and all(n.children == [] for n in nodes):
                lexed[text] = tuple(n._replace(children=None) for n in nodes)
            return nodes
        _count("ddb_condition_lex_hits")
        nodes = deque(n._replace(children=[]) for n in got)
        if _VERIFY:
            _count("ddb_condition_lex_verified")
            if list(nodes) != list(original_lex(self)):
                _mismatch(f"lexed {text!r}")
        return nodes

    condition_parser._lex_condition_expression = _lex_condition_expression

    # (h) `find_clauses` on a memoized tree (DynamoHandler.update_item lists its names
    # and values that way) reads only that tree, which never changes: remembered per
    # tree and clause types, handed out as a new list of the same nodes.
    original_find = ast_nodes.Node.find_clauses
    found_clauses: dict = {}

    def find_clauses(self, clause_types):
        entry = pickles.get(id(self))
        if entry is None or entry[0] is not self:
            return original_find(self, clause_types)
        key = (id(self), tuple(clause_types))
        got = found_clauses.get(key)
        if got is None:
            got = found_clauses[key] = tuple(original_find(self, clause_types))
        elif _VERIFY:
            _count("ddb_clauses_verified")
            fresh = original_find(self, clause_types)
            if len(fresh) != len(got) or any(a is not b for a, b in zip(fresh, got)):
                _mismatch(f"clauses of {entry[2]!r}")
        return list(got)

    ast_nodes.Node.find_clauses = find_clauses

    # Only for walkers whose map is a literal {class: bound method} dict (all of
    # moto's DynamoDB ones); a subclass that overrides either method keeps its own.
    traverser.nodes_to_be_processed = nodes_to_be_processed
    traverser.process = process
    traverser.traverse_node_recursively = traverse_node_recursively


# -- backends: account-specific backend lookup -----------------------------------------
def patch_backends() -> None:
    cls = base_backend.BackendDict

    def _create_account_specific_backend(self, account_id: str) -> None:
        if dict.__contains__(self, account_id) and any(b is self for b in cls._instances):
            return  # exactly what the original finds, without copying the keys
        original(self, account_id)

    original = cls._create_account_specific_backend
    cls._create_account_specific_backend = _create_account_specific_backend


# -- dispatch: per-request lookups of constant things -----------------------------------
def patch_dispatch() -> None:
    import moto.core.errors as errors
    import moto.core.responses as responses
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    # The names of a response class's methods: classes do not change while moto runs.
    original_names = responses.method_names_from_class
    names: dict[type, list[str]] = {}

    def method_names_from_class(clazz):
        got = names.get(clazz)
        if got is None:
            got = names[clazz] = original_names(clazz)
        elif _VERIFY:
            _count("dispatch_verified")
            if got != original_names(clazz):
                _mismatch(f"method names of {clazz}")
        return list(got)  # a fresh list, as the original returns

    responses.method_names_from_class = method_names_from_class

    # Which backend serves a host: a pure function of the host, the installed
    # modules and moto's static URL patterns; only found backends are remembered,
    # so an unknown host still gets moto's warning.
    original_backend = DomainDispatcherApplication.get_backend_for_host
    backends_by_host: dict = {}

    def get_backend_for_host(self, host):
        key = (id(self), host)
        got = backends_by_host.get(key)
        if got is None:
            got = original_backend(self, host)
            if got is not None:
                backends_by_host[key] = got
        elif _VERIFY:
            _count("dispatch_verified")
            if got != original_backend(self, host):
                _mismatch(f"backend for {host}")
        return got

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host

    # Error shapes by code: `get_error_model` builds a new ErrorLookupFactory, so its
    # per-instance cache never hits and every error answer rebuilds the service's
    # table from botocore's (static, cached) service model. One table per model object.
    original_lut = errors.ErrorLookupFactory.for_service
    luts: dict[int, tuple] = {}

    def for_service(self, service_model):
        entry = luts.get(id(service_model))
        if entry is None or entry[0] is not service_model:
            lut = original_lut(self, service_model)
            luts[id(service_model)] = (service_model, lut)
            return lut
        if _VERIFY:
            _count("dispatch_verified")
            fresh = original_lut(self, service_model)
            if fresh._code_to_error.keys() != entry[1]._code_to_error.keys():
                _mismatch(f"error table of {service_model.service_name}")
        return entry[1]

    errors.ErrorLookupFactory.for_service = for_service


# -- serialize: DynamoDB attribute values in answers -------------------------------------
def patch_serialize() -> None:
    from moto.core import serialize

    cls = serialize.ResponseSerializer
    original = cls._serialize
    memo: dict = {}
    scalar_members = {"S", "N", "BOOL", "NULL"}

    def _serialize(self, serialized, value, shape, key):
        if (type(value) is dict and shape.name == "AttributeValue" and key
                and value.keys() <= scalar_members and all(type(v) in (str, bool) for v in value.values())):
            picker = self._value_picker
            try:
                mkey = (type(self), self.MAP_TYPE, type(picker), shape, tuple(self.path), key, tuple(value.items()),
                        tuple(getattr(picker, "alias_providers", ()) or ()),
                        tuple((getattr(picker, "response_transformers", None) or {}).items()))
                got = memo.get(mkey)
            except TypeError:  # something unhashable: moto's own way
                return original(self, serialized, value, shape, key)
            if got is None:
                out = self.MAP_TYPE()
                original(self, out, value, shape, key)
                got = tuple((k, dict(v)) if type(v) is dict else (k, v) for k, v in out.items())
                if all(type(v) is dict and all(type(x) in (str, bool) for x in v.values()) for _, v in got) \
                        and len(memo) < 500_000:
                    memo[mkey] = got
                serialized.update(out)
                return None
            _count("serialized_values_reused")
            if _VERIFY:
                _count("serialized_values_verified")
                out = self.MAP_TYPE()
                original(self, out, value, shape, key)
                if list(out.items()) != [(k, v) for k, v in got]:
                    _mismatch(f"serialized {value!r} at {self.path}")
            for k, v in got:
                serialized[k] = dict(v)
            return None
        return original(self, serialized, value, shape, key)

    cls._serialize = _serialize


# -- headers: the request's header block -------------------------------------------------
def patch_headers() -> None:
    import email.parser
    import http.client
    import re
    from email.policy import compat32

    real_parse_headers = http.client.parse_headers
    read_headers = http.client._read_headers  # what the original reads with, unchanged
    # A header line the email parser would split at its first ':' and nothing else:
    # a field name of the characters its header pattern allows, then printable ASCII
    # or tabs (no character str.splitlines() would break the line at), CRLF or LF.
    simple = re.compile(r"([!-9;-~]+):([\t -~]*)\r?\n")

    def parse_simple(lines, _class):
        """The message `email.parser.Parser(_class=_class).parsestr()` makes of these
        lines, or None where that parser might do more than split each line once."""
        if not lines or lines[-1] not in (b"\r\n", b"\n"):
            return None
        pairs = []
        for line in lines[:-1]:
            m = simple.fullmatch(line.decode("iso-8859-1"))
            if m is None:
                return None  # continuation line, odd characters, no name: the real parser
            name, value = m.group(1), m.group(2).lstrip(" \t")
            if name.lower() == "content-type" and ("multipart" in value.lower() or "message" in value.lower()):
                return None  # the parser would look for parts in the (empty) body
            pairs.append((name, value))  # Compat32.header_source_parse: (name, value.lstrip(" \t"))
        msg = _class(policy=compat32)  # what FeedParser's factory makes
        msg._headers = pairs  # Message.set_raw appends (name, value)
        msg._payload = ""  # the empty body: set_payload("")
        return msg

    def parse_headers(fp, _class=http.client.HTTPMessage):
        lines = read_headers(fp)
        msg = parse_simple(lines, _class)
        if msg is None:
            _count("headers_parsed_by_email")
            return email.parser.Parser(_class=_class).parsestr(b"".join(lines).decode("iso-8859-1"))
        if _VERIFY:
            _count("headers_verified")
            real = email.parser.Parser(_class=_class).parsestr(b"".join(lines).decode("iso-8859-1"))
            if vars(real) != vars(msg):
                _mismatch(f"headers {lines!r}: {vars(real)} != {vars(msg)}")
        return msg

    parse_headers.__wrapped__ = real_parse_headers
    http.client.parse_headers = parse_headers


# -- modules ---------------------------------------------------------------------------
def patch_modules() -> None:
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: iter(modules)


# -- keepalive ------------------------------------------------------------------------------
def patch_keepalive() -> None:
    import selectors

    import werkzeug.serving as serving

    base = moto.server.MotoRequestHandler
    local = threading.local()

    class _NoDrain:
        """What werkzeug's post-request drain sees on a kept-alive connection: nothing to read."""

        def register(self, *args):
            pass

        def select(self, timeout=None):
            return []

        def close(self):
            pass

    class _Selectors:
        EVENT_READ = selectors.EVENT_READ

        @staticmethod
        def DefaultSelector():  # noqa: N802
            return _NoDrain() if getattr(local, "keep", False) else selectors.DefaultSelector()

    class KeepAliveHandler(base):
        disable_nagle_algorithm = True

        def make_environ(self):
            environ = super().make_environ()
            local.keep = False
            if environ.get("wsgi.input_terminated") or self.close_connection:
                return environ  # chunked body, or the client closes: werkzeug as usual
            length = environ.get("CONTENT_LENGTH") or "0"
            if not length.isdigit():
                return environ
            body = self.rfile.read(int(length)) if int(length) else b""
            if len(body) != int(length):
                self.close_connection = True
                environ["wsgi.input"] = io.BytesIO(body)
                return environ
            environ["wsgi.input"] = io.BytesIO(body)
            local.keep = True
            return environ

        def send_header(self, keyword, value):
            if getattr(local, "keep", False) and keyword.lower() == "connection" and value.lower() == "close":
                value = "keep-alive"
            super().send_header(keyword, value)

        def handle_one_request(self):
            local.keep = False
            try:
                super().handle_one_request()
            finally:
                if not getattr(local, "keep", False):
                    self.close_connection = True
                local.keep = False

    serving.selectors = _Selectors
    moto.server.MotoRequestHandler = KeepAliveHandler


def _report() -> None:
    _stats["lookup_learning"] = _learning
    print(f"moto_fast stats {_stats}", file=sys.stderr, flush=True)


def install(patches) -> None:
    for name in patches:
        if name != "quiet":
            globals()[f"patch_{name}"]()
    _stats["patches"] = ",".join(patches)


def tests_on_path() -> None:
    tests = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
    if tests not in sys.path:
        sys.path.append(tests)  # after site-packages: the tests' module names shadow nothing


def load_associations() -> None:
    """tests/moto_ssm_associations.py: its patches apply on import."""
    tests_on_path()
    import moto_ssm_associations  # noqa: F401

    _stats["associations"] = True


def load_org_paths() -> None:
    """tests/moto_org_paths.py: Account.Paths as AWS answers them (unless RUNAS_GUARD_ORG_PATHS=off)."""
    tests_on_path()
    import moto_org_paths

    _stats["org_paths"] = moto_org_paths.ON


def main() -> None:
    port = sys.argv[1]
    wanted = os.environ.get("MOTO_FAST", "all")
    patches = ALL if wanted == "all" else () if wanted == "none" else tuple(p for p in wanted.split(",") if p)
    unknown = set(patches) - set(ALL)
    if unknown:
        sys.exit(f"moto_fast: unknown patches {sorted(unknown)}; known: {', '.join(ALL)}")
    install(patches)
    load_org_paths()
    if os.environ.get("MOTO_FAST_ASSOCIATIONS") == "1":
        load_associations()
    if "quiet" in patches:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    atexit.register(_report)
    moto.server.main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
