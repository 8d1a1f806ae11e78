"""Seeds a moto server with an organization for the scale benchmark.

Talks to moto directly (not through the latency proxy), as the hub account
with the `testing` key, like tests/common/mod.rs does:

* an organization whose root has 4 OUs with 2 child OUs each; the management
  account stays in the root and the other N-1 accounts are spread round-robin
  over the 12 OUs (so N accounts in all, the management account included);
* in each of M regions the account-regions get, in a seeded random order,
  ~70% a compliant document (runAsEnabled true, the user the policy wants for
  the account's OU), ~20% no document, ~10% a document with the wrong user
  (documents are LZA-style, created by assuming `role/Admin` in the account);
* every account-region touched once while seeding, so moto's lazy per-account
  and per-region setup is not billed to the measured runs;
* the hub's DynamoDB table (`pk`/`sk`) and SNS topic, and a policy TOML;
* with `with_check=True` (the run-as user check phase), also the member
  stack's check document `RunAsGuard-CheckRunAsUser` (tests/nodes.rs
  `check_document()`) in every account-region; `seed_fleets` then gives every
  account-region a fleet of managed nodes through the association emulation's
  control endpoint (tests/moto_ssm_associations.py, loaded by moto_fast with
  MOTO_FAST_ASSOCIATIONS=1).

`seed_vend` builds the small world of the 17-region vend instead: the same
tree, one new account with no documents. `sweep_queue` adds the hub's sweep
queue (infra/hub.yaml `SweepQueue`), where re-attempts of a vend awaiting its
member stack wait out their delays.

Seeding uses a thread pool; each worker keeps one SSM client per region and
signs with whichever account's assumed credentials it is working on (a
thread-local credentials object), so no client is built per account.

    python bench/seed.py http://127.0.0.1:PORT ACCOUNTS REGIONS WORKDIR
"""

import http.client
import json
import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    ReadOnlyCredentials,
)

HUB = "123456789012"
DOC = "SSM-SessionManagerRunShell"
CHECK_DOC = "RunAsGuard-CheckRunAsUser"  # the member stack's check document (src/domain/trigger CHECK_DOCUMENT)
REGIONS = [
    "us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2",
    "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-2",
    "eu-west-3", "eu-north-1", "ap-northeast-1", "ap-northeast-2",
    "ap-south-1", "ap-southeast-1", "sa-east-1", "ap-northeast-3",
]  # fmt: skip
TOP_OUS = ["Workloads", "Sandbox", "Infrastructure", "Security"]
CHILD_OUS = ["Prod", "Dev"]
DEFAULT_USER, WORKLOADS_USER, PROD_USER, WRONG_USER = "ssm-ops", "appuser", "produser", "ec2-user"
TABLE, TOPIC, QUEUE = "runas-guard", "runas-guard-alerts", "runas-guard-sweep"
CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=64)


