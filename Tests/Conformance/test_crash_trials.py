"""Crash trials: kill -9 at a random moment under concurrent writes, on one persistent data dir.

Each trial runs writers against the daemon for a random 0.2-1.5 s: PutParameter threads
(SecureString under the default key and under a key being rotated, and String), a CreateKey
thread, a RotateKeyOnDemand thread, and `sealbox key rewrap` subprocesses. A write counts as
acknowledged only once its whole 200 response has been read. Then the daemon is killed with
SIGKILL in the middle of all that, and:

- the crash image (sealbox.db plus its WAL, copied while the daemon is down) passes
  `PRAGMA integrity_check`;
- the daemon restarts on the same data dir;
- `sealbox audit verify` succeeds, or names the file's last line as a torn final record (run
  before any other request, so nothing has been appended after a torn tail yet);
- every acknowledged parameter version is there with its value (`name:version`, WithDecryption),
  every parameter under /crash decrypts, every acknowledged key exists and every acknowledged
  rotation is listed;
- `sealbox key rewrap` to completion still succeeds.

The restarted daemon is the next trial's daemon. At the end every write of every trial is checked
again. SEALBOX_CRASH_TRIALS sets the number of trials (default 20).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

import harness
from harness import UnixHTTP

TRIALS = int(os.environ.get("SEALBOX_CRASH_TRIALS", "20"))
VERSIONS_PER_NAME = 60          # stay well under SSM's 100 kept versions
ROTATIONS_PER_KEY = 20          # RotateKeyOnDemand allows 25 per key


def cli_binary() -> Path:
    return harness.daemon_binary().parent / "sealbox"


class Trial:
    """What one trial's writers had acknowledged, and what went wrong while the daemon was alive."""

    def __init__(self, n: int):
        self.n = n
        self.lock = threading.Lock()
        self.writes: list[tuple[str, int, str]] = []
        self.keys: list[str] = []
        self.rotations: dict[str, int] = {}
        self.errors: list[str] = []
        self.rewraps: list[tuple[float, float, int, str, str]] = []
        self.stop = threading.Event()


def _call(conn: UnixHTTP, target: str, body: dict) -> harness.RawResponse:
    return conn.aws(target, body)


def put_writer(d: harness.Daemon, t: Trial, tag: str, ptype: str, key_id: str | None) -> None:
    gen = 0
    name = f"/crash/t{t.n}/{tag}/g{gen}"
    versions = 0
    i = 0
    try:
        conn = UnixHTTP(d.socket_path, timeout=5)
    except OSError:
        return
    try:
        while not t.stop.is_set():
            if versions >= VERSIONS_PER_NAME:
                gen += 1
                name = f"/crash/t{t.n}/{tag}/g{gen}"
                versions = 0
            value = f"{tag}-{t.n}-{i}-{uuid.uuid4().hex}"
            body = {"Name": name, "Value": value, "Type": ptype, "Overwrite": True}
            if key_id:
                body["KeyId"] = key_id
            i += 1
            try:
                r = _call(conn, "AmazonSSM.PutParameter", body)
            except (OSError, ConnectionError, AssertionError, ValueError):
                return  # the daemon died mid-request: not acknowledged
            if r.status != 200:
                with t.lock:
                    t.errors.append(f"PutParameter {name} -> {r!r}")
                return
            version = r.json()["Version"]
            versions = version
            with t.lock:
                t.writes.append((name, version, value))
    finally:
        conn.close()


def key_creator(d: harness.Daemon, t: Trial) -> None:
    try:
        conn = UnixHTTP(d.socket_path, timeout=5)
    except OSError:
        return
    try:
        while not t.stop.is_set():
            try:
                r = _call(conn, "TrentService.CreateKey", {"Description": f"crash-{t.n}"})
            except (OSError, ConnectionError, AssertionError, ValueError):
                return
            if r.status != 200:
                with t.lock:
                    t.errors.append(f"CreateKey -> {r!r}")
                return
            with t.lock:
                t.keys.append(r.json()["KeyMetadata"]["KeyId"])
            time.sleep(0.02)
    finally:
        conn.close()


def rotator(d: harness.Daemon, t: Trial, key_ids: list[str]) -> None:
    try:
        conn = UnixHTTP(d.socket_path, timeout=5)
    except OSError:
        return
    try:
        while not t.stop.is_set():
            todo = [k for k in key_ids if t.rotations.get(k, 0) < ROTATIONS_PER_KEY]
            if not todo:
                return
            k = random.choice(todo)
            try:
                r = _call(conn, "TrentService.RotateKeyOnDemand", {"KeyId": k})
            except (OSError, ConnectionError, AssertionError, ValueError):
                return
            if r.status != 200:
                with t.lock:
                    t.errors.append(f"RotateKeyOnDemand {k} -> {r!r}")
                return
            with t.lock:
                t.rotations[k] = t.rotations.get(k, 0) + 1
            time.sleep(0.03)
    finally:
        conn.close()


