"""Operations: Prometheus metrics after known traffic, structured logs that never hold a secret,
and an online backup restored with the root key."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

import harness

CANARY = "canary-7f3a9c-never-log-me"


def cli(*args, socket_path, input=b""):
    binary = Path(os.environ["SEALBOXD"]).with_name("sealbox")
    return subprocess.run([str(binary), *args, "--socket", str(socket_path)], input=input, capture_output=True,
                          env=harness.clean_env(), timeout=60)


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def metrics(socket_path) -> dict[str, float]:
    with harness.UnixHTTP(socket_path) as conn:
        response = conn.request("GET", "/metrics")
    assert response.status == 200, response.body
    values = {}
    for line in response.body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def start(tmp_path, *extra, name="data"):
    data = tmp_path / name
    data.mkdir(mode=0o700, exist_ok=True)
    d = harness.Daemon(data, tmp_path / f"logs-{name}", extra_args=list(extra))
    d.start()
    return d


def test_metrics_count_known_traffic(tmp_path):
    d = start(tmp_path)
    try:
        S = d.socket_path
        processes = 0
        for args, data in [(("key", "create", "--alias", "alias/metrics"), b""),
                           (("param", "put", "/m/secret", "--key-id", "alias/metrics"), CANARY.encode()),
                           (("param", "get", "/m/secret", "--decrypt"), b""),
                           (("param", "get", "/m/secret", "--decrypt"), b""),
                           (("param", "get", "/m/secret", "--decrypt"), b""),
                           (("key", "rotate", "alias/metrics"), b"")]:
            ok(cli(*args, socket_path=S, input=data))
            processes += 1
        assert cli("param", "get", "/m/missing", socket_path=S).returncode == 1
        processes += 1
        sbc = harness.load_python_client()
        with sbc.SealboxClient(socket_path=str(S)) as client:
            lease = client.lease("/m/secret")
            for _ in range(2):
                with lease.value() as value:
                    assert bytes(value) == CANARY.encode()
        processes += 1  # this test process
        m = metrics(S)
        assert m['sealbox_requests_total{operation="ssm:GetParameter",result="ok"}'] == 3
        assert m['sealbox_requests_total{operation="ssm:GetParameter",result="client_error"}'] == 1
        assert m['sealbox_requests_total{operation="ssm:PutParameter",result="ok"}'] == 1
        assert m['sealbox_group_commits_total{operation="ssm:PutParameter"}'] == 1
        assert m['sealbox_group_commit_calls_total{operation="ssm:PutParameter"}'] == 1
        assert m['sealbox_lease_redeems_total'] == 2
        assert m['sealbox_leases_created_total'] == 1
        assert m['sealbox_key_rotations_total'] == 1
        assert m['sealbox_active_leases'] == 1
        assert m['sealbox_audit_write_failures_total'] == 0
        assert m[f'sealbox_cold_starts_total{{uid="{os.getuid()}"}}'] == processes
        assert m['sealbox_cold_start_seconds_count'] == processes
        assert m['sealbox_request_duration_seconds_count{family="aws"}'] >= 8
        assert m['sealbox_request_duration_seconds_count{family="leases"}'] == 3
    finally:
        d.terminate(timeout=10)


def test_concurrent_puts_share_commits(tmp_path):
    """PutParameters from concurrent callers are committed in groups: every call is counted once, in
    fewer commits than calls, and every one is acknowledged with its own version."""
    d = start(tmp_path)
    writers, each = 8, 15
    start_together = threading.Barrier(writers)
    versions: list[list[int]] = [[] for _ in range(writers)]

    def write(n: int) -> None:
        with harness.UnixHTTP(d.socket_path) as conn:
            start_together.wait()
            for i in range(each):
                r = conn.aws("AmazonSSM.PutParameter", {"Name": "/m/shared", "Value": f"{n}-{i}",
                                                        "Type": "SecureString", "Overwrite": True})
                assert r.status == 200, r
                versions[n].append(r.json()["Version"])

    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(v for vs in versions for v in vs) == list(range(1, writers * each + 1))
        m = metrics(d.socket_path)
        calls = m['sealbox_group_commit_calls_total{operation="ssm:PutParameter"}']
        groups = m['sealbox_group_commits_total{operation="ssm:PutParameter"}']
        assert calls == writers * each
        # Eight writers in flight at once leave calls queued behind every commit.
        assert 1 <= groups < calls, (groups, calls)
    finally:
        d.terminate(timeout=10)


def test_metrics_are_governed_by_policy(tmp_path):
    config = tmp_path / "sealbox.yaml"
    config.write_text(f'policy:\n  - principals: ["uid:{os.getuid()}"]\n    allow: ["ssm:*"]\n    resources: ["*"]\n')
    d = start(tmp_path, "--config", str(config))
    try:
        with harness.UnixHTTP(d.socket_path) as conn:
            assert conn.request("GET", "/metrics").status == 403
    finally:
        d.terminate(timeout=10)


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_logs_are_structured_and_never_hold_a_secret(tmp_path, fmt):
    config = tmp_path / "sealbox.yaml"
    config.write_text("logging: {level: debug}\n")
    d = start(tmp_path, "--log-format", fmt, "--config", str(config))
    try:
        S = d.socket_path
        ok(cli("key", "create", "--alias", "alias/logs", socket_path=S))
        ok(cli("param", "put", "/l/secret", "--key-id", "alias/logs", socket_path=S, input=CANARY.encode()))
        assert CANARY in ok(cli("param", "get", "/l/secret", "--decrypt", socket_path=S)).stdout.decode()
        token = ok(cli("env", "encrypt", "CANARY", socket_path=S, input=CANARY.encode())).stdout.decode().strip()
        ok(cli("env", "decrypt", token, socket_path=S))
        # A failing request logs its error, still without the value.
        cli("param", "put", "/l/secret", socket_path=S, input=CANARY.encode())
    finally:
        d.terminate(timeout=10)
    stderr = d.stderr_path.read_text()
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, stderr
    assert CANARY not in stderr
    for line in lines:
        if fmt == "json":
            record = json.loads(line)
            assert {"time", "level", "logger", "msg"} <= record.keys(), line
        else:
            assert re.match(r'time=\S+ level=\w+ logger=\S+ msg=', line), line
    assert any("ready" in line for line in lines)


def test_an_online_backup_restores_with_the_root_key(tmp_path):
    d = start(tmp_path)
    S = d.socket_path
    written: dict[str, str] = {}
    stop = threading.Event()
    try:
        ok(cli("key", "create", "--alias", "alias/backup", socket_path=S))
        for i in range(20):
            value = f"value-{i}-{CANARY}"
            ok(cli("param", "put", f"/b/p{i}", "--key-id", "alias/backup", socket_path=S, input=value.encode()))
            written[f"/b/p{i}"] = value
        kms = d.client()
        blob = kms.encrypt(KeyId="alias/backup", Plaintext=b"kms-ciphertext")["CiphertextBlob"]

        # Writers keep going while the backup is taken: the copy is a consistent snapshot.
        live = d.client(service="ssm")

        def writer():
            n = 0
            while not stop.is_set():
                live.put_parameter(Name=f"/b/live{n}", Value="live", Type="String")
                n += 1

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        backup = tmp_path / "backup.db"
        result = ok(cli("backup", str(backup), socket_path=S))
        assert str(backup) in result.stdout.decode()
        stop.set()
        thread.join(timeout=30)
        assert (backup.stat().st_mode & 0o777) == 0o600
        assert cli("backup", str(backup), socket_path=S).returncode == 1  # never overwrites
        assert CANARY.encode() not in backup.read_bytes()  # values are ciphertext in the copy
    finally:
        stop.set()
        d.terminate(timeout=10)

    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    shutil.copy(backup, restored / "sealbox.db")
    shutil.copy(d.data_dir / "root.key", restored / "root.key")
    os.chmod(restored / "root.key", 0o600)
    r = harness.Daemon(restored, tmp_path / "logs-restored")
    r.start()
    try:
        ssm = harness.make_ssm_client(r.endpoint, *r.credentials())
        for name, value in written.items():
            assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
        assert r.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"kms-ciphertext"
    finally:
        r.terminate(timeout=10)

    # Without the root key the copy opens nothing.
    other = tmp_path / "wrong"
    other.mkdir(mode=0o700)
    shutil.copy(backup, other / "sealbox.db")
    with pytest.raises(harness.DaemonStartError):
        harness.Daemon(other, tmp_path / "logs-wrong").start()
