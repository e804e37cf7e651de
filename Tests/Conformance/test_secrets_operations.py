"""Secrets Manager secrets in the daemon's own reports and tools: `/health` and `/v1/status` count
them where they count parameters, `/metrics` counts their calls and secret lease redeems, the call
record (`GET /v1/test/calls`) names the secret, and a backup (`sealbox backup`) restores them."""

from __future__ import annotations

import json
import os
import shutil
import uuid

import harness
from test_operations import CANARY, cli, metrics, ok, start


def health(d) -> dict:
    with harness.UnixHTTP(d.socket_path) as conn:
        resp = conn.request("GET", "/health")
    assert resp.status == 200, resp
    return resp.json()


def test_health_status_and_metrics_count_secrets(tmp_path):
    d = start(tmp_path)
    try:
        assert health(d)["secrets"] == 0
        sm = d.client(service="secretsmanager")
        for i in range(3):
            sm.create_secret(Name=f"ops/s{i}", SecretString=f"{CANARY}-{i}")
        sm.delete_secret(SecretId="ops/s2", RecoveryWindowInDays=7)
        assert health(d)["secrets"] == 3  # one scheduled for deletion still exists
        sm.get_secret_value(SecretId="ops/s0")
        sm.get_secret_value(SecretId="ops/s1")
        assert harness.error_code(lambda: sm.get_secret_value(SecretId="ops/none")) == "ResourceNotFoundException"
        status = json.loads(ok(cli("status", "-o", "json", socket_path=d.socket_path)).stdout)
        assert (status["secrets"], status["parameters"]) == (3, 0)
        assert "Secrets" in ok(cli("status", socket_path=d.socket_path)).stdout.decode()
        with harness.UnixHTTP(d.socket_path) as conn:
            lease = harness.native(conn, "POST", "/v1/leases", {"secretId": "ops/s0"}).json()["leaseId"]
            for _ in range(2):
                assert harness.native(conn, "POST", f"/v1/leases/{lease}/redeem").status == 200
        m = metrics(d.socket_path)
        assert m['sealbox_requests_total{operation="secretsmanager:GetSecretValue",result="ok"}'] == 2
        assert m['sealbox_requests_total{operation="secretsmanager:GetSecretValue",result="client_error"}'] == 1
        assert m['sealbox_requests_total{operation="secretsmanager:CreateSecret",result="ok"}'] == 3
        assert m["sealbox_lease_redeems_total"] == 2
    finally:
        d.terminate(timeout=10)


def test_a_backup_restores_secrets_with_the_root_key(tmp_path):
    d = start(tmp_path)
    try:
        sm = d.client(service="secretsmanager")
        first = sm.create_secret(Name="backup/db", SecretString=f"{CANARY}-one", Description="db")
        second = sm.put_secret_value(SecretId="backup/db", SecretString=f"{CANARY}-two")["VersionId"]
        sm.create_secret(Name="backup/blob", SecretBinary=b"\x00\x01" + CANARY.encode())
        sm.create_secret(Name="backup/leaving", SecretString="x")
        deleted = sm.delete_secret(SecretId="backup/leaving", RecoveryWindowInDays=7)["DeletionDate"]
        backup = tmp_path / "backup.db"
        ok(cli("backup", str(backup), socket_path=d.socket_path))
        assert CANARY.encode() not in backup.read_bytes()
    finally:
        d.terminate(timeout=10)

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    shutil.copy(backup, restored / "sealbox.db")
    shutil.copy(d.data_dir / "root.key", restored / "root.key")
    os.chmod(restored / "root.key", 0o600)
    r = harness.Daemon(restored, tmp_path / "logs-restored")
    r.start()
    try:
        sm = r.client(service="secretsmanager")
        current = sm.get_secret_value(SecretId=first["ARN"])
        assert (current["SecretString"], current["VersionId"]) == (f"{CANARY}-two", second)
        previous = sm.get_secret_value(SecretId="backup/db", VersionStage="AWSPREVIOUS")
        assert (previous["SecretString"], previous["VersionId"]) == (f"{CANARY}-one", first["VersionId"])
        assert sm.describe_secret(SecretId="backup/db")["Description"] == "db"
        assert sm.get_secret_value(SecretId="backup/blob")["SecretBinary"] == b"\x00\x01" + CANARY.encode()
        assert sm.describe_secret(SecretId="backup/leaving")["DeletedDate"] == deleted
    finally:
        r.terminate(timeout=10)