def rewrapper(d: harness.Daemon, t: Trial) -> None:
    while not t.stop.is_set():
        start = time.monotonic()
        try:
            p = subprocess.run([str(cli_binary()), "key", "rewrap", "--socket", str(d.socket_path), "-o", "json",
                                "--batch-size", "50"], capture_output=True, timeout=20, env=harness.clean_env())
            rc, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, out, err = -1, "", "timed out after 20 s"
        with t.lock:
            t.rewraps.append((start, time.monotonic(), rc, out, err))


def crash_image_integrity(data_dir: Path, scratch: Path) -> str:
    """Copies sealbox.db and its WAL (the daemon is dead) and runs PRAGMA integrity_check on the copy."""
    db = data_dir / "sealbox.db"
    assert db.exists(), f"no {db}"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for suffix in ("", "-wal"):
        src = Path(str(db) + suffix)
        if src.exists():
            shutil.copyfile(src, scratch / ("sealbox.db" + suffix))
    conn = sqlite3.connect(str(scratch / "sealbox.db"))
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return ";".join(str(r[0]) for r in rows)


def audit_verify(d: harness.Daemon) -> None:
    log = d.data_dir / "audit.log"
    data = log.read_bytes() if log.exists() else b""
    last_line = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    p = subprocess.run([str(cli_binary()), "audit", "verify", "--socket", str(d.socket_path), "-o", "json"],
                       capture_output=True, timeout=30, env=harness.clean_env())
    out = p.stdout.decode(errors="replace")
    if p.returncode == 0:
        return
    try:
        report = json.loads(out)
    except ValueError:
        pytest.fail(f"sealbox audit verify failed (rc {p.returncode}) without a JSON report:\n{out}\n"
                    f"{p.stderr.decode(errors='replace')}")
    problem = report.get("problem") or {}
    assert "torn final record" in str(problem.get("reason")) and problem.get("line") == last_line, (
        f"audit log does not verify, and not because of a torn final record on its last line ({last_line}); "
        f"tail: {data[-400:]!r}\nreport: {report}")


def get_versions(conn: UnixHTTP, writes: list[tuple[str, int, str]]) -> list[str]:
    """Checks each acknowledged (name, version, value) with GetParameters name:version selectors."""
    lost = []
    for i in range(0, len(writes), 10):
        batch = writes[i:i + 10]
        r = conn.aws("AmazonSSM.GetParameters",
                     {"Names": [f"{n}:{v}" for n, v, _ in batch], "WithDecryption": True})
        assert r.status == 200, r
        doc = r.json()
        got = {(p["Name"], p["Version"]): p["Value"] for p in doc["Parameters"]}
        for n, v, value in batch:
            if got.get((n, v)) != value:
                lost.append(f"{n}:{v} expected {value!r}, got {got.get((n, v))!r} "
                            f"(invalid: {doc.get('InvalidParameters')})")
    return lost


def all_decrypt(conn: UnixHTTP) -> int:
    count = 0
    token = None
    while True:
        body = {"Path": "/crash", "Recursive": True, "WithDecryption": True, "MaxResults": 10}
        if token:
            body["NextToken"] = token
        r = conn.aws("AmazonSSM.GetParametersByPath", body)
        assert r.status == 200, f"GetParametersByPath /crash WithDecryption failed: {r!r}"
        doc = r.json()
        for p in doc["Parameters"]:
            assert isinstance(p.get("Value"), str) and p["Value"], p
            count += 1
        token = doc.get("NextToken")
        if not token:
            return count


def listed_keys(conn: UnixHTTP) -> set[str]:
    keys, marker = set(), None
    while True:
        body = {"Limit": 1000}
        if marker:
            body["Marker"] = marker
        r = conn.aws("TrentService.ListKeys", body)
        assert r.status == 200, r
        doc = r.json()
        keys.update(k["KeyId"] for k in doc["Keys"])
        if not doc.get("Truncated"):
            return keys
        marker = doc["NextMarker"]


def rotation_count(conn: UnixHTTP, key_id: str) -> int:
    r = conn.aws("TrentService.ListKeyRotations", {"KeyId": key_id, "Limit": 1000})
    assert r.status == 200, r
    return len(r.json()["Rotations"])


