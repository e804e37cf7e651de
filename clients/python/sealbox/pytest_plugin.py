"""pytest plugin: an ephemeral sealboxd per pytest process (and per pytest-xdist worker), reset before every test.

``pip install ./clients/python`` registers it with pytest (the ``pytest11`` entry point): nothing to
add to conftest.py. Then, in tests::

    def test_reads_the_password(sealbox, boto3_session):
        ssm = boto3_session.client("ssm", endpoint_url=sealbox.endpoint_url)
        ssm.put_parameter(Name="/test/api-key", Value="k3y", Type="SecureString")
        assert ssm.get_parameter(Name="/test/api-key", WithDecryption=True)["Parameter"]["Value"] == "k3y"
        assert ("ssm:GetParameter", "/test/api-key") in sealbox.operations()

Settings (the first one given wins; ini paths are relative to the ini file, the others to the
current directory):
    --sealboxd PATH          / ini sealboxd          / $SEALBOXD         / sealboxd on $PATH
    --sealbox-fixtures PATH  / ini sealbox_fixtures  / $SEALBOX_FIXTURES   (keys, parameters, secrets)
    ini sealbox_guard = false   lets botocore send requests to hosts other than loopback

When: the daemon starts before conftest.py files and test modules are imported (or, when the plugin
is loaded from a conftest.py, at pytest_configure), so a module-level ``boto3.client("ssm")`` is made
while the process environment already names the daemon: ``AWS_ENDPOINT_URL``, fake credentials
(``AWS_PROFILE``, ``AWS_SESSION_TOKEN``, per-service endpoint variables and container/web identity
credential variables removed; ``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` point at a
file that does not exist), ``AWS_DEFAULT_REGION``, ``AWS_EC2_METADATA_DISABLED`` and
``SEALBOX_SOCKET``. Child processes inherit it. Everything is restored when pytest ends.

Guard: while the session runs, botocore's HTTP layer in this process refuses any request to a host
other than loopback (a client made with an explicit ``endpoint_url`` or ``region_name`` that would
reach AWS raises ``SealboxGuardError`` and sends nothing). Not covered: child processes that pass an
explicit AWS endpoint, and AWS clients that are not botocore (the AWS CLI v2, other SDKs); those
only get the environment above.

A start failure ends the run with one error naming the binary, the reason and the daemon's log tail.
The daemon's temp directory (``sealbox-pytest-*``, under ``$TMPDIR``, or ``/tmp`` when that is too
deep for a Unix socket's path) is removed when pytest ends, on failure and on Ctrl-C too.

Fixtures:
    sealbox_daemon  (session)  the running daemon: endpoint_url, socket_path, pid, reset(), calls(),
                               clear_calls(), operations(), inspect(pid), fixtures_export()
    sealbox         (function) the same daemon, reset to its fixtures, with the environment above
                               set again for the test (and its child processes)
    endpoint_url    (function) the daemon's http://127.0.0.1:PORT
    aws_credentials (function) dummy credentials, as a dict for boto3.Session(**aws_credentials)
    boto3_session   (function) boto3.Session(**aws_credentials), after the reset
"""

from __future__ import annotations

import atexit
import http.client
import ipaddress
import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse

import pytest

DUMMY_CREDENTIALS = {
    "aws_access_key_id": "AKIASEALBOXTEST00000",
    "aws_secret_access_key": "sealbox-test-secret",
    "region_name": "us-east-1",
}

# Variables that would send botocore elsewhere than the daemon, or to real credentials.
_REMOVED_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_CREDENTIAL_EXPIRATION",
)
START_TIMEOUT_SECONDS = 30.0
_LOG_TAIL_LINES = 20


class SealboxStartError(Exception):
    """sealboxd could not be found or did not start; the message says which binary, why, and the log tail."""


