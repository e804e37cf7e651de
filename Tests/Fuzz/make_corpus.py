"""Writes the seed corpus of every fuzz target into Tests/Fuzz/Corpus/<target>/.

Seeds are real inputs: ciphertexts, tokens and signed requests made by an ephemeral sealboxd that
holds the fuzz stack's own fixtures, so the fuzzer starts from inputs that pass and mutates from
there. Run it again after a change of input format:

    python3 Tests/Fuzz/make_corpus.py --fuzz .build/debug/sealbox-fuzz --sealboxd .build/debug/sealboxd
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Conformance"))
import harness  # noqa: E402

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
FERNET_RAW = bytes(range(100, 132))
SIGV4_WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
GRANTEE = "arn:aws:iam::123456789012:role/fuzz"
SECRET_TOKEN = "00000000-0000-4000-8000-000000000002"
FUZZ_SECRET_VERSION = "00000000-0000-4000-8000-000000000001"
ROTATION_HANDLER = "arn:aws:lambda:us-east-1:123456789012:function:fuzz"


def write(target: str, seeds: list[bytes]) -> None:
    folder = HERE / "Corpus" / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for index, seed in enumerate(seeds):
        (folder / f"seed-{index:03d}").write_bytes(seed)
    print(f"{target}: {len(seeds)} seeds")


def post(daemon: harness.Daemon, path: str, body: dict, headers: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=5)
    connection.request("POST", path, json.dumps(body), headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    assert response.status == 200, (path, headers, response.status, payload)
    return json.loads(payload)


def call(daemon: harness.Daemon, target: str, body: dict) -> dict:
    return post(daemon, "/", body, {"X-Amz-Target": target, "Content-Type": harness.JSON_CT})


def native(daemon: harness.Daemon, path: str, body: dict) -> dict:
    return post(daemon, path, body, {"Content-Type": "application/json"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", default=".build/debug/sealbox-fuzz")
    parser.add_argument("--sealboxd", default=".build/debug/sealboxd")
    arguments = parser.parse_args()
    info = json.loads(subprocess.run([arguments.fuzz, "--seed-info"], check=True, capture_output=True).stdout)
    operations: list[str] = info["operations"]

    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "data").mkdir()
        fixtures = Path(scratch) / "fixtures.yaml"
        fixtures.write_text(info["fixtures"])
        daemon = harness.Daemon(Path(scratch) / "data", Path(scratch) / "logs", ephemeral=True,
                                binary=Path(arguments.sealboxd).resolve(), extra_args=["--fixtures", str(fixtures)])
        daemon.start()
        try:
            blob = call(daemon, "TrentService.Encrypt", {"KeyId": "alias/fuzz", "Plaintext": base64.b64encode(b"seed").decode()})["CiphertextBlob"]
            blob_ctx = call(daemon, "TrentService.Encrypt", {"KeyId": "alias/fuzz", "Plaintext": "c2VlZA==",
                                                            "EncryptionContext": {"app": "fuzz"}})["CiphertextBlob"]
            data_key = call(daemon, "TrentService.GenerateDataKey", {"KeyId": KEY_ID, "KeySpec": "AES_256"})
            env_token = native(daemon, "/v1/env/encrypt", {"name": "FUZZ", "value": "seed", "keyId": "alias/fuzz"})["token"]
            grant = call(daemon, "TrentService.CreateGrant", {"KeyId": KEY_ID, "GranteePrincipal": GRANTEE,
                                                             "Operations": ["Decrypt"]})
            signature = call(daemon, "TrentService.Sign", {"KeyId": "alias/fuzz-sign", "Message": "c2VlZA==",
                                                          "SigningAlgorithm": "ECDSA_SHA_256"})["Signature"]
            rsa_blob = call(daemon, "TrentService.Encrypt", {"KeyId": "alias/fuzz-rsa", "Plaintext": "c2VlZA==",
                                                            "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})["CiphertextBlob"]
            ecdh_public = call(daemon, "TrentService.GetPublicKey", {"KeyId": "alias/fuzz-ecdh"})["PublicKey"]
        finally:
            daemon.terminate()

    ciphertext = base64.b64decode(blob)
    write("envelope", [
        b"\x00" + ciphertext,
        b"\x00" + ciphertext[:40],
        b"\x01" + base64.b64decode(data_key["CiphertextBlob"]),
        b"\x02" + b"a secret value",
        b"\x02",
        b"\x03" + env_token[len("sealbox:v1:"):].encode(),
        b"\x03" + b"AAAA",
    ])

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    def der(key, traditional: bool = False) -> bytes:
        return key.private_bytes(serialization.Encoding.DER,
                                 serialization.PrivateFormat.TraditionalOpenSSL if traditional
                                 else serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def spki(key) -> bytes:
        return key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256, k1 = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256K1())
    write("keys", [
        b"\x00" + der(rsa_key),
        b"\x00" + der(p256),
        b"\x00" + der(k1, traditional=True),
        b"\x01" + base64.b64decode(ecdh_public),
        b"\x01" + spki(rsa_key),
        b"\x01" + spki(ec.generate_private_key(ec.SECP384R1())),
        b"\x02" + p256.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()),
        # An opened import token: format 1, RSA_AES_KEY_WRAP_SHA_256 (4), expiry, the wrapping key.
        b"\x03" + bytes([1, 4]) + (1_800_000_000).to_bytes(8, "big") + der(rsa_key),
    ])

    from cryptography.fernet import Fernet
    fernet = Fernet(base64.urlsafe_b64encode(FERNET_RAW))
    token = fernet._encrypt_from_parts(b"a secret value", 1_800_000_000, bytes(16))
    raw = base64.urlsafe_b64decode(token)
    write("fernet", [
        b"\x00" + token,
        b"\x00" + token[:20],
        b"\x01" + raw[1:-32],
        b"\x01" + raw[1:9] + bytes(16) + bytes(range(16)),
        b"\x02" + b"a secret value",
    ])

    def op(name: str) -> bytes:
        return bytes([operations.index(name)])

    bodies = {
        "KMS.Decrypt": {"CiphertextBlob": blob},
        "KMS.Decrypt.rsa": {"CiphertextBlob": rsa_blob, "KeyId": "alias/fuzz-rsa",
                            "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"},
        "KMS.Encrypt": {"KeyId": "alias/fuzz", "Plaintext": "c2VlZA==", "EncryptionContext": {"a": "b"}},
        "KMS.ReEncrypt": {"CiphertextBlob": blob_ctx, "SourceEncryptionContext": {"app": "fuzz"},
                          "DestinationKeyId": KEY_ID},
        "KMS.GenerateDataKey": {"KeyId": KEY_ID, "NumberOfBytes": 32},
        "KMS.GenerateDataKeyWithoutPlaintext": {"KeyId": "alias/fuzz", "KeySpec": "AES_128"},
        "KMS.GenerateRandom": {"NumberOfBytes": 16},
        "KMS.CreateKey": {"Description": "d", "Tags": [{"TagKey": "k", "TagValue": "v"}]},
        "KMS.CreateAlias": {"AliasName": "alias/other", "TargetKeyId": KEY_ID},
        "KMS.DescribeKey": {"KeyId": "alias/fuzz"},
        "KMS.ListKeys": {"Limit": 1},
        "KMS.ListAliases": {"KeyId": KEY_ID, "Limit": 5, "Marker": "x"},
        "KMS.ScheduleKeyDeletion": {"KeyId": KEY_ID, "PendingWindowInDays": 7},
        "KMS.RotateKeyOnDemand": {"KeyId": KEY_ID},
        "KMS.TagResource": {"KeyId": KEY_ID, "Tags": [{"TagKey": "a", "TagValue": "b"}]},
        "KMS.PutKeyPolicy": {"KeyId": KEY_ID, "PolicyName": "default", "Policy": "{}"},
        "KMS.CreateGrant": {"KeyId": KEY_ID, "GranteePrincipal": GRANTEE, "RetiringPrincipal": GRANTEE,
                            "Operations": ["Encrypt", "Decrypt", "CreateGrant"], "Name": "fuzz",
                            "Constraints": {"EncryptionContextSubset": {"app": "fuzz"}},
                            "GrantTokens": [grant["GrantToken"]]},
        "KMS.ListGrants": {"KeyId": KEY_ID, "GranteePrincipal": GRANTEE, "Limit": 1},
        "KMS.ListRetirableGrants": {"RetiringPrincipal": GRANTEE, "Limit": 1},
        "KMS.RetireGrant": {"GrantToken": grant["GrantToken"]},
        "KMS.RevokeGrant": {"KeyId": KEY_ID, "GrantId": grant["GrantId"], "DryRun": True},
        "KMS.Sign": {"KeyId": "alias/fuzz-sign", "Message": "c2VlZA==", "SigningAlgorithm": "ECDSA_SHA_256"},
        "KMS.Verify": {"KeyId": "alias/fuzz-sign", "Message": "c2VlZA==", "Signature": signature,
                       "SigningAlgorithm": "ECDSA_SHA_256"},
        "KMS.GetPublicKey": {"KeyId": "alias/fuzz-rsa"},
        "KMS.DeriveSharedSecret": {"KeyId": "alias/fuzz-ecdh", "KeyAgreementAlgorithm": "ECDH",
                                   "PublicKey": ecdh_public},
        "KMS.GenerateDataKeyPair": {"KeyId": "alias/fuzz", "KeyPairSpec": "ECC_NIST_P256"},
        "KMS.ImportKeyMaterial": {"KeyId": KEY_ID, "ImportToken": blob, "EncryptedKeyMaterial": rsa_blob,
                                  "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"},
        "KMS.DeleteImportedKeyMaterial": {"KeyId": KEY_ID},
        "KMS.GenerateDataKeyPairWithoutPlaintext": {"KeyId": KEY_ID, "KeyPairSpec": "ECC_NIST_EDWARDS25519",
                                                    "EncryptionContext": {"a": "b"}},
        "SSM.GetParameter": {"Name": "/fuzz/secret", "WithDecryption": True},
        "SSM.GetParameters": {"Names": ["/fuzz/plain:live", "/fuzz/list:1", "/nope"], "WithDecryption": True},
        "SSM.GetParametersByPath": {"Path": "/fuzz", "Recursive": True, "WithDecryption": True,
                                    "MaxResults": 1, "ParameterFilters": [{"Key": "Type", "Values": ["String"]}]},
        "SSM.PutParameter": {"Name": "/fuzz/new", "Value": "v", "Type": "SecureString", "KeyId": "alias/fuzz",
                             "Overwrite": True, "AllowedPattern": "^v$", "Tier": "Standard"},
        "SSM.DescribeParameters": {"ParameterFilters": [{"Key": "Name", "Option": "BeginsWith",
                                                         "Values": ["/fuzz"]}], "MaxResults": 2},
        "SSM.GetParameterHistory": {"Name": "/fuzz/plain", "WithDecryption": True, "MaxResults": 1},
        "SSM.LabelParameterVersion": {"Name": "/fuzz/plain", "ParameterVersion": 1, "Labels": ["l2"]},
        "SSM.DeleteParameters": {"Names": ["/fuzz/list", "/missing"]},
        "SSM.AddTagsToResource": {"ResourceType": "Parameter", "ResourceId": "/fuzz/plain",
                                  "Tags": [{"Key": "k", "Value": "v"}]},
        "SecretsManager.CreateSecret": {"Name": "fuzz/new", "SecretString": "v", "ClientRequestToken": SECRET_TOKEN,
                                        "Tags": [{"Key": "k", "Value": "v"}],
                                        "AddReplicaRegions": [{"Region": "eu-west-1"}]},
        "SecretsManager.GetSecretValue": {"SecretId": "fuzz/secret", "VersionStage": "AWSCURRENT"},
        "SecretsManager.BatchGetSecretValue": {"SecretIdList": ["fuzz/secret", "nope"]},
        "SecretsManager.PutSecretValue": {"SecretId": "fuzz/secret", "SecretBinary": "c2VlZA==",
                                          "VersionStages": ["AWSPENDING"]},
        "SecretsManager.UpdateSecret": {"SecretId": "fuzz/secret", "Description": "d", "SecretString": "w"},
        "SecretsManager.UpdateSecretVersionStage": {"SecretId": "fuzz/secret", "VersionStage": "CUSTOM",
                                                    "MoveToVersionId": FUZZ_SECRET_VERSION},
        "SecretsManager.ListSecrets": {"Filters": [{"Key": "name", "Values": ["fuzz", "!x"]}], "MaxResults": 1,
                                       "SortOrder": "desc"},
        "SecretsManager.ListSecretVersionIds": {"SecretId": "fuzz/secret", "IncludeDeprecated": True},
        "SecretsManager.DeleteSecret": {"SecretId": "fuzz/secret", "RecoveryWindowInDays": 7},
        "SecretsManager.GetRandomPassword": {"PasswordLength": 12, "ExcludeCharacters": "abc",
                                             "RequireEachIncludedType": True},
        "SecretsManager.RotateSecret": {"SecretId": "fuzz/secret", "RotationLambdaARN": ROTATION_HANDLER,
                                        "RotationRules": {"ScheduleExpression": "cron(0 16 1,15 * ? *)",
                                                          "Duration": "2h"}},
        "SecretsManager.PutResourcePolicy": {"SecretId": "fuzz/secret", "BlockPublicPolicy": True, "ResourcePolicy":
                                             json.dumps({"Version": "2012-10-17", "Statement": [{
                                                 "Effect": "Allow", "Principal": {"AWS": "111122223333"},
                                                 "Action": "secretsmanager:Get*", "Resource": "*"}]})},
        "SecretsManager.ReplicateSecretToRegions": {"SecretId": "fuzz/secret",
                                                    "AddReplicaRegions": [{"Region": "eu-west-1",
                                                                           "KmsKeyId": "alias/fuzz"}]},
    }
    seeds = [op(name.removesuffix(".rsa")) + json.dumps(body).encode() for name, body in bodies.items()]
    seeds += [bytes([index]) + b"{}" for index in range(len(operations))]
    write("aws-json", seeds)

    def http_request(method: str, path: str, headers: dict, body: bytes = b"", split: int = 0) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost"] + [f"{k}: {v}" for k, v in headers.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        return bytes([split]) + ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    decrypt = json.dumps({"CiphertextBlob": blob}).encode()
    aws = {"X-Amz-Target": "TrentService.Decrypt", "Content-Type": harness.JSON_CT}
    token = {"X-Aws-Parameters-Secrets-Token": "fuzz-extension-token"}
    write("http", [
        http_request("GET", "/health", {}),
        http_request("POST", "/", aws, decrypt, split=10),
        http_request("POST", "/", {"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": harness.JSON_CT},
                     b'{"Name": "/fuzz/secret", "WithDecryption": true}'),
        http_request("GET", "/systemsmanager/parameters/get?name=%2Ffuzz%2Fsecret&withDecryption=true", token),
        http_request("GET", "/secretsmanager/get?secretId=fuzz%2Fsecret&versionStage=AWSCURRENT", token),
        http_request("GET", "/v1/fuzz/secret?versionStage=AWSCURRENT&refreshNow=true", token),
        http_request("GET", "/v1/fuzz%2Fsecret?versionId=" + FUZZ_SECRET_VERSION, {"X-Vault-Token": "x"}),
        http_request("GET", "/ping", {}),
        http_request("POST", "/", {"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": harness.JSON_CT},
                     b'{"SecretId": "fuzz/secret"}'),
        http_request("GET", "/kms/decrypt?ciphertext=" + blob.replace("+", "%2B").replace("/", "%2F"), token),
        http_request("POST", "/v1/leases", {"Content-Type": "application/json"},
                     b'{"name": "/fuzz/secret", "ttlSeconds": 60}'),
        http_request("POST", "/v1/leases/00000000000000000000000000000000/redeem", {}),
        http_request("GET", "/v1/status", {}),
        http_request("GET", "/metrics", {}),
        bytes([5]) + b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Amz-Target: "
        b"TrentService.ListKeys\r\n\r\n2\r\n{}\r\n0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes([0]) + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/test/calls HTTP/1.1\r\nHost: x\r\n\r\n",
    ])

    write("fixtures", [
        info["fixtures"].encode(),
        json.dumps({"keys": [{"aliases": ["alias/j"], "description": "json"}],
                    "parameters": [{"name": "/j/p", "value": "v", "labels": ["l"]}],
                    "accessKeys": [{"id": "AKIAFUZZ", "secret": "s", "principal": "p"}]}).encode(),
    ])

    write("policy", [
        b"server:\n  maxConnections: 64\n  maxBodyBytes: 65536\n  requestTimeoutSeconds: 5\n"
        b"leases:\n  defaultTtlSeconds: 300\n  maxActive: 100\nlogging:\n  level: info\n"
        b"policy:\n  rules:\n    - principals: [\"uid:0\"]\n      allow: [\"kms:*\", \"ssm:GetParameter\"]\n"
        b"      resources: [\"*\"]\n"
        b"aws:\n  principals:\n    \"arn:aws:iam::123456789012:role/app\": [\"uid:1000\", \"access-key:app\"]\n",
        json.dumps({"policy": {"rules": [{"principals": ["any"], "allow": ["kms:Decrypt"],
                                          "resources": ["alias/x", "/a/*"]}]},
                    "accessKeys": [{"id": "AKIA1", "secretFile": "/nonexistent", "principal": "p"}]}).encode(),
    ])

    def signed(target: str, body: bytes) -> bytes:
        headers = harness.sigv4_headers("AKIDFUZZ", "fuzz-secret-key", "localhost", target, body,
                                        service="kms", when=SIGV4_WHEN)
        head = "POST /\n" + "".join(f"{k}: {v}\n" for k, v in headers.items())
        return head.encode() + b"\n" + body

    write("sigv4", [
        signed("TrentService.Decrypt", decrypt),
        signed("TrentService.ListKeys", b"{}"),
        b"POST /a%20b/../c?x=1&y=%2F\nHost: localhost\nX-Amz-Date: 20260101T000000Z\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/kms/aws4_request, "
        b"SignedHeaders=host;x-amz-date, Signature=00\n\n{}",
    ])


if __name__ == "__main__":
    main()
