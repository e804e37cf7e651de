"""The audit log's integrity: `audit verify` reports every problem (a torn record from a crash does
not hide a later deletion), a run's chains are tied together by its header and checkpoints
(deleting a chain, cutting a chain's tail or moving records across a checkpoint is found), a
denied caller cannot flood the log, and `audit tail` never sends a control character to the
terminal."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import harness
from harness import UnixHTTP

# Root (the test's uid) may administer and use SSM, but never lease: every lease call is denied.
NO_LEASES = """
policy:
  - principals: ["uid:%d"]
    allow: ["admin:*", "ssm:*", "kms:*"]
    resources: ["*"]
"""


def cli(d: harness.Daemon, *args: str) -> subprocess.CompletedProcess:
    binary = harness.daemon_binary().parent / "sealbox"
    return subprocess.run([str(binary), *args, "--socket", str(d.socket_path)], capture_output=True,
                          timeout=60, env=harness.clean_env())


def verify(d: harness.Daemon) -> tuple[int, dict]:
    p = cli(d, "audit", "verify", "-o", "json")
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        pytest.fail(f"audit verify printed no JSON (rc {p.returncode}): {p.stdout!r} {p.stderr!r}")


def records(d: harness.Daemon) -> list[str]:
    return (d.data_dir / "audit.log").read_text(errors="replace").splitlines()


def chain(line: str) -> str:
    try:
        return json.loads(line).get("chain", "")
    except ValueError:
        return ""


def is_request(line: str) -> bool:
    """A request's outcome record: not its run's header or a checkpoint (on the chain named by the run
    alone), nor a write's intent (on a chain shared by the daemon's threads)."""
    return "-" in chain(line) and '"result":"intent"' not in line


def rewrite(d: harness.Daemon, lines: list[str]) -> None:
    """Rewrites the log in place (same inode), as someone with the daemon's uid could."""
    with open(d.data_dir / "audit.log", "r+b") as f:
        f.write(("\n".join(lines) + "\n").encode())
        f.truncate()


def put(conn: UnixHTTP, name: str) -> None:
    r = conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "v", "Type": "String", "Overwrite": True})
    assert r.status == 200, r


def start(tmp_path: Path, *extra: str) -> harness.Daemon:
    return harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=list(extra)).start()


def problem_lines(report: dict) -> list[int]:
    return [p["line"] for p in report.get("problems") or []] or (
        [report["problem"]["line"]] if report.get("problem") else [])


def test_a_deletion_after_a_torn_record_is_still_reported(tmp_path):
    d = start(tmp_path)
    try:
        with UnixHTTP(d.socket_path) as conn:
            for i in range(3):
                put(conn, f"/torn/a{i}")
        d.kill9()
        # What a kill -9 mid-write leaves: the start of a record, without its newline.
        with open(d.data_dir / "audit.log", "ab") as f:
            f.write(b'{"chain":"0123456789abcdef-0","seq":9,"time":17')
        torn_line = len(records(d))
        d.start()
        with UnixHTTP(d.socket_path) as conn:
            for i in range(5):
                put(conn, f"/torn/b{i}")
        lines = records(d)
        later = [i for i, x in enumerate(lines) if i >= torn_line and is_request(x)]
        assert len(later) == 5 and len({chain(lines[i]) for i in later}) == 1, lines[torn_line:]
        del lines[later[1]]
        rewrite(d, lines)
        rc, report = verify(d)
        assert rc == 1 and report["ok"] is False, report
        found = problem_lines(report)
        assert torn_line in found, f"the torn record (line {torn_line}) is not listed: {report}"
        # The break shows at the chain's next record, which moved up one line with the deletion.
        assert report["problem"]["line"] == later[2], f"the deletion is not the failure: {report}"
        kinds = {p["line"]: p.get("kind") for p in report["problems"]}
        assert kinds[torn_line] == "torn" and kinds[later[2]] == "chain", report
    finally:
        d.terminate(timeout=10)
        d.kill9()


def two_chain_run(tmp_path: Path, *, wait_for_checkpoint: bool = False):
    """A run with request records on two event-loop chains, then a clean stop (final checkpoint).
    Returns the daemon (stopped), and the connections' chains in the order used."""
    d = start(tmp_path)
    conns = [UnixHTTP(d.socket_path) for _ in range(6)]
    try:
        by_chain: dict[str, UnixHTTP] = {}
        for i, conn in enumerate(conns):
            put(conn, f"/chains/c{i}")
            by_chain.setdefault(chain(next(x for x in reversed(records(d)) if is_request(x))), conn)
        assert len(by_chain) >= 2, f"every connection landed on one event loop: {list(by_chain)}"
        (a, conn_a), (b, conn_b) = list(by_chain.items())[:2]
        for i in range(3):
            put(conn_a, f"/chains/a{i}")
            put(conn_b, f"/chains/b{i}")
        if wait_for_checkpoint:
            deadline = time.monotonic() + 25
            while not any('"action":"audit:Checkpoint"' in x for x in records(d)):
                assert time.monotonic() < deadline, "no periodic checkpoint within 25 s"
                time.sleep(0.5)
            # The first record after the checkpoint is B's, the last before it A's.
            if chain(next(x for x in reversed(records(d)) if is_request(x))) == b:
                put(conn_a, "/chains/a-last")
            put(conn_b, "/chains/b-after")
            put(conn_a, "/chains/a-after")
        for i in range(2):
            put(conn_a, f"/chains/a-end{i}")
            put(conn_b, f"/chains/b-end{i}")
    finally:
        for conn in conns:
            conn.close()
    assert d.terminate(timeout=15) == 0, d.logs()
    return d, a, b


