"""The native lease API (`/v1/leases...`, docs/api.md "Leases") over the Unix socket and TCP, and the
Python handler client (clients/python, sealbox.client) against the real daemon.

A lease is bound to the process that created it (SO_PEERCRED uid and pid, plus the process start time),
so every raw call here goes through one kept-alive connection of this pytest process, and "another
process" is a real second Python process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import harness
from harness import assert_native_error, native

MAX_TTL = 3600  # LeaseSettings.maxTtlSeconds (Sources/SealboxCore/Leases/Lease.swift), no config file
DEFAULT_TTL = 300  # LeaseSettings.defaultTtlSeconds
HEX32 = set("0123456789abcdef")


@pytest.fixture
def client(daemon, sbc):
    with sbc.SealboxClient(socket_path=str(daemon.socket_path), timeout=10) as c:
        yield c


def put(ssm, name, value, *, secure=True, key_id=None, overwrite=False) -> int:
    kwargs = {"Name": name, "Value": value, "Type": "SecureString" if secure else "String", "Overwrite": overwrite}
    if key_id:
        kwargs["KeyId"] = key_id
    return ssm.put_parameter(**kwargs)["Version"]


def create(conn, name, **fields) -> dict:
    resp = native(conn, "POST", "/v1/leases", {"name": name, **fields})
    assert resp.status == 201, resp
    return resp.json()


def redeem(conn, lease_id) -> harness.RawResponse:
    return native(conn, "POST", f"/v1/leases/{lease_id}/redeem")


def redeem_ok(conn, lease_id) -> dict:
    resp = redeem(conn, lease_id)
    assert resp.status == 200, resp
    assert (resp.header("content-type") or "").startswith("application/json"), resp
    return resp.json()


def listed(conn) -> dict:
    resp = native(conn, "GET", "/v1/leases")
    assert resp.status == 200, resp
    body = resp.json()
    assert isinstance(body.get("leases"), list), body
    return {entry["leaseId"]: entry for entry in body["leases"]}


def assert_gone(conn, lease_id):
    """A revoked, deleted or foreign lease: 404 LeaseNotFound with a JSON error."""
    assert_native_error(redeem(conn, lease_id), 404, "LeaseNotFound")


# ---------------------------------------------------------------------------
# Create and redeem
# ---------------------------------------------------------------------------


def test_create_gives_id_name_expiry_and_version(sock, ssm, pbase):
    name = f"{pbase}/db/password"
    put(ssm, name, "s3cr3t")
    before = time.time()
    resp = native(sock, "POST", "/v1/leases", {"name": name, "ttlSeconds": 120, "maxUses": 0})
    after = time.time()
    assert resp.status == 201, resp
    assert (resp.header("content-type") or "").startswith("application/json")
    lease = resp.json()
    for field in ("leaseId", "name", "expiresAt", "version"):
        assert field in lease, lease
    assert "value" not in lease and "s3cr3t" not in resp.body.decode(), "a lease must carry no plaintext"
    assert isinstance(lease["leaseId"], str) and len(lease["leaseId"]) >= 32, lease
    assert set(lease["leaseId"]) <= HEX32, lease
    assert lease["name"] == name
    assert lease["version"] == 1
    assert before + 120 - 1 <= lease["expiresAt"] <= after + 120 + 1, (before, lease)
    other = create(sock, name)
    assert other["leaseId"] != lease["leaseId"]


def test_default_ttl_and_ttl_capped_at_creation(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    now = time.time()
    assert abs(create(sock, name)["expiresAt"] - (now + DEFAULT_TTL)) < 5
    assert abs(create(sock, name, ttlSeconds=10 * MAX_TTL)["expiresAt"] - (now + MAX_TTL)) < 5


def test_redeem_returns_value_and_version(sock, ssm, pbase):
    name = f"{pbase}/db/password"
    value = 'p"w\\d\n\t\x01 é ✓ 🔑 </script>'
    put(ssm, name, value)
    lease = create(sock, name)
    for _ in range(3):
        assert redeem_ok(sock, lease["leaseId"]) == {"value": value, "version": 1}


def test_redeem_of_a_string_parameter(sock, ssm, pbase):
    name = f"{pbase}/db/host"
    put(ssm, name, "db.internal", secure=False)
    assert redeem_ok(sock, create(sock, name)["leaseId"]) == {"value": "db.internal", "version": 1}


def test_same_process_on_another_connection_may_redeem(sock, daemon, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "same-process")
    lease_id = create(sock, name)["leaseId"]
    with harness.UnixHTTP(daemon.socket_path) as second:
        assert redeem_ok(second, lease_id)["value"] == "same-process"


def test_bad_create_requests(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    for doc in ({}, {"name": ""}, {"name": name, "ttlSeconds": 0}, {"name": name, "ttlSeconds": -5},
                {"name": name, "maxUses": -1}):
        assert_native_error(native(sock, "POST", "/v1/leases", doc), 400, "BadRequest")


# ---------------------------------------------------------------------------
# Limits: uses, expiry, renewal
# ---------------------------------------------------------------------------


def test_max_uses_is_enforced(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "twice")
    lease = create(sock, name, maxUses=2)
    assert redeem_ok(sock, lease["leaseId"])["value"] == "twice"
    assert redeem_ok(sock, lease["leaseId"])["value"] == "twice"
    body = assert_native_error(redeem(sock, lease["leaseId"]), 403, "LeaseUsedUp")
    assert "twice" not in body["message"]
    assert_native_error(redeem(sock, lease["leaseId"]), 403, "LeaseUsedUp")
    entry = listed(sock)[lease["leaseId"]]
    assert entry["uses"] == 2 and entry["maxUses"] == 2, entry


def test_max_uses_holds_under_concurrent_redeems(sock, daemon, ssm, pbase):
    """Eight connections of this process redeem one lease with maxUses=3 at once: exactly three win."""
    name = f"{pbase}/p"
    put(ssm, name, "raced")
    lease_id = create(sock, name, maxUses=3)["leaseId"]
    conns = [harness.UnixHTTP(daemon.socket_path) for _ in range(8)]
    start = threading.Barrier(len(conns))
    results = [None] * len(conns)

    def race(i):
        start.wait(10)
        results[i] = redeem(conns[i], lease_id)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(conns))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for c in conns:
            c.close()
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 3 + [403] * 5, results
    for r in results:
        if r.status == 200:
            assert r.json() == {"value": "raced", "version": 1}
        else:
            assert_native_error(r, 403, "LeaseUsedUp")


def test_expired_lease_is_refused_and_the_client_releases(sock, ssm, pbase, client):
    """One sleep for both the raw API and the client's server-side re-lease path."""
    name = f"{pbase}/p"
    put(ssm, name, "short-lived")
    raw = create(sock, name, ttlSeconds=1)
    handle = client.lease(name, ttl_seconds=1).create()
    first_id = handle.lease_id
    # Make the handle believe its lease is still good (as with clock skew), so that it is the
    # daemon's LeaseExpired answer that triggers the re-lease, not the client's own bookkeeping.
    handle.expires_at += 3600
    time.sleep(1.5)
    # The first use of an expired lease says so and drops it; after that it is simply gone.
    assert_native_error(native(sock, "POST", f"/v1/leases/{raw['leaseId']}/redeem"), 403, "LeaseExpired")
    assert_native_error(native(sock, "POST", f"/v1/leases/{raw['leaseId']}/renew"), 404, "LeaseNotFound")
    assert raw["leaseId"] not in listed(sock)
    with handle.value() as v:
        assert bytes(v) == b"short-lived"
    assert handle.lease_id != first_id


