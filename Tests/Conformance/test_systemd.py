"""sealboxd under systemd: socket activation (LISTEN_FDS), the notify protocol (READY, STATUS,
RELOADING, STOPPING, WATCHDOG), and the hardened unit's exposure score.

systemd-socket-activate stands in for PID 1: it binds the socket, and on the first connection
execs sealboxd with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set, as systemd does.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import harness

REPO = Path(__file__).resolve().parents[2]


class _Unix(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("sealbox", timeout=10)
        self._path = path

    def connect(self):
        # systemd-socket-activate binds the path before it listens: between the two, a connect is
        # refused. Retry that moment only.
        deadline = time.monotonic() + 5
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            try:
                self.sock.connect(str(self._path))
                return
            except ConnectionRefusedError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def _get(path, url="/health"):
    conn = _Unix(path)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _messages(notify, until, timeout=10.0):
    """Datagrams from the notify socket until one contains `until`."""
    notify.settimeout(timeout)
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = notify.recv(4096).decode()
        except socket.timeout:
            break
        got.append(message)
        if until in message:
            return got
    raise AssertionError(f"no {until!r} in notify messages {got}")


@pytest.fixture
def activated(tmp_path):
    if not shutil.which("systemd-socket-activate"):
        pytest.fail("systemd-socket-activate is missing (apt-get install systemd)", pytrace=False)
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    socket_path = tmp_path / "sealbox.sock"
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    config = tmp_path / "sealbox.yaml"
    config.write_text("leases: {defaultTtlSeconds: 60}\n")
    proc = subprocess.Popen(
        ["systemd-socket-activate", "-l", str(socket_path), "--fdname=unix",
         "-E", f"NOTIFY_SOCKET={notify_path}", "-E", "WATCHDOG_USEC=400000",
         str(harness.daemon_binary()), "--data-dir", str(data), "--listen", "none", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=harness.clean_env())
    deadline = time.monotonic() + 10
    while not socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    yield proc, socket_path, notify, data
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    notify.close()


def test_the_daemon_serves_an_activated_socket_and_reports_ready_then_stopping(activated):
    proc, socket_path, notify, data = activated
    # The first connection makes systemd-socket-activate exec sealboxd with the listening socket.
    status, body = _get(socket_path)
    assert status == 200, body
    messages = _messages(notify, "READY=1")
    ready = next(m for m in messages if "READY=1" in m)
    assert f"MAINPID={proc.pid}" in ready, messages
    assert any("STATUS=" in m for m in messages)
    # The daemon did not create its own socket in the data dir: it uses the one it was given.
    assert not (data / "sealbox.sock").exists()
    # Peer credentials work on the activated socket: the caller is identified and authorised.
    assert _get(socket_path, "/v1/status")[0] == 200

    proc.send_signal(signal.SIGHUP)
    reload_messages = _messages(notify, "READY=1")
    assert any(re.search(r"RELOADING=1\nMONOTONIC_USEC=\d+", m) for m in reload_messages), reload_messages

    proc.send_signal(signal.SIGTERM)
    assert any("STOPPING=1" in m for m in _messages(notify, "STOPPING=1"))
    assert proc.wait(timeout=15) == 0
    # The socket belongs to systemd: sealboxd leaves it in place for the next start.
    assert socket_path.exists()


def test_the_watchdog_is_pinged_at_half_its_interval(activated):
    proc, socket_path, notify, _ = activated
    assert _get(socket_path)[0] == 200
    _messages(notify, "READY=1")
    start = time.monotonic()
    pings = 0
    while pings < 3:
        assert "WATCHDOG=1" in _messages(notify, "WATCHDOG=1", timeout=5)[-1]
        pings += 1
    # Three pings at 0.2 s intervals: more than 0.2 s, far less than the 5 s of a missing watchdog.
    assert time.monotonic() - start < 5
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def test_without_systemd_nothing_changes(tmp_path):
    """No NOTIFY_SOCKET and no LISTEN_FDS: the daemon binds its own socket as always."""
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", ephemeral=True)
    (tmp_path / "data").mkdir()
    d.start()
    try:
        assert _get(d.socket_path)[0] == 200
    finally:
        d.terminate(timeout=10)


def test_the_unit_scores_at_most_2_0_in_systemd_analyze_security():
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (apt-get install systemd)", pytrace=False)
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(REPO / "systemd" / "sealboxd.service")],
        capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for sealboxd\.service: ([0-9.]+)", out.stdout + out.stderr)
    assert match, out.stdout + out.stderr
    assert float(match.group(1)) <= 2.0, out.stdout


def _unit_settings() -> dict[str, str]:
    settings = {}
    for line in (REPO / "systemd" / "sealboxd.service").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def test_the_unit_leaves_callers_uids_and_proc_entries_visible():
    # PrivateUsers=yes maps every other user's uid to 65534 in SO_PEERCRED, and ProtectProc hides their
    # /proc entries: per-uid policy and lease binding would break under the shipped unit.
    settings = _unit_settings()
    assert settings.get("PrivateUsers", "no") in ("no", "false"), settings.get("PrivateUsers")
    assert settings.get("ProtectProc", "default") == "default", settings.get("ProtectProc")


def test_a_daemon_in_a_user_namespace_that_hides_other_uids_says_so(tmp_path):
    if not shutil.which("unshare"):
        pytest.fail("unshare is missing (util-linux)", pytrace=False)
    # What PrivateUsers=yes does: a user namespace that maps the daemon's own uid alone.
    wrapper = harness.daemon_wrapper(tmp_path / "sealboxd-in-userns", "", "unshare --user --map-root-user")
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", binary=wrapper)
    d.start()
    try:
        assert "callers of other uids all appear as uid 65534" in d.logs(tail=200)
    finally:
        d.terminate(timeout=10)
    plain = harness.Daemon(tmp_path / "data2", tmp_path / "logs2")
    plain.start()
    try:
        assert "appear as uid 65534" not in plain.logs(tail=200)
    finally:
        plain.terminate(timeout=10)
