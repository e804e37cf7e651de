"""Testing mode: ephemeral daemons as a test suite uses them.

Start-up (the ready line, time to a healthy daemon, many daemons side by side), fixture files
(YAML and JSON, fixed key ids and material, labels, refusals naming the file, entry and reason,
idempotent imports), export and import, `/moto-api/reset`, recorded calls (who called what, in
which order; lazy loading in a handler), `sealbox inspect` on real child processes, moto's server
mode pointed at sealboxd, and the pytest plugin in clients/python/sealbox/pytest_plugin.py.

Start-up times are printed with a `MEASURE:` prefix (run pytest with -s to see them).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

import harness

CLIENT_DIR = harness.PYTHON_PACKAGE

APP_KEY = "5eab0c5e-0000-4000-8000-00000000a001"
OFF_KEY = "5eab0c5e-0000-4000-8000-00000000a002"
APP_MATERIAL = base64.b64encode(bytes(range(32))).decode()
DB_SECRET = "fixture-db-secret-7f3a9c2e51"
DEFAULT_KEY_SECRET = "under-the-default-key-c0ffee42"

# The small fixture file "like the tests use".
FIXTURE_YAML = f"""\
keys:
  - id: {APP_KEY}
    description: app key
    aliases: [alias/app]
    material: {APP_MATERIAL}
  - id: {OFF_KEY}
    aliases: [alias/off]
    enabled: false
parameters:
  - name: /app/db
    type: SecureString
    value: {DB_SECRET}
    keyId: alias/app
    description: database password
    labels: [prod]
  - name: /app/list
    type: StringList
    value: [a, b, c]
  - name: /app/plain
    value: hello
  - name: /app/default-key
    type: SecureString
    value: {DEFAULT_KEY_SECRET}
accessKeys:
  - {{id: AKIAFIXTURE000000001, secret: fixture-secret, principal: tests}}
"""
FIXTURE_PARAMS = {"/app/db", "/app/list", "/app/plain", "/app/default-key"}


def cli_binary() -> Path:
    return harness.daemon_binary().with_name("sealbox")


def fixture_file(directory: Path, text: str = FIXTURE_YAML, name: str = "fixtures.yaml") -> Path:
    path = Path(directory) / name
    path.write_text(text)
    return path


def as_json(yaml_text: str) -> str:
    return json.dumps(yaml.safe_load(yaml_text), indent=2)


def boto(service: str, endpoint: str, access_key: str = "AKIATESTINGMODE00001", secret: str = "anything"):
    return harness.make_client(service, endpoint, access_key, secret)


# ---------------------------------------------------------------------------
# Ephemeral daemons of the tests' own
# ---------------------------------------------------------------------------


class Eph:
    """`sealboxd --ephemeral --listen 127.0.0.1:0 --socket S [--fixtures F] [extra]`."""

    def __init__(self, fixtures: Path | None = None, extra: list[str] | tuple = ()):
        self.directory = Path(tempfile.mkdtemp(prefix="sbtm-"))
        self.socket_path = self.directory / "s.sock"
        self.argv = [str(harness.daemon_binary()), "--ephemeral", "--listen", "127.0.0.1:0",
                     "--socket", str(self.socket_path)]
        if fixtures is not None:
            self.argv += ["--fixtures", str(fixtures)]
        self.argv += list(extra)
        self.stderr_path = self.directory / "stderr"
        with open(self.stderr_path, "wb") as err:
            self.spawned = time.monotonic()
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=err,
                                         stdin=subprocess.DEVNULL, env=harness.clean_env())
        self.ready: dict | None = None

    def wait_ready(self, timeout: float = 60.0) -> "Eph":
        line = read_line(self.proc, timeout)
        if not line:
            self.proc.wait(timeout=10)
            raise AssertionError(f"sealboxd exited ({self.proc.returncode}) before its ready line\n"
                                 f"argv: {self.argv}\n{self.stderr()}")
        self.ready_line = line
        self.ready = json.loads(line)
        self.pid = self.ready["pid"]
        host, _, port = self.ready["tcp"].rpartition(":")
        self.host, self.port = host, int(port)
        self.endpoint = f"http://{self.ready['tcp']}"
        return self

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def health(self) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request("GET", "/health")
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def request(self, method: str, path: str, body: bytes = b"") -> harness.RawResponse:
        with harness.UnixHTTP(self.socket_path) as conn:
            return conn.request(method, path, body, {"Content-Type": "application/json"})

    def calls(self) -> list[dict]:
        resp = self.request("GET", "/v1/test/calls")
        assert resp.status == 200, resp
        return resp.json()["calls"]

    def reset(self) -> harness.RawResponse:
        return self.request("POST", "/moto-api/reset")

    def export(self, fmt: str = "json"):
        resp = self.request("GET", f"/v1/fixtures?format={fmt}")
        assert resp.status == 200, resp
        return json.loads(resp.body) if fmt == "json" else yaml.safe_load(resp.body)

    def ssm(self, **kw):
        return boto("ssm", self.endpoint, **kw)

    def kms(self, **kw):
        return boto("kms", self.endpoint, **kw)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        argv = [str(cli_binary()), *args, "--socket", str(self.socket_path)]
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60,
                              env=harness.clean_env())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def read_line(proc: subprocess.Popen, timeout: float) -> bytes:
    """The first line of a daemon's stdout (b"" at EOF); fails rather than hang."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        proc.wait()
        raise AssertionError(f"no ready line (and no exit) within {timeout:.0f} s: {proc.args}")
    return proc.stdout.readline()


@pytest.fixture
def eph():
    """Factory: eph(fixtures=None, extra=(), wait=True) -> a started ephemeral daemon; all stopped after."""
    started: list[Eph] = []

    def make(fixtures: Path | None = None, extra=(), wait: bool = True) -> Eph:
        d = Eph(fixtures, extra)
        started.append(d)
        return d.wait_ready() if wait else d

    yield make
    for d in started:
        d.stop()


def wait_healthy(d: Eph, timeout: float = 30.0) -> float:
    """Polls GET /health until 200; returns seconds since the process was spawned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = d.health()
            if status == 200:
                return time.monotonic() - d.spawned
        except OSError:
            pass
        time.sleep(0.005)
    raise AssertionError(f"no 200 on /health within {timeout}s\n{d.stderr()}")


def parameter_state(ssm) -> dict:
    """name -> (type, decrypted value, version) for every parameter."""
    out, token = {}, None
    while True:
        page = ssm.get_parameters_by_path(Path="/", Recursive=True, WithDecryption=True,
                                          **({"NextToken": token} if token else {}))
        for p in page["Parameters"]:
            out[p["Name"]] = (p["Type"], p["Value"], p["Version"])
        token = page.get("NextToken")
        if not token:
            return out


def key_ids(kms) -> set[str]:
    ids, marker = set(), None
    while True:
        page = kms.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
        ids.update(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            return ids
        marker = page["NextMarker"]


def customer_aliases(kms) -> dict:
    """alias name -> target key id, without the alias/aws/ ones."""
    return {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases(Limit=100)["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")}


# ---------------------------------------------------------------------------
# Child processes that talk to the daemon over its Unix socket
# ---------------------------------------------------------------------------

CHILD_PRELUDE = f"""\
import json, os, socket, sys, time
sys.path.insert(0, {str(CLIENT_DIR)!r})
SOCKET = os.environ["SEALBOX_SOCKET"]

def aws(target, body):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCKET)
    data = json.dumps(body).encode()
    head = ("POST / HTTP/1.1\\r\\nHost: sealbox\\r\\nContent-Type: application/x-amz-json-1.1\\r\\n"
            f"X-Amz-Target: {{target}}\\r\\nContent-Length: {{len(data)}}\\r\\nConnection: close\\r\\n\\r\\n")
    s.sendall(head.encode() + data)
    raw = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    s.close()
    return int(raw.split(b" ", 2)[1])