def test_renew_extends_from_now_and_is_capped(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    lease = create(sock, name, ttlSeconds=5)
    path = f"/v1/leases/{lease['leaseId']}/renew"

    now = time.time()
    resp = native(sock, "POST", path, {"ttlSeconds": 100})
    assert resp.status == 200, resp
    renewed = resp.json()
    assert renewed["leaseId"] == lease["leaseId"] and renewed["name"] == name
    assert abs(renewed["expiresAt"] - (now + 100)) < 3, renewed

    now = time.time()
    capped = native(sock, "POST", path, {"ttlSeconds": 10 * MAX_TTL}).json()
    assert abs(capped["expiresAt"] - (now + MAX_TTL)) < 3, capped

    now = time.time()
    default = native(sock, "POST", path).json()  # no body: the default TTL, from now
    assert abs(default["expiresAt"] - (now + DEFAULT_TTL)) < 3, default

    shorter = native(sock, "POST", path, {"ttlSeconds": 10}).json()
    assert shorter["expiresAt"] < default["expiresAt"], "renew sets the expiry from now, it does not add"
    assert listed(sock)[lease["leaseId"]]["expiresAt"] == shorter["expiresAt"]

    assert_native_error(native(sock, "POST", path, {"ttlSeconds": 0}), 400, "BadRequest")
    assert redeem_ok(sock, lease["leaseId"])["value"] == "v"


def test_configured_lease_limits(spawn, tmp_path, sbc):
    """The config file's `leases:` section: the default TTL, the cap for create and renew, the table bound."""
    config = tmp_path / "sealbox.yaml"
    config.write_text("leases:\n  defaultTtlSeconds: 60\n  maxTtlSeconds: 120\n  maxActive: 3\n")
    d = spawn(extra_args=["--config", str(config)])
    name = "/limits/p"
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "v", "Type": "SecureString"}).status == 200
        now = time.time()
        default = create(conn, name)
        assert abs(default["expiresAt"] - (now + 60)) < 3, default
        capped = create(conn, name, ttlSeconds=1000)
        assert abs(capped["expiresAt"] - (now + 120)) < 3, capped
        renewed = native(conn, "POST", f"/v1/leases/{default['leaseId']}/renew", {"ttlSeconds": 1000}).json()
        assert abs(renewed["expiresAt"] - (time.time() + 120)) < 3, renewed
        create(conn, name)
        assert_native_error(native(conn, "POST", "/v1/leases", {"name": name}), 429, "TooManyLeases")
        with sbc.SealboxClient(socket_path=str(d.socket_path)) as c:
            with pytest.raises(sbc.LeaseError) as e:
                c.lease(name).create()
            assert (e.value.status, e.value.code) == (429, "TooManyLeases")
            assert native(conn, "DELETE", f"/v1/leases/{capped['leaseId']}").status == 204
            with c.lease(name).value() as v:
                assert v == b"v"


