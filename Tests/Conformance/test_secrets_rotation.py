"""Secrets Manager rotation through local handlers: RotateSecret runs the four steps of the
executable the config maps the RotationLambdaARN to, with Lambda's event on stdin; the handler calls
back over the socket as `rotation:<function>`. A failed, hung or garbage-writing step leaves
AWSCURRENT where it was, and every outcome is audited and logged without the value."""

from __future__ import annotations

import calendar
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness

refusal = harness.refusal

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "rotation" / "rotate_password.py"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
INITIAL = {"username": "app", "password": "initial-Password-1"}

# Each handler is a small script beside the example; they differ only in how a step ends.
HANDLERS = {
    "rotate-password": None,  # the example itself
    "fails-test": """
import json, runpy, sys
event = json.load(sys.stdin)
if event["Step"] == "testSecret":
    sys.exit(3)
sys.stdin = __import__("io").StringIO(json.dumps(event))
sys.argv = ["rotate_password.py"]
runpy.run_path({example!r}, run_name="__main__")
""",
    "hangs": """
import os, sys, time
sys.stdin.read()
os.system("sleep 300 # sealbox-rotation-hang-marker &")
time.sleep(300)
""",
    "ignores-its-event": """
import sys
sys.exit(0)
""",
    "garbage": """
import os, sys
sys.stdin.read()
sys.stdout.buffer.write(os.urandom(64) + b"not json")
""",
    "whoami": """
import json, sys
sys.path.insert(0, {example_dir!r})
import rotate_password as r
event = json.load(sys.stdin)
results = {{}}
for name, call in {{"describe": lambda: r.call("DescribeSecret", SecretId=event["SecretId"]),
                    "delete": lambda: r.call("DeleteSecret", SecretId=event["SecretId"]),
                    "create": lambda: r.call("CreateSecret", Name="made-by-a-handler", SecretString="x")}}.items():
    try:
        call()
        results[name] = "ok"
    except r.AWSError as error:
        results[name] = error.code
open({out!r}, "w").write(json.dumps(results))
sys.exit(1)
""",
}


@pytest.fixture(scope="module")
def rotating(tmp_path_factory):
    base = tmp_path_factory.mktemp("rotation")
    handlers = {}
    for name, body in HANDLERS.items():
        if body is None:
            handlers[ARN.format(name)] = str(EXAMPLE)
            continue
        path = base / f"{name}.py"
        path.write_text(f"#!{sys.executable}\n" + body.format(
            example=str(EXAMPLE), example_dir=str(EXAMPLE.parent), out=str(base / "whoami.json")))
        path.chmod(0o755)
        handlers[ARN.format(name)] = str(path)
    # The example runs under the interpreter the tests use.
    wrapper = base / "rotate-password"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {EXAMPLE}\n")
    wrapper.chmod(0o755)
    handlers[ARN.format("rotate-password")] = str(wrapper)
    config = base / "sealbox.yaml"
    config.write_text(json.dumps({"rotation": {"timeoutSeconds": 2, "handlers": handlers}}))
    data = base / "data"
    data.mkdir(mode=0o700)
    daemon = harness.Daemon(data, base / "logs", extra_args=["--config", str(config)]).start()
    daemon.base = base
    yield daemon
    daemon.terminate(timeout=10)


@pytest.fixture(scope="module")
def sm(rotating):
    return rotating.client(service="secretsmanager")


def new_secret(sm, name: str, value: dict = INITIAL) -> str:
    return sm.create_secret(Name=f"{name}-{time.monotonic_ns()}", SecretString=json.dumps(value))["Name"]


def audit_events(daemon, name: str) -> list[str]:
    records = [json.loads(line) for line in (daemon.data_dir / "audit.log").read_text().splitlines()]
    return [r["action"] + ":" + r["result"] for r in records
            if r.get("action", "").startswith("secretsmanager:Rotation") and r.get("resources") == [name]]


