"""The policy file: grants by uid on parameter paths, refusals for everything else, reload on
SIGHUP (a bad file keeps the running policy), and a bad file refused at start with its place.
A client runs as `nobody` (uid 65534) through setpriv, so these tests need root."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import harness

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")

# Runs as nobody: GetParameter on each name, then a lease on the first, redeemed by the same process.
CLIENT = r"""
import json, socket, sys

def call(method, path, target=None, body=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: sealbox\r\nContent-Length: {len(data)}\r\nConnection: close\r\n"
    if target:
        head += f"X-Amz-Target: {target}\r\n"
    s.sendall(head.encode() + b"\r\n" + data)
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    header, _, payload = raw.partition(b"\r\n\r\n")
    return int(header.split(b" ")[1]), json.loads(payload or b"{}")

out = {}
for name in sys.argv[2:]:
    out[name] = call("POST", "/", "AmazonSSM.GetParameter", {"Name": name, "WithDecryption": True})
status, lease = call("POST", "/v1/leases", body={"name": sys.argv[2]})
out["lease"] = [status, lease]
if status == 201:
    out["redeem"] = call("POST", f"/v1/leases/{lease['leaseId']}/redeem")
print(json.dumps(out))
"""

GRANT = """
policy:
  - principals: ["uid:0"]
    allow: ["*"]
    resources: ["*"]
  - principals: ["uid:65534"]
    allow: ["ssm:GetParameter*", "lease:*"]
    resources: ["/app/*"]
"""

ROOT_ONLY = """
policy:
  - principals: ["uid:0"]
    allow: ["*"]
    resources: ["*"]
"""


@pytest.fixture
def public_dir():
    path = tempfile.mkdtemp(prefix="sealbox-policy-")
    os.chmod(path, 0o755)
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


def as_nobody(socket_path: Path, *names: str) -> dict:
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", CLIENT,
         str(socket_path), *names], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def seed(socket_path: Path) -> None:
    with harness.UnixHTTP(socket_path) as unix:
        for name, value in (("/app/db/password", "app-secret"), ("/other/db/password", "other-secret")):
            response = unix.aws("AmazonSSM.PutParameter",
                                {"Name": name, "Value": value, "Type": "SecureString", "Overwrite": True})
            assert response.status == 200, response.body


def test_policy_grants_by_uid_and_path_and_reloads_on_sighup(tmp_path, public_dir):
    config = public_dir / "sealbox.yaml"
    config.write_text(GRANT)
    socket_path = public_dir / "sealbox.sock"
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", socket_path=socket_path,
                            extra_args=["--config", str(config)])
    daemon.start()
    try:
        seed(socket_path)
        os.chmod(socket_path, 0o666)
        seen = as_nobody(socket_path, "/app/db/password", "/other/db/password")
        status, body = seen["/app/db/password"]
        assert status == 200 and body["Parameter"]["Value"] == "app-secret"
        status, body = seen["/other/db/password"]
        assert status == 400 and body["__type"] == "AccessDeniedException"
        assert "other-secret" not in json.dumps(body)
        assert seen["lease"][0] == 201
        assert seen["redeem"] == [200, {"value": "app-secret", "version": 1}]

        config.write_text(ROOT_ONLY)
        os.kill(daemon.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            status, _ = as_nobody(socket_path, "/app/db/password")["/app/db/password"]
            if status != 200:
                break
            time.sleep(0.1)
        seen = as_nobody(socket_path, "/app/db/password")
        assert seen["/app/db/password"][1]["__type"] == "AccessDeniedException"
        assert seen["lease"][0] == 403 and seen["lease"][1]["error"] == "AccessDenied"

        # A broken file on SIGHUP keeps the running policy, and the daemon keeps serving.
        config.write_text("policy: [: broken")
        os.kill(daemon.proc.pid, signal.SIGHUP)
        time.sleep(0.5)
        assert daemon.running()
        assert as_nobody(socket_path, "/app/db/password")["/app/db/password"][1]["__type"] == "AccessDeniedException"
        assert "config reload failed" in daemon.logs()
    finally:
        daemon.terminate(timeout=10)


def test_a_bad_config_is_refused_at_start_with_its_place(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("policy:\n  - principals: [\"uid:1\"]\n    allow: [\"*\"]\n    resources: [\"*\"]\n    colour: red\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    with pytest.raises(harness.DaemonStartError) as failure:
        daemon.start()
    assert "bad.yaml" in str(failure.value)
    assert "unknown key 'policy[0].colour'" in str(failure.value)
