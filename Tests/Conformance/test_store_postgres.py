"""Many daemons on one PostgreSQL store (`sealboxd --store postgres://...`, docs/operations.md "Many hosts:
PostgreSQL"): every kind of change made on one daemon is applied by the others within a second (measured
and reported), concurrent writers lose nothing, an outage of PostgreSQL (kill -9) refuses writes at once,
serves reads from memory for `store.maxStaleSeconds`, and heals without restarting the daemons; a dump of
the database reveals no plaintext; `sealbox store copy` moves a store between SQLite and PostgreSQL.

PostgreSQL comes from $SEALBOX_TEST_POSTGRES (a URL of a server where the test may CREATE DATABASE), else
from a throwaway cluster started through scripts/postgres-cluster.sh; each test gets a database of its own.
The outage tests always start a cluster of their own, since they kill it. Without PostgreSQL the tests
skip, or fail when $SEALBOX_REQUIRE_POSTGRES=1 (as `make conformance` sets it).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets as _secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from botocore.exceptions import ClientError

import harness
from harness import assert_native_error, native

CLUSTER_SCRIPT = harness.REPO / "scripts" / "postgres-cluster.sh"
PROPAGATION_LIMIT = 1.0  # seconds: the contract's "every other daemon applies it within 1 s"
POLL = 0.01
TIER = "/ssm/parameter-store/default-parameter-tier"
GRANTEE = f"arn:aws:iam::{harness.ACCOUNT}:role/app"


# ---------------------------------------------------------------------------
# PostgreSQL: a server, a database per test, a cluster of one's own
# ---------------------------------------------------------------------------


def _no_postgres(reason: str):
    if os.environ.get("SEALBOX_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (SEALBOX_REQUIRE_POSTGRES=1) but {reason}. Install it "
                    f"(`make deps`: Debian's postgresql package) or set SEALBOX_TEST_POSTGRES to a server's URL.",
                    pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason} (set SEALBOX_TEST_POSTGRES, or install postgresql)")


def _bindir() -> Path | None:
    """The folder of the PostgreSQL binaries scripts/postgres-cluster.sh uses, or None."""
    p = subprocess.run(["bash", str(CLUSTER_SCRIPT), "bindir"], capture_output=True, text=True, timeout=30)
    return Path(p.stdout.strip()) if p.returncode == 0 and p.stdout.strip() else None


def _client_tool(name: str) -> str:
    bindir = _bindir()
    if bindir and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if not found:
        _no_postgres(f"{name} is not installed")
    return found


def _script(*args: str, timeout: float = 90) -> str:
    p = subprocess.run(["bash", str(CLUSTER_SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"postgres-cluster.sh {' '.join(args)} -> {p.returncode}\n{p.stderr}"
    return p.stdout.strip()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def psql(url: str, sql: str) -> str:
    p = subprocess.run([_client_tool("psql"), url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=60, env=harness.clean_env())
    assert p.returncode == 0, f"psql {sql!r} -> {p.returncode}: {p.stderr}"
    return p.stdout


class Cluster:
    """A throwaway cluster made by scripts/postgres-cluster.sh in a folder of its own under /tmp (the
    `postgres` user, which runs it when we are root, cannot enter pytest's 0700 folders)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sealbox-pg-"))
        self.dir.chmod(0o755)
        self.url = _script("start", str(self.dir))

    def kill9(self) -> None:
        _script("kill9", str(self.dir))

    def restart(self) -> None:
        _script("restart", str(self.dir))

    def stop(self) -> None:
        _script("stop", str(self.dir))

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """Where databases come from: a URL given in $SEALBOX_TEST_POSTGRES, or a Cluster."""

    def __init__(self, url: str, cluster: Cluster | None = None):
        self.url = url
        self.cluster = cluster

    def psql(self, sql: str, database: str | None = None) -> str:
        return psql(self.url if database is None else with_database(self.url, database), sql)

    def create_database(self) -> str:
        name = f"sb_{uuid.uuid4().hex[:16]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name


def _require_binaries() -> None:
    if _bindir() is None:
        _no_postgres("no PostgreSQL server binaries were found (/usr/lib/postgresql/*/bin or initdb on PATH)")


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("SEALBOX_TEST_POSTGRES")
    if url:
        yield Server(url)
        return
    _require_binaries()
    cluster = Cluster()
    try:
        yield Server(cluster.url, cluster)
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh, empty database for this test, dropped afterwards."""
    name = pg_server.create_database()
    yield with_database(pg_server.url, name)
    try:
        pg_server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except AssertionError as e:  # a drop that fails must not hide the test's own outcome
        print(f"could not drop database {name}: {e}", file=sys.stderr)


@pytest.fixture
def own_cluster():
    """A cluster of this test's own, which it may kill -9 and restart."""
    _require_binaries()
    cluster = Cluster()
    yield cluster
    cluster.destroy()


# ---------------------------------------------------------------------------
# Daemons on one store
# ---------------------------------------------------------------------------


@pytest.fixture
def root_key(tmp_path) -> Path:
    """32 random bytes in a file of mode 0600 (standard base64 and a newline, as Keys/README.md describes
    `root.key`): the root key every daemon of the test shares."""
    path = tmp_path / "root.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(_secrets.token_bytes(32)) + b"\n")
    return path


def node(d: harness.Daemon) -> SimpleNamespace:
    return SimpleNamespace(d=d, ssm=d.client(service="ssm"), kms=d.client(service="kms"),
                           sm=d.client(service="secretsmanager"), name=d.data_dir.parent.name)


@pytest.fixture
def daemons(tmp_path, root_key):
    """Factory: starts `count` daemons on `store`, each with its own data dir, socket and port, all with
    the test's root key (and `config` as --config when given). All are stopped when the test ends."""
    started: list[harness.Daemon] = []

    def start(store: str, count: int, config: str | None = None) -> list[SimpleNamespace]:
        nodes = []
        for _ in range(count):
            base = tmp_path / f"n{len(started)}"
            base.mkdir()
            (base / "data").mkdir(mode=0o700)
            args = ["--store", store, "--root-key", f"file:{root_key}"]
            if config is not None:
                (base / "sealbox.yaml").write_text(config)
                args += ["--config", str(base / "sealbox.yaml")]
            d = harness.Daemon(base / "data", base / "logs", socket_path=base / "s.sock", extra_args=args)
            started.append(d)
            error = None
            try:
                d.start()
            except harness.DaemonStartError as e:
                error = str(e)
            if error:
                pytest.fail(f"could not start sealboxd on {store}:\n{error}", pytrace=False)
            nodes.append(node(d))
        return nodes

    yield start
    for d in started:
        d.terminate(timeout=10)
        d.kill9()


# ---------------------------------------------------------------------------
# Measuring propagation
# ---------------------------------------------------------------------------

_PROPAGATION: list[dict] = []


@pytest.fixture(scope="module", autouse=True)
def propagation_report(request, tmp_path_factory):
    """Prints every measured propagation time as a table at the end of the module, and writes them to
    propagation.json under pytest's tmp folder."""
    yield
    if not _PROPAGATION:
        return
    path = tmp_path_factory.mktemp("propagation") / "propagation.json"
    path.write_text(json.dumps(_PROPAGATION, indent=2))
    lines = [f"{'change':<50} {'daemons':>7} {'slowest ms':>10}  each ms"]
    for row in _PROPAGATION:
        each = ", ".join(f"{ms:.0f}" for ms in row["ms"])
        lines.append(f"{row['change']:<50} {len(row['ms']):>7} {max(row['ms']):>10.1f}  {each}")
    lines.append(f"(written to {path})")
    text = "\npropagation between daemons on one PostgreSQL database\n" + "\n".join(lines)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(text, flush=True)
    else:
        print(text)


def _holds(check, n) -> bool:
    try:
        return bool(check(n))
    except ClientError:
        return False


def propagated(change: str, others: list[SimpleNamespace], check, *, since: float | None = None,
               limit: float = PROPAGATION_LIMIT) -> list[float]:
    """Polls `check(node)` on every one of `others` every 10 ms, from `since` (default now: call it as soon
    as the change is acknowledged), until it holds on all; records each daemon's time; asserts each is within
    `limit`. A check that raises a ClientError does not hold yet."""
    start = since if since is not None else time.monotonic()
    pending = {i: n for i, n in enumerate(others)}
    took: dict[int, float] = {}
    while pending and time.monotonic() - start < max(5.0, 3 * limit):
        for i, n in list(pending.items()):
            if _holds(check, n):
                took[i] = time.monotonic() - start
                del pending[i]
        if pending:
            time.sleep(POLL)
    assert not pending, (f"{change}: not visible on {[n.name for n in pending.values()]} after "
                         f"{time.monotonic() - start:.1f} s\n" + "\n".join(n.d.logs(tail=15) for n in pending.values()))
    times = [took[i] for i in range(len(others))]
    _PROPAGATION.append({"change": change, "ms": [round(t * 1000, 1) for t in times]})
    slow = [(others[i].name, round(t, 3)) for i, t in enumerate(times) if t > limit]
    assert not slow, f"{change}: took longer than {limit} s on {slow}"
    return times


def code_of(call) -> str | None:
    return harness.error_code(call)


def secure_value(n, name) -> str:
    return n.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


# ---------------------------------------------------------------------------
# Propagation of every kind of change
# ---------------------------------------------------------------------------


def test_ssm_parameter_changes_reach_every_daemon(pg_url, daemons):
    a, b, c = daemons(pg_url, 3)
    others = [b, c]
    name = f"/pg/{uuid.uuid4().hex}/db/password"

    a.ssm.put_parameter(Name=name, Value="first-secure-value", Type="SecureString")
    propagated("ssm PutParameter (new SecureString)", others, lambda n: secure_value(n, name) == "first-secure-value")
    meta = b.ssm.get_parameter(Name=name)["Parameter"]
    assert meta["Type"] == "SecureString" and meta["Version"] == 1, meta
    assert meta["Value"] != "first-secure-value", "without WithDecryption the value must stay sealed"

    assert a.ssm.put_parameter(Name=name, Value="second-secure-value", Type="SecureString",
                               Overwrite=True)["Version"] == 2
    propagated("ssm PutParameter (overwrite)", others, lambda n: secure_value(n, name) == "second-secure-value")

    a.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["blue"])
    propagated("ssm LabelParameterVersion (new label)", others,
               lambda n: n.ssm.get_parameter(Name=f"{name}:blue", WithDecryption=True)["Parameter"]["Value"]
               == "first-secure-value")
    a.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["blue"])
    propagated("ssm LabelParameterVersion (label moved)", others,
               lambda n: n.ssm.get_parameter(Name=f"{name}:blue")["Parameter"]["Version"] == 2)
    history = c.ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Version"], h.get("Labels", [])) for h in history] == [(1, []), (2, ["blue"])], history

    a.ssm.delete_parameter(Name=name)
    propagated("ssm DeleteParameter", others,
               lambda n: code_of(lambda: n.ssm.get_parameter(Name=name)) == "ParameterNotFound")
    # The other way round too: a change made on C reaches A and B.
    c.ssm.put_parameter(Name=name, Value="from-c", Type="String")
    propagated("ssm PutParameter (made on a third daemon)", [a, b],
               lambda n: n.ssm.get_parameter(Name=name)["Parameter"]["Value"] == "from-c")


