"""A stdlib-only Sealbox client for handlers (Python 3.8+).

``pip install ./clients/python`` installs it as ``sealbox.client``; it needs nothing but the
standard library.

The handler pattern: a *lease* in global scope, the *value* inside the handler::

    import os
    from sealbox.client import SealboxClient

    # Global scope (cold start): a client and a lease handle. Neither holds plaintext.
    sealbox = SealboxClient(socket_path=os.environ.get("SEALBOX_SOCKET", ".sealbox/sealbox.sock"))
    db_password = sealbox.lease("/app/db/password", ttl_seconds=300, max_uses=0)

    def handler(event, context):
        # Inside the invocation: redeem, use, and let the `with` block wipe it.
        with db_password.value() as secret:          # a bytearray
            conn = connect(user="app", password=secret.decode())
        ...

What each piece holds and does:

- ``SealboxClient`` holds the socket path (or TCP address and token) and one
  keep-alive connection, opened on first use. Over the Unix socket the daemon
  identifies the caller by SO_PEERCRED (uid, gid, pid and process start time);
  over TCP (``SealboxClient(tcp=("127.0.0.1", 2773), token=...)``) it sends the
  token from ``<data-dir>/token`` in ``X-Aws-Parameters-Secrets-Token``.
- ``client.lease(name, ttl_seconds=300, max_uses=0)`` returns a ``Lease`` at once
  and talks to nobody: the lease is created *lazily*, at the first ``value()``.
  That keeps imports fast, works when the daemon starts after the handler, and is
  fork-safe (a lease is bound to the process that created it). Call
  ``lease.create()`` in global scope if you prefer to fail fast at cold start
  (for example on a misspelt name: ``NotFound``).
  A ``Lease`` holds the parameter name, the lease id, its expiry and version:
  never plaintext.
- ``client.lease(secret_id="prod/db")`` leases a Secrets Manager secret instead:
  each ``value()`` yields the ``SecretString``'s UTF-8 (or the ``SecretBinary``'s
  bytes) of the version that carries ``version_stage`` (default ``AWSCURRENT``) at
  that moment, so a rotation shows at the next ``value()``; ``version_id=`` pins
  one version. ``lease.last_version`` is the version id served.
- ``with lease.value() as v:`` redeems the lease and yields a ``bytearray`` with the
  UTF-8 plaintext. On leaving the block, normally or by an exception, every byte
  of it is overwritten with zeros. While the block runs the bytearray cannot be
  resized (a resize would leave an unwiped copy behind in freed memory), so
  ``v += ...`` raises ``BufferError``; ``v.decode()``, ``bytes(v)`` and friends
  work, and make copies that are yours to manage.
- Re-leasing is transparent: if the redeem answers ``LeaseNotFound`` (404: revoked,
  deleted, or the daemon restarted, since leases live in the daemon's memory
  only), ``LeaseExpired`` or ``LeaseUsedUp`` (403), the client creates a new lease
  once and redeems once more. It also re-leases without asking when it already
  knows the lease is expired or used up, or when the process forked. Any other
  failure raises a ``SealboxError``.
- ``client.env("DB_PASSWORD")`` decrypts an *encrypted environment variable*: the
  handler's environment carries ``DB_PASSWORD=sealbox:v1:...`` (made by
  ``sealbox env encrypt DB_PASSWORD < password.txt``) instead of the plaintext, and
  the daemon decrypts it (``POST /v1/env/decrypt``, policy action ``env:Decrypt``)
  during the invocation. It returns a ``bytearray`` that is yours to wipe;
  ``client.decrypt_env(name, token)`` does the same for a token you hold. A
  ``sealbox:v1`` token is bound to its variable's name: under another name, tampered
  with, or under a retired key version it does not open (``SealboxError`` with
  ``code`` ``InvalidCiphertextException`` or ``KMSInvalidStateException``)::

      from sealbox.client import wipe

      def handler(event, context):
          secret = sealbox.env("DB_PASSWORD")        # a bytearray
          try:
              conn = connect(user="app", password=secret.decode())
          finally:
              wipe(secret)                           # every byte set to 0

  ``sealbox.client.env("NAME")`` is the same as a one-off call, for scripts.
- ``client.get_parameter(name, with_decryption=True)`` is the AWS Parameters and
  Secrets Lambda Extension call (``GET /systemsmanager/parameters/get``) and returns
  its parsed JSON: ``result["Parameter"]["Value"]``. It is there for code ported
  from Lambda; its value is an ordinary ``str`` that cannot be wiped, so prefer
  leases for secrets.

Errors (all are ``SealboxError``, with ``.status`` (HTTP status or None),
``.code`` (the daemon's error code) and ``.message``):

- ``Unavailable``: the daemon could not be reached (no socket, refused, timed out,
  connection lost); the message names the socket path or address and the fix.
- ``UntrustedDaemon``: the process listening on the socket (SO_PEERCRED) runs as
  neither your user, root, nor the owner of the socket's directory, so another user
  may have replaced the socket; the client refused before sending anything.
- ``AccessDenied``: the daemon refused the caller: 401/403 on the lease API, or
  ``AccessDeniedException`` from the extension endpoint (a uid or group the policy
  does not allow, a missing or stale token on TCP, a proxy header).
- ``NotFound``: the parameter (or version/label) does not exist, at lease creation
  or in ``get_parameter``; or the leased secret (or its staging label) does not
  exist (``ResourceNotFound``).
- ``LeaseError``: the lease could not be used even after one re-lease, the lease
  table is full (``TooManyLeases``), the parameter's key cannot decrypt it
  (``KeyUnavailable``), the secret's key cannot (``DecryptionFailure``), or the
  secret is scheduled for deletion (``InvalidRequest``).

Where the plaintext goes, honestly:

- The daemon writes the redeem response ``{"value": "...", "version": n}``
  (a secret's: ``{"value" or "binary": "...", "versionId": "..."}``) from
  guarded memory into the socket. A ``binary`` value is decoded from base64 by
  this client, byte by byte, into a ``bytearray``.
- This client reads the response body with ``recv_into`` straight into a
  ``bytearray`` sized from ``Content-Length`` (the response is read through an
  unbuffered socket file, so http.client's 8 KiB read-ahead buffer never sees the
  body). It then decodes the JSON string escapes itself, byte by byte, into a
  second ``bytearray`` of the exact size, and wipes the first. ``json.loads`` is
  *not* used for redeems: it would turn the body into an immutable ``str`` (plus
  intermediate ``str`` pieces inside the decoder), none of which can be wiped and
  all of which live until the garbage collector reuses their memory.
- What remains outside our control: the kernel's socket buffers (freed, not
  zeroed, by the kernel once read), and every copy *you* make: ``v.decode()``
  gives an immutable ``str``; a database driver keeps its own copy. Keep such
  copies short-lived and local to the invocation.
- ``get_parameter`` parses with ``json.loads``, so its values are ``str`` objects;
  the raw response buffer is wiped, the ``str`` cannot be.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import struct
import threading
import time
import urllib.parse

__all__ = [
    "SealboxClient",
    "Lease",
    "SealboxError",
    "LeaseError",
    "AccessDenied",
    "NotFound",
    "Unavailable",
    "UntrustedDaemon",
    "DEFAULT_SOCKET",
    "TOKEN_HEADER",
    "env",
    "decrypt_env",
    "wipe",
]

DEFAULT_SOCKET = ".sealbox/sealbox.sock"
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"

# Redeem failures that mean "this lease is gone, make a new one".
RELEASE_CODES = frozenset({"LeaseNotFound", "LeaseExpired", "LeaseUsedUp"})
# Seconds before the known expiry at which a lease is replaced without asking.
_EXPIRY_MARGIN = 0.5


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class SealboxError(Exception):
    """A request to sealboxd failed. ``status`` is the HTTP status (None when the
    daemon was not reached), ``code`` the daemon's error code, ``message`` its reason.
    Messages never contain secret values."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        if self.status is None:
            return f"{self.code or 'SealboxError'}: {self.message}"
        return f"{self.code or 'SealboxError'} (HTTP {self.status}): {self.message}"


