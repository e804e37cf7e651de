"""Ownership of the data dir and its secret files, and who listens on the socket (issue 27, finding 7).

The daemon refuses to start, before it listens, on a data dir, root key, token or credentials file
that is not owned by its uid or that group or others may write, and on a symbolic link in place of
one of those files. The CLI and the Python client check the uid of the process listening on the
socket (SO_PEERCRED) before sending anything: their own uid, root, or the owner of the socket's
directory.

Making a file belong to another uid (chown) and running a listener as another uid (setuid) need
root; those tests are skipped, with that reason, when the suite does not run as root. The symbolic
link and mode tests run as any user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness

NOBODY = 65534
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="giving a file to another uid (chown) or listening as one (setuid) needs root")


def cli_binary() -> Path:
    return harness.daemon_binary().parent / "sealbox"


def _fresh(tmp_path: Path, name: str = "data") -> Path:
    data = tmp_path / name
    data.mkdir(mode=0o700)
    return data


def _first_start(tmp_path: Path, data: Path) -> None:
    """Starts and stops a daemon once, so the data dir holds the files it generates."""
    d = harness.Daemon(data, tmp_path / "logs-first")
    d.start()
    assert d.terminate() == 0


def _refused(tmp_path: Path, data: Path, *expected: str) -> str:
    """Starts a daemon on `data`; it must exit non-zero before listening, saying each of `expected`."""
    socket_path = tmp_path / "refused.sock"
    d = harness.Daemon(data, tmp_path / "logs", socket_path=socket_path)
    with pytest.raises(harness.DaemonStartError) as excinfo:
        d.start()
    d.kill9()
    assert d.proc.returncode not in (0, None), d.logs()
    assert not socket_path.exists(), "the daemon listened before refusing"
    message = str(excinfo.value)
    for text in expected:
        assert text in message, message
    return message


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o720, 0o702], ids=oct)
def test_a_data_dir_others_may_write_is_refused(tmp_path, mode):
    data = _fresh(tmp_path)
    os.chmod(data, mode)
    _refused(tmp_path, data, str(data), "writable by group or others")


@needs_root
def test_a_data_dir_of_another_uid_is_refused(tmp_path):
    data = _fresh(tmp_path)
    os.chown(data, NOBODY, NOBODY)
    _refused(tmp_path, data, str(data), f"owned by uid {NOBODY}")


@pytest.mark.parametrize("name", ["credentials", "root.key", "token"])
def test_a_symbolic_link_in_place_of_a_secret_file_is_refused(tmp_path, name):
    # The link points at the genuine file: only the link itself is wrong.
    data = _fresh(tmp_path)
    _first_start(tmp_path, data)
    elsewhere = _fresh(tmp_path, "elsewhere")
    os.rename(data / name, elsewhere / name)
    os.symlink(elsewhere / name, data / name)
    _refused(tmp_path, data, f"{data / name}", "symbolic link")


@needs_root
@pytest.mark.parametrize("name", ["credentials", "root.key", "token"])
def test_a_secret_file_of_another_uid_is_refused(tmp_path, name):
    # A credentials file planted by another uid was accepted by a root daemon.
    data = _fresh(tmp_path)
    _first_start(tmp_path, data)
    os.chown(data / name, NOBODY, NOBODY)
    _refused(tmp_path, data, f"{data / name}", f"owned by uid {NOBODY}")


def test_a_token_file_the_group_may_write_is_refused(tmp_path):
    data = _fresh(tmp_path)
    _first_start(tmp_path, data)
    os.chmod(data / "token", 0o660)
    _refused(tmp_path, data, f"{data / 'token'}", "writable by group or others")


def test_files_the_daemon_creates_are_its_own(tmp_path):
    data = tmp_path / "created"
    d = harness.Daemon(data, tmp_path / "logs")
    d.start()
    try:
        expected = {"": 0o700, "root.key": 0o600, "credentials": 0o600, "token": 0o640, "sealbox.db": 0o600,
                    "audit.log": 0o600}
        for name, mode in expected.items():
            info = (data / name).stat()
            assert (info.st_mode & 0o777, info.st_uid) == (mode, os.geteuid()), name
        for extra in data.iterdir():
            if extra.name not in expected and not extra.is_socket():
                assert extra.stat().st_mode & 0o077 == 0, extra
    finally:
        d.terminate()
    # And they are accepted at the next start.
    d.start()
    d.terminate()


# -- who listens on the socket ---------------------------------------------

FAKE_DAEMON = r"""
import os, signal, socket, sys
path, uid = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o666)
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
s.listen(8)  # SO_PEERCRED reports the credentials of the listen() call: uid from here on
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    c, _ = s.accept()
    c.settimeout(5)
    got = b""
    try:
        while b"\r\n\r\n" not in got:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
            print("recv " + chunk.hex(), flush=True)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\n{}")
    except OSError:
        pass
    c.close()
