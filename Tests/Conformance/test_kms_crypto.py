"""Cryptographic operations through boto3: Encrypt, Decrypt, GenerateDataKey(+WithoutPlaintext),
ReEncrypt, GenerateRandom, encryption context binding, tampering."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from harness import assert_client_error, client_error, envelope_header, flip_bit, key_arn, unique


def test_encrypt_decrypt_round_trip(kms, key):
    pt = os.urandom(200)
    enc = kms.encrypt(KeyId=key["KeyId"], Plaintext=pt)
    assert enc["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert enc["KeyId"] == key["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    ct = enc["CiphertextBlob"]
    assert isinstance(ct, bytes) and len(ct) > len(pt)
    assert pt not in ct
    dec = kms.decrypt(CiphertextBlob=ct)
    assert dec["Plaintext"] == pt
    assert dec["KeyId"] == key["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


@pytest.mark.parametrize("size", [1, 4096])
def test_plaintext_size_bounds_accepted(kms, key, size):
    pt = os.urandom(size)
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=pt)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == pt


def test_ciphertext_envelope_header(kms, key):
    """The ciphertext is a Sealbox envelope that names its key (so Decrypt needs no KeyId)."""
    before = int(time.time())
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"header")["CiphertextBlob"]
    h = envelope_header(ct)
    assert h["version"] == 1
    assert h["key_id"] == key["KeyId"]
    assert before - 5 <= h["timestamp"] <= time.time() + 5, h
    assert len(ct) == 53 + 16 + len(b"header"), "secretbox: header + 16-byte tag + ciphertext"
    other = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"header")["CiphertextBlob"]
    assert envelope_header(other)["nonce"] != h["nonce"], "nonces must be random"


def test_ciphertexts_are_randomized(kms, key):
    a = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    b = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    assert a != b


@pytest.mark.parametrize("ref", ["id", "arn", "alias"])
def test_decrypt_with_key_id(kms, key, ref):
    alias = "alias/" + unique("dec")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"with key id")["CiphertextBlob"]
    kid = {"id": key["KeyId"], "arn": key["Arn"], "alias": alias}[ref]
    dec = kms.decrypt(CiphertextBlob=ct, KeyId=kid)
    assert dec["Plaintext"] == b"with key id"
    assert dec["KeyId"] == key["Arn"]


def test_decrypt_with_other_key_id_is_incorrect_key(kms, new_key):
    a, b = new_key(), new_key()
    ct = kms.encrypt(KeyId=a["KeyId"], Plaintext=b"mine")["CiphertextBlob"]
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=ct, KeyId=b["KeyId"])
    assert_client_error(ei, "IncorrectKeyException")


def test_encryption_context_round_trip_order_independent(kms, key):
    ctx = {"app": "billing", "Stage": "prod", "purpose": "db password"}
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"ctx", EncryptionContext=ctx)["CiphertextBlob"]
    reordered = dict(reversed(list(ctx.items())))
    assert list(reordered) != list(ctx)
    assert kms.decrypt(CiphertextBlob=ct, EncryptionContext=reordered)["Plaintext"] == b"ctx"


@pytest.mark.parametrize("variant", ["missing", "wrong_value", "wrong_case_key", "extra_pair", "subset"])
def test_encryption_context_mismatch(kms, key, variant):
    ctx = {"app": "billing", "stage": "prod"}
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"ctx", EncryptionContext=ctx)["CiphertextBlob"]
    bad = {
        "missing": None,
        "wrong_value": {"app": "billing", "stage": "dev"},
        "wrong_case_key": {"App": "billing", "stage": "prod"},
        "extra_pair": {"app": "billing", "stage": "prod", "x": "y"},
        "subset": {"app": "billing"},
    }[variant]
    kw = {"CiphertextBlob": ct}
    if bad is not None:
        kw["EncryptionContext"] = bad
    with pytest.raises(ClientError) as ei:
        kms.decrypt(**kw)
    msg = assert_client_error(ei, "InvalidCiphertextException")
    assert msg == "", f"context mismatch must not explain itself, got message {msg!r}"


@pytest.mark.parametrize("pairs", [1, 2])
def test_context_matches_by_bytes_even_after_a_cached_decrypt(kms, key, pairs):
    # "é" precomposed and decomposed are one text to Unicode, two byte strings to KMS. The first
    # decrypt remembers the blob's key; the second must not reuse it for the other spelling.
    composed, decomposed = {"k": "caf\u00e9"}, {"k": "cafe\u0301"}
    if pairs == 2:
        composed["stage"] = decomposed["stage"] = "prod"
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"bytes", EncryptionContext=composed)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct, EncryptionContext=composed)["Plaintext"] == b"bytes"
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=ct, EncryptionContext=decomposed)
    assert_client_error(ei, "InvalidCiphertextException")
    assert kms.decrypt(CiphertextBlob=ct, EncryptionContext=composed)["Plaintext"] == b"bytes"


def test_context_given_on_decrypt_but_not_on_encrypt(kms, key):
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"noctx")["CiphertextBlob"]
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})
    assert_client_error(ei, "InvalidCiphertextException")


def test_every_single_bit_flip_is_rejected(kms, key):
    pt = b"tamper-evident payload"
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=pt, EncryptionContext={"k": "v"})["CiphertextBlob"]
    accepted, wrong_code = [], []
    for pos in range(len(ct)):
        bit = pos % 8
        try:
            kms.decrypt(CiphertextBlob=flip_bit(ct, pos, bit), EncryptionContext={"k": "v"})
            accepted.append(pos)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            if code != "InvalidCiphertextException" or status != 400:
                wrong_code.append((pos, code, status))
    assert not accepted, f"tampered ciphertexts were ACCEPTED (byte positions {accepted} of {len(ct)})"
    assert not wrong_code, f"tampering gave codes other than InvalidCiphertextException: {wrong_code}"
    # the untampered one still works
    assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"k": "v"})["Plaintext"] == pt


@pytest.mark.parametrize("blob", [b"\x00", os.urandom(64), b"not a sealbox ciphertext at all" * 3],
                         ids=["one-byte", "random-64", "text"])
def test_garbage_ciphertext(kms, blob):
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=blob)
    assert_client_error(ei, "InvalidCiphertextException")


def test_truncated_ciphertext(kms, key):
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"truncate me")["CiphertextBlob"]
    for cut in (1, 16, len(ct) // 2):
        with pytest.raises(ClientError) as ei:
            kms.decrypt(CiphertextBlob=ct[:-cut])
        assert_client_error(ei, "InvalidCiphertextException")


@pytest.mark.parametrize("spec,size", [("AES_128", 16), ("AES_256", 32)])
def test_generate_data_key_key_spec(kms, key, spec, size):
    ctx = {"purpose": unique("gdk")}
    r = kms.generate_data_key(KeyId=key["KeyId"], KeySpec=spec, EncryptionContext=ctx)
    assert r["KeyId"] == key["Arn"]
    assert len(r["Plaintext"]) == size
    dec = kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext=ctx)
    assert dec["Plaintext"] == r["Plaintext"]
    assert dec["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=r["CiphertextBlob"])
    assert_client_error(ei, "InvalidCiphertextException")


@pytest.mark.parametrize("n", [1, 64, 1024])
def test_generate_data_key_number_of_bytes(kms, key, n):
    r = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=n)
    assert len(r["Plaintext"]) == n
    assert kms.decrypt(CiphertextBlob=r["CiphertextBlob"])["Plaintext"] == r["Plaintext"]


def test_generate_data_keys_are_random(kms, key):
    a = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    b = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    assert a != b


def test_generate_data_key_via_alias(kms, key):
    alias = "alias/" + unique("gdk")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    r = kms.generate_data_key(KeyId=alias, KeySpec="AES_256")
    assert r["KeyId"] == key["Arn"]


@pytest.mark.parametrize("spec,size", [("AES_128", 16), ("AES_256", 32)])
def test_generate_data_key_without_plaintext(kms, key, spec, size):
    ctx = {"tenant": "t1"}
    r = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec=spec, EncryptionContext=ctx)
    assert "Plaintext" not in r
    assert r["KeyId"] == key["Arn"]
    dec = kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext=ctx)
    assert len(dec["Plaintext"]) == size


def test_generate_data_key_without_plaintext_number_of_bytes(kms, key):
    r = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=48)
    assert "Plaintext" not in r
    assert len(kms.decrypt(CiphertextBlob=r["CiphertextBlob"])["Plaintext"]) == 48


def test_reencrypt_to_another_key_with_contexts(kms, new_key):
    src, dst = new_key(), new_key()
    sctx, dctx = {"stage": "source"}, {"stage": "destination", "extra": "1"}
    ct = kms.encrypt(KeyId=src["KeyId"], Plaintext=b"move me", EncryptionContext=sctx)["CiphertextBlob"]
    r = kms.re_encrypt(CiphertextBlob=ct, SourceEncryptionContext=sctx, DestinationKeyId=dst["KeyId"],
                       DestinationEncryptionContext=dctx)
    assert r["SourceKeyId"] == src["Arn"]
    assert r["KeyId"] == dst["Arn"]
    assert r.get("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    assert r.get("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    new = r["CiphertextBlob"]
    assert new != ct
    dec = kms.decrypt(CiphertextBlob=new, EncryptionContext=dctx)
    assert dec["Plaintext"] == b"move me"
    assert dec["KeyId"] == dst["Arn"]
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=new, EncryptionContext=sctx)
    assert_client_error(ei, "InvalidCiphertextException")
    with pytest.raises(ClientError) as ei:
        kms.decrypt(CiphertextBlob=new, EncryptionContext=dctx, KeyId=src["KeyId"])
    assert_client_error(ei, "IncorrectKeyException")


def test_reencrypt_wrong_source_context(kms, new_key):
    src, dst = new_key(), new_key()
    ct = kms.encrypt(KeyId=src["KeyId"], Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError) as ei:
        kms.re_encrypt(CiphertextBlob=ct, SourceEncryptionContext={"a": "2"}, DestinationKeyId=dst["KeyId"])
    assert_client_error(ei, "InvalidCiphertextException")


def test_reencrypt_wrong_source_key_id(kms, new_key):
    src, other, dst = new_key(), new_key(), new_key()
    ct = kms.encrypt(KeyId=src["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as ei:
        kms.re_encrypt(CiphertextBlob=ct, SourceKeyId=other["KeyId"], DestinationKeyId=dst["KeyId"])
    assert_client_error(ei, "IncorrectKeyException")


@pytest.mark.parametrize("n", [1, 32, 1024])
def test_generate_random(kms, n):
    r = kms.generate_random(NumberOfBytes=n)
    assert isinstance(r["Plaintext"], bytes) and len(r["Plaintext"]) == n


def test_generate_random_differs(kms):
    a = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    b = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    assert a != b and a != bytes(32)


# -- key state errors -------------------------------------------------------


def test_unknown_key_not_found(kms):
    kid = str(uuid.uuid4())
    for call in (lambda: kms.describe_key(KeyId=kid),
                 lambda: kms.encrypt(KeyId=kid, Plaintext=b"x"),
                 lambda: kms.encrypt(KeyId=key_arn(kid), Plaintext=b"x"),
                 lambda: kms.generate_data_key(KeyId=kid, KeySpec="AES_256"),
                 lambda: kms.enable_key(KeyId=kid)):
        with pytest.raises(ClientError) as ei:
            call()
        assert_client_error(ei, "NotFoundException")


def test_unknown_alias_not_found(kms):
    alias = "alias/" + unique("nosuch")
    for call in (lambda: kms.describe_key(KeyId=alias),
                 lambda: kms.encrypt(KeyId=alias, Plaintext=b"x")):
        with pytest.raises(ClientError) as ei:
            call()
        assert_client_error(ei, "NotFoundException")


def test_malformed_key_id_not_found(kms):
    with pytest.raises(ClientError) as ei:
        kms.describe_key(KeyId="not-a-key-id")
    assert_client_error(ei, "NotFoundException")


def test_disabled_key_refuses_crypto(kms, key):
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    calls = {
        "Encrypt": lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=ct),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        "GenerateDataKeyWithoutPlaintext": lambda: kms.generate_data_key_without_plaintext(
            KeyId=key["KeyId"], KeySpec="AES_256"),
    }
    for name, call in calls.items():
        with pytest.raises(ClientError) as ei:
            call()
        code, status, _ = client_error(ei)
        assert (code, status) == ("DisabledException", 400), f"{name}: {code} {status}"


def test_pending_deletion_key_refuses_crypto(kms, key):
    ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    for name, call in {
        "Encrypt": lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=ct),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
    }.items():
        with pytest.raises(ClientError) as ei:
            call()
        code, status, _ = client_error(ei)
        assert (code, status) == ("KMSInvalidStateException", 400), f"{name}: {code} {status}"


def test_concurrent_clients(daemon, creds, key):
    """Eight threads with their own clients encrypt and decrypt at the same time."""
    errors: list[str] = []

    def worker(n: int) -> None:
        c = daemon.client(*creds)
        try:
            for i in range(8):
                pt = f"{n}-{i}".encode()
                ct = c.encrypt(KeyId=key["KeyId"], Plaintext=pt, EncryptionContext={"n": str(n)})["CiphertextBlob"]
                if c.decrypt(CiphertextBlob=ct, EncryptionContext={"n": str(n)})["Plaintext"] != pt:
                    errors.append(f"{n}-{i}: wrong plaintext")
        except Exception as e:  # noqa: BLE001
            errors.append(f"{n}: {e!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "concurrent requests hung"
    assert not errors, errors
