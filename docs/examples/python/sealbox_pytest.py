"""pytest plugin: an ephemeral sealboxd per test session, reset before every test.

Load it from your conftest.py (stdlib and pytest only):

    pytest_plugins = ["sealbox_pytest"]          # with this file on sys.path

Then, in tests:

    def test_reads_the_password(sealbox, boto3_session):
        ssm = boto3_session.client("ssm", endpoint_url=sealbox.endpoint_url)
        ssm.put_parameter(Name="/app/db/password", Value="s3cr3t", Type="SecureString")
        ...
        assert ("ssm:GetParameter", "/app/db/password") in sealbox.operations()

Settings (command line, ini file or environment):
    --sealboxd PATH          / ini sealboxd          / $SEALBOXD            the daemon binary (default: on $PATH)
    --sealbox-fixtures PATH  / ini sealbox_fixtures  / $SEALBOX_FIXTURES    keys and parameters every test starts from

Fixtures:
    sealbox_daemon  (session)  the running daemon: endpoint_url, socket_path, pid, reset(), calls(),
                               clear_calls(), operations(), inspect(pid), fixtures_export()
    sealbox         (function) the same daemon, reset to its fixtures, with AWS_ENDPOINT_URL, dummy
                               credentials and SEALBOX_SOCKET set for the test (and its child processes)
    endpoint_url    (function) the daemon's http://127.0.0.1:PORT
    aws_credentials (function) dummy credentials, as a dict for boto3.Session(**aws_credentials)
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

DUMMY_CREDENTIALS = {
    "aws_access_key_id": "AKIASEALBOXTEST00000",
    "aws_secret_access_key": "sealbox-test-secret",
    "region_name": "us-east-1",
}


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


class SealboxDaemon:
    """One `sealboxd --ephemeral` process: in memory, any AWS credentials accepted."""

    def __init__(self, binary: str, fixtures: str | None = None, extra_args: list[str] | None = None):
        self._directory = tempfile.mkdtemp(prefix="sealbox-pytest-")
        self.socket_path = os.path.join(self._directory, "sealbox.sock")
        argv = [binary, "--ephemeral", "--listen", "127.0.0.1:0", "--socket", self.socket_path]
        if fixtures:
            argv += ["--fixtures", fixtures]
        argv += list(extra_args or [])
        self._stderr = open(os.path.join(self._directory, "sealboxd.stderr"), "w+b")
        self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr,
                                         stdin=subprocess.DEVNULL)
        self.started = time.monotonic()
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=5)
            self._stderr.seek(0)
            raise RuntimeError(f"sealboxd did not start: {self._stderr.read().decode(errors='replace')}")
        ready = json.loads(line)
        self.pid = ready["pid"]
        self.endpoint_url = "http://" + ready["tcp"]
        self.ready_seconds = time.monotonic() - self.started

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
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()
        self._stderr.close()
        shutil.rmtree(self._directory, ignore_errors=True)


def pytest_addoption(parser):
    group = parser.getgroup("sealbox")
    group.addoption("--sealboxd", default=None, help="the sealboxd binary")
    group.addoption("--sealbox-fixtures", default=None, help="fixtures every test starts from")
    parser.addini("sealboxd", "the sealboxd binary", default=None)
    parser.addini("sealbox_fixtures", "fixtures every test starts from", default=None)


def _setting(config, option: str, ini: str, env: str) -> str | None:
    return config.getoption(option) or config.getini(ini) or os.environ.get(env)


@pytest.fixture(scope="session")
def sealbox_daemon(pytestconfig):
    binary = _setting(pytestconfig, "--sealboxd", "sealboxd", "SEALBOXD") or shutil.which("sealboxd")
    if not binary:
        pytest.fail("sealboxd not found: pass --sealboxd PATH or set SEALBOXD", pytrace=False)
    daemon = SealboxDaemon(binary, _setting(pytestconfig, "--sealbox-fixtures", "sealbox_fixtures",
                                            "SEALBOX_FIXTURES"))
    yield daemon
    daemon.stop()


@pytest.fixture
def sealbox(sealbox_daemon, monkeypatch):
    sealbox_daemon.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", sealbox_daemon.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", DUMMY_CREDENTIALS["region_name"])
    monkeypatch.setenv("SEALBOX_SOCKET", sealbox_daemon.socket_path)
    return sealbox_daemon


@pytest.fixture
def endpoint_url(sealbox) -> str:
    return sealbox.endpoint_url


@pytest.fixture
def aws_credentials() -> dict:
    return dict(DUMMY_CREDENTIALS)