@dataclass
class World:
    """What was seeded, and what a correct first sweep must find."""

    endpoint: str
    regions: list[str]
    policy: str
    table: str
    topic_arn: str
    root: str
    ou_ids: dict[str, str]  # "Workloads/Prod" -> ou id
    accounts: dict[str, str] = field(default_factory=dict)  # id -> OU path ("" = root)
    desired: dict[str, str] = field(default_factory=dict)  # id -> user
    mix: dict[tuple[str, str], str] = field(default_factory=dict)  # (id, region) -> kind
    vend_account: str | None = None
    queue_url: str | None = None  # the sweep queue, once `sweep_queue` made it

    def expected_totals(self) -> dict[str, int]:
        names = {"compliant": "none", "missing": "created", "wrong": "updated"}
        out = {"none": 0, "created": 0, "updated": 0}
        for kind in self.mix.values():
            out[names[kind]] += 1
        return out

    def tree_pages(self, page: int = 20) -> list[int]:
        """Pages of the largest listing at each level of the tree (root, OUs, child OUs)."""
        per_parent: dict[str, int] = {}
        for path in self.accounts.values():
            per_parent[path] = per_parent.get(path, 0) + 1
        levels = [[""], TOP_OUS, [f"{t}/{c}" for t in TOP_OUS for c in CHILD_OUS]]
        pages = lambda n: max(1, -(-n // page))  # noqa: E731
        return [max(pages(per_parent.get(p, 0)) for p in level) for level in levels]


class _ThreadCredentials(Credentials):
    """Credentials whose value is whatever the current thread set last."""

    local = threading.local()

    def __init__(self):
        super().__init__("testing", "testing")

    def get_frozen_credentials(self):
        return getattr(self.local, "creds", ReadOnlyCredentials("testing", "testing", None))


class _Provider(CredentialProvider):
    METHOD = "bench-thread-local"

    def load(self):
        return _ThreadCredentials()


def hub_client(endpoint: str, service: str, region: str = "us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CONFIG,
    )


def document(account: str, user: str) -> dict:
    """LZA-style content (tests/common/mod.rs `lza_document`) with RunAs set."""
    return {
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": f"aws-accelerator-central-logs-{account}",
            "s3KeyPrefix": f"session/{account}",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": "aws-accelerator-sessionmanager-logs",
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
            "idleSessionTimeout": "20",
            "maxSessionDuration": "",
            "runAsEnabled": True,
            "runAsDefaultUser": user,
            "shellProfile": {"linux": "exec bash -l", "windows": ""},
        },
    }


def check_document() -> dict:
    """The run-as user check's Command document as infra/member.yaml ships it
    (`RunAsUserCheckDocument`, through infra/tests/cfn.py's check_document): the
    emulated agents run its script, and only its own line counts a node as
    missing, so the bench must run the real one."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from infra.tests import cfn  # the repository's template loader (intrinsic tags)

    return cfn.check_document()


def desired_user(ou_path: str) -> str:
    if ou_path == "Workloads/Prod":
        return PROD_USER
    if ou_path.startswith("Workloads"):
        return WORKLOADS_USER
    return DEFAULT_USER


def write_policy(path: Path, regions: list[str], ou_ids: dict[str, str]) -> None:
    quoted = ", ".join(f'"{r}"' for r in regions)
    path.write_text(
        f'member_role = "RunAsGuardExecution"\n'
        f"regions = [{quoted}]\n"
        f'mode = "enforce"\n\n'
        f'[default]\nrun_as_user = "{DEFAULT_USER}"\n\n'
        f'[[ou]]  # Workloads and everything under it\nid = "{ou_ids["Workloads"]}"\n'
        f'run_as_user = "{WORKLOADS_USER}"\n\n'
        f'[[ou]]  # Workloads/Prod: nearest wins\nid = "{ou_ids["Workloads/Prod"]}"\n'
        f'run_as_user = "{PROD_USER}"\n'
    )


def _hub_resources(endpoint: str, workdir: Path, regions: list[str]) -> World:
    """Organization, OU tree, table, topic and policy; no member accounts yet."""
    org = hub_client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou_ids = {}
    for top in TOP_OUS:
        ou_ids[top] = org.create_organizational_unit(ParentId=root, Name=top)[
            "OrganizationalUnit"
        ]["Id"]
        for child in CHILD_OUS:
            ou_ids[f"{top}/{child}"] = org.create_organizational_unit(
                ParentId=ou_ids[top], Name=child
            )["OrganizationalUnit"]["Id"]
    hub_client(endpoint, "dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "state_shard", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        # As infra/hub.yaml: the sparse index a sweep reads.
        GlobalSecondaryIndexes=[{
            "IndexName": "state",
            "KeySchema": [{"AttributeName": "state_shard", "KeyType": "HASH"},
                          {"AttributeName": "pk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    topic_arn = hub_client(endpoint, "sns").create_topic(Name=TOPIC)["TopicArn"]
    policy = workdir / f"policy-{len(regions)}.toml"
    write_policy(policy, regions, ou_ids)
    return World(endpoint, regions, str(policy), TABLE, topic_arn, root, ou_ids)


def _create_accounts(world: World, names: list[str], paths: list[str], threads: int) -> list[str]:
    org = hub_client(world.endpoint, "organizations")

    def one(name_path):
        name, path = name_path
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        org.move_account(
            AccountId=account,
            SourceParentId=world.root,
            DestinationParentId=world.ou_ids[path],
        )
        return account

    with ThreadPoolExecutor(threads) as pool:
        ids = list(pool.map(one, zip(names, paths)))
    for account, path in zip(ids, paths):
        world.accounts[account] = path
        world.desired[account] = desired_user(path)
    return ids


def _write_documents(world: World, threads: int, check: bool = False) -> None:
    """Every account-region's document per the mix; where there is none, one
    DescribeDocument, so moto has built that account-region's SSM backend (its
    first call in an account-region costs moto ~40 ms CPU, which AWS does not
    have and which would otherwise be billed to the benchmarked run). With
    `check`, the run-as user check's document too, everywhere."""
    check_content = json.dumps(check_document(), indent=2)
    botocore_session = botocore.session.Session()
    botocore_session.register_component("credential_provider", CredentialResolver([_Provider()]))
    session = boto3.Session(botocore_session=botocore_session)
    sts = hub_client(world.endpoint, "sts")
    local = threading.local()

    def ssm(region):
        clients = local.__dict__.setdefault("clients", {})
        if region not in clients:
            clients[region] = session.client(
                "ssm", endpoint_url=world.endpoint, region_name=region, config=CONFIG
            )
        return clients[region]

    def one(account):
        c = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/Admin", RoleSessionName="bench-seed"
        )["Credentials"]
        _ThreadCredentials.local.creds = ReadOnlyCredentials(
            c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]
        )
        for region in world.regions:
            if check:
                ssm(region).create_document(Name=CHECK_DOC, Content=check_content, DocumentType="Command",
                                            DocumentFormat="JSON")
            kind = world.mix.get((account, region), "missing")
            if kind == "missing":
                try:
                    ssm(region).describe_document(Name=DOC)
                    raise RuntimeError(f"{account} {region} has a document already")
                except ssm(region).exceptions.InvalidDocument:
                    continue
            user = world.desired[account] if kind == "compliant" else WRONG_USER
            ssm(region).create_document(
                Name=DOC,
                Content=json.dumps(document(account, user), indent=2),
                DocumentType="Session",
                DocumentFormat="JSON",
            )

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, sorted(world.accounts)))


