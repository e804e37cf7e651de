"""KMS grants (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant) with boto3, the
AWS CLI and the `sealbox grant` CLI: a caller the policy refuses gets in with a grant and is refused
again once the grant is retired or revoked; constraints decide on the request's encryption context;
lists page and filter; bad input gets AWS's errors and changes nothing; grants outlive a restart and
go with their key.

The daemon's config maps AWS principal ARNs to its callers (`aws.principals`): role/app is the access
key `app`, role/ops the access key `ops`, user/nobody uid 65534; only `admin` (and root) may use keys
by policy.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import harness

ACCOUNT = harness.ACCOUNT
APP = f"arn:aws:iam::{ACCOUNT}:role/app"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"
NOBODY = f"arn:aws:iam::{ACCOUNT}:user/nobody"
KEYS = {"admin": "AKIAGRANTSADMIN00001", "app": "AKIAGRANTSAPP0000001", "ops": "AKIAGRANTSOPS0000001"}


def write_config(base: Path) -> Path:
    """The config (and its access keys' secret files) under `base`."""
    entries = []
    for principal, key_id in KEYS.items():
        secret = base / f"{principal}.secret"
        secret.write_text(f"{principal}-secret-for-the-suite\n")
        secret.chmod(0o600)
        entries.append(f"  - {{id: {key_id}, secretFile: {secret}, principal: {principal}}}")
    config = base / "sealbox.yaml"
    config.write_text("accessKeys:\n" + "\n".join(entries) + f"""
aws:
  principals:
    "{APP}": "access-key:app"
    "{OPS}": ["access-key:ops"]
    "{NOBODY}": "uid:65534"
policy:
  - principals: ["uid:0", "access-key:admin"]
    allow: ["*"]
    resources: ["*"]
  - principals: ["access-key:app", "access-key:ops"]
    allow: ["kms:ListKeys"]
    resources: ["*"]
""")
    return config


def client(daemon: harness.Daemon, principal: str, *, validate: bool = True):
    return daemon.client(KEYS[principal], f"{principal}-secret-for-the-suite", validate=validate)


code = harness.error_code


@pytest.fixture(scope="module")
def public_dir():
    # The socket's directory must be reachable by uid 65534; pytest's tmp dirs are not.
    path = Path(tempfile.mkdtemp(prefix="sealbox-grants-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def gd(tmp_path_factory, public_dir):
    base = tmp_path_factory.mktemp("grants")
    d = harness.Daemon(base / "data", base / "logs", socket_path=public_dir / "s.sock",
                       extra_args=["--config", str(write_config(base))])
    d.start()
    os.chmod(d.socket_path, 0o666)
    yield d
    d.terminate(timeout=10)


@pytest.fixture(scope="module")
def admin(gd):
    return client(gd, "admin")


@pytest.fixture(scope="module")
def admin_nv(gd):
    return client(gd, "admin", validate=False)


@pytest.fixture(scope="module")
def app(gd):
    return client(gd, "app")


@pytest.fixture(scope="module")
def ops(gd):
    return client(gd, "ops")


@pytest.fixture
def gkey(admin):
    return admin.create_key(Description=harness.unique("grants"))["KeyMetadata"]["KeyId"]


def test_a_refused_caller_gets_in_with_a_grant_and_out_again_when_it_is_retired(admin, app, ops, gkey):
    assert code(lambda: app.encrypt(KeyId=gkey, Plaintext=b"x")) == "AccessDeniedException"
    created = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal=OPS,
                                 Operations=["Encrypt", "Decrypt"])
    assert len(created["GrantId"]) == 64 and int(created["GrantId"], 16) >= 0
    assert created["GrantToken"]
    blob = app.encrypt(KeyId=gkey, Plaintext=b"granted")["CiphertextBlob"]
    assert app.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted"
    # Only the operations listed, and only for the grantee.
    assert code(lambda: app.generate_data_key(KeyId=gkey, KeySpec="AES_256")) == "AccessDeniedException"
    assert code(lambda: app.describe_key(KeyId=gkey)) == "AccessDeniedException"
    assert code(lambda: ops.encrypt(KeyId=gkey, Plaintext=b"x")) == "AccessDeniedException"
    # The grantee may not retire it (the grant does not list RetireGrant); the retiring principal may.
    assert code(lambda: app.retire_grant(GrantToken=created["GrantToken"])) == "AccessDeniedException"
    ops.retire_grant(GrantToken=created["GrantToken"])
    assert code(lambda: app.encrypt(KeyId=gkey, Plaintext=b"x")) == "AccessDeniedException"
    assert code(lambda: app.decrypt(CiphertextBlob=blob)) == "AccessDeniedException"
    assert admin.list_grants(KeyId=gkey)["Grants"] == []


def test_a_grantee_retires_a_grant_that_lists_retire_grant_by_key_and_id(admin, app, gkey):
    grant_id = admin.create_grant(KeyId=gkey, GranteePrincipal=APP,
                                  Operations=["GenerateDataKey", "RetireGrant"])["GrantId"]
    assert len(app.generate_data_key(KeyId=gkey, KeySpec="AES_256")["Plaintext"]) == 32
    app.retire_grant(KeyId=harness.key_arn(gkey), GrantId=grant_id)
    assert code(lambda: app.generate_data_key(KeyId=gkey, KeySpec="AES_256")) == "AccessDeniedException"


def test_a_revoked_grant_ends_and_revoking_needs_the_policy(admin, app, ops, gkey):
    grant_id = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal=OPS,
                                  Operations=["Encrypt", "RetireGrant"])["GrantId"]
    app.encrypt(KeyId=gkey, Plaintext=b"x")
    for caller in (app, ops):
        assert code(lambda: caller.revoke_grant(KeyId=gkey, GrantId=grant_id)) == "AccessDeniedException"
    admin.revoke_grant(KeyId=gkey, GrantId=grant_id)
    assert code(lambda: app.encrypt(KeyId=gkey, Plaintext=b"x")) == "AccessDeniedException"
    assert code(lambda: admin.revoke_grant(KeyId=gkey, GrantId=grant_id)) == "NotFoundException"


def test_constraints_decide_on_the_requests_encryption_context(admin, app):
    it, more, hr = {"Department": "IT"}, {"Department": "IT", "Purpose": "Test"}, {"Department": "HR"}
    for kind in ("EncryptionContextSubset", "EncryptionContextEquals"):
        kid = admin.create_key()["KeyMetadata"]["KeyId"]
        admin.create_grant(KeyId=kid, GranteePrincipal=APP, Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
                           Constraints={kind: it})
        assert code(lambda: app.encrypt(KeyId=kid, Plaintext=b"x")) == "AccessDeniedException"
        assert code(lambda: app.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext=hr)) == "AccessDeniedException"
        blob = app.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext=it)["CiphertextBlob"]
        assert app.decrypt(CiphertextBlob=blob, EncryptionContext=it)["Plaintext"] == b"x"
        # Keys compare without case in a constraint, as the model says; values with it.
        assert app.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"department": "IT"})["CiphertextBlob"]
        assert code(lambda: app.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"Department": "it"})) \
            == "AccessDeniedException"
        assert app.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext=it)["CiphertextBlob"]
        assert code(lambda: app.generate_data_key(KeyId=kid, KeySpec="AES_256")) == "AccessDeniedException"
        wider = admin.encrypt(KeyId=kid, Plaintext=b"y", EncryptionContext=more)["CiphertextBlob"]
        if kind == "EncryptionContextSubset":
            assert app.decrypt(CiphertextBlob=wider, EncryptionContext=more)["Plaintext"] == b"y"
            assert app.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext=more)["CiphertextBlob"]
        else:
            assert code(lambda: app.decrypt(CiphertextBlob=wider, EncryptionContext=more)) == "AccessDeniedException"
            assert code(lambda: app.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext=more)) \
                == "AccessDeniedException"


