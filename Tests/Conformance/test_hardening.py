"""Findings of the local attack on the daemon: each test fails on the daemon before its fix.

- writes whose audit record cannot be written take no effect (the intent is recorded first);
- `POST /v1/fixtures` on a persistent daemon is audited and can neither set key material nor move
  an alias;
- one owner cannot take every lease (`leases.maxActivePerOwner`);
- Decrypt does not tell an existing key id from a random one;
- a failed `mlock` is reported, not silent.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import harness


def unix_call(path: Path, method: str, target: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    with harness.UnixHTTP(path) as conn:
        response = conn.request(method, target, body, headers)
    return response.status, json.loads(response.body or b"{}")


def aws(path: Path, target: str, body: dict) -> tuple[int, dict]:
    return unix_call(path, "POST", "/", json.dumps(body).encode(), {"X-Amz-Target": target})


def audit_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- 3. A write whose audit record cannot be written takes no effect -----------------------------

def test_writes_refused_for_an_unwritable_audit_log_are_not_applied(tmp_path):
    data, logs = tmp_path / "data", tmp_path / "logs"
    good = harness.Daemon(data, logs)
    good.start()
    try:
        status, _ = aws(good.socket_path, "AmazonSSM.PutParameter", {"Name": "/keep/me", "Value": "v1", "Type": "String"})
        assert status == 200
    finally:
        good.terminate(timeout=10)
    root_before = (data / "root.key").read_bytes()

    full = harness.Daemon(data, logs, extra_args=["--audit-log", "/dev/full"])
    full.start()
    try:
        for target, body in [
            ("AmazonSSM.PutParameter", {"Name": "/new/param", "Value": "x", "Type": "String"}),
            ("AmazonSSM.PutParameter", {"Name": "/keep/me", "Value": "v2", "Type": "String", "Overwrite": True}),
            ("AmazonSSM.DeleteParameter", {"Name": "/keep/me"}),
            ("TrentService.CreateKey", {"Description": "must not exist"}),
        ]:
            status, answer = aws(full.socket_path, target, body)
            assert status == 503 and answer["__type"] == "ServiceUnavailableException", (target, answer)
        status, answer = unix_call(full.socket_path, "POST", "/v1/root/rotate", b"{}")
        assert status == 503 and answer["error"] == "AuditUnavailable", answer
        # Metadata reads are not audited, so they show the store as it is: nothing changed.
        status, listed = aws(full.socket_path, "AmazonSSM.DescribeParameters", {})
        assert status == 200 and [p["Name"] for p in listed["Parameters"]] == ["/keep/me"], listed
        assert listed["Parameters"][0]["Version"] == 1
        status, keys = aws(full.socket_path, "TrentService.ListKeys", {})
        assert status == 200
        for key in keys["Keys"]:
            _, described = aws(full.socket_path, "TrentService.DescribeKey", {"KeyId": key["KeyId"]})
            assert described["KeyMetadata"].get("Description") != "must not exist"
    finally:
        full.terminate(timeout=10)
    assert (data / "root.key").read_bytes() == root_before

    again = harness.Daemon(data, logs)
    again.start()
    try:
        status, answer = aws(again.socket_path, "AmazonSSM.GetParameter", {"Name": "/keep/me"})
        assert status == 200 and answer["Parameter"]["Value"] == "v1" and answer["Parameter"]["Version"] == 1
        status, answer = aws(again.socket_path, "AmazonSSM.GetParameter", {"Name": "/new/param"})
        assert status == 400 and answer["__type"] == "ParameterNotFound", answer
    finally:
        again.terminate(timeout=10)


def test_every_write_records_its_intent_before_its_outcome(tmp_path):
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs")
    daemon.start()
    try:
        status, _ = aws(daemon.socket_path, "AmazonSSM.PutParameter", {"Name": "/intent/a", "Value": "v", "Type": "String"})
        assert status == 200
        status, _ = aws(daemon.socket_path, "TrentService.CreateKey", {})
        assert status == 200
    finally:
        daemon.terminate(timeout=10)
    records = audit_records(tmp_path / "data" / "audit.log")
    for action in ("ssm:PutParameter", "kms:CreateKey"):
        mine = [r for r in records if r["action"] == action]
        assert [r["result"] for r in mine] == ["intent", "allowed"], mine
        # The two records name the same request, and the intent comes first in the file.
        assert mine[0]["requestId"] == mine[1]["requestId"] and mine[0]["requestId"]
        assert records.index(mine[0]) < records.index(mine[1])
    # Reads write no intent: their records are as they were.
    assert {r["action"] for r in records if r.get("result") == "intent"} == {"ssm:PutParameter", "kms:CreateKey"}


# -- 4. Fixtures on a persistent daemon: audited, no key material, no alias moves ---------------

MATERIAL = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="  # 32 bytes anyone could know


def test_fixture_import_on_a_persistent_daemon_cannot_set_material_or_move_an_alias_and_is_audited(tmp_path):
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs")
    daemon.start()
    try:
        status, created = aws(daemon.socket_path, "TrentService.CreateKey", {"Description": "real"})
        assert status == 200
        real = created["KeyMetadata"]["KeyId"]
        status, _ = aws(daemon.socket_path, "TrentService.CreateAlias", {"AliasName": "alias/app", "TargetKeyId": real})
        assert status == 200
        status, before = aws(daemon.socket_path, "TrentService.ListKeys", {})

        known = "1234abcd-12ab-34cd-56ef-1234567890ab"
        for doc in [
            # Material of the importer's choosing for a new key.
            {"keys": [{"id": known, "material": MATERIAL}]},
            # A new key that takes over the alias callers encrypt under.
            {"keys": [{"id": known, "aliases": ["alias/app"]}]},
        ]:
            status, answer = unix_call(daemon.socket_path, "POST", "/v1/fixtures", json.dumps(doc).encode())
            assert status == 400, answer
            assert "ephemeral" in answer["message"], answer
        # Nothing of either file was applied.
        status, after = aws(daemon.socket_path, "TrentService.ListKeys", {})
        assert {k["KeyId"] for k in after["Keys"]} == {k["KeyId"] for k in before["Keys"]}
        status, aliases = aws(daemon.socket_path, "TrentService.ListAliases", {})
        assert [a["TargetKeyId"] for a in aliases["Aliases"] if a["AliasName"] == "alias/app"] == [real]

        # What an admin may seed (a parameter, a new alias) still works, and is audited.
        doc = {"keys": [{"aliases": ["alias/app"]}],
               "parameters": [{"name": "/seeded/p", "type": "String", "value": "v"}]}
        status, answer = unix_call(daemon.socket_path, "POST", "/v1/fixtures", json.dumps(doc).encode())
        assert status == 200 and answer["parametersWritten"] == 1, answer
    finally:
        daemon.terminate(timeout=10)
    imports = [r for r in audit_records(tmp_path / "data" / "audit.log") if r["action"] == "admin:ImportFixtures"]
    assert [r["result"] for r in imports] == ["intent", "failed:400", "intent", "failed:400", "intent", "allowed"]
    assert "/seeded/p" in " ".join(imports[-1]["resources"])


# -- 11. One owner cannot take every lease ------------------------------------------------------

def test_one_owner_cannot_take_every_lease(tmp_path):
    config = tmp_path / "sealbox.yaml"
    config.write_text("leases:\n  maxActive: 100\n  maxActivePerOwner: 3\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    daemon.start()
    try:
        status, _ = aws(daemon.socket_path, "AmazonSSM.PutParameter", {"Name": "/q/p", "Value": "v", "Type": "String"})
        assert status == 200
        lease = json.dumps({"name": "/q/p"}).encode()
        mine = []
        for _ in range(3):
            status, answer = unix_call(daemon.socket_path, "POST", "/v1/leases", lease)
            assert status == 201, answer
            mine.append(answer["leaseId"])
        status, answer = unix_call(daemon.socket_path, "POST", "/v1/leases", lease)
        assert status == 429 and "maxActivePerOwner" in answer["message"], answer
        # The quota is the uid's, whatever its processes: another process of this uid is refused too.
        script = (
            "import json, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
            "b = b'{\"name\": \"/q/p\"}'\n"
            "s.sendall(b'POST /v1/leases HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\nContent-Length: '"
            " + str(len(b)).encode() + b'\\r\\n\\r\\n' + b)\n"
            "d = b''\n"
            "while c := s.recv(65536): d += c\n"
            "print(d.split(b' ')[1].decode())\n")
        child = subprocess.run(["python3", "-c", script, str(daemon.socket_path)], capture_output=True, text=True,
                               timeout=30)
        assert child.stdout.strip() == "429", (child.stdout, child.stderr)
        # Another owner (the token on TCP) still gets leases: the table is not full.
        token = (tmp_path / "data" / "token").read_text().strip()
        response = harness.tcp_request(daemon.port, None, lease, method="POST", path="/v1/leases",
                                       extra_headers={"X-Aws-Parameters-Secrets-Token": token})
        assert response.status == 201, response
        # Giving one back makes room for the owner again.
        status, _ = unix_call(daemon.socket_path, "DELETE", f"/v1/leases/{mine[0]}", b"")
        assert status in (200, 204)
        status, answer = unix_call(daemon.socket_path, "POST", "/v1/leases", lease)
        assert status == 201, answer
    finally:
        daemon.terminate(timeout=10)


# -- 13. Decrypt is no key-existence oracle -----------------------------------------------------

def test_decrypt_answers_a_refused_caller_alike_for_existing_and_missing_key_ids(tmp_path):
    secret = tmp_path / "handler.secret"
    secret.write_text("handler-secret-key-for-tests")
    secret.chmod(0o600)
    config = tmp_path / "sealbox.yaml"
    config.write_text(f"""
