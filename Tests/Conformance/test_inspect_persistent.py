"""`sealbox inspect` against a persistent daemon: it remembers what each process was served (names
and versions, never a value), so a handler can be checked against a staging daemon. Exit status 0
clean, 1 found, 2 no scan (no such process, not allowed); a process's own user may inspect it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

import harness
from test_cli import run_cli

SECRET = f"persistent-inspect-{uuid.uuid4().hex}"
# Root may do everything but inspect: the own-user rule is what lets it inspect its own children.
CONFIG = """
policy:
  - principals: ["uid:0"]
    allow: ["ssm:*", "kms:*", "lease:*", "secretsmanager:*"]
    resources: ["*"]
"""


@pytest.fixture(scope="module")
def persistent(tmp_path_factory):
    base = tmp_path_factory.mktemp("inspect")
    (base / "sealbox.yaml").write_text(CONFIG)
    data = base / "data"
    data.mkdir(mode=0o700)
    daemon = harness.Daemon(data, base / "logs", extra_args=["--config", str(base / "sealbox.yaml")]).start()
    with harness.UnixHTTP(daemon.socket_path) as conn:
        body = json.dumps({"Name": "/app/db", "Value": SECRET, "Type": "SecureString"}).encode()
        answer = conn.request("POST", "/", body, {"X-Amz-Target": "AmazonSSM.PutParameter",
                                                  "Content-Type": harness.JSON_CT})
        assert answer.status == 200, answer
    yield daemon
    daemon.terminate(timeout=10)


def child(socket_path, keep: bool) -> subprocess.Popen:
    """A process that reads /app/db over the socket, keeps the value or wipes it, and waits."""
    code = textwrap.dedent(f"""
        import json, socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.connect({str(socket_path)!r})
        body = json.dumps({{"Name": "/app/db", "WithDecryption": True}}).encode()
        s.sendall(b"POST / HTTP/1.1\\r\\nHost: x\\r\\nX-Amz-Target: AmazonSSM.GetParameter\\r\\n"
                  b"Content-Type: application/x-amz-json-1.1\\r\\nConnection: close\\r\\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
        # Read into one buffer, so that no other copy of the value is made.
        answer = bytearray(1 << 16)
        view, got = memoryview(answer), 0
        while n := s.recv_into(view[got:]):
            got += n
        if {not keep}:
            answer[:] = bytes(len(answer))
        del view
        print("ready", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def inspect(daemon, pid: int) -> subprocess.CompletedProcess:
    return run_cli("inspect", str(pid), "-o", "json", socket_path=daemon.socket_path)


def test_a_persistent_daemon_finds_a_kept_value(persistent):
    proc = child(persistent.socket_path, keep=True)
    try:
        out = inspect(persistent, proc.pid)
        assert out.returncode == 1, out
        report = json.loads(out.stdout)
        assert report["secretsChecked"] == 1 and any(f["location"].startswith("memory") for f in report["findings"])
        assert SECRET not in out.stdout + out.stderr
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_a_persistent_daemon_says_clean_for_a_wiped_value(persistent):
    proc = child(persistent.socket_path, keep=False)
    try:
        out = inspect(persistent, proc.pid)
        assert out.returncode == 0, out
        report = json.loads(out.stdout)
        assert (report["secretsChecked"], report["findings"]) == (1, [])
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_no_such_process_and_another_users_process_are_errors(persistent):
    gone = subprocess.Popen(["true"])
    gone.wait()
    out = run_cli("inspect", str(gone.pid), socket_path=persistent.socket_path)
    assert out.returncode == 2 and "no process" in out.stderr and out.stdout == "", out
    # A process of another user: root here is not granted admin:Inspect, and it is not root's.
    other = subprocess.Popen(["sleep", "30"], user=65534, group=65534)
    try:
        time.sleep(0.1)
        out = run_cli("inspect", str(other.pid), socket_path=persistent.socket_path)
        assert out.returncode == 2 and out.stdout == "" and "admin:Inspect" in out.stderr, out
    finally:
        other.kill()
        other.wait()


def test_a_temp_file_written_before_the_process_started_is_not_counted(persistent):
    # The same user wrote it a fifth of a second before the handler started: not the handler's doing.
    early = Path("/tmp") / f"sbtm-early-{uuid.uuid4().hex}.txt"
    early.write_text(SECRET)
    try:
        time.sleep(0.2)
        proc = child(persistent.socket_path, keep=False)
        try:
            out = inspect(persistent, proc.pid)
            assert out.returncode == 0, out
            assert json.loads(out.stdout)["findings"] == []
            # Written after it started, the same file is found.
            early.write_text(SECRET)
            out = inspect(persistent, proc.pid)
            assert out.returncode == 1 and str(early) in out.stdout, out
        finally:
            proc.stdin.close()
            proc.wait(timeout=10)
    finally:
        early.unlink(missing_ok=True)
