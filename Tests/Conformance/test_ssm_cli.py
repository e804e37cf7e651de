"""`aws ssm` against the session daemon, as a user would run it: the shared-credentials
file the daemon writes (profile `sealbox`), --endpoint-url, the secret read from a file."""

from __future__ import annotations

import json
import secrets

import pytest

from harness import parameter_arn


def test_cli_secure_string_from_a_file_and_get_by_path(aws, ssm, pbase, tmp_path):
    secret = "pw-" + secrets.token_urlsafe(24)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)  # no trailing newline: file:// passes the bytes as they are
    secret_file.chmod(0o600)

    out = json.loads(aws("ssm", "put-parameter", "--name", f"{pbase}/db/password", "--type", "SecureString",
                         "--value", f"file://{secret_file}", "--output", "json").stdout)
    assert out == {"Version": 1, "Tier": "Standard"}
    stored = ssm.get_parameter(Name=f"{pbase}/db/password")["Parameter"]
    assert stored["Type"] == "SecureString" and stored["Value"] != secret
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{pbase}/db/password"]}])[
        "Parameters"][0]["KeyId"] == "alias/aws/ssm"

    ssm.put_parameter(Name=f"{pbase}/db/host", Value="db.internal", Type="String")
    ssm.put_parameter(Name=f"{pbase}/app/flags", Value="a,b", Type="StringList")
    others = {f"{pbase}/app/many/p{i:02d}": f"v{i}" for i in range(7)}
    for n, v in others.items():
        ssm.put_parameter(Name=n, Value=v, Type="String")

    # --page-size 3: the CLI follows NextToken to the end
    listed = json.loads(aws("ssm", "get-parameters-by-path", "--path", pbase, "--with-decryption", "--recursive",
                            "--page-size", "3", "--output", "json").stdout)
    names = [p["Name"] for p in listed["Parameters"]]
    assert len(names) == len(set(names)), names
    got = {p["Name"]: p for p in listed["Parameters"]}
    assert set(got) == {f"{pbase}/db/password", f"{pbase}/db/host", f"{pbase}/app/flags"} | set(others)
    assert got[f"{pbase}/db/password"]["Value"] == secret
    assert got[f"{pbase}/db/password"]["Type"] == "SecureString"
    assert got[f"{pbase}/db/password"]["ARN"] == parameter_arn(f"{pbase}/db/password")
    assert got[f"{pbase}/db/host"]["Value"] == "db.internal"
    assert got[f"{pbase}/app/flags"]["Value"] == "a,b"
    assert {n: got[n]["Value"] for n in others} == others


def test_cli_put_existing_without_overwrite(aws, ssm, pbase):
    ssm.put_parameter(Name=f"{pbase}/x", Value="one", Type="String")
    p = aws("ssm", "put-parameter", "--name", f"{pbase}/x", "--type", "String", "--value", "two", check=False)
    assert p.returncode != 0
    assert b"ParameterAlreadyExists" in p.stderr, p.stderr
    assert ssm.get_parameter(Name=f"{pbase}/x")["Parameter"]["Value"] == "one"
