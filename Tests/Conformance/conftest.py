"""Fixtures for the Sealbox conformance suite.

The session daemon is started once: sealboxd --data-dir <tmp> --listen 127.0.0.1:<port>
--socket <tmp>/sealbox.sock. Tests that need their own daemon (ephemeral, durability,
SIGTERM) start one with `harness.Daemon`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

# The suite also runs through the plugin that test suites use (docs/testing.md), from the source tree
# (`pip install ./clients/python` registers the same module under the same name, so it is not loaded
# twice): its fixtures (`sealbox`, `sealbox_daemon`, `endpoint_url`) give tests an ephemeral daemon
# reset per test.
sys.path.insert(0, str(harness.PYTHON_PACKAGE))
pytest_plugins = ["sealbox.pytest_plugin"]

# Never let a proxy from the environment see 127.0.0.1 traffic.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

_SESSION_DAEMON: list = []


@pytest.fixture(scope="session", autouse=True)
def _require_daemon_binary(request):
    path = harness.daemon_binary()
    problem = None
    if not path.exists():
        problem = harness.missing_binary_message(path)
    elif not os.access(path, os.X_OK):
        problem = f"{path} is not executable"
    if problem:
        # A missing build is a failure of the whole suite, never a skip: report it
        # as an error on the first test and stop the session there.
        request.session.shouldfail = "sealboxd binary missing: " + problem
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def daemon(tmp_path_factory, request) -> harness.Daemon:
    base = tmp_path_factory.mktemp("session")
    data = base / "data"
    data.mkdir()
    d = harness.Daemon(data, base / "logs", socket_path=data / "sealbox.sock")
    error = None
    try:
        d.start()
    except harness.DaemonStartError as e:
        error = str(e)
    if error:
        request.session.shouldfail = "the session daemon did not start (see the first error)"
        pytest.fail(f"could not start the session daemon:\n{error}", pytrace=False)
    _SESSION_DAEMON.append(d)
    yield d
    rc = d.terminate(timeout=10)
    _SESSION_DAEMON.remove(d)
    if rc is None:
        print(f"\nsession sealboxd did not exit within 10 s of SIGTERM\n{d.logs()}", file=sys.stderr)


@pytest.fixture(scope="session")
def creds(daemon) -> tuple[str, str]:
    return daemon.credentials()


@pytest.fixture(scope="session")
def kms(daemon, creds):
    """boto3 KMS client signed with the daemon's `sealbox` profile."""
    return daemon.client(*creds)


@pytest.fixture(scope="session")
def kms_nv(daemon, creds):
    """Same, without botocore's client-side parameter validation, so that the
    server's own validation is what gets tested."""
    return daemon.client(*creds, validate=False)


@pytest.fixture(scope="session")
def ssm(daemon, creds):
    """boto3 SSM client signed with the daemon's `sealbox` profile."""
    return daemon.client(*creds, service="ssm")


@pytest.fixture(scope="session")
def ssm_nv(daemon, creds):
    """SSM without botocore's client-side validation (server-side validation is tested)."""
    return daemon.client(*creds, service="ssm", validate=False)


@pytest.fixture
def pbase() -> str:
    """A fresh parameter hierarchy for one test: /t/<32 hex>."""
    return f"/t/{uuid.uuid4().hex}"


@pytest.fixture
def new_key(kms):
    """Factory: creates a fresh symmetric key, returns its metadata."""

    def make(**kwargs):
        kwargs.setdefault("Description", harness.unique("conformance"))
        return kms.create_key(**kwargs)["KeyMetadata"]

    return make


@pytest.fixture
def key(new_key):
    return new_key()


@pytest.fixture
def spawn(tmp_path):
    """Factory for extra daemons; all are stopped at the end of the test."""
    started: list[harness.Daemon] = []

    def make(data_dir: Path | None = None, *, ephemeral: bool = False, socket_path: Path | None = None,
             extra_args: list[str] | None = None, start: bool = True) -> harness.Daemon:
        if data_dir is None:
            data_dir = tmp_path / harness.unique("data")
            data_dir.mkdir()
        d = harness.Daemon(data_dir, tmp_path / "logs", ephemeral=ephemeral, socket_path=socket_path,
                           extra_args=extra_args)
        started.append(d)
        if start:
            error = None
            try:
                d.start()
            except harness.DaemonStartError as e:
                error = str(e)
            if error:
                pytest.fail(f"could not start sealboxd:\n{error}", pytrace=False)
        return d

    yield make
    for d in started:
        if d.running():
            d.terminate(timeout=5)
            d.kill9()


@pytest.fixture(scope="session")
def vectors_bin() -> Path:
    path = harness.vectors_binary()
    if not path.exists():
        pytest.fail(f"sealbox-vectors binary not found at {path}. Build it first (`swift build`), "
                    f"or set SEALBOX_VECTORS.", pytrace=False)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _SESSION_DAEMON:
        d = _SESSION_DAEMON[0]
        report.sections.append(("session sealboxd log tail", d.logs(tail=25)))
        if not d.running():
            report.sections.append(("session sealboxd", f"the session daemon is no longer running "
                                                        f"(status {d.proc.returncode})"))


@pytest.fixture(scope="session")
def aws(daemon, tmp_path_factory):
    """Runs the AWS CLI against the session daemon with the credentials file it wrote."""
    base = harness.aws_argv()
    home = tmp_path_factory.mktemp("awscli-home")
    env = harness.clean_env()
    env.update({
        "AWS_SHARED_CREDENTIALS_FILE": str(daemon.credentials_file),
        "AWS_CONFIG_FILE": str(home / "config-does-not-exist"),
        "AWS_PAGER": "",
        "HOME": str(home),
    })

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = base + ["--profile", "sealbox", "--region", "us-east-1",
                       "--endpoint-url", daemon.endpoint] + list(args)
        p = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        if check:
            assert p.returncode == 0, f"{' '.join(args)} -> {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"
        return p

    return run


@pytest.fixture
def sock(daemon):
    """A kept-alive HTTP connection to the session daemon's Unix socket, owned by this process."""
    with harness.UnixHTTP(daemon.socket_path) as conn:
        yield conn


@pytest.fixture(scope="session")
def sbc():
    """The sealbox.client module (clients/python/sealbox/client.py) under test."""
    return harness.load_python_client()


@pytest.fixture
def start_daemon(tmp_path):
    """Starts daemons of a test's own, each in its own folder under tmp_path (named `name`, by default
    d0, d1, ...), with `config` as its --config when given; all are stopped when the test ends."""
    started: list[harness.Daemon] = []

    def run(config: str | None = None, *, name: str | None = None, ephemeral: bool = False,
            extra: list[str] | None = None) -> harness.Daemon:
        base = tmp_path / (name or f"d{len(started)}")
        base.mkdir()
        args = list(extra or [])
        if config is not None:
            path = base / "sealbox.yaml"
            path.write_text(config)
            args += ["--config", str(path)]
        d = harness.Daemon(base / "data", base / "logs", ephemeral=ephemeral, socket_path=base / "s.sock",
                           extra_args=args)
        started.append(d)
        d.start()
        return d

    yield run
    for d in started:
        d.terminate(timeout=10)
        d.kill9()
