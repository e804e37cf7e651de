"""Fernet interoperability between `sealbox-vectors fernet` and Python's
cryptography.fernet, in both directions."""

from __future__ import annotations

import base64
import os
import subprocess
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken

from harness import clean_env

PLAINTEXTS = {
    "ascii": b"postgres://user:s3cr3t@db.internal/app",
    "binary": bytes(range(256)),
    "empty": b"",
    "one-block": b"0123456789abcdef",
    "large": os.urandom(10_000),
}


@pytest.fixture
def fkey(tmp_path):
    key = Fernet.generate_key()
    path = tmp_path / "fernet.key"
    path.write_bytes(key + b"\n")  # as `print(Fernet.generate_key().decode())` writes it
    return key, path


def helper(vectors_bin, mode: str, key_file, data: bytes, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(vectors_bin), "fernet", mode, "--key-file", str(key_file), *extra],
                          input=data, capture_output=True, timeout=30, env=clean_env())


def _tamper(token: bytes, pos: int) -> bytes:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[pos] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw))


@pytest.mark.parametrize("name", list(PLAINTEXTS))
def test_python_token_decrypts_with_helper(vectors_bin, fkey, name):
    key, path = fkey
    pt = PLAINTEXTS[name]
    token = Fernet(key).encrypt(pt)
    p = helper(vectors_bin, "decrypt", path, token)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert p.stdout == pt


@pytest.mark.parametrize("name", list(PLAINTEXTS))
def test_helper_token_decrypts_with_python(vectors_bin, fkey, name):
    key, path = fkey
    pt = PLAINTEXTS[name]
    p = helper(vectors_bin, "encrypt", path, pt)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    token = p.stdout.strip()
    assert token.startswith(b"gAAAAA"), token[:20]
    base64.urlsafe_b64decode(token)  # URL-safe base64
    assert Fernet(key).decrypt(token) == pt
    now = int(time.time())
    assert abs(Fernet(key).extract_timestamp(token) - now) <= 60


def test_helper_tokens_are_randomized(vectors_bin, fkey):
    key, path = fkey
    t1 = helper(vectors_bin, "encrypt", path, b"same").stdout.strip()
    t2 = helper(vectors_bin, "encrypt", path, b"same").stdout.strip()
    assert t1 and t2 and t1 != t2


def test_helper_accepts_token_with_trailing_newline(vectors_bin, fkey):
    key, path = fkey
    token = Fernet(key).encrypt(b"echo'd")
    p = helper(vectors_bin, "decrypt", path, token + b"\n")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert p.stdout == b"echo'd"


@pytest.mark.parametrize("where", ["version", "timestamp", "iv", "ciphertext", "hmac"])
def test_tampered_tokens_refused_by_both(vectors_bin, fkey, where):
    key, path = fkey
    py_token = Fernet(key).encrypt(b"do not touch")
    h = helper(vectors_bin, "encrypt", path, b"do not touch")
    assert h.returncode == 0, h.stderr
    helper_token = h.stdout.strip()
    raw_len = len(base64.urlsafe_b64decode(py_token))
    pos = {"version": 0, "timestamp": 5, "iv": 12, "ciphertext": 30, "hmac": raw_len - 1}[where]

    bad_py = _tamper(py_token, pos)
    p = helper(vectors_bin, "decrypt", path, bad_py)
    assert p.returncode != 0, "helper accepted a tampered token"
    assert p.stdout == b"", "helper wrote output for a tampered token"
    assert p.stderr.strip(), "helper gave no message on stderr"

    bad_helper = _tamper(helper_token, pos)
    with pytest.raises(InvalidToken):
        Fernet(key).decrypt(bad_helper)


def test_garbage_token_refused(vectors_bin, fkey):
    _, path = fkey
    for junk in (b"not-a-token", b"", b"gAAAAA"):
        p = helper(vectors_bin, "decrypt", path, junk)
        assert p.returncode != 0, junk
        assert p.stderr.strip(), junk


def test_wrong_key_refused(vectors_bin, fkey, tmp_path):
    key, _ = fkey
    other = tmp_path / "other.key"
    other.write_bytes(Fernet.generate_key() + b"\n")
    p = helper(vectors_bin, "decrypt", other, Fernet(key).encrypt(b"x"))
    assert p.returncode != 0
    assert p.stderr.strip()


def test_expired_token_refused_with_ttl(vectors_bin, fkey):
    key, path = fkey
    old = Fernet(key).encrypt_at_time(b"stale", int(time.time()) - 3600)
    p = helper(vectors_bin, "decrypt", path, old, "--ttl", "10")
    assert p.returncode != 0, "helper accepted a token older than --ttl"
    assert p.stdout == b""
    assert p.stderr.strip()
    # without --ttl the same token is fine, and a fresh token passes --ttl 10
    p = helper(vectors_bin, "decrypt", path, old)
    assert p.returncode == 0 and p.stdout == b"stale", p.stderr
    fresh = Fernet(key).encrypt(b"fresh")
    p = helper(vectors_bin, "decrypt", path, fresh, "--ttl", "10")
    assert p.returncode == 0 and p.stdout == b"fresh", p.stderr
