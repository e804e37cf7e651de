"""The listeners under attack from loopback (issue 27, findings 6, 10 and 14), each against its own daemon.

- Each listener has its own `server.maxConnections`: idle TCP connections cannot make the socket's
  admin calls answer 429.
- A TCP connection that has not had a request through authentication within
  `server.preAuthTimeoutSeconds` (default 5 s) of connecting is closed, silent or trickling a head;
  an authenticated keep-alive connection is not.
- `POST /moto-api/reset` needs authentication under `--require-auth`.
- On TCP, a `Host` that is not a loopback name (DNS rebinding) is refused before any work, unless
  `--allow-remote`; the Unix socket takes any `Host`.
- 1,000 clients that connect at once, without blocking and with a connect timeout, are all served.
"""

from __future__ import annotations

import base64
import errno
import json
import resource
import selectors
import socket
import time

import pytest

import harness
from harness import UnixHTTP

SLACK = 2.5


@pytest.fixture
def start(start_daemon):
    return start_daemon


def status_of(data: bytes) -> int | None:
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])


def closed_within(s: socket.socket, seconds: float) -> tuple[bool, bytes, float]:
    """Reads until the daemon closes `s` or `seconds` pass: (closed, bytes read, elapsed)."""
    t0 = time.monotonic()
    data = b""
    s.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, data, time.monotonic() - t0
        if not chunk:
            return True, data, time.monotonic() - t0
        data += chunk
    return False, data, time.monotonic() - t0


# ---------------------------------------------------------------------------
# Finding 6: a cap per listener, and a deadline to authenticate on TCP
# ---------------------------------------------------------------------------


def test_idle_tcp_connections_do_not_starve_the_socket(start):
    d = start("server:\n  maxConnections: 4\n")
    held = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)  # accepted, and counted
        with UnixHTTP(d.socket_path) as u:
            r = u.request("GET", "/v1/status")
        assert r.status == 200, f"4 idle TCP connections under maxConnections: 4 starved the socket: {r}"
        # TCP keeps its own cap: a fifth TCP connection is the one refused.
        r = harness.tcp_request(d.port, None, b"", method="GET", path="/health")
        assert r.status == 429, f"a 5th TCP connection beyond maxConnections: 4 was not refused: {r}"
    finally:
        for s in held:
            s.close()