class SealboxGuardError(RuntimeError):
    """A botocore request to a host other than loopback, refused while the plugin's session runs."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30.0):
        super().__init__("sealbox", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)
        # The daemon this plugin started runs as this user: anything else listening there is refused.
        uid = struct.unpack("3i", self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                       struct.calcsize("3i")))[1]
        if uid not in (os.geteuid(), 0):
            self.sock.close()
            raise RuntimeError(f"{self._path} is served by uid {uid}, not by the daemon this plugin started")


# The longest Unix socket path sealboxd takes (SwiftNIO keeps sun_path to 103 bytes).
_SOCKET_PATH_MAX = 103


def _socket_parent() -> str:
    """The temp directory, or /tmp when a socket under it would have too long a path (a deep TMPDIR)."""
    base = tempfile.gettempdir()
    longest = os.path.join(base, "sealbox-pytest-" + "x" * 8, "sealbox.sock")
    return base if len(os.fsencode(longest)) <= _SOCKET_PATH_MAX else "/tmp"


class SealboxDaemon:
    """One `sealboxd --ephemeral` process: in memory, any AWS credentials accepted.

    The constructor returns once the daemon printed its ready line, or raises `SealboxStartError`;
    either way (and on KeyboardInterrupt) nothing is left behind when it raises.
    """

    def __init__(self, binary: str, fixtures: str | None = None, extra_args: list[str] | None = None,
                 *, start_timeout: float = START_TIMEOUT_SECONDS):
        self.binary = binary
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._directory = tempfile.mkdtemp(prefix="sealbox-pytest-", dir=_socket_parent())
        try:
            self._start(fixtures, extra_args, start_timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def directory(self) -> str:
        """The daemon's temp directory (socket and log), removed by `stop()`."""
        return self._directory

    def _start(self, fixtures: str | None, extra_args: list[str] | None, timeout: float) -> None:
        self.socket_path = os.path.join(self._directory, "sealbox.sock")
        argv = [self.binary, "--ephemeral", "--listen", "127.0.0.1:0", "--socket", self.socket_path]
        if fixtures:
            argv += ["--fixtures", fixtures]
        argv += list(extra_args or [])
        self._stderr = open(os.path.join(self._directory, "sealboxd.log"), "w+b")
        try:
            self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr,
                                             stdin=subprocess.DEVNULL)
        except OSError as error:
            raise SealboxStartError(f"could not run {self.binary}: {error.strerror or error}") from None
        self.started = time.monotonic()
        line = self._ready_line(timeout)
        try:
            ready = json.loads(line)
            self.pid = ready["pid"]
            self.endpoint_url = "http://" + ready["tcp"]
        except (ValueError, KeyError, TypeError):
            raise SealboxStartError(self._describe(f"its first line is not the ready line: {line[:200]!r}")) \
                from None
        self.ready_seconds = time.monotonic() - self.started

    def _ready_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        buffer = b""
        fd = self._process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SealboxStartError(self._describe(f"no ready line within {timeout:.0f} s"))
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    try:
                        status = self._process.wait(timeout=5)
                        reason = f"it exited with status {status} before its ready line"
                    except subprocess.TimeoutExpired:
                        reason = "it closed its stdout before its ready line"
                    raise SealboxStartError(self._describe(reason))
                buffer += chunk
        return buffer.split(b"\n", 1)[0]

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last `lines` lines of the daemon's stderr."""
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        self._stderr.seek(0, os.SEEK_END)
        return "\n".join(text.rstrip("\n").splitlines()[-lines:])

    def _describe(self, reason: str) -> str:
        tail = self.log_tail()
        log = "\n".join("    " + line for line in tail.splitlines()) if tail else "    (empty)"
        return f"{self.binary} did not start: {reason}\n  its log (last {_LOG_TAIL_LINES} lines):\n{log}"

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        connection = _UnixConnection(self.socket_path)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _json(self, method: str, path: str, payload=None):
        status, body = self.request(method, path, None if payload is None else json.dumps(payload).encode())
        if status >= 300:
            raise RuntimeError(f"{method} {path} answered {status}: {body.decode(errors='replace')}")
        return json.loads(body) if body else None

    def reset(self) -> None:
        """Back to the fixture state (POST /moto-api/reset); recorded calls are cleared too."""
        self._json("POST", "/moto-api/reset")

    def calls(self) -> list[dict]:
        """Every call since the last reset or clear, in order (GET /v1/test/calls)."""
        return self._json("GET", "/v1/test/calls")["calls"]

    def operations(self) -> list[tuple[str, str]]:
        """(operation, resource) pairs of the recorded calls, for simple assertions."""
        return [(call["operation"], resource) for call in self.calls() for resource in call["resources"] or ["*"]]

    def clear_calls(self) -> None:
        self.request("DELETE", "/v1/test/calls")

    def inspect(self, pid: int) -> dict:
        """Scans process `pid` for the secrets this daemon served it; `findings` lists where."""
        return self._json("POST", "/v1/test/inspect", {"pid": pid})

    def fixtures_export(self, fmt: str = "yaml") -> str:
        status, body = self.request("GET", f"/v1/fixtures?format={fmt}")
        if status != 200:
            raise RuntimeError(f"export answered {status}: {body.decode(errors='replace')}")
        return body.decode()

    def stop(self) -> None:
        """Stops the daemon (SIGTERM, then SIGKILL after 10 s) and removes its temp directory."""
        process, self._process = self._process, None
        try:
            if process is not None:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                process.stdout.close()
        finally:
            if self._stderr is not None:
                self._stderr.close()
            shutil.rmtree(self._directory, ignore_errors=True)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("sealbox")
    group.addoption("--sealboxd", default=None, help="the sealboxd binary")
    group.addoption("--sealbox-fixtures", default=None, help="fixtures every test starts from")
    parser.addini("sealboxd", "the sealboxd binary (relative to the ini file)", default=None)
    parser.addini("sealbox_fixtures", "fixtures every test starts from (relative to the ini file)", default=None)
    parser.addini("sealbox_guard", "refuse botocore requests to hosts other than loopback", type="bool",
                  default=True)