def wait_for_outcome(daemon, name: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = [e for e in audit_events(daemon, name) if not e.startswith("secretsmanager:RotationStarted")]
        if ended:
            return ended[-1]
        time.sleep(0.05)
    raise AssertionError(f"no rotation outcome for {name} within {timeout}s\n{daemon.logs()}")


def stages(sm, name: str) -> dict:
    return {v: sorted(labels) for v, labels in sm.describe_secret(SecretId=name)["VersionIdsToStages"].items()}


def test_a_rotation_through_the_example_handler_moves_awscurrent(rotating, sm):
    name = new_secret(sm, "db")
    before = sm.get_secret_value(SecretId=name)
    started = time.time()
    rotated = sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("rotate-password"),
                               RotationRules={"AutomaticallyAfterDays": 30})
    assert rotated["Name"] == name and rotated["VersionId"] != before["VersionId"]
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationSucceeded:allowed"
    after = sm.get_secret_value(SecretId=name)
    value = json.loads(after["SecretString"])
    assert after["VersionId"] == rotated["VersionId"]
    assert value["username"] == "app" and len(value["password"]) == 32 and value["password"] != INITIAL["password"]
    assert stages(sm, name) == {before["VersionId"]: ["AWSPREVIOUS"],
                                rotated["VersionId"]: ["AWSCURRENT", "AWSPENDING"]}
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert json.loads(previous["SecretString"]) == INITIAL
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == ARN.format("rotate-password")
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 30}
    last = described["LastRotatedDate"].timestamp()
    assert started - 1 <= last <= time.time() + 1
    # The window opens at midnight UTC, 30 days after the day of the last rotation.
    midnight = (last // 86400 + 30) * 86400
    assert described["NextRotationDate"].timestamp() == midnight
    # Neither the log nor the audit log carries either value.
    for text in ((rotating.data_dir / "audit.log").read_text(), rotating.stderr_path.read_text()):
        assert value["password"] not in text and INITIAL["password"] not in text
    assert "secret rotation" in rotating.stderr_path.read_text()


def test_the_aws_cli_rotates_on_a_schedule_expression(rotating, sm):
    name = new_secret(sm, "cli")
    ak, sk = rotating.credentials()
    out = harness.aws_cli(rotating.endpoint, ak, sk, "secretsmanager", "rotate-secret", "--secret-id", name,
                          "--rotation-lambda-arn", ARN.format("rotate-password"),
                          "--rotation-rules", '{"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}')
    assert out.returncode == 0, out.stderr
    version = json.loads(out.stdout)["VersionId"]
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationSucceeded:allowed"
    got = harness.aws_cli(rotating.endpoint, ak, sk, "secretsmanager", "get-secret-value", "--secret-id", name)
    assert got.returncode == 0, got.stderr
    got = json.loads(got.stdout)
    assert got["VersionId"] == version and json.loads(got["SecretString"])["password"] != INITIAL["password"]
    described = sm.describe_secret(SecretId=name)
    assert described["RotationRules"] == {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}
    # The next 16:00 UTC on the 1st or the 15th after now.
    moment = datetime.datetime.now(datetime.timezone.utc)
    expected = None
    while expected is None:
        moment += datetime.timedelta(hours=1)
        if moment.day in (1, 15) and moment.hour == 16:
            expected = calendar.timegm(moment.replace(minute=0, second=0, microsecond=0).timetuple())
    assert described["NextRotationDate"].timestamp() == expected


def test_a_failing_test_step_leaves_awscurrent_and_a_retry_finishes_it(rotating, sm):
    name = new_secret(sm, "fails")
    before = sm.get_secret_value(SecretId=name)
    rotated = sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("fails-test"))
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationFailed:failed:RotationFailed"
    current = sm.get_secret_value(SecretId=name)
    assert (current["VersionId"], json.loads(current["SecretString"])) == (before["VersionId"], INITIAL)
    # createSecret ran: the pending version holds its value, and keeps AWSPENDING.
    assert stages(sm, name) == {before["VersionId"]: ["AWSCURRENT"], rotated["VersionId"]: ["AWSPENDING"]}
    pending = sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")
    assert pending["VersionId"] == rotated["VersionId"]
    assert "rotation failed" in rotating.stderr_path.read_text()
    assert "step testSecret" in rotating.stderr_path.read_text()
    # A later RotateSecret takes up the unfinished version rather than making another.
    again = sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("rotate-password"))
    assert again["VersionId"] == rotated["VersionId"]
    deadline = time.monotonic() + 20
    while "secretsmanager:RotationSucceeded:allowed" not in audit_events(rotating, name):
        assert time.monotonic() < deadline, rotating.logs()
        time.sleep(0.05)
    assert sm.get_secret_value(SecretId=name)["VersionId"] == rotated["VersionId"]