class LeaseError(SealboxError):
    """The lease could not be created or redeemed (after the one transparent re-lease)."""


class AccessDenied(SealboxError):
    """The daemon refused the caller (401/403, or AccessDeniedException from the extension endpoint)."""


class NotFound(SealboxError):
    """The parameter, version or label does not exist."""


class Unavailable(SealboxError):
    """The daemon could not be reached."""


class UntrustedDaemon(SealboxError):
    """The socket's listening process runs as another user than this one, root, or the owner of the
    socket's directory: nothing was sent to it."""


def _error_from(status: int, body: bytes | bytearray, *, creating: bool = False) -> SealboxError:
    """The typed error for a non-2xx answer. Native endpoints answer
    ``{"error", "message"}``; AWS-style ones ``{"__type", "message"}``."""
    code, message = None, None
    try:
        doc = json.loads(bytes(body).decode("utf-8"))
        if isinstance(doc, dict):
            code = doc.get("error") or doc.get("__type")
            if isinstance(code, str):
                code = code.split("#")[-1]
            message = doc.get("message") or doc.get("Message")
    except (ValueError, UnicodeDecodeError):
        pass
    if not isinstance(message, str):
        message = f"sealboxd answered HTTP {status}"
    if not isinstance(code, str):
        code = None
    if code in ("AccessDenied", "AccessDeniedException", "Unauthorized") or (status in (401, 403) and code is None):
        # The native API answers 401/403; the extension endpoint answers as SSM does (400
        # AccessDeniedException).
        return AccessDenied(message, status=status, code=code or "AccessDenied")
    if creating and status == 404:
        # The daemon answers 404 (code LeaseNotFound) when the parameter to lease does not exist.
        return NotFound(message, status=status, code=code)
    if code in ("ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFound"):
        return NotFound(message, status=status, code=code)
    if code in RELEASE_CODES or code in ("TooManyLeases", "KeyUnavailable", "DecryptionFailure", "InvalidRequest"):
        return LeaseError(message, status=status, code=code)
    if status == 404:
        return NotFound(message, status=status, code=code)
    return SealboxError(message, status=status, code=code)


