"""HMAC KMS keys through boto3: CreateKey and DescribeKey with HMAC_224|256|384|512, GenerateMac
equal to Python's hmac under material seeded from a fixture file, VerifyMac, and the refusals AWS
answers for the wrong usage, algorithm, size or spec."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from harness import assert_client_error, key_arn

SPECS = {
    "HMAC_224": ("HMAC_SHA_224", hashlib.sha224, 28),
    "HMAC_256": ("HMAC_SHA_256", hashlib.sha256, 32),
    "HMAC_384": ("HMAC_SHA_384", hashlib.sha384, 48),
    "HMAC_512": ("HMAC_SHA_512", hashlib.sha512, 64),
}


def _hmac_key(kms, spec: str) -> str:
    return kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An ephemeral daemon seeded from a fixture file with one HMAC key of each spec, of known material."""
    import harness

    base = tmp_path_factory.mktemp("hmac")
    keys = {spec: (str(uuid.uuid4()), os.urandom(length)) for spec, (_, _, length) in SPECS.items()}
    lines = ["keys:"]
    for spec, (key_id, material) in keys.items():
        lines += [f"  - id: {key_id}", f"    keySpec: {spec}", "    keyUsage: GENERATE_VERIFY_MAC",
                  f"    material: {base64.b64encode(material).decode()}"]
    fixtures = base / "fixtures.yaml"
    fixtures.write_text("\n".join(lines) + "\n")
    d = harness.Daemon(base / "data", base / "logs", ephemeral=True, socket_path=base / "s.sock",
                       extra_args=["--fixtures", str(fixtures)])
    d.start()
    yield d, keys
    d.terminate(timeout=10)
    d.kill9()


@pytest.mark.parametrize("spec", list(SPECS))
def test_generate_mac_equals_a_local_hmac_under_fixture_material(seeded, spec):
    d, keys = seeded
    kms = d.client("AKIATESTINGHMAC00001", "anything")
    key_id, material = keys[spec]
    algorithm, digest, length = SPECS[spec]
    for message in (b"x", b"webhook payload \x00\xff", os.urandom(4096)):
        resp = kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm=algorithm)
        assert resp["MacAlgorithm"] == algorithm
        assert resp["KeyId"] == key_arn(key_id)
        assert len(resp["Mac"]) == length
        assert resp["Mac"] == hmac.new(material, message, digest).digest()


@pytest.mark.parametrize("spec", list(SPECS))
def test_verify_mac_accepts_the_mac_and_refuses_a_changed_message_or_mac(seeded, spec):
    d, keys = seeded
    kms = d.client("AKIATESTINGHMAC00001", "anything")
    key_id, material = keys[spec]
    algorithm, digest, _ = SPECS[spec]
    message = b"amount=100&to=alice"
    mac = hmac.new(material, message, digest).digest()
    resp = kms.verify_mac(KeyId=key_id, Message=message, Mac=mac, MacAlgorithm=algorithm)
    assert resp["MacValid"] is True
    assert resp["MacAlgorithm"] == algorithm
    assert resp["KeyId"] == key_arn(key_id)
    with pytest.raises(ClientError) as ei:
        kms.verify_mac(KeyId=key_id, Message=b"amount=900&to=alice", Mac=mac, MacAlgorithm=algorithm)
    assert_client_error(ei, "KMSInvalidMacException")
    changed = bytes([mac[0] ^ 1]) + mac[1:]
    with pytest.raises(ClientError) as ei:
        kms.verify_mac(KeyId=key_id, Message=message, Mac=changed, MacAlgorithm=algorithm)
    assert_client_error(ei, "KMSInvalidMacException")
    with pytest.raises(ClientError) as ei:
        kms.verify_mac(KeyId=key_id, Message=message, Mac=mac[:-1], MacAlgorithm=algorithm)
    assert_client_error(ei, "KMSInvalidMacException")