def _option(config, name: str):
    namespace = getattr(config, "known_args_namespace", None)
    value = getattr(config.option, name, None)
    if value is None and namespace is not None:
        value = getattr(namespace, name, None)
    return value


def _setting(config, option: str, ini: str, env: str) -> tuple[str, str] | None:
    """(value, where it came from): the command line, then the ini file (relative to it), then `env`."""
    value = _option(config, option)
    if value:
        return os.path.abspath(value), f"--{option.replace('_', '-')}"
    value = config.getini(ini)
    if value:
        inipath = getattr(config, "inipath", None)
        base = os.path.dirname(str(inipath)) if inipath else str(config.rootpath)
        where = f"ini option {ini} in {inipath}" if inipath else f"ini option {ini}"
        if os.sep in value or ini != "sealboxd":
            return os.path.normpath(os.path.join(base, os.path.expanduser(value))), where
        found = shutil.which(value)
        return (found or value), f"{where} (looked up on PATH)"
    value = os.environ.get(env)
    if value:
        return os.path.abspath(value), f"${env}"
    return None


def _binary(config) -> str:
    chosen = _setting(config, "sealboxd", "sealboxd", "SEALBOXD")
    if chosen is None:
        found = shutil.which("sealboxd")
        if found:
            return found
        raise SealboxStartError(
            "sealboxd not found: no --sealboxd option, no sealboxd ini option "
            f"({getattr(config, 'inipath', None) or 'no ini file'}), SEALBOXD is not set, and no sealboxd on "
            f"PATH ({os.environ.get('PATH', '')})")
    path, where = chosen
    if not os.path.isfile(path):
        raise SealboxStartError(f"sealboxd not found: {path} (from {where}) does not exist")
    if not os.access(path, os.X_OK):
        raise SealboxStartError(f"sealboxd not usable: {path} (from {where}) is not executable")
    return path


def _fixtures(config) -> str | None:
    chosen = _setting(config, "sealbox_fixtures", "sealbox_fixtures", "SEALBOX_FIXTURES")
    if chosen is None:
        return None
    path, where = chosen
    if not os.path.isfile(path):
        raise SealboxStartError(f"sealbox fixtures not found: {path} (from {where}) does not exist")
    return path


# ---------------------------------------------------------------------------
# The session: started once per process that runs tests, before test modules are imported
# ---------------------------------------------------------------------------