def test_list_grants_pages_in_creation_order_and_filters(admin, gkey):
    ids = []
    for n in range(5):
        ids.append(admin.create_grant(KeyId=gkey, GranteePrincipal=APP if n % 2 == 0 else OPS,
                                      RetiringPrincipal=OPS, Operations=["Decrypt"], Name=f"page-{n}")["GrantId"])
        time.sleep(0.002)
    seen, marker, pages = [], None, 0
    while True:
        page = admin.list_grants(KeyId=gkey, Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Grants"]) <= 2
        seen += [g["GrantId"] for g in page["Grants"]]
        pages += 1
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert seen == ids and pages == 3
    first = admin.list_grants(KeyId=gkey, GrantId=ids[0])["Grants"]
    assert len(first) == 1
    entry = first[0]
    assert entry["KeyId"] == harness.key_arn(gkey)
    assert entry["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert (entry["GranteePrincipal"], entry["RetiringPrincipal"], entry["Operations"], entry["Name"]) == \
        (APP, OPS, ["Decrypt"], "page-0")
    assert "Constraints" not in entry
    assert abs(entry["CreationDate"].timestamp() - time.time()) < 120
    assert [g["GrantId"] for g in admin.list_grants(KeyId=gkey, GranteePrincipal=OPS)["Grants"]] == [ids[1], ids[3]]
    paginator = admin.get_paginator("list_grants")
    assert [g["GrantId"] for p in paginator.paginate(KeyId=gkey, PaginationConfig={"PageSize": 2})
            for g in p["Grants"]] == ids


def test_list_retirable_grants_spans_keys_and_pages(admin, ops):
    principal = f"arn:aws:iam::{ACCOUNT}:role/{harness.unique('retirer')}"
    ids = []
    for _ in range(3):
        kid = admin.create_key()["KeyMetadata"]["KeyId"]
        ids.append(admin.create_grant(KeyId=kid, GranteePrincipal=APP, RetiringPrincipal=principal,
                                      Operations=["Encrypt"])["GrantId"])
        time.sleep(0.002)
    page = admin.list_retirable_grants(RetiringPrincipal=principal, Limit=2)
    assert [g["GrantId"] for g in page["Grants"]] == ids[:2] and page["Truncated"]
    rest = admin.list_retirable_grants(RetiringPrincipal=principal, Limit=2, Marker=page["NextMarker"])
    assert [g["GrantId"] for g in rest["Grants"]] == ids[2:] and not rest["Truncated"]
    assert all(g["RetiringPrincipal"] == principal for g in page["Grants"] + rest["Grants"])
    # Authorized by policy on the principal, as AWS does: being the retiring principal is not enough.
    assert code(lambda: ops.list_retirable_grants(RetiringPrincipal=OPS)) == "AccessDeniedException"


def test_bad_input_gets_awss_errors_and_changes_nothing(admin, admin_nv, app, gkey):
    kept = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Encrypt"])
    hmac = admin.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    unknown_id = "ab" * 32
    cases = [
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal="uid:1000", Operations=["Encrypt"]),
         "InvalidArnException"),
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal="exampleUser",
                                       Operations=["Encrypt"]), "InvalidArnException"),
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Encrypt", "Teleport"]),
         "ValidationException"),
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Sign"]),
         "ValidationException"),
        (lambda: admin_nv.create_grant(KeyId=hmac, GranteePrincipal=APP, Operations=["Encrypt"]),
         "ValidationException"),
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Encrypt"],
                                       Constraints={"EncryptionContextSubset": {"a": "b"},
                                                    "EncryptionContextEquals": {"a": "b"}}), "ValidationException"),
        (lambda: admin_nv.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Encrypt"],
                                       GrantTokens=["not-a-token"]), "InvalidGrantTokenException"),
        (lambda: admin_nv.retire_grant(GrantToken="not-a-token"), "InvalidGrantTokenException"),
        (lambda: admin_nv.retire_grant(KeyId=gkey, GrantId=unknown_id), "NotFoundException"),
        (lambda: admin_nv.retire_grant(KeyId=gkey, GrantId="nope"), "InvalidGrantIdException"),
        (lambda: admin_nv.revoke_grant(KeyId=gkey, GrantId=unknown_id), "NotFoundException"),
        (lambda: admin_nv.revoke_grant(KeyId=gkey, GrantId="nope"), "InvalidGrantIdException"),
        (lambda: admin_nv.list_grants(KeyId=gkey, GrantId="nope"), "InvalidGrantIdException"),
        (lambda: admin_nv.list_retirable_grants(RetiringPrincipal="nobody"), "InvalidArnException"),
        (lambda: admin_nv.encrypt(KeyId=gkey, Plaintext=b"x", GrantTokens=[kept["GrantToken"], "bogus"]),
         "InvalidGrantTokenException"),
        (lambda: admin_nv.encrypt(KeyId=gkey, Plaintext=b"x", GrantTokens=[kept["GrantToken"]] * 11),
         "ValidationException"),
    ]
    for call, expected in cases:
        assert code(call) == expected
    grants = admin.list_grants(KeyId=gkey)["Grants"]
    assert [g["GrantId"] for g in grants] == [kept["GrantId"]]
    assert admin.list_grants(KeyId=hmac)["Grants"] == []
    # Its own token is accepted wherever grant tokens are.
    assert app.encrypt(KeyId=gkey, Plaintext=b"x", GrantTokens=[kept["GrantToken"]])["CiphertextBlob"]


