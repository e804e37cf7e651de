"""Helpers for the Sealbox conformance suite: starting daemons, raw HTTP over
TCP and over the Unix socket, an independent SigV4 signer, assertions.

Nothing here talks to anything but 127.0.0.1 and local Unix sockets.
"""

from __future__ import annotations

import base64
import configparser
import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
JSON_CT = "application/x-amz-json-1.1"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
VALIDATION_PREFIX = "1 validation error detected: Value"
START_TIMEOUT = 15.0


def daemon_binary() -> Path:
    return Path(os.environ.get("SEALBOXD") or REPO / ".build" / "debug" / "sealboxd")


def vectors_binary() -> Path:
    return Path(os.environ.get("SEALBOX_VECTORS") or REPO / ".build" / "debug" / "sealbox-vectors")


def aws_argv() -> list[str]:
    """The AWS CLI: `aws` on PATH, else the awscli module of this Python."""
    exe = shutil.which("aws")
    if exe:
        return [exe]
    try:
        import awscli  # noqa: F401
    except ImportError:
        import pytest
        pytest.fail("the AWS CLI is not installed (`pip install awscli`, or put `aws` on PATH)", pytrace=False)
    return [sys.executable, "-m", "awscli"]


def aws_cli(endpoint: str, access_key: str, secret_key: str, *args: str, region: str = REGION,
            home: Path | None = None) -> subprocess.CompletedProcess:
    """Runs the AWS CLI against `endpoint` with these credentials; JSON output, no pager."""
    env = clean_env()
    env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key, "AWS_PAGER": "",
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    if home is not None:
        env["HOME"] = str(home)
    argv = aws_argv() + ["--region", region, "--endpoint-url", endpoint, "--output", "json", *args]
    return subprocess.run(argv, env=env, capture_output=True, timeout=60)


def accounts_config(directory: Path, keys: list[tuple[str, str, str | None]]) -> tuple[str, dict]:
    """A config of access keys, each `(principal, key id, account or None for the daemon's)`, whose
    policy lets root and every key do everything; and each principal's `(key id, secret)`."""
    entries, secrets = [], {}
    principals = ['"uid:0"']
    for name, key_id, account in keys:
        secret = directory / f"{name}.secret"
        secret.write_text(f"{name}-secret-for-the-suite\n")
        secret.chmod(0o600)
        secrets[name] = (key_id, f"{name}-secret-for-the-suite")
        extra = f", account: '{account}'" if account else ""
        entries.append(f"  - {{id: {key_id}, secretFile: {secret}, principal: {name}{extra}}}")
        principals.append(f'"access-key:{name}"')
    config = "accessKeys:\n" + "\n".join(entries) + f"""
policy:
  - principals: [{", ".join(principals)}]
    allow: ["*"]
    resources: ["*"]
"""
    return config, secrets


