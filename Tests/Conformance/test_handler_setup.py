"""What a handler's host needs from the daemon's start: a socket a non-root handler user may reach
(--socket-group, --socket-mode), and an address in use reported with the address and the way out,
before anything is created."""

from __future__ import annotations

import grp
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import harness

NOBODY = 65534


def health_as_nobody(path) -> str:
    """GET /health over the socket as uid/gid 65534 with no other group: the status, or the error."""
    code = ("import http.client, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n"
            f"    s.connect({str(path)!r})\n"
            "except OSError as e:\n"
            "    print(type(e).__name__); sys.exit()\n"
            "s.sendall(b'GET /health HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "print(s.recv(100).split(b'\\r\\n')[0].decode())\n")

    def drop():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)

    # The system interpreter: a per-user one (pyenv under /root) is out of nobody's reach.
    out = subprocess.run(["/usr/bin/python3", "-c", code],
                         capture_output=True, text=True, preexec_fn=drop, timeout=30)
    return out.stdout.strip() or out.stderr.strip()


def test_a_socket_group_lets_a_handler_user_in(tmp_path):
    # Beside the private data dir, in a directory every user may pass through (pytest's own is 0700).
    public = Path(tempfile.mkdtemp(prefix="sealbox-run-", dir="/tmp"))
    public.chmod(0o755)
    try:
        check_socket_group(tmp_path, public / "sealbox.sock")
    finally:
        shutil.rmtree(public, ignore_errors=True)


def check_socket_group(tmp_path, sock):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    plain = harness.Daemon(data, tmp_path / "logs", socket_path=sock).start()
    try:
        info = os.stat(sock)
        assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o660, os.getgid())
        assert health_as_nobody(sock) == "PermissionError"
    finally:
        plain.terminate()
    grouped = harness.Daemon(data, tmp_path / "logs", socket_path=sock,
                             extra_args=["--socket-group", grp.getgrgid(NOBODY).gr_name]).start()
    try:
        info = os.stat(sock)
        assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o660, NOBODY)
        assert health_as_nobody(sock) == "HTTP/1.1 200 OK"
    finally:
        grouped.terminate()
    # A mode of the operator's choosing, and a group given by number.
    moded = harness.Daemon(data, tmp_path / "logs", socket_path=sock,
                           extra_args=["--socket-mode", "0600", "--socket-group", str(NOBODY)]).start()
    try:
        info = os.stat(sock)
        assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o600, NOBODY)
        assert health_as_nobody(sock) == "PermissionError"
    finally:
        moded.terminate()


def test_bad_socket_options_are_usage_errors(tmp_path):
    for args, message in ((["--socket-mode", "999"], "--socket-mode must be an octal mode"),
                          (["--socket-mode", "01777"], "--socket-mode must be an octal mode"),
                          (["--socket-group", "no-such-group-here"], "--socket-group: no group named")):
        out = subprocess.run([str(harness.daemon_binary()), "--data-dir", str(tmp_path / "d"), *args],
                             capture_output=True, text=True, timeout=30, env=harness.clean_env())
        assert out.returncode == 64 and message in out.stderr, (args, out.stderr)
        assert not (tmp_path / "d").exists()


def test_an_address_in_use_is_named_with_the_way_out_and_nothing_is_created(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([str(harness.daemon_binary()), "--data-dir", str(tmp_path / "d"),
                              "--listen", f"127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=30, env=harness.clean_env())
    assert out.returncode == 1, out
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr
    assert "--listen HOST:PORT" in out.stderr and "bind(descriptor" not in out.stderr
    assert not (tmp_path / "d").exists()