# ---------------------------------------------------------------------------
# Buffers and the redeem parser
# ---------------------------------------------------------------------------


def _wipe(buf: bytearray | memoryview) -> None:
    """Overwrites every byte in place (no reallocation)."""
    n = len(buf)
    if n:
        buf[:] = bytes(n)


def wipe(buf: bytearray | memoryview) -> None:
    """Overwrites every byte of a plaintext buffer (from ``env()`` or ``decrypt_env()``)
    with zeros, in place."""
    _wipe(buf)


_WS = (0x20, 0x09, 0x0A, 0x0D)
_ESCAPES = {0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09}


class _Malformed(ValueError):
    pass


def _skip_ws(b, i: int) -> int:
    n = len(b)
    while i < n and b[i] in _WS:
        i += 1
    return i


def _hex4(b, i: int) -> int:
    if i + 4 > len(b):
        raise _Malformed("truncated \\u escape")
    v = 0
    for k in range(i, i + 4):
        c = b[k]
        if 0x30 <= c <= 0x39:
            d = c - 0x30
        elif 0x41 <= c <= 0x46:
            d = c - 0x37
        elif 0x61 <= c <= 0x66:
            d = c - 0x57
        else:
            raise _Malformed("bad \\u escape")
        v = (v << 4) | d
    return v


def _utf8_length(cp: int) -> int:
    return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4


def _put_utf8(out, o: int, cp: int) -> int:
    if cp < 0x80:
        out[o] = cp
        return o + 1
    if cp < 0x800:
        out[o] = 0xC0 | (cp >> 6)
        out[o + 1] = 0x80 | (cp & 0x3F)
        return o + 2
    if cp < 0x10000:
        out[o] = 0xE0 | (cp >> 12)
        out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[o + 2] = 0x80 | (cp & 0x3F)
        return o + 3
    out[o] = 0xF0 | (cp >> 18)
    out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[o + 3] = 0x80 | (cp & 0x3F)
    return o + 4


def _json_string(b, i: int, out: bytearray | None = None) -> tuple[int, int]:
    """Decodes the JSON string starting at b[i] (a quote) as UTF-8 bytes. With no
    ``out`` it only measures; with one (of the measured size) it writes. Returns
    (index after the closing quote, decoded length). Never builds a str."""
    n = len(b)
    if i >= n or b[i] != 0x22:
        raise _Malformed("expected a string")
    i += 1
    o = 0
    while True:
        if i >= n:
            raise _Malformed("unterminated string")
        c = b[i]
        if c == 0x22:
            return i + 1, o
        if c != 0x5C:
            if out is not None:
                out[o] = c
            o += 1
            i += 1
            continue
        if i + 1 >= n:
            raise _Malformed("truncated escape")
        e = b[i + 1]
        if e in _ESCAPES:
            if out is not None:
                out[o] = _ESCAPES[e]
            o += 1
            i += 2
            continue
        if e != 0x75:  # 'u'
            raise _Malformed("bad escape")
        cp = _hex4(b, i + 2)
        i += 6
        if 0xD800 <= cp < 0xDC00 and i + 6 <= n and b[i] == 0x5C and b[i + 1] == 0x75:
            low = _hex4(b, i + 2)
            if 0xDC00 <= low < 0xE000:
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                i += 6
        if out is not None:
            o = _put_utf8(out, o, cp)
        else:
            o += _utf8_length(cp)


