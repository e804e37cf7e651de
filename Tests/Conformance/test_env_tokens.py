"""Encrypted environment variables: `sealbox env encrypt` makes a token, a handler decrypts it
through the daemon with the Python client (`SealboxClient.decrypt_env` / `.env`, in
clients/python, sealbox.client). `sealbox:v1` tokens are bound to the variable's name and
to a key version; `--fernet` tokens are real Fernet tokens whose key stays in the daemon. After a
key rotation `env rewrap` moves a token onto the newest version, and after `key retire` only
rewrapped tokens still open.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import harness

PREFIX = "sealbox:v1:"
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+=*$")


def cli_binary() -> Path:
    return Path(os.environ.get("SEALBOX_CLI") or harness.daemon_binary().with_name("sealbox"))


def run_cli(*args: str, socket_path, input: bytes | str = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    argv = [str(cli_binary()), *args, "--socket", str(socket_path)]
    e = harness.clean_env()
    e.update(env or {})
    p = subprocess.run(argv, input=input.encode() if isinstance(input, str) else input, capture_output=True,
                       env=e, timeout=60)
    return subprocess.CompletedProcess(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


def ok(p):
    assert p.returncode == 0 and p.stderr == "", f"{' '.join(p.args)} -> {p.returncode}\n{p.stdout!r}\n{p.stderr!r}"
    return p


def encrypt(S, name: str, value: str, *extra: str) -> str:
    """`sealbox env encrypt NAME` with the value on stdin; returns the token. The plaintext must
    not appear in anything the CLI prints."""
    p = ok(run_cli("env", "encrypt", name, *extra, socket_path=S, input=value))
    if len(value.strip()) >= 4:
        assert value.strip() not in p.stdout and value.strip() not in p.stderr, p.stdout
    line = p.stdout.rstrip("\n")
    assert "\n" not in line, p.stdout
    got_name, sep, token = line.partition("=")
    assert sep and got_name == name, p.stdout
    return token


def payload(token: str) -> bytes:
    assert token.startswith(PREFIX), token
    body = token[len(PREFIX):]
    assert URLSAFE.match(body), token
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def wrapped_header(token: str) -> dict:
    """The KMS key and key version that wrap a sealbox:v1 token's data key (envelope v2: 0x02,
    uint16 length, then a v1 envelope wrapping the data key)."""
    raw = payload(token)
    assert raw[0] == 0x02, raw[:4]
    length = int.from_bytes(raw[1:3], "big")
    return harness.envelope_header(raw[3:3 + length])


def fernet_parts(token: str) -> dict:
    """Checks the Fernet spec's structure: url-safe base64 (padded), version 0x80, 64-bit
    timestamp, 128-bit IV, AES-CBC ciphertext in whole blocks, 256-bit HMAC."""
    assert URLSAFE.match(token) and len(token) % 4 == 0, token
    raw = base64.urlsafe_b64decode(token)
    assert len(raw) >= 1 + 8 + 16 + 16 + 32, len(raw)
    ct = raw[25:-32]
    assert len(ct) % 16 == 0, len(ct)
    return {"version": raw[0], "timestamp": int.from_bytes(raw[1:9], "big"), "iv": raw[9:25], "ciphertext": ct,
            "hmac": raw[-32:]}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.fixture(scope="module")
def sbc():
    return harness.load_python_client()


def start(base: Path) -> harness.Daemon:
    data = base / "data"
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    d = harness.Daemon(data, base / "logs")
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(f"could not start sealboxd:\n{e}", pytrace=False)
    return d


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    if not cli_binary().exists():
        pytest.fail(f"sealbox CLI not found at {cli_binary()}", pytrace=False)
    d = start(tmp_path_factory.mktemp("env"))
    yield d
    d.terminate(timeout=10)
    d.kill9()


@pytest.fixture
def client(sd, sbc):
    with sbc.SealboxClient(socket_path=str(sd.socket_path), timeout=10) as c:
        yield c


def env_call(sd, path: str, doc: dict) -> harness.RawResponse:
    with harness.UnixHTTP(sd.socket_path) as conn:
        return harness.native(conn, "POST", path, doc)


def assert_refused(sbc, client, name: str, token: str, codes=("InvalidCiphertextException",), **kw):
    with pytest.raises(sbc.SealboxError) as e:
        got = client.decrypt_env(name, token, **kw)
        got[:] = bytes(len(got))
    assert e.value.code in codes, (e.value.code, e.value.status, str(e.value))
    return e.value


# ---------------------------------------------------------------------------
# sealbox:v1 tokens
# ---------------------------------------------------------------------------


def test_cli_token_decrypts_through_the_python_client(sd, client, sbc, monkeypatch):
    value = 'p"w\\d é ✓ 🔑 </x> ' + uuid.uuid4().hex
    token = encrypt(sd.socket_path, "DB_PASSWORD", value + "\n")
    raw = payload(token)
    assert value.encode() not in raw and uuid.uuid4().hex not in token
    hdr = wrapped_header(token)
    assert hdr["version"] == 1 and hdr["key_version"] == 1
    kms = sd.client()
    # The default key is created on first use, customer-managed, named alias/sealbox/env.
    meta = kms.describe_key(KeyId="alias/sealbox/env")["KeyMetadata"]
    assert meta["KeyId"] == hdr["key_id"] and meta["KeyManager"] == "CUSTOMER"

    got = client.decrypt_env("DB_PASSWORD", token)
    assert isinstance(got, bytearray) and got == value.encode()
    monkeypatch.setenv("DB_PASSWORD", token)
    assert client.env("DB_PASSWORD") == value.encode()
    assert sbc.env("DB_PASSWORD", socket_path=str(sd.socket_path)) == value.encode()
    assert sbc.decrypt_env("DB_PASSWORD", token, str(sd.socket_path)) == value.encode()
    # The same value twice gives two different tokens.
    assert encrypt(sd.socket_path, "DB_PASSWORD", value) != token
    # The CLI decrypts it as well, and the decrypt is audited as env:Decrypt.
    assert ok(run_cli("env", "decrypt", f"DB_PASSWORD={token}", socket_path=sd.socket_path)).stdout == value + "\n"
    records = [json.loads(x) for x in (sd.data_dir / "audit.log").read_text().splitlines()]
    decrypts = [r for r in records if r["action"] == "env:Decrypt" and r["result"] == "allowed"]
    assert len(decrypts) >= 4 and harness.key_arn(hdr["key_id"]) in decrypts[-1]["resources"]
    assert all(value not in json.dumps(r) for r in records)


def test_decrypt_env_bytes_and_wiping(sd, client, sbc):
    values = ['quote " backslash \\ slash / end', "line\nbreak\ttab\rcr\x01\x1f\x7f",
              "é ✓ 日本 🔑 \u2028", "x" * 4096, '{"value": "fake", "name": "X"}', ""]
    captured = []
    real = client._request

    def spy(method, path, body=None):  # the real request; keeps a handle on the response buffer
        status, buf = real(method, path, body)
        captured.append(buf)
        return status, buf

    client._request = spy
    for index, value in enumerate(values):
        resp = env_call(sd, "/v1/env/encrypt", {"name": f"V{index}", "value": value})
        assert resp.status == 200, resp
        token = resp.json()["token"]
        captured.clear()
        got = client.decrypt_env(f"V{index}", token)
        assert isinstance(got, bytearray) and bytes(got) == value.encode(), (index, bytes(got)[:60])
        assert len(captured) == 1 and len(captured[0]) > 0
        assert all(b == 0 for b in captured[0]), "the response buffer was not wiped"
        sbc.wipe(got)
        assert len(got) == len(value.encode()) and all(b == 0 for b in got)
    # A refused decrypt wipes its buffer too.
    captured.clear()
    with pytest.raises(sbc.SealboxError):
        client.decrypt_env("V0", PREFIX + "AAAA")
    assert captured and all(b == 0 for b in captured[0])


def test_value_file_and_explicit_key(sd, client, tmp_path):
    kms = sd.client()
    kid = kms.create_key(Description="env-explicit")["KeyMetadata"]["KeyId"]
    vf = tmp_path / "value"
    vf.write_text("from-a-file\n")
    token = encrypt(sd.socket_path, "API_KEY", "", "--value-file", str(vf), "--key-id", kid)
    assert wrapped_header(token)["key_id"] == kid
    assert client.decrypt_env("API_KEY", token) == b"from-a-file"


def test_env_of_an_unset_variable(sd, client, sbc, monkeypatch):
    monkeypatch.delenv("SEALBOX_TEST_UNSET", raising=False)
    with pytest.raises(sbc.NotFound) as e:
        client.env("SEALBOX_TEST_UNSET")
    assert "SEALBOX_TEST_UNSET" in str(e.value)


def test_tokens_are_bound_to_the_variable_name(sd, client, sbc, monkeypatch):
    token = encrypt(sd.socket_path, "DB_PASSWORD", "bound-to-its-name")
    for other in ("DB_PASSWORD2", "db_password", "API_KEY", "_"):
        err = assert_refused(sbc, client, other, token)
        assert err.status == 400
    monkeypatch.setenv("OTHER_VAR", token)
    with pytest.raises(sbc.SealboxError) as e:
        client.env("OTHER_VAR")
    assert e.value.code == "InvalidCiphertextException"
    resp = env_call(sd, "/v1/env/decrypt", {"name": "DB_PASSWORD2", "token": token})
    body = harness.assert_native_error(resp, 400, "InvalidCiphertextException")
    assert "bound-to-its-name" not in resp.body.decode()
    assert "name" in body["message"]
    p = run_cli("env", "decrypt", f"API_KEY={token}", socket_path=sd.socket_path)
    assert p.returncode == 1 and p.stderr.startswith("sealbox: ") and "bound-to-its-name" not in p.stdout + p.stderr
    assert client.decrypt_env("DB_PASSWORD", token) == b"bound-to-its-name"


def test_tampered_tokens_are_refused(sd, client, sbc):
    token = encrypt(sd.socket_path, "TAMPER_ME", "do-not-open-" + uuid.uuid4().hex)
    raw = payload(token)
    L = int.from_bytes(raw[1:3], "big")
    positions = {
        "version": 0, "length": 2, "wrapped key id": 3 + 1 + 3, "wrapped key version": 3 + 17 + 3,
        "wrapped key nonce": 3 + 40, "wrapped key tag/ciphertext": 3 + L - 1, "value nonce": 3 + L + 5,
        "value tag": 3 + L + 24 + 3, "value ciphertext": len(raw) - 1,
    }
    for where, pos in positions.items():
        bad = PREFIX + b64url(harness.flip_bit(raw, pos))
        err = assert_refused(sbc, client, "TAMPER_ME", bad)
        assert err.status == 400, where
    for bad in (PREFIX + b64url(raw[:-1]), PREFIX + b64url(raw + b"\0"), PREFIX, PREFIX + "!!!not-base64!!!",
                "sealbox:v2:" + b64url(raw), token[len(PREFIX):], PREFIX + b64url(raw[:3 + L])):
        assert_refused(sbc, client, "TAMPER_ME", bad)
    assert client.decrypt_env("TAMPER_ME", token).startswith(b"do-not-open-")


def test_bad_names_are_refused(sd, client, sbc):
    for bad in ("9LIVES", "HAS-DASH", "with space", "A" * 257):
        resp = env_call(sd, "/v1/env/encrypt", {"name": bad, "value": "v"})
        harness.assert_native_error(resp, 400, "ValidationException")
    with pytest.raises(sbc.SealboxError) as e:
        client.decrypt_env("BAD-NAME", PREFIX + "AAAA")
    assert e.value.code == "ValidationException"


# ---------------------------------------------------------------------------
# Fernet tokens
# ---------------------------------------------------------------------------


def test_fernet_tokens_are_structurally_fernet_and_decrypt(sd, client, sbc):
    from cryptography.fernet import Fernet, InvalidToken

    for value in ("", "short", "exactly-sixteen!", "x" * 100 + " é🔑"):
        before = int(time.time())
        token = encrypt(sd.socket_path, "FERNET_VAR", value + "\n", "--fernet")
        after = int(time.time())
        assert not token.startswith(PREFIX)
        parts = fernet_parts(token)
        assert parts["version"] == 0x80
        assert before - 2 <= parts["timestamp"] <= after + 2, (parts["timestamp"], before)
        n = len(value.encode())
        assert len(parts["ciphertext"]) == 16 * (n // 16 + 1), (n, len(parts["ciphertext"]))
        assert client.decrypt_env("FERNET_VAR", token) == value.encode()
        # Its key is not some well-known key: a random Fernet key does not open it.
        with pytest.raises(InvalidToken):
            Fernet(Fernet.generate_key()).decrypt(token.encode())
    t1 = encrypt(sd.socket_path, "FERNET_VAR", "same", "--fernet")
    t2 = encrypt(sd.socket_path, "FERNET_VAR", "same", "--fernet")
    assert t1 != t2 and fernet_parts(t1)["iv"] != fernet_parts(t2)["iv"]


def test_foreign_and_tampered_fernet_tokens_are_refused(sd, client, sbc):
    from cryptography.fernet import Fernet

    encrypt(sd.socket_path, "FERNET_VAR", "make-sure-the-key-exists", "--fernet")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"from elsewhere").decode()
    assert fernet_parts(foreign)["version"] == 0x80
    err = assert_refused(sbc, client, "FERNET_VAR", foreign)
    assert err.status == 400
    resp = env_call(sd, "/v1/env/decrypt", {"name": "FERNET_VAR", "token": foreign})
    harness.assert_native_error(resp, 400, "InvalidCiphertextException")
    assert b"from elsewhere" not in resp.body

    token = encrypt(sd.socket_path, "FERNET_VAR", "tamper-fernet", "--fernet")
    raw = base64.urlsafe_b64decode(token)
    for pos in (0, 5, 12, 30, len(raw) - 40, len(raw) - 1):
        assert_refused(sbc, client, "FERNET_VAR", b64url(harness.flip_bit(raw, pos)))
    assert client.decrypt_env("FERNET_VAR", token) == b"tamper-fernet"


def test_fernet_tokens_under_a_named_key(sd, client, sbc):
    kms = sd.client()
    kid = kms.create_key(Description="fernet-key")["KeyMetadata"]["KeyId"]
    token = encrypt(sd.socket_path, "NAMED_KEY", "under-a-named-key", "--fernet", "--key-id", kid)
    assert fernet_parts(token)["version"] == 0x80
    assert client.decrypt_env("NAMED_KEY", token, key_id=kid) == b"under-a-named-key"
    # Under the default key it does not open.
    assert_refused(sbc, client, "NAMED_KEY", token)
    p = ok(run_cli("env", "decrypt", f"NAMED_KEY={token}", "--key-id", kid, socket_path=sd.socket_path))
    assert p.stdout == "under-a-named-key\n"


# ---------------------------------------------------------------------------
# Rotation, rewrap, retirement (a daemon of their own: they change alias/sealbox/env)
# ---------------------------------------------------------------------------


def test_rewrap_after_rotate_then_retire(tmp_path, sbc):
    d = start(tmp_path)
    try:
        S = d.socket_path
        client = sbc.SealboxClient(socket_path=str(S), timeout=10)
        value = "rotate-me-" + uuid.uuid4().hex
        old = encrypt(S, "DB_PASSWORD", value)
        old_fernet = encrypt(S, "DB_PASSWORD", value, "--fernet")
        assert wrapped_header(old)["key_version"] == 1
        # On the newest version already: rewrap changes nothing.
        same = ok(run_cli("env", "rewrap", f"DB_PASSWORD={old}", socket_path=S)).stdout
        assert same == f"DB_PASSWORD={old}\n"

        ok(run_cli("key", "rotate", "alias/sealbox/env", socket_path=S))
        p = ok(run_cli("env", "rewrap", f"DB_PASSWORD={old}", socket_path=S))
        name, _, new = p.stdout.strip().partition("=")
        assert name == "DB_PASSWORD" and new.startswith(PREFIX) and new != old
        assert value not in p.stdout
        assert wrapped_header(new)["key_version"] == 2
        assert wrapped_header(new)["key_id"] == wrapped_header(old)["key_id"]
        assert client.decrypt_env("DB_PASSWORD", old) == value.encode()
        assert client.decrypt_env("DB_PASSWORD", new) == value.encode()
        assert client.decrypt_env("DB_PASSWORD", old_fernet) == value.encode()  # Fernet: older versions too
        # The rewrapped token is still bound to its name, and rewrapping under another name fails.
        assert_refused(sbc, client, "OTHER", new)
        harness.assert_native_error(env_call(d, "/v1/env/rewrap", {"name": "OTHER", "token": old}), 400,
                                    "InvalidCiphertextException")
        # Rewrapping the new token again is a no-op.
        j = json.loads(ok(run_cli("env", "rewrap", f"DB_PASSWORD={new}", "-o", "json", socket_path=S)).stdout)
        assert j["token"] == new and j["name"] == "DB_PASSWORD"
        new_fernet = encrypt(S, "DB_PASSWORD", value, "--fernet")

        ok(run_cli("key", "retire", "alias/sealbox/env", "--below", "2", socket_path=S))
        err = assert_refused(sbc, client, "DB_PASSWORD", old,
                             codes=("InvalidCiphertextException", "KMSInvalidStateException"))
        assert err.status in (400, 409)
        assert client.decrypt_env("DB_PASSWORD", new) == value.encode()
        assert_refused(sbc, client, "DB_PASSWORD", old_fernet)
        assert client.decrypt_env("DB_PASSWORD", new_fernet) == value.encode()
        p = run_cli("env", "decrypt", f"DB_PASSWORD={old}", socket_path=S)
        assert p.returncode == 1 and value not in p.stdout + p.stderr
        # New tokens are made under version 2.
        assert wrapped_header(encrypt(S, "DB_PASSWORD", value))["key_version"] == 2
        client.close()
    finally:
        d.terminate(timeout=10)
        d.kill9()


def test_rewrap_does_not_revive_a_token_under_a_retired_version(tmp_path, sbc):
    # Retirement stops versions below the floor from decrypting. A token under such a version
    # must not be re-wrapped onto the current version either: that would hand back a token that
    # decrypts again, undoing the retirement (Vault refuses to rewrap below min_decryption_version).
    d = start(tmp_path)
    try:
        S = d.socket_path
        value = "retired-" + uuid.uuid4().hex
        old = encrypt(S, "OLD_SECRET", value)
        ok(run_cli("key", "rotate", "alias/sealbox/env", socket_path=S))
        ok(run_cli("key", "retire", "alias/sealbox/env", "--below", "2", socket_path=S))
        with sbc.SealboxClient(socket_path=str(S), timeout=10) as client:
            assert_refused(sbc, client, "OLD_SECRET", old,
                           codes=("InvalidCiphertextException", "KMSInvalidStateException"))
            resp = env_call(d, "/v1/env/rewrap", {"name": "OLD_SECRET", "token": old})
            revived = None
            if resp.status == 200:
                token = resp.json()["token"]
                try:
                    revived = bytes(client.decrypt_env("OLD_SECRET", token))
                except sbc.SealboxError:
                    revived = None
            assert resp.status in (400, 409), (
                f"POST /v1/env/rewrap of a token under retired version 1 answered {resp.status} "
                f"{resp.body[:200]!r}; the new token decrypts to the plaintext: {revived == value.encode()}")
    finally:
        d.terminate(timeout=10)
        d.kill9()


def test_rewrap_reports_changed_as_a_json_boolean(sd):
    token = encrypt(sd.socket_path, "CHANGED_FLAG", "v")
    resp = env_call(sd, "/v1/env/rewrap", {"name": "CHANGED_FLAG", "token": token})
    assert resp.status == 200, resp
    body = resp.json()
    assert body["token"] == token and body["name"] == "CHANGED_FLAG"
    assert body["changed"] is False, f"changed should be the JSON boolean false, got {body['changed']!r}"


def test_fernet_interoperates_with_python_cryptography_under_fixture_material(tmp_path):
    """With the env key's material fixed by a fixture, the Fernet key the daemon derives
    (HMAC-SHA256 of the material and "sealbox-env-fernet-v1", signing half first) is known to the
    test: Python's `cryptography` decrypts the daemon's tokens, and the daemon decrypts Python's."""
    import hashlib
    import hmac

    from cryptography.fernet import Fernet

    material = bytes(range(32))
    fixtures = tmp_path / "env.yaml"
    fixtures.write_text(
        "keys:\n"
        f"  - {{aliases: [alias/sealbox/env], material: {base64.b64encode(material).decode()}}}\n")
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    d = harness.Daemon(data, tmp_path / "logs", ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    d.start()
    try:
        fernet = Fernet(base64.urlsafe_b64encode(hmac.new(material, b"sealbox-env-fernet-v1", hashlib.sha256).digest()))
        token = encrypt(d.socket_path, "LEGACY_TOKEN", "from-the-daemon", "--fernet")
        assert fernet.decrypt(token.encode()) == b"from-the-daemon"

        theirs = fernet.encrypt(b"from-python").decode()
        response = env_call(d, "/v1/env/decrypt", {"name": "LEGACY_TOKEN", "token": theirs})
        assert response.status == 200, response.body
        assert json.loads(response.body)["value"] == "from-python"

        forged = Fernet(Fernet.generate_key()).encrypt(b"from-python").decode()
        assert env_call(d, "/v1/env/decrypt", {"name": "LEGACY_TOKEN", "token": forged}).status == 400
    finally:
        d.terminate(timeout=10)
