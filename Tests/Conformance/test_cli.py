"""The `sealbox` admin CLI against a real daemon over its Unix socket: every verb, in table and
JSON output, its exit codes (0 ok, 1 failed with "sealbox: ..." on stderr, 2 usage), the messages
when the daemon cannot be reached, and that secret values never travel in argv or get printed
unless asked for.

The CLI binary is $SEALBOX_CLI, else `sealbox` next to $SEALBOXD.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import harness

UUID_RE = harness.UUID_RE
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def cli_binary() -> Path:
    return Path(os.environ.get("SEALBOX_CLI") or harness.daemon_binary().with_name("sealbox"))


def run_cli(*args: str, socket_path: Path | str | None = None, input: bytes | str | None = None,
            env: dict | None = None, cwd: Path | str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `sealbox ARGS [--socket S]` and returns the completed process (stdout/stderr as text)."""
    argv = [str(cli_binary()), *args]
    if socket_path is not None:
        argv += ["--socket", str(socket_path)]
    e = harness.clean_env()
    e.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    p = subprocess.run(argv, input=data if data is not None else b"", capture_output=True, env=e,
                       cwd=str(cwd) if cwd else None, timeout=timeout)
    return subprocess.CompletedProcess(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


def describe(p: subprocess.CompletedProcess) -> str:
    return f"{' '.join(p.args)} -> {p.returncode}\nstdout: {p.stdout!r}\nstderr: {p.stderr!r}"


def ok(p: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert p.returncode == 0, describe(p)
    assert p.stderr == "", describe(p)
    return p


def failed(p: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 1, nothing on stdout, one "sealbox: ..." message on stderr containing every needle."""
    assert p.returncode == 1, describe(p)
    assert p.stdout == "", describe(p)
    assert p.stderr.startswith("sealbox: "), describe(p)
    for needle in needles:
        assert needle in p.stderr, f"{needle!r} not in the message\n{describe(p)}"
    return p.stderr


def usage_error(p: subprocess.CompletedProcess, *needles: str) -> str:
    assert p.returncode == 2, describe(p)
    assert p.stdout == "", describe(p)
    assert "Usage:" in p.stderr or "Error:" in p.stderr, describe(p)
    for needle in needles:
        assert needle in p.stderr, f"{needle!r} not in the message\n{describe(p)}"
    return p.stderr


def as_json(p: subprocess.CompletedProcess):
    ok(p)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise AssertionError(f"not JSON\n{describe(p)}") from e


def fields(text: str) -> dict:
    """`Name:   value` lines (Output.fields) as a dict."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        assert sep, f"not a `name: value` line: {line!r}"
        out[name.strip()] = value.strip()
    return out


def table(text: str) -> tuple[list[str], list[dict]]:
    """A padded table (Output.table): the upper-case header and its rows as dicts. Columns are
    cut at the header's column starts, so empty cells survive."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0]
    cols = [(m.group(0), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [c[0] for c in cols]
    assert header == header.upper(), f"header not upper-case: {header!r}"
    rows = []
    for line in lines[1:]:
        row = {}
        for i, (name, start) in enumerate(cols):
            end = cols[i + 1][1] if i + 1 < len(cols) else None
            row[name] = line[start:end].strip()
        rows.append(row)
    return names, rows


def parse_iso(text: str) -> float:
    assert ISO_RE.match(text), text
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()


def uniq(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------
# Fixtures: one persistent daemon for the module, boto3 clients to cross-check
# ---------------------------------------------------------------------------


def start_daemon(base: Path) -> harness.Daemon:
    data = base / "data"
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    d = harness.Daemon(data, base / "logs", socket_path=data / "sealbox.sock")
    try:
        d.start()
    except harness.DaemonStartError as e:
        pytest.fail(f"could not start sealboxd:\n{e}", pytrace=False)
    return d


@pytest.fixture(scope="module")
def cli_ok():
    path = cli_binary()
    if not path.exists():
        pytest.fail(f"sealbox CLI not found at {path}: build it (`swift build`) or set SEALBOX_CLI", pytrace=False)
    return path


@pytest.fixture(scope="module")
def sd(tmp_path_factory, cli_ok):
    d = start_daemon(tmp_path_factory.mktemp("cli"))
    yield d
    d.terminate(timeout=10)
    d.kill9()


@pytest.fixture(scope="module")
def S(sd):
    return sd.socket_path


@pytest.fixture(scope="module")
def kms(sd):
    return sd.client()


@pytest.fixture(scope="module")
def ssm(sd):
    return sd.client(service="ssm")


@pytest.fixture
def sbclient(sd):
    mod = harness.load_python_client()
    with mod.SealboxClient(socket_path=str(sd.socket_path), timeout=10) as c:
        yield c


def new_key(S, alias=None) -> str:
    args = ["key", "create", "--description", uniq("cli-")]
    if alias:
        args += ["--alias", alias]
    return as_json(run_cli(*args, "-o", "json", socket_path=S))["KeyId"]


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------


def test_status_table_and_json(sd, S, kms, ssm):
    new_key(S)
    t = fields(ok(run_cli("status", socket_path=S)).stdout)
    assert list(t) == ["Version", "Uptime", "Mode", "Keys", "Parameters", "Secrets", "Active leases", "Root key",
                       "Store", "Audit log", "Socket"], t
    assert t["Store"] == f"sqlite:{sd.data_dir / 'sealbox.db'} (ok)", t
    assert t["Secrets"].isdigit(), t
    assert t["Mode"] == "persistent"
    assert t["Root key"] == f"file:{sd.data_dir / 'root.key'}"
    assert t["Audit log"] == f"on, {sd.data_dir / 'audit.log'} (0 write failures)"
    assert t["Socket"] == str(S)
    assert re.match(r"^\d+h \d+m \d+s$", t["Uptime"]), t
    version = ok(run_cli("--version")).stdout.strip()
    assert t["Version"] == version and re.match(r"^\d+\.\d+\.\d+", version), (t, version)

    j = as_json(run_cli("status", "-o", "json", socket_path=S))
    assert j["version"] == version
    assert j["ephemeral"] is False
    assert j["rootKey"] == f"file:{sd.data_dir / 'root.key'}"
    assert j["audit"] == {"enabled": True, "path": str(sd.data_dir / "audit.log"), "writeFailures": 0}
    assert isinstance(j["uptimeSeconds"], int) and j["uptimeSeconds"] >= 0
    assert j["keys"] == len(kms.list_keys(Limit=1000)["Keys"]) >= 1
    assert int(t["Keys"]) == j["keys"]
    assert isinstance(j["parameters"], int) and isinstance(j["leases"], int)
    ssm.put_parameter(Name=f"/cli/status/{uuid.uuid4().hex}", Value="v", Type="String")
    assert as_json(run_cli("status", "-o", "json", socket_path=S))["parameters"] == j["parameters"] + 1


def test_status_takes_the_socket_from_the_environment(S):
    p = ok(run_cli("status", env={"SEALBOX_SOCKET": str(S)}))
    assert fields(p.stdout)["Socket"] == str(S)


# ---------------------------------------------------------------------------
# Unreachable daemon and usage errors
# ---------------------------------------------------------------------------


def test_missing_socket_names_the_path_and_the_fix(tmp_path, cli_ok):
    missing = tmp_path / "nowhere" / "sealbox.sock"
    for p in (run_cli("status", socket_path=missing),
              run_cli("key", "list", env={"SEALBOX_SOCKET": str(missing)})):
        msg = failed(p, str(missing), "no socket there", "make run", "--socket", "SEALBOX_SOCKET")
        assert msg.count("\n") == 1, msg
    # No flag, no environment: the built-in default, relative to the working directory.
    failed(run_cli("status", cwd=tmp_path), "./.sealbox/sealbox.sock", "make run")


def test_a_path_where_nothing_listens(tmp_path, cli_ok):
    plain = tmp_path / "plain-file"
    plain.write_text("not a socket")
    failed(run_cli("status", socket_path=plain), str(plain), "nothing is listening", "make run")
    # A stale socket: bound once, never listening.
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    failed(run_cli("param", "list", socket_path=stale), str(stale), "nothing is listening")


def test_usage_errors_exit_2(S):
    usage_error(run_cli("bogus-verb"), "bogus-verb")
    usage_error(run_cli("key", "rotate", socket_path=S), "<key>")
    usage_error(run_cli("status", "-o", "yaml", socket_path=S), "yaml")
    usage_error(run_cli("key", "auto-rotate", "alias/x", socket_path=S), "--period-days")
    usage_error(run_cli("key", "auto-rotate", "alias/x", "--period-days", "90", "--off", socket_path=S))
    usage_error(run_cli("lease", "revoke", socket_path=S), "--prefix")
    usage_error(run_cli("lease", "revoke", "abc", "--prefix", "/x", socket_path=S))
    usage_error(run_cli("param", "get", "/x", "--version", "1", "--label", "l", socket_path=S))
    usage_error(run_cli("param", "put", "/x", "--type", "Bogus", socket_path=S, input="v"), "Bogus")
    usage_error(run_cli("key", "retire", "alias/x", socket_path=S), "--below")
    usage_error(run_cli("alias", "create", "alias/only-one", socket_path=S))


def test_help_completion_and_version(cli_ok):
    top = ok(run_cli("--help")).stdout
    for verb in ("status", "key", "alias", "param", "lease", "audit", "env", "root"):
        assert re.search(rf"^\s+{verb}\s", top, re.M), f"{verb} not listed in sealbox --help:\n{top}"
    key_help = ok(run_cli("key", "--help")).stdout
    assert "Example" in key_help, key_help
    assert "sealbox key rotate" in key_help and "sealbox key rewrap" in key_help, key_help
    for sub in ("create", "list", "describe", "enable", "disable", "rotate", "auto-rotate", "rewrap", "retire",
                "schedule-deletion", "cancel-deletion"):
        assert re.search(rf"^\s+{sub}\s", key_help, re.M), f"{sub} not in sealbox key --help"
    for leaf in (["param", "put"], ["env", "encrypt"], ["key", "rewrap"], ["audit", "verify"]):
        assert "Example" in ok(run_cli(*leaf, "--help")).stdout, leaf
    for shell in ("bash", "zsh", "fish"):
        script = ok(run_cli("--generate-completion-script", shell)).stdout
        assert len(script) > 500 and "sealbox" in script, (shell, script[:300])
        assert "rewrap" in script and "schedule-deletion" in script, shell
    assert run_cli("--generate-completion-script", "tcsh").returncode == 2
    assert re.match(r"^\d+\.\d+\.\d+\s*$", ok(run_cli("--version")).stdout)


# ---------------------------------------------------------------------------
# key
# ---------------------------------------------------------------------------


def test_key_create_multi_region_and_replicate(sd, S, kms):
    alias = uniq("alias/cli-global-")
    created = as_json(run_cli("key", "create", "--multi-region", "--alias", alias, "-o", "json", socket_path=S))
    kid = created["KeyId"]
    assert kid.startswith("mrk-") and created["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    p = ok(run_cli("key", "replicate", alias, "--replica-region", "eu-west-1", "--description", "eu copy",
                   socket_path=S))
    f = fields(p.stdout)
    assert f == {"Key id": kid, "ARN": f"arn:aws:kms:eu-west-1:{harness.ACCOUNT}:key/{kid}"}
    west = sd.client(region="eu-west-1")
    assert west.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == "eu copy"
    blob = kms.encrypt(KeyId=alias, Plaintext=b"cli")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"cli"
    failed(run_cli("key", "replicate", kid, "--replica-region", "eu-west-1", socket_path=S), "AlreadyExistsException")


def test_key_commands_act_in_the_region_named(sd, S, kms):
    made = as_json(run_cli("key", "create", "--region", "eu-west-1", "--description", "west", "-o", "json",
                           socket_path=S))
    assert made["Arn"] == f"arn:aws:kms:eu-west-1:{harness.ACCOUNT}:key/{made['KeyId']}"
    west_ids = [k["KeyId"] for k in as_json(run_cli("key", "list", "--region", "eu-west-1", "-o", "json",
                                                    socket_path=S))]
    assert made["KeyId"] in west_ids
    home_ids = [k["KeyId"] for k in as_json(run_cli("key", "list", "-o", "json", socket_path=S))]
    assert made["KeyId"] not in home_ids
    failed(run_cli("key", "describe", made["KeyId"], socket_path=S), "NotFoundException")
    ok(run_cli("key", "disable", made["KeyId"], "--region", "eu-west-1", socket_path=S))
    assert sd.client(region="eu-west-1").describe_key(KeyId=made["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    failed(run_cli("key", "list", "--region", "EU_WEST", socket_path=S), "InvalidSignatureException")


def test_param_commands_act_in_the_region_named(sd, S):
    name = f"/cli/{uuid.uuid4().hex}/region"
    ok(run_cli("param", "put", name, "--region", "eu-west-1", socket_path=S, input="west"))
    west = sd.client(service="ssm", region="eu-west-1")
    assert west.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "west"
    failed(run_cli("param", "get", name, socket_path=S), "ParameterNotFound")
    got = ok(run_cli("param", "get", name, "--decrypt", "--region", "eu-west-1", socket_path=S))
    assert "west" in got.stdout


def test_key_create_list_describe(S, kms):
    alias = uniq("alias/cli-")
    desc = uniq("app secrets ")
    p = ok(run_cli("key", "create", "--description", desc, "--alias", alias, socket_path=S))
    f = fields(p.stdout)
    assert list(f) == ["Key id", "ARN", "Alias"], f
    kid = f["Key id"]
    assert UUID_RE.match(kid), f
    assert f["ARN"] == harness.key_arn(kid)
    assert f["Alias"] == alias
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == kid
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["Description"] == desc

    j = as_json(run_cli("key", "create", "-o", "json", "--description", "second", socket_path=S))
    assert UUID_RE.match(j["KeyId"]) and j["Arn"] == harness.key_arn(j["KeyId"])
    assert j["KeyState"] == "Enabled" and j["Description"] == "second" and j["KeyManager"] == "CUSTOMER"

    names, rows = table(ok(run_cli("key", "list", socket_path=S)).stdout)
    assert names == ["KEY ID", "STATE", "MANAGER", "ALIASES", "DESCRIPTION"]
    by_id = {r["KEY ID"]: r for r in rows}
    assert by_id[kid] == {"KEY ID": kid, "STATE": "Enabled", "MANAGER": "CUSTOMER", "ALIASES": alias,
                          "DESCRIPTION": desc}
    assert by_id[j["KeyId"]]["ALIASES"] == "" and by_id[j["KeyId"]]["DESCRIPTION"] == "second"
    assert set(by_id) == {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}

    listed = {k["KeyId"]: k for k in as_json(run_cli("key", "list", "-o", "json", socket_path=S))}
    assert listed[kid]["Aliases"] == [alias] and listed[kid]["Arn"] == harness.key_arn(kid)
    assert listed[j["KeyId"]]["Aliases"] == []

    d = fields(ok(run_cli("key", "describe", alias, socket_path=S)).stdout)
    assert d["Key id"] == kid and d["State"] == "Enabled" and d["Manager"] == "CUSTOMER"
    assert d["Description"] == desc and d["Aliases"] == alias
    assert d["Versions"] == "1 (0 rotations)" and d["Automatic rotation"] == "off"
    assert abs(parse_iso(d["Created"]) - time.time()) < 120
    assert "Deletion date" not in d
    dj = as_json(run_cli("key", "describe", kid, "-o", "json", socket_path=S))
    assert dj["KeyId"] == kid and dj["Aliases"] == [alias] and dj["Rotations"] == []
    assert dj["Rotation"]["KeyRotationEnabled"] is False

    failed(run_cli("key", "describe", "alias/does-not-exist", socket_path=S), "NotFoundException")
    failed(run_cli("key", "create", "--alias", "alias/aws/reserved", socket_path=S))


def test_key_enable_disable(S, kms):
    kid = new_key(S)
    assert ok(run_cli("key", "disable", kid, socket_path=S)).stdout == f"disabled {kid}\n"
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    assert fields(ok(run_cli("key", "describe", kid, socket_path=S)).stdout)["State"] == "Disabled"
    assert as_json(run_cli("key", "enable", kid, "-o", "json", socket_path=S)) == {"KeyId": kid}
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    alias = uniq("alias/cli-")
    ok(run_cli("alias", "create", alias, kid, socket_path=S))
    assert as_json(run_cli("key", "disable", alias, "-o", "json", socket_path=S)) == {"KeyId": kid}
    assert ok(run_cli("key", "enable", alias, socket_path=S)).stdout == f"enabled {kid}\n"
    failed(run_cli("key", "enable", str(uuid.uuid4()), socket_path=S), "NotFoundException")


def test_key_rotate_and_auto_rotate(S, kms):
    alias = uniq("alias/cli-rot-")
    kid = new_key(S, alias)
    assert ok(run_cli("key", "rotate", alias, socket_path=S)).stdout == f"rotated {kid}: now at version 2\n"
    assert as_json(run_cli("key", "rotate", kid, "-o", "json", socket_path=S)) == {"KeyId": kid, "Versions": 3}
    rotations = kms.list_key_rotations(KeyId=kid)["Rotations"]
    assert len(rotations) == 2 and {r["RotationType"] for r in rotations} == {"ON_DEMAND"}, rotations
    assert fields(ok(run_cli("key", "describe", alias, socket_path=S)).stdout)["Versions"] == "3 (2 rotations)"
    dj = as_json(run_cli("key", "describe", alias, "-o", "json", socket_path=S))
    assert len(dj["Rotations"]) == 2

    out = ok(run_cli("key", "auto-rotate", alias, "--period-days", "90", socket_path=S)).stdout
    assert out.startswith(f"{kid} rotates every 90 days; next "), out
    status = kms.get_key_rotation_status(KeyId=kid)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    nxt = parse_iso(out.strip().rsplit(" ", 1)[1])
    assert abs(nxt - (time.time() + 90 * 86400)) < 3 * 86400, out
    d = fields(ok(run_cli("key", "describe", kid, socket_path=S)).stdout)
    assert d["Automatic rotation"].startswith("every 90 days, next "), d
    off = as_json(run_cli("key", "auto-rotate", alias, "--off", "-o", "json", socket_path=S))
    assert off["KeyRotationEnabled"] is False
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is False
    assert ok(run_cli("key", "auto-rotate", kid, "--off", socket_path=S)).stdout == \
        f"automatic rotation off for {kid}\n"
    failed(run_cli("key", "auto-rotate", kid, "--period-days", "10", socket_path=S), "ValidationException")
    failed(run_cli("key", "rotate", "alias/does-not-exist", socket_path=S))


def test_key_rewrap_and_retire(S, ssm, kms):
    alias = uniq("alias/cli-rw-")
    kid = new_key(S, alias)
    name = f"/cli/rewrap/{uuid.uuid4().hex}"
    ok(run_cli("param", "put", name, "--key-id", alias, socket_path=S, input="rewrap-me"))
    ok(run_cli("key", "rotate", alias, socket_path=S))
    failed(run_cli("key", "retire", alias, "--below", "2", socket_path=S),
           "KMSInvalidStateException", "1 stored data keys", "rewrap")
    assert ok(run_cli("key", "rewrap", alias, "--batch-size", "1", socket_path=S)).stdout == \
        f"rewrapped 1 data keys of {alias}\n"
    assert as_json(run_cli("key", "rewrap", alias, "-o", "json", socket_path=S)) == {"rewrapped": 0, "failed": []}
    again = as_json(run_cli("key", "rewrap", "-o", "json", socket_path=S))  # every key
    assert again["failed"] == [] and isinstance(again["rewrapped"], int)
    assert ok(run_cli("key", "retire", alias, "--below", "2", socket_path=S)).stdout == \
        f"versions below 2 of {harness.key_arn(kid)} are retired\n"
    assert as_json(run_cli("key", "retire", kid, "--below", "2", "-o", "json", socket_path=S)) == \
        {"keyArn": harness.key_arn(kid), "minDecryptionVersion": 2}
    failed(run_cli("key", "retire", kid, "--below", "1", socket_path=S), "cannot be lowered")
    failed(run_cli("key", "retire", kid, "--below", "3", socket_path=S), "current version")
    got = fields(ok(run_cli("param", "get", name, "--decrypt", socket_path=S)).stdout)
    assert got["Value"] == "rewrap-me"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "rewrap-me"
    failed(run_cli("key", "rewrap", "alias/does-not-exist", socket_path=S), "NotFoundException")


def test_key_schedule_and_cancel_deletion(S, kms):
    kid = new_key(S)
    out = ok(run_cli("key", "schedule-deletion", kid, "--days", "7", socket_path=S)).stdout
    assert out.startswith(f"{kid} will be deleted on "), out
    when = parse_iso(out.strip().rsplit(" ", 1)[1])
    assert abs(when - (time.time() + 7 * 86400)) < 86400 + 60, out
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert abs(meta["DeletionDate"].timestamp() - when) < 1
    _, rows = table(ok(run_cli("key", "list", socket_path=S)).stdout)
    assert {r["KEY ID"]: r["STATE"] for r in rows}[kid] == "PendingDeletion"
    failed(run_cli("key", "schedule-deletion", kid, socket_path=S), "KMSInvalidStateException")
    assert ok(run_cli("key", "cancel-deletion", kid, socket_path=S)).stdout == \
        f"deletion of {kid} cancelled; the key is disabled (sealbox key enable)\n"
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Disabled"
    failed(run_cli("key", "cancel-deletion", kid, socket_path=S), "not pending deletion")

    other = new_key(S)
    j = as_json(run_cli("key", "schedule-deletion", other, "-o", "json", socket_path=S))
    assert j["KeyId"] == harness.key_arn(other) and j["KeyState"] == "PendingDeletion"
    assert j["PendingWindowInDays"] == 30, j
    assert as_json(run_cli("key", "cancel-deletion", other, "-o", "json", socket_path=S))["KeyId"] == \
        harness.key_arn(other)
    failed(run_cli("key", "schedule-deletion", other, "--days", "3", socket_path=S), "ValidationException")


def test_key_describe_shows_a_key_pending_deletion(S, kms):
    # `key describe` has a "Deletion date" line for exactly this state; the key still exists
    # (DescribeKey answers) even though its rotation status cannot be read while it is pending deletion.
    kid = new_key(S)
    ok(run_cli("key", "schedule-deletion", kid, "--days", "7", socket_path=S))
    try:
        deletion = kms.describe_key(KeyId=kid)["KeyMetadata"]["DeletionDate"].timestamp()
        d = fields(ok(run_cli("key", "describe", kid, socket_path=S)).stdout)
        assert d["State"] == "PendingDeletion", d
        assert abs(parse_iso(d["Deletion date"]) - deletion) < 1, d
        j = as_json(run_cli("key", "describe", kid, "-o", "json", socket_path=S))
        assert j["KeyState"] == "PendingDeletion" and j["KeyId"] == kid
    finally:
        kms.cancel_key_deletion(KeyId=kid)


# ---------------------------------------------------------------------------
# alias
# ---------------------------------------------------------------------------


def test_alias_create_list_delete(S, kms):
    kid = new_key(S)
    alias = uniq("alias/cli-a-")
    assert ok(run_cli("alias", "create", alias, kid, socket_path=S)).stdout == f"{alias} -> {kid}\n"
    failed(run_cli("alias", "create", alias, kid, socket_path=S), "AlreadyExistsException")
    names, rows = table(ok(run_cli("alias", "list", socket_path=S)).stdout)
    assert names == ["ALIAS", "KEY ID"]
    assert {"ALIAS": alias, "KEY ID": kid} in rows
    listed = {a["AliasName"]: a for a in as_json(run_cli("alias", "list", "-o", "json", socket_path=S))}
    assert listed[alias]["TargetKeyId"] == kid and listed[alias]["AliasArn"] == harness.alias_arn(alias)
    alias2 = uniq("alias/cli-b-")
    assert as_json(run_cli("alias", "create", alias2, kid, "-o", "json", socket_path=S)) == {"AliasName": alias2}
    assert ok(run_cli("alias", "delete", alias, socket_path=S)).stdout == f"deleted {alias}\n"
    assert as_json(run_cli("alias", "delete", alias2, "-o", "json", socket_path=S)) == {"AliasName": alias2}
    failed(run_cli("alias", "delete", alias, socket_path=S), "NotFoundException")
    left = {a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]}
    assert alias not in left and alias2 not in left
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"  # the key stays
    failed(run_cli("alias", "create", uniq("alias/cli-c-"), str(uuid.uuid4()), socket_path=S), "NotFoundException")


# ---------------------------------------------------------------------------
# param
# ---------------------------------------------------------------------------


def test_param_put_and_get(S, sd, ssm):
    base = f"/cli/p/{uuid.uuid4().hex}"
    secret = "s3cr3t-" + uuid.uuid4().hex
    p = ok(run_cli("param", "put", f"{base}/db/password", socket_path=S, input=secret + "\n"))
    assert p.stdout == f"{base}/db/password: version 1\n"
    assert secret not in p.stdout + p.stderr
    got = ssm.get_parameter(Name=f"{base}/db/password", WithDecryption=True)["Parameter"]
    assert got["Value"] == secret and got["Type"] == "SecureString"  # one trailing newline dropped

    # Without --decrypt a SecureString value is never printed, in either format.
    t = ok(run_cli("param", "get", f"{base}/db/password", socket_path=S))
    f = fields(t.stdout)
    assert f["Name"] == f"{base}/db/password" and f["Type"] == "SecureString" and f["Version"] == "1"
    assert f["Value"] == "(SecureString: add --decrypt)"
    assert abs(parse_iso(f["Modified"]) - time.time()) < 120
    j = as_json(run_cli("param", "get", f"{base}/db/password", "-o", "json", socket_path=S))
    assert "Value" not in j and j["Name"] == f"{base}/db/password" and j["Version"] == 1
    assert j["ARN"] == harness.parameter_arn(f"{base}/db/password")
    assert secret not in t.stdout + t.stderr and secret not in json.dumps(j)

    f = fields(ok(run_cli("param", "get", f"{base}/db/password", "--decrypt", socket_path=S)).stdout)
    assert f["Value"] == secret
    j = as_json(run_cli("param", "get", f"{base}/db/password", "--decrypt", "-o", "json", socket_path=S))
    assert j["Value"] == secret and j["Type"] == "SecureString"

    # --value-file, --overwrite, versions and labels.
    vf = sd.log_dir / f"value-{uuid.uuid4().hex}"
    vf.write_text("second\n\n")
    failed(run_cli("param", "put", f"{base}/db/password", "--value-file", str(vf), socket_path=S),
           "ParameterAlreadyExists")
    out = as_json(run_cli("param", "put", f"{base}/db/password", "--value-file", str(vf), "--overwrite", "-o", "json",
                          socket_path=S))
    assert out["Version"] == 2 and out["Tier"] == "Standard"
    assert ssm.get_parameter(Name=f"{base}/db/password", WithDecryption=True)["Parameter"]["Value"] == "second\n"
    assert fields(ok(run_cli("param", "get", f"{base}/db/password", "--decrypt", "--version", "1",
                             socket_path=S)).stdout)["Value"] == secret
    jv = as_json(run_cli("param", "get", f"{base}/db/password", "--decrypt", "--version", "1", "-o", "json",
                         socket_path=S))
    assert jv["Version"] == 1 and jv["Value"] == secret and jv["Selector"] == ":1"
    failed(run_cli("param", "get", f"{base}/db/password", "--version", "9", socket_path=S),
           "ParameterVersionNotFound")
    failed(run_cli("param", "get", f"{base}/missing", socket_path=S), "ParameterNotFound")
    failed(run_cli("param", "put", f"{base}/x", "--value-file", str(vf) + ".missing", socket_path=S),
           "cannot read --value-file")

    # String and StringList values print without --decrypt; --key-id and --description are sent.
    ok(run_cli("param", "put", f"{base}/db/host", "--type", "String", "--description", "the host", socket_path=S,
               input="db.internal\n"))
    assert fields(ok(run_cli("param", "get", f"{base}/db/host", socket_path=S)).stdout)["Value"] == "db.internal"
    ok(run_cli("param", "put", f"{base}/hosts", "--type", "StringList", socket_path=S, input="a,b,c"))
    j = as_json(run_cli("param", "get", f"{base}/hosts", "-o", "json", socket_path=S))
    assert j["Type"] == "StringList" and j["Value"] == "a,b,c"
    desc = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{base}/db/host"]}])["Parameters"]
    assert desc[0]["Description"] == "the host"
    kid = new_key(S)
    ok(run_cli("param", "put", f"{base}/keyed", "--key-id", kid, socket_path=S, input="k"))
    hist = ssm.get_parameter_history(Name=f"{base}/keyed")["Parameters"]
    assert hist[0]["KeyId"] == kid


def test_param_put_drops_exactly_one_trailing_newline(S, ssm):
    base = f"/cli/nl/{uuid.uuid4().hex}"
    cases = {"plain": ("abc", "abc"), "lf": ("abc\n", "abc"), "two-lf": ("abc\n\n", "abc\n"),
             "crlf": ("abc\r\n", "abc"), "inner": ("a\nb", "a\nb"), "space": ("abc \n", "abc ")}
    for key, (given, stored) in cases.items():
        ok(run_cli("param", "put", f"{base}/{key}", socket_path=S, input=given))
        got = ssm.get_parameter(Name=f"{base}/{key}", WithDecryption=True)["Parameter"]["Value"]
        assert got == stored, (key, given, got)


def test_param_put_keeps_a_trailing_carriage_return_that_is_not_a_newline(S, ssm):
    # Only one trailing newline is dropped: a value that ends in a lone CR (no LF) is not
    # followed by a newline, so it must be stored as given.
    name = f"/cli/cr/{uuid.uuid4().hex}"
    ok(run_cli("param", "put", name, socket_path=S, input="pass\r"))
    got = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    assert got == "pass\r", f"stored {got!r} for the value 'pass\\r'"


def test_param_list_history_label_delete(S, ssm):
    base = f"/cli/l/{uuid.uuid4().hex}"
    secret = "listed-secret-" + uuid.uuid4().hex
    ok(run_cli("param", "put", f"{base}/top", "--type", "String", socket_path=S, input="top-value"))
    ok(run_cli("param", "put", f"{base}/db/password", socket_path=S, input=secret))
    ok(run_cli("param", "put", f"{base}/db/password", "--overwrite", socket_path=S, input=secret + "2"))

    names, rows = table(ok(run_cli("param", "list", "--path", base, socket_path=S)).stdout)
    assert names == ["NAME", "TYPE", "VERSION", "MODIFIED"]
    assert [r["NAME"] for r in rows] == [f"{base}/top"] and rows[0]["TYPE"] == "String"
    p = ok(run_cli("param", "list", "--path", base, "--recursive", socket_path=S))
    _, rows = table(p.stdout)
    by = {r["NAME"]: r for r in rows}
    assert set(by) == {f"{base}/top", f"{base}/db/password"}
    assert by[f"{base}/db/password"]["TYPE"] == "SecureString" and by[f"{base}/db/password"]["VERSION"] == "2"
    assert ISO_RE.match(by[f"{base}/top"]["MODIFIED"])
    assert secret not in p.stdout and "top-value" not in p.stdout
    pj = run_cli("param", "list", "--path", base, "--recursive", "-o", "json", socket_path=S)
    lj = as_json(pj)
    assert sorted(x["Name"] for x in lj) == sorted(by) and all("Value" not in x for x in lj)
    assert secret not in pj.stdout and "top-value" not in pj.stdout
    assert ok(run_cli("param", "list", "--path", f"{base}/empty", socket_path=S)).stdout == "(none)\n"
    assert as_json(run_cli("param", "list", "--path", f"{base}/empty", "-o", "json", socket_path=S)) == []
    # More than one page of GetParametersByPath (the CLI asks 10 at a time).
    for i in range(12):
        ssm.put_parameter(Name=f"{base}/many/p{i:02d}", Value="v", Type="String")
    _, rows = table(ok(run_cli("param", "list", "--path", f"{base}/many", socket_path=S)).stdout)
    assert sorted(r["NAME"] for r in rows) == [f"{base}/many/p{i:02d}" for i in range(12)]

    # history and labels
    assert ok(run_cli("param", "label", f"{base}/db/password", "old", "first", "--version", "1",
                      socket_path=S)).stdout == f"{base}/db/password version 1: old, first\n"
    lj = as_json(run_cli("param", "label", f"{base}/db/password", "live", "-o", "json", socket_path=S))
    assert lj["ParameterVersion"] == 2 and lj["InvalidLabels"] == []
    h = ok(run_cli("param", "history", f"{base}/db/password", socket_path=S))
    names, rows = table(h.stdout)
    assert names == ["VERSION", "LABELS", "MODIFIED", "BY", "KEY"]
    assert [r["VERSION"] for r in rows] == ["1", "2"]
    assert sorted(rows[0]["LABELS"].split(",")) == ["first", "old"] and rows[1]["LABELS"] == "live"
    assert rows[0]["KEY"] == "alias/aws/ssm" and rows[0]["BY"].startswith(f"uid:{os.getuid()}"), rows
    assert secret not in h.stdout
    hj = run_cli("param", "history", f"{base}/db/password", "-o", "json", socket_path=S)
    versions = as_json(hj)
    assert [v["Version"] for v in versions] == [1, 2] and all("Value" not in v for v in versions)
    assert secret not in hj.stdout
    assert fields(ok(run_cli("param", "get", f"{base}/db/password", "--label", "old", "--decrypt",
                             socket_path=S)).stdout)["Value"] == secret
    # Moving a label: "live" goes to version 1.
    ok(run_cli("param", "label", f"{base}/db/password", "live", "--version", "1", socket_path=S))
    hv = {v["Version"]: v["Labels"] for v in as_json(run_cli("param", "history", f"{base}/db/password", "-o", "json",
                                                               socket_path=S))}
    assert "live" in hv[1] and "live" not in hv[2]
    failed(run_cli("param", "label", f"{base}/db/password", "aws-nope", socket_path=S), "aws-nope")
    failed(run_cli("param", "history", f"{base}/missing", socket_path=S), "ParameterNotFound")

    assert ok(run_cli("param", "delete", f"{base}/top", socket_path=S)).stdout == f"deleted {base}/top\n"
    assert as_json(run_cli("param", "delete", f"{base}/db/password", "-o", "json", socket_path=S)) == \
        {"Name": f"{base}/db/password"}
    failed(run_cli("param", "delete", f"{base}/top", socket_path=S), "ParameterNotFound")
    _, rows = table(ok(run_cli("param", "list", "--path", base, "--recursive", socket_path=S)).stdout)
    assert {r["NAME"] for r in rows} == {f"{base}/many/p{i:02d}" for i in range(12)}


def test_secret_values_never_travel_in_argv(S, sd, ssm):
    name = f"/cli/argv/{uuid.uuid4().hex}"
    secret = "argv-canary-" + uuid.uuid4().hex
    # There is no way to give a value on the command line.
    usage_error(run_cli("param", "put", name, secret, socket_path=S))
    usage_error(run_cli("param", "put", name, "--value", secret, socket_path=S), "--value")
    usage_error(run_cli("env", "encrypt", "ARGV_CANARY", secret, socket_path=S))
    harness.expect_error("ParameterNotFound", ssm.get_parameter, Name=name)
    put_help = ok(run_cli("param", "put", "--help")).stdout
    assert "--value-file" in put_help and not re.search(r"--value\b(?!-)", put_help), put_help

    # Through stdin: while the CLI waits for its value, its command line holds no secret.
    argv = [str(cli_binary()), "param", "put", name, "--socket", str(S)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=harness.clean_env())
    try:
        deadline = time.monotonic() + 10
        cmdline = b""
        while time.monotonic() < deadline:  # until the child has exec'd the CLI
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            if cmdline.startswith(argv[0].encode() + b"\0"):
                break
            time.sleep(0.01)
        assert cmdline.split(b"\0")[:4] == [a.encode() for a in argv[:4]], cmdline
        time.sleep(0.2)
        assert proc.poll() is None, "the CLI did not wait for its value on stdin"
        out, err = proc.communicate(secret.encode(), timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert secret.encode() not in cmdline
    assert proc.returncode == 0, (out, err)
    assert secret.encode() not in out + err
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret

    # Through --value-file: only the path is in argv.
    vf = sd.log_dir / f"v-{uuid.uuid4().hex}"
    vf.write_text(secret + "-file")
    p = ok(run_cli("param", "put", name, "--value-file", str(vf), "--overwrite", socket_path=S))
    assert secret not in " ".join(p.args) and secret not in p.stdout + p.stderr
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret + "-file"
    # Nor does the daemon write it to its audit log or its own output.
    assert secret not in (sd.data_dir / "audit.log").read_text()
    assert secret not in sd.logs(tail=100000)


# ---------------------------------------------------------------------------
# lease
# ---------------------------------------------------------------------------


def test_lease_list_and_revoke(S, ssm, sbclient):
    base = f"/cli/lease/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=f"{base}/db/password", Value="lease-secret", Type="SecureString")
    ssm.put_parameter(Name=f"{base}/db/password", Value="lease-secret-2", Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name=f"{base}/api/key", Value="api-secret", Type="SecureString")
    a = sbclient.create_lease(f"{base}/db/password", ttl_seconds=600, max_uses=3)
    b = sbclient.create_lease(f"{base}/db/password")
    c = sbclient.create_lease(f"{base}/api/key")
    value, version = sbclient.redeem_into(a["leaseId"])
    assert (bytes(value), version) == (b"lease-secret-2", 2)

    p = ok(run_cli("lease", "list", socket_path=S))
    names, rows = table(p.stdout)
    assert names == ["LEASE ID", "NAME", "VERSION", "USES", "EXPIRES"]
    by = {r["LEASE ID"]: r for r in rows}
    assert by[a["leaseId"]]["NAME"] == f"{base}/db/password" and by[a["leaseId"]]["VERSION"] == "2"
    assert by[a["leaseId"]]["USES"] == "1/3" and by[b["leaseId"]]["USES"] == "0/unlimited"
    assert abs(parse_iso(by[a["leaseId"]]["EXPIRES"]) - a["expiresAt"]) < 2
    assert by[c["leaseId"]]["NAME"] == f"{base}/api/key"
    assert "lease-secret" not in p.stdout and "api-secret" not in p.stdout
    lj = {x["leaseId"]: x for x in as_json(run_cli("lease", "list", "-o", "json", socket_path=S))}
    assert lj[a["leaseId"]]["uses"] == 1 and lj[a["leaseId"]]["maxUses"] == 3 and lj[a["leaseId"]]["version"] == 2
    assert {a["leaseId"], b["leaseId"], c["leaseId"]} <= set(lj)

    mod = harness.load_python_client()
    assert ok(run_cli("lease", "revoke", a["leaseId"], socket_path=S)).stdout == "revoked 1 leases\n"
    with pytest.raises(mod.LeaseError) as e:
        sbclient.redeem_into(a["leaseId"])
    assert e.value.code == "LeaseNotFound"
    assert bytes(sbclient.redeem_into(b["leaseId"])[0]) == b"lease-secret-2"  # the others stay
    assert as_json(run_cli("lease", "revoke", "--prefix", f"{base}/db/", "-o", "json", socket_path=S)) == \
        {"revoked": 1}
    with pytest.raises(mod.LeaseError):
        sbclient.redeem_into(b["leaseId"])
    assert bytes(sbclient.redeem_into(c["leaseId"])[0]) == b"api-secret"
    assert ok(run_cli("lease", "revoke", "--prefix", base, socket_path=S)).stdout == "revoked 1 leases\n"
    left = {x["leaseId"] for x in as_json(run_cli("lease", "list", "-o", "json", socket_path=S))}
    assert not left & {a["leaseId"], b["leaseId"], c["leaseId"]}


# ---------------------------------------------------------------------------
# audit
# ---------------------------------------------------------------------------


def test_audit_tail(S, sd):
    new_key(S)  # at least three records, even when this test runs alone
    kid = new_key(S)
    ok(run_cli("key", "disable", kid, socket_path=S))
    p = ok(run_cli("audit", "tail", "-n", "4", socket_path=S))
    assert len(p.stdout.splitlines()) == 4, p.stdout
    # A periodic checkpoint may land among them.
    lines = [line for line in p.stdout.splitlines() if "  audit:Checkpoint  " not in line][-2:]
    for line in lines:
        cells = line.split("  ")
        assert ISO_RE.match(cells[0]) and cells[1] == "kms:DisableKey", line
        assert f"uid={os.getuid()}" in cells[3], line
    # A write records its intent, then its outcome with what it touched.
    assert [line.split("  ")[2] for line in lines] == ["intent", "allowed"], lines
    assert kid in lines[-1], lines

    j = ok(run_cli("audit", "tail", "-n", "5", "-o", "json", socket_path=S)).stdout.splitlines()
    assert len(j) == 5
    records = [json.loads(x) for x in j]
    # Periodic checkpoints (`audit:*`) carry chain heads rather than a caller and a result.
    requests = [r for r in records if not r["action"].startswith("audit:")]
    for r in requests:
        assert {"chain", "seq", "time", "principal", "action", "result", "prev", "mac"} <= set(r), r
    assert requests[-1]["action"] == "kms:DisableKey"
    # The lines as they are on disk; a checkpoint may have been appended since.
    on_disk = (sd.data_dir / "audit.log").read_text().splitlines()
    start = on_disk.index(j[0])
    assert j == on_disk[start:start + 5]
    assert len(ok(run_cli("audit", "tail", socket_path=S)).stdout.splitlines()) == min(20, len(on_disk))


def test_audit_tail_follow_streams_records_through_a_pipe(S, sd):
    # `sealbox audit tail --follow | grep ...` (or `> file`): each record must reach the pipe when
    # it is printed, not when 4 KiB of output have piled up in a buffer.
    argv = [str(cli_binary()), "audit", "tail", "-n", "1", "--follow", "-o", "json", "--socket", str(S)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env())
    os.set_blocking(proc.stdout.fileno(), False)
    buf = bytearray()

    def lines_within(seconds: float, pred) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            chunk = proc.stdout.read()
            if chunk:
                buf.extend(chunk)
            if pred([x for x in buf.decode(errors="replace").splitlines() if x.strip()]):
                return True
            time.sleep(0.05)
        return False

    try:
        assert lines_within(5, lambda ls: len(ls) >= 1), \
            f"--follow printed nothing into a pipe within 5 s (stdout so far: {bytes(buf)!r})"
        assert json.loads(buf.decode().splitlines()[0])["mac"]
        name = f"/cli/follow/{uuid.uuid4().hex}"
        ok(run_cli("param", "put", name, "--type", "String", socket_path=S, input="v"))
        assert lines_within(10, lambda ls: any(name in x and json.loads(x)["action"] == "ssm:PutParameter"
                                               for x in ls)), \
            f"the new record did not come through the pipe within 10 s (stdout so far: {bytes(buf)!r})"
        assert proc.poll() is None, "--follow exited on its own"
    finally:
        proc.kill()
        proc.wait()


def test_audit_verify_passes_then_names_the_tampered_line(tmp_path, cli_ok):
    d = start_daemon(tmp_path)
    try:
        S = d.socket_path
        for i in range(8):
            ok(run_cli("param", "put", f"/audit/p{i}", "--type", "String", socket_path=S, input=f"v{i}"))
        log = d.data_dir / "audit.log"
        count = len(log.read_text().splitlines())
        assert count >= 8
        p = ok(run_cli("audit", "verify", socket_path=S))
        assert p.stdout == f"OK: {count} records in {log} verified\n", p.stdout
        j = as_json(run_cli("audit", "verify", "-o", "json", socket_path=S))
        assert j["ok"] is True and j["verified"] == count and j["path"] == str(log)
        assert j.get("problem") is None

        data = bytearray(log.read_bytes())
        pos = len(data) // 2
        while data[pos] in b'\n"{}:,':
            pos += 1
        line_no = data[:pos].count(b"\n") + 1
        data[pos] = ord("X") if data[pos] != ord("X") else ord("Y")
        log.write_bytes(bytes(data))

        p = run_cli("audit", "verify", socket_path=S)
        msg = failed(p, str(log), f"line {line_no}")
        assert re.search(rf"line {line_no}: .+ \(\d+ records verified before it\)", msg), msg
        p = run_cli("audit", "verify", "-o", "json", socket_path=S)
        assert p.returncode == 1, describe(p)
        report = json.loads(p.stdout)
        assert report["ok"] is False and report["problem"]["line"] == line_no, report
        assert isinstance(report["problem"]["reason"], str) and report["problem"]["reason"]
        assert report["verified"] < count
        assert p.stderr.startswith("sealbox: ") and f"line {line_no}" in p.stderr
    finally:
        d.terminate(timeout=10)
        d.kill9()


# ---------------------------------------------------------------------------
# env and root (their semantics are in test_env_tokens.py and test_rotation.py)
# ---------------------------------------------------------------------------


def test_env_verbs(S):
    value = "env-cli-" + uuid.uuid4().hex
    p = ok(run_cli("env", "encrypt", "DB_PASSWORD", socket_path=S, input=value + "\n"))
    assert value not in p.stdout + p.stderr
    name, _, token = p.stdout.strip().partition("=")
    assert name == "DB_PASSWORD" and token.startswith("sealbox:v1:"), p.stdout
    assert p.stdout.count("\n") == 1
    assert ok(run_cli("env", "decrypt", f"DB_PASSWORD={token}", socket_path=S)).stdout == value + "\n"
    assert as_json(run_cli("env", "decrypt", f"DB_PASSWORD={token}", "-o", "json", socket_path=S)) == \
        {"name": "DB_PASSWORD", "value": value}
    # NAME alone: the token comes from the environment.
    assert ok(run_cli("env", "decrypt", "DB_PASSWORD", socket_path=S,
                      env={"DB_PASSWORD": token})).stdout == value + "\n"
    failed(run_cli("env", "decrypt", "NOT_SET_ANYWHERE", socket_path=S), "NOT_SET_ANYWHERE is not set")
    failed(run_cli("env", "decrypt", f"OTHER_NAME={token}", socket_path=S), "InvalidCiphertextException")
    j = as_json(run_cli("env", "encrypt", "API_KEY", "-o", "json", socket_path=S, input="k"))
    assert j["name"] == "API_KEY" and j["token"].startswith("sealbox:v1:")
    r = ok(run_cli("env", "rewrap", f"DB_PASSWORD={token}", socket_path=S))
    assert r.stdout == f"DB_PASSWORD={token}\n"  # already on the newest version
    rj = as_json(run_cli("env", "rewrap", f"DB_PASSWORD={token}", "-o", "json", socket_path=S))
    assert rj["name"] == "DB_PASSWORD" and rj["token"] == token
    failed(run_cli("env", "encrypt", "9BAD-NAME", socket_path=S, input="v"), "ValidationException")
    failed(run_cli("env", "encrypt", "X", "--key-id", "alias/does-not-exist", socket_path=S, input="v"),
           "NotFoundException")


def test_root_rotate(S, sd, ssm):
    name = f"/cli/root/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=name, Value="root-rotate-value", Type="SecureString")
    root = sd.data_dir / "root.key"
    before = root.read_bytes()
    p = ok(run_cli("root", "rotate", socket_path=S))
    m = re.match(r"^root key rotated: (\d+) key versions re-wrapped; new key in (.+)\n$", p.stdout)
    assert m and m.group(2) == str(root) and int(m.group(1)) >= 1, p.stdout
    middle = root.read_bytes()
    assert middle != before
    j = as_json(run_cli("root", "rotate", "-o", "json", socket_path=S))
    assert j["rootKey"] == str(root) and j["versions"] == int(m.group(1))
    assert root.read_bytes() not in (before, middle)
    assert oct(root.stat().st_mode & 0o777) == oct(0o600)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "root-rotate-value"
