"""Hostile and malformed input, table-driven, over raw sockets.

Every case sends exact bytes on a fresh connection (the Unix socket, and for a subset TCP with a
valid SigV4 signature or the extension token) and reads with a deadline. What is acceptable:

- `AWS(...)`: an AWS-shaped error: the given status (400 unless said), `{"__type", "message"}` with
  `__type` in the given codes and a matching `X-Amzn-ErrorType` header.
- `NATIVE(...)`: a native error: the given status, `{"error", "message"}` with `error` in the codes.
- `PROTO(...)`: a protocol-level refusal: either a 4xx in the given set with a JSON error body, or the
  connection closed without an answer.
- `ONE_OK(...)` (smuggling only): exactly one answer, to the visible request; the smuggled one must
  never be processed.

In every case: no 5xx, at most one response (a second one means a request was parsed out of the
input), an answer or the close within BOUND seconds, and after an answer the close within CLOSE_GRACE
(every well-formed request here says `Connection: close`, and a refused one must be closed). After every
case the daemon still answers `GET /health` on a fresh connection; the last test checks that no
case changed state (key and parameter counts equal the baseline, the canary still decrypts, the
smuggled parameter does not exist).

One daemon (persistent, on a temporary data dir) serves the whole module.
"""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import pytest

import harness
from harness import UnixHTTP, b64, flip_bit, sigv4_headers

BOUND = 5.0            # a response (or the close) must come within this many seconds
CLOSE_GRACE = 0.5      # after a response, the connection must be closed within this
HEALTH_BOUND = 2.0
# Over maxHeaderBytes/maxHeaderCount: the task says 431, docs/api.md says "400 and close". Either, with a
# JSON body and the connection closed, or just the close.
HEADER_REFUSALS = (431, 400)

CANARY = "/hostile/canary"
CANARY_VALUE = "canary-" + uuid.uuid4().hex
SMUGGLED = "/hostile/smuggled"
PLAINTEXT = b"hostile-plaintext"
INT64_MAX = 2**63 - 1

# ---------------------------------------------------------------------------
# The daemon and what the cases need from it
# ---------------------------------------------------------------------------


class Ctx:
    """What setup made: a real ciphertext, paging tokens of several operations, leases, the token."""

    daemon: harness.Daemon
    creds: tuple[str, str]
    token: str
    key_id: str
    ct: bytes
    lease_unix: str
    lease_tcp: str
    path_token: str
    describe_token: str
    history_token: str
    keys_marker: str
    aliases_marker: str
    baseline: dict


def _ok(resp: harness.RawResponse) -> dict:
    assert resp.status in (200, 201), resp
    return resp.json()


def _health(d: harness.Daemon) -> dict:
    with UnixHTTP(d.socket_path, timeout=HEALTH_BOUND) as u:
        r = u.request("GET", "/health")
    assert r.status == 200, r
    return r.json()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Ctx:
    base = tmp_path_factory.mktemp("hostile")
    data = base / "data"
    data.mkdir()
    d = harness.Daemon(data, base / "logs")
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(f"could not start sealboxd:\n{e}", pytrace=False)
    c = Ctx()
    c.daemon = d
    c.creds = d.credentials()
    c.token = (data / "token").read_text().strip()
    with UnixHTTP(d.socket_path) as u:
        c.key_id = _ok(u.aws("TrentService.CreateKey", {"Description": "hostile"}))["KeyMetadata"]["KeyId"]
        _ok(u.aws("TrentService.CreateKey", {"Description": "hostile-2"}))
        _ok(u.aws("TrentService.CreateAlias", {"AliasName": "alias/hostile", "TargetKeyId": c.key_id}))
        enc = _ok(u.aws("TrentService.Encrypt", {"KeyId": c.key_id, "Plaintext": b64(PLAINTEXT)}))
        c.ct = base64.b64decode(enc["CiphertextBlob"])
        _ok(u.aws("AmazonSSM.PutParameter", {"Name": CANARY, "Value": CANARY_VALUE, "Type": "SecureString"}))
        for n in ("a", "b", "c"):
            _ok(u.aws("AmazonSSM.PutParameter", {"Name": f"/hostile/p/{n}", "Value": n, "Type": "String"}))
        _ok(u.aws("AmazonSSM.PutParameter", {"Name": "/hostile/p/a", "Value": "a2", "Type": "String",
                                             "Overwrite": True}))
        c.path_token = _ok(u.aws("AmazonSSM.GetParametersByPath",
                                 {"Path": "/hostile/p", "MaxResults": 1}))["NextToken"]
        c.describe_token = _ok(u.aws("AmazonSSM.DescribeParameters", {"MaxResults": 1}))["NextToken"]
        c.history_token = _ok(u.aws("AmazonSSM.GetParameterHistory",
                                    {"Name": "/hostile/p/a", "MaxResults": 1}))["NextToken"]
        c.keys_marker = _ok(u.aws("TrentService.ListKeys", {"Limit": 1}))["NextMarker"]
        c.aliases_marker = _ok(u.aws("TrentService.ListAliases", {"Limit": 1}))["NextMarker"]
        c.lease_unix = _ok(harness.native(u, "POST", "/v1/leases", {"name": CANARY}))["leaseId"]
    r = harness.tcp_request(d.port, None, json.dumps({"name": CANARY}).encode(), method="POST",
                            path="/v1/leases", extra_headers={"X-Aws-Parameters-Secrets-Token": c.token,
                                                              "Content-Type": "application/json"})
    c.lease_tcp = _ok(r)["leaseId"]
    h = _health(d)
    c.baseline = {"keys": h["keys"], "parameters": h["parameters"]}
    yield c
    d.terminate(timeout=10)
    d.kill9()


# ---------------------------------------------------------------------------
# Raw exchange
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    responses: list = field(default_factory=list)   # [(status, {header: value}, body)]
    closed: bool = False          # EOF or reset seen
    reset: bool = False
    elapsed: float = 0.0
    raw: bytes = b""
    send_error: str | None = None
    garbage: bool = False         # bytes that are not an HTTP response

    def describe(self) -> str:
        rs = [(s, b[:300]) for s, _, b in self.responses]
        return (f"responses={rs} closed={self.closed} reset={self.reset} elapsed={self.elapsed:.2f}s "
                f"send_error={self.send_error} raw={self.raw[:600]!r}")


def _parse_responses(buf: bytes) -> tuple[list, bool]:
    """Complete responses in buf, and whether something unparseable was seen."""
    out = []
    while buf:
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
        if not buf:
            break
        if not buf.startswith(b"HTTP/1."):
            return out, True
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, False
        lines = buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            return out, True
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        rest = buf[end + 4:]
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                nl = rest.find(b"\r\n")
                if nl < 0:
                    return out, False
                size = int(rest[:nl].split(b";")[0], 16)
                if len(rest) < nl + 2 + size + 2:
                    return out, False
                body += rest[nl + 2:nl + 2 + size]
                rest = rest[nl + 2 + size + 2:]
                if size == 0:
                    break
        else:
            n = int(headers.get("content-length", "0") or 0)
            if len(rest) < n:
                return out, False
            body, rest = rest[:n], rest[n:]
        out.append((status, headers, body))
        buf = rest
    return out, False


