"""The AWS CLI against the session daemon, with the shared-credentials file the
daemon writes on first start (profile `sealbox`)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

from harness import clean_env, key_arn


def _aws_argv() -> list[str]:
    exe = shutil.which("aws")
    if exe:
        return [exe]
    try:
        import awscli  # noqa: F401
    except ImportError:
        pytest.fail("the AWS CLI is not installed (`pip install awscli`, or put `aws` on PATH)", pytrace=False)
    return [sys.executable, "-m", "awscli"]


@pytest.fixture(scope="module")
def aws(daemon, tmp_path_factory):
    base = _aws_argv()
    home = tmp_path_factory.mktemp("awscli-home")
    env = clean_env()
    env.update({
        "AWS_SHARED_CREDENTIALS_FILE": str(daemon.credentials_file),
        "AWS_CONFIG_FILE": str(home / "config-does-not-exist"),
        "AWS_PAGER": "",
        "HOME": str(home),
    })

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = base + ["--profile", "sealbox", "--region", "us-east-1",
                       "--endpoint-url", daemon.endpoint] + list(args)
        p = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        if check:
            assert p.returncode == 0, f"{' '.join(args)} -> {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"
        return p

    return run


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