def accounts_daemon(directory: Path, keys: list[tuple[str, str, str | None]]) -> tuple["Daemon", dict]:
    """A started daemon whose config is accounts_config(directory, keys), and each principal's
    `(key id, secret)`."""
    text, secrets = accounts_config(directory, keys)
    config = directory / "sealbox.yaml"
    config.write_text(text)
    data = directory / "data"
    data.mkdir(mode=0o700)
    return Daemon(data, directory / "logs", extra_args=["--config", str(config)]).start(), secrets


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def key_arn(key_id: str, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def alias_arn(alias_name: str, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:{alias_name}"


def parameter_arn(name: str, region: str = REGION) -> str:
    """AWS-WIRE.md: arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>."""
    return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name[1:] if name.startswith('/') else name}"


def clean_env() -> dict:
    """Environment for child processes: no SEALBOX_* (they map to daemon flags),
    no AWS_* credentials/config from the developer's shell, no proxies."""
    env = {}
    for k, v in os.environ.items():
        ku = k.upper()
        if ku.startswith("SEALBOX_") or ku.startswith("AWS_"):
            continue
        if ku in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
            continue
        env[k] = v
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["no_proxy"] = "127.0.0.1,localhost"
    return env


# ---------------------------------------------------------------------------
# Daemon process management
# ---------------------------------------------------------------------------


class DaemonStartError(RuntimeError):
    pass


class Daemon:
    """One sealboxd process. stderr/stdout go to files in `log_dir`."""

    _counter = 0

    def __init__(self, data_dir: Path, log_dir: Path, *, ephemeral: bool = False,
                 socket_path: Path | None = None, extra_args: list[str] | None = None,
                 binary: Path | None = None):
        self.binary = Path(binary or daemon_binary())
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.ephemeral = ephemeral
        self.socket_path = Path(socket_path) if socket_path else self.data_dir / "sealbox.sock"
        self.extra_args = list(extra_args or [])
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.stderr_path: Path | None = None
        self.stdout_path: Path | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        args = [str(self.binary), "--data-dir", str(self.data_dir),
                "--listen", f"127.0.0.1:{self.port}", "--socket", str(self.socket_path)]
        if self.ephemeral:
            args.append("--ephemeral")
        return args + self.extra_args

    def start(self, port: int | None = None) -> "Daemon":
        if not self.binary.exists():
            raise DaemonStartError(missing_binary_message(self.binary))
        self.port = port or free_port()
        Daemon._counter += 1
        n = Daemon._counter
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.log_dir / f"sealboxd-{n}.stderr"
        self.stdout_path = self.log_dir / f"sealboxd-{n}.stdout"
        err = open(self.stderr_path, "wb")
        out = open(self.stdout_path, "wb")
        try:
            self.proc = subprocess.Popen(self.argv(), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=clean_env(), cwd=str(self.log_dir))
        finally:
            err.close()
            out.close()
        deadline = time.monotonic() + START_TIMEOUT
        last = "no attempt"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise DaemonStartError(
                    f"sealboxd exited with status {rc} during start-up\n"
                    f"argv: {' '.join(self.argv())}\n{self.logs()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
                conn.request("GET", "/health")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return self
                last = f"GET /health -> {resp.status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        raise DaemonStartError(
            f"sealboxd did not answer 200 on GET /health within {START_TIMEOUT:.0f}s (last: {last})\n"
            f"argv: {' '.join(self.argv())}\n{self.logs()}")

    def logs(self, tail: int = 60) -> str:
        parts = []
        for label, p in (("stderr", self.stderr_path), ("stdout", self.stdout_path)):
            if p and p.exists():
                lines = p.read_text(errors="replace").splitlines()
                parts.append(f"--- sealboxd {label} ({p}, last {min(tail, len(lines))} lines) ---\n"
                             + "\n".join(lines[-tail:]))
        return "\n".join(parts)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = 5.0) -> int | None:
        """SIGTERM; returns the exit status, or None if it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    # -- credentials -------------------------------------------------------
    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"

    def credentials(self) -> tuple[str, str]:
        return read_credentials(self.credentials_file)

    def client(self, access_key: str | None = None, secret_key: str | None = None, *,
               region: str = REGION, validate: bool = True, service: str = "kms"):
        if access_key is None:
            access_key, secret_key = self.credentials()
        return make_client(service, self.endpoint, access_key, secret_key, region=region, validate=validate)


def daemon_wrapper(path: Path, setup: str, prefix: str) -> Path:
    """A script that runs `setup` (shell), then execs the daemon under `prefix` (a command that runs
    another, such as `setpriv ...`) with the arguments it was given: for `Daemon(binary=...)`."""
    path.write_text(f"#!/bin/bash\n{setup}\nexec {prefix} {daemon_binary()} \"$@\"\n")
    path.chmod(0o755)
    return path


def missing_binary_message(path: Path) -> str:
    return (f"sealboxd binary not found at {path}. Build it first (`swift build`, or `make test`), "
            f"or point the SEALBOXD environment variable at the daemon binary.")


def read_credentials(path: Path) -> tuple[str, str]:
    cp = configparser.ConfigParser()
    if not cp.read(path):
        raise AssertionError(f"credentials file {path} missing or unreadable")
    if "sealbox" not in cp:
        raise AssertionError(f"credentials file {path} has no [sealbox] profile: {cp.sections()}")
    sec = cp["sealbox"]
    return sec["aws_access_key_id"].strip(), sec["aws_secret_access_key"].strip()


def make_client(service: str, endpoint: str, access_key: str, secret_key: str, *, region: str = REGION,
                validate: bool = True):
    """A boto3 client for `service` ("kms" or "ssm") pointed at a daemon."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                    region_name=region)
    cfg = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20,
                 parameter_validation=validate, proxies={})
    return session.client(service, endpoint_url=endpoint, config=cfg)


def make_kms_client(endpoint: str, access_key: str, secret_key: str, *, region: str = REGION,
                    validate: bool = True):
    return make_client("kms", endpoint, access_key, secret_key, region=region, validate=validate)


def make_ssm_client(endpoint: str, access_key: str, secret_key: str, *, region: str = REGION,
                    validate: bool = True):
    return make_client("ssm", endpoint, access_key, secret_key, region=region, validate=validate)