def seed_org(endpoint: str, n_accounts: int, n_regions: int, workdir: Path, threads: int = 16,
             seed: int = 42, with_check: bool = False) -> World:
    """The organization of the sweep benchmark (see the module docstring)."""
    regions = REGIONS[:n_regions]
    world = _hub_resources(endpoint, workdir, regions)
    world.accounts[HUB] = ""
    world.desired[HUB] = desired_user("")
    paths = [
        list(world.ou_ids)[i % len(world.ou_ids)] for i in range(n_accounts - 1)
    ]
    _create_accounts(world, [f"bench-{i:05d}" for i in range(1, n_accounts)], paths, threads)
    pairs = sorted((a, r) for a in world.accounts for r in regions)
    random.Random(seed).shuffle(pairs)
    n = len(pairs)
    compliant, missing = round(n * 0.7), round(n * 0.2)
    for i, pair in enumerate(pairs):
        world.mix[pair] = "compliant" if i < compliant else "missing" if i < compliant + missing else "wrong"
    _write_documents(world, threads, check=with_check)
    return world


def seed_fleets(world: World, count: int, users=lambda account: [], places=None) -> int:
    """Gives each account-region (`places`, default all of `world.mix`) a fleet of `count`
    Linux nodes with `users(account)` (POST /_emulated/ssm/fleet, on one kept-alive
    connection straight to moto). Returns the number of nodes made."""
    host = world.endpoint.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=60)
    made = 0
    try:
        for account, region in sorted(places if places is not None else world.mix):
            body = json.dumps({"account": account, "region": region, "nodes": [], "count": count,
                               "users": users(account), "platform": "Linux"})
            conn.request("POST", "/_emulated/ssm/fleet", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            answer = r.read()
            if r.status != 200:
                raise RuntimeError(f"fleet {account}/{region}: HTTP {r.status} {answer[:300]!r}")
            made += json.loads(answer)["nodes"]
    finally:
        conn.close()
    return made


def seed_vend(endpoint: str, n_regions: int, workdir: Path) -> World:
    """The vend's world: the same tree, one new account in Workloads/Prod, no documents."""
    world = _hub_resources(endpoint, workdir, REGIONS[:n_regions])
    [world.vend_account] = _create_accounts(world, ["vended-00001"], ["Workloads/Prod"], 1)
    _write_documents(world, 1)  # no documents: only moto's per-region setup
    return world


def sweep_queue(world: World) -> str:
    """The hub's sweep queue (its URL, also kept in `world.queue_url`)."""
    world.queue_url = hub_client(world.endpoint, "sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
    return world.queue_url


if __name__ == "__main__":
    import time

    endpoint, n, m, workdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    workdir.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    w = seed_org(endpoint, n, m, workdir)
    print(json.dumps({"seconds": round(time.monotonic() - t, 1), "policy": w.policy,
                      "expected": w.expected_totals(), "tree_pages": w.tree_pages()}))