def test_fixture_export_writes_the_spec_usage_and_material_back(seeded):
    d, keys = seeded
    key_id, material = keys["HMAC_384"]
    import harness

    with harness.UnixHTTP(d.socket_path) as conn:
        resp = conn.request("GET", "/v1/fixtures?format=json")
    assert resp.status == 200, resp.body
    exported = {k["id"]: k for k in resp.json()["keys"]}
    assert exported[key_id]["keySpec"] == "HMAC_384"
    assert exported[key_id]["keyUsage"] == "GENERATE_VERIFY_MAC"
    assert base64.b64decode(exported[key_id]["material"]) == material


@pytest.mark.parametrize("spec", list(SPECS))
def test_create_and_describe_an_hmac_key(kms, spec):
    algorithm, _, _ = SPECS[spec]
    created = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    described = kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    for md in (created, described):
        assert md["KeySpec"] == spec
        assert md["CustomerMasterKeySpec"] == spec
        assert md["KeyUsage"] == "GENERATE_VERIFY_MAC"
        assert md["MacAlgorithms"] == [algorithm]
        assert "EncryptionAlgorithms" not in md
    mac = kms.generate_mac(KeyId=created["KeyId"], Message=b"m", MacAlgorithm=algorithm)["Mac"]
    assert kms.verify_mac(KeyId=created["KeyId"], Message=b"m", Mac=mac, MacAlgorithm=algorithm)["MacValid"]


def test_a_symmetric_key_still_describes_as_one(kms):
    md = kms.describe_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["KeyMetadata"]
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert "MacAlgorithms" not in md


def test_the_wrong_mac_algorithm_for_the_key_is_invalid_key_usage(kms):
    key_id = _hmac_key(kms, "HMAC_256")
    for algorithm in ("HMAC_SHA_224", "HMAC_SHA_384", "HMAC_SHA_512"):
        with pytest.raises(ClientError) as ei:
            kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm=algorithm)
        assert_client_error(ei, "InvalidKeyUsageException")
    with pytest.raises(ClientError) as ei:
        kms.verify_mac(KeyId=key_id, Message=b"m", Mac=b"\x00" * 32, MacAlgorithm="HMAC_SHA_512")
    assert_client_error(ei, "InvalidKeyUsageException")


def test_symmetric_operations_refuse_an_hmac_key(kms):
    key_id = _hmac_key(kms, "HMAC_256")
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=symmetric, Plaintext=b"secret")["CiphertextBlob"]
    refused = {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"secret"),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "GenerateDataKeyWithoutPlaintext": lambda: kms.generate_data_key_without_plaintext(
            KeyId=key_id, NumberOfBytes=32),
        "ReEncrypt": lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob, KeyId=key_id),
    }
    for name, call in refused.items():
        with pytest.raises(ClientError) as ei:
            call()
        assert_client_error(ei, "InvalidKeyUsageException"), name