# ---------------------------------------------------------------------------
# SigV4, written from the algorithm in AWS-WIRE.md (independent of botocore)
# ---------------------------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(access_key: str, secret_key: str, host: str, target: str, body: bytes, *,
                  region: str = REGION, service: str = "kms", when: _dt.datetime | None = None,
                  signed_headers: list[str] | None = None, path: str = "/") -> dict:
    """The headers of a signed POST; `signed_headers` (lowercase names) signs only those of them."""
    when = when or _dt.datetime.now(_dt.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = when.strftime("%Y%m%d")
    headers = {"content-type": JSON_CT, "host": host, "x-amz-date": amz_date, "x-amz-target": target}
    names = sorted(signed_headers if signed_headers is not None else headers)
    signed = ";".join(names)
    canonical = "\n".join([
        "POST", path, "",
        "".join(f"{k}:{headers[k].strip()}\n" for k in names),
        signed,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret_key).encode(), day)
    k = _hmac(k, region)
    k = _hmac(k, service)
    k = _hmac(k, "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": JSON_CT,
        "Host": host,
        "X-Amz-Date": amz_date,
        "X-Amz-Target": target,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                         f"SignedHeaders={signed}, Signature={sig}",
    }


# ---------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------


class RawResponse:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.header_list = headers
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.headers} {self.body[:300]!r}>"


def tcp_request(port: int, target: str | None, body: bytes, *, creds: tuple[str, str] | None = None,
                conn: http.client.HTTPConnection | None = None, extra_headers: dict | None = None,
                method: str = "POST", path: str = "/", sign_body: bytes | None = None,
                when: _dt.datetime | None = None, service: str = "kms", region: str = REGION,
                signed_headers: list[str] | None = None, host: str | None = None) -> RawResponse:
    """One request over TCP. If creds is given, it is SigV4-signed (over sign_body
    if given, which lets a test send a body other than the one signed; over only
    `signed_headers` if given)."""
    host = f"127.0.0.1:{port}" if host is None else host
    if creds is not None:
        headers = sigv4_headers(creds[0], creds[1], host, target or "", body if sign_body is None else sign_body,
                                when=when, service=service, region=region, signed_headers=signed_headers,
                                path=path)
    else:
        headers = {"Content-Type": JSON_CT, "Host": host}
        if target is not None:
            headers["X-Amz-Target"] = target
    if extra_headers:
        headers.update(extra_headers)
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(method, path, body=body if method != "GET" else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, resp.getheaders(), data)
    finally:
        if own:
            conn.close()