class _Session:
    def __init__(self):
        self.daemon: SealboxDaemon | None = None
        self.error: str | None = None
        self.saved_environment: dict[str, str | None] = {}
        self.environment: dict[str, str | None] = {}
        self.guard = None

    def apply(self, environment: dict[str, str | None]) -> None:
        for name, value in environment.items():
            self.saved_environment.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def close(self) -> None:
        if self.guard is not None:
            self.guard()
            self.guard = None
        for name, value in self.saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.saved_environment.clear()
        daemon, self.daemon = self.daemon, None
        if daemon is not None:
            daemon.stop()


_SESSION = _Session()
atexit.register(_SESSION.close)


def _session_environment(daemon: SealboxDaemon) -> dict[str, str | None]:
    nowhere = os.path.join(daemon.directory, "no-aws-config")  # never created
    environment: dict[str, str | None] = {name: None for name in _REMOVED_VARIABLES}
    environment.update({name: None for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")})
    no_proxy = [host for host in os.environ.get("NO_PROXY", "").split(",") if host]
    environment.update({
        "AWS_ENDPOINT_URL": daemon.endpoint_url,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": DUMMY_CREDENTIALS["region_name"],
        "AWS_REGION": DUMMY_CREDENTIALS["region_name"],
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SEALBOX_SOCKET": daemon.socket_path,
        "NO_PROXY": ",".join(no_proxy + [h for h in ("127.0.0.1", "localhost") if h not in no_proxy]),
    })
    environment["no_proxy"] = environment["NO_PROXY"]
    return environment


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _install_guard():
    """Makes botocore's HTTP layer refuse non-loopback hosts; returns the function that undoes it."""
    try:
        from botocore import httpsession
    except ImportError:
        return None
    original = httpsession.URLLib3Session.send

    def send(self, request):
        host = urllib.parse.urlsplit(request.url).hostname or ""
        if not _is_loopback(host):
            raise SealboxGuardError(
                f"sealbox pytest plugin: refused to send {request.method} {request.url.split('?')[0]}: tests "
                f"talk to sealboxd at {os.environ.get('AWS_ENDPOINT_URL')}, not to AWS; drop the explicit "
                "endpoint_url, or set the ini option sealbox_guard = false")
        return original(self, request)

    httpsession.URLLib3Session.send = send

    def undo():
        httpsession.URLLib3Session.send = original

    return undo


def _start(config) -> None:
    if _SESSION.daemon is not None or _SESSION.error is not None:
        return
    if _option(config, "help") or _option(config, "version"):
        return
    try:
        # The pytest-xdist controller runs tests in its workers, but imports conftest.py files itself:
        # it gets a daemon too, and reports a daemon that cannot start once, before any worker starts.
        daemon = SealboxDaemon(_binary(config), _fixtures(config))
    except SealboxStartError as error:
        _SESSION.error = str(error)
        raise pytest.UsageError(f"sealbox: {error}") from None
    _SESSION.daemon = daemon
    _SESSION.environment = _session_environment(daemon)
    _SESSION.apply(_SESSION.environment)
    if config.getini("sealbox_guard"):
        _SESSION.guard = _install_guard()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Installed through the entry point: before conftest.py files import application modules.
    _start(early_config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Loaded from a conftest.py (pytest_plugins): as early as that allows.
    _start(config)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    _SESSION.close()


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sealbox_daemon() -> SealboxDaemon:
    if _SESSION.daemon is None:
        pytest.fail(_SESSION.error or "sealbox: no daemon in this process (run with --help or --version?)",
                    pytrace=False)
    return _SESSION.daemon


@pytest.fixture
def sealbox(sealbox_daemon, monkeypatch) -> SealboxDaemon:
    sealbox_daemon.reset()
    for name, value in _SESSION.environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return sealbox_daemon


@pytest.fixture
def endpoint_url(sealbox) -> str:
    return sealbox.endpoint_url


@pytest.fixture
def aws_credentials() -> dict:
    return dict(DUMMY_CREDENTIALS)


@pytest.fixture
def boto3_session(sealbox, aws_credentials):
    try:
        import boto3
    except ImportError:
        pytest.fail("sealbox: the boto3_session fixture needs boto3 (pip install boto3)", pytrace=False)
    return boto3.Session(**aws_credentials)