def exchange(c: Ctx, transport: str, data: bytes, *, shut: bool = False, bound: float = BOUND) -> Outcome:
    d = c.daemon
    if transport == "tcp":
        s = socket.create_connection(("127.0.0.1", d.port), timeout=bound)
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(bound)
        s.connect(str(d.socket_path))
    o = Outcome()

    def sender():
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError as e:
            o.send_error = repr(e)

    t = threading.Thread(target=sender, daemon=True)
    start = time.monotonic()
    deadline = start + bound
    t.start()
    buf = b""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([s], [], [], remaining)
            if not ready:
                break
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                o.closed = o.reset = True
                break
            except OSError as e:
                o.closed = True
                o.send_error = (o.send_error or "") + f" recv: {e!r}"
                break
            if not chunk:
                o.closed = True
                break
            buf += chunk
            responses, garbage = _parse_responses(buf)
            if responses and not o.responses:
                deadline = min(deadline, time.monotonic() + CLOSE_GRACE)
            o.responses = responses
            o.garbage = garbage
    finally:
        o.elapsed = time.monotonic() - start
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
        t.join(timeout=bound)
    o.raw = buf
    o.responses, o.garbage = _parse_responses(buf)
    return o


# ---------------------------------------------------------------------------
# Request builders
# ---------------------------------------------------------------------------

Builder = Callable[[Ctx, str], bytes]


def _val(x, c: Ctx):
    return x(c) if callable(x) else x