def _skip_value(b, i: int) -> int:
    """Skips any JSON value (non-secret members we do not need)."""
    i = _skip_ws(b, i)
    if i >= len(b):
        raise _Malformed("truncated value")
    c = b[i]
    if c == 0x22:
        return _json_string(b, i)[0]
    if c in (0x7B, 0x5B):  # { [
        depth = 0
        n = len(b)
        while i < n:
            c = b[i]
            if c == 0x22:
                i = _json_string(b, i)[0]
                continue
            if c in (0x7B, 0x5B):
                depth += 1
            elif c in (0x7D, 0x5D):
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _Malformed("unterminated container")
    j = i
    while j < len(b) and b[j] not in (0x2C, 0x7D, 0x5D) and b[j] not in _WS:
        j += 1
    if j == i:
        raise _Malformed("empty value")
    return j


def _parse_redeem(body: bytearray) -> tuple[bytearray, int | str | None]:
    """Parses ``{"value": "...", "version": n}`` (a parameter) or ``{"value" or "binary":
    "...", "versionId": "..."}`` (a secret) without ever holding the value in a str or bytes
    object. Returns a new exactly-sized bytearray (a ``binary`` member decoded from base64)
    and the version: an int for a parameter, the version id for a secret."""
    b = memoryview(body)
    value = None
    version = None
    try:
        i = _skip_ws(b, 0)
        if i >= len(b) or b[i] != 0x7B:
            raise _Malformed("expected an object")
        i = _skip_ws(b, i + 1)
        if i < len(b) and b[i] == 0x7D:
            raise _Malformed("empty object")
        while True:
            end, klen = _json_string(b, i)
            key = bytearray(klen)
            _json_string(b, i, key)
            i = _skip_ws(b, end)
            if i >= len(b) or b[i] != 0x3A:
                raise _Malformed("expected ':'")
            i = _skip_ws(b, i + 1)
            if key in (b"value", b"binary"):
                if value is not None:
                    raise _Malformed("duplicate value")
                end, vlen = _json_string(b, i)
                text = bytearray(vlen)
                _json_string(b, i, text)
                if key == b"binary":
                    try:
                        value = _base64_into(text)
                    finally:
                        _wipe(text)
                else:
                    value = text
                i = end
            elif key == b"version":
                end = _skip_value(b, i)
                version = int(bytes(b[i:end]))
                i = end
            elif key == b"versionId":
                end, ilen = _json_string(b, i)
                ident = bytearray(ilen)
                _json_string(b, i, ident)
                version = ident.decode("utf-8")
                i = end
            else:
                i = _skip_value(b, i)
            i = _skip_ws(b, i)
            if i < len(b) and b[i] == 0x2C:
                i = _skip_ws(b, i + 1)
                continue
            if i < len(b) and b[i] == 0x7D:
                break
            raise _Malformed("expected ',' or '}'")
        if value is None:
            raise _Malformed("no value member")
        return value, version
    except BaseException:
        if value is not None:
            _wipe(value)
        raise
    finally:
        b.release()


