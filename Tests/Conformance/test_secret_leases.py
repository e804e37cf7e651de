"""Leases over Secrets Manager secrets (`POST /v1/leases {"secretId": ...}`) against the real daemon:
what a redeem serves (the version current at redeem time, a binary value in base64), how it fails
(a deleted, scheduled-for-deletion or re-made secret, a disabled key), the body rules, the policy
(`secretsmanager:GetSecretValue` besides `lease:*`), listing and revoking, and the Python client's
`lease(secret_id=...)`."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

import harness
from harness import assert_native_error, native


@pytest.fixture(scope="module")
def sm(daemon, creds):
    return daemon.client(*creds, service="secretsmanager")


def unique() -> str:
    return f"lease/{uuid.uuid4().hex}"


def create(conn, **fields) -> dict:
    resp = native(conn, "POST", "/v1/leases", fields)
    assert resp.status == 201, resp
    return resp.json()


def redeem(conn, lease_id) -> dict:
    resp = native(conn, "POST", f"/v1/leases/{lease_id}/redeem")
    assert resp.status == 200, resp
    return resp.json()


def test_a_secret_lease_serves_the_version_current_at_each_redeem(sock, sm):
    name = unique()
    first = sm.create_secret(Name=name, SecretString='{"password":"one"}')["VersionId"]
    lease = create(sock, secretId=name, ttlSeconds=60)
    assert set(lease) == {"leaseId", "secretId", "expiresAt", "versionId", "versionStage", "maxUses", "uses"}
    assert (lease["secretId"], lease["versionId"], lease["versionStage"]) == (name, first, "AWSCURRENT")
    assert redeem(sock, lease["leaseId"]) == {"value": '{"password":"one"}', "versionId": first}
    second = sm.put_secret_value(SecretId=name, SecretString="two \"quoted\"\n")["VersionId"]
    assert redeem(sock, lease["leaseId"]) == {"value": "two \"quoted\"\n", "versionId": second}
    # By ARN, and following another label or pinned to one version.
    arn = sm.describe_secret(SecretId=name)["ARN"]
    previous = create(sock, secretId=arn, versionStage="AWSPREVIOUS")
    assert previous["secretId"] == name
    assert redeem(sock, previous["leaseId"]) == {"value": '{"password":"one"}', "versionId": first}
    pinned = create(sock, secretId=name, versionId=second)
    assert "versionStage" not in pinned and pinned["versionId"] == second
    sm.put_secret_value(SecretId=name, SecretString="three")
    assert redeem(sock, pinned["leaseId"])["value"] == "two \"quoted\"\n"
    assert redeem(sock, lease["leaseId"])["value"] == "three"


def test_a_binary_secret_is_redeemed_as_base64(sock, sm):
    name = unique()
    blob = bytes(range(256))
    version = sm.create_secret(Name=name, SecretBinary=blob)["VersionId"]
    lease = create(sock, secretId=name)
    assert redeem(sock, lease["leaseId"]) == {"binary": base64.b64encode(blob).decode(), "versionId": version}


def test_a_deleted_or_remade_secret_fails_the_redeem(sock, sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    lease = create(sock, secretId=name)["leaseId"]
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    body = assert_native_error(native(sock, "POST", f"/v1/leases/{lease}/redeem"), 409, "InvalidRequest")
    assert "marked for deletion" in body["message"]
    assert_native_error(native(sock, "POST", "/v1/leases", {"secretId": name}), 409, "InvalidRequest")
    sm.restore_secret(SecretId=name)
    assert redeem(sock, lease)["value"] == "v"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert_native_error(native(sock, "POST", f"/v1/leases/{lease}/redeem"), 404, "ResourceNotFound")
    # The same name made again is another secret: the old lease does not open it.
    sm.create_secret(Name=name, SecretString="impostor")
    resp = native(sock, "POST", f"/v1/leases/{lease}/redeem")
    assert_native_error(resp, 404, "ResourceNotFound")
    assert b"impostor" not in resp.body


def test_a_disabled_key_fails_the_redeem_as_get_secret_value_does(sock, sm, kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = unique()
    sm.create_secret(Name=name, SecretString="v", KmsKeyId=key)
    lease = create(sock, secretId=name)["leaseId"]
    kms.disable_key(KeyId=key)
    assert harness.error_code(lambda: sm.get_secret_value(SecretId=name)) == "DecryptionFailure"
    body = assert_native_error(native(sock, "POST", f"/v1/leases/{lease}/redeem"), 403, "DecryptionFailure")
    assert "can't decrypt" in body["message"]
    kms.enable_key(KeyId=key)
    assert redeem(sock, lease)["value"] == "v"


@pytest.mark.parametrize("doc,fragment", [
    ({}, "is required"),
    ({"name": "/a", "secretId": "b"}, "not both"),
    ({"secretId": ""}, "must not be empty"),
    ({"name": "/a", "versionStage": "AWSCURRENT"}, "go with secretId"),
    ({"secretId": "x" * 2049}, "1 to 2048"),
    ({"secretId": "x", "versionId": "short"}, "32 to 64"),
])
def test_bad_secret_lease_bodies_get_400(sock, doc, fragment):
    body = assert_native_error(native(sock, "POST", "/v1/leases", doc), 400, "BadRequest")
    assert fragment in body["message"], body


def test_a_missing_secret_or_label_gets_404(sock, sm):
    assert_native_error(native(sock, "POST", "/v1/leases", {"secretId": unique()}), 404, "ResourceNotFound")
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    body = assert_native_error(native(sock, "POST", "/v1/leases", {"secretId": name, "versionStage": "NOPE"}),
                               404, "ResourceNotFound")
    assert "staging label: NOPE" in body["message"]


def test_list_and_revoke_by_prefix_cover_secret_leases(sock, sm, ssm, pbase):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    ssm.put_parameter(Name=f"{pbase}/p", Value="p", Type="SecureString")
    secret_lease = create(sock, secretId=name)["leaseId"]
    parameter_lease = create(sock, name=f"{pbase}/p")["leaseId"]
    resp = native(sock, "GET", "/v1/leases")
    listed = {entry["leaseId"]: entry for entry in resp.json()["leases"]}
    assert listed[secret_lease]["secretId"] == name and "name" not in listed[secret_lease]
    assert listed[parameter_lease]["name"] == f"{pbase}/p" and "secretId" not in listed[parameter_lease]
    assert native(sock, "POST", "/v1/leases/revoke", {"prefix": name}).json() == {"revoked": 1}
    assert_native_error(native(sock, "POST", f"/v1/leases/{secret_lease}/redeem"), 404, "LeaseNotFound")
    assert redeem(sock, parameter_lease)["value"] == "p"


POLICY = """
policy:
  - principals: ["uid:0"]
    allow: ["lease:*", "secretsmanager:CreateSecret", "admin:*"]
    resources: ["*"]
  - principals: ["uid:0"]
    allow: ["secretsmanager:GetSecretValue"]
    resources: ["prod/*"]
