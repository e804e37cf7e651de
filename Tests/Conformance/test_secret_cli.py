"""`sealbox secret create|get|put|list|describe|rotate|delete|restore`, the real CLI binary against the
real daemon: values from stdin only, tables by default and `--output json`, help that teaches, and
RotateSecret's request shape checked against a recording stand-in for the daemon."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid

import botocore.session
import pytest

import harness
from test_cli import S, cli_ok, describe, failed, ok, run_cli, sd, usage_error  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def sm(sd):
    return sd.client(service="secretsmanager")


def unique() -> str:
    return f"cli/{uuid.uuid4().hex[:12]}"


def test_create_get_put_describe_list_as_tables_and_json(S, sm):
    name = unique()
    value = '{"user":"app","password":"p4ss"}'
    out = ok(run_cli("secret", "create", name, "--description", "db login", "--tag", "team=pay", socket_path=S,
                     input=value + "\n")).stdout
    assert out.startswith(f"created {name}: version ") and "(AWSCURRENT)" in out, out
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretString"] == value  # one trailing newline dropped, as `param put` drops it
    assert value not in " ".join(run_cli("secret", "create", unique(), socket_path=S, input=value).args)

    table = ok(run_cli("secret", "get", name, socket_path=S)).stdout
    assert f"Name:" in table and name in table and value in table and "AWSCURRENT" in table, table
    assert ok(run_cli("secret", "get", name, "--value-only", socket_path=S)).stdout == value
    as_json = json.loads(ok(run_cli("secret", "get", name, "-o", "json", socket_path=S)).stdout)
    assert (as_json["SecretString"], as_json["VersionId"]) == (value, got["VersionId"])

    put = ok(run_cli("secret", "put", name, "-o", "json", socket_path=S, input="second")).stdout
    second = json.loads(put)
    assert second["VersionStages"] == ["AWSCURRENT"]
    assert ok(run_cli("secret", "get", name, "--version-stage", "AWSPREVIOUS", "--value-only",
                      socket_path=S)).stdout == value
    pending = ok(run_cli("secret", "put", name, "--stage", "AWSPENDING", socket_path=S, input="third")).stdout
    assert "(AWSPENDING)" in pending, pending
    assert ok(run_cli("secret", "get", name, "--value-only", socket_path=S)).stdout == "second"

    described = ok(run_cli("secret", "describe", name, socket_path=S)).stdout
    for part in ("db login", "team=pay", "alias/aws/secretsmanager", "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"):
        assert part in described, described
    assert "second" not in described and value not in described
    assert json.loads(ok(run_cli("secret", "describe", name, "-o", "json", socket_path=S)).stdout)["Name"] == name

    listed = ok(run_cli("secret", "list", "--prefix", name, socket_path=S)).stdout.splitlines()
    assert listed[0].split()[:2] == ["NAME", "DESCRIPTION"] and listed[1].startswith(name), listed
    assert [s["Name"] for s in json.loads(ok(run_cli("secret", "list", "--prefix", name, "-o", "json",
                                                     socket_path=S)).stdout)] == [name]


def test_binary_values_go_in_and_come_out_as_bytes(S, sm):
    name = unique()
    blob = bytes(range(256)) + b"\n"
    ok(run_cli("secret", "create", name, "--binary", socket_path=S, input=blob))
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == blob  # every byte, the newline too
    argv = run_cli("secret", "get", name, "--value-only", socket_path=S).args
    raw = subprocess.run(argv, capture_output=True, env=harness.clean_env(), timeout=60)
    assert raw.returncode == 0 and raw.stdout == blob
    assert "SecretBinary, 257 bytes" in ok(run_cli("secret", "get", name, socket_path=S)).stdout


def test_delete_restore_and_force(S, sm):
    name = unique()
    ok(run_cli("secret", "create", name, socket_path=S, input="v"))
    out = ok(run_cli("secret", "delete", name, "--recovery-days", "7", socket_path=S)).stdout
    assert "will be deleted on" in out and f"sealbox secret restore {name}" in out, out
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    assert name not in ok(run_cli("secret", "list", "--prefix", name, socket_path=S)).stdout
    assert "scheduled" in ok(run_cli("secret", "list", "--prefix", name, "--include-deleted", socket_path=S)).stdout
    failed(run_cli("secret", "get", name, socket_path=S), "marked for deletion")
    assert ok(run_cli("secret", "restore", name, socket_path=S)).stdout.strip() == f"restored {name}"
    assert ok(run_cli("secret", "get", name, "--value-only", socket_path=S)).stdout == "v"
    deleted = json.loads(ok(run_cli("secret", "delete", name, "--force", "-o", "json", socket_path=S)).stdout)
    assert deleted["Name"] == name
    failed(run_cli("secret", "describe", name, socket_path=S), "can't find")


@pytest.mark.parametrize("args,needle", [
    (["delete", "x", "--force", "--recovery-days", "7"], "not both"),
    (["delete", "x", "--recovery-days", "3"], "7 to 30"),
    (["rotate", "x", "--every-days", "0"], "1 to 1000"),
    (["rotate", "x", "--every-days", "3", "--schedule", "rate(1 day)"], "not both"),
    (["create", "x", "--tag", "novalue"], "key=value"),
])
def test_bad_arguments_are_usage_errors(S, args, needle):
    usage_error(run_cli("secret", *args, socket_path=S), needle)


def test_help_teaches(S):
    top = " ".join(ok(run_cli("secret", "--help")).stdout.split())  # the help wraps at the terminal width
    assert "stdin only, never from the command line" in top and "AWSCURRENT" in top
    for verb in ("create", "get", "put", "list", "describe", "rotate", "delete", "restore"):
        assert verb in top
        assert "Example:" in ok(run_cli("secret", verb, "--help")).stdout, verb
    assert "with no way back" in " ".join(ok(run_cli("secret", "delete", "--help")).stdout.split())


class Recorder:
    """A stand-in daemon on a Unix socket: records one request and answers `answer` with 200."""

    def __init__(self, path, answer: dict):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.answer = json.dumps(answer).encode()
        self.requests: list[tuple[dict, bytes]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                while len(body) < int(headers.get("content-length", "0")):
                    body += conn.recv(65536)
                self.requests.append((headers, body))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: "
                             + str(len(self.answer)).encode() + b"\r\nConnection: close\r\n\r\n" + self.answer)

    def close(self):
        self.server.close()


def test_rotate_sends_botocores_rotate_secret_shape(tmp_path):
    path = tmp_path / "fake.sock"
    recorder = Recorder(path, {"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
                               "Name": "prod/db", "VersionId": "5eab0c5e-0000-4000-8000-0000000000d1"})
    try:
        out = ok(run_cli("secret", "rotate", "prod/db", "--lambda-arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:rotate", "--every-days", "30",
                         socket_path=path)).stdout
        assert out.strip() == "prod/db: rotating to version 5eab0c5e-0000-4000-8000-0000000000d1"
        ok(run_cli("secret", "rotate", "prod/db", "--schedule", "rate(4 hours)", "--window", "2h",
                   "--no-rotate-immediately", socket_path=path))
        ok(run_cli("secret", "rotate", "prod/db", socket_path=path))
    finally:
        recorder.close()
    targets = [h["x-amz-target"] for h, _ in recorder.requests]
    assert targets == ["secretsmanager.RotateSecret"] * 3
    bodies = [json.loads(b) for _, b in recorder.requests]
    assert bodies == [
        {"SecretId": "prod/db", "RotateImmediately": True,
         "RotationLambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
         "RotationRules": {"AutomaticallyAfterDays": 30}},
        {"SecretId": "prod/db", "RotateImmediately": False,
         "RotationRules": {"ScheduleExpression": "rate(4 hours)", "Duration": "2h"}},
        {"SecretId": "prod/db", "RotateImmediately": True},
    ]
    # Every member is one botocore's RotateSecret input has.
    shape = botocore.session.get_session().get_service_model("secretsmanager").operation_model(
        "RotateSecret").input_shape
    for body in bodies:
        assert set(body) <= set(shape.members)
        assert set(body.get("RotationRules", {})) <= set(shape.members["RotationRules"].members)


def test_rotate_runs_a_rotation_on_the_real_daemon(tmp_path):
    example = harness.REPO / "docs" / "examples" / "rotation" / "rotate_password.py"
    handler = tmp_path / "rotate"
    handler.write_text(f"#!/bin/sh\nexec {sys.executable} {example}\n")
    handler.chmod(0o755)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate-password"
    config = tmp_path / "sealbox.yaml"
    config.write_text(json.dumps({"rotation": {"handlers": {arn: str(handler)}}}))
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    daemon = harness.Daemon(data, tmp_path / "logs", extra_args=["--config", str(config)]).start()
    try:
        name = unique()
        ok(run_cli("secret", "create", name, socket_path=daemon.socket_path,
                   input='{"username": "app", "password": "old"}'))
        failed(run_cli("secret", "rotate", name, socket_path=daemon.socket_path),
               "No Lambda rotation function ARN is associated with this secret.")
        out = ok(run_cli("secret", "rotate", name, "--lambda-arn", arn, "--every-days", "30",
                         socket_path=daemon.socket_path)).stdout
        version = out.strip().rpartition(" ")[2]
        sm = daemon.client(service="secretsmanager")
        deadline = time.monotonic() + 20
        while sm.get_secret_value(SecretId=name)["VersionId"] != version:
            assert time.monotonic() < deadline, daemon.logs()
            time.sleep(0.05)
        rotated = json.loads(ok(run_cli("secret", "get", name, "--value-only", socket_path=daemon.socket_path)).stdout)
        assert rotated["username"] == "app" and rotated["password"] != "old"
        described = ok(run_cli("secret", "describe", name, "-o", "json", socket_path=daemon.socket_path)).stdout
        assert json.loads(described)["RotationRules"] == {"AutomaticallyAfterDays": 30}
    finally:
        daemon.terminate(timeout=10)
