"""The envelope v1 vectors in Keys/test/ checked by an independent implementation: PyNaCl's
secretbox and hashlib's keyed BLAKE2b, following docs/envelope-format.md, not the Swift code."""

import base64
import hashlib
import json
import struct
from pathlib import Path

import nacl.exceptions
import nacl.secret
import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = json.loads((ROOT / "Keys/test/envelope-keys.json").read_text())["keys"]
VECTORS = json.loads((ROOT / "Keys/test/envelope-vectors.json").read_text())
HEADER = 53


def canonical(context: dict) -> bytes:
    out = struct.pack(">I", len(context))
    for key in sorted(context, key=lambda k: k.encode()):
        value = context[key].encode()
        out += struct.pack(">I", len(key.encode())) + key.encode() + struct.pack(">I", len(value)) + value
    return out


def material(key_id: str, version: int) -> bytes | None:
    for key in KEYS:
        if key["keyId"] == key_id:
            text = key["versions"].get(str(version))
            return base64.b64decode(text) if text else None
    return None


def open_token(token: bytes, context: dict) -> bytes:
    if len(token) < HEADER + 16:
        raise ValueError("malformed")
    if token[0] != 1:
        raise ValueError("unsupportedVersion")
    key_id = "-".join(token[1:17].hex()[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    if not any(k["keyId"] == key_id for k in KEYS):
        raise ValueError("unknownKey")
    (version,) = struct.unpack(">I", token[17:21])
    key = material(key_id, version)
    if key is None:
        raise ValueError("unknownKeyVersion")
    message_key = hashlib.blake2b(
        b"sealbox-envelope-v1" + token[:HEADER] + canonical(context), key=key, digest_size=32
    ).digest()
    try:
        return nacl.secret.SecretBox(message_key).decrypt(token[HEADER:], nonce=token[29:53])
    except nacl.exceptions.CryptoError:
        raise ValueError("authenticationFailed")


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["description"])
def test_valid_vector_opens_with_pynacl(vector):
    token = base64.b64decode(vector["token"])
    assert token[29:53].hex() == vector["nonce"]
    assert struct.unpack(">Q", token[21:29])[0] == vector["timestamp"]
    assert open_token(token, vector["context"]).hex() == vector["plaintext"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["description"])
def test_invalid_vector_is_rejected_for_its_reason(vector):
    with pytest.raises(ValueError) as failure:
        open_token(base64.b64decode(vector["token"]), vector["context"])
    assert str(failure.value) == vector["error"]


def test_there_are_enough_vectors():
    assert len(VECTORS["valid"]) >= 5
    descriptions = " ".join(v["description"] for v in VECTORS["invalid"])
    for field in ("version byte", "key id", "key version", "timestamp", "nonce", "tag", "ciphertext"):
        assert f"bit flip in {field}" in descriptions
    for case in ("truncated", "wrong context", "unknown key version", "unknown version byte"):
        assert case in descriptions