def test_a_name_makes_create_grant_idempotent_and_dry_run_changes_nothing(admin, app, ops, gkey):
    first = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal=OPS,
                               Operations=["Encrypt", "Decrypt"], Name="deploy-1")
    again = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal=OPS,
                               Operations=["Decrypt", "Encrypt"], Name="deploy-1")
    assert again["GrantId"] == first["GrantId"] and again["GrantToken"] != first["GrantToken"]
    assert code(lambda: admin.create_grant(KeyId=gkey, GranteePrincipal=OPS, Operations=["Encrypt"],
                                           DryRun=True)) == "DryRunOperationException"
    assert code(lambda: app.create_grant(KeyId=gkey, GranteePrincipal=OPS, Operations=["Encrypt"],
                                         DryRun=True)) == "AccessDeniedException"
    assert code(lambda: ops.retire_grant(GrantToken=again["GrantToken"], DryRun=True)) == "DryRunOperationException"
    assert code(lambda: admin.revoke_grant(KeyId=gkey, GrantId=first["GrantId"], DryRun=True)) \
        == "DryRunOperationException"
    assert [g["GrantId"] for g in admin.list_grants(KeyId=gkey)["Grants"]] == [first["GrantId"]]
    # A token of the same grant retires it: every token of a grant names it.
    ops.retire_grant(GrantToken=first["GrantToken"])
    assert admin.list_grants(KeyId=gkey)["Grants"] == []