def test_kill9_under_concurrent_writes_loses_nothing(tmp_path, capsys):
    assert cli_binary().exists(), f"sealbox CLI not found at {cli_binary()}"
    data = tmp_path / "data"
    data.mkdir()
    d = harness.Daemon(data, tmp_path / "logs")
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(str(e), pytrace=False)
    rng = random.Random(int(os.environ.get("SEALBOX_CRASH_SEED", str(int(time.time())))))
    all_writes: list[tuple[str, int, str]] = []
    all_keys: list[str] = []
    all_rotations: dict[str, int] = {}
    rewrap_stats = {"runs": 0, "interrupted": 0, "rewrapped": 0}
    lost: list[str] = []
    trials_done = 0
    started = time.monotonic()
    try:
        for n in range(TRIALS):
            t = Trial(n)
            # Two keys to rotate (and to encrypt SecureStrings under) during this trial.
            with UnixHTTP(d.socket_path) as conn:
                rot = []
                for _ in range(2):
                    r = conn.aws("TrentService.CreateKey", {"Description": f"crash-rotated-{n}"})
                    assert r.status == 200, r
                    rot.append(r.json()["KeyMetadata"]["KeyId"])
            t.keys.extend(rot)
            threads = [
                threading.Thread(target=put_writer, args=(d, t, "sec-default", "SecureString", None)),
                threading.Thread(target=put_writer, args=(d, t, "sec-rotated", "SecureString", rot[0])),
                threading.Thread(target=put_writer, args=(d, t, "sec-rotated2", "SecureString", rot[1])),
                threading.Thread(target=put_writer, args=(d, t, "plain", "String", None)),
                threading.Thread(target=key_creator, args=(d, t)),
                threading.Thread(target=rotator, args=(d, t, rot)),
                threading.Thread(target=rewrapper, args=(d, t)),
            ]
            for th in threads:
                th.daemon = True
                th.start()
            time.sleep(rng.uniform(0.2, 1.5))
            killed_at = time.monotonic()
            d.kill9()
            t.stop.set()
            for th in threads:
                th.join(timeout=30)
                assert not th.is_alive(), f"trial {n}: a writer thread hung after the kill"
            assert not t.errors, f"trial {n}: refusals while the daemon was alive: {t.errors[:5]}"
            for start, end, rc, out, err in t.rewraps:
                rewrap_stats["runs"] += 1
                if end < killed_at - 0.05:
                    assert rc == 0, f"trial {n}: sealbox key rewrap failed while the daemon was up: {out}{err}"
                    report = json.loads(out)
                    assert report["failed"] == [], f"trial {n}: rewrap reported failures: {report}"
                    rewrap_stats["rewrapped"] += report["rewrapped"]
                elif rc != 0:
                    rewrap_stats["interrupted"] += 1

            integrity = crash_image_integrity(data, tmp_path / "crash-image")
            assert integrity == "ok", f"trial {n}: PRAGMA integrity_check on the crash image: {integrity}"

            try:
                d.start()
            except harness.DaemonStartError as e:
                pytest.fail(f"trial {n}: restart after kill -9 failed:\n{e}", pytrace=False)
            audit_verify(d)

            with UnixHTTP(d.socket_path) as conn:
                trial_lost = get_versions(conn, t.writes)
                lost.extend(f"trial {n}: {x}" for x in trial_lost)
                assert all_decrypt(conn) > 0
                present = listed_keys(conn)
                missing = [k for k in t.keys if k not in present]
                assert not missing, f"trial {n}: acknowledged keys missing after restart: {missing}"
                for k, acked in t.rotations.items():
                    assert rotation_count(conn, k) >= acked, f"trial {n}: key {k}: {acked} acknowledged rotations"
            all_writes.extend(t.writes)
            all_keys.extend(t.keys)
            for k, v in t.rotations.items():
                all_rotations[k] = all_rotations.get(k, 0) + v
            trials_done += 1

        # After all trials: a full rewrap works, and every write of every trial is still there.
        p = subprocess.run([str(cli_binary()), "key", "rewrap", "--socket", str(d.socket_path), "-o", "json"],
                           capture_output=True, timeout=60, env=harness.clean_env())
        assert p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")
        assert json.loads(p.stdout)["failed"] == [], p.stdout
        with UnixHTTP(d.socket_path) as conn:
            final_lost = get_versions(conn, all_writes)
            lost.extend(f"final: {x}" for x in final_lost)
            present = listed_keys(conn)
            assert not [k for k in all_keys if k not in present]
            assert all_decrypt(conn) > 0
        audit_verify(d)
    finally:
        d.terminate(timeout=10)
        d.kill9()
        with capsys.disabled():
            print(f"\nCRASH: trials={trials_done} acknowledged_writes={len(all_writes)} lost={len(lost)} "
                  f"(keys={len(all_keys)} rotations={sum(all_rotations.values())} rewrap_runs={rewrap_stats['runs']} "
                  f"interrupted_rewraps={rewrap_stats['interrupted']} rewrapped={rewrap_stats['rewrapped']} "
                  f"{time.monotonic() - started:.1f}s)")
    assert not lost, f"{len(lost)} acknowledged writes lost or wrong after kill -9:\n" + "\n".join(lost[:20])
    assert len(all_writes) > TRIALS, f"too few acknowledged writes to mean anything: {len(all_writes)}"
