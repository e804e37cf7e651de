"""The Unix socket identifies callers by SO_PEERCRED: the default policy lets root and the daemon's
own user act, and refuses every other uid even when the socket file itself is world-writable."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import harness

import pytest

CLIENT = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
body = b"{}"
s.sendall(b"POST / HTTP/1.1\r\nHost: sealbox\r\nX-Amz-Target: TrentService.ListKeys\r\n"
          b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n" + body)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, payload = data.partition(b"\r\n\r\n")
print(json.dumps({"status": int(head.split(b" ")[1]), "body": json.loads(payload)}))
"""


def run_client(socket_path, *prefix):
    result = subprocess.run([*prefix, sys.executable, "-c", CLIENT, str(socket_path)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_daemon_user_is_allowed(daemon):
    answer = run_client(daemon.socket_path)
    assert answer["status"] == 200
    assert "Keys" in answer["body"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_other_uid_is_refused_even_with_a_world_writable_socket(tmp_path):
    # The socket must be reachable by nobody: put it in a fresh world-traversable directory.
    public = tempfile.mkdtemp(prefix="sealbox-public-")
    os.chmod(public, 0o755)
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", socket_path=Path(public) / "sealbox.sock")
    daemon.start()
    try:
        os.chmod(daemon.socket_path, 0o666)
        answer = run_client(daemon.socket_path, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
        assert answer["status"] == 400
        assert answer["body"]["__type"] == "AccessDeniedException"
        assert "uid:65534" in answer["body"]["message"]
        assert run_client(daemon.socket_path)["status"] == 200
    finally:
        daemon.terminate(timeout=10)
        shutil.rmtree(public, ignore_errors=True)
