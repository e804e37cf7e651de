"""Asymmetric KMS keys through boto3, checked against `cryptography`: every signing algorithm's
signature verifies locally with the GetPublicKey DER and fails on a changed message; RSA OAEP
ciphertexts made locally decrypt through Decrypt; DeriveSharedSecret equals a local ECDH;
GenerateDataKeyPair's private key signs what its public key verifies; fixtures pin keys by PEM.
Bad input (wrong usage or algorithm, oversize message, wrong digest length, malformed DER or PEM)
gets AWS's error and changes nothing."""

from __future__ import annotations

import hashlib
import http.client
import os
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

import harness
from harness import assert_client_error, key_arn

HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
CURVES = {
    "ECC_NIST_P256": (ec.SECP256R1, "ECDSA_SHA_256"),
    "ECC_NIST_P384": (ec.SECP384R1, "ECDSA_SHA_384"),
    "ECC_NIST_P521": (ec.SECP521R1, "ECDSA_SHA_512"),
    "ECC_SECG_P256K1": (ec.SECP256K1, "ECDSA_SHA_256"),
}
RSA_SIGNING = [f"RSASSA_{scheme}_SHA_{bits}" for scheme in ("PSS", "PKCS1_V1_5") for bits in (256, 384, 512)]
OAEP_LIMITS = {"RSA_2048": 256, "RSA_3072": 384, "RSA_4096": 512}


def _hash_of(algorithm: str):
    return HASHES[algorithm[-7:]]()


def _create(kms, spec: str, usage: str) -> str:
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]


def _public(kms, key_id: str):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def _verify_locally(public, algorithm: str, signature: bytes, message: bytes) -> None:
    digest = _hash_of(algorithm)
    if algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size), digest)
    elif algorithm.startswith("RSASSA_PKCS1"):
        public.verify(signature, message, padding.PKCS1v15(), digest)
    else:
        public.verify(signature, message, ec.ECDSA(digest))


@pytest.fixture(scope="module")
def rsa_signer(kms):
    return _create(kms, "RSA_2048", "SIGN_VERIFY")


@pytest.mark.parametrize("algorithm", RSA_SIGNING)
def test_rsa_signatures_verify_locally_and_fail_on_a_changed_message(kms, rsa_signer, algorithm):
    public = _public(kms, rsa_signer)
    message = b"release v1.2.3 " + os.urandom(64)
    resp = kms.sign(KeyId=rsa_signer, Message=message, MessageType="RAW", SigningAlgorithm=algorithm)
    assert resp["KeyId"] == key_arn(rsa_signer) and resp["SigningAlgorithm"] == algorithm
    _verify_locally(public, algorithm, resp["Signature"], message)
    with pytest.raises(InvalidSignature):
        _verify_locally(public, algorithm, resp["Signature"], message + b"!")
    assert kms.verify(KeyId=rsa_signer, Message=message, MessageType="RAW", Signature=resp["Signature"],
                      SigningAlgorithm=algorithm)["SignatureValid"] is True


@pytest.mark.parametrize("spec", list(CURVES))
def test_ecdsa_signatures_verify_locally_for_every_curve(kms, spec):
    curve, algorithm = CURVES[spec]
    key_id = _create(kms, spec, "SIGN_VERIFY")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeySpec"] == spec and meta["SigningAlgorithms"] == [algorithm]
    assert "EncryptionAlgorithms" not in meta and "KeyAgreementAlgorithms" not in meta
    public = _public(kms, key_id)
    assert isinstance(public.curve, curve)
    message = os.urandom(4096)
    signature = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=algorithm)["Signature"]
    # A DER ECDSA-Sig-Value, as AWS returns it.
    r, s = utils.decode_dss_signature(signature)
    assert r > 0 and s > 0
    _verify_locally(public, algorithm, signature, message)
    with pytest.raises(InvalidSignature):
        _verify_locally(public, algorithm, signature, message[:-1])