def test_a_hung_handler_is_killed_at_the_time_limit(rotating, sm):
    name = new_secret(sm, "hangs")
    before = sm.get_secret_value(SecretId=name)
    started = time.monotonic()
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("hangs"))
    # While it runs, a second rotation is refused.
    code, message = refusal(lambda: sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("hangs")))
    assert (code, message) == ("InvalidRequestException",
                               "A previous rotation isn't complete. That rotation will be reattempted.")
    assert wait_for_outcome(rotating, name, timeout=10) == "secretsmanager:RotationFailed:failed:RotationFailed"
    assert time.monotonic() - started < 6
    assert "timed out after 2 s" in rotating.stderr_path.read_text()
    # The handler's whole process group went with it.
    left = subprocess.run(["pgrep", "-f", "sealbox-rotation-hang-marker"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
    assert sm.get_secret_value(SecretId=name)["VersionId"] == before["VersionId"]
    # createSecret never finished: the pending version has no value to read.
    assert harness.error_code(lambda: sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")) \
        == "ResourceNotFoundException"


def test_a_handler_that_writes_garbage_fails_the_step(rotating, sm):
    name = new_secret(sm, "garbage")
    before = sm.get_secret_value(SecretId=name)
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("garbage"))
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationFailed:failed:RotationFailed"
    assert "wrote something other than JSON on stdout" in rotating.stderr_path.read_text()
    assert sm.get_secret_value(SecretId=name)["VersionId"] == before["VersionId"]


def test_a_handler_that_never_reads_its_event_fails_the_rotation_not_the_daemon(rotating, sm):
    name = new_secret(sm, "ignores")
    before = sm.get_secret_value(SecretId=name)["VersionId"]
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("ignores-its-event"))
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationFailed:failed:RotationFailed"
    assert "did not move AWSCURRENT" in rotating.stderr_path.read_text()
    assert rotating.running() and sm.get_secret_value(SecretId=name)["VersionId"] == before


def test_a_handler_acts_as_its_own_principal(rotating, sm):
    # The handler runs as the daemon's own uid, which may do anything; on the socket it is
    # rotation:whoami, which may take the rotation steps and nothing else.
    name = new_secret(sm, "whoami")
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("whoami"))
    wait_for_outcome(rotating, name)
    results = json.loads((rotating.base / "whoami.json").read_text())
    assert results == {"describe": "ok", "delete": "AccessDeniedException", "create": "AccessDeniedException"}
    assert sm.describe_secret(SecretId=name).get("DeletedDate") is None


def test_bad_rotation_requests_get_awss_errors_and_change_nothing(sm):
    name = new_secret(sm, "bad")
    assert refusal(lambda: sm.rotate_secret(SecretId=name)) == (
        "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
    code, message = refusal(lambda: sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("unmapped")))
    assert code == "AccessDeniedException" and "rotation.handlers" in message
    for rules in ({"ScheduleExpression": "rate(2 hours)"}, {"ScheduleExpression": "every day"},
                  {"ScheduleExpression": "cron(0 16 * * * *)"}, {"ScheduleExpression": "cron(0 25 ? * MON *)"},
                  {"AutomaticallyAfterDays": 2, "ScheduleExpression": "rate(2 days)"},
                  {"ScheduleExpression": "rate(1 day)", "Duration": "30h"}):
        code, _ = refusal(lambda: sm.rotate_secret(
            SecretId=name, RotationLambdaARN=ARN.format("rotate-password"), RotationRules=rules))
        assert code == "InvalidParameterException", rules
    assert refusal(lambda: sm.cancel_rotate_secret(SecretId=name))[0] == "InvalidRequestException"
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False and "RotationLambdaARN" not in described
    assert list(described["VersionIdsToStages"].values()) == [["AWSCURRENT"]]