def test_a_grant_of_create_grant_allows_only_stricter_grants(admin, app, ops, gkey):
    admin.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Decrypt", "CreateGrant"],
                       Constraints={"EncryptionContextSubset": {"tenant": "42"}})
    child = app.create_grant(KeyId=gkey, GranteePrincipal=OPS, Operations=["Decrypt"],
                             Constraints={"EncryptionContextEquals": {"tenant": "42"}})
    assert child["GrantId"]
    assert code(lambda: app.create_grant(KeyId=gkey, GranteePrincipal=OPS, Operations=["Decrypt"])) \
        == "AccessDeniedException"
    assert code(lambda: app.create_grant(KeyId=gkey, GranteePrincipal=OPS, Operations=["Encrypt"],
                                         Constraints={"EncryptionContextSubset": {"tenant": "42"}})) \
        == "AccessDeniedException"
    blob = admin.encrypt(KeyId=gkey, Plaintext=b"t", EncryptionContext={"tenant": "42"})["CiphertextBlob"]
    assert ops.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "42"})["Plaintext"] == b"t"


def test_grant_writes_are_audited_with_their_intent(gd, admin, app, ops, gkey):
    created = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, RetiringPrincipal=OPS, Operations=["Encrypt"])
    app.encrypt(KeyId=gkey, Plaintext=b"x")
    ops.retire_grant(GrantToken=created["GrantToken"])
    second = admin.create_grant(KeyId=gkey, GranteePrincipal=APP, Operations=["Encrypt"])["GrantId"]
    admin.revoke_grant(KeyId=gkey, GrantId=second)
    records = [json.loads(line) for line in (gd.data_dir / "audit.log").read_text().splitlines() if line.strip()]
    records = [r for r in records if not r["action"].startswith("audit:")]
    arn = harness.key_arn(gkey)
    for action in ("kms:CreateGrant", "kms:RetireGrant", "kms:RevokeGrant"):
        outcomes = [r for r in records
                    if r["action"] == action and r["result"] != "intent" and arn in r.get("resources", [])]
        assert outcomes and all(r["result"] == "allowed" for r in outcomes), outcomes
        for outcome in outcomes:
            same = [r["result"] for r in records if r.get("requestId") == outcome["requestId"]]
            assert same == ["intent", "allowed"], same
    # The use the grant allowed names the grant.
    uses = [r for r in records if r["action"] == "kms:Encrypt" and arn in r.get("resources", [])]
    assert uses and f"grant:{created['GrantId']}" in uses[-1]["resources"]