# ---------------------------------------------------------------------------
# Ending leases, listing
# ---------------------------------------------------------------------------


def test_delete_then_redeem_is_404(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    lease_id = create(sock, name)["leaseId"]
    resp = native(sock, "DELETE", f"/v1/leases/{lease_id}")
    assert resp.status == 204 and resp.body == b"", resp
    # RFC 9110 §8.6: no Content-Length on a 204.
    assert resp.header("Content-Length") is None, resp.header_list
    assert_gone(sock, lease_id)
    assert_native_error(native(sock, "DELETE", f"/v1/leases/{lease_id}"), 404, "LeaseNotFound")
    assert_native_error(native(sock, "POST", f"/v1/leases/{lease_id}/renew"), 404, "LeaseNotFound")
    assert lease_id not in listed(sock)


def test_revoke_by_prefix(sock, ssm, pbase):
    put(ssm, f"{pbase}/a/one", "1")
    put(ssm, f"{pbase}/a/two", "2")
    put(ssm, f"{pbase}/b/three", "3")
    a1 = create(sock, f"{pbase}/a/one")["leaseId"]
    a2 = create(sock, f"{pbase}/a/two")["leaseId"]
    b3 = create(sock, f"{pbase}/b/three")["leaseId"]
    resp = native(sock, "POST", "/v1/leases/revoke", {"prefix": f"{pbase}/a/"})
    assert resp.status == 200, resp
    assert resp.json() == {"revoked": 2}
    assert_gone(sock, a1)
    assert_gone(sock, a2)
    assert redeem_ok(sock, b3)["value"] == "3"
    leases = listed(sock)
    assert a1 not in leases and a2 not in leases and b3 in leases
    assert native(sock, "POST", "/v1/leases/revoke", {"prefix": f"{pbase}/a/"}).json() == {"revoked": 0}


def test_revoke_by_lease_id(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    target = create(sock, name)["leaseId"]
    other = create(sock, name)["leaseId"]
    resp = native(sock, "POST", "/v1/leases/revoke", {"leaseId": target})
    assert resp.status == 200 and resp.json() == {"revoked": 1}, resp
    assert_gone(sock, target)
    assert redeem_ok(sock, other)["value"] == "v"
    assert native(sock, "POST", "/v1/leases/revoke", {"leaseId": target}).json() == {"revoked": 0}
    assert_native_error(native(sock, "POST", "/v1/leases/revoke", {}), 400, "BadRequest")


def test_list_shows_active_leases_without_values(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "listed-secret")
    one = create(sock, name, ttlSeconds=60, maxUses=3)
    two = create(sock, name)
    redeem_ok(sock, one["leaseId"])
    resp = native(sock, "GET", "/v1/leases")
    assert resp.status == 200, resp
    assert b"listed-secret" not in resp.body
    leases = listed(sock)
    for lease in (one, two):
        entry = leases[lease["leaseId"]]
        assert entry["name"] == name and entry["version"] == 1
        assert entry["expiresAt"] == lease["expiresAt"]
    assert leases[one["leaseId"]]["uses"] == 1 and leases[one["leaseId"]]["maxUses"] == 3


# ---------------------------------------------------------------------------
# What a lease opens: creation checks, updates, rotation
# ---------------------------------------------------------------------------


def test_lease_for_a_missing_parameter_is_refused_at_creation(sock, pbase):
    resp = native(sock, "POST", "/v1/leases", {"name": f"{pbase}/missing"})
    body = assert_native_error(resp, 404, ("ParameterNotFound", "LeaseNotFound", "NotFound"))
    assert f"{pbase}/missing" in body["message"]


def test_updated_parameter_is_seen_at_the_next_redeem(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "first")
    lease = create(sock, name)
    assert lease["version"] == 1
    assert redeem_ok(sock, lease["leaseId"]) == {"value": "first", "version": 1}
    assert put(ssm, name, "second", overwrite=True) == 2
    assert redeem_ok(sock, lease["leaseId"]) == {"value": "second", "version": 2}


def test_rotated_kms_key_still_redeems(sock, ssm, kms, key, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "under-v1", key_id=key["KeyId"])
    lease_id = create(sock, name)["leaseId"]
    assert redeem_ok(sock, lease_id)["value"] == "under-v1"
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert redeem_ok(sock, lease_id) == {"value": "under-v1", "version": 1}
    put(ssm, name, "under-v2", key_id=key["KeyId"], overwrite=True)
    assert redeem_ok(sock, lease_id) == {"value": "under-v2", "version": 2}


def test_disabled_key_refuses_the_redeem(sock, ssm, kms, key, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "locked", key_id=key["KeyId"])
    lease_id = create(sock, name)["leaseId"]
    kms.disable_key(KeyId=key["KeyId"])
    try:
        resp = redeem(sock, lease_id)
        assert resp.status in (400, 403), resp
        assert b"locked" not in resp.body
        assert isinstance(resp.json().get("error"), str)
    finally:
        kms.enable_key(KeyId=key["KeyId"])
    assert redeem_ok(sock, lease_id)["value"] == "locked"


def test_deleted_parameter_is_not_found_at_redeem(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    lease_id = create(sock, name)["leaseId"]
    ssm.delete_parameter(Name=name)
    resp = redeem(sock, lease_id)
    assert_native_error(resp, 404, ("LeaseNotFound", "ParameterNotFound", "NotFound"))


# ---------------------------------------------------------------------------
# Binding to the caller
# ---------------------------------------------------------------------------

OTHER_PROCESS = r"""
import json, socket, sys
path, lease_id = sys.argv[1], sys.argv[2]
def call(method, target, body=b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(f"{method} {target} HTTP/1.1\r\nHost: sealbox\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return {"status": status, "body": json.loads(payload) if payload else None}
out = {
    "redeem": call("POST", f"/v1/leases/{lease_id}/redeem"),
    "renew": call("POST", f"/v1/leases/{lease_id}/renew", b"{}"),
    "delete": call("DELETE", f"/v1/leases/{lease_id}"),
}
if len(sys.argv) > 3:
    out["create"] = call("POST", "/v1/leases", json.dumps({"name": sys.argv[3]}).encode())
    out["extension"] = call("GET", "/systemsmanager/parameters/get?name=" + sys.argv[3] + "&withDecryption=true")
print(json.dumps(out))
"""


def run_other(socket_path, lease_id, *extra, prefix=()):
    p = subprocess.run([*prefix, sys.executable, "-c", OTHER_PROCESS, str(socket_path), lease_id, *extra],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_another_process_cannot_use_the_lease(sock, daemon, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "mine-only")
    lease_id = create(sock, name)["leaseId"]
    out = run_other(daemon.socket_path, lease_id)
    for op in ("redeem", "renew", "delete"):
        assert out[op]["status"] == 404, out
        assert out[op]["body"]["error"] == "LeaseNotFound", out
    assert "mine-only" not in json.dumps(out)
    # Nothing the stranger did touched the owner's lease.
    assert redeem_ok(sock, lease_id)["value"] == "mine-only"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_another_uid_is_refused(tmp_path, sbc):
    public = tempfile.mkdtemp(prefix="sealbox-public-")
    os.chmod(public, 0o755)
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", socket_path=Path(public) / "sealbox.sock")
    d.start()
    try:
        os.chmod(d.socket_path, 0o666)
        name = "/uid/secret"
        with harness.UnixHTTP(d.socket_path) as conn:
            assert conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "root-only",
                                                       "Type": "SecureString"}).status == 200
            lease_id = create(conn, name)["leaseId"]
            nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
            out = run_other(d.socket_path, lease_id, name, prefix=nobody)
            assert "root-only" not in json.dumps(out)
            # Creating a lease is refused by the default policy, naming the caller.
            assert out["create"]["status"] == 403, out
            assert out["create"]["body"]["error"] == "AccessDenied", out
            assert "uid:65534" in out["create"]["body"]["message"], out
            # Root's lease is a foreign lease to nobody: refused (403) or not found (404) alike.
            for op in ("redeem", "renew", "delete"):
                assert (out[op]["status"], out[op]["body"]["error"]) in (
                    (403, "AccessDenied"), (404, "LeaseNotFound")), out
            # The extension call is refused as SSM refuses (AccessDeniedException), or with 403 JSON.
            ext = out["extension"]
            assert (ext["status"], ext["body"].get("__type") or ext["body"].get("error")) in (
                (400, "AccessDeniedException"), (403, "AccessDenied"), (403, "AccessDeniedException")), out
            # The Python client run as nobody raises AccessDenied with the daemon's status and code.
            shutil.copytree(harness.PYTHON_CLIENT.parent, Path(public) / "sealbox",
                            ignore=shutil.ignore_patterns("__pycache__"))
            os.chmod(Path(public) / "sealbox", 0o755)
            for module in (Path(public) / "sealbox").iterdir():
                os.chmod(module, 0o644)
            script = ("import json, sys; sys.path.insert(0, sys.argv[1]); import sealbox.client as s\n"
                      "c = s.SealboxClient(socket_path=sys.argv[2])\n"
                      "try:\n"
                      "    with c.lease(sys.argv[3]).value() as v: print(json.dumps({'leaked': v.decode()}))\n"
                      "except s.AccessDenied as e:\n"
                      "    print(json.dumps({'type': type(e).__name__, 'status': e.status, 'code': e.code,"
                      " 'message': e.message}))\n")
            p = subprocess.run([*nobody, sys.executable, "-c", script, public, str(d.socket_path), name],
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, p.stderr
            got = json.loads(p.stdout)
            assert got["type"] == "AccessDenied" and got["status"] == 403 and got["code"] == "AccessDenied", got
            assert redeem_ok(conn, lease_id)["value"] == "root-only"
    finally:
        d.terminate(timeout=10)
        shutil.rmtree(public, ignore_errors=True)


# ---------------------------------------------------------------------------
# Malformed requests
# ---------------------------------------------------------------------------


def test_bad_json_is_a_400_json_error(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    lease_id = create(sock, name)["leaseId"]
    wrong_types = {"/v1/leases": b'{"name": 5}', f"/v1/leases/{lease_id}/renew": b'{"ttlSeconds": "x"}',
                   "/v1/leases/revoke": b'{"prefix": 5}'}
    for path, wrong_type in wrong_types.items():
        for raw in (b"{not json", b"[1, 2]", b'"a string"', wrong_type):
            assert_native_error(native(sock, "POST", path, raw=raw), 400, "BadRequest")
    assert redeem_ok(sock, lease_id)["value"] == "v"


@pytest.mark.parametrize("method,path", [
    ("POST", "/v1/leases/0123456789abcdef0123456789abcdef/open"),
    ("POST", "/v1/leases/0123456789abcdef0123456789abcdef/redeem/extra"),
    ("POST", "/v1/leases//redeem"),
    ("POST", "/v1/leasesx"),  # a GET there is the Secrets Manager Agent's /v1/{secretId} (test_secrets_agent.py)
])
def test_unknown_lease_paths_are_404_json(sock, method, path):
    assert_native_error(native(sock, method, path, raw=b"{}"), 404, "NotFound")


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/v1/leases/0123456789abcdef0123456789abcdef", "DELETE"),
    ("POST", "/v1/leases/0123456789abcdef0123456789abcdef", "DELETE"),
    ("GET", "/v1/leases/0123456789abcdef0123456789abcdef/redeem", "POST"),
    ("PUT", "/v1/leases", "POST, GET"),
])
def test_a_lease_path_refuses_other_methods_with_405_and_allow(sock, method, path, allowed):
    resp = native(sock, method, path, raw=b"{}")
    assert_native_error(resp, 405, "MethodNotAllowed")
    assert resp.header("allow") == allowed


def test_unknown_lease_id_is_404(sock):
    assert_gone(sock, "0123456789abcdef0123456789abcdef")


# ---------------------------------------------------------------------------
# TCP: the token is the caller
# ---------------------------------------------------------------------------


def tcp(daemon, method, path, doc=None, *, token=True, extra=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Aws-Parameters-Secrets-Token"] = (daemon.data_dir / "token").read_text().strip()
    headers.update(extra or {})
    body = b"" if doc is None else json.dumps(doc).encode()
    return harness.tcp_request(daemon.port, None, body, method=method, path=path, extra_headers=headers)


def test_leases_over_tcp_with_the_token(daemon, sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "over-tcp")
    assert_native_error(tcp(daemon, "POST", "/v1/leases", {"name": name}, token=False), 401, "Unauthorized")
    resp = tcp(daemon, "POST", "/v1/leases", {"name": name, "maxUses": 1})
    assert resp.status == 201, resp
    lease_id = resp.json()["leaseId"]
    assert_native_error(tcp(daemon, "POST", f"/v1/leases/{lease_id}/redeem", token=False), 401, "Unauthorized")
    assert_native_error(tcp(daemon, "POST", f"/v1/leases/{lease_id}/redeem",
                            extra={"X-Forwarded-For": "10.0.0.1"}), 403, "AccessDenied")
    # A TCP lease belongs to the token's holder, not to a process on the socket.
    assert_gone(sock, lease_id)
    resp = tcp(daemon, "POST", f"/v1/leases/{lease_id}/redeem")
    assert resp.status == 200 and resp.json() == {"value": "over-tcp", "version": 1}, resp
    assert_native_error(tcp(daemon, "POST", f"/v1/leases/{lease_id}/redeem"), 403, "LeaseUsedUp")
    # And a socket lease is not the token holder's.
    socket_lease = create(sock, name)["leaseId"]
    assert_native_error(tcp(daemon, "POST", f"/v1/leases/{socket_lease}/redeem"), 404, "LeaseNotFound")
    # The default policy gives the token handler rights only: no admin listing or revoking.
    assert_native_error(tcp(daemon, "GET", "/v1/leases"), 403, "AccessDenied")
    assert_native_error(tcp(daemon, "POST", "/v1/leases/revoke", {"prefix": "/"}), 403, "AccessDenied")
    assert redeem(sock, socket_lease).status == 200


# ---------------------------------------------------------------------------
# The Python client (clients/python/sealbox/client.py)
# ---------------------------------------------------------------------------


def test_client_lease_is_lazy_and_holds_no_plaintext(client, ssm, pbase, sock):
    name = f"{pbase}/db/password"
    put(ssm, name, "lazy-secret")
    before = set(listed(sock))
    handle = client.lease(name, ttl_seconds=300, max_uses=0)
    # No new lease, compared by id: other tests' short leases may expire in between and leave the list.
    assert handle.lease_id is None and set(listed(sock)) <= before, "lease() must not contact the daemon"
    missing = client.lease(f"{pbase}/missing")  # no error until it is used
    with handle.value() as v:
        assert isinstance(v, bytearray)
        assert v == b"lazy-secret"
    assert handle.lease_id in listed(sock)
    assert handle.version == 1 and handle.last_version == 1
    state = repr(handle) + repr(vars(handle)) + repr(client) + repr(vars(client))
    assert "lazy-secret" not in state
    assert missing.lease_id is None


def test_client_value_is_zeroed_after_the_block(client, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "zero-me-please")
    handle = client.lease(name)
    with handle.value() as v:
        kept = v
        assert bytes(v) == b"zero-me-please"
    assert kept is v
    assert len(kept) == len(b"zero-me-please") and all(b == 0 for b in kept), kept

    with pytest.raises(ZeroDivisionError):
        with handle.value() as v:
            kept = v
            assert bytes(v) == b"zero-me-please"
            1 / 0
    assert len(kept) == 14 and all(b == 0 for b in kept), kept

    # Resizing would leave an unwiped copy in freed memory: refused while the block runs.
    with pytest.raises(BufferError):
        with handle.value() as v:
            kept = v
            v.extend(b"more")
    assert all(b == 0 for b in kept), kept


def test_client_value_bytes_match_the_parameter(client, ssm, pbase):
    values = ['quote " backslash \\ slash / end', "line\nbreak\ttab\rcr\x01\x1f\x7f",
              "é ✓ 日本 🔑 \u2028", "x" * 4096, "{\"value\": \"fake\", \"version\": 99}"]
    for index, value in enumerate(values):
        name = f"{pbase}/v{index}"
        put(ssm, name, value)
        with client.lease(name).value() as v:
            assert bytes(v) == value.encode("utf-8"), (index, bytes(v)[:80])


def test_client_redeem_parser(sbc):
    """The byte-level parser agrees with json.loads on escapes the daemon may send."""
    text = "a\"b\\c/d\b\f\n\r\t\x00\x1f é 😀 𝄞"
    encoded = json.dumps({"version": 7, "extra": {"x": [1, "}", {"y": "\\\""}]}, "value": text,
                          "more": None}, ensure_ascii=True)
    value, version = sbc._parse_redeem(bytearray(encoded.encode()))
    assert isinstance(value, bytearray) and value == text.encode("utf-8") and version == 7
    raw = json.dumps({"value": text, "version": 3}, ensure_ascii=False).encode()
    value, version = sbc._parse_redeem(bytearray(raw))
    assert value == text.encode("utf-8") and version == 3
    for bad in (b"", b"[]", b'{"version": 1}', b'{"value": "unterminated', b'{"value": "\\x"}'):
        with pytest.raises(ValueError):
            sbc._parse_redeem(bytearray(bad))


def test_client_max_uses_releases_transparently(client, ssm, pbase, sock):
    name = f"{pbase}/p"
    put(ssm, name, "once-each")
    handle = client.lease(name, max_uses=1)
    ids = []
    for _ in range(3):
        with handle.value() as v:
            assert v == b"once-each"
        ids.append(handle.lease_id)
    assert len(set(ids)) == 3, ids
    # When the daemon, not the client's count, says the lease is used up: one re-lease, one retry.
    handle = client.lease(name, max_uses=1).create()
    used, _ = client.redeem_into(handle.lease_id)  # the one use, spent outside the handle
    used[:] = bytes(len(used))
    first = handle.lease_id
    with handle.value() as v:
        assert v == b"once-each"
    assert handle.lease_id != first
    assert_native_error(redeem(sock, first), 403, "LeaseUsedUp")  # this process's lease, used up


def test_client_releases_after_revoke_and_delete(client, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "survives-revoke")
    handle = client.lease(name)
    with handle.value() as v:
        assert v == b"survives-revoke"
    first = handle.lease_id
    assert client.revoke(prefix=f"{pbase}/") == 1
    with handle.value() as v:
        assert v == b"survives-revoke"
    second = handle.lease_id
    assert second != first
    assert client.revoke(lease_id=second) == 1
    with handle.value() as v:
        assert v == b"survives-revoke"
    third = handle.lease_id
    assert third not in (first, second)
    client.delete_lease(third)  # DELETE by id, behind the handle's back
    with handle.value() as v:
        assert v == b"survives-revoke"
    assert handle.lease_id not in (first, second, third)
    ids = {entry["leaseId"] for entry in client.list_leases()}
    assert handle.lease_id in ids and not ids & {first, second, third}


def test_client_renew_and_release(client, ssm, pbase, sock):
    name = f"{pbase}/p"
    put(ssm, name, "v")
    handle = client.lease(name, ttl_seconds=30).create()
    old_expiry = handle.expires_at
    handle.renew(600)
    assert handle.expires_at > old_expiry + 500
    assert abs(listed(sock)[handle.lease_id]["expiresAt"] - handle.expires_at) < 0.01
    lease_id = handle.lease_id
    handle.release()
    assert handle.lease_id is None and lease_id not in listed(sock)
    with handle.value() as v:
        assert v == b"v"


def test_client_sees_updates_and_rotation(client, ssm, kms, key, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "one", key_id=key["KeyId"])
    handle = client.lease(name)
    with handle.value() as v:
        assert v == b"one" and handle.last_version == 1
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    put(ssm, name, "two", key_id=key["KeyId"], overwrite=True)
    with handle.value() as v:
        assert v == b"two" and handle.last_version == 2
    assert handle.version == 1, "version stays the one the lease was made at"


def test_client_typed_errors(client, sbc, daemon, ssm, pbase, tmp_path):
    with pytest.raises(sbc.NotFound) as e:
        client.lease(f"{pbase}/missing").create()
    assert e.value.status == 404 and e.value.code and f"{pbase}/missing" in e.value.message
    with pytest.raises(sbc.NotFound):
        with client.lease(f"{pbase}/missing").value():
            pass
    assert issubclass(sbc.NotFound, sbc.SealboxError) and issubclass(sbc.LeaseError, sbc.SealboxError)
    assert issubclass(sbc.AccessDenied, sbc.SealboxError) and issubclass(sbc.Unavailable, sbc.SealboxError)

    put(ssm, f"{pbase}/p", "v")
    with pytest.raises(sbc.SealboxError) as e:
        client.lease(f"{pbase}/p", ttl_seconds=0).create()
    assert e.value.status == 400 and e.value.code == "BadRequest"

    # A parameter deleted under a lease: the one re-lease is refused at creation.
    handle = client.lease(f"{pbase}/p").create()
    ssm.delete_parameter(Name=f"{pbase}/p")
    with pytest.raises(sbc.NotFound):
        with handle.value():
            pass

    missing = tmp_path / "no-such.sock"
    with pytest.raises(sbc.Unavailable) as e:
        sbc.SealboxClient(socket_path=str(missing)).get_parameter("/x")
    assert str(missing) in str(e.value) and "sealboxd" in str(e.value) and e.value.status is None
    with pytest.raises(sbc.Unavailable) as e:
        with sbc.SealboxClient(socket_path=str(missing)).lease("/x").value():
            pass
    assert str(missing) in e.value.message
    with pytest.raises(sbc.Unavailable) as e:
        sbc.SealboxClient(tcp=("127.0.0.1", harness.free_port()), token="t").get_parameter("/x")
    assert "127.0.0.1" in e.value.message

    with sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token="not-the-token") as wrong:
        with pytest.raises(sbc.AccessDenied) as e:
            wrong.lease(f"{pbase}/anything").create()
    assert e.value.status == 401


def test_client_over_tcp_with_the_token(daemon, sbc, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "tcp-client")
    token = (daemon.data_dir / "token").read_text().strip()
    for c in (sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token=token),
              sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token_file=str(daemon.data_dir / "token"))):
        with c:
            handle = c.lease(name, max_uses=1)
            for _ in range(2):
                with handle.value() as v:
                    assert v == b"tcp-client"


