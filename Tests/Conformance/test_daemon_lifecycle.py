"""Daemons of their own: --ephemeral, durability across kill -9, SIGTERM."""

from __future__ import annotations

import http.client
import os
import stat
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from harness import assert_client_error, make_kms_client, unique

TRANSIENT_SUFFIXES = ("-wal", "-shm", "-journal")


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _all_key_ids(client) -> set[str]:
    ids, marker = set(), None
    while True:
        page = client.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
        ids.update(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            return ids
        marker = page["NextMarker"]


# -- ephemeral ----------------------------------------------------------------


def test_ephemeral_accepts_any_credentials_and_writes_nothing(spawn, tmp_path):
    data = tmp_path / "eph-data"
    data.mkdir()
    sock_dir = tmp_path / "eph-sock"
    sock_dir.mkdir()
    d = spawn(data, ephemeral=True, socket_path=sock_dir / "sealbox.sock")
    a = make_kms_client(d.endpoint, "AKIAEXAMPLEDUMMY0001", "any-secret-at-all")
    b = make_kms_client(d.endpoint, "AKIAANOTHERDUMMY0002", "a-different-secret")
    key = a.create_key(Description="ephemeral")["KeyMetadata"]
    alias = "alias/" + unique("eph")
    a.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ct = a.encrypt(KeyId=alias, Plaintext=b"moto-style", EncryptionContext={"x": "y"})["CiphertextBlob"]
    assert b.decrypt(CiphertextBlob=ct, EncryptionContext={"x": "y"})["Plaintext"] == b"moto-style"
    assert key["KeyId"] in _all_key_ids(b)
    assert b.generate_data_key(KeyId=alias, KeySpec="AES_256")["KeyId"] == key["Arn"]

    assert _tree(data) == [], f"--ephemeral wrote to its data dir: {_tree(data)}"
    rc = d.terminate(timeout=10)
    assert rc == 0, f"ephemeral daemon exit status {rc}\n{d.logs()}"
    assert _tree(data) == [], f"--ephemeral left files in its data dir: {_tree(data)}"


def test_ephemeral_state_is_not_kept(spawn, tmp_path):
    data = tmp_path / "eph2"
    data.mkdir()
    d = spawn(data, ephemeral=True, socket_path=tmp_path / "eph2.sock")
    c = make_kms_client(d.endpoint, "AKIADUMMY", "dummy")
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    d.terminate(timeout=10)
    d2 = spawn(data, ephemeral=True, socket_path=tmp_path / "eph2.sock")
    c2 = make_kms_client(d2.endpoint, "AKIADUMMY", "dummy")
    with pytest.raises(ClientError) as ei:
        c2.describe_key(KeyId=kid)
    assert_client_error(ei, "NotFoundException")


def test_ephemeral_moto_reset(spawn, tmp_path):
    data = tmp_path / "eph3"
    data.mkdir()
    d = spawn(data, ephemeral=True, socket_path=tmp_path / "eph3.sock")
    c = make_kms_client(d.endpoint, "testing", "testing")
    kid = c.create_key()["KeyMetadata"]["KeyId"]
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("POST", "/moto-api/reset", body=b"")
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    assert 200 <= resp.status < 300, f"/moto-api/reset -> {resp.status}"
    with pytest.raises(ClientError) as ei:
        c.describe_key(KeyId=kid)
    assert_client_error(ei, "NotFoundException")
    assert c.create_key()["KeyMetadata"]["KeyState"] == "Enabled"


# -- durability ----------------------------------------------------------------


def test_kill9_then_restart_keeps_everything(spawn, tmp_path):
    data = tmp_path / "durable"
    data.mkdir()
    d1 = spawn(data)
    creds = d1.credentials()
    c = d1.client()
    key = c.create_key(Description="survives kill -9")["KeyMetadata"]
    alias = "alias/" + unique("durable")
    c.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    pt, ctx = os.urandom(48), {"app": "durability"}
    ct = c.encrypt(KeyId=alias, Plaintext=pt, EncryptionContext=ctx)["CiphertextBlob"]
    doomed = c.create_key()["KeyMetadata"]["KeyId"]
    sched = c.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    off = c.create_key()["KeyMetadata"]["KeyId"]
    c.disable_key(KeyId=off)

    d1.kill9()  # no chance to flush anything: acknowledged writes must already be durable

    d2 = spawn(data)
    assert d2.credentials() == creds, "credentials were regenerated on restart"
    c2 = d2.client()
    ids = _all_key_ids(c2)
    assert {key["KeyId"], doomed, off} <= ids
    assert c2.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert c2.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "survives kill -9"
    assert c2.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == pt
    md = c2.describe_key(KeyId=doomed)["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion"
    assert md["DeletionDate"] == sched["DeletionDate"]
    assert c2.describe_key(KeyId=off)["KeyMetadata"]["KeyState"] == "Disabled"
    # and it keeps working for new writes
    new_ct = c2.encrypt(KeyId=alias, Plaintext=b"after restart")["CiphertextBlob"]
    assert c2.decrypt(CiphertextBlob=new_ct)["Plaintext"] == b"after restart"


def test_sigterm_exits_zero_and_keeps_the_store(spawn, tmp_path):
    data = tmp_path / "term"
    data.mkdir()
    d = spawn(data)
    c = d.client()
    kid = c.create_key(Description="sigterm")["KeyMetadata"]["KeyId"]
    ct = c.encrypt(KeyId=kid, Plaintext=b"kept")["CiphertextBlob"]
    # an idle keep-alive connection (as SDK connection pools hold) must not block shutdown
    idle = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    idle.request("GET", "/health")
    idle.getresponse().read()

    before = [p for p in data.iterdir()
              if not stat.S_ISSOCK(p.lstat().st_mode) and not p.name.endswith(TRANSIENT_SUFFIXES)]
    sqlite_files = [p for p in before if p.is_file() and p.read_bytes()[:16] == b"SQLite format 3\x00"]
    assert sqlite_files, f"no SQLite store in the data dir: {_tree(data)}"

    t0 = time.monotonic()
    rc = d.terminate(timeout=10)
    elapsed = time.monotonic() - t0
    idle.close()
    assert rc is not None, f"sealboxd did not exit within 10 s of SIGTERM\n{d.logs()}"
    assert rc == 0, f"exit status {rc} after SIGTERM\n{d.logs()}"
    assert elapsed < 5, f"SIGTERM took {elapsed:.1f}s"
    missing = [p.name for p in before if not p.exists()]
    assert not missing, f"files removed at shutdown: {missing}"

    d2 = spawn(data)
    c2 = d2.client()
    assert c2.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "sigterm"
    assert c2.decrypt(CiphertextBlob=ct)["Plaintext"] == b"kept"


def test_fixture_keys_without_id_or_material_survive_a_reset(spawn, tmp_path):
    # A key made at a reset is the one the first start made: a ciphertext or signature from before
    # the reset still opens or verifies, by the same key id.
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("keys:\n  - aliases: [alias/app]\n"
                        "  - aliases: [alias/signer]\n    keySpec: ECC_NIST_P256\n    keyUsage: SIGN_VERIFY\n")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    c = make_kms_client(d.endpoint, "testing", "testing")
    before = {a["AliasName"]: a["TargetKeyId"] for a in c.list_aliases()["Aliases"] if "TargetKeyId" in a}
    blob = c.encrypt(KeyId="alias/app", Plaintext=b"kept across resets")["CiphertextBlob"]
    signature = c.sign(KeyId="alias/signer", Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    conn.request("POST", "/moto-api/reset", body=b"")
    assert conn.getresponse().status == 200
    conn.close()
    after = {a["AliasName"]: a["TargetKeyId"] for a in c.list_aliases()["Aliases"] if "TargetKeyId" in a}
    assert after == before
    assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept across resets"
    assert c.verify(KeyId="alias/signer", Message=b"m", Signature=signature,
                    SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
