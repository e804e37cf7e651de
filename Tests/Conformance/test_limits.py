"""The configurable caps of the `server:` and `leases:` config sections, each against its own daemon.

- `server.maxConnections` (per listener): requests on connections beyond it get 429; refused (malformed) connections
  must not keep holding slots; 500 idle half-open connections under a cap of 1000 do not delay a
  real request on a new connection.
- `server.maxHeaderBytes` (default 16384, all header bytes of a request) and `server.maxHeaderCount`
  (default 100): a request over either gets 431 or has its connection closed; one under is served.
- the body limit (64 KiB by default, `server.maxBodyBytes`): one byte over gets 413, the limit itself
  is read.
- `server.requestTimeoutSeconds`: a body that stops arriving ends its connection (closed, or 408)
  within the timeout + 3 s.
- `server.idleTimeoutSeconds`: a connection with no request in progress, including one trickling a
  head that never ends, is closed within the timeout + 3 s; a connection that keeps making requests
  is not.
- `leases.maxActive`: one lease more than the cap is refused with a 4xx.

A daemon that does not know a setting refuses to start with the config: that fails the test (with
the daemon's message), it is never skipped.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time

import pytest

import harness
from harness import UnixHTTP

SLACK = 3.0
REFUSE_WAIT = 3.0
# The task says 431; docs/api.md (db62e54) says "400 and close". Either, as long as the connection ends.
HEADER_REFUSALS = (431, 400)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def start(tmp_path):
    started: list[harness.Daemon] = []

    def run(config: str | None, name: str = "d") -> harness.Daemon:
        base = tmp_path / name
        base.mkdir()
        args = []
        if config is not None:
            path = base / "sealbox.yaml"
            path.write_text(config)
            args = ["--config", str(path)]
        d = harness.Daemon(base / "data", base / "logs", extra_args=args)
        started.append(d)
        try:
            d.start()
        except harness.DaemonStartError as e:
            pytest.fail(f"sealboxd did not start with this config (is the setting implemented?):\n"
                        f"{config}\n{e}", pytrace=False)
        return d

    yield run
    for d in started:
        d.terminate(timeout=10)
        d.kill9()


def connect(d: harness.Daemon, transport: str = "unix", timeout: float = 10.0) -> socket.socket:
    if transport == "tcp":
        s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout)
    else:
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(str(d.socket_path))
                break
            except BlockingIOError:
                # The listen backlog is full for a moment (a burst of connects): retry, as clients do.
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    return s


def read_until_closed(s: socket.socket, timeout: float) -> tuple[bytes, bool, float]:
    """Reads until EOF/reset or `timeout`; returns (bytes, closed, elapsed)."""
    start = time.monotonic()
    data = b""
    while True:
        remaining = timeout - (time.monotonic() - start)
        if remaining <= 0:
            return data, False, time.monotonic() - start
        ready, _, _ = select.select([s], [], [], remaining)
        if not ready:
            return data, False, time.monotonic() - start
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data, True, time.monotonic() - start
        if not chunk:
            return data, True, time.monotonic() - start
        data += chunk


def status_of(data: bytes) -> int | None:
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])


def body_of(data: bytes) -> bytes:
    return data.partition(b"\r\n\r\n")[2]


def one_shot(d: harness.Daemon, request: bytes, transport: str = "unix", timeout: float = 10.0):
    """Sends one request (which should say Connection: close) and reads until the close."""
    s = connect(d, transport, timeout)
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed, elapsed = read_until_closed(s, timeout)
    finally:
        s.close()
    return data, closed, elapsed


def refused_shot(d: harness.Daemon, request: bytes, transport: str = "unix"):
    return one_shot(d, request, transport, timeout=REFUSE_WAIT)


def health_request(extra_headers: list[tuple[str, str]] = ()) -> bytes:
    head = "GET /health HTTP/1.1\r\nHost: localhost\r\n" + "".join(f"{k}: {v}\r\n" for k, v in extra_headers)
    return (head + "Connection: close\r\n\r\n").encode()


def assert_refused(data: bytes, closed: bool, what: str, *statuses: int) -> None:
    """Refused: one of the given 4xx and the connection closed, or closed without an answer. (Whether
    the answer has a JSON body is test_hostile_input.py's business.)"""
    status = status_of(data)
    if status is None:
        assert closed and data == b"", f"{what}: no HTTP answer, and got {data[:200]!r} (closed={closed})"
        return
    assert status in statuses, f"{what}: expected {statuses} or a closed connection, got {data[:400]!r}"
    assert closed, f"{what}: answered {status} but left the connection open (3 s): {data[:200]!r}"


def assert_served(data: bytes, what: str) -> dict:
    assert status_of(data) == 200, f"{what}: expected 200, got {data[:400]!r}"
    return json.loads(body_of(data))


def padded_headers(total_bytes: int, count: int) -> list[tuple[str, str]]:
    """`count` headers X-Pad-<i> whose names and values add up to about `total_bytes`."""
    per = max(1, total_bytes // count)
    out = []
    for i in range(count):
        name = f"X-Pad-{i}"
        out.append((name, "a" * max(1, per - len(name))))
    return out


def header_bytes(headers: list[tuple[str, str]]) -> int:
    return sum(len(k) + len(v) for k, v in headers)


def aws_request(target: str, body: bytes) -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {target}\r\nContent-Type: {harness.JSON_CT}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def health_within(d: harness.Daemon, seconds: float, transport: str = "unix") -> float:
    t0 = time.monotonic()
    data, _, _ = one_shot(d, health_request(), transport, timeout=seconds)
    elapsed = time.monotonic() - t0
    assert status_of(data) == 200, f"GET /health ({transport}): {data[:300]!r} after {elapsed:.2f}s"
    assert elapsed < seconds, f"GET /health ({transport}) took {elapsed:.2f}s"
    return elapsed


# ---------------------------------------------------------------------------
# maxConnections
# ---------------------------------------------------------------------------


def test_max_connections_answers_429_beyond_the_cap_on_both_listeners(start):
    """The cap applies to each listener apart (test_listener_hardening.py: TCP cannot starve the socket)."""
    d = start("server:\n  maxConnections: 3\n")
    held = []
    try:
        for transport in ("unix", "unix", "unix", "tcp", "tcp", "tcp"):
            s = connect(d, transport)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert b"200 OK" in s.recv(65536)
            held.append(s)
        data, closed, _ = refused_shot(d, health_request())
        assert status_of(data) == 429 and json.loads(body_of(data))["error"] == "TooManyConnections", data
        assert closed
        data, closed, _ = refused_shot(d, aws_request("TrentService.ListKeys", b"{}"), "tcp")
        assert status_of(data) == 429 and json.loads(body_of(data))["__type"] == "ThrottlingException", data
        assert closed
        held.pop(0).close()
        deadline = time.monotonic() + 3
        while True:
            data, _, _ = one_shot(d, health_request())
            if status_of(data) == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status_of(data) == 200, f"a slot did not free up after a close: {data[:200]!r}"
    finally:
        for s in held:
            s.close()


def test_refused_malformed_connections_do_not_keep_holding_slots(start):
    """A connection the daemon refused (a request it could not parse) must be closed by the daemon,
    so that a few garbage senders that never hang up cannot use up maxConnections."""
    d = start("server:\n  maxConnections: 3\n")
    held = []
    try:
        for _ in range(3):
            s = connect(d)
            s.sendall(b"GARBAGE\r\n\r\n")
            held.append(s)
        outcomes = []
        for s in held:
            data, closed, elapsed = read_until_closed(s, 3.0)
            outcomes.append((data[:120], closed, round(elapsed, 2)))
        deadline = time.monotonic() + 2
        while True:
            data, _, _ = one_shot(d, health_request())
            if status_of(data) == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert all(closed for _, closed, _ in outcomes), \
            f"the daemon kept refused connections open: {outcomes}"
        assert status_of(data) == 200, \
            f"3 refused-but-open garbage connections exhausted maxConnections=3: {data[:200]!r}; {outcomes}"
    finally:
        for s in held:
            s.close()


def test_500_idle_half_open_connections_do_not_delay_a_real_request(start):
    d = start("server:\n  maxConnections: 1000\n")
    creds = d.credentials()
    held = []
    try:
        for i in range(500):
            transport = "tcp" if i % 3 == 0 else "unix"
            s = connect(d, transport)
            if i % 2:
                s.sendall(b"GET /hea" if transport == "unix" else b"POST / HT")
            held.append(s)
        time.sleep(0.3)  # let the daemon accept them all
        for attempt in range(3):
            health_within(d, 1.0, "unix")
            t0 = time.monotonic()
            r = harness.tcp_request(d.port, "TrentService.ListKeys", b"{}", creds=creds)
            elapsed = time.monotonic() - t0
            assert r.status == 200, r
            assert elapsed < 1.0, f"signed ListKeys over TCP took {elapsed:.2f}s with 500 idle connections open"
        # The idle connections are still accepted ones, not refused: the cap counts them but is not reached.
        s = held[1]  # a Unix connection that sent "GET /hea"
        s.sendall(b"lth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data, _, _ = read_until_closed(s, 5.0)
        assert status_of(data) == 200, f"a held half-sent request was not served when completed: {data[:200]!r}"
    finally:
        for s in held:
            s.close()


# ---------------------------------------------------------------------------
# maxHeaderBytes and maxHeaderCount
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_max_header_bytes_configured(start, transport):
    d = start("server:\n  maxHeaderBytes: 4096\n")
    under = padded_headers(2500, 5)
    assert header_bytes(under) < 4096 - 200
    assert_served(one_shot(d, health_request(under), transport)[0], "2.5 KB of headers under a 4 KiB cap")
    one_big = [("X-Big", "a" * 6000)]
    data, closed, _ = refused_shot(d, health_request(one_big), transport)
    assert_refused(data, closed, "one 6000-byte header over maxHeaderBytes=4096", *HEADER_REFUSALS)
    many_small = padded_headers(6000, 40)   # each small, 40 < the default count cap: the total counts
    data, closed, _ = refused_shot(d, health_request(many_small), transport)
    assert_refused(data, closed, "40 headers totalling 6 KB over maxHeaderBytes=4096", *HEADER_REFUSALS)
    health_within(d, 2.0)


def test_max_header_bytes_default_is_16384(start):
    d = start(None)
    assert_served(one_shot(d, health_request(padded_headers(12_000, 10)))[0], "12 KB of headers under 16 KiB")
    data, closed, _ = refused_shot(d, health_request(padded_headers(20_000, 10)))
    assert_refused(data, closed, "20 KB of headers over the default maxHeaderBytes 16384", *HEADER_REFUSALS)
    data, closed, _ = refused_shot(d, health_request([("X-Big", "a" * 100_000)]))
    assert_refused(data, closed, "one 100 KB header", *HEADER_REFUSALS)
    health_within(d, 2.0)


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_max_header_count_configured(start, transport):
    d = start("server:\n  maxHeaderCount: 20\n")
    # health_request adds Host and Connection.
    assert_served(one_shot(d, health_request(padded_headers(300, 10)), transport)[0], "12 headers under 20")
    data, closed, _ = refused_shot(d, health_request(padded_headers(300, 30)), transport)
    assert_refused(data, closed, "32 headers over maxHeaderCount=20", *HEADER_REFUSALS)
    health_within(d, 2.0)


def test_max_header_count_default_is_100(start):
    d = start(None)
    assert_served(one_shot(d, health_request(padded_headers(1000, 90)))[0], "92 headers under 100")
    data, closed, _ = refused_shot(d, health_request(padded_headers(1500, 150)))
    assert_refused(data, closed, "152 headers over the default maxHeaderCount 100", *HEADER_REFUSALS)
    data, closed, _ = refused_shot(d, health_request(padded_headers(10_000, 5000)))
    assert_refused(data, closed, "5002 headers", *HEADER_REFUSALS)
    health_within(d, 2.0)


# ---------------------------------------------------------------------------
# Body size
# ---------------------------------------------------------------------------


def _encrypt_body(total: int) -> bytes:
    """An Encrypt body of exactly `total` bytes: valid base64 (too long a plaintext, an unknown alias),
    padded with JSON whitespace."""
    prefix, suffix = b'{"KeyId":"alias/none","Plaintext":"', b'"}'
    n = (total - len(prefix) - len(suffix)) // 4 * 4
    body = prefix + b"A" * n + suffix
    body += b" " * (total - len(body))
    assert len(body) == total
    return body


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_body_limit_default_64k(start, transport):
    d = start(None)
    creds = d.credentials()

    def send(body: bytes):
        if transport == "tcp":
            return harness.tcp_request(d.port, "TrentService.Encrypt", body, creds=creds)
        with UnixHTTP(d.socket_path) as u:
            return u.kms("TrentService.Encrypt", body)

    at = send(_encrypt_body(64 * 1024))
    assert at.status == 400 and at.json()["__type"] in ("ValidationException", "NotFoundException"), \
        f"a body of exactly 65536 bytes must be read and answered on its merits: {at!r}"
    over = send(_encrypt_body(64 * 1024 + 1))
    harness.assert_aws_error(over, "RequestEntityTooLargeException", status=413)
    data, closed, _ = refused_shot(d, b"POST /v1/leases HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n"
                               + b" " * 65537, transport)
    assert status_of(data) == 413 and json.loads(body_of(data))["error"] == "PayloadTooLarge", data[:300]
    assert closed


def test_body_limit_configured(start):
    d = start("server:\n  maxBodyBytes: 1024\n")
    with UnixHTTP(d.socket_path) as u:
        r = u.kms("TrentService.Encrypt", _encrypt_body(1024))
    assert r.status == 400 and r.json()["__type"] in ("ValidationException", "NotFoundException"), r
    with UnixHTTP(d.socket_path) as u:
        r = u.kms("TrentService.Encrypt", _encrypt_body(1025))
    harness.assert_aws_error(r, "RequestEntityTooLargeException", status=413)


# ---------------------------------------------------------------------------
# requestTimeoutSeconds and idleTimeoutSeconds
# ---------------------------------------------------------------------------


def _assert_timed_out(data: bytes, closed: bool, elapsed: float, limit: float, what: str) -> None:
    assert closed, f"{what}: still open after {elapsed:.1f}s (limit {limit:.0f}s); got {data[:200]!r}"
    assert elapsed <= limit, f"{what}: closed only after {elapsed:.1f}s (limit {limit:.0f}s)"
    status = status_of(data)
    assert status in (None, 408), f"{what}: expected 408 or a plain close, got {data[:300]!r}"


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_request_timeout_ends_a_stalled_body(start, transport):
    d = start("server:\n  requestTimeoutSeconds: 1\n")
    limit = 1 + SLACK
    results = {}

    def stalled(label: str, head_and_part: bytes):
        s = connect(d, transport, timeout=limit + 5)
        try:
            s.sendall(head_and_part)
            results[label] = read_until_closed(s, limit + 2)
        finally:
            s.close()

    threads = [
        threading.Thread(target=stalled, args=("content-length 100, 10 sent", aws_request(
            "TrentService.ListKeys", b"").replace(b"Content-Length: 0", b"Content-Length: 100") + b"0123456789")),
        threading.Thread(target=stalled, args=("chunked, last chunk never sent", (
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"))),
        threading.Thread(target=stalled, args=("huge chunk announced, 10 bytes sent", (
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\n0123456789"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for label, (data, closed, elapsed) in results.items():
        _assert_timed_out(data, closed, elapsed, limit, f"requestTimeoutSeconds=1, {label}")
    health_within(d, 2.0)


def test_request_timeout_answer_on_root_is_aws_shaped(start):
    """If the daemon says 408 on `/`, it says it the way it says 413 and 429 there (docs/api.md: every
    response on `/` carries x-amzn-RequestId and the AWS JSON content type; errors carry __type)."""
    d = start("server:\n  requestTimeoutSeconds: 1\n")
    request = aws_request("TrentService.ListKeys", b"").replace(b"Content-Length: 0", b"Content-Length: 100")
    data, closed, elapsed = one_shot(d, request + b"0123456789", timeout=1 + SLACK + 2)
    _assert_timed_out(data, closed, elapsed, 1 + SLACK, "requestTimeoutSeconds=1 on /")
    if status_of(data) == 408:
        head = data.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
        doc = json.loads(body_of(data))
        assert "x-amzn-requestid:" in head and harness.JSON_CT in head and "__type" in doc, (
            f"the 408 on / is not AWS-shaped (413 and 429 there are): {data!r}")


def test_idle_timeout_frees_connection_slots(start):
    """Idle keep-alive connections that never hang up stop holding maxConnections slots."""
    d = start("server:\n  maxConnections: 2\n  idleTimeoutSeconds: 1\n")
    held = []
    try:
        for _ in range(2):
            s = connect(d)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert b"200 OK" in s.recv(65536)
            held.append(s)
        data, _, _ = refused_shot(d, health_request())
        assert status_of(data) == 429, f"the cap of 2 was not reached with 2 open connections: {data[:200]!r}"
        for s in held:
            _, closed, elapsed = read_until_closed(s, 1 + SLACK)
            assert closed, f"an idle keep-alive connection was still open after {elapsed:.1f}s"
        assert_served(one_shot(d, health_request())[0], "a new connection once the idle ones were closed")
    finally:
        for s in held:
            s.close()


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_idle_timeout_closes_idle_and_trickling_connections(start, transport):
    d = start("server:\n  idleTimeoutSeconds: 2\n  requestTimeoutSeconds: 10\n")
    limit = 2 + SLACK
    results: dict[str, object] = {}

    def silent():
        s = connect(d, transport, timeout=limit + 5)
        try:
            results["silent"] = read_until_closed(s, limit + 2)
        finally:
            s.close()

    def after_a_request():
        s = connect(d, transport, timeout=limit + 5)
        try:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            first = b""
            while b"\r\n\r\n" not in first or not first.rstrip().endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                first += chunk
            assert status_of(first) == 200, first
            results["keep-alive after a request"] = read_until_closed(s, limit + 2)
        finally:
            s.close()

    def trickle():
        s = connect(d, transport, timeout=limit + 5)
        head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Trickle: " + b"a" * 100
        t0 = time.monotonic()
        closed = False
        try:
            for byte in head:
                if time.monotonic() - t0 > limit + 2:
                    break
                try:
                    s.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                ready, _, _ = select.select([s], [], [], 0.5)
                if ready:
                    try:
                        data = s.recv(65536)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        closed = True
                        break
                    results["trickle-data"] = data
            results["trickle"] = (results.get("trickle-data", b""), closed, time.monotonic() - t0)
        finally:
            s.close()

    def busy():
        """A request every 0.5 s for 4 s: never idle for 2 s, so never closed."""
        s = connect(d, transport, timeout=5)
        served = 0
        try:
            for _ in range(8):
                s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                data = b""
                while not data.rstrip().endswith(b"}"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if status_of(data) != 200:
                    break
                served += 1
                time.sleep(0.5)
        except OSError:
            pass
        finally:
            s.close()
        results["busy"] = served

    threads = [threading.Thread(target=f) for f in (silent, after_a_request, trickle, busy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for label in ("silent", "keep-alive after a request", "trickle"):
        assert label in results, f"{label}: the check did not run: {results}"
        data, closed, elapsed = results[label]
        _assert_timed_out(data, closed, elapsed, limit, f"idleTimeoutSeconds=2, {label} connection")
    assert results["busy"] == 8, \
        f"a connection that made a request every 0.5 s was cut after {results['busy']} requests"
    health_within(d, 2.0)


# ---------------------------------------------------------------------------
# leases.maxActive
# ---------------------------------------------------------------------------


def test_leases_max_active(start):
    d = start("leases:\n  maxActive: 3\n")
    with UnixHTTP(d.socket_path) as u:
        assert u.aws("AmazonSSM.PutParameter", {"Name": "/limits/p", "Value": "v",
                                                "Type": "SecureString"}).status == 200
        ids = []
        for _ in range(3):
            r = harness.native(u, "POST", "/v1/leases", {"name": "/limits/p"})
            assert r.status == 201, r
            ids.append(r.json()["leaseId"])
        r = harness.native(u, "POST", "/v1/leases", {"name": "/limits/p"})
        assert 400 <= r.status < 500, f"a 4th lease over maxActive=3 was not refused: {r!r}"
        harness.assert_native_error(r, 429, "TooManyLeases")
        assert harness.native(u, "DELETE", f"/v1/leases/{ids[0]}").status == 204
        assert harness.native(u, "POST", "/v1/leases", {"name": "/limits/p"}).status == 201
