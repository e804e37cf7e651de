"""The audit log fails closed, and the connection cap answers 429."""

from __future__ import annotations

import json
import socket

import harness


def raw_unix(path, request: bytes) -> tuple[int, dict]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    s.sendall(request)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body or b"{}")


def aws_request(target: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST / HTTP/1.1\r\nHost: sealbox\r\nX-Amz-Target: {target}\r\nContent-Length: {len(payload)}\r\n"
            f"Connection: close\r\n\r\n").encode() + payload


def test_an_unwritable_audit_log_refuses_decrypts_and_sends_no_plaintext(tmp_path):
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--audit-log", "/dev/full"])
    daemon.start()
    try:
        status, body = raw_unix(daemon.socket_path, aws_request(
            "AmazonSSM.PutParameter", {"Name": "/app/canary", "Value": "fail-closed-canary", "Type": "SecureString"}))
        # The write is refused too: its record could not be written.
        assert status == 503 and body["__type"] == "ServiceUnavailableException", body
        status, body = raw_unix(daemon.socket_path, aws_request(
            "AmazonSSM.GetParameter", {"Name": "/app/canary", "WithDecryption": True}))
        assert status == 503
        assert "fail-closed-canary" not in json.dumps(body)
        assert "audit records could not be written" in daemon.logs()
        # Native calls are refused in their own shape, with nothing of the answer they would have sent.
        for method, path in [("POST", "/v1/leases"), ("POST", "/v1/leases/AAAAAAAAAAAAAAAAAAAAAA/redeem")]:
            payload = b'{"name": "/app/canary"}'
            status, body = raw_unix(daemon.socket_path, (
                f"{method} {path} HTTP/1.1\r\nHost: sealbox\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n").encode() + payload)
            assert (status, body["error"]) == (503, "AuditUnavailable"), (path, body)
            assert set(body) == {"error", "message"}, body
        # Reads that are not audited still answer.
        status, _ = raw_unix(daemon.socket_path, aws_request("AmazonSSM.DescribeParameters", {}))
        assert status == 200
    finally:
        daemon.terminate(timeout=10)


def test_requests_beyond_the_connection_cap_get_429(tmp_path):
    config = tmp_path / "sealbox.yaml"
    config.write_text("server:\n  maxConnections: 3\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    daemon.start()
    held = []
    try:
        for _ in range(3):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(daemon.socket_path))
            s.sendall(b"GET /health HTTP/1.1\r\nHost: sealbox\r\n\r\n")
            assert b"200 OK" in s.recv(65536)
            held.append(s)
        status, body = raw_unix(daemon.socket_path, b"GET /health HTTP/1.1\r\nHost: sealbox\r\nConnection: close\r\n\r\n")
        assert status == 429 and body["error"] == "TooManyConnections", body
        status, body = raw_unix(daemon.socket_path, aws_request("TrentService.ListKeys", {}))
        assert status == 429 and body["__type"] == "ThrottlingException", body
        held.pop().close()
        for _ in range(50):  # the daemon notices the close asynchronously
            status, _ = raw_unix(daemon.socket_path, b"GET /health HTTP/1.1\r\nHost: sealbox\r\nConnection: close\r\n\r\n")
            if status == 200:
                break
        assert status == 200
    finally:
        for s in held:
            s.close()
        daemon.terminate(timeout=10)
