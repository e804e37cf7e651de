"""Imported key material through boto3, wrapped with `cryptography`: an imported symmetric key
decrypts an envelope made locally from the same material (docs/envelope-format.md, PyNaCl), an
imported HMAC key's MAC equals a local HMAC, an imported private key's public key and signatures
are the local key's; material expires to the second; wrong tokens and material change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import struct
import time
import uuid

import nacl.secret
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from harness import assert_client_error, key_arn

HEADER = 53


def _canonical(context: dict) -> bytes:
    out = struct.pack(">I", len(context))
    for key in sorted(context, key=lambda k: k.encode()):
        value = context[key].encode()
        out += struct.pack(">I", len(key.encode())) + key.encode() + struct.pack(">I", len(value)) + value
    return out


def _seal(plaintext: bytes, material: bytes, key_id: str, context: dict) -> bytes:
    """An envelope v1 token, made as docs/envelope-format.md says, with no Sealbox code."""
    nonce = os.urandom(24)
    header = bytes([1]) + uuid.UUID(key_id).bytes + struct.pack(">I", 1) + struct.pack(">Q", int(time.time())) + nonce
    message_key = hashlib.blake2b(b"sealbox-envelope-v1" + header + _canonical(context), key=material,
                                  digest_size=32).digest()
    return header + nacl.secret.SecretBox(message_key).encrypt(plaintext, nonce).ciphertext


def _import(kms, key_id: str, material: bytes, algorithm: str = "RSA_AES_KEY_WRAP_SHA_256",
            wrapping_spec: str = "RSA_3072", **extra) -> dict:
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec)
    assert params["KeyId"] == key_arn(key_id)
    public = serialization.load_der_public_key(params["PublicKey"])
    digest = hashes.SHA256() if algorithm.endswith("256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSA_AES"):
        kek = os.urandom(32)
        wrapped = public.encrypt(kek, oaep) + keywrap.aes_key_wrap_with_padding(kek, material)
    else:
        wrapped = public.encrypt(material, oaep)
    if "ValidFor" in extra:
        # Counted from the import itself: making the wrapping key may take seconds on a busy host.
        seconds = extra.pop("ValidFor")
        extra["ValidTo"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=seconds)
    extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                   **extra)


@pytest.mark.parametrize("algorithm,wrapping_spec", [
    ("RSAES_OAEP_SHA_1", "RSA_2048"), ("RSAES_OAEP_SHA_256", "RSA_3072"),
    ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"), ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
])
def test_an_imported_symmetric_key_decrypts_an_envelope_made_locally_from_its_material(kms, algorithm,
                                                                                       wrapping_spec):
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert (meta["Origin"], meta["KeyState"], meta["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    material = os.urandom(32)
    answer = _import(kms, key_id, material, algorithm, wrapping_spec)
    assert answer["KeyId"] == key_arn(key_id) and len(answer["KeyMaterialId"]) == 64
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    context = {"tenant": "acme"}
    blob = _seal(b"made elsewhere", material, key_id, context)
    resp = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert resp["Plaintext"] == b"made elsewhere" and resp["KeyId"] == key_arn(key_id)
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=_seal(b"x", os.urandom(32), key_id, context), EncryptionContext=context)
    assert_client_error(e, "InvalidCiphertextException")


def test_generate_mac_equals_a_local_hmac_under_imported_material(kms):
    key_id = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    material = os.urandom(100)
    _import(kms, key_id, material)
    message = b"webhook body"
    mac = kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm="HMAC_SHA_512")["Mac"]
    assert mac == hmac.new(material, message, hashlib.sha512).digest()


def test_an_imported_private_key_signs_as_the_local_key_does(kms):
    local = ec.generate_private_key(ec.SECP384R1())
    key_id = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    der = local.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    _import(kms, key_id, der)
    spki = local.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == spki
    signature = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    local.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA384()))
    # A private key of another curve is not this key's material.
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fresh = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        _import(kms, fresh, other)
    assert_client_error(e, "IncorrectKeyMaterialException")
    assert kms.describe_key(KeyId=fresh)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_material_expires_to_the_second(kms):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    _import(kms, key_id, os.urandom(32), wrapping_spec="RSA_2048", ExpirationModel="KEY_MATERIAL_EXPIRES",
            ValidFor=4)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    valid_to = meta["ValidTo"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and valid_to.microsecond == 0
    assert meta["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    time.sleep(max(0.0, (valid_to - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.3)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert_client_error(e, "KMSInvalidStateException")


def test_delete_imported_key_material_and_reimport(kms):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    _import(kms, key_id, material)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyId"] == key_arn(key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert_client_error(e, "KMSInvalidStateException")
    with pytest.raises(ClientError) as e:
        _import(kms, key_id, os.urandom(32))
    assert_client_error(e, "IncorrectKeyMaterialException")
    _import(kms, key_id, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_bad_tokens_and_material_change_nothing(kms):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    public = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = public.encrypt(os.urandom(32), oaep)
    token = bytearray(params["ImportToken"])
    token[len(token) // 2] ^= 1
    cases = [
        (dict(KeyId=other, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped),
         "InvalidImportTokenException"),
        (dict(KeyId=key_id, ImportToken=bytes(token), EncryptedKeyMaterial=wrapped), "InvalidImportTokenException"),
        (dict(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=os.urandom(256)),
         "InvalidCiphertextException"),
        (dict(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=public.encrypt(b"short", oaep)),
         "IncorrectKeyMaterialException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            kms.import_key_material(ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **kwargs)
        assert_client_error(e, code)
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped)
    assert_client_error(e, "ValidationException")
    native = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=native, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert_client_error(e, "UnsupportedOperationException")
    for kid in (key_id, other):
        assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