# Runs as uid 65534 on the socket: each call in argv[2] (a JSON list of [target, body]) in turn.
UID_CLIENT = r"""
import json, socket, sys

def call(target, body):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    data = json.dumps(body).encode()
    head = (f"POST / HTTP/1.1\r\nHost: sealbox\r\nContent-Length: {len(data)}\r\nConnection: close\r\n"
            f"X-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\n\r\n")
    s.sendall(head.encode() + data)
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    header, _, payload = raw.partition(b"\r\n\r\n")
    return [int(header.split(b" ")[1]), json.loads(payload or b"{}")]

print(json.dumps([call(target, body) for target, body in json.loads(sys.argv[2])]))
"""


def as_nobody(socket_path: Path, *calls: tuple[str, dict]) -> list:
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", UID_CLIENT,
         str(socket_path), json.dumps(calls)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_a_uid_refused_by_the_policy_succeeds_with_a_grant_until_retired_or_revoked(gd, admin, gkey):
    encrypt = ("TrentService.Encrypt", {"KeyId": gkey, "Plaintext": base64.b64encode(b"uid").decode()})
    [(status, answer)] = as_nobody(gd.socket_path, encrypt)
    assert status == 400 and answer["__type"] == "AccessDeniedException"
    assert "uid:65534" in answer["message"]
    # Retired by the grantee itself (the grant lists RetireGrant) over the socket, by its token.
    token = admin.create_grant(KeyId=gkey, GranteePrincipal=NOBODY,
                               Operations=["Encrypt", "RetireGrant"])["GrantToken"]
    (status, answer), retired, (after, refused) = as_nobody(
        gd.socket_path, encrypt, ("TrentService.RetireGrant", {"GrantToken": token}), encrypt)
    assert status == 200 and answer["KeyId"] == harness.key_arn(gkey), answer
    assert retired[0] == 200, retired
    assert after == 400 and refused["__type"] == "AccessDeniedException"
    # Revoked by an admin.
    grant_id = admin.create_grant(KeyId=gkey, GranteePrincipal=NOBODY, Operations=["Encrypt"])["GrantId"]
    assert as_nobody(gd.socket_path, encrypt)[0][0] == 200
    admin.revoke_grant(KeyId=gkey, GrantId=grant_id)
    [(status, answer)] = as_nobody(gd.socket_path, encrypt)
    assert status == 400 and answer["__type"] == "AccessDeniedException"