"""


def child_env(socket_path: Path | str) -> dict:
    env = harness.clean_env()
    env["SEALBOX_SOCKET"] = str(socket_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_child(code: str, socket_path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code)],
                            env=child_env(socket_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"child failed ({result.returncode})\n{result.stdout}\n{result.stderr}"
    return result


class Lingering:
    """A child that does its work, prints `ready <pid>` and then sleeps until killed."""

    def __init__(self, code: str, socket_path):
        program = CHILD_PRELUDE + textwrap.dedent(code) + \
            "\nprint('ready', os.getpid(), flush=True)\ntime.sleep(120)\n"
        self.proc = subprocess.Popen([sys.executable, "-c", program], env=child_env(socket_path),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"child did not get ready: {line!r}\n{err}")
        self.pid = int(line.split()[1])

    def stop(self):
        self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def lingering():
    children: list[Lingering] = []

    def make(code: str, socket_path) -> Lingering:
        c = Lingering(code, socket_path)
        children.append(c)
        return c

    yield make
    for c in children:
        c.stop()


# ===========================================================================
# 1. Ephemeral start
# ===========================================================================


def test_ready_line_then_health(eph):
    d = eph(wait=False)
    line = read_line(d.proc, 60)
    ready = json.loads(line)
    assert set(ready) >= {"event", "pid", "socket", "tcp"}, ready
    assert ready["event"] == "ready"
    assert ready["pid"] == d.proc.pid
    assert ready["socket"] == str(d.socket_path)
    match = re.fullmatch(r"127\.0\.0\.1:(\d+)", ready["tcp"])
    assert match and int(match.group(1)) > 0, ready
    d.ready = ready
    d.host, d.port = "127.0.0.1", int(match.group(1))
    # Ready means serving: the very first request succeeds, on TCP and on the socket.
    status, health = d.health()
    assert status == 200 and health["status"] == "ok" and health["ephemeral"] is True, health
    assert (health["keys"], health["parameters"]) == (0, 0), health
    resp = d.request("GET", "/health")
    assert resp.status == 200 and resp.json()["ephemeral"] is True, resp
    assert d.socket_path.is_socket()


def _measure_start(eph, fixtures: Path | None, label: str) -> tuple[Eph, float]:
    d = eph(fixtures, wait=False)
    d.wait_ready()
    ready_ms = (time.monotonic() - d.spawned) * 1000
    healthy_ms = wait_healthy(d) * 1000
    print(f"\nMEASURE: ephemeral start, {label}: ready line {ready_ms:.0f} ms, /health 200 after {healthy_ms:.0f} ms")
    return d, healthy_ms


def test_start_time_without_and_with_a_small_fixture_file(eph, tmp_path):
    _, bare_ms = _measure_start(eph, None, "no fixtures")
    d, small_ms = _measure_start(eph, fixture_file(tmp_path), "small fixture file (2 keys, 4 parameters)")
    assert d.health()[1]["parameters"] == 4
    # Reported, not asserted (no timed assertions in make test); `make bench`-style numbers go in notes.
    assert bare_ms > 0 and small_ms > 0


def test_start_and_reset_time_with_10000_parameters(eph, tmp_path):
    lines = ["keys:"]
    for k in range(2):
        material = base64.b64encode(bytes([k + 1]) * 32).decode()
        lines.append(f"  - {{id: 5eab0c5e-0000-4000-8000-0000000b000{k}, aliases: [alias/bulk{k}], material: {material}}}")
    lines.append("parameters:")
    for i in range(10000):
        if i % 2:
            lines.append(f"  - {{name: /bulk/p{i:05d}, type: SecureString, value: secret-{i}, keyId: alias/bulk{(i // 2) % 2}}}")
        else:
            lines.append(f"  - {{name: /bulk/p{i:05d}, value: plain-{i}}}")
    path = tmp_path / "bulk.yaml"
    path.write_text("\n".join(lines) + "\n")

    d, start_ms = _measure_start(eph, path, "10,000 parameters (5,000 SecureString over 2 keys)")
    health = d.health()[1]
    assert (health["keys"], health["parameters"]) == (2, 10000), health
    ssm = d.ssm()
    ssm.put_parameter(Name="/bulk/p00001", Value="overwritten", Type="SecureString", Overwrite=True)
    t0 = time.monotonic()
    assert d.reset().status == 200
    reset_ms = (time.monotonic() - t0) * 1000
    print(f"MEASURE: POST /moto-api/reset back to the 10,000-parameter fixtures: {reset_ms:.0f} ms")
    got = ssm.get_parameters(Names=["/bulk/p00001", "/bulk/p09998", "/bulk/p09999"], WithDecryption=True)
    assert {p["Name"]: (p["Value"], p["Version"]) for p in got["Parameters"]} == {
        "/bulk/p00001": ("secret-1", 1), "/bulk/p09998": ("plain-9998", 1), "/bulk/p09999": ("secret-9999", 1)}
    # Timings are reported, never asserted: make test must not depend on the machine's load.
    assert start_ms > 0 and reset_ms > 0


def test_four_ephemeral_daemons_side_by_side(eph, tmp_path):
    fixtures = fixture_file(tmp_path)
    daemons = [eph(fixtures, wait=False) for _ in range(4)]  # all four spawned before any is ready
    for d in daemons:
        d.wait_ready()
    assert len({d.port for d in daemons}) == 4
    assert len({str(d.socket_path) for d in daemons}) == 4
    assert len({d.pid for d in daemons}) == 4
    for n, d in enumerate(daemons):
        d.ssm().put_parameter(Name=f"/own/{n}", Value=f"daemon-{n}", Type="String")
    for n, d in enumerate(daemons):
        assert set(parameter_state(d.ssm())) == FIXTURE_PARAMS | {f"/own/{n}"}, f"daemon {n}"
    assert daemons[1].reset().status == 200
    assert set(parameter_state(daemons[1].ssm())) == FIXTURE_PARAMS
    for n in (0, 2, 3):
        assert f"/own/{n}" in parameter_state(daemons[n].ssm()), f"resetting daemon 1 touched daemon {n}"
    # Each one's call log is its own.
    assert all(c["resources"] != ["/own/1"] for c in daemons[0].calls())
    assert any(c["resources"] == ["/own/0"] for c in daemons[0].calls())


# ===========================================================================
# 2. Fixture files
# ===========================================================================


def _check_fixture_state(d: Eph):
    ssm, kms = d.ssm(), d.kms()
    db = ssm.get_parameter(Name="/app/db", WithDecryption=True)["Parameter"]
    assert (db["Type"], db["Value"], db["Version"]) == ("SecureString", DB_SECRET, 1)
    raw = ssm.get_parameter(Name="/app/db", WithDecryption=False)["Parameter"]["Value"]
    assert DB_SECRET not in raw
    assert ssm.get_parameter(Name="/app/default-key", WithDecryption=True)["Parameter"]["Value"] == DEFAULT_KEY_SECRET
    assert ssm.get_parameter(Name="/app/db:prod", WithDecryption=True)["Parameter"]["Value"] == DB_SECRET
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/db"]}])["Parameters"]
    assert described[0]["Description"] == "database password"
    assert described[0]["KeyId"] in ("alias/app", APP_KEY, harness.key_arn(APP_KEY)), described
    lst = ssm.get_parameter(Name="/app/list")["Parameter"]
    assert (lst["Type"], lst["Value"]) == ("StringList", "a,b,c")
    plain = ssm.get_parameter(Name="/app/plain")["Parameter"]
    assert (plain["Type"], plain["Value"]) == ("String", "hello")
    app = kms.describe_key(KeyId="alias/app")["KeyMetadata"]
    assert (app["KeyId"], app["Description"], app["KeyState"]) == (APP_KEY, "app key", "Enabled")
    off = kms.describe_key(KeyId="alias/off")["KeyMetadata"]
    assert (off["KeyId"], off["KeyState"], off["Enabled"]) == (OFF_KEY, "Disabled", False)
    harness.expect_error("DisabledException", kms.encrypt, KeyId="alias/off", Plaintext=b"x")
    ct = kms.encrypt(KeyId="alias/app", Plaintext=b"fixture")["CiphertextBlob"]
    assert harness.envelope_header(ct)["key_id"] == APP_KEY


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_fixture_file_loads(eph, tmp_path, fmt):
    text = FIXTURE_YAML if fmt == "yaml" else as_json(FIXTURE_YAML)
    if fmt == "json":
        assert json.loads(text)["parameters"][1]["value"] == ["a", "b", "c"]
    d = eph(fixture_file(tmp_path, text, f"fixtures.{fmt}"))
    _check_fixture_state(d)


def test_yaml_and_json_fixtures_give_the_same_state(eph, tmp_path):
    a = eph(fixture_file(tmp_path, FIXTURE_YAML, "f.yaml"))
    b = eph(fixture_file(tmp_path, as_json(FIXTURE_YAML), "f.json"))
    ea, eb = a.export("json"), b.export("json")
    # Only the material of keys the file gives no material differs (it is random).
    for e in (ea, eb):
        for k in e["keys"]:
            if k["id"] != APP_KEY:
                k.pop("material", None)
    assert ea == eb


def test_fixed_key_material_makes_ciphertexts_portable(eph, tmp_path):
    fixtures = fixture_file(tmp_path)
    a, b = eph(fixtures), eph(fixtures)
    ka, kb = a.kms(), b.kms()
    from_a = ka.encrypt(KeyId="alias/app", Plaintext=b"made on A", EncryptionContext={"app": "x"})["CiphertextBlob"]
    from_b = kb.encrypt(KeyId=APP_KEY, Plaintext=b"made on B")["CiphertextBlob"]
    out = kb.decrypt(CiphertextBlob=from_a, EncryptionContext={"app": "x"})
    assert (out["Plaintext"], out["KeyId"]) == (b"made on A", harness.key_arn(APP_KEY))
    assert ka.decrypt(CiphertextBlob=from_b)["Plaintext"] == b"made on B"
    dk = ka.generate_data_key(KeyId="alias/app", KeySpec="AES_256")
    assert kb.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    # The same key id with other material is another key: A's ciphertext does not open there.
    other = fixture_file(tmp_path, FIXTURE_YAML.replace(APP_MATERIAL, base64.b64encode(b"\x07" * 32).decode()),
                         "other.yaml")
    c = eph(other)
    assert c.kms().describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == APP_KEY
    harness.expect_error("InvalidCiphertextException", c.kms().decrypt, CiphertextBlob=from_a,
                         EncryptionContext={"app": "x"})


INVALID_FIXTURES = [
    # (case id, file name, content, things stderr must name)
    ("unknown-section", "bad.yaml",
     "keys: []\ncertificates:\n  - {name: /a, value: x}\n", ["certificates", "unknown"]),
    ("unknown-section-empty-list", "bad.yaml",
     "Parameters: []\nparameters:\n  - {name: /a, value: x}\n", ["Parameters", "unknown"]),
    ("unknown-section-scalar", "bad.json",
     '{"keys": [], "parameterz": 1}', ["parameterz", "unknown"]),
    ("unknown-entry-key", "bad.yaml",
     "parameters:\n  - {name: /a, value: x}\n  - {name: /b, value: y, colour: red}\n",
     ["parameters[1]", "colour"]),
    ("bad-type", "bad.yaml",
     "parameters:\n  - {name: /a, value: x}\n  - {name: /b, value: y, type: Blob}\n",
     ["parameters[1]", "/b", "Blob"]),
    ("bad-type-json", "bad.json",
     '{"parameters": [{"name": "/a", "value": "x", "type": "Nope"}]}', ["parameters[0]", "/a", "Nope"]),
    ("material-length", "bad.yaml",
     f"keys:\n  - {{id: {APP_KEY}}}\n  - {{id: {OFF_KEY}, material: {base64.b64encode(bytes(16)).decode()}}}\n",
     ["keys[1]", "32 bytes"]),
    ("key-without-id-or-alias", "bad.yaml",
     "keys:\n  - {aliases: [alias/x]}\n  - {description: nothing to find it by}\n", ["keys[1]", "id or an alias"]),
    ("duplicate-parameter", "bad.yaml",
     "parameters:\n  - {name: /a, value: x}\n  - {name: /a, value: y}\n", ["parameters[1]", "/a", "twice"]),
    ("keyid-on-string", "bad.yaml",
     "keys:\n  - {aliases: [alias/x]}\nparameters:\n  - {name: /a, value: x}\n  - {name: /b, value: y, keyId: alias/x}\n",
     ["parameters[1]", "/b", "SecureString"]),
    ("bad-access-key-id", "bad.yaml",
     "accessKeys:\n  - {id: AKIASHORT, secret: s, principal: p}\n", ["accessKeys[0]", "16"]),
    ("unknown-key-reference", "bad.yaml",
     "parameters:\n  - {name: /a, value: x, type: SecureString, keyId: alias/nowhere}\n",
     ["parameters[0]", "/a", "alias/nowhere"]),
]


INVALID_FIXTURES += [
    ("secret-without-value", "bad.yaml", "secrets:\n  - {name: a/b, value: x}\n  - {name: c/d}\n",
     ["secrets[1]", "c/d", "exactly one of value, binary and versions"]),
    ("secret-two-currents", "bad.yaml",
     "secrets:\n  - name: a/b\n    versions:\n      - {value: x, stages: [AWSCURRENT]}\n"
     "      - {value: y, stages: [AWSCURRENT]}\n", ["secrets[0]", "a/b", "exactly one version", "AWSCURRENT"]),
    ("secret-no-current", "bad.yaml",
     "secrets:\n  - name: a/b\n    versions:\n      - {value: x, stages: [AWSPREVIOUS]}\n",
     ["secrets[0]", "AWSCURRENT"]),
    ("secret-bad-binary", "bad.yaml", "secrets:\n  - {name: a/b, binary: '***'}\n", ["secrets[0]", "base64"]),
    ("secret-bad-name", "bad.yaml", "secrets:\n  - {name: 'a b', value: x}\n", ["secrets[0]", "-/_+=.@!"]),
    ("secret-twice", "bad.yaml", "secrets:\n  - {name: a, value: x}\n  - {name: a, value: y}\n",
     ["secrets[1]", "twice"]),
    ("secret-unknown-key", "bad.yaml", "secrets:\n  - {name: a, value: x, kmsKeyId: alias/nowhere}\n",
     ["secrets[0]", "(a)", "EncryptionFailure", "alias/nowhere"]),
    ("secret-unknown-field", "bad.yaml", "secrets:\n  - {name: a, value: x, colour: red}\n",
     ["secrets[0]", "unknown key 'colour'"]),
]


@pytest.mark.parametrize("name,content,expected", [c[1:] for c in INVALID_FIXTURES],
                         ids=[c[0] for c in INVALID_FIXTURES])
def test_invalid_fixture_file_is_refused_at_start(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    err_path = tmp_path / "stderr"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([str(harness.daemon_binary()), "--ephemeral", "--listen", "127.0.0.1:0",
                                 "--socket", str(tmp_path / "s.sock"), "--fixtures", str(path)],
                                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, env=harness.clean_env())
    try:
        line = read_line(proc, 30)
        if line:
            proc.terminate()
            proc.wait(timeout=10)
            pytest.fail(f"sealboxd started with an invalid fixture file ({line.decode().strip()})\n"
                        f"file:\n{content}\nstderr:\n{err_path.read_text()}")
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    stderr = err_path.read_text(errors="replace")
    assert rc != 0
    assert name in stderr, f"stderr does not name the file: {stderr!r}"
    for part in expected:
        assert part in stderr, f"stderr does not mention {part!r}: {stderr!r}"
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    assert re.search(re.escape(name) + r": ", first), f"the first line is not 'FILE: ...': {stderr!r}"


def _import(d: Eph, path_or_dash: str, stdin: str | None = None) -> dict:
    r = d.cli("fixtures", "import", path_or_dash, "-o", "json", stdin=stdin)
    assert r.returncode == 0, f"sealbox fixtures import {path_or_dash} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return json.loads(r.stdout)


ZERO = {"keysCreated": 0, "keysChanged": 0, "parametersWritten": 0, "labelsMoved": 0, "secretsWritten": 0}

NEW_FILE = """\
keys:
  - {id: 5eab0c5e-0000-4000-8000-00000000a003, aliases: [alias/second], description: second}