"""


def test_a_secret_lease_needs_get_secret_value_on_the_secret(start_daemon):
    d = start_daemon(POLICY)
    with harness.UnixHTTP(d.socket_path) as conn:
        for name in ("prod/db", "dev/db"):
            resp = conn.aws("secretsmanager.CreateSecret", {"Name": name, "SecretString": f"{name}-value"})
            assert resp.status == 200, resp
        lease = create(conn, secretId="prod/db")
        assert redeem(conn, lease["leaseId"])["value"] == "prod/db-value"
        body = assert_native_error(native(conn, "POST", "/v1/leases", {"secretId": "dev/db"}), 403, "AccessDenied")
        assert "secretsmanager:GetSecretValue" in body["message"] and "dev/db" in body["message"]
        assert "dev/db-value" not in str(body)


def test_the_python_client_leases_a_secret(daemon, sm, sbc):
    name = unique()
    sm.create_secret(Name=name, SecretString="from python")
    blob_name = unique()
    sm.create_secret(Name=blob_name, SecretBinary=b"\x00\xffbin")
    with sbc.SealboxClient(socket_path=str(daemon.socket_path), timeout=10) as client:
        lease = client.lease(secret_id=name)
        with lease.value() as v:
            assert bytes(v) == b"from python"
        first = lease.last_version
        rotated = sm.put_secret_value(SecretId=name, SecretString="rotated")["VersionId"]
        with lease.value() as v:
            assert bytes(v) == b"rotated"
        assert lease.last_version == rotated != first
        with client.lease(secret_id=blob_name).value() as v:
            assert bytes(v) == b"\x00\xffbin"
        with pytest.raises(sbc.NotFound):
            client.lease(secret_id=unique()).create()
        with pytest.raises(ValueError):
            client.lease("/a", secret_id=name)


def test_every_secret_lease_redeem_is_audited_without_the_value(daemon, sock, sm):
    name = unique()
    value = f"audited-{uuid.uuid4().hex}"
    sm.create_secret(Name=name, SecretString=value)
    lease = create(sock, secretId=name)["leaseId"]
    for _ in range(3):
        assert redeem(sock, lease)["value"] == value
    # A record is written before its answer is sent, so all three are in the file now.
    log = (daemon.data_dir / "audit.log").read_text()
    records = [json.loads(line) for line in log.splitlines() if lease in line]
    redeems = [r for r in records if r["action"] == "lease:Redeem"]
    assert len(redeems) == 3, records
    assert all(r["resources"] == [name] and r["leaseId"] == lease and r["result"] == "allowed" for r in redeems)
    assert [r["action"] for r in records if r["action"] != "lease:Redeem"] == ["lease:Create"]
    assert value not in log


def test_an_unwritable_audit_log_refuses_secret_leases(tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("secrets:\n  - {name: prod/db, value: fail-closed-canary}\n")
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs",
                       extra_args=["--audit-log", "/dev/full", "--fixtures", str(fixtures)])
    d.start()
    try:
        with harness.UnixHTTP(d.socket_path) as conn:
            resp = native(conn, "POST", "/v1/leases", {"secretId": "prod/db"})
            assert_native_error(resp, 503, "AuditUnavailable")
            resp = native(conn, "POST", "/v1/leases/" + "a" * 32 + "/redeem")
            assert_native_error(resp, 503, "AuditUnavailable")
            assert b"fail-closed-canary" not in resp.body
    finally:
        d.terminate(timeout=10)