def test_grants_outlive_a_restart_and_go_with_their_key(tmp_path):
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(write_config(tmp_path))])
    d.start()
    try:
        admin = client(d, "admin")
        kid = admin.create_key()["KeyMetadata"]["KeyId"]
        kept = admin.create_key()["KeyMetadata"]["KeyId"]
        grant = admin.create_grant(KeyId=kid, GranteePrincipal=APP, RetiringPrincipal=OPS, Operations=["Encrypt"],
                                   Constraints={"EncryptionContextEquals": {"app": "x"}}, Name="durable")
        survivor = admin.create_grant(KeyId=kept, GranteePrincipal=APP, RetiringPrincipal=OPS,
                                      Operations=["Decrypt"])["GrantId"]
        admin.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
        # A key pending deletion keeps its grants.
        assert len(admin.list_grants(KeyId=kid)["Grants"]) == 1
    finally:
        d.terminate(timeout=10)
    d.start()
    try:
        admin = client(d, "admin")
        [listed] = admin.list_grants(KeyId=kid)["Grants"]
        assert (listed["GrantId"], listed["Name"], listed["Constraints"]) == \
            (grant["GrantId"], "durable", {"EncryptionContextEquals": {"app": "x"}})
        admin.cancel_key_deletion(KeyId=kid)
        admin.enable_key(KeyId=kid)
        assert client(d, "app").encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"app": "x"})["KeyId"]
        admin.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    finally:
        d.terminate(timeout=10)
    # The pending window ends while the daemon is down; at start it deletes the key and its grants.
    db = sqlite3.connect(str(d.data_dir / "sealbox.db"))
    with db:
        db.execute("UPDATE kms_keys SET record = json_set(record, '$.deletionDate', 1000000000.0) WHERE id = ?",
                   (kid,))
    db.close()
    d.start()
    try:
        admin = client(d, "admin")
        assert code(lambda: admin.list_grants(KeyId=kid)) == "NotFoundException"
        assert [g["GrantId"] for g in admin.list_retirable_grants(RetiringPrincipal=OPS)["Grants"]] == [survivor]
        deadline = time.time() + 10
        while time.time() < deadline:
            rows = sqlite3.connect(f"file:{d.data_dir / 'sealbox.db'}?mode=ro", uri=True).execute(
                "SELECT key_id FROM kms_grants").fetchall()
            if rows == [(kept,)]:
                break
            time.sleep(0.1)
        assert rows == [(kept,)]
        assert code(lambda: client(d, "ops").retire_grant(GrantToken=grant["GrantToken"])) == "NotFoundException"
    finally:
        d.terminate(timeout=10)