def test_digest_message_type_signs_the_digest_as_given(kms, rsa_signer):
    message = b"a large artifact, hashed by the caller"
    digest = hashlib.sha384(message).digest()
    algorithm = "RSASSA_PSS_SHA_384"
    signature = kms.sign(KeyId=rsa_signer, Message=digest, MessageType="DIGEST",
                         SigningAlgorithm=algorithm)["Signature"]
    _verify_locally(_public(kms, rsa_signer), algorithm, signature, message)
    # The message type need not match the one it was signed with, as in AWS.
    assert kms.verify(KeyId=rsa_signer, Message=message, MessageType="RAW", Signature=signature,
                      SigningAlgorithm=algorithm)["SignatureValid"] is True
    # A deterministic PKCS#1 v1.5 signature is the same over the RAW message and its DIGEST.
    raw = kms.sign(KeyId=rsa_signer, Message=message, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    pre = kms.sign(KeyId=rsa_signer, Message=hashlib.sha256(message).digest(), MessageType="DIGEST",
                   SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    assert raw["Signature"] == pre["Signature"]


def test_a_wrong_signature_is_kms_invalid_signature_exception(kms, rsa_signer):
    message = b"payload"
    signature = bytearray(kms.sign(KeyId=rsa_signer, Message=message,
                                   SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"])
    signature[10] ^= 1
    for msg, sig in ((message, bytes(signature)), (b"other payload", bytes(signature))):
        with pytest.raises(ClientError) as e:
            kms.verify(KeyId=rsa_signer, Message=msg, Signature=sig, SigningAlgorithm="RSASSA_PSS_SHA_256")
        assert_client_error(e, "KMSInvalidSignatureException")


def test_sign_refuses_the_wrong_algorithm_usage_size_and_digest_length(kms, rsa_signer):
    ecc = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    cases = [
        (dict(KeyId=ecc, Message=b"m", SigningAlgorithm="ECDSA_SHA_384"), "InvalidKeyUsageException"),
        (dict(KeyId=ecc, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"), "InvalidKeyUsageException"),
        (dict(KeyId=rsa_signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException"),
        (dict(KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException"),
        (dict(KeyId=ecc, Message=os.urandom(4097), SigningAlgorithm="ECDSA_SHA_256"), "ValidationException"),
        (dict(KeyId=ecc, Message=os.urandom(31), MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"),
         "ValidationException"),
        (dict(KeyId=ecc, Message=b"m", SigningAlgorithm="NOT_AN_ALGORITHM"), "ValidationException"),
        (dict(KeyId=ecc, Message=b"m", MessageType="HASHED", SigningAlgorithm="ECDSA_SHA_256"),
         "ValidationException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            kms.sign(**kwargs)
        message = assert_client_error(e, code)
        if kwargs.get("MessageType") == "DIGEST":
            assert message == "Digest is invalid length for algorithm ECDSA_SHA_256."


def test_get_public_key_answers_spec_usage_and_algorithms(kms):
    signer = _create(kms, "RSA_3072", "SIGN_VERIFY")
    resp = kms.get_public_key(KeyId=signer)
    assert resp["KeyId"] == key_arn(signer)
    assert (resp["KeySpec"], resp["KeyUsage"], resp["CustomerMasterKeySpec"]) == ("RSA_3072", "SIGN_VERIFY",
                                                                                 "RSA_3072")
    assert resp["SigningAlgorithms"] == RSA_SIGNING and "EncryptionAlgorithms" not in resp
    assert serialization.load_der_public_key(resp["PublicKey"]).key_size == 3072
    encrypter = _create(kms, "RSA_4096", "ENCRYPT_DECRYPT")
    resp = kms.get_public_key(KeyId=encrypter)
    assert resp["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in resp
    agreement = _create(kms, "ECC_NIST_P384", "KEY_AGREEMENT")
    resp = kms.get_public_key(KeyId=agreement)
    assert resp["KeyAgreementAlgorithms"] == ["ECDH"] and resp["KeyUsage"] == "KEY_AGREEMENT"
    for key_id in (kms.create_key()["KeyMetadata"]["KeyId"],
                   kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]):
        with pytest.raises(ClientError) as e:
            kms.get_public_key(KeyId=key_id)
        assert_client_error(e, "UnsupportedOperationException")


@pytest.mark.parametrize("spec", list(OAEP_LIMITS))
def test_rsa_oaep_ciphertexts_made_locally_decrypt_through_decrypt(kms, spec):
    key_id = _create(kms, spec, "ENCRYPT_DECRYPT")
    public = _public(kms, key_id)
    for algorithm, digest in (("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)):
        limit = OAEP_LIMITS[spec] - 2 * digest.digest_size - 2
        plaintext = os.urandom(limit)
        ciphertext = public.encrypt(plaintext, padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(),
                                                            label=None))
        resp = kms.decrypt(KeyId=key_id, CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm)
        assert resp["Plaintext"] == plaintext and resp["EncryptionAlgorithm"] == algorithm
        assert resp["KeyId"] == key_arn(key_id)
        # Encrypt answers a bare OAEP ciphertext as long as the modulus, which Decrypt opens.
        made = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionAlgorithm=algorithm)
        assert made["EncryptionAlgorithm"] == algorithm and len(made["CiphertextBlob"]) == OAEP_LIMITS[spec]
        assert kms.decrypt(KeyId=key_id, CiphertextBlob=made["CiphertextBlob"],
                           EncryptionAlgorithm=algorithm)["Plaintext"] == plaintext
        with pytest.raises(ClientError) as e:
            kms.encrypt(KeyId=key_id, Plaintext=plaintext + b"x", EncryptionAlgorithm=algorithm)
        assert_client_error(e, "ValidationException")


def test_rsa_encryption_refuses_what_aws_refuses(kms):
    key_id = _create(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    made = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    blob = made["CiphertextBlob"]
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    cases = [
        (kms.encrypt, dict(KeyId=key_id, Plaintext=b"x"), "InvalidKeyUsageException"),
        (kms.encrypt, dict(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1",
                           EncryptionContext={"a": "b"}), "ValidationException"),
        (kms.decrypt, dict(KeyId=key_id, CiphertextBlob=blob), "InvalidKeyUsageException"),
        (kms.decrypt, dict(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1"),
         "InvalidCiphertextException"),
        (kms.decrypt, dict(KeyId=key_id, CiphertextBlob=bytes(tampered), EncryptionAlgorithm="RSAES_OAEP_SHA_256"),
         "InvalidCiphertextException"),
        (kms.decrypt, dict(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256"), "ValidationException"),
        (kms.generate_data_key, dict(KeyId=key_id, KeySpec="AES_256"), "InvalidKeyUsageException"),
        (kms.sign, dict(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"),
         "InvalidKeyUsageException"),
    ]
    for call, kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        assert_client_error(e, code)
    # None of it changed the key.
    assert kms.decrypt(KeyId=key_id, CiphertextBlob=blob,
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"secret"


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", ec.SECP256R1), ("ECC_NIST_P384", ec.SECP384R1),
                                        ("ECC_NIST_P521", ec.SECP521R1)])
def test_derive_shared_secret_equals_a_local_ecdh(kms, spec, curve):
    key_id = _create(kms, spec, "KEY_AGREEMENT")
    mine = ec.generate_private_key(curve())
    der = mine.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    resp = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=der)
    assert resp["KeyId"] == key_arn(key_id) and resp["KeyAgreementAlgorithm"] == "ECDH"
    assert resp["KeyOrigin"] == "AWS_KMS"
    assert resp["SharedSecret"] == mine.exchange(ec.ECDH(), _public(kms, key_id))


def test_derive_shared_secret_refuses_bad_keys(kms):
    key_id = _create(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    other_curve = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    signer = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    good = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = [
        (dict(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=b"\x30\x03\x02\x01\x01"), "ValidationException"),
        (dict(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=good + b"\x00"), "ValidationException"),
        (dict(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=other_curve), "ValidationException"),
        (dict(KeyId=key_id, KeyAgreementAlgorithm="DH", PublicKey=good), "ValidationException"),
        (dict(KeyId=signer, KeyAgreementAlgorithm="ECDH", PublicKey=good), "InvalidKeyUsageException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            kms.derive_shared_secret(**kwargs)
        assert_client_error(e, code)
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT")
    assert_client_error(e, "ValidationException")


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                                  "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"])
def test_generate_data_key_pair_private_key_signs_what_its_public_key_verifies(kms, key, spec):
    key = key["KeyId"]
    context = {"purpose": "pair"}
    resp = kms.generate_data_key_pair(KeyId=key, KeyPairSpec=spec, EncryptionContext=context)
    assert resp["KeyPairSpec"] == spec and resp["KeyId"] == key_arn(key)
    private = serialization.load_der_private_key(resp["PrivateKeyPlaintext"], password=None)
    public = serialization.load_der_public_key(resp["PublicKey"])
    message = b"signed with a data key pair"
    if spec.startswith("RSA"):
        signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())
        public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    elif spec == "ECC_NIST_EDWARDS25519":
        public.verify(private.sign(message), message)
    else:
        public.verify(private.sign(message, ec.ECDSA(hashes.SHA256())), message, ec.ECDSA(hashes.SHA256()))
    # The sealed private key is the same PKCS#8 DER, under the symmetric key and its context.
    opened = kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"], EncryptionContext=context)
    assert opened["Plaintext"] == resp["PrivateKeyPlaintext"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"])
    assert_client_error(e, "InvalidCiphertextException")


def test_generate_data_key_pair_without_plaintext_and_its_refusals(kms, key):
    key = key["KeyId"]
    resp = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec="RSA_3072")
    assert "PrivateKeyPlaintext" not in resp
    private = serialization.load_der_private_key(
        kms.decrypt(CiphertextBlob=resp["PrivateKeyCiphertextBlob"])["Plaintext"], password=None)
    assert private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == resp["PublicKey"]
    signer = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    for kwargs, code in [
        (dict(KeyId=key, KeyPairSpec="RSA_1024"), "ValidationException"),
        (dict(KeyId=key, KeyPairSpec="SM2"), "UnsupportedOperationException"),
        (dict(KeyId=signer, KeyPairSpec="RSA_2048"), "InvalidKeyUsageException"),
    ]:
        with pytest.raises(ClientError) as e:
            kms.generate_data_key_pair(**kwargs)
        assert_client_error(e, code)


def test_asymmetric_keys_refuse_rotation_and_mismatched_usages(kms):
    signer = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    with pytest.raises(ClientError) as e:
        kms.enable_key_rotation(KeyId=signer)
    assert_client_error(e, "UnsupportedOperationException")
    for spec, usage in [("ECC_NIST_P256", "ENCRYPT_DECRYPT"), ("RSA_2048", "KEY_AGREEMENT"),
                        ("RSA_2048", "GENERATE_VERIFY_MAC")]:
        with pytest.raises(ClientError) as e:
            kms.create_key(KeySpec=spec, KeyUsage=usage)
        assert_client_error(e, "ValidationException")
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048")
    assert_client_error(e, "ValidationException")


def test_a_disabled_asymmetric_key_refuses_to_sign(kms):
    signer = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    kms.disable_key(KeyId=signer)
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert_client_error(e, "DisabledException")
    kms.enable_key(KeyId=signer)
    assert kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]


# -- fixtures pin keys by PEM -------------------------------------------------------------------


def _pem(private) -> str:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


def _fixture(key_id: str, spec: str, usage: str, pem: str) -> str:
    body = "\n".join("      " + line for line in pem.strip().splitlines())
    return f"  - id: {key_id}\n    keySpec: {spec}\n    keyUsage: {usage}\n    material: |\n{body}\n"


def test_fixture_pem_keys_sign_verifiably_and_survive_a_reset(spawn, tmp_path):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_id, ec_id = str(uuid.uuid4()), str(uuid.uuid4())
    # A traditional "RSA PRIVATE KEY" PEM is read as well as PKCS#8.
    traditional = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()).decode()
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("keys:\n" + _fixture(rsa_id, "RSA_2048", "SIGN_VERIFY", traditional)
                        + _fixture(ec_id, "ECC_NIST_P256", "SIGN_VERIFY", _pem(ec_key)))
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    kms = d.client("AKIATESTINGASYM00001", "anything")
    expected = rsa_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    assert kms.get_public_key(KeyId=rsa_id)["PublicKey"] == expected
    # PKCS#1 v1.5 is deterministic: the daemon's signature is the one the pinned key makes locally.
    message = b"known message"
    signature = kms.sign(KeyId=rsa_id, Message=message, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    assert signature == rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    local = ec_key.sign(message, ec.ECDSA(hashes.SHA256()))
    assert kms.verify(KeyId=ec_id, Message=message, Signature=local,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    _reset(d)
    assert kms.get_public_key(KeyId=rsa_id)["PublicKey"] == expected


@pytest.mark.parametrize("material,why", [
    ("not a key", "must be an unencrypted PEM private key"),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "must be an unencrypted PEM private key"),
    ("P384", "is a ECC_NIST_P384 private key, not ECC_NIST_P256"),
    ("ENCRYPTED", "must be an unencrypted PEM private key"),
])
def test_fixture_with_bad_pem_material_is_refused_with_the_reason(spawn, tmp_path, material, why):
    if material == "P384":
        material = _pem(ec.generate_private_key(ec.SECP384R1()))
    elif material == "ENCRYPTED":
        material = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase")).decode()
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("keys:\n" + _fixture(str(uuid.uuid4()), "ECC_NIST_P256", "SIGN_VERIFY", material))
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)], start=False)
    with pytest.raises(harness.DaemonStartError) as e:
        d.start()
    assert why in str(e.value)
    assert "BEGIN" not in str(e.value), "the key material must not reach the log"


def _reset(d) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    conn.request("POST", "/moto-api/reset", body=b"", headers={"Host": "localhost"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert 200 <= resp.status < 300, f"/moto-api/reset -> {resp.status}"


def test_reencrypt_moves_a_value_between_rsa_and_symmetric_keys(kms, key):
    rsa_key = _create(kms, "RSA_3072", "ENCRYPT_DECRYPT")
    symmetric = key["KeyId"]
    public = _public(kms, rsa_key)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    made_locally = public.encrypt(b"moved", oaep)
    to_symmetric = kms.re_encrypt(CiphertextBlob=made_locally, SourceKeyId=rsa_key,
                                  SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256", DestinationKeyId=symmetric,
                                  DestinationEncryptionContext={"step": "1"})
    assert to_symmetric["SourceKeyId"] == key_arn(rsa_key) and to_symmetric["KeyId"] == key_arn(symmetric)
    assert to_symmetric["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert to_symmetric["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert "SourceKeyMaterialId" not in to_symmetric and len(to_symmetric["DestinationKeyMaterialId"]) == 64
    assert kms.decrypt(CiphertextBlob=to_symmetric["CiphertextBlob"],
                       EncryptionContext={"step": "1"})["Plaintext"] == b"moved"
    back = kms.re_encrypt(CiphertextBlob=to_symmetric["CiphertextBlob"], SourceEncryptionContext={"step": "1"},
                          DestinationKeyId=rsa_key, DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert back["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1" and "DestinationKeyMaterialId" not in back
    assert len(back["CiphertextBlob"]) == 384
    assert kms.decrypt(KeyId=rsa_key, CiphertextBlob=back["CiphertextBlob"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"moved"
    for kwargs in (dict(CiphertextBlob=made_locally, SourceKeyId=rsa_key, DestinationKeyId=symmetric),
                   dict(CiphertextBlob=to_symmetric["CiphertextBlob"], SourceEncryptionContext={"step": "1"},
                        DestinationKeyId=rsa_key)):
        with pytest.raises(ClientError) as e:
            kms.re_encrypt(**kwargs)
        assert_client_error(e, "InvalidKeyUsageException")