def test_unauthenticated_tcp_connections_are_closed_after_the_pre_auth_timeout(start):
    """Default 5 s: a silent connection, one trickling a head (slowloris) and one that only asked
    for /health are closed; one that made a signed call keeps serving after the deadline."""
    d = start()
    creds = d.credentials()
    port = d.port
    silent = socket.create_connection(("127.0.0.1", port), timeout=5)
    trickle = socket.create_connection(("127.0.0.1", port), timeout=5)
    health = socket.create_connection(("127.0.0.1", port), timeout=5)
    health.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert status_of(health.recv(65536)) == 200
    import http.client
    signed = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        r = harness.tcp_request(port, "TrentService.ListKeys", b"{}", creds=creds, conn=signed)
        assert r.status == 200, r
        head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 40
        t0 = time.monotonic()
        sent = 0
        while time.monotonic() - t0 < 5.0 + SLACK and sent < len(head):
            try:
                trickle.sendall(head[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
            time.sleep(0.25)
        results = {name: closed_within(s, max(0.5, 5.0 + SLACK - (time.monotonic() - t0)))
                   for name, s in (("silent", silent), ("trickle", trickle), ("health", health))}
        for name, (closed, data, _) in results.items():
            assert closed, f"an unauthenticated TCP connection ({name}) was still open {5.0 + SLACK:.1f}s " \
                           f"after it connected (pre-auth timeout 5 s): {data[:200]!r}"
        assert time.monotonic() - t0 > 4.0, "closed before the pre-auth timeout"
        r = harness.tcp_request(port, "TrentService.ListKeys", b"{}", creds=creds, conn=signed)
        assert r.status == 200, f"an authenticated keep-alive connection was closed by the pre-auth timeout: {r}"
    finally:
        for s in (silent, trickle, health):
            s.close()
        signed.close()


# ---------------------------------------------------------------------------
# Finding 10: reset under --require-auth, and Host on TCP
# ---------------------------------------------------------------------------


AUTH_KEY = ("AKIATESTSUITE0000001", "s3cret-for-the-suite")


def test_reset_needs_authentication_under_require_auth(start, tmp_path):
    secret = tmp_path / "tests.secret"
    secret.write_text(AUTH_KEY[1] + "\n")
    secret.chmod(0o600)
    d = start(f"accessKeys:\n  - {{id: {AUTH_KEY[0]}, secretFile: {secret}, principal: tests}}\n",
              ephemeral=True, extra=["--require-auth"])
    kms = d.client(*AUTH_KEY)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    unsigned = harness.tcp_request(d.port, None, b"", path="/moto-api/reset")
    assert unsigned.status in (401, 403), f"an unsigned reset under --require-auth was not refused: {unsigned}"
    assert unsigned.json()["error"] in ("Unauthorized", "AccessDenied"), unsigned
    forged = harness.tcp_request(d.port, "", b"", path="/moto-api/reset", creds=(AUTH_KEY[0], "wrong"))
    assert forged.status == 403, f"a reset signed with a wrong secret was not refused: {forged}"
    assert key_id in [k["KeyId"] for k in kms.list_keys()["Keys"]], "a refused reset wiped the keys"

    ok = harness.tcp_request(d.port, "", b"", path="/moto-api/reset", creds=AUTH_KEY)
    assert ok.status == 200, f"a signed reset was refused: {ok}"
    assert kms.list_keys()["Keys"] == []
    with UnixHTTP(d.socket_path) as u:  # the socket's peer is authenticated by the kernel
        assert u.request("POST", "/moto-api/reset").status == 200


def _get_parameter(port: int, host: str, name: str):
    body = json.dumps({"Name": name, "WithDecryption": True}).encode()
    return harness.tcp_request(port, "AmazonSSM.GetParameter", body, host=host)


def test_tcp_refuses_a_host_that_is_not_loopback(start):
    """DNS rebinding: a page at evil.example:PORT whose name now resolves to 127.0.0.1 sends
    `Host: evil.example:PORT`. An ephemeral daemon accepts any credentials, so the Host is the check."""
    d = start(ephemeral=True)
    port = d.port
    put = json.dumps({"Name": "/rebind/secret", "Value": "s3cr3t-value", "Type": "SecureString"}).encode()
    assert harness.tcp_request(port, "AmazonSSM.PutParameter", put).status == 200

    for host in (f"evil.example:{port}", "evil.example", f"localhost.evil.example:{port}", f"127.0.0.1.nip.io:{port}",
                 f"localhost:{port + 1}", "", f"127.0.0.1:{port}0"):
        r = _get_parameter(port, host, "/rebind/secret")
        assert r.status == 403, f"Host {host!r}: a foreign host got {r}"
        assert b"s3cr3t-value" not in r.body
        assert r.json()["__type"] == "AccessDeniedException" and r.header("x-amzn-RequestId"), r
    r = harness.tcp_request(port, None, b"", method="GET", host=f"evil.example:{port}",
                            path="/systemsmanager/parameters/get?name=%2Frebind%2Fsecret&withDecryption=true")
    assert r.status == 403 and r.json()["__type"] == "AccessDeniedException", f"extension GET: {r}"
    r = harness.tcp_request(port, None, json.dumps({"name": "/rebind/secret"}).encode(), path="/v1/leases",
                            host=f"evil.example:{port}")
    assert r.status == 403 and r.json()["error"] == "ForbiddenHost", f"native API: {r}"

    for host in (f"localhost:{port}", "localhost", f"LocalHost:{port}", f"127.0.0.1:{port}", "127.0.0.1",
                 f"[::1]:{port}", "[::1]"):
        r = _get_parameter(port, host, "/rebind/secret")
        assert r.status == 200 and r.json()["Parameter"]["Value"] == "s3cr3t-value", f"Host {host!r}: {r}"
    with UnixHTTP(d.socket_path) as u:  # clients send any Host on the socket
        r = u.aws("AmazonSSM.GetParameter", {"Name": "/rebind/secret", "WithDecryption": True},
                  {"Host": "evil.example"})
        assert r.status == 200, r


def test_allow_remote_accepts_any_host(start):
    d = start(ephemeral=True, extra=["--allow-remote"])
    r = harness.tcp_request(d.port, "TrentService.ListKeys", b"{}", host=f"sealbox.internal:{d.port}")
    assert r.status == 200, r


# ---------------------------------------------------------------------------
# Finding 14: a cold-start storm of connects
# ---------------------------------------------------------------------------


CLIENTS = 1000
CONNECT_TIMEOUT = 1.0


def _storm(address, family: int) -> tuple[dict, list]:
    """CLIENTS non-blocking connects at once, each with a CONNECT_TIMEOUT connect timeout, then one
    GET /health each: returns {status: count} and the failures."""
    failures: list = []
    statuses: dict = {}
    sel = selectors.DefaultSelector()
    pending = {}
    started = time.monotonic()
    for _ in range(CLIENTS):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(address)
        if err not in (0, errno.EINPROGRESS):
            failures.append(f"connect: {errno.errorcode.get(err, err)}")
            s.close()
            continue
        pending[s.fileno()] = {"sock": s, "t0": time.monotonic(), "state": "connecting", "out": b"", "in": b""}
        sel.register(s, selectors.EVENT_WRITE)
    request = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    deadline = started + 30
    while pending and time.monotonic() < deadline:
        now = time.monotonic()
        for fd, c in list(pending.items()):
            if c["state"] == "connecting" and now - c["t0"] > CONNECT_TIMEOUT:
                failures.append("connect timed out")
                sel.unregister(c["sock"])
                c["sock"].close()
                del pending[fd]
        for key, events in sel.select(timeout=0.05):
            c = pending.get(key.fd)
            if c is None:
                continue
            s = c["sock"]
            if c["state"] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    failures.append(f"connect: {errno.errorcode.get(err, err)}")
                    sel.unregister(s)
                    s.close()
                    del pending[key.fd]
                    continue
                c["state"] = "sending"
                c["out"] = request
            if c["state"] == "sending" and events & selectors.EVENT_WRITE:
                try:
                    n = s.send(c["out"])
                except BlockingIOError:
                    n = 0
                except OSError as e:
                    failures.append(f"send: {e}")
                    sel.unregister(s)
                    s.close()
                    del pending[key.fd]
                    continue
                c["out"] = c["out"][n:]
                if not c["out"]:
                    c["state"] = "reading"
                    sel.modify(s, selectors.EVENT_READ)
                continue
            if c["state"] == "reading" and events & selectors.EVENT_READ:
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    chunk = b""
                    c["in"] += f" [{e}]".encode()
                if chunk:
                    c["in"] += chunk
                    continue
                status = status_of(c["in"])
                statuses[status] = statuses.get(status, 0) + 1
                sel.unregister(s)
                s.close()
                del pending[key.fd]
    for c in pending.values():
        failures.append(f"no answer within 30 s ({c['state']})")
        c["sock"].close()
    sel.close()
    return statuses, failures


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_a_thousand_simultaneous_connects_are_all_served(start, transport):
    """Lambda-like handlers starting together: every one connects within its connect timeout and
    gets its answer, under the default caps (1024 connections per listener)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < CLIENTS + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, CLIENTS * 2 + 200), hard))
    d = start()
    if transport == "unix":
        statuses, failures = _storm(str(d.socket_path), socket.AF_UNIX)
    else:
        statuses, failures = _storm(("127.0.0.1", d.port), socket.AF_INET)
    summary = {}
    for f in failures:
        summary[f] = summary.get(f, 0) + 1
    assert statuses.get(200, 0) == CLIENTS, \
        f"{transport}: of {CLIENTS} simultaneous connects, {statuses.get(200, 0)} got 200; " \
        f"answers {statuses}, failures {summary}"