_B64 = {c: n for n, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _base64_into(text: bytearray) -> bytearray:
    """Decodes standard base64 into a new exactly-sized bytearray, byte by byte:
    ``base64.b64decode`` would return an immutable ``bytes`` that cannot be wiped."""
    if len(text) % 4:
        raise _Malformed("binary is not base64")
    pad = 2 if text.endswith(b"==") else 1 if text.endswith(b"=") else 0
    out = bytearray(len(text) // 4 * 3 - pad)
    o = 0
    try:
        for q in range(0, len(text), 4):
            acc = 0
            for k in range(4):
                c = text[q + k]
                if c == 0x3D and q + 4 == len(text) and k >= 4 - pad:
                    acc <<= 6
                    continue
                n = _B64.get(c)
                if n is None:
                    raise _Malformed("binary is not base64")
                acc = (acc << 6) | n
            for shift in (16, 8, 0):
                if o < len(out):
                    out[o] = (acc >> shift) & 0xFF
                    o += 1
            acc = 0
        return out
    except BaseException:
        _wipe(out)
        raise


# ---------------------------------------------------------------------------
# HTTP over AF_UNIX and TCP
# ---------------------------------------------------------------------------


class _UnbufferedResponse(http.client.HTTPResponse):
    """Reads from the socket without a read-ahead buffer, so the body can be
    received with recv_into straight into the caller's bytearray."""

    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        buffered, self.fp = self.fp, sock.makefile("rb", buffering=0)
        buffered.close()


def _check_listener(sock: socket.socket, path: str) -> None:
    """Refuses, before anything is sent, a socket whose listening process (SO_PEERCRED) runs as
    neither this process's user, root, nor the owner of the directory holding the socket: another
    user may have replaced the socket to capture what is sent to it."""
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    directory = os.path.dirname(path) or "."
    try:
        owner = os.stat(directory).st_uid
    except OSError:
        owner = None
    if uid not in (os.geteuid(), 0, owner):
        raise UntrustedDaemon(
            f"refusing to talk to {path}: the process listening there runs as uid {uid}, which is not "
            f"you (uid {os.geteuid()}), root, or the owner of {directory}; another user may have "
            f"replaced the socket. Nothing was sent.", code="UntrustedDaemon")


class _UnixConnection(http.client.HTTPConnection):
    response_class = _UnbufferedResponse

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(self.timeout)
            s.connect(self.path)
            _check_listener(s, self.path)
        except BaseException:
            s.close()
            raise
        self.sock = s


class _TCPConnection(http.client.HTTPConnection):
    response_class = _UnbufferedResponse


def _read_body(resp: http.client.HTTPResponse) -> bytearray:
    """The whole body in one bytearray sized from Content-Length, filled by recv_into."""
    length = resp.length
    if length is None:
        # Not what sealboxd sends (it always sets Content-Length). read() returns an
        # immutable bytes object, which cannot be wiped: say so rather than hide it.
        try:
            return bytearray(resp.read())
        finally:
            resp.close()
    out = bytearray(length)
    view = memoryview(out)
    got = 0
    try:
        while got < length:
            n = resp.readinto(view[got:])
            if not n:
                raise http.client.IncompleteRead(b"", length - got)
            got += n
    except BaseException:
        view.release()
        _wipe(out)
        raise
    finally:
        resp.close()
    view.release()
    return out


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------


class SealboxClient:
    """A connection to sealboxd over its Unix socket (the default) or loopback TCP.

    ``SealboxClient()`` uses ``$SEALBOX_SOCKET``, else ``.sealbox/sealbox.sock``.
    ``SealboxClient(tcp=("127.0.0.1", 2773), token=...)`` uses TCP with the token
    from ``<data-dir>/token``; pass ``token_file=".sealbox/token"`` instead of
    ``token`` to read it from the file, re-read once on a 401 (the daemon writes a
    new token at each start).

    Thread-safe: requests on one client are serialized over one keep-alive
    connection. Fork-safe: a child process opens its own connection and leases.
    """

    def __init__(self, socket_path: str | os.PathLike | None = None, *, tcp: tuple[str, int] | None = None,
                 token: str | None = None, token_file: str | os.PathLike | None = None,
                 timeout: float = 10.0):
        if tcp is not None and socket_path is not None:
            raise ValueError("pass socket_path or tcp, not both")
        if tcp is None:
            socket_path = os.fspath(socket_path) if socket_path is not None else os.environ.get(
                "SEALBOX_SOCKET", DEFAULT_SOCKET)
        elif token is None and token_file is None:
            raise ValueError("on TCP, pass token= (the content of <data-dir>/token) or token_file=")
        self.socket_path: str | None = socket_path
        self.tcp = (tcp[0], int(tcp[1])) if tcp is not None else None
        self._token = token
        self._token_file = os.fspath(token_file) if token_file is not None else None
        self.timeout = timeout
        self._lock = threading.RLock()
        self._conn: http.client.HTTPConnection | None = None
        self._conn_pid: int | None = None
        self._conn_used = False

    # -- public API ---------------------------------------------------------

    def lease(self, name: str | None = None, ttl_seconds: int = 300, max_uses: int = 0, *,
              secret_id: str | None = None, version_stage: str | None = None,
              version_id: str | None = None) -> "Lease":
        """A lease handle for parameter ``name``, or for the Secrets Manager secret
        ``secret_id`` (its value at ``version_stage``, AWSCURRENT by default, or the
        version ``version_id``); nothing is sent until the first ``value()`` (or
        ``create()``). Safe in global scope: it never holds plaintext."""
        return Lease(self, name, ttl_seconds=ttl_seconds, max_uses=max_uses, secret_id=secret_id,
                     version_stage=version_stage, version_id=version_id)

    def get_parameter(self, name: str, with_decryption: bool = True, *, version: int | None = None,
                      label: str | None = None) -> dict:
        """The Lambda extension's ``GET /systemsmanager/parameters/get``: returns
        ``{"Parameter": {...}, "ResultMetadata": {}}``. The value is a ``str``."""
        query = {"name": name}
        if version is not None:
            query["version"] = str(int(version))
        if label is not None:
            query["label"] = label
        query["withDecryption"] = "true" if with_decryption else "false"
        path = "/systemsmanager/parameters/get?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        status, body = self._request("GET", path)
        try:
            if status != 200:
                raise _error_from(status, body)
            return json.loads(bytes(body).decode("utf-8"))
        finally:
            _wipe(body)

    def create_lease(self, name: str | None = None, ttl_seconds: int | None = None, max_uses: int | None = None,
                     *, secret_id: str | None = None, version_stage: str | None = None,
                     version_id: str | None = None) -> dict:
        """``POST /v1/leases``: ``{"leaseId", "name", "expiresAt", "version", ...}`` for a
        parameter, ``{"leaseId", "secretId", "versionId", "versionStage", ...}`` for a secret."""
        if (name is None) == (secret_id is None):
            raise ValueError("pass a parameter name or secret_id=, not both")
        doc = {"name": name} if secret_id is None else {"secretId": secret_id}
        if version_stage is not None:
            doc["versionStage"] = version_stage
        if version_id is not None:
            doc["versionId"] = version_id
        if ttl_seconds is not None:
            doc["ttlSeconds"] = int(ttl_seconds)
        if max_uses is not None:
            doc["maxUses"] = int(max_uses)
        return self._json("POST", "/v1/leases", doc, expect=201, creating=True)

    def renew_lease(self, lease_id: str, ttl_seconds: int | None = None) -> dict:
        """``POST /v1/leases/{id}/renew``: extends the lease from now (capped by the daemon)."""
        doc = {} if ttl_seconds is None else {"ttlSeconds": int(ttl_seconds)}
        return self._json("POST", f"/v1/leases/{_quote(lease_id)}/renew", doc)

    def delete_lease(self, lease_id: str) -> None:
        """``DELETE /v1/leases/{id}``: ends one of this caller's leases."""
        self._json("DELETE", f"/v1/leases/{_quote(lease_id)}", None, expect=204)

    def list_leases(self) -> list:
        """``GET /v1/leases`` (admin): every active lease."""
        return self._json("GET", "/v1/leases", None)["leases"]

    def revoke(self, *, prefix: str | None = None, lease_id: str | None = None) -> int:
        """``POST /v1/leases/revoke`` (admin): by name prefix or one lease id; returns how many."""
        if (prefix is None) == (lease_id is None):
            raise ValueError("pass prefix= or lease_id=")
        doc = {"prefix": prefix} if prefix is not None else {"leaseId": lease_id}
        return int(self._json("POST", "/v1/leases/revoke", doc)["revoked"])

    def redeem_into(self, lease_id: str) -> tuple[bytearray, int | str | None]:
        """``POST /v1/leases/{id}/redeem`` without re-leasing: (plaintext bytearray, version:
        a parameter's version number, or a secret's version id).
        The caller must wipe the bytearray; ``Lease.value()`` does that for you."""
        status, body = self._request("POST", f"/v1/leases/{_quote(lease_id)}/redeem", b"{}")
        try:
            if status != 200:
                raise _error_from(status, body)
            try:
                return _parse_redeem(body)
            except (_Malformed, ValueError) as e:
                raise SealboxError(f"malformed redeem response ({e})", status=status, code="BadResponse") from None
        finally:
            _wipe(body)

    def decrypt_env(self, name: str, token: str, *, key_id: str | None = None) -> bytearray:
        """``POST /v1/env/decrypt``: the plaintext of an env token (``sealbox:v1:...``, or a
        Fernet token made with ``sealbox env encrypt --fernet``) for variable ``name``, as a
        ``bytearray`` the caller must wipe (``wipe(buf)``). ``key_id`` names the key of a
        Fernet token made with ``--key-id`` (``sealbox:v1`` tokens name their key themselves).
        The response is parsed as a redeem is, never through a ``str``, and its buffer is wiped::

            buf = client.decrypt_env("DB_PASSWORD", "sealbox:v1:AgB...")
            try:
                use(buf)
            finally:
                wipe(buf)

        A token that does not open (another name, tampered with, a retired key version)
        raises ``SealboxError`` (``code`` ``InvalidCiphertextException`` or
        ``KMSInvalidStateException``)."""
        if not isinstance(name, str) or not name:
            raise ValueError("name is required")
        if not isinstance(token, str) or not token:
            raise ValueError("token is required")
        doc = {"name": name, "token": token}
        if key_id is not None:
            doc["keyId"] = key_id
        payload = bytearray(json.dumps(doc).encode("utf-8"))
        try:
            status, body = self._request("POST", "/v1/env/decrypt", bytes(payload))
        finally:
            _wipe(payload)
        try:
            if status != 200:
                raise _error_from(status, body)
            try:
                value, _ = _parse_redeem(body)
            except (_Malformed, ValueError) as e:
                raise SealboxError(f"malformed env decrypt response ({e})", status=status,
                                   code="BadResponse") from None
            return value
        finally:
            _wipe(body)

    def env(self, name: str) -> bytearray:
        """Decrypts the encrypted environment variable ``name`` (``NAME=sealbox:v1:...`` in
        ``os.environ``) through the daemon; see ``decrypt_env``. Call it inside the
        invocation, not at import. Raises ``NotFound`` when the variable is not set::

            secret = client.env("DB_PASSWORD")
            try:
                conn = connect(password=secret.decode())
            finally:
                wipe(secret)
        """
        token = os.environ.get(name)
        if token is None:
            raise NotFound(f"the environment variable {name} is not set (expected {name}=sealbox:v1:...)",
                           code=None)
        return self.decrypt_env(name, token)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> "SealboxClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f"socket={self.socket_path!r}" if self.tcp is None else f"tcp={self.tcp[0]}:{self.tcp[1]}"
        return f"<SealboxClient {where}>"

    # -- plumbing -----------------------------------------------------------

    def _json(self, method: str, path: str, doc, *, expect: int = 200, creating: bool = False):
        payload = None if doc is None else json.dumps(doc).encode()
        status, body = self._request(method, path, payload)
        try:
            if status != expect:
                raise _error_from(status, body, creating=creating)
            return json.loads(bytes(body).decode("utf-8")) if body else None
        finally:
            _wipe(body)

    def _where(self) -> str:
        if self.tcp is None:
            return f"the Sealbox socket {self.socket_path}"
        return f"sealboxd at {self.tcp[0]}:{self.tcp[1]}"

    def _fix(self, error: BaseException) -> str:
        if self.tcp is not None:
            return ("is sealboxd running with --listen on that address? Start it with `make run` "
                    "(127.0.0.1:2773 by default).")
        if isinstance(error, FileNotFoundError):
            return ("no socket there: start sealboxd (`make run`), or set SEALBOX_SOCKET to the socket "
                    "path sealboxd prints in its ready line (--socket, default <data-dir>/sealbox.sock).")
        if isinstance(error, PermissionError):
            return ("the socket is mode 0660: run the handler as the daemon's user or in its group, "
                    "or as a user the policy allows.")
        if isinstance(error, ConnectionRefusedError):
            return "nothing listens on it (a stale socket file?): start or restart sealboxd (`make run`)."
        return "check that sealboxd is running (`make run`) and that SEALBOX_SOCKET points at its socket."

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None
        self._conn_used = False

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is not None and self._conn_pid != os.getpid():
            # Forked: never share the parent's connection (or its identity).
            self._drop()
        if self._conn is None:
            if self.tcp is None:
                conn = _UnixConnection(self.socket_path, self.timeout)
            else:
                conn = _TCPConnection(self.tcp[0], self.tcp[1], timeout=self.timeout)
            try:
                conn.connect()
            except OSError as e:
                conn.close()
                raise Unavailable(f"cannot connect to {self._where()} ({e.strerror or e}): {self._fix(e)}",
                                  code="Unavailable") from None
            self._conn, self._conn_pid, self._conn_used = conn, os.getpid(), False
        return self._conn

    def _token_value(self, reread: bool = False) -> str | None:
        if self._token_file is not None and (self._token is None or reread):
            try:
                with open(self._token_file, "r", encoding="ascii") as f:
                    self._token = f.read().strip()
            except OSError as e:
                raise AccessDenied(f"cannot read the token file {self._token_file} ({e.strerror}): it is "
                                   f"<data-dir>/token, mode 0640, readable by the daemon's group",
                                   code="TokenUnreadable") from None
        return self._token

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytearray]:
        with self._lock:
            reread = False
            for attempt in range(3):
                headers = {"Content-Type": "application/json", "Accept": "application/json"}
                if self.tcp is not None:
                    headers[TOKEN_HEADER] = self._token_value(reread)
                conn = self._connection()
                reused = self._conn_used
                try:
                    conn.request(method, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    status = resp.status
                    data = _read_body(resp)
                except (OSError, http.client.HTTPException) as e:
                    self._drop()
                    if reused and attempt == 0:
                        # A kept-alive connection the daemon closed (idle, or restarted): once more, fresh.
                        continue
                    raise Unavailable(f"lost the connection to {self._where()} ({e!r}): {self._fix(e)}",
                                      code="Unavailable") from None
                self._conn_used = True
                if status == 401 and self.tcp is not None and self._token_file is not None and not reread:
                    # The daemon writes a new token at each start: read the file again, once.
                    _wipe(data)
                    reread = True
                    continue
                return status, data
            raise Unavailable(f"could not complete {method} {path.split('?')[0]} on {self._where()}",
                              code="Unavailable")


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class Lease:
    """A handle on a lease: the parameter name (or secret id) and, once created, the
    lease id. It never holds plaintext, so it is safe in global scope. See ``value()``."""

    def __init__(self, client: SealboxClient, name: str | None = None, *, ttl_seconds: int = 300,
                 max_uses: int = 0, secret_id: str | None = None, version_stage: str | None = None,
                 version_id: str | None = None):
        if bool(name) == bool(secret_id):
            raise ValueError("a parameter name or secret_id= is required, not both")
        if name and (version_stage is not None or version_id is not None):
            raise ValueError("version_stage and version_id go with secret_id=")
        self.client = client
        self.name = name
        #: The Secrets Manager secret, for a secret lease (``name`` is None then).
        self.secret_id = secret_id
        self.version_stage = version_stage
        self.version_id = version_id
        self.ttl_seconds = int(ttl_seconds)
        self.max_uses = int(max_uses)
        self.lease_id: str | None = None
        self.expires_at: float | None = None
        #: The version when the lease was made (a parameter's number, a secret's version id);
        #: ``last_version`` is the one last redeemed.
        self.version: int | str | None = None
        self.last_version: int | str | None = None
        self._uses = 0
        self._pid: int | None = None
        self._lock = threading.Lock()

    def create(self) -> "Lease":
        """Creates a lease now (replacing any held). Raises ``NotFound`` for a missing parameter or secret."""
        with self._lock:
            self._create()
        return self

    def _create(self) -> None:
        if self.secret_id is not None:
            info = self.client.create_lease(
                None, self.ttl_seconds, self.max_uses, secret_id=self.secret_id,
                version_stage=self.version_stage, version_id=self.version_id)
        else:
            info = self.client.create_lease(self.name, self.ttl_seconds, self.max_uses)
        self.lease_id = info["leaseId"]
        self.expires_at = float(info["expiresAt"])
        self.version = info.get("version", info.get("versionId"))
        self._uses = 0
        self._pid = os.getpid()

    def _current(self) -> str:
        """The lease id to redeem, creating or replacing the lease when it is known to be unusable."""
        with self._lock:
            stale = (
                self.lease_id is None
                or self._pid != os.getpid()
                or (self.expires_at is not None and time.time() >= self.expires_at - _EXPIRY_MARGIN)
                or (self.max_uses > 0 and self._uses >= self.max_uses)
            )
            if stale:
                self._create()
            self._uses += 1
            return self.lease_id

    def _redeem(self) -> bytearray:
        lease_id = self._current()
        try:
            value, version = self.client.redeem_into(lease_id)
        except LeaseError as e:
            if e.code not in RELEASE_CODES:
                raise
            with self._lock:
                if self.lease_id == lease_id:  # another thread may have replaced it already
                    self._create()
            value, version = self.client.redeem_into(self._current())
        self.last_version = version
        return value

    @contextlib.contextmanager
    def value(self):
        """Redeems the lease and yields the plaintext as a ``bytearray``, wiped (every
        byte set to 0) when the block ends, even by an exception. It cannot be
        resized inside the block."""
        buf = self._redeem()
        pin = memoryview(buf)  # while exported, the bytearray cannot be resized (no stray copies)
        try:
            yield buf
        finally:
            _wipe(pin)
            pin.release()

    def renew(self, ttl_seconds: int | None = None) -> "Lease":
        """Extends the lease from now (the daemon caps it at its maximum TTL); creates one if none."""
        with self._lock:
            if self.lease_id is None or self._pid != os.getpid():
                self._create()
                return self
            try:
                info = self.client.renew_lease(self.lease_id, ttl_seconds or self.ttl_seconds)
            except LeaseError as e:
                if e.code not in RELEASE_CODES:
                    raise
                self._create()
                return self
            self.expires_at = float(info["expiresAt"])
        return self

    def release(self) -> None:
        """Ends the lease now (``DELETE``); a later ``value()`` creates a new one."""
        with self._lock:
            lease_id, self.lease_id = self.lease_id, None
            if lease_id is None or self._pid != os.getpid():
                return
            try:
                self.client.delete_lease(lease_id)
            except LeaseError:
                pass

    def __repr__(self) -> str:
        held = f"lease {self.lease_id[:8]}…" if self.lease_id else "no lease yet"
        what = repr(self.name) if self.secret_id is None else f"secret {self.secret_id!r}"
        return f"<Lease {what} ({held})>"


def decrypt_env(name: str, token: str, socket_path: str | os.PathLike | None = None, *,
                key_id: str | None = None) -> bytearray:
    """One-off ``SealboxClient(socket_path).decrypt_env(name, token)``; wipe the result."""
    with SealboxClient(socket_path=socket_path) as client:
        return client.decrypt_env(name, token, key_id=key_id)


def env(name: str, socket_path: str | os.PathLike | None = None) -> bytearray:
    """One-off ``SealboxClient(socket_path).env(name)``: decrypts ``os.environ[name]``::

        secret = sealbox.client.env("DB_PASSWORD")
        try:
            use(secret)
        finally:
            sealbox.client.wipe(secret)
    """
    with SealboxClient(socket_path=socket_path) as client:
        return client.env(name)
