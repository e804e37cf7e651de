"""The AWS Parameters and Secrets Lambda Extension's API (AWS-WIRE.md): `GET /systemsmanager/parameters/get`
on the Unix socket (the peer is the caller) and on TCP (the `X-Aws-Parameters-Secrets-Token` header must
equal `<data-dir>/token`), and `SealboxClient.get_parameter` from clients/python (sealbox.client).
"""

from __future__ import annotations

import datetime
import os
import re
import stat
import urllib.parse

import pytest

import harness
from harness import assert_native_error

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,}$")
PATH = "/systemsmanager/parameters/get"


def query(name, **extra) -> str:
    return PATH + "?" + urllib.parse.urlencode({"name": name, **extra}, quote_via=urllib.parse.quote)


def token_of(daemon) -> str:
    return (daemon.data_dir / "token").read_text().strip()


def tcp_get(daemon, path, *, token=None, extra=None) -> harness.RawResponse:
    headers = {}
    if token is not None:
        headers[TOKEN_HEADER] = token
    headers.update(extra or {})
    return harness.tcp_request(daemon.port, None, b"", method="GET", path=path, extra_headers=headers)


def ok(resp) -> dict:
    assert resp.status == 200, resp
    assert (resp.header("content-type") or "").startswith("application/json"), resp
    return resp.json()


def put(ssm, name, value, *, secure=True, overwrite=False) -> int:
    return ssm.put_parameter(Name=name, Value=value, Type="SecureString" if secure else "String",
                             Overwrite=overwrite)["Version"]


# ---------------------------------------------------------------------------
# On the Unix socket
# ---------------------------------------------------------------------------


def test_socket_without_token(sock, ssm, pbase):
    name = f"{pbase}/db/password"
    put(ssm, name, "s3cr3t")
    body = ok(sock.request("GET", query(name, withDecryption="true")))
    assert set(body) == {"Parameter", "ResultMetadata"}, body
    assert body["ResultMetadata"] == {}
    p = body["Parameter"]
    assert p["Name"] == name
    assert p["Value"] == "s3cr3t"
    assert p["Version"] == 1
    assert p["Type"] == "SecureString"
    assert p["ARN"] == harness.parameter_arn(name)
    assert p["DataType"] == "text"
    # The extension's own form, as captured from the real one: every member in name order, the date as
    # ISO 8601 with milliseconds, Selector and SourceResult null when absent.
    assert list(p) == ["ARN", "DataType", "LastModifiedDate", "Name", "Selector", "SourceResult", "Type", "Value",
                       "Version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["LastModifiedDate"]), p["LastModifiedDate"]
    assert p["Selector"] is None and p["SourceResult"] is None
    # Same answer as SSM's GetParameter, but for the form.
    api = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert p["Value"] == api["Value"] and p["Version"] == api["Version"] and p["ARN"] == api["ARN"]
    modified = api["LastModifiedDate"].astimezone(datetime.timezone.utc)
    assert p["LastModifiedDate"] == modified.strftime("%Y-%m-%dT%H:%M:%S.") + f"{modified.microsecond // 1000:03d}Z"


def test_string_parameter(sock, ssm, pbase):
    name = f"{pbase}/db/host"
    put(ssm, name, "db.internal", secure=False)
    for extra in ({}, {"withDecryption": "true"}, {"withDecryption": "false"}):
        p = ok(sock.request("GET", query(name, **extra)))["Parameter"]
        assert (p["Type"], p["Value"], p["Version"]) == ("String", "db.internal", 1)


def test_url_encoded_name(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "encoded")
    path = f"{PATH}?name={urllib.parse.quote(name, safe='')}&withDecryption=true"
    assert "%2F" in path
    assert ok(sock.request("GET", path))["Parameter"]["Value"] == "encoded"


def test_version_and_label_selectors(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "first")
    put(ssm, name, "second", overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["blue"])

    latest = ok(sock.request("GET", query(name, withDecryption="true")))["Parameter"]
    assert (latest["Value"], latest["Version"], latest["Selector"]) == ("second", 2, None)

    by_version = ok(sock.request("GET", query(name, version="1", withDecryption="true")))["Parameter"]
    assert (by_version["Value"], by_version["Version"], by_version["Selector"]) == ("first", 1, ":1")
    assert by_version["Name"] == name

    by_label = ok(sock.request("GET", query(name, label="blue", withDecryption="true")))["Parameter"]
    assert (by_label["Value"], by_label["Version"], by_label["Selector"]) == ("first", 1, ":blue")

    harness.assert_aws_error(sock.request("GET", query(name, version="9")), "ParameterVersionNotFound")
    harness.assert_aws_error(sock.request("GET", query(name, label="green")), "ParameterVersionNotFound")
    both = sock.request("GET", query(name, version="1", label="blue"))
    assert both.status == 400, both


def test_without_decryption_a_secure_string_is_its_ciphertext(sock, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "plain-text-secret")
    ciphertext = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]["Value"]
    for extra in ({"withDecryption": "false"}, {}):
        resp = sock.request("GET", query(name, **extra))
        assert b"plain-text-secret" not in resp.body
        p = ok(resp)["Parameter"]
        assert p["Type"] == "SecureString" and p["Version"] == 1
        assert p["Value"] == ciphertext and p["Value"] != "plain-text-secret"