def test_rotate_later_and_cancel(sm):
    name = new_secret(sm, "later")
    before = stages(sm, name)
    answer = sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("rotate-password"),
                              RotationRules={"ScheduleExpression": "rate(10 days)"}, RotateImmediately=False)
    assert "VersionId" not in answer and stages(sm, name) == before
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True and "LastRotatedDate" not in described
    assert described["NextRotationDate"].timestamp() == (time.time() // 86400 + 10) * 86400
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
    assert listed["RotationEnabled"] is True and listed["RotationRules"] == {"ScheduleExpression": "rate(10 days)"}
    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["Name"] == name and "VersionId" not in cancelled
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False and "NextRotationDate" not in described
    assert described["RotationLambdaARN"] == ARN.format("rotate-password")


def test_no_file_in_the_data_dir_holds_a_value(rotating, sm):
    name = new_secret(sm, "residue", {"username": "app", "password": "residue-Initial-Value-7"})
    sm.put_secret_value(SecretId=name, SecretString='{"password":"residue-Second-Value-8"}')
    sm.rotate_secret(SecretId=name, RotationLambdaARN=ARN.format("rotate-password"))
    assert wait_for_outcome(rotating, name) == "secretsmanager:RotationSucceeded:allowed"
    rotated = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"]
    binary = sm.create_secret(Name=f"{name}-bin", SecretBinary=b"residue-Binary-Value-9")["Name"]
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    sm.delete_secret(SecretId=binary, ForceDeleteWithoutRecovery=True)
    values = [b"residue-Initial-Value-7", b"residue-Second-Value-8", rotated.encode(), b"residue-Binary-Value-9"]
    checked = 0
    for root in (rotating.data_dir, rotating.log_dir):
        for path in Path(root).rglob("*"):
            if path.is_file() and not path.is_socket():
                data = path.read_bytes()
                checked += 1
                assert not any(v in data for v in values), path
    assert checked >= 3


def test_shutdown_does_not_wait_for_a_hung_handler(rotating, tmp_path):
    hang = ARN.format("hangs")
    config = tmp_path / "sealbox.yaml"
    config.write_text(json.dumps({"rotation": {"timeoutSeconds": 300,
                                               "handlers": {hang: str(rotating.base / "hangs.py")}}}))
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    daemon = harness.Daemon(data, tmp_path / "logs", extra_args=["--config", str(config)]).start()
    try:
        sm = daemon.client(service="secretsmanager")
        name = new_secret(sm, "shutdown")
        before = sm.get_secret_value(SecretId=name)["VersionId"]
        sm.rotate_secret(SecretId=name, RotationLambdaARN=hang)
        deadline = time.monotonic() + 10
        while subprocess.run(["pgrep", "-f", "sealbox-rotation-hang-marker"], capture_output=True).returncode:
            assert time.monotonic() < deadline, "the handler never started"
            time.sleep(0.05)
        started = time.monotonic()
        assert daemon.terminate(timeout=20) == 0
        assert time.monotonic() - started < 10
        left = subprocess.run(["pgrep", "-f", "sealbox-rotation-hang-marker"], capture_output=True, text=True)
        assert left.stdout.strip() == ""
        daemon.start()
        sm = daemon.client(service="secretsmanager")
        assert sm.get_secret_value(SecretId=name)["VersionId"] == before
        assert "AWSPENDING" in sum(sm.describe_secret(SecretId=name)["VersionIdsToStages"].values(), [])
    finally:
        daemon.terminate(timeout=10)


BOTO3_HANDLER = '''
import json, os, sys
import boto3

# As AWS's rotation templates make their client.
service = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
event = json.load(sys.stdin)
arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
if step == "createSecret":
    password = service.get_random_password(ExcludePunctuation=True)["RandomPassword"]
    service.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=password,
                             VersionStages=["AWSPENDING"])
elif step == "finishSecret":
    stages = service.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
    service.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                        RemoveFromVersionId=current)
'''


def test_a_boto3_handler_rotates_against_an_ephemeral_daemon(tmp_path):
    # A test suite's daemon: no socket, an open TCP listener that the handler's boto3 reaches through
    # SECRETS_MANAGER_ENDPOINT, as a Lambda rotation function reaches Secrets Manager.
    handler = tmp_path / "rotate_boto3.py"
    handler.write_text(f"#!{sys.executable}\n" + BOTO3_HANDLER)
    handler.chmod(0o755)
    arn = ARN.format("boto3")
    config = tmp_path / "sealbox.yaml"
    config.write_text(json.dumps({"rotation": {"handlers": {arn: str(handler)}}}))
    port = harness.free_port()
    argv = [str(harness.daemon_binary()), "--ephemeral", "--listen", f"127.0.0.1:{port}", "--config", str(config)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=harness.clean_env())
    try:
        sm = harness.make_client("secretsmanager", f"http://127.0.0.1:{port}", "test", "test")
        deadline = time.monotonic() + 30
        while True:
            try:
                sm.create_secret(Name="app/token", SecretString="first")
                break
            except Exception:
                assert time.monotonic() < deadline and proc.poll() is None, "the daemon did not start"
                time.sleep(0.1)
        rotated = sm.rotate_secret(SecretId="app/token", RotationLambdaARN=arn)["VersionId"]
        deadline = time.monotonic() + 30
        while sm.describe_secret(SecretId="app/token").get("LastRotatedDate") is None:
            assert time.monotonic() < deadline, "the rotation did not finish"
            time.sleep(0.1)
        got = sm.get_secret_value(SecretId="app/token")
        assert got["VersionId"] == rotated and len(got["SecretString"]) == 32 and got["SecretString"] != "first"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