"""


class FakeDaemon:
    """A process that binds `path` and listens on it as `uid`, recording every byte it receives."""

    def __init__(self, path: Path, uid: int):
        self.path = path
        self.proc = subprocess.Popen([sys.executable, "-c", FAKE_DAEMON, str(path), str(uid)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        assert line.strip() == b"ready", self.proc.stderr.read().decode(errors="replace")

    def received(self) -> bytes:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return b"".join(bytes.fromhex(line[5:]) for line in out.decode().splitlines() if line.startswith("recv "))


@pytest.fixture()
def shared_dir(tmp_path):
    """A directory anyone may write, owned by the test's user: the data dir of the attack."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(shared, 0o777)
    return shared


def _cli(socket_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = harness.clean_env()
    return subprocess.run([str(cli_binary()), *args, "--socket", str(socket_path)], input=stdin,
                          capture_output=True, env=env, timeout=30)


@needs_root
def test_the_cli_sends_no_secret_to_a_socket_another_uid_listens_on(shared_dir):
    socket_path = shared_dir / "sealbox.sock"
    fake = FakeDaemon(socket_path, NOBODY)
    secret = b"captured-if-sent-5d1e"
    result = _cli(socket_path, "param", "put", "/ownership/secret", "--type", "SecureString", stdin=secret)
    received = fake.received()
    assert secret not in received and received == b"", received
    assert result.returncode != 0
    err = result.stderr.decode()
    assert f"uid {NOBODY}" in err and "Nothing was sent" in err, err


@needs_root
def test_the_python_client_sends_nothing_to_a_socket_another_uid_listens_on(shared_dir):
    client_module = harness.load_python_client()
    socket_path = shared_dir / "sealbox.sock"
    fake = FakeDaemon(socket_path, NOBODY)
    with client_module.SealboxClient(socket_path=str(socket_path), timeout=5) as client:
        with pytest.raises(client_module.SealboxError) as excinfo:
            client.decrypt_env("DB_PASSWORD", "sealbox:v1:captured-if-sent")
    received = fake.received()
    assert received == b"", received
    assert excinfo.value.code == "UntrustedDaemon", excinfo.value
    assert f"uid {NOBODY}" in str(excinfo.value)


@needs_root
def test_the_owner_of_the_sockets_directory_is_trusted(tmp_path):
    # As under systemd without socket activation: /run/sealbox belongs to the daemon's user.
    os.chmod(tmp_path, 0o755)
    run = tmp_path / "run"
    run.mkdir(mode=0o755)
    os.chown(run, NOBODY, NOBODY)
    socket_path = run / "sealbox.sock"
    fake = FakeDaemon(socket_path, NOBODY)
    client_module = harness.load_python_client()
    with client_module.SealboxClient(socket_path=str(socket_path), timeout=5) as client:
        client.get_parameter("/ownership/plain")
    _cli(socket_path, "status")
    received = fake.received()
    assert received.count(b"HTTP/1.1") >= 2, received


def test_the_cli_and_client_still_talk_to_their_own_daemon(tmp_path):
    data = _fresh(tmp_path)
    d = harness.Daemon(data, tmp_path / "logs")
    d.start()
    try:
        result = _cli(d.socket_path, "param", "put", "/ownership/own", "--type", "SecureString", stdin=b"mine")
        assert result.returncode == 0, result.stderr.decode()
        client_module = harness.load_python_client()
        with client_module.SealboxClient(socket_path=str(d.socket_path), timeout=5) as client:
            with client.lease("/ownership/own").value() as value:
                assert bytes(value) == b"mine"
    finally:
        d.terminate()
