"""The AWS CLI against the session daemon, with the shared-credentials file the
daemon writes on first start (profile `sealbox`)."""

from __future__ import annotations

import base64
import json
import os

import pytest

from harness import key_arn


def test_cli_create_and_list_keys(aws):
    md = json.loads(aws("kms", "create-key", "--description", "from the aws cli", "--output", "json").stdout)
    kid = md["KeyMetadata"]["KeyId"]
    assert md["KeyMetadata"]["Arn"] == key_arn(kid)
    assert md["KeyMetadata"]["Description"] == "from the aws cli"
    listed = json.loads(aws("kms", "list-keys", "--output", "json").stdout)  # the CLI pages through everything
    assert kid in {k["KeyId"] for k in listed["Keys"]}


def test_cli_encrypt_decrypt_round_trip(aws, tmp_path):
    kid = json.loads(aws("kms", "create-key", "--output", "json").stdout)["KeyMetadata"]["KeyId"]
    plaintext = b"cli secret \x00\x01\xfe\xff " + os.urandom(16)
    ptf = tmp_path / "plain.bin"
    ptf.write_bytes(plaintext)
    ct_b64 = aws("kms", "encrypt", "--key-id", kid, "--plaintext", f"fileb://{ptf}",
                 "--encryption-context", "app=cli,stage=test",
                 "--output", "text", "--query", "CiphertextBlob").stdout.strip()
    ctf = tmp_path / "cipher.bin"
    ctf.write_bytes(base64.b64decode(ct_b64, validate=True))
    out = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{ctf}",
              "--encryption-context", "stage=test,app=cli",
              "--output", "text", "--query", "Plaintext").stdout.strip()
    assert base64.b64decode(out) == plaintext
    p = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{ctf}", "--encryption-context", "app=cli,stage=prod",
            check=False)
    assert p.returncode != 0
    assert b"InvalidCiphertextException" in p.stderr, p.stderr