def test_ssm_service_setting_reaches_every_daemon(pg_url, daemons):
    a, b, c = daemons(pg_url, 3)
    assert b.ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["SettingValue"] == "Standard"
    a.ssm.update_service_setting(SettingId=TIER, SettingValue="Advanced")
    propagated("ssm UpdateServiceSetting", [b, c],
               lambda n: n.ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["SettingValue"] == "Advanced")
    a.ssm.reset_service_setting(SettingId=TIER)
    propagated("ssm ResetServiceSetting", [b, c],
               lambda n: n.ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["Status"] == "Default")


def test_secrets_manager_changes_reach_every_daemon(pg_url, daemons):
    a, b, c = daemons(pg_url, 3)
    others = [b, c]
    name = f"pg/{uuid.uuid4().hex[:12]}/db"

    a.sm.create_secret(Name=name, SecretString="secret-v1")
    propagated("secretsmanager CreateSecret", others,
               lambda n: n.sm.get_secret_value(SecretId=name)["SecretString"] == "secret-v1")
    a.sm.put_secret_value(SecretId=name, SecretString="secret-v2")
    propagated("secretsmanager PutSecretValue", others,
               lambda n: n.sm.get_secret_value(SecretId=name)["SecretString"] == "secret-v2")
    previous = b.sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"]
    assert previous == "secret-v1"

    a.sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    propagated("secretsmanager DeleteSecret (scheduled)", others,
               lambda n: code_of(lambda: n.sm.get_secret_value(SecretId=name)) == "InvalidRequestException")
    assert "DeletedDate" in c.sm.describe_secret(SecretId=name)
    a.sm.restore_secret(SecretId=name)
    propagated("secretsmanager RestoreSecret", others,
               lambda n: n.sm.get_secret_value(SecretId=name)["SecretString"] == "secret-v2")

    a.sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    propagated("secretsmanager DeleteSecret (force)", others,
               lambda n: code_of(lambda: n.sm.describe_secret(SecretId=name)) == "ResourceNotFoundException")