class UnixHTTP:
    """A hand-written HTTP/1.1 client over AF_UNIX, keeping the connection open."""

    def __init__(self, path: Path, timeout: float = 15.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("connection closed mid-line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed mid-body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> RawResponse:
        hdrs = {"Host": "localhost", "Content-Length": str(len(body))}
        hdrs.update(headers or {})
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        self.sock.sendall(head.encode("latin-1") + body)
        return self.read_response(method)

    def kms(self, target: str, body: bytes | dict, extra_headers: dict | None = None) -> RawResponse:
        return self.aws(target, body, extra_headers)

    def aws(self, target: str, body: bytes | dict, extra_headers: dict | None = None) -> RawResponse:
        """An AWS JSON 1.1 call (`TrentService.*` or `AmazonSSM.*`), unsigned."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        headers = {"Content-Type": JSON_CT, "X-Amz-Target": target}
        headers.update(extra_headers or {})
        return self.request("POST", "/", body, headers)

    def read_response(self, method: str = "POST") -> RawResponse:
        status_line = self._read_line().decode("latin-1")
        while status_line == "":  # tolerate stray CRLF
            status_line = self._read_line().decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise AssertionError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers: list[tuple[str, str]] = []
        while True:
            line = self._read_line().decode("latin-1")
            if line == "":
                break
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        h = {k.lower(): v for k, v in headers}
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in h.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line() != b"":
                        pass
                    break
                body += self._read_exact(size)
                self._read_exact(2)
        elif "content-length" in h:
            body = self._read_exact(int(h["content-length"]))
        else:
            while self._fill():
                pass
            body, self.buf = self.buf, b""
        return RawResponse(status, headers, body)


# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------


def assert_request_id(resp: RawResponse) -> str:
    rid = resp.header("x-amzn-RequestId")
    assert rid is not None, f"no x-amzn-RequestId header: {resp!r}"
    assert UUID_RE.match(rid), f"x-amzn-RequestId {rid!r} is not a UUID"
    return rid


def assert_aws_error(resp: RawResponse, code: str | tuple, status: int = 400) -> dict:
    codes = (code,) if isinstance(code, str) else tuple(code)
    assert resp.status == status, f"expected HTTP {status} ({codes}), got {resp!r}"
    try:
        body = resp.json()
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"error body is not JSON: {resp!r}") from e
    assert isinstance(body, dict), f"error body is not a JSON object: {resp!r}"
    assert "__type" in body and "message" in body, f"error body lacks __type/message: {body!r}"
    assert isinstance(body["message"], str), f"message is not a string: {body!r}"
    etype = body["__type"].split("#")[-1]
    assert etype in codes, f"expected __type in {codes}, got {body!r}"
    hdr = resp.header("X-Amzn-ErrorType")
    assert hdr is not None, f"no X-Amzn-ErrorType header: {resp!r}"
    assert hdr.split(":")[0] == etype, f"X-Amzn-ErrorType {hdr!r} != __type {etype!r}"
    assert_request_id(resp)
    return body


def error_code(call) -> str | None:
    """The AWS error code `call()` raises, or None if it succeeds."""
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def client_error(excinfo) -> tuple[str, int, str]:
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def assert_client_error(excinfo, code: str | tuple, status: int = 400) -> str:
    codes = (code,) if isinstance(code, str) else tuple(code)
    got, st, msg = client_error(excinfo)
    assert got in codes, f"expected {codes}, got {got} ({st}): {msg!r}"
    assert st == status, f"expected HTTP {status} for {got}, got {st}"
    rid = excinfo.value.response["ResponseMetadata"].get("RequestId", "")
    assert UUID_RE.match(rid or ""), f"error response x-amzn-RequestId {rid!r} is not a UUID"
    return msg


def expect_error(code: str | tuple, call, *args, status: int = 400, **kwargs) -> str:
    """Calls a boto3 method that must fail with `code`; returns the error message."""
    from botocore.exceptions import ClientError

    try:
        result = call(*args, **kwargs)
    except ClientError as e:
        return assert_client_error(SimpleNamespace(value=e), code, status)
    raise AssertionError(f"expected {code}, but the call succeeded: {result!r}")


def envelope_header(ct: bytes) -> dict:
    """The public header of a Sealbox ciphertext (docs/envelope-format.md: version byte, key id, key
    version, timestamp, 24-byte nonce, ciphertext):
    0x01 | key id (16 UUID bytes) | key version (uint32 BE) | timestamp (uint64 BE) | nonce (24)."""
    assert len(ct) >= 53 + 16, f"ciphertext too short for a version-1 envelope: {len(ct)} bytes"
    return {
        "version": ct[0],
        "key_id": str(uuid.UUID(bytes=bytes(ct[1:17]))),
        "key_version": int.from_bytes(ct[17:21], "big"),
        "timestamp": int.from_bytes(ct[21:29], "big"),
        "nonce": bytes(ct[29:53]),
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def flip_bit(data: bytes, pos: int, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[pos] ^= 1 << bit
    return bytes(b)


# ---------------------------------------------------------------------------
# The native lease API and the Python client in clients/python
# ---------------------------------------------------------------------------

PYTHON_PACKAGE = REPO / "clients" / "python"
PYTHON_CLIENT = PYTHON_PACKAGE / "sealbox" / "client.py"


def load_python_client():
    """Imports sealbox.client from clients/python (the handler client under test)."""
    import importlib
    import sys

    if str(PYTHON_PACKAGE) not in sys.path:
        sys.path.insert(0, str(PYTHON_PACKAGE))
    module = importlib.import_module("sealbox.client")
    assert Path(module.__file__).resolve() == PYTHON_CLIENT.resolve(), \
        f"sealbox.client came from {module.__file__}, not from {PYTHON_CLIENT}"
    return module


def native(conn: "UnixHTTP", method: str, path: str, doc=None, *, raw: bytes | None = None,
           headers: dict | None = None) -> RawResponse:
    """One native API call (`/v1/leases...`) over a kept-alive Unix socket connection."""
    body = raw if raw is not None else (b"" if doc is None else json.dumps(doc).encode())
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return conn.request(method, path, body, hdrs)


def assert_native_error(resp: RawResponse, status: int, code: str | tuple) -> dict:
    """A native error: the status, `Content-Type: application/json`, `{"error": code, "message": text}`."""
    codes = (code,) if isinstance(code, str) else tuple(code)
    assert resp.status == status, f"expected HTTP {status} ({codes}), got {resp!r}"
    assert (resp.header("content-type") or "").startswith("application/json"), f"not JSON: {resp!r}"
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), f"no message: {body!r}"
    assert body.get("error") in codes, f"expected error in {codes}, got {body!r}"
    return body


def refusal(call) -> tuple[str | None, str | None]:
    """The AWS error code and message a boto3 call fails with; (None, None) if it succeeds."""
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None, None