accessKeys:
  - {{id: AKIAHANDLER000000001, secretFile: {secret}, principal: handlers}}
policy:
  - principals: ["uid:0"]
    allow: ["*"]
    resources: ["*"]
  - principals: ["access-key:handlers"]
    allow: ["ssm:GetParameter*"]
    resources: ["*"]
""")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    daemon.start()
    try:
        status, created = aws(daemon.socket_path, "TrentService.CreateKey", {})
        assert status == 200
        status, sealed = aws(daemon.socket_path, "TrentService.Encrypt", {
            "KeyId": created["KeyMetadata"]["KeyId"], "Plaintext": harness.b64(b"existing")})
        assert status == 200
        blob = base64.b64decode(sealed["CiphertextBlob"])
        forged_existing = harness.flip_bit(blob, len(blob) - 1)
        forged_missing = blob[:1] + uuid.uuid4().bytes + blob[17:]
        kms = harness.make_kms_client(daemon.endpoint, "AKIAHANDLER000000001", "handler-secret-key-for-tests")
        answers = []
        for forged in (forged_existing, forged_missing):
            with pytest.raises(ClientError) as caught:
                kms.decrypt(CiphertextBlob=forged)
            error = caught.value.response["Error"]
            key_id = str(uuid.UUID(bytes=forged[1:17]))
            answers.append((error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
                            error["Message"].replace(key_id, "<id>")))
        assert answers[0] == answers[1], answers
        assert answers[0][0] == "AccessDeniedException"
    finally:
        daemon.terminate(timeout=10)


# -- 15. A failed mlock is reported ------------------------------------------------------------

def test_guarded_memory_that_cannot_be_locked_is_logged_and_shown_in_health_and_metrics(tmp_path):
    # Root may lock any amount (CAP_IPC_LOCK): drop the capability so that the small limit applies.
    wrapper = harness.daemon_wrapper(tmp_path / "sealboxd-small-memlock", "ulimit -l 16",
                                     "setpriv --bounding-set=-ipc_lock" if os.geteuid() == 0 else "")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", binary=wrapper)
    daemon.start()
    try:
        for _ in range(8):
            status, created = aws(daemon.socket_path, "TrentService.CreateKey", {})
            assert status == 200
            status, _ = aws(daemon.socket_path, "TrentService.Encrypt", {
                "KeyId": created["KeyMetadata"]["KeyId"], "Plaintext": harness.b64(b"x" * 3000)})
            assert status == 200
        status, health = unix_call(daemon.socket_path, "GET", "/health", b"")
        assert status == 200 and health["memoryLocked"] is False, health
        assert "guarded memory could not be locked" in daemon.logs(tail=200)
        with harness.UnixHTTP(daemon.socket_path) as conn:
            text = conn.request("GET", "/metrics").body.decode()
        gauge = [line for line in text.splitlines() if line.startswith("sealbox_unlocked_memory_blocks ")]
        assert gauge and float(gauge[0].split()[1]) > 0, gauge
    finally:
        daemon.terminate(timeout=10)


def test_a_daemon_with_room_to_lock_reports_its_memory_locked(tmp_path):
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs")
    daemon.start()
    try:
        status, health = unix_call(daemon.socket_path, "GET", "/health", b"")
        assert status == 200 and health["memoryLocked"] is True, health
        assert "guarded memory could not be locked" not in daemon.logs(tail=200)
    finally:
        daemon.terminate(timeout=10)