def test_kms_key_lifecycle_reaches_every_daemon(pg_url, daemons):
    a, b, c = daemons(pg_url, 3)
    others = [b, c]
    key_id = a.kms.create_key(Description="shared")["KeyMetadata"]["KeyId"]
    propagated("kms CreateKey", others,
               lambda n: n.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled")
    blob = a.kms.encrypt(KeyId=key_id, Plaintext=b"made on a")["CiphertextBlob"]
    for n in others:  # the same root key unwraps the same key material everywhere
        assert n.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"made on a"

    a.kms.disable_key(KeyId=key_id)
    propagated("kms DisableKey", others,
               lambda n: code_of(lambda: n.kms.encrypt(KeyId=key_id, Plaintext=b"x")) == "DisabledException")
    a.kms.enable_key(KeyId=key_id)
    propagated("kms EnableKey", others,
               lambda n: n.kms.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].endswith(key_id))

    a.kms.rotate_key_on_demand(KeyId=key_id)
    rotated = a.kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert harness.envelope_header(rotated)["key_version"] > harness.envelope_header(blob)["key_version"]
    since = time.monotonic()
    propagated("kms RotateKeyOnDemand (new ciphertext decrypts)", others,
               lambda n: n.kms.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"after rotation", since=since)
    for n in others:
        assert n.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"made on a"

    a.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    propagated("kms ScheduleKeyDeletion", others,
               lambda n: n.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion")
    assert code_of(lambda: b.kms.encrypt(KeyId=key_id, Plaintext=b"x")) == "KMSInvalidStateException"
    a.kms.cancel_key_deletion(KeyId=key_id)
    propagated("kms CancelKeyDeletion", others,
               lambda n: n.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled")


def test_kms_aliases_and_grants_reach_every_daemon(pg_url, daemons):
    a, b, c = daemons(pg_url, 3)
    others = [b, c]
    k1 = a.kms.create_key()["KeyMetadata"]["KeyId"]
    k2 = a.kms.create_key()["KeyMetadata"]["KeyId"]
    alias = f"alias/pg-{uuid.uuid4().hex[:8]}"

    a.kms.create_alias(AliasName=alias, TargetKeyId=k1)
    propagated("kms CreateAlias", others, lambda n: n.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == k1)
    a.kms.update_alias(AliasName=alias, TargetKeyId=k2)
    propagated("kms UpdateAlias", others, lambda n: n.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == k2)
    sealed = c.kms.encrypt(KeyId=alias, Plaintext=b"via alias")["CiphertextBlob"]
    assert harness.envelope_header(sealed)["key_id"] == k2
    a.kms.delete_alias(AliasName=alias)
    propagated("kms DeleteAlias", others,
               lambda n: code_of(lambda: n.kms.describe_key(KeyId=alias)) == "NotFoundException")

    grant_id = a.kms.create_grant(KeyId=k1, GranteePrincipal=GRANTEE, Operations=["Encrypt", "Decrypt"])["GrantId"]
    propagated("kms CreateGrant", others,
               lambda n: grant_id in [g["GrantId"] for g in n.kms.list_grants(KeyId=k1)["Grants"]])
    listed = b.kms.list_grants(KeyId=k1)["Grants"]
    assert [(g["GranteePrincipal"], sorted(g["Operations"])) for g in listed] == [(GRANTEE, ["Decrypt", "Encrypt"])]
    a.kms.revoke_grant(KeyId=k1, GrantId=grant_id)
    propagated("kms RevokeGrant", others, lambda n: n.kms.list_grants(KeyId=k1)["Grants"] == [])


def _redeem(conn, lease_id):
    return native(conn, "POST", f"/v1/leases/{lease_id}/redeem")


def test_revoke_leases_by_prefix_reaches_every_daemon(pg_url, daemons):
    """Leases live on the daemon that granted them; a revoke by prefix is a change like any other."""
    a, b = daemons(pg_url, 2)
    base = f"/pg/{uuid.uuid4().hex}"
    for leaf in ("one", "two", "keep"):
        a.ssm.put_parameter(Name=f"{base}/{leaf}", Value=f"value-{leaf}", Type="SecureString")
    propagated("ssm PutParameter (before leases)", [b],
               lambda n: secure_value(n, f"{base}/keep") == "value-keep")
    cli = Path(harness.daemon_binary()).parent / "sealbox"
    with harness.UnixHTTP(b.d.socket_path) as conn:
        leases = {}
        for leaf in ("one", "two", "keep"):
            resp = native(conn, "POST", "/v1/leases", {"name": f"{base}/{leaf}"})
            assert resp.status == 201, resp
            leases[leaf] = resp.json()["leaseId"]
            assert _redeem(conn, leases[leaf]).json()["value"] == f"value-{leaf}"

        with harness.UnixHTTP(a.d.socket_path) as a_conn:
            resp = native(a_conn, "POST", "/v1/leases/revoke", {"prefix": f"{base}/one"})
        assert resp.status == 200 and isinstance(resp.json().get("revoked"), int), resp
        propagated("native revoke-leases-by-prefix", [b],
                   lambda n: _redeem(conn, leases["one"]).status == 404)
        assert_native_error(_redeem(conn, leases["one"]), 404, "LeaseNotFound")

        p = subprocess.run([str(cli), "lease", "revoke", "--prefix", f"{base}/two", "--socket", str(a.d.socket_path)],
                           capture_output=True, text=True, env=harness.clean_env(), timeout=60)
        assert p.returncode == 0, (p.stdout, p.stderr)
        propagated("sealbox lease revoke --prefix", [b], lambda n: _redeem(conn, leases["two"]).status == 404)
        # Nothing outside the prefixes was touched.
        assert _redeem(conn, leases["keep"]).json() == {"value": "value-keep", "version": 1}


# ---------------------------------------------------------------------------
# Concurrent writers
# ---------------------------------------------------------------------------


def _all_parameters(n, path: str) -> dict[str, str]:
    out = {}
    for page in n.ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True,
                                                                        WithDecryption=True):
        for p in page["Parameters"]:
            out[p["Name"]] = p["Value"]
    return out


def test_two_hundred_concurrent_writes_over_three_daemons(pg_url, daemons):
    nodes = daemons(pg_url, 3)
    base = f"/pg/{uuid.uuid4().hex}"
    expected = {f"{base}/p{i:03d}": f"value-{i}-{uuid.uuid4().hex[:8]}" for i in range(200)}
    local = threading.local()

    def client(i):
        if not hasattr(local, "clients"):
            local.clients = [n.d.client(service="ssm") for n in nodes]
        return local.clients[i % len(nodes)]

    def put(item):
        i, (name, value) = item
        return client(i).put_parameter(Name=name, Value=value, Type="SecureString")["Version"]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=24) as pool:
        versions = list(pool.map(put, enumerate(expected.items())))
    took = time.monotonic() - started
    assert versions == [1] * 200
    print(f"200 PutParameter over 3 daemons in {took:.2f} s")
    since = time.monotonic()
    propagated("200 concurrent PutParameter (all present)", nodes,
               lambda n: _all_parameters(n, base) == expected, since=since, limit=2.0)

    # Writers racing on one name through different daemons: a write that lost the race may be refused with
    # a retryable error (503 ServiceUnavailableException, as SDKs retry it, or AWS's TooManyUpdates) and is
    # retried, as an SDK would; every write that succeeded got a version of its own, and every daemon
    # agrees on the last.
    name = f"{base}/contended"
    conflicts = []

    def overwrite(i):
        for attempt in range(40):
            try:
                version = client(i).put_parameter(Name=name, Value=f"w{i}", Type="String", Overwrite=True)["Version"]
                return version, f"w{i}"
            except ClientError as e:
                if e.response["Error"]["Code"] not in ("ServiceUnavailableException", "TooManyUpdates"):
                    raise
                conflicts.append(e.response["Error"]["Code"])
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError(f"write w{i} refused 40 times")

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(overwrite, range(60)))
    print(f"60 racing overwrites: {len(conflicts)} refusals retried ({sorted(set(conflicts))})")
    assert sorted(v for v, _ in results) == list(range(1, 61)), "two writers got the same version"
    last = dict(results)[60]
    since = time.monotonic()

    def last_wins(n):
        p = n.ssm.get_parameter(Name=name)["Parameter"]
        return (p["Version"], p["Value"]) == (60, last)

    propagated("60 racing overwrites of one name (last wins)", nodes, last_wins, since=since)


