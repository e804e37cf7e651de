"""--ephemeral --require-auth: an ephemeral daemon that still verifies SigV4, against the access
keys listed in --config."""

from __future__ import annotations

import subprocess

import pytest
from botocore.exceptions import ClientError

import harness


def start(tmp_path, *extra):
    secret = tmp_path / "tests.secret"
    secret.write_text("s3cret-for-the-suite\n")
    secret.chmod(0o600)
    config = tmp_path / "sealbox.yaml"
    config.write_text(f"accessKeys:\n  - {{id: AKIATESTSUITE0000001, secretFile: {secret}, principal: tests}}\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", ephemeral=True, socket_path=tmp_path / "s.sock",
                            extra_args=["--require-auth", "--config", str(config), *extra])
    daemon.start()
    return daemon


def test_require_auth_verifies_signatures_on_an_ephemeral_daemon(tmp_path):
    daemon = start(tmp_path)
    try:
        good = daemon.client("AKIATESTSUITE0000001", "s3cret-for-the-suite")
        assert "Keys" in good.list_keys()
        for key, secret, code in (("AKIATESTSUITE0000001", "wrong", "InvalidSignatureException"),
                                  ("AKIAUNKNOWN000000000", "whatever", "UnrecognizedClientException")):
            with pytest.raises(ClientError) as failure:
                daemon.client(key, secret).list_keys()
            assert failure.value.response["Error"]["Code"] == code
        unsigned = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}")
        assert unsigned.status == 400
        assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    finally:
        daemon.terminate(timeout=10)


def test_require_auth_needs_ephemeral_and_a_config(tmp_path):
    result = subprocess.run([str(harness.daemon_binary()), "--data-dir", str(tmp_path / "d"), "--require-auth",
                             "--listen", "none"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--require-auth goes with --ephemeral" in result.stderr