def _head(method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
    return (f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


def raw(data) -> Builder:
    """Exact bytes, the same on both transports."""
    return lambda c, transport: _val(data, c)


def aws(target, body, *, method: str = "POST", path: str = "/", extra: list | None = None) -> Builder:
    """An AWS JSON 1.1 call; on TCP SigV4-signed (service from the target's prefix) over the exact body."""
    def build(c: Ctx, transport: str) -> bytes:
        b = _val(body, c)
        if isinstance(b, (dict, list)):
            b = json.dumps(b).encode()
        t = _val(target, c)
        if transport == "tcp" and t is not None and method == "POST" and path == "/":
            service = "ssm" if t.startswith("AmazonSSM.") else "kms"
            h = sigv4_headers(c.creds[0], c.creds[1], f"127.0.0.1:{c.daemon.port}", t, b, service=service)
            headers = list(h.items())
        else:
            headers = [("Host", "localhost"), ("Content-Type", harness.JSON_CT)]
            if t is not None:
                headers.append(("X-Amz-Target", t))
        headers += list(extra or []) + [("Content-Length", str(len(b))), ("Connection", "close")]
        return _head(method, path, headers) + b
    return build


def native(method: str, path, body=b"", *, extra: list | None = None) -> Builder:
    """A native/extension call; on TCP with the extension token."""
    def build(c: Ctx, transport: str) -> bytes:
        b = _val(body, c)
        if isinstance(b, (dict, list)):
            b = json.dumps(b).encode()
        headers = [("Host", "localhost"), ("Content-Type", "application/json")]
        if transport == "tcp":
            headers.append(("X-Aws-Parameters-Secrets-Token", c.token))
        headers += list(extra or []) + [("Content-Length", str(len(b))), ("Connection", "close")]
        return _head(method, _val(path, c), headers) + b
    return build


# ---------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------


@dataclass
class Expect:
    kind: str                       # aws | native | proto | one_ok
    statuses: tuple = (400,)
    codes: tuple = ()
    ok: tuple = ()                  # success statuses also acceptable (documented caps)
    max_responses: int = 1          # more only where the input really holds several requests
    # NIO's response encoder frames no body on any answer to CONNECT (RFC 9110 makes a CONNECT answer
    # the start of a tunnel), so the refusal comes bodiless; closing the connection is what matters.
    body_optional: bool = False


def AWS(*codes, status: int = 400) -> Expect:
    return Expect("aws", (status,), codes)


def NATIVE(status, *codes, ok: tuple = ()) -> Expect:
    statuses = status if isinstance(status, tuple) else (status,)
    return Expect("native", statuses, codes, ok)


def PROTO(*statuses) -> Expect:
    return Expect("proto", statuses or (400,))


def ONE_OK(*ok) -> Expect:
    return Expect("one_ok", (400,), (), ok or (200,))


SER = "SerializationException"
VAL = "ValidationException"
SER_VAL = (SER, VAL)
BADCT = "InvalidCiphertextException"


@dataclass
class Case:
    id: str
    build: Builder
    expect: Expect
    tcp: bool = False       # also over TCP
    shut: bool = False      # half-close after sending (for truncated input)


def _json_error_body(body: bytes):
    try:
        doc = json.loads(body.decode("utf-8"))
    except Exception:  # noqa: BLE001
        return None
    return doc if isinstance(doc, dict) else None


def problems(case: Case, o: Outcome) -> list[str]:
    """Everything wrong with one outcome (empty when it is acceptable)."""
    e = case.expect
    out = []
    if o.garbage:
        out.append("the answer is not HTTP")
    if any(status >= 500 for status, _, _ in o.responses):
        out.append("a 5xx answer")
    if len(o.responses) > e.max_responses:
        out.append(f"{len(o.responses)} responses to one request: a second request was parsed out of this input")
    for status, _, _ in o.responses[1:e.max_responses]:
        if status not in e.ok:
            out.append(f"unexpected answer {status} to the follow-up request")
    if not o.responses:
        if not o.closed:
            out.append(f"no answer and the connection still open after {o.elapsed:.1f}s (a hang)")
        elif e.kind != "proto":
            out.append("the connection was closed without the documented answer")
        return out
    status, headers, body = o.responses[0]
    if not o.closed:
        out.append(f"answered {status} (Connection: {headers.get('connection')!r}) but did not close the "
                   f"connection within {CLOSE_GRACE}s")
    doc = _json_error_body(body)
    if e.kind == "one_ok":
        if status not in e.ok and not (400 <= status < 500 and doc is not None):
            out.append(f"expected {e.ok} or a JSON 4xx, got {status}")
        return out
    if status in e.ok:
        if doc is None:
            out.append("the success answer is not a JSON object")
        return out
    if status not in e.statuses:
        out.append(f"expected HTTP {e.statuses}, got {status}")
    if doc is None:
        if not (e.body_optional and not body):
            out.append(f"the {status} answer has no JSON error body ({len(body)} bytes: {body[:60]!r})")
        return out
    if not isinstance(doc.get("message"), str):
        out.append("no message in the error body")
    if e.kind == "aws":
        etype = str(doc.get("__type", "")).split("#")[-1]
        if etype not in e.codes:
            out.append(f"expected __type in {e.codes}, got {etype!r}")
        hdr = headers.get("x-amzn-errortype", "")
        if hdr.split(":")[0] != etype:
            out.append(f"X-Amzn-ErrorType {hdr!r} != __type {etype!r}")
    elif e.kind == "native":
        if doc.get("error") not in e.codes:
            out.append(f"expected error in {e.codes}, got {doc.get('error')!r}")
    elif "error" not in doc and "__type" not in doc:
        out.append("the JSON body is not an error object")
    return out


def check(case: Case, transport: str, sent: bytes, o: Outcome) -> None:
    found = problems(case, o)
    if found:
        shown = sent if len(sent) <= 400 else sent[:300] + b"..." + sent[-60:] + f" ({len(sent)} bytes)".encode()
        pytest.fail(f"[{transport}] {case.id}: " + "; ".join(found) + f"\nsent: {shown!r}\ngot: {o.describe()}",
                    pytrace=False)


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

SMUGGLED_BODY = json.dumps({"Name": SMUGGLED, "Value": "smuggled", "Type": "String"}).encode()
SMUGGLED_REQ = (b"POST / HTTP/1.1\r\nHost: sealbox\r\nX-Amz-Target: AmazonSSM.PutParameter\r\n"
                b"Content-Length: %d\r\n\r\n" % len(SMUGGLED_BODY)) + SMUGGLED_BODY
LIST = b"POST / HTTP/1.1\r\nHost: sealbox\r\nX-Amz-Target: TrentService.ListKeys\r\n"
HEALTH = b"GET /health HTTP/1.1\r\nHost: sealbox\r\n"


def chunked(head: bytes, body: bytes) -> bytes:
    return head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body


def ct_mut(fn) -> Callable[[Ctx], dict]:
    return lambda c: {"CiphertextBlob": b64(fn(c.ct))}


def deep_array(n: int) -> bytes:
    return b"[" * n + b"]" * n


def deep_object(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


def lease_path(suffix: str = "redeem", *, tcp: bool = False):
    return lambda c: f"/v1/leases/{c.lease_tcp if tcp else c.lease_unix}/{suffix}"


def ext(query: str) -> Builder:
    return native("GET", "/systemsmanager/parameters/get" + query)


SSM_NOT_FOUND = ("ParameterNotFound", "ParameterVersionNotFound", VAL)

CASES: list[Case] = [
    # -- request lines ------------------------------------------------------------------
    Case("garbage-request-line", raw(b"GARBAGE\r\n\r\n"), PROTO(), tcp=True),
    Case("binary-garbage", raw(bytes(range(256)) + b"\r\n\r\n"), PROTO(), tcp=True),
    Case("tls-client-hello", raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(32) + b"\r\n\r\n"),
         PROTO(), tcp=True),
    Case("truncated-request-line-then-eof", raw(b"GET /hea"), PROTO(), shut=True),
    Case("truncated-head-then-eof", raw(b"POST / HTTP/1.1\r\nHost: sealbox\r\nX-Amz-Tar"), PROTO(), shut=True),
    Case("request-line-without-version", raw(b"GET /health\r\n\r\n"), PROTO()),
    Case("request-line-method-only", raw(b"GET\r\n\r\n"), PROTO()),
    Case("request-line-tabs", raw(b"GET\t/health\tHTTP/1.1\r\nHost: x\r\n\r\n"), PROTO()),
    Case("request-line-nul-in-path", raw(b"GET /hea\x00lth HTTP/1.1\r\nHost: x\r\n\r\n"), PROTO(400, 404)),
    Case("request-line-ctl-in-path", raw(b"GET /health\x01\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), PROTO(400, 404)),
    Case("request-line-non-ascii-path", raw("GET /v1/leases/\u00e9\u00e9/redeem HTTP/1.1\r\nHost: x\r\n"
                                            "Connection: close\r\n\r\n".encode()), PROTO(400, 404)),
    Case("unknown-method", raw(b"BREW /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
         PROTO(400, 405, 404), tcp=True),
    Case("lowercase-method", raw(b"get /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
         PROTO(400, 405)),
    Case("method-10k-chars", raw(b"A" * 10000 + b" /health HTTP/1.1\r\nHost: x\r\n\r\n"), PROTO(400, 405, 431)),
    Case("bad-version-9.9", raw(b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n"), PROTO(), tcp=True),
    Case("bad-version-2.0", raw(b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), PROTO()),
    Case("bad-version-letters", raw(b"GET /health HTTP/x.y\r\nHost: x\r\n\r\n"), PROTO()),
    Case("bad-version-lowercase", raw(b"GET /health http/1.1\r\nHost: x\r\n\r\n"), PROTO()),
    Case("bad-version-no-minor", raw(b"GET /health HTTP/1\r\nHost: x\r\n\r\n"), PROTO()),
    Case("bad-version-not-http", raw(b"GET /health FTP/1.1\r\nHost: x\r\n\r\n"), PROTO()),
    Case("h2-preface", raw(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), PROTO(), tcp=True),
    Case("uri-100kb", raw(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), PROTO(400, 404, 414, 431),
         tcp=True),
    # -- headers ----------------------------------------------------------------------
    Case("header-value-100kb", raw(HEALTH + b"X-Big: " + b"a" * 100_000 + b"\r\nConnection: close\r\n\r\n"),
         PROTO(*HEADER_REFUSALS), tcp=True),
    Case("header-name-100kb", raw(HEALTH + b"X" * 100_000 + b": a\r\nConnection: close\r\n\r\n"),
         PROTO(*HEADER_REFUSALS)),
    Case("headers-5000", raw(HEALTH + b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
                             + b"Connection: close\r\n\r\n"), PROTO(*HEADER_REFUSALS), tcp=True),
    Case("headers-2000-same-name", raw(HEALTH + b"X-Amz-Target: a\r\n" * 2000 + b"Connection: close\r\n\r\n"),
         PROTO(*HEADER_REFUSALS)),
    Case("header-without-colon", raw(HEALTH + b"X-No-Colon\r\nConnection: close\r\n\r\n"), PROTO()),
    Case("header-space-before-colon", raw(HEALTH + b"Host : x\r\nConnection: close\r\n\r\n"), PROTO()),
    Case("header-nul-in-value", raw(HEALTH + b"X-A: a\x00b\r\nConnection: close\r\n\r\n"), PROTO()),
    Case("header-cr-in-value", raw(HEALTH + b"X-A: a\rb\r\nConnection: close\r\n\r\n"), PROTO()),
    Case("header-bad-name-chars", raw(HEALTH + b"X(A)@: b\r\nConnection: close\r\n\r\n"), PROTO()),
    Case("header-empty-name", raw(HEALTH + b": value\r\nConnection: close\r\n\r\n"), PROTO()),
    # -- Content-Length ----------------------------------------------------------------
    Case("content-length-negative", raw(LIST + b"Content-Length: -1\r\nConnection: close\r\n\r\n{}"), PROTO(),
         tcp=True),
    Case("content-length-non-numeric", raw(LIST + b"Content-Length: abc\r\nConnection: close\r\n\r\n{}"),
         PROTO(), tcp=True),
    Case("content-length-hex", raw(LIST + b"Content-Length: 0x2\r\nConnection: close\r\n\r\n{}"), PROTO()),
    Case("content-length-plus-sign", raw(LIST + b"Content-Length: +2\r\nConnection: close\r\n\r\n{}"), PROTO()),
    Case("content-length-float", raw(LIST + b"Content-Length: 2.0\r\nConnection: close\r\n\r\n{}"), PROTO()),
    Case("content-length-inner-space", raw(LIST + b"Content-Length: 1 0\r\nConnection: close\r\n\r\n{}"), PROTO()),
    Case("content-length-empty", raw(LIST + b"Content-Length: \r\nConnection: close\r\n\r\n{}"), PROTO()),
    Case("content-length-overflow", raw(LIST + b"Content-Length: 99999999999999999999999\r\nConnection: close"
                                        b"\r\n\r\n{}"), PROTO(400, 413), tcp=True),
    Case("content-length-2pow64", raw(LIST + b"Content-Length: 18446744073709551616\r\nConnection: close"
                                      b"\r\n\r\n{}"), PROTO(400, 413)),
    Case("content-length-int64-max", raw(LIST + b"Content-Length: 9223372036854775807\r\nConnection: close"
                                         b"\r\n\r\n{}"), AWS("RequestEntityTooLargeException", status=413)),
    Case("content-length-conflicting", raw(LIST + b"Content-Length: 2\r\nContent-Length: 3\r\n"
                                           b"Connection: close\r\n\r\n{} "), PROTO(), tcp=True),
    Case("content-length-list", raw(LIST + b"Content-Length: 2, 3\r\nConnection: close\r\n\r\n{} "), PROTO()),
    Case("content-length-longer-than-body-then-eof", raw(LIST + b"Content-Length: 100\r\n\r\n{}"), PROTO(),
         shut=True),
    Case("content-length-declared-10mb-no-body", raw(LIST + b"Content-Length: 10000000\r\nConnection: close"
                                                     b"\r\n\r\n"),
         AWS("RequestEntityTooLargeException", status=413), tcp=True),
    # -- bodies over the 64 KiB limit --------------------------------------------------
    Case("body-65537-bytes", aws("TrentService.Encrypt", lambda c: b'{"KeyId":"alias/hostile","Plaintext":"'
                                 + b"A" * (65537 - 39) + b'"}'),
         AWS("RequestEntityTooLargeException", status=413), tcp=True),
    Case("body-1mb", aws("AmazonSSM.PutParameter", lambda c: json.dumps(
        {"Name": "/hostile/huge", "Value": "v" * (1 << 20), "Type": "String"}).encode()),
         AWS("RequestEntityTooLargeException", status=413), tcp=True),
    Case("body-8mb-native", native("POST", "/v1/leases", b"{" + b" " * (8 << 20) + b"}"),
         NATIVE(413, "PayloadTooLarge"), tcp=True),
    Case("body-chunked-256kb", raw(chunked(LIST, (b"8000\r\n" + b"a" * 0x8000 + b"\r\n") * 8 + b"0\r\n\r\n")),
         AWS("RequestEntityTooLargeException", status=413), tcp=True),
    Case("body-chunked-size-int64-max", raw(chunked(LIST, b"7FFFFFFFFFFFFFFF\r\n" + b"a" * 70_000)),
         PROTO(400, 413)),
    # -- chunked encoding ---------------------------------------------------------------
    Case("chunked-bad-hex", raw(chunked(LIST, b"zz\r\n{}\r\n0\r\n\r\n")), PROTO(), tcp=True),
    Case("chunked-negative-size", raw(chunked(LIST, b"-2\r\n{}\r\n0\r\n\r\n")), PROTO()),
    Case("chunked-size-overflow", raw(chunked(LIST, b"FFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")), PROTO(400, 413),
         tcp=True),
    Case("chunked-missing-crlf-after-data", raw(chunked(LIST, b"2\r\n{}0\r\n\r\n")), PROTO()),
    Case("chunked-data-longer-than-size", raw(chunked(LIST, b"2\r\n{}xxxxx\r\n0\r\n\r\n")), PROTO()),
    Case("chunked-nul-extension", raw(chunked(LIST, b"2;\x00\r\n{}\r\n0\r\n\r\n")), PROTO()),
    Case("chunked-bad-trailer", raw(chunked(LIST, b"2\r\n{}\r\n0\r\nNo Colon Trailer\r\n\r\n")), PROTO()),
    Case("chunked-no-last-chunk-then-eof", raw(LIST + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"), PROTO(),
         shut=True),
    Case("transfer-encoding-gzip-only", raw(LIST + b"Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}"),
         PROTO()),
    Case("transfer-encoding-xchunked", raw(LIST + b"Transfer-Encoding: xchunked\r\nConnection: close\r\n\r\n"
                                           b"2\r\n{}\r\n0\r\n\r\n"), PROTO()),
    # -- request smuggling ----------------------------------------------------------------
    Case("smuggle-cl-te", raw(LIST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                              + SMUGGLED_REQ), PROTO(), tcp=True),
    Case("smuggle-te-cl", raw(LIST + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                              + b"%x\r\n" % (len(SMUGGLED_REQ) + 2) + b"{}" + SMUGGLED_REQ + b"\r\n0\r\n\r\n"),
         PROTO(), tcp=True),
    Case("smuggle-te-space-before-colon", raw(LIST + b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n"
                                              b"0\r\n\r\n" + SMUGGLED_REQ), PROTO()),
    Case("smuggle-te-vertical-tab", raw(LIST + b"Transfer-Encoding:\x0bchunked\r\nContent-Length: 5\r\n\r\n"
                                        b"0\r\n\r\n" + SMUGGLED_REQ), PROTO()),
    Case("smuggle-cl-zero-then-cl", raw(LIST + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n"
                                        % len(SMUGGLED_REQ) + SMUGGLED_REQ), PROTO()),
    Case("smuggle-pipelined-after-connection-close", raw(HEALTH + b"Connection: close\r\n\r\n" + SMUGGLED_REQ),
         ONE_OK(200), tcp=True),
    Case("smuggle-pipelined-after-chunked-413", raw(LIST + b"Transfer-Encoding: chunked\r\n\r\n"
                                                    + b"%x\r\n" % 70000 + b"x" * 70000 + b"\r\n0\r\n\r\n"
                                                    + SMUGGLED_REQ), ONE_OK(413), tcp=True),
    Case("smuggle-request-inside-get-body", raw(HEALTH + b"Connection: close\r\nContent-Length: %d\r\n\r\n"
                                                % len(SMUGGLED_REQ) + SMUGGLED_REQ), ONE_OK(200)),
    Case("smuggle-bare-lf-headers", raw(b"GET /health HTTP/1.1\r\nHost: x\nContent-Length: %d\r\n"
                                        b"Connection: close\r\n\r\n" % len(SMUGGLED_REQ) + SMUGGLED_REQ),
         ONE_OK(200)),
    Case("absolute-form-uri-to-root-rotate", raw(b"POST http://127.0.0.1/v1/root/rotate HTTP/1.1\r\nHost: x\r\n"
                                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n"),
         NATIVE((400, 404), "NotFound", "BadRequest")),
    Case("dot-segments-to-root-rotate", native("POST", "/v1/leases/../root/rotate"),
         NATIVE((400, 404), "NotFound", "BadRequest")),
    Case("encoded-dot-segments", native("GET", "/%2e%2e/%2e%2e/health"), NATIVE((400, 404), "NotFound")),
    # -- JSON bodies ------------------------------------------------------------------------
    Case("json-invalid-utf8-in-string", aws("AmazonSSM.GetParameter", b'{"Name":"/hostile/\xff\xfe"}'),
         AWS(*SER_VAL), tcp=True),
    Case("json-invalid-utf8-put-value", aws("AmazonSSM.PutParameter",
                                            b'{"Name":"/hostile/utf8","Value":"\xc3\x28","Type":"String"}'),
         AWS(*SER_VAL), tcp=True),
    Case("json-overlong-utf8-encoding", aws("AmazonSSM.PutParameter",
                                            b'{"Name":"/hostile/\xc0\xafetc","Value":"v","Type":"String"}'),
         AWS(*SER_VAL)),
    Case("json-lone-surrogate-in-name", aws("AmazonSSM.PutParameter",
                                            b'{"Name":"/hostile/\\ud800","Value":"v","Type":"String"}'),
         AWS(*SER_VAL)),
    Case("json-nested-arrays-10000", aws("TrentService.ListKeys", deep_array(10_000)), AWS(*SER_VAL), tcp=True),
    Case("json-nested-arrays-30000", aws("TrentService.ListKeys", deep_array(30_000)), AWS(*SER_VAL)),
    Case("json-nested-objects-10000", aws("AmazonSSM.GetParameter", deep_object(10_000)), AWS(*SER_VAL),
         tcp=True),
    Case("json-nested-in-member", aws("TrentService.Encrypt", b'{"KeyId":"alias/hostile","EncryptionContext":'
                                      + deep_object(10_000) + b',"Plaintext":"YQ=="}'), AWS(*SER_VAL)),
    Case("json-truncated", aws("TrentService.Encrypt", b'{"KeyId": "alias/hostile", "Plaintext": '),
         AWS(SER), tcp=True),
    Case("json-not-object-array", aws("AmazonSSM.GetParameter", b"[1,2,3]"), AWS(*SER_VAL)),
    Case("json-not-object-null", aws("TrentService.Decrypt", b"null"), AWS(*SER_VAL)),
    Case("json-not-object-string", aws("TrentService.Decrypt", b'"CiphertextBlob"'), AWS(*SER_VAL)),
    Case("json-nul-byte-raw", aws("AmazonSSM.GetParameter", b'{"Name":"/hostile/\x00"}'), AWS(*SER_VAL)),
    Case("json-trailing-garbage", aws("TrentService.ListKeys", b'{}{"Limit":1}'), AWS(SER)),
    # -- empty bodies ---------------------------------------------------------------------------
    Case("empty-body-encrypt", aws("TrentService.Encrypt", b""), AWS(VAL), tcp=True),
    Case("empty-body-decrypt", aws("TrentService.Decrypt", b""), AWS(VAL)),
    Case("empty-body-put-parameter", aws("AmazonSSM.PutParameter", b""), AWS(VAL), tcp=True),
    Case("empty-body-get-parameter", aws("AmazonSSM.GetParameter", b""), AWS(VAL)),
    # -- wrong field types, KMS -------------------------------------------------------------
    Case("kms-limit-bool", aws("TrentService.ListKeys", {"Limit": True}), AWS(*SER_VAL)),
    Case("kms-limit-float", aws("TrentService.ListKeys", {"Limit": 1.5}), AWS(*SER_VAL)),
    Case("kms-limit-1e400", aws("TrentService.ListKeys", b'{"Limit": 1e400}'), AWS(*SER_VAL), tcp=True),
    Case("kms-limit-2pow70", aws("TrentService.ListKeys", b'{"Limit": %d}' % 2**70), AWS(*SER_VAL)),
    Case("kms-limit-negative", aws("TrentService.ListKeys", {"Limit": -1}), AWS(VAL)),
    Case("kms-keyid-number", aws("TrentService.Encrypt", {"KeyId": 123, "Plaintext": "YQ=="}), AWS(*SER_VAL)),
    Case("kms-plaintext-object", aws("TrentService.Encrypt", {"KeyId": "alias/hostile", "Plaintext": {}}),
         AWS(*SER_VAL), tcp=True),
    Case("kms-plaintext-bad-base64", aws("TrentService.Encrypt", {"KeyId": "alias/hostile", "Plaintext": "***"}),
         AWS(*SER_VAL)),
    Case("kms-context-not-map", aws("TrentService.Encrypt", {"KeyId": "alias/hostile", "Plaintext": "YQ==",
                                                             "EncryptionContext": "a=b"}), AWS(*SER_VAL)),
    Case("kms-context-value-number", aws("TrentService.Encrypt", {"KeyId": "alias/hostile", "Plaintext": "YQ==",
                                                                  "EncryptionContext": {"a": 1}}), AWS(*SER_VAL)),
    Case("kms-generate-random-string", aws("TrentService.GenerateRandom", {"NumberOfBytes": "8"}), AWS(*SER_VAL)),
    Case("kms-generate-random-2pow70", aws("TrentService.GenerateRandom", b'{"NumberOfBytes": %d}' % 2**70),
         AWS(*SER_VAL), tcp=True),
    Case("kms-generate-random-1e400", aws("TrentService.GenerateRandom", b'{"NumberOfBytes": 1e400}'),
         AWS(*SER_VAL)),
    Case("kms-generate-random-int64-min", aws("TrentService.GenerateRandom", b'{"NumberOfBytes": %d}' % -2**63),
         AWS(VAL)),
    Case("kms-generate-data-key-int64-max", aws("TrentService.GenerateDataKey",
                                                {"KeyId": "alias/hostile", "NumberOfBytes": INT64_MAX}),
         AWS(VAL)),
    Case("kms-create-key-tags-string", aws("TrentService.CreateKey", {"Tags": "a=b"}), AWS(*SER_VAL)),
    Case("kms-create-key-description-number", aws("TrentService.CreateKey", {"Description": 5}), AWS(*SER_VAL),
         tcp=True),
    Case("kms-create-key-bad-key-spec", aws("TrentService.CreateKey", {"KeySpec": {"x": 1}}), AWS(*SER_VAL)),
    # -- ciphertexts ------------------------------------------------------------------------------
    Case("ct-bad-base64", aws("TrentService.Decrypt", {"CiphertextBlob": "***not base64***"}), AWS(*SER_VAL),
         tcp=True),
    Case("ct-base64-with-nul", aws("TrentService.Decrypt", {"CiphertextBlob": "AAAA\u0000AAAA"}),
         AWS(SER, VAL, BADCT)),
    Case("ct-number", aws("TrentService.Decrypt", {"CiphertextBlob": 5}), AWS(*SER_VAL)),
    Case("ct-empty", aws("TrentService.Decrypt", {"CiphertextBlob": ""}), AWS(VAL, BADCT)),
    Case("ct-one-byte", aws("TrentService.Decrypt", {"CiphertextBlob": b64(b"\x01")}), AWS(BADCT), tcp=True),
    Case("ct-header-only", aws("TrentService.Decrypt", ct_mut(lambda ct: ct[:53])), AWS(BADCT)),
    Case("ct-truncated-by-one", aws("TrentService.Decrypt", ct_mut(lambda ct: ct[:-1])), AWS(BADCT), tcp=True),
    Case("ct-extended-by-one", aws("TrentService.Decrypt", ct_mut(lambda ct: ct + b"\x00")), AWS(BADCT)),
    Case("ct-flip-version-byte", aws("TrentService.Decrypt", ct_mut(lambda ct: b"\x02" + ct[1:])), AWS(BADCT)),
    Case("ct-version-0xff", aws("TrentService.Decrypt", ct_mut(lambda ct: b"\xff" + ct[1:])), AWS(BADCT)),
    Case("ct-flip-key-id", aws("TrentService.Decrypt", ct_mut(lambda ct: flip_bit(ct, 5))), AWS(BADCT),
         tcp=True),
    Case("ct-key-version-max", aws("TrentService.Decrypt",
                                   ct_mut(lambda ct: ct[:17] + b"\xff\xff\xff\xff" + ct[21:])), AWS(BADCT)),
    Case("ct-key-version-zero", aws("TrentService.Decrypt",
                                    ct_mut(lambda ct: ct[:17] + b"\x00\x00\x00\x00" + ct[21:])), AWS(BADCT)),
    Case("ct-flip-timestamp", aws("TrentService.Decrypt", ct_mut(lambda ct: flip_bit(ct, 25))), AWS(BADCT)),
    Case("ct-flip-nonce", aws("TrentService.Decrypt", ct_mut(lambda ct: flip_bit(ct, 40))), AWS(BADCT)),
    Case("ct-flip-tag", aws("TrentService.Decrypt", ct_mut(lambda ct: flip_bit(ct, 60, 7))), AWS(BADCT),
         tcp=True),
    Case("ct-flip-last-byte", aws("TrentService.Decrypt", ct_mut(lambda ct: flip_bit(ct, len(ct) - 1))),
         AWS(BADCT)),
    Case("ct-forged-random-body", aws("TrentService.Decrypt", ct_mut(lambda ct: ct[:53] + bytes(len(ct) - 53))),
         AWS(BADCT)),
    Case("ct-unknown-key-id", aws("TrentService.Decrypt", ct_mut(lambda ct: ct[:1] + uuid.uuid4().bytes
                                                                + ct[17:])), AWS(BADCT)),
    Case("ct-6kb-garbage", aws("TrentService.Decrypt", {"CiphertextBlob": b64(b"\x01" * 7000)}), AWS(VAL, BADCT)),
    Case("ct-wrong-context", aws("TrentService.Decrypt", lambda c: {"CiphertextBlob": b64(c.ct),
                                                                     "EncryptionContext": {"a": "b"}}), AWS(BADCT)),
    Case("ct-reencrypt-tampered", aws("TrentService.ReEncrypt", lambda c: {
        "CiphertextBlob": b64(flip_bit(c.ct, 60)), "DestinationKeyId": "alias/hostile"}), AWS(BADCT), tcp=True),
    # -- paging tokens --------------------------------------------------------------------------------
    Case("marker-garbage", aws("TrentService.ListKeys", {"Marker": "garbage"}), AWS("InvalidMarkerException"),
         tcp=True),
    Case("marker-from-list-aliases", aws("TrentService.ListKeys", lambda c: {"Marker": c.aliases_marker}),
         AWS("InvalidMarkerException")),
    Case("marker-from-list-keys-on-aliases", aws("TrentService.ListAliases", lambda c: {"Marker": c.keys_marker}),
         AWS("InvalidMarkerException")),
    Case("marker-ssm-token-on-kms", aws("TrentService.ListKeys", lambda c: {"Marker": c.path_token}),
         AWS("InvalidMarkerException")),
    Case("marker-flipped-mac", aws("TrentService.ListKeys", lambda c: {
        "Marker": c.keys_marker[:-2] + ("AA" if c.keys_marker[-2:] != "AA" else "BB")}),
         AWS("InvalidMarkerException")),
    Case("next-token-garbage", aws("AmazonSSM.GetParametersByPath", {"Path": "/hostile/p", "NextToken": "x" * 2000}),
         AWS("InvalidNextToken"), tcp=True),
    Case("next-token-from-describe-on-path", aws("AmazonSSM.GetParametersByPath", lambda c: {
        "Path": "/hostile/p", "NextToken": c.describe_token}), AWS("InvalidNextToken")),
    Case("next-token-from-path-on-describe", aws("AmazonSSM.DescribeParameters",
                                                 lambda c: {"NextToken": c.path_token}), AWS("InvalidNextToken"),
         tcp=True),
    Case("next-token-from-history-on-describe", aws("AmazonSSM.DescribeParameters",
                                                    lambda c: {"NextToken": c.history_token}),
         AWS("InvalidNextToken")),
    Case("next-token-kms-marker-on-history", aws("AmazonSSM.GetParameterHistory", lambda c: {
        "Name": "/hostile/p/a", "NextToken": c.keys_marker}), AWS("InvalidNextToken")),
    Case("next-token-number", aws("AmazonSSM.DescribeParameters", {"NextToken": 5}), AWS(*SER_VAL)),
    # -- targets ------------------------------------------------------------------------------------------
    Case("target-unknown-operation", aws("TrentService.NoSuchOperation", b"{}"), AWS("UnknownOperationException"),
         tcp=True),
    Case("target-unknown-service", aws("NoSuchService.ListKeys", b"{}"), AWS("UnknownOperationException")),
    Case("target-empty-operation", aws("TrentService.", b"{}"), AWS("UnknownOperationException")),
    Case("target-no-dot", aws("TrentService", b"{}"), AWS("UnknownOperationException")),
    Case("target-lowercase", aws("trentservice.listkeys", b"{}"), AWS("UnknownOperationException")),
    Case("target-10kb", aws("TrentService." + "A" * 10_000, b"{}"), AWS("UnknownOperationException")),
    Case("target-missing", aws(None, b"{}"), AWS("UnknownOperationException"), tcp=True),
    Case("target-on-get", aws("TrentService.ListKeys", b"", method="GET"), AWS("UnknownOperationException")),
    # -- SSM wrong types, names, huge numbers ----------------------------------------------------------
    Case("ssm-name-number", aws("AmazonSSM.GetParameter", {"Name": 5}), AWS(*SER_VAL), tcp=True),
    Case("ssm-put-value-number", aws("AmazonSSM.PutParameter", {"Name": "/hostile/x", "Value": 5,
                                                                "Type": "String"}), AWS(*SER_VAL)),
    Case("ssm-put-type-bogus", aws("AmazonSSM.PutParameter", {"Name": "/hostile/x", "Value": "v",
                                                              "Type": "Bogus"}), AWS(VAL)),
    Case("ssm-put-overwrite-string", aws("AmazonSSM.PutParameter", {"Name": "/hostile/x", "Value": "v",
                                                                    "Type": "String", "Overwrite": "yes"}),
         AWS(*SER_VAL)),
    Case("ssm-with-decryption-string", aws("AmazonSSM.GetParameter", {"Name": CANARY, "WithDecryption": "true"}),
         AWS(*SER_VAL), tcp=True),
    Case("ssm-names-string", aws("AmazonSSM.GetParameters", {"Names": CANARY}), AWS(*SER_VAL)),
    Case("ssm-names-numbers", aws("AmazonSSM.GetParameters", {"Names": [1, 2]}), AWS(*SER_VAL)),
    Case("ssm-max-results-2pow70", aws("AmazonSSM.GetParametersByPath", b'{"Path":"/hostile","MaxResults":%d}'
                                       % 2**70), AWS(*SER_VAL), tcp=True),
    Case("ssm-max-results-1e400", aws("AmazonSSM.DescribeParameters", b'{"MaxResults":1e400}'), AWS(*SER_VAL)),
    Case("ssm-filters-string", aws("AmazonSSM.DescribeParameters", {"ParameterFilters": "Name=x"}), AWS(*SER_VAL)),
    Case("ssm-delete-name-object", aws("AmazonSSM.DeleteParameter", {"Name": {"$ne": ""}}), AWS(*SER_VAL)),
    Case("ssm-delete-names-wildcard", aws("AmazonSSM.DeleteParameters", {"Names": ["*"]}),
         # DeleteParameters reports unknown names in InvalidParameters with a 200; "*" must not match anything.
         Expect("aws", (400,), (VAL,), ok=(200,))),
    Case("ssm-name-path-traversal", aws("AmazonSSM.GetParameter", {"Name": "/hostile/../../etc/passwd"}),
         AWS(*SSM_NOT_FOUND), tcp=True),
    # "." is a legal name character: a dot-dot name is just another name, and must never reach the canary.
    Case("ssm-delete-name-path-traversal", aws("AmazonSSM.DeleteParameter", {"Name": "/hostile/p/../canary"}),
         AWS(*SSM_NOT_FOUND)),
    Case("ssm-label-path-traversal", aws("AmazonSSM.LabelParameterVersion", {
        "Name": "/hostile/p/../../hostile/canary", "ParameterVersion": 1, "Labels": ["x"]}), AWS(*SSM_NOT_FOUND)),
    Case("ssm-name-nul", aws("AmazonSSM.GetParameter", {"Name": CANARY + "\u0000"}), AWS(*SSM_NOT_FOUND)),
    Case("ssm-put-name-nul", aws("AmazonSSM.PutParameter", {"Name": "/hostile/\u0000x", "Value": "x",
                                                            "Type": "String"}), AWS(VAL), tcp=True),
    Case("ssm-put-canary-name-nul-suffix", aws("AmazonSSM.PutParameter", {"Name": CANARY + "\u0000", "Value": "x",
                                                                          "Type": "String", "Overwrite": True}),
         AWS(VAL)),
    Case("ssm-selector-version-2pow70", aws("AmazonSSM.GetParameter", {"Name": CANARY + ":%d" % 2**70}),
         AWS(*SSM_NOT_FOUND)),
    Case("ssm-selector-negative-version", aws("AmazonSSM.GetParameter", {"Name": CANARY + ":-1"}),
         AWS(*SSM_NOT_FOUND)),
    Case("ssm-history-name-8kb", aws("AmazonSSM.GetParameterHistory", {"Name": "/" + "a" * 8000}),
         AWS(*SSM_NOT_FOUND)),
    # -- leases --------------------------------------------------------------------------------------------
    Case("lease-ttl-negative", native("POST", "/v1/leases", {"name": CANARY, "ttlSeconds": -1}),
         NATIVE(400, "BadRequest"), tcp=True),
    Case("lease-ttl-string", native("POST", "/v1/leases", {"name": CANARY, "ttlSeconds": "300"}),
         NATIVE(400, "BadRequest"), tcp=True),
    Case("lease-ttl-2pow70", native("POST", "/v1/leases", b'{"name":"%s","ttlSeconds":%d}' % (CANARY.encode(), 2**70)),
         NATIVE(400, "BadRequest")),
    Case("lease-ttl-1e400", native("POST", "/v1/leases", b'{"name":"%s","ttlSeconds":1e400}' % CANARY.encode()),
         NATIVE(400, "BadRequest")),
    Case("lease-ttl-int64-min", native("POST", "/v1/leases", {"name": CANARY, "ttlSeconds": -2**63}),
         NATIVE(400, "BadRequest")),
    # Within Int64 a huge TTL is documented to be capped at maxTtlSeconds: 201 is the documented answer.
    Case("lease-ttl-int64-max", native("POST", "/v1/leases", {"name": CANARY, "ttlSeconds": INT64_MAX}),
         NATIVE(400, "BadRequest", ok=(201,)), tcp=True),
    Case("lease-ttl-float", native("POST", "/v1/leases", {"name": CANARY, "ttlSeconds": 1.5}),
         NATIVE(400, "BadRequest")),
    Case("lease-max-uses-2pow70", native("POST", "/v1/leases", b'{"name":"%s","maxUses":%d}'
                                         % (CANARY.encode(), 2**70)), NATIVE(400, "BadRequest")),
    Case("lease-name-traversal", native("POST", "/v1/leases", {"name": "/hostile/../../etc/passwd"}),
         NATIVE((400, 404), "BadRequest", "ParameterNotFound"), tcp=True),
    Case("lease-name-nul", native("POST", "/v1/leases", {"name": CANARY + "\u0000"}),
         NATIVE((400, 404), "BadRequest", "ParameterNotFound")),
    Case("lease-name-number", native("POST", "/v1/leases", {"name": 5}), NATIVE(400, "BadRequest")),
    Case("lease-body-deep-nesting", native("POST", "/v1/leases", deep_array(20_000)), NATIVE(400, "BadRequest"),
         tcp=True),
    Case("lease-body-invalid-utf8", native("POST", "/v1/leases", b'{"name":"/hostile/\xff"}'),
         NATIVE((400, 404), "BadRequest", "ParameterNotFound")),
    Case("lease-renew-ttl-negative", native("POST", lease_path("renew"), {"ttlSeconds": -5}),
         NATIVE(400, "BadRequest")),
    Case("lease-renew-ttl-string", native("POST", lease_path("renew"), {"ttlSeconds": "x"}),
         NATIVE(400, "BadRequest")),
    Case("lease-renew-ttl-1e400", native("POST", lease_path("renew"), b'{"ttlSeconds":1e400}'),
         NATIVE(400, "BadRequest")),
    Case("lease-renew-ttl-int64-max", native("POST", lease_path("renew"), {"ttlSeconds": INT64_MAX}),
         NATIVE(400, "BadRequest", ok=(200,))),
    Case("lease-renew-tcp-ttl-2pow70", native("POST", lease_path("renew", tcp=True),
                                              b'{"ttlSeconds":%d}' % 2**70), NATIVE(400, "BadRequest"), tcp=True),
    Case("lease-id-garbage", native("POST", "/v1/leases/not-a-lease/redeem"), NATIVE(404, "LeaseNotFound"),
         tcp=True),
    Case("lease-id-10kb", native("POST", "/v1/leases/" + "a" * 10_000 + "/redeem"), NATIVE(404, "LeaseNotFound")),
    Case("lease-id-percent-nul", native("POST", "/v1/leases/%00/redeem"), NATIVE(404, "LeaseNotFound")),
    Case("lease-id-dot-dot", native("POST", "/v1/leases/../redeem"), NATIVE(404, "LeaseNotFound", "NotFound")),
    Case("lease-id-encoded-slash", native("DELETE", "/v1/leases/%2F..%2F..%2Fhealth"),
         NATIVE(404, "LeaseNotFound")),
    Case("lease-id-empty-segment", native("POST", "/v1/leases//redeem"), NATIVE(404, "NotFound", "LeaseNotFound")),
    Case("lease-delete-unknown", native("DELETE", "/v1/leases/0123456789abcdef0123456789abcdef"),
         NATIVE(404, "LeaseNotFound"), tcp=True),
    Case("lease-revoke-empty-prefix", native("POST", "/v1/leases/revoke", {"prefix": ""}),
         NATIVE(400, "BadRequest")),
    # -- the extension API's query string -------------------------------------------------------------
    Case("ext-no-query", ext(""), AWS(VAL), tcp=True),
    Case("ext-empty-name", ext("?name="), AWS(VAL), tcp=True),
    Case("ext-only-ampersands", ext("?&&&==&="), AWS(VAL)),
    Case("ext-bad-percent", ext("?name=%ZZ%"), AWS(*SSM_NOT_FOUND)),
    Case("ext-percent-nul", ext("?name=%2Fhostile%2Fcanary%00"), AWS(*SSM_NOT_FOUND), tcp=True),
    Case("ext-path-traversal", ext("?name=..%2F..%2Fetc%2Fpasswd"), AWS(*SSM_NOT_FOUND)),
    Case("ext-version-not-number", ext(f"?name={CANARY}&version=abc"), AWS(*SSM_NOT_FOUND)),
    Case("ext-version-2pow70", ext(f"?name={CANARY}&version={2**70}"), AWS(*SSM_NOT_FOUND), tcp=True),
    Case("ext-version-and-label", ext(f"?name={CANARY}&version=1&label=x"), AWS(VAL)),
    Case("ext-1000-params", ext("?" + "&".join(f"p{i}=v" for i in range(1000))), AWS(VAL)),
    Case("ext-invalid-utf8-escape", ext("?name=%2Fhostile%2F%FF%FE"), AWS(*SSM_NOT_FOUND)),
    Case("ext-selector-in-name", ext("?name=%2Fhostile%2Fcanary%3A999"), AWS(*SSM_NOT_FOUND)),
    # -- bad methods on every native endpoint ------------------------------------------------------------
    Case("method-post-health", native("POST", "/health"), NATIVE(405, "MethodNotAllowed"), tcp=True),
    Case("method-delete-health", native("DELETE", "/health"), NATIVE(405, "MethodNotAllowed")),
    Case("method-post-extension", native("POST", f"/systemsmanager/parameters/get?name={CANARY}"),
         NATIVE(405, "MethodNotAllowed"), tcp=True),
    Case("method-put-leases", native("PUT", "/v1/leases", {"name": CANARY}), NATIVE((404, 405), "NotFound",
                                                                                  "MethodNotAllowed"), tcp=True),
    Case("method-delete-leases", native("DELETE", "/v1/leases"), NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-get-revoke", native("GET", "/v1/leases/revoke"), NATIVE((404, 405), "NotFound", "MethodNotAllowed",
                                                                         "LeaseNotFound")),
    Case("method-get-redeem", native("GET", lease_path("redeem")), NATIVE((404, 405), "NotFound",
                                                                          "MethodNotAllowed")),
    Case("method-patch-lease", native("PATCH", lease_path("renew")), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed")),
    Case("method-post-status", native("POST", "/v1/status"), NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-delete-audit", native("DELETE", "/v1/audit"), NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-get-audit-verify", native("GET", "/v1/audit/verify"), NATIVE((404, 405), "NotFound",
                                                                              "MethodNotAllowed")),
    Case("method-get-keys-rewrap", native("GET", "/v1/keys/rewrap"), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed")),
    Case("method-put-keys-retire", native("PUT", "/v1/keys/retire", {"keyId": "x", "belowVersion": 9}),
         NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-get-root-rotate", native("GET", "/v1/root/rotate"), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed")),
    Case("method-put-root-rotate", native("PUT", "/v1/root/rotate"), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed"), tcp=True),
    Case("method-get-env-encrypt", native("GET", "/v1/env/encrypt"), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed")),
    Case("method-delete-env-decrypt", native("DELETE", "/v1/env/decrypt"), NATIVE((404, 405), "NotFound",
                                                                                  "MethodNotAllowed")),
    Case("method-get-env-rewrap", native("GET", "/v1/env/rewrap"), NATIVE((404, 405), "NotFound",
                                                                          "MethodNotAllowed")),
    Case("method-post-backup", native("POST", "/v1/backup"), NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-delete-backup", native("DELETE", "/v1/backup"), NATIVE((404, 405), "NotFound",
                                                                        "MethodNotAllowed")),
    Case("method-post-metrics", native("POST", "/metrics"), NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-put-test-calls", native("PUT", "/v1/test/calls"), NATIVE((404, 405), "NotFound",
                                                                          "MethodNotAllowed")),
    Case("method-get-test-inspect", native("GET", "/v1/test/inspect"), NATIVE((404, 405), "NotFound",
                                                                              "MethodNotAllowed")),
    Case("method-delete-fixtures", native("DELETE", "/v1/fixtures"), NATIVE((404, 405), "NotFound",
                                                                            "MethodNotAllowed")),
    Case("method-post-moto-reset-persistent", native("POST", "/moto-api/reset"), NATIVE(404, "NotFound"),
         tcp=True),
    Case("method-delete-root", aws("TrentService.ListKeys", b"", method="DELETE"), AWS("UnknownOperationException"),
         tcp=True),
    Case("method-options-asterisk", raw(b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
         NATIVE((404, 405), "NotFound", "MethodNotAllowed")),
    Case("method-trace", raw(b"TRACE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
         NATIVE(405, "MethodNotAllowed")),
    Case("method-connect", raw(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n"),
         Expect("proto", (405,), body_optional=True), tcp=True),
    # Without Connection: close: the answer must still be framed, and the connection must not turn into a
    # tunnel that swallows the next request.
    Case("method-connect-keep-alive", raw(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n"
                                          b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
         Expect("proto", (405,), ok=(200,), max_responses=2, body_optional=True)),
]

PARAMS = []
for _case in CASES:
    PARAMS.append(pytest.param(_case, "unix", id=f"unix-{_case.id}"))
    if _case.tcp:
        PARAMS.append(pytest.param(_case, "tcp", id=f"tcp-{_case.id}"))

_ids = [p.id for p in PARAMS]
assert len(_ids) == len(set(_ids)), "case ids must be unique"


def test_the_table_is_large_enough():
    assert len(PARAMS) >= 110, len(PARAMS)
    assert sum(1 for p in PARAMS if p.values[1] == "tcp") >= 30


def assert_healthy(c: Ctx, after: str) -> None:
    d = c.daemon
    assert d.running(), f"sealboxd died after {after} (status {d.proc.returncode})\n{d.logs(tail=30)}"
    t0 = time.monotonic()
    try:
        h = _health(d)
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"GET /health on a fresh connection failed after {after}: {e!r}\n{d.logs(tail=30)}",
                    pytrace=False)
    assert h.get("status") == "ok", h
    assert time.monotonic() - t0 < HEALTH_BOUND


@pytest.mark.parametrize("case,transport", PARAMS)
def test_hostile(ctx, case: Case, transport: str):
    sent = case.build(ctx, transport)
    try:
        o = exchange(ctx, transport, sent, shut=case.shut)
        check(case, transport, sent, o)
    finally:
        assert_healthy(ctx, f"[{transport}] {case.id}")


def test_zz_no_state_changed(ctx):
    """Runs last (file order): nothing in the table created, changed or deleted anything."""
    h = _health(ctx.daemon)
    assert {"keys": h["keys"], "parameters": h["parameters"]} == ctx.baseline, (h, ctx.baseline)
    with UnixHTTP(ctx.daemon.socket_path) as u:
        r = u.aws("AmazonSSM.GetParameter", {"Name": CANARY, "WithDecryption": True})
        assert r.status == 200 and r.json()["Parameter"]["Value"] == CANARY_VALUE, r
        assert r.json()["Parameter"]["Version"] == 1, r
        r = u.aws("TrentService.Decrypt", {"CiphertextBlob": b64(ctx.ct)})
        assert r.status == 200 and base64.b64decode(r.json()["Plaintext"]) == PLAINTEXT, r
        r = u.aws("AmazonSSM.GetParameter", {"Name": SMUGGLED})
        assert r.status == 400 and r.json()["__type"] == "ParameterNotFound", f"smuggled write happened: {r!r}"
        r = u.aws("AmazonSSM.GetParametersByPath", {"Path": "/hostile", "Recursive": True})
        names = sorted(p["Name"] for p in r.json()["Parameters"])
        assert names == sorted([CANARY, "/hostile/p/a", "/hostile/p/b", "/hostile/p/c"]), names
        r = harness.native(u, "POST", f"/v1/leases/{ctx.lease_unix}/redeem")
        assert r.status == 200 and r.json()["value"] == CANARY_VALUE, r