def test_the_principal_mapping_reloads_on_sighup(tmp_path):
    config = write_config(tmp_path)
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    d.start()
    try:
        admin, app, ops = client(d, "admin"), client(d, "app"), client(d, "ops")
        kid = admin.create_key()["KeyMetadata"]["KeyId"]
        admin.create_grant(KeyId=kid, GranteePrincipal=APP, Operations=["Encrypt"])
        app.encrypt(KeyId=kid, Plaintext=b"x")
        # role/app now stands for the access key ops: the same grant lets ops in and app no longer.
        config.write_text(config.read_text().replace(f'"{APP}": "access-key:app"', f'"{APP}": "access-key:ops"'))
        os.kill(d.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and code(lambda: app.encrypt(KeyId=kid, Plaintext=b"x")) is None:
            time.sleep(0.1)
        assert code(lambda: app.encrypt(KeyId=kid, Plaintext=b"x")) == "AccessDeniedException"
        assert ops.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
    finally:
        d.terminate(timeout=10)


def test_a_reset_deletes_every_grant(spawn):
    d = spawn(ephemeral=True)
    kms = d.client("AKIAANYTHING00000000", "anything")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    token = kms.create_grant(KeyId=kid, GranteePrincipal=APP, RetiringPrincipal=OPS,
                             Operations=["Encrypt"])["GrantToken"]
    assert len(kms.list_retirable_grants(RetiringPrincipal=OPS)["Grants"]) == 1
    reset = harness.tcp_request(d.port, None, b"", path="/moto-api/reset", host="localhost")
    assert reset.status == 200, reset
    assert kms.list_retirable_grants(RetiringPrincipal=OPS)["Grants"] == []
    assert code(lambda: kms.list_grants(KeyId=kid)) == "NotFoundException"
    assert code(lambda: kms.retire_grant(GrantToken=token)) == "NotFoundException"


def test_the_aws_cli_creates_lists_and_retires_grants(aws):
    kid = json.loads(aws("kms", "create-key", "--output", "json").stdout)["KeyMetadata"]["KeyId"]
    created = json.loads(aws("kms", "create-grant", "--key-id", kid, "--grantee-principal", APP,
                             "--operations", "Encrypt", "Decrypt", "--retiring-principal", OPS,
                             "--constraints", "EncryptionContextSubset={Department=IT}",
                             "--name", "from-the-cli", "--output", "json").stdout)
    listed = json.loads(aws("kms", "list-grants", "--key-id", kid, "--output", "json").stdout)["Grants"]
    assert [(g["GrantId"], g["Name"], g["Operations"], g["Constraints"]) for g in listed] == \
        [(created["GrantId"], "from-the-cli", ["Encrypt", "Decrypt"], {"EncryptionContextSubset": {"Department": "IT"}})]
    aws("kms", "retire-grant", "--grant-token", created["GrantToken"])
    assert json.loads(aws("kms", "list-grants", "--key-id", kid, "--output", "json").stdout)["Grants"] == []
    p = aws("kms", "create-grant", "--key-id", kid, "--grantee-principal", "uid:0", "--operations", "Encrypt",
            check=False)
    assert p.returncode != 0 and b"InvalidArnException" in p.stderr, p.stderr


def cli(daemon: harness.Daemon, *args: str) -> subprocess.CompletedProcess:
    binary = Path(os.environ.get("SEALBOX_CLI") or harness.daemon_binary().with_name("sealbox"))
    return subprocess.run([str(binary), *args, "--socket", str(daemon.socket_path)], capture_output=True, text=True,
                          env=harness.clean_env(), timeout=60)


def test_the_sealbox_cli_creates_lists_retires_and_revokes_grants(daemon, kms):
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{harness.unique('grants')}", TargetKeyId=kid)
    alias = next(a["AliasName"] for a in kms.list_aliases(KeyId=kid)["Aliases"])
    made = cli(daemon, "grant", "create", alias, "--grantee", APP, "--operations", "Encrypt,Decrypt",
               "--retiring-principal", OPS, "--encryption-context-subset", "app=billing",
               "--encryption-context-subset", "stage=prod=blue", "--name", "cli-grant", "--output", "json")
    assert made.returncode == 0 and made.stderr == "", made
    created = json.loads(made.stdout)
    [grant] = kms.list_grants(KeyId=kid)["Grants"]
    assert grant["GrantId"] == created["GrantId"]
    assert grant["Constraints"] == {"EncryptionContextSubset": {"app": "billing", "stage": "prod=blue"}}
    table = cli(daemon, "grant", "list", kid)
    assert table.returncode == 0, table
    assert table.stdout.splitlines()[0].split() == ["GRANT", "ID", "GRANTEE", "OPERATIONS", "CONSTRAINT", "RETIRING"]
    assert created["GrantId"] in table.stdout and "subset{app=billing,stage=prod=blue}" in table.stdout
    retirable = cli(daemon, "grant", "list", "--retiring-principal", OPS, "--output", "json")
    assert created["GrantId"] in [g["GrantId"] for g in json.loads(retirable.stdout)]
    retired = cli(daemon, "grant", "retire", "--token", created["GrantToken"])
    assert retired.returncode == 0 and retired.stdout.strip() == "retired the grant", retired
    second = json.loads(cli(daemon, "grant", "create", kid, "--grantee", APP, "--operations", "Decrypt",
                            "--output", "json").stdout)["GrantId"]
    revoked = cli(daemon, "grant", "revoke", alias, second)
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"revoked {second}", revoked
    assert kms.list_grants(KeyId=kid)["Grants"] == []
    # Usage errors exit 2; refusals exit 1 with AWS's error.
    both = cli(daemon, "grant", "create", kid, "--grantee", APP, "--operations", "Decrypt",
               "--encryption-context-subset", "a=b", "--encryption-context-equals", "a=b")
    assert both.returncode == 2, both
    assert cli(daemon, "grant", "retire", kid).returncode == 2
    bad = cli(daemon, "grant", "create", kid, "--grantee", "uid:0", "--operations", "Decrypt")
    assert bad.returncode == 1 and "InvalidArnException" in bad.stderr, bad