def test_unknown_name_is_parameter_not_found(sock, pbase):
    body = harness.assert_aws_error(sock.request("GET", query(f"{pbase}/missing", withDecryption="true")),
                                    "ParameterNotFound")
    assert f"{pbase}/missing" in body["message"]


def test_missing_name_and_wrong_method(sock):
    resp = sock.request("GET", PATH)
    assert resp.status == 400, resp
    assert isinstance(resp.json().get("message"), str)
    resp = sock.request("POST", PATH + "?name=/x", b"{}")
    assert resp.status == 405, resp


# ---------------------------------------------------------------------------
# On TCP: the token
# ---------------------------------------------------------------------------


def test_tcp_needs_the_token(daemon, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "tcp-secret")
    path = query(name, withDecryption="true")
    token = token_of(daemon)

    missing = tcp_get(daemon, path)
    assert_native_error(missing, 401, "Unauthorized")
    assert b"tcp-secret" not in missing.body

    p = ok(tcp_get(daemon, path, token=token))["Parameter"]
    assert (p["Value"], p["Version"]) == ("tcp-secret", 1)

    for wrong in ("wrong", token[:-1], token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", ""):
        resp = tcp_get(daemon, path, token=wrong)
        assert_native_error(resp, 401, "Unauthorized")
        assert b"tcp-secret" not in resp.body


def test_tcp_refuses_a_proxied_request(daemon, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "not-through-a-proxy")
    resp = tcp_get(daemon, query(name, withDecryption="true"), token=token_of(daemon),
                   extra={"X-Forwarded-For": "203.0.113.7"})
    assert_native_error(resp, 403, "AccessDenied")
    assert b"not-through-a-proxy" not in resp.body


def test_token_file_mode(daemon):
    path = daemon.data_dir / "token"
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o640, oct(mode)
    assert TOKEN_RE.match(path.read_text().strip()), "the token should be a long URL-safe random string"


def test_a_new_token_at_each_start(spawn, sbc):
    d = spawn()
    name = "/restart/token"
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "v", "Type": "String"}).status == 200
    first = token_of(d)
    assert ok(tcp_get(d, query(name), token=first))["Parameter"]["Value"] == "v"
    assert d.terminate(timeout=10) == 0
    d.start()
    second = token_of(d)
    assert second != first and TOKEN_RE.match(second)
    assert stat.S_IMODE(os.stat(d.data_dir / "token").st_mode) == 0o640
    assert_native_error(tcp_get(d, query(name), token=first), 401, "Unauthorized")
    assert ok(tcp_get(d, query(name), token=second))["Parameter"]["Value"] == "v"


# ---------------------------------------------------------------------------
# SealboxClient.get_parameter
# ---------------------------------------------------------------------------


def test_client_get_parameter_on_the_socket(daemon, sbc, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "first")
    put(ssm, name, "second", overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["blue"])
    ciphertext = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]["Value"]
    with sbc.SealboxClient(socket_path=str(daemon.socket_path)) as c:
        got = c.get_parameter(name)
        assert got["ResultMetadata"] == {}
        assert got["Parameter"]["Value"] == "second" and got["Parameter"]["Version"] == 2
        assert got["Parameter"]["ARN"] == harness.parameter_arn(name)
        assert c.get_parameter(name, with_decryption=False)["Parameter"]["Value"] == ciphertext
        old = c.get_parameter(name, version=1)["Parameter"]
        assert (old["Value"], old["Selector"]) == ("first", ":1")
        labelled = c.get_parameter(name, label="blue")["Parameter"]
        assert (labelled["Value"], labelled["Selector"]) == ("first", ":blue")

        with pytest.raises(sbc.NotFound) as e:
            c.get_parameter(f"{pbase}/missing")
        assert (e.value.status, e.value.code) == (400, "ParameterNotFound")
        assert f"{pbase}/missing" in e.value.message
        with pytest.raises(sbc.NotFound) as e:
            c.get_parameter(name, version=7)
        assert e.value.code == "ParameterVersionNotFound"


def test_client_get_parameter_on_tcp(daemon, sbc, ssm, pbase):
    name = f"{pbase}/p"
    put(ssm, name, "tcp-client")
    with sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token=token_of(daemon)) as c:
        assert c.get_parameter(name)["Parameter"]["Value"] == "tcp-client"
    with sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token_file=str(daemon.data_dir / "token")) as c:
        assert c.get_parameter(name)["Parameter"]["Value"] == "tcp-client"
    with sbc.SealboxClient(tcp=("127.0.0.1", daemon.port), token="wrong") as c:
        with pytest.raises(sbc.AccessDenied) as e:
            c.get_parameter(name)
        assert (e.value.status, e.value.code) == (401, "Unauthorized")
    with pytest.raises(ValueError):
        sbc.SealboxClient(tcp=("127.0.0.1", daemon.port))  # TCP without a token is a usage error