parameters:
  - {name: /app/list, type: StringList, value: [a, b, c, d]}
  - {name: /second/secret, type: SecureString, value: second-secret-value, keyId: alias/second, labels: [blue, green]}
  - {name: /second/plain, value: two}
"""


def test_fixture_import_is_idempotent(eph, tmp_path):
    startup = fixture_file(tmp_path)
    d = eph(startup)
    assert _import(d, str(startup)) == ZERO
    # A table for people, too.
    table = d.cli("fixtures", "import", str(startup))
    assert table.returncode == 0 and "parametersWritten 0" in table.stdout, table

    new = fixture_file(tmp_path, NEW_FILE, "new.yaml")
    first = _import(d, str(new))
    assert first["keysCreated"] == 1, first
    assert first["parametersWritten"] == 3, first
    assert first["labelsMoved"] == 2, first
    assert _import(d, str(new)) == ZERO
    assert _import(d, "-", stdin=new.read_text()) == ZERO
    assert _import(d, str(startup))["parametersWritten"] == 1  # /app/list back to a,b,c
    assert _import(d, str(startup)) == ZERO

    ssm = d.ssm()
    assert ssm.get_parameter(Name="/second/secret:green", WithDecryption=True)["Parameter"]["Value"] == "second-secret-value"
    lst = ssm.get_parameter(Name="/app/list")["Parameter"]
    assert (lst["Value"], lst["Version"]) == ("a,b,c", 3)
    assert d.kms().describe_key(KeyId="alias/second")["KeyMetadata"]["KeyId"] == "5eab0c5e-0000-4000-8000-00000000a003"


def test_fixture_import_twice_leaves_a_parameter_with_a_description_alone(eph, tmp_path):
    # /app/db has a description in the startup file; a file that sets the same value without one.
    d = eph(fixture_file(tmp_path))
    text = f"parameters:\n  - {{name: /app/db, type: SecureString, value: {DB_SECRET}, keyId: alias/app}}\n"
    _import(d, "-", stdin=text)
    second = _import(d, "-", stdin=text)
    version = d.ssm().get_parameter(Name="/app/db")["Parameter"]["Version"]
    assert second == ZERO and version <= 2, (
        f"the second import of the same file wrote again: {second}, /app/db is at version {version}")


def test_fixture_import_applies_a_changed_key_description(eph, tmp_path):
    d = eph(fixture_file(tmp_path))
    text = FIXTURE_YAML.replace("description: app key", "description: app key, renamed")
    result = _import(d, "-", stdin=text)
    described = d.kms().describe_key(KeyId=APP_KEY)["KeyMetadata"]["Description"]
    assert (result["keysChanged"], described) == (1, "app key, renamed"), (result, described)


# ===========================================================================
# 3. Export and import
# ===========================================================================


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_import_round_trip(eph, tmp_path, fmt):
    a = eph(fixture_file(tmp_path))
    ssm_a, kms_a = a.ssm(), a.kms()
    extra_key = kms_a.create_key(Description="made with boto3")["KeyMetadata"]["KeyId"]
    kms_a.create_alias(AliasName="alias/extra", TargetKeyId=extra_key)
    ssm_a.put_parameter(Name="/extra/secret", Value="extra-secret-value", Type="SecureString", KeyId="alias/extra")
    ssm_a.label_parameter_version(Name="/extra/secret", Labels=["live"])
    ssm_a.put_parameter(Name="/app/plain", Value="hello again", Type="String", Overwrite=True)
    ssm_a.label_parameter_version(Name="/app/plain", ParameterVersion=2, Labels=["current"])
    ssm_a.put_parameter(Name="/extra/list", Value="x,y", Type="StringList")
    ct_extra = kms_a.encrypt(KeyId="alias/extra", Plaintext=b"from A, extra key")["CiphertextBlob"]
    ct_app = kms_a.encrypt(KeyId="alias/app", Plaintext=b"from A, app key")["CiphertextBlob"]

    exported = a.cli("fixtures", "export", "--format", fmt)
    assert exported.returncode == 0, exported
    assert exported.stdout == a.request("GET", f"/v1/fixtures?format={fmt}").body.decode()
    doc = json.loads(exported.stdout) if fmt == "json" else yaml.safe_load(exported.stdout)
    assert {k["id"] for k in doc["keys"]} >= {APP_KEY, OFF_KEY, extra_key}
    assert all(len(base64.b64decode(k["material"])) == 32 for k in doc["keys"])
    assert "extra-secret-value" in exported.stdout  # an export is a secrets file: values in plaintext

    path = tmp_path / f"export.{fmt}"
    path.write_text(exported.stdout)
    b = eph()
    result = _import(b, str(path))
    assert result["parametersWritten"] == len(doc["parameters"]), result
    ssm_b, kms_b = b.ssm(), b.kms()

    customer = lambda kms: {i for i in key_ids(kms)
                            if kms.describe_key(KeyId=i)["KeyMetadata"]["KeyManager"] == "CUSTOMER"}
    assert customer(kms_b) == customer(kms_a) == {APP_KEY, OFF_KEY, extra_key}
    assert customer_aliases(kms_b) == customer_aliases(kms_a)
    for key in (APP_KEY, OFF_KEY, extra_key):
        ma, mb = kms_a.describe_key(KeyId=key)["KeyMetadata"], kms_b.describe_key(KeyId=key)["KeyMetadata"]
        assert (ma["Description"], ma["KeyState"]) == (mb["Description"], mb["KeyState"]), key
    state_a = {n: v[:2] for n, v in parameter_state(ssm_a).items()}
    assert {n: v[:2] for n, v in parameter_state(ssm_b).items()} == state_a
    assert state_a["/extra/secret"] == ("SecureString", "extra-secret-value")
    for name in ("/app/db:prod", "/extra/secret:live", "/app/plain:current"):
        assert (ssm_b.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
                == ssm_a.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]), name
    described = ssm_b.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/extra/secret"]}])
    assert described["Parameters"][0]["KeyId"] in ("alias/extra", extra_key, harness.key_arn(extra_key))
    assert kms_b.decrypt(CiphertextBlob=ct_extra)["Plaintext"] == b"from A, extra key"
    assert kms_b.decrypt(CiphertextBlob=ct_app)["Plaintext"] == b"from A, app key"
    # B's own export reads back as A's.
    assert b.export("json") == a.export("json")


# ===========================================================================
# 4. Reset
# ===========================================================================


def test_reset_returns_exactly_the_fixture_state(eph, tmp_path):
    d = eph(fixture_file(tmp_path))
    ssm, kms = d.ssm(), d.kms()
    before_export = d.export("json")
    before_params = parameter_state(ssm)
    before_keys = key_ids(kms)
    customer = lambda ids: {i for i in ids if kms.describe_key(KeyId=i)["KeyMetadata"]["KeyManager"] == "CUSTOMER"}
    assert customer(before_keys) == {APP_KEY, OFF_KEY}
    assert {v[2] for v in before_params.values()} == {1}

    ssm.put_parameter(Name="/app/db", Value="changed", Type="SecureString", KeyId="alias/app", Overwrite=True)
    ssm.put_parameter(Name="/app/plain", Value="changed", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/app/db", ParameterVersion=2, Labels=["prod"])
    ssm.delete_parameter(Name="/app/list")
    ssm.put_parameter(Name="/new/param", Value="new", Type="SecureString")
    new_key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/new", TargetKeyId=new_key)
    kms.disable_key(KeyId=APP_KEY)
    kms.enable_key(KeyId=OFF_KEY)
    kms.create_alias(AliasName="alias/app-too", TargetKeyId=APP_KEY)
    assert len(d.calls()) > 5

    resp = d.reset()
    assert resp.status == 200 and resp.json() == {"status": "ok"}, resp
    assert d.calls() == []
    assert parameter_state(ssm) == before_params
    assert ssm.get_parameter(Name="/app/db:prod", WithDecryption=True)["Parameter"]["Version"] == 1
    harness.expect_error("ParameterNotFound", ssm.get_parameter, Name="/new/param")
    assert customer(key_ids(kms)) == {APP_KEY, OFF_KEY}
    assert new_key not in key_ids(kms)
    assert len(key_ids(kms)) == len(before_keys)  # and one aws/ssm key for /app/default-key
    assert kms.describe_key(KeyId=APP_KEY)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=OFF_KEY)["KeyMetadata"]["KeyState"] == "Disabled"
    assert set(customer_aliases(kms)) == {"alias/app", "alias/off"}
    # The export matches too, except the material of the key the file gives none (drawn anew).
    strip = lambda e: {**e, "keys": [{k: v for k, v in key.items() if key["id"] == APP_KEY or k != "material"}
                                     for key in e["keys"]]}
    assert strip(d.export("json")) == strip(before_export)
    # Resetting twice is the same as once; the first call after a reset is call 1 again.
    assert d.reset().status == 200
    assert parameter_state(ssm) == before_params
    assert d.calls()[0]["operation"] == "ssm:GetParametersByPath"


def test_persistent_daemon_has_no_reset_and_no_test_endpoints(spawn, tmp_path):
    d = spawn(socket_path=tmp_path / "p.sock")
    kms = d.client()
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.request("POST", "/moto-api/reset").status == 404
        assert conn.request("GET", "/v1/test/calls").status == 404
        assert conn.request("DELETE", "/v1/test/calls").status == 404
        assert conn.request("GET", "/v1/fixtures?format=yaml").status == 409
    assert harness.tcp_request(d.port, None, b"", path="/moto-api/reset").status == 404
    assert key in key_ids(kms), "a refused reset deleted keys anyway"
    export = subprocess.run([str(cli_binary()), "fixtures", "export", "--socket", str(d.socket_path)],
                            capture_output=True, text=True, timeout=30, env=harness.clean_env())
    assert export.returncode != 0 and export.stdout == "", export


# ===========================================================================
# 5. Call recording
# ===========================================================================

def test_the_record_names_a_key_as_the_caller_wrote_it_and_a_failed_calls_key(eph):
    d = eph()
    kms = d.kms()
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/recorded", TargetKeyId=key["KeyId"])
    kms.encrypt(KeyId="alias/recorded", Plaintext=b"x")
    with pytest.raises(Exception):
        kms.encrypt(KeyId="alias/missing", Plaintext=b"x")
    encrypts = [c for c in d.calls() if c["operation"] == "kms:Encrypt"]
    assert [(c["references"], c["resources"], c["status"]) for c in encrypts] == [
        (["alias/recorded"], [key["Arn"]], 200), (["alias/missing"], [], 400)]


def test_calls_name_the_operation_resource_and_calling_process(eph, tmp_path):
    d = eph(fixture_file(tmp_path))
    d.ssm().get_parameter(Name="/app/plain")  # from this process, over TCP
    child = run_child("""
        from sealbox.client import SealboxClient
        assert aws("AmazonSSM.PutParameter", {"Name": "/calls/a", "Value": "1", "Type": "String"}) == 200
        assert aws("AmazonSSM.GetParameter", {"Name": "/calls/a"}) == 200
        assert aws("AmazonSSM.GetParameter", {"Name": "/calls/missing"}) == 400
        assert aws("TrentService.Encrypt", {"KeyId": "alias/app", "Plaintext": "aGk="}) == 200
        client = SealboxClient(socket_path=SOCKET)
        with client.lease("/app/db").value() as v:
            pass
        print(os.getpid())
    """, d.socket_path)
    child_pid = int(child.stdout.split()[-1])
    calls = d.calls()
    assert [c["sequence"] for c in calls] == sorted(c["sequence"] for c in calls)
    assert len({c["sequence"] for c in calls}) == len(calls)
    assert [c["time"] for c in calls] == sorted(c["time"] for c in calls)

    first = calls[0]
    assert (first["operation"], first["resources"], first["result"], first["status"]) == \
        ("ssm:GetParameter", ["/app/plain"], "allowed", 200)
    assert first["principal"] == {"kind": "accessKey", "accessKey": "AKIATESTINGMODE00001"}

    mine = [c for c in calls if c["principal"].get("pid") == child_pid]
    assert [(c["operation"], c["resources"][0] if c["resources"] else None) for c in mine] == [
        ("ssm:PutParameter", "/calls/a"),
        ("ssm:GetParameter", "/calls/a"),
        ("ssm:GetParameter", "/calls/missing"),
        ("kms:Encrypt", harness.key_arn(APP_KEY)),
        ("lease:Create", "/app/db"),
        ("lease:Redeem", "/app/db"),
    ], mine
    assert len(mine) == len(calls) - 1
    for c in mine:
        assert c["principal"] == {"kind": "process", "pid": child_pid, "uid": os.getuid(), "gid": os.getgid()}
    assert [c["result"] for c in mine][:2] == ["allowed", "allowed"]
    assert mine[2]["result"].startswith("failed") and "ParameterNotFound" in mine[2]["result"], mine[2]
    assert mine[2]["status"] == 400
    assert [c["status"] for c in mine[4:]] == [201, 200]

    resp = d.request("DELETE", "/v1/test/calls")
    assert resp.status == 204
    assert d.calls() == []
    d.ssm().describe_parameters()
    after = d.calls()
    assert [c["operation"] for c in after] == ["ssm:DescribeParameters"]
    assert after[0]["sequence"] > calls[-1]["sequence"] or after[0]["sequence"] == 1


def test_denied_calls_are_recorded_as_denied(eph, tmp_path):
    config = tmp_path / "policy.yaml"
    config.write_text(textwrap.dedent("""\
        policy:
          - principals: ["access-key:tests"]
            allow: ["ssm:GetParameter*", "kms:Decrypt"]
            resources: ["/app/*"]
          - principals: ["uid:0", "uid:%d"]
            allow: ["*"]
            resources: ["*"]
        """ % os.getuid()))
    d = eph(fixture_file(tmp_path), extra=["--require-auth", "--config", str(config)])
    tests = d.ssm(access_key="AKIAFIXTURE000000001", secret="fixture-secret")
    assert tests.get_parameter(Name="/app/plain")["Parameter"]["Value"] == "hello"
    harness.expect_error("AccessDeniedException", tests.put_parameter, Name="/app/plain", Value="x",
                         Type="String", Overwrite=True)
    harness.expect_error("AccessDeniedException", tests.get_parameter, Name="/other/thing")
    harness.expect_error("UnrecognizedClientException", d.ssm(access_key="AKIANOTAFIXTUREKEY01").get_parameter,
                         Name="/app/plain")
    calls = [c for c in d.calls() if c["principal"].get("accessKey") == "AKIAFIXTURE000000001"]
    assert [(c["operation"], c["resources"], c["result"]) for c in calls] == [
        ("ssm:GetParameter", ["/app/plain"], "allowed"),
        ("ssm:PutParameter", ["/app/plain"], "denied"),
        ("ssm:GetParameter", ["/other/thing"], "denied"),
    ]
    assert all(c["principal"]["kind"] == "accessKey" for c in calls)
    assert [c["status"] for c in calls] == [200, 400, 400]
    plain = tests.get_parameter(Name="/app/plain")["Parameter"]
    assert (plain["Value"], plain["Version"]) == ("hello", 1), "the denied PutParameter changed the value"


HANDLER_GOOD = """
import os
from sealbox.client import SealboxClient