def test_client_is_thread_safe(client, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "threads")
    handle = client.lease(name, max_uses=2)
    errors = []

    def work():
        try:
            for _ in range(10):
                with handle.value() as v:
                    assert v == b"threads"
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_client_in_a_forked_child_makes_its_own_lease(client, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "forked")
    handle = client.lease(name).create()
    parent_id = handle.lease_id
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        code = 1
        try:
            os.close(read_end)
            with handle.value() as v:
                ok = v == b"forked" and handle.lease_id != parent_id
            os.write(write_end, b"ok" if ok else b"bad")
            code = 0
        except BaseException as e:  # noqa: BLE001
            os.write(write_end, repr(e).encode()[:500])
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read()
    _, status = os.waitpid(pid, 0)
    assert answer == b"ok" and status == 0, answer
    assert handle.lease_id == parent_id
    with handle.value() as v:
        assert v == b"forked"


def test_client_survives_a_daemon_restart(spawn, sbc):
    """Leases live in the daemon's memory: after a restart the client's lease is unknown (404) and it
    re-leases; its kept-alive connection is dead and it reconnects; on TCP it rereads the new token."""
    d = spawn()
    name = "/restart/secret"
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "still-here",
                                                   "Type": "SecureString"}).status == 200
    c = sbc.SealboxClient(socket_path=str(d.socket_path))
    t = sbc.SealboxClient(tcp=("127.0.0.1", d.port), token_file=str(d.data_dir / "token"))
    handle, tcp_handle = c.lease(name), t.lease(name)
    with handle.value() as v, tcp_handle.value() as w:
        assert v == b"still-here" and w == b"still-here"
    first, tcp_first = handle.lease_id, tcp_handle.lease_id
    port = d.port
    assert d.terminate(timeout=10) == 0
    with pytest.raises(sbc.Unavailable):
        with handle.value():
            pass
    d.start(port=port)
    with handle.value() as v, tcp_handle.value() as w:
        assert v == b"still-here" and w == b"still-here"
    assert handle.lease_id != first and tcp_handle.lease_id != tcp_first
    assert t.get_parameter(name)["Parameter"]["Value"] == "still-here"
    c.close()
    t.close()