# ---------------------------------------------------------------------------
# Outages
# ---------------------------------------------------------------------------


def health(n) -> tuple[int, dict]:
    with harness.UnixHTTP(n.d.socket_path) as conn:
        resp = conn.request("GET", "/health")
    return resp.status, resp.json()


def healthy(n) -> bool:
    status, body = health(n)
    return status == 200 and body.get("status") == "ok"


def metric(n, name: str) -> float | None:
    with harness.UnixHTTP(n.d.socket_path) as conn:
        resp = conn.request("GET", "/metrics")
    assert resp.status == 200, resp
    for line in resp.body.decode().splitlines():
        m = re.match(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", line)
        if m:
            return float(m.group(1))
    return None


def wait_for(what: str, predicate, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except (ClientError, OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def assert_unavailable(call) -> float:
    """The call fails with ServiceUnavailableException, HTTP 503; returns how long it took."""
    start = time.monotonic()
    with pytest.raises(ClientError) as e:
        call()
    took = time.monotonic() - start
    code, status, message = harness.client_error(e)
    assert (code, status) == ("ServiceUnavailableException", 503), (code, status, message)
    return took


def test_postgres_killed_during_writes(own_cluster, daemons):
    """kill -9 of PostgreSQL under a stream of writes to two daemons; restarted; the daemons heal alone."""
    a, b = daemons(own_cluster.url, 2)
    nodes = [a, b]
    base = f"/pg/{uuid.uuid4().hex}"
    a.ssm.put_parameter(Name=f"{base}/before", Value="sealed-before-outage", Type="SecureString")
    propagated("ssm PutParameter (before the outage)", [b],
               lambda n: secure_value(n, f"{base}/before") == "sealed-before-outage")
    secret_name = f"pg/{uuid.uuid4().hex[:8]}"
    b.sm.create_secret(Name=secret_name, SecretString="secret-before-outage")
    key_id = a.kms.create_key()["KeyMetadata"]["KeyId"]
    blob = a.kms.encrypt(KeyId=key_id, Plaintext=b"sealed before")["CiphertextBlob"]
    wait_for("secret and key on both daemons", lambda: all(
        n.sm.get_secret_value(SecretId=secret_name)["SecretString"] == "secret-before-outage"
        and n.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed before" for n in nodes), 2.0)
    with harness.UnixHTTP(a.d.socket_path) as conn:
        resp = native(conn, "POST", "/v1/leases", {"name": f"{base}/before"})
    assert resp.status == 201, resp
    lease_id = resp.json()["leaseId"]
    reconnects_before = [metric(n, "sealbox_store_reconnects_total") or 0 for n in nodes]
    assert [metric(n, "sealbox_store_up") for n in nodes] == [1, 1]

    outcomes: dict[str, tuple[str, str]] = {}  # name -> (acked | refused | error:CODE | lost:EXCEPTION, value)
    stop = threading.Event()

    # boto3 clients are made here, not in the threads: making them takes longer than the stream runs.
    writer_clients = [[n.d.client(service="ssm") for n in nodes] for _ in range(4)]

    def writer(index: int):
        clients = writer_clients[index]
        i = 0
        while not stop.is_set():
            name, value = f"{base}/w{index}-{i:04d}", f"v-{index}-{i}"
            try:
                clients[i % 2].put_parameter(Name=name, Value=value, Type="String")
                outcomes[name] = ("acked", value)
            except ClientError as e:
                code = e.response["Error"]["Code"]
                outcomes[name] = ("refused" if code == "ServiceUnavailableException" else f"error:{code}", value)
            except Exception as e:  # noqa: BLE001 - a connection lost mid-request: the ack may be lost
                outcomes[name] = (f"lost:{type(e).__name__}", value)
            i += 1
            time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for("a stream of acknowledged writes", lambda: sum(1 for s, _ in outcomes.values() if s == "acked") >= 40,
                 15.0)
        acked_before_kill = sum(1 for s, _ in outcomes.values() if s == "acked")
        killed_at = time.monotonic()
        own_cluster.kill9()

        # While down: writes refused at once, reads served, health degraded (200) with a reason.
        wait_for("both daemons report a degraded store", lambda: all(
            health(n)[1].get("status") == "degraded" for n in nodes), 5.0)
        for n in nodes:
            took = assert_unavailable(lambda: n.ssm.put_parameter(Name=f"{base}/down", Value="x", Type="String"))
            assert took < 2.0, f"a write during the outage took {took:.2f} s to be refused"
            assert_unavailable(lambda: n.sm.create_secret(Name=f"{secret_name}-down", SecretString="x"))
            assert_unavailable(lambda: n.kms.create_key())
            assert secure_value(n, f"{base}/before") == "sealed-before-outage"
            assert n.sm.get_secret_value(SecretId=secret_name)["SecretString"] == "secret-before-outage"
            assert n.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed before"
            if n is a:
                with harness.UnixHTTP(a.d.socket_path) as conn:
                    assert _redeem(conn, lease_id).json() == {"value": "sealed-before-outage", "version": 1}
            status, body = health(n)
            assert status == 200 and body["status"] == "degraded", (status, body)
            assert isinstance(body.get("reason"), str) and body["reason"], body
            assert metric(n, "sealbox_store_up") == 0
        with harness.UnixHTTP(b.d.socket_path) as conn:
            resp = native(conn, "POST", "/v1/leases/revoke", {"prefix": f"{base}/"})
            assert resp.status == 503 and (resp.header("content-type") or "").startswith("application/json"), resp
        time.sleep(1.0)
        refused_during = sum(1 for s, _ in outcomes.values() if s == "refused")
        down_for = time.monotonic() - killed_at
        own_cluster.restart()
        restarted_at = time.monotonic()
        healed = [wait_for(f"{n.name} back to ok", lambda n=n: healthy(n), 10.0) for n in nodes]
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    print(f"outage of {down_for:.1f} s: {acked_before_kill} writes acknowledged before the kill, {refused_during} "
          f"refused during it; health ok again {max(healed):.2f} s after the restart")
    kinds = {}
    for status, _ in outcomes.values():
        kinds[status] = kinds.get(status, 0) + 1
    print(f"write outcomes: {kinds}")
    assert acked_before_kill > 10, f"the writers made too little progress before the kill to test anything: {kinds}"
    assert refused_during > 0, "no write was refused during the outage"
    odd = {k: s for k, (s, _) in outcomes.items() if s.startswith("error:")}
    assert not odd, f"writes failed with an AWS error other than ServiceUnavailableException: {odd}"

    # Writes work again on both, without restarting either daemon.
    for i, n in enumerate(nodes):
        n.ssm.put_parameter(Name=f"{base}/after-{i}", Value=f"after-{i}", Type="String")
    assert a.d.running() and b.d.running()

    acked = {k: v for k, (s, v) in outcomes.items() if s == "acked"}
    refused = {k: v for k, (s, v) in outcomes.items() if s != "acked"}
    acked[f"{base}/after-0"], acked[f"{base}/after-1"] = "after-0", "after-1"

    def converged(n):
        have = {k: v for k, v in _all_parameters(n, base).items() if k != f"{base}/before"}
        missing = [k for k in acked if have.get(k) != acked[k]]
        wrong = [k for k in refused if k in have and have[k] != refused[k]]
        return not missing and not wrong

    wait_for("every acknowledged write on every daemon", lambda: all(converged(n) for n in nodes), 10.0)
    views = [_all_parameters(n, base) for n in nodes]
    assert views[0] == views[1], "the daemons disagree after the outage"
    assert f"{base}/down" not in views[0], "a write refused during the outage was stored"
    landed = [k for k in refused if k in views[0]]
    print(f"{len(acked)} acknowledged writes all present on both daemons; {len(refused)} refused or unanswered, "
          f"{len(landed)} of which had committed (consistent on both)")
    for n, before in zip(nodes, reconnects_before):
        assert metric(n, "sealbox_store_up") == 1
        assert (metric(n, "sealbox_store_reconnects_total") or 0) > before
        log = n.d.stderr_path.read_text(errors="replace")
        assert "store unreachable" in log and "store reconnected" in log, n.d.logs(tail=30)


def test_reads_refused_after_max_stale_seconds(own_cluster, daemons):
    (a,) = daemons(own_cluster.url, 1, config="store:\n  maxStaleSeconds: 2\n")
    name = f"/pg/{uuid.uuid4().hex}"
    a.ssm.put_parameter(Name=name, Value="stale-but-served", Type="SecureString")
    a.sm.create_secret(Name="pg/stale", SecretString="secret-stale")
    own_cluster.kill9()
    killed_at = time.monotonic()
    # The daemon notices at the latest when it next needs the store: a write.
    assert_unavailable(lambda: a.ssm.put_parameter(Name=f"{name}-x", Value="x", Type="String"))
    assert secure_value(a, name) == "stale-but-served"
    assert a.sm.get_secret_value(SecretId="pg/stale")["SecretString"] == "secret-stale"
    wait_for("health degraded", lambda: health(a)[1]["status"] == "degraded", 1.0)
    status, body = health(a)
    assert status == 200 and body["status"] == "degraded" and body.get("reason"), (status, body)
    served_until = refused_at = time.monotonic()
    while time.monotonic() - killed_at < 8:
        refused_at = time.monotonic()  # a refusal counts from when the read was sent
        if code_of(lambda: a.ssm.get_parameter(Name=name, WithDecryption=True)) is not None:
            break
        served_until = time.monotonic()
        time.sleep(0.05)
    refused_after = refused_at - killed_at
    print(f"reads served for {served_until - killed_at:.2f} s, refused {refused_after:.2f} s after the kill")
    assert 1.5 <= refused_after <= 4.0, f"reads were refused {refused_after:.2f} s after the kill, maxStaleSeconds 2"
    assert_unavailable(lambda: a.ssm.get_parameter(Name=name, WithDecryption=True))
    assert_unavailable(lambda: a.sm.get_secret_value(SecretId="pg/stale"))
    status, body = health(a)
    assert status == 503 and body["status"] == "degraded" and body.get("reason"), (status, body)

    own_cluster.restart()
    wait_for("health ok after the restart", lambda: healthy(a), 10.0)
    assert secure_value(a, name) == "stale-but-served"
    a.ssm.put_parameter(Name=f"{name}-after", Value="after", Type="String")


# ---------------------------------------------------------------------------
# What the database holds
# ---------------------------------------------------------------------------


def test_pg_dump_holds_no_plaintext(pg_url, daemons):
    a, b = daemons(pg_url, 2)
    canaries = [f"PLAINTEXT-CANARY-{uuid.uuid4().hex}" for _ in range(4)]
    base = f"/pg/{uuid.uuid4().hex}"
    a.ssm.put_parameter(Name=f"{base}/secure", Value=canaries[0], Type="SecureString")
    b.ssm.put_parameter(Name=f"{base}/secure", Value=canaries[1], Type="SecureString", Overwrite=True)
    a.sm.create_secret(Name="pg/dump", SecretString=canaries[2])
    b.sm.create_secret(Name="pg/dump-binary", SecretBinary=canaries[3].encode())
    key_id = a.kms.create_key()["KeyMetadata"]["KeyId"]
    a.kms.encrypt(KeyId=key_id, Plaintext=canaries[0].encode())
    p = subprocess.run([_client_tool("pg_dump"), "--no-owner", pg_url],
                       capture_output=True, timeout=120, env=harness.clean_env())
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    dump = p.stdout
    assert b"sealbox_changes" in dump, "the dump does not hold the store's tables"
    changes = int(psql(pg_url, "SELECT count(*) FROM sealbox_changes"))
    assert changes >= 6, f"only {changes} rows in sealbox_changes after six writes"
    for canary in canaries:
        raw = canary.encode()
        for form in (raw, base64.b64encode(raw), raw.hex().encode(), raw[8:40]):
            assert form not in dump, f"a plaintext ({form[:30]!r}...) is in the pg_dump of the store"
    assert secure_value(b, f"{base}/secure") == canaries[1]


# ---------------------------------------------------------------------------
# sealbox store copy
# ---------------------------------------------------------------------------


def store_copy(source: str, target: str) -> subprocess.CompletedProcess:
    cli = Path(harness.daemon_binary()).parent / "sealbox"
    return subprocess.run([str(cli), "store", "copy", "--from", source, "--to", target], capture_output=True,
                          text=True, env=harness.clean_env(), timeout=120)


def _fill(n) -> dict:
    """A bit of everything; returns what to check it by."""
    base = f"/copy/{uuid.uuid4().hex[:8]}"
    params = {f"{base}/s{i}": f"secure-{i}-{uuid.uuid4().hex[:6]}" for i in range(5)}
    for name, value in params.items():
        n.ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    n.ssm.put_parameter(Name=f"{base}/plain", Value="plain-value", Type="String")
    params[f"{base}/plain"] = "plain-value"
    n.ssm.put_parameter(Name=f"{base}/s0", Value="secure-0-second", Type="SecureString", Overwrite=True)
    params[f"{base}/s0"] = "secure-0-second"
    n.sm.create_secret(Name="copy/one", SecretString="copied-secret")
    n.sm.put_secret_value(SecretId="copy/one", SecretString="copied-secret-2")
    key_id = n.kms.create_key(Description="copied")["KeyMetadata"]["KeyId"]
    n.kms.create_alias(AliasName="alias/copied", TargetKeyId=key_id)
    blob = n.kms.encrypt(KeyId="alias/copied", Plaintext=b"copied plaintext")["CiphertextBlob"]
    n.kms.rotate_key_on_demand(KeyId=key_id)
    blob2 = n.kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    return {"base": base, "params": params, "key": key_id, "blobs": {blob: b"copied plaintext",
                                                                    blob2: b"after rotation"}}


def _check_filled(n, expected: dict) -> None:
    assert _all_parameters(n, expected["base"]) == expected["params"]
    history = n.ssm.get_parameter_history(Name=f"{expected['base']}/s0", WithDecryption=True)["Parameters"]
    assert [h["Version"] for h in history] == [1, 2]
    assert n.sm.get_secret_value(SecretId="copy/one")["SecretString"] == "copied-secret-2"
    assert n.sm.get_secret_value(SecretId="copy/one", VersionStage="AWSPREVIOUS")["SecretString"] == "copied-secret"
    assert n.kms.describe_key(KeyId="alias/copied")["KeyMetadata"]["KeyId"] == expected["key"]
    for blob, plaintext in expected["blobs"].items():
        assert n.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext


def test_store_copy_sqlite_to_postgres_and_back(tmp_path, root_key, pg_url, daemons):
    sqlite_dir = tmp_path / "sqlite"
    sqlite_dir.mkdir(mode=0o700)
    d = harness.Daemon(sqlite_dir, tmp_path / "sqlite-logs", socket_path=tmp_path / "sq.sock",
                       extra_args=["--root-key", f"file:{root_key}"]).start()
    try:
        expected = _fill(node(d))
    finally:
        assert d.terminate(timeout=10) == 0
    source = f"sqlite:{sqlite_dir / 'sealbox.db'}"

    p = store_copy(source, pg_url)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "secure-" not in p.stdout + p.stderr and "copied-secret" not in p.stdout + p.stderr
    print(f"sealbox store copy sqlite -> postgres:\n{p.stdout}{p.stderr}")

    (n,) = daemons(pg_url, 1)
    _check_filled(n, expected)

    again = store_copy(source, pg_url)
    assert again.returncode != 0, "copy into a non-empty target must be refused"
    assert re.search(r"empty|contain|exist", again.stderr, re.I), again.stderr
    _check_filled(n, expected)  # and the target is untouched

    n.d.terminate(timeout=10)
    back_dir = tmp_path / "back"
    back_dir.mkdir(mode=0o700)
    p = store_copy(pg_url, f"sqlite:{back_dir / 'sealbox.db'}")
    assert p.returncode == 0, (p.stdout, p.stderr)
    d = harness.Daemon(back_dir, tmp_path / "back-logs", socket_path=tmp_path / "bk.sock",
                       extra_args=["--root-key", f"file:{root_key}"]).start()
    try:
        _check_filled(node(d), expected)
    finally:
        d.terminate(timeout=10)


# ---------------------------------------------------------------------------
# Start-up refusals
# ---------------------------------------------------------------------------


def _start_and_exit(tmp_path, store: str, env: dict | None = None) -> tuple[int, str, float]:
    data = tmp_path / harness.unique("data")
    data.mkdir(mode=0o700)
    e = harness.clean_env()
    e.update(env or {})
    argv = [str(harness.daemon_binary()), "--data-dir", str(data), "--listen", "127.0.0.1:0",
            "--socket", str(data / "s.sock"), "--store", store]
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sealboxd --store {store} was still running after 30 s")
    return p.returncode, p.stdout + p.stderr, time.monotonic() - start


def test_unreachable_store_exits_with_a_clear_message(tmp_path):
    port = harness.free_port()  # nothing listens there
    rc, out, took = _start_and_exit(tmp_path, f"postgres://sealbox@127.0.0.1:{port}/sealbox?sslmode=disable",
                                    env={"PGPASSWORD": "pgpassword-canary-2e1f"})
    assert rc != 0, out
    assert took < 15, f"took {took:.1f} s to give up"
    assert f"127.0.0.1:{port}" in out, out
    assert "pgpassword-canary-2e1f" not in out


def test_password_in_the_store_url_is_refused(tmp_path):
    port = harness.free_port()
    rc, out, took = _start_and_exit(tmp_path, f"postgres://sealbox:url-password-canary@127.0.0.1:{port}/sealbox")
    assert rc != 0, out
    assert took < 15
    assert "url-password-canary" not in out, out
    assert "password" in out.lower(), out