def restart_and_verify(d: harness.Daemon, lines: list[str]) -> tuple[int, dict]:
    rewrite(d, lines)
    d.start()
    try:
        return verify(d)
    finally:
        d.terminate(timeout=10)
        d.kill9()


def test_a_clean_run_verifies_with_its_header_and_final_checkpoint(tmp_path):
    d, a, b = two_chain_run(tmp_path)
    lines = records(d)
    assert '"action":"audit:Open"' in lines[0] and '"action":"audit:Close"' in lines[-1], (lines[0], lines[-1])
    close = json.loads(lines[-1])
    assert set(close["heads"]) >= {a, b}, close
    d.start()
    try:
        rc, report = verify(d)
        assert rc == 0 and report["ok"] is True and not report.get("problems"), report
    finally:
        d.terminate(timeout=10)


def test_deleting_every_record_of_one_chain_is_detected(tmp_path):
    d, a, b = two_chain_run(tmp_path)
    lines = [x for x in records(d) if chain(x) != b]
    rc, report = restart_and_verify(d, lines)
    assert rc == 1 and report["ok"] is False, report
    assert report["problem"].get("kind") == "checkpoint" and b in report["problem"]["reason"], report


def test_cutting_one_chains_tail_while_another_chain_follows_is_detected(tmp_path):
    d, a, b = two_chain_run(tmp_path)
    lines = records(d)
    last_a = max(i for i, x in enumerate(lines) if chain(x) == a)
    assert any(chain(x) == b for x in lines[last_a + 1:]), "no record of the other chain follows"
    del lines[last_a]
    rc, report = restart_and_verify(d, lines)
    assert rc == 1 and report["ok"] is False, report
    assert report["problem"].get("kind") == "checkpoint", report


def test_swapping_lines_of_two_chains_across_a_checkpoint_is_detected(tmp_path):
    d, a, b = two_chain_run(tmp_path, wait_for_checkpoint=True)
    lines = records(d)
    k = next(i for i, x in enumerate(lines) if '"action":"audit:Checkpoint"' in x)
    before = max(i for i in range(k) if is_request(lines[i]))
    after = min(i for i in range(k + 1, len(lines)) if is_request(lines[i]))
    assert chain(lines[before]) != chain(lines[after]), (lines[before], lines[after])
    # Each chain keeps its own order: only the two chains' interleaving changes.
    lines[before], lines[after] = lines[after], lines[before]
    rc, report = restart_and_verify(d, lines)
    assert rc == 1 and report["ok"] is False, report
    assert any(p.get("kind") == "checkpoint" and p["line"] == k + 1 for p in report["problems"]), report


def denied_daemon(tmp_path: Path) -> harness.Daemon:
    config = tmp_path / "sealbox.yaml"
    config.write_text(NO_LEASES % os.getuid())
    return start(tmp_path, "--config", str(config))


def test_denied_long_lease_names_do_not_flood_the_log(tmp_path):
    d = denied_daemon(tmp_path)
    try:
        log = d.data_dir / "audit.log"
        before = log.stat().st_size
        with UnixHTTP(d.socket_path) as conn:
            for _ in range(3):
                r = harness.native(conn, "POST", "/v1/leases", {"name": "/" + "a" * 64_999})
                assert r.status in (400, 403), r
        grown = log.stat().st_size - before
        # Three records of a 65,000-byte name took 196 KB.
        assert grown < 8_000, f"3 requests added {grown} bytes to the audit log"
    finally:
        d.terminate(timeout=10)


def test_repeated_denials_are_summed_up_in_one_record(tmp_path):
    d = denied_daemon(tmp_path)
    try:
        log = d.data_dir / "audit.log"
        before = log.stat().st_size
        with UnixHTTP(d.socket_path) as conn:
            for _ in range(60):
                r = harness.native(conn, "POST", "/v1/leases", {"name": "/app/flood"})
                assert r.status == 403, r

        def denials() -> list[dict]:
            with open(log, "rb") as f:
                f.seek(before)
                out = [json.loads(x) for x in f.read().decode().splitlines()]
            return [x for x in out if x.get("action") == "lease:Create" and x.get("result") == "denied"]

        written = denials()
        assert len(written) <= 25, f"{len(written)} of 60 denials written one by one"
        deadline = time.monotonic() + 15
        while not any("suppressed" in x for x in denials()):
            assert time.monotonic() < deadline, "no record sums up the suppressed denials"
            time.sleep(0.25)
        total = sum(x.get("suppressed", 1) for x in denials())
        assert total == 60, f"the records account for {total} of 60 denials: {denials()}"
        rc, report = verify(d)
        assert rc == 0 and report["ok"] is True, report
    finally:
        d.terminate(timeout=10)


def test_audit_tail_escapes_control_characters(tmp_path):
    d = start(tmp_path)
    try:
        with UnixHTTP(d.socket_path) as conn:
            r = harness.native(conn, "POST", "/v1/leases/revoke", {"prefix": "\x1b[2J\x1b]0;pwned\x07/app/\u009b31m"})
            assert r.status == 200, r
        assert any("\\u001b[2J" in x for x in records(d)), records(d)[-1]
        for output in (["-o", "table"], ["-o", "json"]):
            p = cli(d, "audit", "tail", "-n", "5", *output)
            assert p.returncode == 0, p.stderr
            assert b"\x1b" not in p.stdout and b"\x07" not in p.stdout, p.stdout
            assert "\u009b".encode() not in p.stdout, p.stdout
            assert b"\\u001b[2J" in p.stdout, p.stdout
    finally:
        d.terminate(timeout=10)
