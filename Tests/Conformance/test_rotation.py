"""Key rotation, rewrap and retirement, and root key rotation, against real daemons driven by the
`sealbox` CLI: rotation while a handler redeems a lease in a tight loop, a `key rewrap` killed with
SIGKILL half-way, retirement refused while stored data keys need an old version, and a root key
rotation across a restart. (Automatic rotation is covered elsewhere.)
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import harness


def cli_binary() -> Path:
    return Path(os.environ.get("SEALBOX_CLI") or harness.daemon_binary().with_name("sealbox"))


def run_cli(*args: str, socket_path, input: bytes | str = b"", timeout: float = 120) -> subprocess.CompletedProcess:
    argv = [str(cli_binary()), *args, "--socket", str(socket_path)]
    p = subprocess.run(argv, input=input.encode() if isinstance(input, str) else input, capture_output=True,
                       env=harness.clean_env(), timeout=timeout)
    return subprocess.CompletedProcess(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


def describe(p) -> str:
    return f"{' '.join(p.args)} -> {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"


def ok(p):
    assert p.returncode == 0 and p.stderr == "", describe(p)
    return p


def start(data: Path, logs: Path, **kw) -> harness.Daemon:
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    d = harness.Daemon(data, logs, **kw)
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(f"could not start sealboxd:\n{e}", pytrace=False)
    return d


def restart(d: harness.Daemon) -> None:
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(f"sealboxd did not start again on {d.data_dir}:\n{e}", pytrace=False)


@pytest.fixture(scope="module")
def sd(tmp_path_factory):
    if not cli_binary().exists():
        pytest.fail(f"sealbox CLI not found at {cli_binary()}", pytrace=False)
    base = tmp_path_factory.mktemp("rotation")
    d = start(base / "data", base / "logs")
    yield d
    d.terminate(timeout=10)
    d.kill9()


@pytest.fixture
def own(tmp_path):
    """Daemons of one test, on data dirs of its own; all stopped at the end."""
    started: list[harness.Daemon] = []

    def make(name: str = "data", **kw) -> harness.Daemon:
        d = start(tmp_path / name, tmp_path / "logs", **kw)
        started.append(d)
        return d

    yield make
    for d in started:
        d.terminate(timeout=10)
        d.kill9()


def put_many(socket_path: Path, items: list[tuple[str, str]], key_id: str, threads: int = 6) -> None:
    """SecureString puts over the Unix socket (unsigned AWS JSON), from several connections at once."""
    chunks = [items[i::threads] for i in range(threads)]

    def work(chunk):
        with harness.UnixHTTP(socket_path, timeout=30) as conn:
            for name, value in chunk:
                r = conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": value, "Type": "SecureString",
                                                        "KeyId": key_id, "Overwrite": True})
                assert r.status == 200, (name, r)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, chunks))


def read_all(socket_path: Path, names: list[str], threads: int = 4) -> tuple[dict, list]:
    """GetParameters WithDecryption, 10 names a call: ({name: value}, [invalid or failed names])."""
    batches = [names[i:i + 10] for i in range(0, len(names), 10)]

    def work(part):
        got, bad = {}, []
        with harness.UnixHTTP(socket_path, timeout=30) as conn:
            for batch in part:
                r = conn.aws("AmazonSSM.GetParameters", {"Names": batch, "WithDecryption": True})
                if r.status != 200:
                    bad.extend((n, r.status, r.body[:200]) for n in batch)
                    continue
                body = r.json()
                bad.extend(body.get("InvalidParameters", []))
                for p in body["Parameters"]:
                    got[p.get("Selector") and p["Name"] + p["Selector"] or p["Name"]] = p["Value"]
        return got, bad

    got, bad = {}, []
    with ThreadPoolExecutor(threads) as pool:
        for g, b in pool.map(work, [batches[i::threads] for i in range(threads)]):
            got.update(g)
            bad.extend(b)
    return got, bad


def assert_all_decrypt(socket_path: Path, expected: dict, when: str) -> None:
    got, bad = read_all(socket_path, list(expected))
    assert not bad, f"{when}: {len(bad)} parameters did not decrypt, e.g. {bad[:5]}"
    wrong = [n for n, v in expected.items() if got.get(n) != v]
    assert not wrong, f"{when}: {len(wrong)} values differ, e.g. {[(n, got.get(n), expected[n]) for n in wrong[:3]]}"


STILL_NEEDED = re.compile(r"(\d+) stored data keys are still wrapped under versions below (\d+)")


# ---------------------------------------------------------------------------
# Rotation under load
# ---------------------------------------------------------------------------


def test_rotation_rewrap_and_overwrite_under_redeem_load(sd):
    kms = sd.client()
    ssm = sd.client(service="ssm")
    sbc = harness.load_python_client()
    kid = kms.create_key(Description="under-load")["KeyMetadata"]["KeyId"]
    name = f"/load/{uuid.uuid4().hex}/db/password"
    v1 = "first-" + uuid.uuid4().hex
    v2 = "second-" + uuid.uuid4().hex
    assert ssm.put_parameter(Name=name, Value=v1, Type="SecureString", KeyId=kid)["Version"] == 1
    before_ct = kms.encrypt(KeyId=kid, Plaintext=b"encrypted before the rotation")["CiphertextBlob"]
    assert harness.envelope_header(before_ct)["key_version"] == 1

    stop = threading.Event()
    results: list[tuple[float, bytes, int]] = []
    failures: list[tuple[float, str]] = []

    def redeemer():
        with sbc.SealboxClient(socket_path=str(sd.socket_path), timeout=10) as c:
            lease_id = c.create_lease(name, ttl_seconds=600)["leaseId"]
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    value, version = c.redeem_into(lease_id)
                except Exception as e:  # noqa: BLE001 - every failure is a finding
                    failures.append((t0, repr(e)))
                    continue
                results.append((t0, bytes(value), version))
                value[:] = bytes(len(value))

    thread = threading.Thread(target=redeemer, daemon=True)
    thread.start()
    try:
        time.sleep(0.4)
        rot_start = time.monotonic()
        assert ok(run_cli("key", "rotate", kid, socket_path=sd.socket_path)).stdout == \
            f"rotated {kid}: now at version 2\n"
        assert ok(run_cli("key", "rewrap", kid, socket_path=sd.socket_path)).stdout == \
            f"rewrapped 1 data keys of {kid}\n"
        assert ok(run_cli("key", "rewrap", kid, socket_path=sd.socket_path)).stdout == \
            f"rewrapped 0 data keys of {kid}\n"
        rot_end = time.monotonic()
        time.sleep(0.3)
        assert ok(run_cli("param", "put", name, "--overwrite", socket_path=sd.socket_path,
                          input=v2)).stdout == f"{name}: version 2\n"
        put_done = time.monotonic()
        # Instant invalidation: the very next redeem, on a lease made before the overwrite, is new.
        with sbc.SealboxClient(socket_path=str(sd.socket_path), timeout=10) as c:
            lease = c.lease(name)
            with lease.value() as got:
                assert bytes(got) == v2.encode() and lease.last_version == 2
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()

    assert not failures, f"{len(failures)} redeems failed, e.g. {failures[:3]}"
    assert len(results) >= 50, f"only {len(results)} redeems in the loop"
    allowed = {(v1.encode(), 1), (v2.encode(), 2)}
    odd = [(v, ver) for _, v, ver in results if (v, ver) not in allowed]
    assert not odd, f"redeems returned values never written: {odd[:3]}"
    during = [r for r in results if rot_start <= r[0] <= rot_end]
    assert len(during) >= 3, f"only {len(during)} redeems overlapped the rotation and rewraps"
    after = [r for r in results if r[0] > put_done]
    assert after, "no redeem in the loop after the overwrite"
    assert all((v, ver) == (v2.encode(), 2) for _, v, ver in after), \
        f"stale values after the overwrite returned: {[(v, ver) for _, v, ver in after if ver != 2][:3]}"
    assert any(ver == 1 for _, _, ver in results), "the loop never saw the first value"

    # A ciphertext from before the rotation still decrypts; new ones use version 2.
    out = kms.decrypt(CiphertextBlob=before_ct)
    assert out["Plaintext"] == b"encrypted before the rotation" and out["KeyId"] == harness.key_arn(kid)
    assert harness.envelope_header(kms.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"])["key_version"] == 2
    rotations = kms.list_key_rotations(KeyId=kid)["Rotations"]
    assert len(rotations) == 1 and rotations[0]["RotationType"] == "ON_DEMAND", rotations
    assert abs(rotations[0]["RotationDate"].timestamp() - time.time()) < 120
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == v1


# ---------------------------------------------------------------------------
# Retirement
# ---------------------------------------------------------------------------


def test_retire_is_refused_while_stored_data_keys_need_the_version(sd):
    kms = sd.client()
    ssm = sd.client(service="ssm")
    kid = kms.create_key(Description="retire")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Description="retire-bystander")["KeyMetadata"]["KeyId"]
    base = f"/retire/{uuid.uuid4().hex}"
    values = {f"{base}/a": "alpha", f"{base}/b": "bravo", f"{base}/c": "charlie"}
    for n, v in values.items():
        ssm.put_parameter(Name=n, Value=v, Type="SecureString", KeyId=kid)
    ssm.put_parameter(Name=f"{base}/a", Value="alpha-2", Type="SecureString", KeyId=kid, Overwrite=True)
    ssm.put_parameter(Name=f"{base}/plain", Value="not secret", Type="String")
    ssm.put_parameter(Name=f"{base}/other", Value="other key", Type="SecureString", KeyId=other)
    before_ct = kms.encrypt(KeyId=kid, Plaintext=b"pre-rotation")["CiphertextBlob"]

    ok(run_cli("key", "rotate", kid, socket_path=sd.socket_path))
    ok(run_cli("key", "rotate", other, socket_path=sd.socket_path))
    p = run_cli("key", "retire", kid, "--below", "2", socket_path=sd.socket_path)
    assert p.returncode == 1 and p.stdout == "" and p.stderr.startswith("sealbox: "), describe(p)
    assert "rewrap" in p.stderr, describe(p)
    m = STILL_NEEDED.search(p.stderr)
    assert m and int(m.group(1)) == 4 and m.group(2) == "2", describe(p)  # a v1, a v2, b, c
    # Nothing was retired: the old ciphertext still opens.
    assert kms.decrypt(CiphertextBlob=before_ct)["Plaintext"] == b"pre-rotation"

    # Rewrapping one key leaves the other key's data keys alone.
    assert ok(run_cli("key", "rewrap", kid, "--batch-size", "3", socket_path=sd.socket_path)).stdout == \
        f"rewrapped 4 data keys of {kid}\n"
    q = run_cli("key", "retire", other, "--below", "2", socket_path=sd.socket_path)
    assert q.returncode == 1 and "1 stored data keys" in q.stderr, describe(q)

    r = ok(run_cli("key", "retire", kid, "--below", "2", "-o", "json", socket_path=sd.socket_path))
    assert json.loads(r.stdout) == {"keyArn": harness.key_arn(kid), "minDecryptionVersion": 2}
    for n, v in {**values, f"{base}/a": "alpha-2"}.items():
        assert ssm.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"] == v
    assert ssm.get_parameter(Name=f"{base}/a:1", WithDecryption=True)["Parameter"]["Value"] == "alpha"
    assert ssm.get_parameter(Name=f"{base}/other", WithDecryption=True)["Parameter"]["Value"] == "other key"

    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=before_ct)
    code, status, msg = harness.client_error(e)
    assert code in ("KMSInvalidStateException", "InvalidCiphertextException"), (code, status, msg)
    assert b"pre-rotation" not in json.dumps(e.value.response, default=str).encode()
    with pytest.raises(ClientError):
        kms.re_encrypt(CiphertextBlob=before_ct, DestinationKeyId=kid)
    after_ct = kms.encrypt(KeyId=kid, Plaintext=b"post-rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=after_ct)["Plaintext"] == b"post-rotation"
    # New SecureStrings are written under version 2 and read back.
    ssm.put_parameter(Name=f"{base}/d", Value="delta", Type="SecureString", KeyId=kid)
    assert ssm.get_parameter(Name=f"{base}/d", WithDecryption=True)["Parameter"]["Value"] == "delta"


# ---------------------------------------------------------------------------
# A rewrap killed half-way
# ---------------------------------------------------------------------------


def test_rewrap_killed_mid_way_leaves_every_value_readable_and_resumes(own):
    d = own()
    kms = d.client()
    kid = kms.create_key(Description="crash-rewrap")["KeyMetadata"]["KeyId"]
    run = uuid.uuid4().hex[:8]
    expected = {f"/crash/g{i % 16:02d}/p{i:04d}": f"value-{i}-{run}" for i in range(3000)}
    put_many(d.socket_path, list(expected.items()), kid)
    # A second version for some, so history versions are re-wrapped too.
    seconds = {n: v + "-v2" for n, v in list(expected.items())[:100]}
    put_many(d.socket_path, list(seconds.items()), kid)
    history = {f"{n}:1": expected[n] for n in seconds}
    expected.update(seconds)
    expected.update(history)
    total = 3100

    ok(run_cli("key", "rotate", kid, socket_path=d.socket_path))
    audit = d.data_dir / "audit.log"
    offset = audit.stat().st_size
    cli = subprocess.Popen([str(cli_binary()), "key", "rewrap", kid, "--batch-size", "50", "--socket",
                            str(d.socket_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=harness.clean_env())
    target = random.randint(1, 6)  # batches to let through before the kill, then a random moment
    try:
        batches = 0
        deadline = time.monotonic() + 30
        with open(audit, "rb") as f:
            while batches < target and time.monotonic() < deadline and cli.poll() is None:
                f.seek(offset)
                # Each batch records its intent first, then its outcome: count the outcomes.
                batches = sum(1 for line in f.read().splitlines()
                              if b'"action":"admin:RewrapKeys"' in line and b'"result":"intent"' not in line)
                if batches < target:
                    time.sleep(0.002)
        assert batches >= target, f"{batches} rewrap batches audited, waiting for {target}"
        time.sleep(random.uniform(0, 0.05))
        d.kill9()
        out, err = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 1, (cli.returncode, out, err)
    assert err.startswith(b"sealbox: "), err

    restart(d)
    assert_all_decrypt(d.socket_path, expected, "after SIGKILL mid-rewrap and a restart")
    p = run_cli("key", "retire", kid, "--below", "2", socket_path=d.socket_path)
    assert p.returncode == 1, describe(p)
    m = STILL_NEEDED.search(p.stderr)
    assert m, describe(p)
    left = int(m.group(1))
    assert 0 < left <= total - 50 * target, \
        f"{left} of {total} data keys still under version 1 after {target} batches, or the kill came too late"

    r = ok(run_cli("key", "rewrap", kid, socket_path=d.socket_path))
    assert r.stdout == f"rewrapped {left} data keys of {kid}\n", r.stdout
    ok(run_cli("key", "retire", kid, "--below", "2", socket_path=d.socket_path))
    assert_all_decrypt(d.socket_path, expected, "after the second rewrap and the retirement")
    assert ok(run_cli("audit", "verify", socket_path=d.socket_path)).stdout.startswith("OK: ")

    assert d.terminate(timeout=15) == 0
    db = sqlite3.connect(f"file:{d.data_dir / 'sealbox.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


# ---------------------------------------------------------------------------
# Root key rotation
# ---------------------------------------------------------------------------


def test_root_rotate_keeps_values_across_a_restart_and_the_audit_log_verifies(own, tmp_path):
    d = own()
    kms = d.client()
    ssm = d.client(service="ssm")
    kid = kms.create_key(Description="root-rotate")["KeyMetadata"]["KeyId"]
    expected = {}
    for i in range(10):
        expected[f"/root/default/p{i}"] = f"default-{i}"
        ssm.put_parameter(Name=f"/root/default/p{i}", Value=f"default-{i}", Type="SecureString")
    ok(run_cli("key", "rotate", kid, socket_path=d.socket_path))
    for i in range(10):
        expected[f"/root/custom/p{i}"] = f"custom-{i}"
        ssm.put_parameter(Name=f"/root/custom/p{i}", Value=f"custom-{i}", Type="SecureString", KeyId=kid)
    ct = kms.encrypt(KeyId=kid, Plaintext=b"kms-ciphertext")["CiphertextBlob"]
    token = ok(run_cli("env", "encrypt", "ROOT_TEST", socket_path=d.socket_path,
                       input="env-value")).stdout.strip().partition("=")[2]
    ok(run_cli("audit", "verify", socket_path=d.socket_path))

    root = d.data_dir / "root.key"
    old_key = root.read_bytes()
    p = ok(run_cli("root", "rotate", "-o", "json", socket_path=d.socket_path))
    report = json.loads(p.stdout)
    assert report["rootKey"] == str(root)
    # alias/aws/ssm (1 version), the custom key (2) and alias/sealbox/env (1).
    assert report["versions"] == 4, report
    new_key = root.read_bytes()
    assert new_key != old_key and len(new_key) == len(old_key)
    assert root.stat().st_mode & 0o777 == 0o600
    assert not Path(str(root) + ".next").exists()

    def check(when: str):
        assert_all_decrypt(d.socket_path, expected, when)
        assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"kms-ciphertext", when
        assert ok(run_cli("env", "decrypt", f"ROOT_TEST={token}", socket_path=d.socket_path)).stdout == \
            "env-value\n", when
        v = ok(run_cli("audit", "verify", "-o", "json", socket_path=d.socket_path))
        rep = json.loads(v.stdout)
        assert rep["ok"] is True and rep["verified"] > 0, (when, rep)
        return rep["verified"]

    n1 = check("after root rotate")
    assert d.terminate(timeout=15) == 0
    assert root.read_bytes() == new_key
    restart(d)
    kms = d.client()
    n2 = check("after root rotate and a restart")
    assert n2 > n1
    assert d.terminate(timeout=15) == 0

    # The store is now wrapped under the new key only: a copy started with the old key refuses to start.
    copy = tmp_path / "copy"
    shutil.copytree(d.data_dir, copy, ignore=shutil.ignore_patterns("sealbox.sock"))
    old_file = tmp_path / "old.key"
    old_file.write_bytes(old_key)
    old_file.chmod(0o600)
    stale = harness.Daemon(copy, tmp_path / "logs-old", extra_args=["--root-key", f"file:{old_file}"])
    try:
        with pytest.raises(harness.DaemonStartError):
            stale.start()
    finally:
        stale.kill9()