client = SealboxClient(socket_path=os.environ["SEALBOX_SOCKET"])
db_password = client.lease("/app/db")          # no plaintext, and no call, at import


def handler(event, context):
    with db_password.value() as secret:
        return len(secret)
"""

HANDLER_BAD = """
import os
from sealbox.client import SealboxClient

client = SealboxClient(socket_path=os.environ["SEALBOX_SOCKET"])
DB_PASSWORD = client.get_parameter("/app/db")["Parameter"]["Value"]   # fetched at cold start


def handler(event, context):
    return len(DB_PASSWORD)
"""


@pytest.mark.parametrize("variant", ["lazy", "eager"])
def test_lazy_loading_is_visible_in_the_calls(sealbox, tmp_path, variant):
    boto3.client("ssm").put_parameter(Name="/app/db", Value="lazy-or-not-" + uuid.uuid4().hex,
                                      Type="SecureString")
    (tmp_path / "my_handler.py").write_text(HANDLER_GOOD if variant == "lazy" else HANDLER_BAD)
    result = run_child(f"""
        sys.path.insert(0, {str(tmp_path)!r})
        import my_handler
        # The invocation marker: a call nobody else makes, right before the handler runs.
        assert aws("AmazonSSM.DescribeParameters", {{"MaxResults": 1}}) == 200
        print(my_handler.handler({{}}, None), os.getpid())
    """, sealbox.socket_path)
    length, pid = map(int, result.stdout.split())
    assert length == len("lazy-or-not-") + 32
    calls = [c for c in sealbox.calls() if c["principal"].get("pid") == pid]
    ops = [c["operation"] for c in calls]
    assert ops.count("ssm:DescribeParameters") == 1, ops
    marker = ops.index("ssm:DescribeParameters")
    reads = ("ssm:GetParameter", "ssm:GetParameters", "lease:Create", "lease:Redeem")
    fetches = [i for i, c in enumerate(calls) if c["operation"] in reads and "/app/db" in c["resources"]]
    assert fetches, f"no fetch of /app/db recorded: {calls}"
    before = [ops[i] for i in fetches if i < marker]
    after = [ops[i] for i in fetches if i > marker]
    if variant == "lazy":
        assert before == [], f"the lazy handler fetched /app/db at import: {before}"
        assert "lease:Redeem" in after, ops
    else:
        assert before == ["ssm:GetParameter"], f"the eager handler's import-time fetch is not recorded: {ops}"
        assert after == [], ops


# ===========================================================================
# 6. Inspect
# ===========================================================================

@pytest.fixture
def inspected(eph):
    """An ephemeral daemon holding /app/db (a SecureString with a value unique to the test, put with
    boto3: no file in /tmp holds it), and inspect(pid) -> (table result, JSON report) that also checks
    neither output shows the value."""
    d = eph()
    secret = f"inspect-me-{uuid.uuid4().hex}"
    d.ssm().put_parameter(Name="/app/db", Value=secret, Type="SecureString")

    def inspect(pid: int) -> tuple[subprocess.CompletedProcess, dict]:
        table = d.cli("inspect", str(pid))
        as_json_ = d.cli("inspect", str(pid), "-o", "json")
        for r in (table, as_json_):
            leaked = [v for v in (secret, base64.b64encode(secret.encode()).decode()) if v in r.stdout + r.stderr]
            assert not leaked, "sealbox inspect printed the secret value"
        assert as_json_.returncode == table.returncode, (table, as_json_)
        return table, json.loads(as_json_.stdout)

    inspect.daemon = d
    inspect.secret = secret
    return inspect


def in_memory(pid: int, needle: bytes) -> list[str]:
    """The writable mappings of `pid` that contain `needle` (read here, independently of sealboxd)."""
    hits = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    hits.append(line.strip())
            except OSError:
                pass
    return hits


def test_inspect_finds_a_secret_kept_in_a_global(inspected, lingering):
    child = lingering("""
        from sealbox.client import SealboxClient
        KEPT = SealboxClient(socket_path=SOCKET).get_parameter("/app/db")["Parameter"]["Value"]
    """, inspected.daemon.socket_path)
    table, doc = inspected(child.pid)
    assert table.returncode == 1, table
    assert "/app/db" in table.stdout and "memory" in table.stdout, table.stdout
    assert doc["pid"] == child.pid and doc["secretsChecked"] >= 1 and doc["bytesScanned"] > 0, doc
    memory = [f for f in doc["findings"] if f["location"].startswith("memory")]
    assert memory and "/app/db" in memory[0]["secret"] and memory[0]["form"] == "plaintext", doc


def test_inspect_is_clean_after_a_wiped_lease_value(inspected, lingering):
    child = lingering("""
        import gc
        from sealbox.client import SealboxClient
        lease = SealboxClient(socket_path=SOCKET).lease("/app/db")
        with lease.value() as v:
            LENGTH = len(v)
        del v
        gc.collect()
    """, inspected.daemon.socket_path)
    table, doc = inspected(child.pid)
    assert table.returncode == 0, table
    assert "clean" in table.stdout, table.stdout
    assert doc["findings"] == [] and doc["secretsChecked"] >= 1, doc
    redeems = [c for c in inspected.daemon.calls()
               if c["operation"] == "lease:Redeem" and c["principal"].get("pid") == child.pid]
    assert len(redeems) == 1, "the clean child was never served the secret, so clean proves nothing"


def test_inspect_finds_a_secret_in_a_temp_file(inspected, lingering):
    leak = Path("/tmp") / f"sbtm-leak-{uuid.uuid4().hex}.txt"
    try:
        child = lingering(f"""
            import gc
            from sealbox.client import SealboxClient
            lease = SealboxClient(socket_path=SOCKET).lease("/app/db")
            with lease.value() as v:
                with open({str(leak)!r}, "wb") as f:
                    f.write(v)
            del v
            gc.collect()
        """, inspected.daemon.socket_path)
        assert leak.read_text() == inspected.secret
        table, doc = inspected(child.pid)
        assert table.returncode == 1, table
        assert "temp file" in table.stdout and str(leak) in table.stdout, table.stdout
        files = [f for f in doc["findings"] if f["location"].startswith("temp file")]
        assert files and str(leak) in files[0]["location"] and "/app/db" in files[0]["secret"], doc
    finally:
        leak.unlink(missing_ok=True)


def test_inspect_finds_a_secret_in_the_environment(inspected, lingering):
    # The child puts the value in os.environ and re-executes itself: same pid, new image, and
    # the secret now sits in its environment block.
    child = lingering("""
        if sys.argv[1:] != ["again"]:
            from sealbox.client import SealboxClient
            client = SealboxClient(socket_path=SOCKET)
            with client.lease("/app/db").value() as v:
                os.environ["DB_PASSWORD"] = v.decode()
            client.close()
            os.execv(sys.executable, [sys.executable, "-c", sys.orig_argv[2], "again"])
    """, inspected.daemon.socket_path)
    environ = Path(f"/proc/{child.pid}/environ").read_bytes()
    assert b"DB_PASSWORD=" + inspected.secret.encode() in environ
    table, doc = inspected(child.pid)
    assert table.returncode == 1, table
    assert "environment" in table.stdout, table.stdout
    assert any(f["location"] == "environment" and "/app/db" in f["secret"] for f in doc["findings"]), doc


def test_inspect_finds_a_base64_copy(inspected, lingering):
    # The copy goes into a buffer of its own (a fresh mapping), so where pymalloc puts small
    # objects plays no part in this test.
    child = lingering("""
        import base64, gc
        from sealbox.client import SealboxClient
        lease = SealboxClient(socket_path=SOCKET).lease("/app/db")
        ENCODED = bytearray(1 << 20)
        with lease.value() as v:
            b = base64.b64encode(v)
            ENCODED[4096:4096 + len(b)] = b
        del v, b
        gc.collect()
    """, inspected.daemon.socket_path)
    table, doc = inspected(child.pid)
    assert table.returncode == 1, table
    assert any(f["form"] == "base64" and "/app/db" in f["secret"] for f in doc["findings"]), doc


def test_inspect_scans_every_writable_mapping(inspected, lingering):
    # A copy in a buffer mapped before 200 other (larger, not writable) mappings, which the kernel
    # places below it: the buffer's line in /proc/<pid>/maps comes after the first few KiB of that
    # file. A process with many shared libraries (any real handler) is in the same position.
    child = lingering("""
        import gc, mmap
        from sealbox.client import SealboxClient
        lease = SealboxClient(socket_path=SOCKET).lease("/app/db")
        COPY = bytearray(4 << 20)
        with lease.value() as v:
            COPY[8192:8192 + len(v)] = v
        del v
        gc.collect()
        FILLERS = [mmap.mmap(-1, 8 << 20, prot=mmap.PROT_READ if i % 2 else 0) for i in range(200)]
    """, inspected.daemon.socket_path)
    hits = in_memory(child.pid, inspected.secret.encode())
    assert hits, "the test child does not hold the value (test is broken)"
    maps = Path(f"/proc/{child.pid}/maps").read_text()
    table, doc = inspected(child.pid)
    assert table.returncode == 1, (
        f"sealbox inspect said clean ({table.stdout.strip()}; bytesScanned {doc['bytesScanned']}, "
        f"skipped {doc['skipped']}) but the value is in {hits} (line at byte {maps.find(hits[0][:25])} "
        f"of a {len(maps)}-byte /proc/{child.pid}/maps)")
    assert any(f["location"].startswith("memory") for f in doc["findings"]), doc


def test_inspect_of_a_process_never_served_anything(inspected, lingering):
    child = lingering("KEPT = %r\n" % inspected.secret, inspected.daemon.socket_path)
    table, doc = inspected(child.pid)
    # It holds the value, but the daemon never served it to that process: nothing to look for.
    assert table.returncode == 0, table
    assert doc["secretsChecked"] == 0 and doc["findings"] == [], doc


# ---------------------------------------------------------------------------
# Secrets Manager secrets in fixture files
# ---------------------------------------------------------------------------

SECRET_FIXTURES = f"""\
keys:
  - {{id: {APP_KEY}, aliases: [alias/app], material: {APP_MATERIAL}}}