def test_generate_mac_with_a_symmetric_key_is_invalid_key_usage(kms):
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as ei:
        kms.generate_mac(KeyId=symmetric, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert_client_error(ei, "InvalidKeyUsageException")
    with pytest.raises(ClientError) as ei:
        kms.verify_mac(KeyId=symmetric, Message=b"m", Mac=b"\x00" * 32, MacAlgorithm="HMAC_SHA_256")
    assert_client_error(ei, "InvalidKeyUsageException")


def test_a_message_over_4096_bytes_is_a_validation_error(kms_nv):
    key_id = _hmac_key(kms_nv, "HMAC_256")
    assert kms_nv.generate_mac(KeyId=key_id, Message=b"a" * 4096, MacAlgorithm="HMAC_SHA_256")["Mac"]
    with pytest.raises(ClientError) as ei:
        kms_nv.generate_mac(KeyId=key_id, Message=b"a" * 4097, MacAlgorithm="HMAC_SHA_256")
    assert_client_error(ei, "ValidationException")
    with pytest.raises(ClientError) as ei:
        kms_nv.verify_mac(KeyId=key_id, Message=b"a" * 4097, Mac=b"\x00" * 32, MacAlgorithm="HMAC_SHA_256")
    assert_client_error(ei, "ValidationException")


def test_dry_run_checks_the_key_and_macs_nothing(kms):
    key_id = _hmac_key(kms, "HMAC_256")
    with pytest.raises(ClientError) as ei:
        kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256", DryRun=True)
    assert_client_error(ei, "DryRunOperationException")
    with pytest.raises(ClientError) as ei:
        kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_512", DryRun=True)
    assert_client_error(ei, "InvalidKeyUsageException")


def test_an_hmac_key_does_not_rotate(kms):
    key_id = _hmac_key(kms, "HMAC_512")
    for call in (lambda: kms.enable_key_rotation(KeyId=key_id),
                 lambda: kms.rotate_key_on_demand(KeyId=key_id)):
        with pytest.raises(ClientError) as ei:
            call()
        assert_client_error(ei, "UnsupportedOperationException")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_a_disabled_hmac_key_is_refused(kms):
    key_id = _hmac_key(kms, "HMAC_224")
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as ei:
        kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_224")
    assert_client_error(ei, "DisabledException")


@pytest.mark.parametrize("spec,usage", [
    ("HMAC_256", "ENCRYPT_DECRYPT"), ("HMAC_512", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "GENERATE_VERIFY_MAC"),
    ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
])
def test_an_invalid_spec_and_usage_pair_is_a_validation_error(kms, spec, usage):
    before = len(kms.list_keys(Limit=1000)["Keys"])
    with pytest.raises(ClientError) as ei:
        kms.create_key(KeySpec=spec, KeyUsage=usage)
    assert_client_error(ei, "ValidationException")
    assert len(kms.list_keys(Limit=1000)["Keys"]) == before


def test_an_hmac_key_without_its_usage_is_a_validation_error(kms):
    with pytest.raises(ClientError) as ei:
        kms.create_key(KeySpec="HMAC_256")
    assert_client_error(ei, "ValidationException")


@pytest.mark.parametrize("spec,usage", [
    ("ML_DSA_44", "SIGN_VERIFY"), ("ML_DSA_87", "SIGN_VERIFY"), ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
])
def test_specs_sealbox_cannot_make_yet_are_unsupported(kms, spec, usage):
    args = {"KeySpec": spec} | ({"KeyUsage": usage} if usage else {})
    with pytest.raises(ClientError) as ei:
        kms.create_key(**args)
    assert_client_error(ei, "UnsupportedOperationException")


def _cli(daemon, *args: str, input: bytes = b""):
    import subprocess

    import harness

    argv = [str(harness.daemon_binary().with_name("sealbox")), *args, "--socket", str(daemon.socket_path)]
    return subprocess.run(argv, input=input, capture_output=True, env=harness.clean_env(), timeout=60)


def test_cli_key_create_makes_an_hmac_key(daemon, kms):
    import json

    p = _cli(daemon, "key", "create", "--key-spec", "HMAC_256", "--output", "json")
    assert p.returncode == 0, p.stderr
    md = json.loads(p.stdout)
    assert md["KeySpec"] == "HMAC_256" and md["KeyUsage"] == "GENERATE_VERIFY_MAC"
    assert kms.generate_mac(KeyId=md["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    p = _cli(daemon, "key", "create", "--key-spec", "HMAC_256", "--key-usage", "ENCRYPT_DECRYPT")
    assert p.returncode != 0 and b"ValidationException" in p.stderr, p.stderr


def test_secure_strings_and_env_tokens_refuse_an_hmac_key(daemon, kms, ssm):
    key_id = _hmac_key(kms, "HMAC_256")
    name = f"/hmac/{uuid.uuid4().hex}"
    with pytest.raises(ClientError) as ei:
        ssm.put_parameter(Name=name, Value="v", Type="SecureString", KeyId=key_id)
    assert "InvalidKeyUsageException" in assert_client_error(ei, "InvalidKeyId")
    p = _cli(daemon, "env", "encrypt", "APP_TOKEN", "--key-id", key_id, input=b"value")
    assert p.returncode != 0 and b"InvalidKeyUsageException" in p.stderr, p.stderr