secrets:
  - name: prod/db
    description: database login
    kmsKeyId: alias/app
    tags: {{team: payments}}
    value: '{{"user":"app","password":"{DB_SECRET}"}}'
  - name: prod/blob
    binary: {base64.b64encode(bytes(range(8))).decode()}
  - name: prod/api-key
    region: eu-west-1
    versions:
      - {{value: old-key, stages: [AWSPREVIOUS]}}
      - {{id: 5eab0c5e-0000-4000-8000-0000000000c1, value: new-key, stages: [AWSCURRENT, live]}}
"""


def secret_state(d) -> dict:
    """(region, name) -> {version id or stage set: value} for every secret, by the API."""
    out = {}
    for region in ("us-east-1", "eu-west-1"):
        sm = harness.make_client("secretsmanager", d.endpoint, "AKIATESTINGMODE00001", "anything", region=region)
        for secret in sm.list_secrets()["SecretList"]:
            versions = {}
            for v in sm.list_secret_version_ids(SecretId=secret["ARN"])["Versions"]:
                got = sm.get_secret_value(SecretId=secret["ARN"], VersionId=v["VersionId"])
                versions[tuple(sorted(v["VersionStages"]))] = got.get("SecretString", got.get("SecretBinary"))
            out[(region, secret["Name"])] = (secret.get("Description"), secret.get("KmsKeyId"),
                                             secret.get("Tags"), versions)
    return out


def test_secrets_in_a_fixture_file_are_served_and_reset_returns_them(eph, tmp_path):
    d = eph(fixture_file(tmp_path, SECRET_FIXTURES))
    sm = harness.make_client("secretsmanager", d.endpoint, "AKIATESTINGMODE00001", "anything")
    db = sm.get_secret_value(SecretId="prod/db")
    assert db["SecretString"] == f'{{"user":"app","password":"{DB_SECRET}"}}'
    described = sm.describe_secret(SecretId="prod/db")
    assert (described["Description"], described["KmsKeyId"], described["Tags"]) == (
        "database login", "alias/app", [{"Key": "team", "Value": "payments"}])
    assert sm.get_secret_value(SecretId="prod/blob")["SecretBinary"] == bytes(range(8))
    eu = harness.make_client("secretsmanager", d.endpoint, "AKIATESTINGMODE00001", "anything", region="eu-west-1")
    current = eu.get_secret_value(SecretId="prod/api-key")
    assert (current["SecretString"], current["VersionId"], sorted(current["VersionStages"])) == (
        "new-key", "5eab0c5e-0000-4000-8000-0000000000c1", ["AWSCURRENT", "live"])
    assert eu.get_secret_value(SecretId="prod/api-key", VersionStage="AWSPREVIOUS")["SecretString"] == "old-key"
    assert harness.error_code(lambda: sm.get_secret_value(SecretId="prod/api-key")) == "ResourceNotFoundException"
    assert d.health()[1]["secrets"] == 3
    before = secret_state(d)

    sm.put_secret_value(SecretId="prod/db", SecretString="changed")
    sm.delete_secret(SecretId="prod/blob", ForceDeleteWithoutRecovery=True)
    sm.create_secret(Name="new/secret", SecretString="new")
    eu.delete_secret(SecretId="prod/api-key", RecoveryWindowInDays=7)
    assert d.reset().status == 200
    assert secret_state(d) == before
    assert harness.error_code(lambda: sm.describe_secret(SecretId="new/secret")) == "ResourceNotFoundException"


def test_secrets_export_import_and_reapply_idempotently(eph, tmp_path):
    d = eph(fixture_file(tmp_path, SECRET_FIXTURES))
    exported = d.export("json")
    by_name = {s["name"]: s for s in exported["secrets"]}
    assert set(by_name) == {"prod/db", "prod/blob", "prod/api-key"}
    assert by_name["prod/api-key"]["region"] == "eu-west-1" and "region" not in by_name["prod/db"]
    assert by_name["prod/db"]["tags"] == {"team": "payments"} and by_name["prod/db"]["kmsKeyId"] == "alias/app"
    assert by_name["prod/blob"]["versions"][0]["binary"] == base64.b64encode(bytes(range(8))).decode()
    assert [(v["value"], sorted(v["stages"])) for v in by_name["prod/api-key"]["versions"]] == [
        ("old-key", ["AWSPREVIOUS"]), ("new-key", ["AWSCURRENT", "live"])]
    # The file applied again changes nothing; so does the export, into the daemon it came from.
    assert _import(d, str(fixture_file(tmp_path, SECRET_FIXTURES, "again.yaml")))["secretsWritten"] == 0
    assert _import(d, "-", stdin=json.dumps(exported))["secretsWritten"] == 0
    # Into an empty daemon the export reproduces the secrets, version ids included.
    e = eph()
    assert _import(e, "-", stdin=json.dumps(exported))["secretsWritten"] == 3
    assert e.export("json")["secrets"] == exported["secrets"]
    assert secret_state(e) == secret_state(d)
    # A changed value in the file is written as a new AWSCURRENT version.
    changed = SECRET_FIXTURES.replace("binary: " + base64.b64encode(bytes(range(8))).decode(), "value: text-now")
    assert _import(d, "-", stdin=changed)["secretsWritten"] == 1
    sm = harness.make_client("secretsmanager", d.endpoint, "AKIATESTINGMODE00001", "anything")
    assert sm.get_secret_value(SecretId="prod/blob")["SecretString"] == "text-now"


# ---------------------------------------------------------------------------
# Secrets Manager secrets: inspected, recorded
# ---------------------------------------------------------------------------

SECRET_CHILD = """
def raw(method, path, body=b"", target=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCKET)
    head = f"{method} {path} HTTP/1.1\\r\\nHost: sealbox\\r\\nContent-Length: {len(body)}\\r\\nConnection: close\\r\\n"
    if target:
        head += f"Content-Type: application/x-amz-json-1.1\\r\\nX-Amz-Target: {target}\\r\\n"
    s.sendall(head.encode() + b"\\r\\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.split(b"\\r\\n\\r\\n", 1)[1])
"""


@pytest.fixture
def secret_inspected(inspected):
    """`inspected`, with the Secrets Manager secret app/db holding a value unique to the test."""
    d = inspected.daemon
    value = f"inspect-secret-{uuid.uuid4().hex}"
    boto("secretsmanager", d.endpoint).create_secret(Name="app/db", SecretString=value)

    def inspect(pid: int) -> tuple[subprocess.CompletedProcess, dict]:
        table, doc = inspected(pid)
        assert value not in table.stdout + table.stderr and value not in json.dumps(doc)
        return table, doc

    inspect.daemon = d
    inspect.value = value
    return inspect


@pytest.mark.parametrize("how", [
    'KEPT = raw("POST", "/", json.dumps({"SecretId": "app/db"}).encode(), "secretsmanager.GetSecretValue")'
    '["SecretString"]',
    'KEPT = raw("POST", "/", json.dumps({"SecretIdList": ["app/db"]}).encode(), '
    '"secretsmanager.BatchGetSecretValue")["SecretValues"][0]["SecretString"]',
    'KEPT = raw("GET", "/secretsmanager/get?secretId=app%2Fdb")["SecretString"]',
    'KEPT = bytearray()\nwith SealboxClient(socket_path=SOCKET).lease(secret_id="app/db").value() as v:\n'
    '    KEPT += v',
], ids=["GetSecretValue", "BatchGetSecretValue", "extension", "lease"])
def test_inspect_finds_a_served_secret_value_kept_in_a_global(secret_inspected, lingering, how):
    child = lingering("from sealbox.client import SealboxClient\n" + SECRET_CHILD + how + "\n",
                      secret_inspected.daemon.socket_path)
    table, doc = secret_inspected(child.pid)
    assert table.returncode == 1, table
    memory = [f for f in doc["findings"] if f["location"].startswith("memory")]
    assert memory and memory[0]["secret"].startswith("secret app/db version "), doc
    assert "app/db" in table.stdout, table.stdout


def test_inspect_is_clean_after_a_wiped_secret_lease_value(secret_inspected, lingering):
    child = lingering("""
        import gc
        from sealbox.client import SealboxClient
        with SealboxClient(socket_path=SOCKET).lease(secret_id="app/db").value() as v:
            LENGTH = len(v)
        del v
        gc.collect()
    """, secret_inspected.daemon.socket_path)
    table, doc = secret_inspected(child.pid)
    assert table.returncode == 0 and doc["findings"] == [] and doc["secretsChecked"] >= 1, (table, doc)


def test_calls_name_the_secret(secret_inspected):
    d = secret_inspected.daemon
    child = run_child(SECRET_CHILD + textwrap.dedent("""
        from sealbox.client import SealboxClient
        raw("POST", "/", json.dumps({"SecretId": "app/db"}).encode(), "secretsmanager.GetSecretValue")
        raw("POST", "/", json.dumps({"SecretId": "app/none"}).encode(), "secretsmanager.DescribeSecret")
        with SealboxClient(socket_path=SOCKET).lease(secret_id="app/db").value() as v:
            pass
        print(os.getpid())
    """), d.socket_path)
    pid = int(child.stdout.split()[-1])
    mine = [(c["operation"], c["resources"], c["status"]) for c in d.calls() if c["principal"].get("pid") == pid]
    assert mine == [
        ("secretsmanager:GetSecretValue", ["app/db"], 200),
        ("secretsmanager:DescribeSecret", ["app/none"], 400),
        ("lease:Create", ["app/db"], 201),
        ("lease:Redeem", ["app/db"], 200),
    ], mine


# ===========================================================================
# 7. moto's server mode pointed at sealboxd
# ===========================================================================

MOTO_TESTS = """
import boto3
from moto import mock_aws


@mock_aws
def test_1_ssm_and_kms():
    ssm = boto3.client("ssm", region_name="us-east-1")
    names = {p["Name"] for p in ssm.describe_parameters()["Parameters"]}
    assert names == {"/seed/param"}, names            # moto's reset reached sealboxd
    assert ssm._endpoint.host == ENDPOINT
    ssm.put_parameter(Name="/moto/plain", Value="one", Type="String")
    ssm.put_parameter(Name="/moto/secret", Value="moto-secret", Type="SecureString")
    assert ssm.get_parameter(Name="/moto/secret", WithDecryption=True)["Parameter"]["Value"] == "moto-secret"
    assert ssm.get_parameter(Name="/moto/plain")["Parameter"]["Value"] == "one"
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key(Description="moto mode")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"data"


@mock_aws
def test_2_state_is_gone():
    ssm = boto3.client("ssm", region_name="us-east-1")
    names = {p["Name"] for p in ssm.describe_parameters()["Parameters"]}
    assert names == {"/seed/param"}, names
    kms = boto3.client("kms", region_name="us-east-1")
    ids = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    descriptions = {kms.describe_key(KeyId=i)["KeyMetadata"].get("Description") for i in ids}
    assert "moto mode" not in descriptions, descriptions
"""


def test_moto_server_mode_against_sealboxd(eph, tmp_path):
    d = eph(fixture_file(tmp_path, "parameters:\n  - {name: /seed/param, value: seeded}\n", "seed.yaml"))
    d.ssm().put_parameter(Name="/before/moto", Value="must be reset away", Type="String")
    tests = tmp_path / "moto_mode" / "test_moto_mode.py"
    tests.parent.mkdir()
    tests.write_text(f"ENDPOINT = {d.endpoint!r}\n" + MOTO_TESTS)
    env = harness.clean_env()
    env.update({"TEST_SERVER_MODE": "true", "TEST_SERVER_MODE_ENDPOINT": d.endpoint,
                "PYTHONDONTWRITEBYTECODE": "1"})
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                            cwd=str(tests.parent), env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"moto server-mode tests failed against sealboxd:\n{result.stdout}\n{result.stderr}"
    assert "2 passed" in result.stdout, result.stdout
    # mock_aws reset on the way out as well: back to the seed, nothing of the tests left.
    assert d.calls() == []
    assert set(parameter_state(d.ssm())) == {"/seed/param"}


# ===========================================================================
# 8. The pytest plugin
# ===========================================================================

_PLUGIN_STATE: dict = {}


def test_plugin_first_sets_things_up(sealbox, endpoint_url, aws_credentials):
    assert os.environ["AWS_ENDPOINT_URL"] == endpoint_url == sealbox.endpoint_url
    assert os.environ["SEALBOX_SOCKET"] == sealbox.socket_path
    assert sealbox.operations() == []
    print(f"\nMEASURE: plugin session daemon ready line after {sealbox.ready_seconds * 1000:.0f} ms")
    ssm = boto3.Session(**aws_credentials).client("ssm", endpoint_url=endpoint_url)
    ssm.put_parameter(Name="/plugin/left-behind", Value="from the first test", Type="SecureString")
    # A client without endpoint_url finds the daemon through AWS_ENDPOINT_URL.
    plain = boto3.client("ssm")
    assert plain.get_parameter(Name="/plugin/left-behind", WithDecryption=True)["Parameter"]["Value"] == \
        "from the first test"
    ops = sealbox.operations()
    assert ops == [("ssm:PutParameter", "/plugin/left-behind"), ("ssm:GetParameter", "/plugin/left-behind")]
    assert [c["principal"]["accessKey"] for c in sealbox.calls()] == [aws_credentials["aws_access_key_id"]] * 2
    exported = yaml.safe_load(sealbox.fixtures_export("yaml"))
    assert [p["name"] for p in exported["parameters"]] == ["/plugin/left-behind"]
    sealbox.clear_calls()
    assert sealbox.calls() == []
    _PLUGIN_STATE["first_ran"] = True


def test_plugin_second_starts_from_a_reset_daemon(sealbox, endpoint_url):
    ssm = boto3.client("ssm", endpoint_url=endpoint_url)
    harness.expect_error("ParameterNotFound", ssm.get_parameter, Name="/plugin/left-behind")
    assert ssm.describe_parameters()["Parameters"] == []
    assert sealbox.operations() == [("ssm:GetParameter", "/plugin/left-behind"), ("ssm:DescribeParameters", "*")]
    # inspect() through the plugin: this test process was served nothing, so it is clean.
    assert sealbox.inspect(os.getpid())["findings"] == []
