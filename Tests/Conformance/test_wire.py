"""The HTTP layer, without boto3: TCP (SigV4-signed by the suite's own signer) and
the Unix socket (hand-written HTTP/1.1, no signature: SO_PEERCRED identifies us)."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import stat
import uuid

import boto3  # noqa: F401  (imported so a missing boto3 fails collection loudly)
import pytest
from botocore.exceptions import ClientError

from harness import (JSON_CT, UUID_RE, RawResponse, UnixHTTP, assert_aws_error, assert_client_error,
                     assert_request_id, make_kms_client, sigv4_headers, tcp_request)


@pytest.fixture(params=["tcp", "unix"])
def send(request, daemon, creds):
    """send(target, body: bytes) -> RawResponse, over a fresh connection."""
    if request.param == "tcp":
        def _send(target, body):
            return tcp_request(daemon.port, target, body, creds=creds)
    else:
        def _send(target, body):
            with UnixHTTP(daemon.socket_path) as u:
                return u.kms(target, body)
    _send.transport = request.param
    return _send


def _assert_success(r, *, keys=()):
    assert r.status == 200, r
    assert_request_id(r)
    ctype = r.header("Content-Type") or ""
    assert ctype.split(";")[0].strip() == JSON_CT, f"Content-Type {ctype!r}"
    body = r.json()
    assert isinstance(body, dict)
    for k in keys:
        assert k in body, (k, body)
    return body


def test_health(daemon):
    r = tcp_request(daemon.port, None, b"", method="GET", path="/health")
    assert r.status == 200, r
    assert isinstance(r.json(), dict)


def test_list_keys_ok(send):
    body = _assert_success(send("TrentService.ListKeys", b"{}"), keys=("Keys", "Truncated"))
    assert isinstance(body["Keys"], list)


def test_timestamps_are_epoch_numbers(send):
    body = _assert_success(send("TrentService.CreateKey", b'{"Description": "wire"}'), keys=("KeyMetadata",))
    created = body["KeyMetadata"]["CreationDate"]
    assert isinstance(created, (int, float)) and not isinstance(created, bool), \
        f"CreationDate must be a JSON number (epoch seconds), got {created!r}"
    assert abs(created - dt.datetime.now(dt.timezone.utc).timestamp()) < 300


def test_blobs_are_base64(send):
    kid = _assert_success(send("TrentService.CreateKey", b"{}"))["KeyMetadata"]["KeyId"]
    pt = b"\x00\xffbinary\x10"
    enc = _assert_success(send("TrentService.Encrypt", json.dumps(
        {"KeyId": kid, "Plaintext": base64.b64encode(pt).decode()}).encode()), keys=("CiphertextBlob", "KeyId"))
    blob = enc["CiphertextBlob"]
    assert isinstance(blob, str)
    base64.b64decode(blob, validate=True)
    dec = _assert_success(send("TrentService.Decrypt", json.dumps({"CiphertextBlob": blob}).encode()))
    assert base64.b64decode(dec["Plaintext"], validate=True) == pt


def test_malformed_json(send):
    assert_aws_error(send("TrentService.ListKeys", b'{"Limit": '), "SerializationException")


def test_non_object_json(send):
    assert_aws_error(send("TrentService.ListKeys", b'[1, 2, 3]'), ("SerializationException", "ValidationException"))


def test_wrong_json_type(send):
    assert_aws_error(send("TrentService.ListKeys", b'{"Limit": "ten"}'),
                     ("SerializationException", "ValidationException"))


def test_bad_base64_ciphertext(send):
    r = send("TrentService.Decrypt", b'{"CiphertextBlob": "***not base64***"}')
    assert_aws_error(r, ("SerializationException", "ValidationException"))


def test_unknown_operation(send):
    assert_aws_error(send("TrentService.NoSuchOp", b"{}"), "UnknownOperationException")


def test_unknown_service_prefix(send):
    assert_aws_error(send("NoSuchService20991231.ListKeys", b"{}"), "UnknownOperationException")


def test_body_over_64k_is_413(send):
    big = json.dumps({"KeyId": "alias/whatever", "Plaintext": "A" * (70 * 1024)}).encode()
    assert len(big) > 64 * 1024
    try:
        r = send("TrentService.Encrypt", big)
    except (ConnectionResetError, BrokenPipeError) as e:
        pytest.fail(f"{send.transport}: connection reset instead of a readable 413 ({e!r}); the daemon must "
                    f"answer before closing and not discard the response (drain or half-close)", pytrace=False)
    assert r.status == 413, r
    body = r.json()
    assert isinstance(body, dict) and "__type" in body and "message" in body, body
    assert_request_id(r)


def test_body_under_64k_is_parsed(send):
    # 60 KiB is within the limit: the daemon must read it and answer on its merits.
    body = json.dumps({"KeyId": "alias/whatever", "Plaintext": "A" * (60 * 1024)}).encode()
    assert len(body) < 64 * 1024
    r = send("TrentService.Encrypt", body)
    assert_aws_error(r, ("ValidationException", "NotFoundException"))


def test_error_body_shape_and_headers(send):
    r = send("TrentService.DescribeKey", json.dumps({"KeyId": str(uuid.uuid4())}).encode())
    body = assert_aws_error(r, "NotFoundException")
    assert set(body) <= {"__type", "message", "Message"} and "__type" in body, body


def test_request_ids_unique(send):
    a = assert_request_id(send("TrentService.ListKeys", b"{}"))
    b = assert_request_id(send("TrentService.NoSuchOp", b"{}"))
    assert a != b


def test_boto3_sees_request_id(kms):
    r = kms.list_keys(Limit=1)
    assert UUID_RE.match(r["ResponseMetadata"]["RequestId"])


def test_unix_socket_no_signature_needed(daemon):
    with UnixHTTP(daemon.socket_path) as u:
        r = u.kms("TrentService.ListKeys", {})
    _assert_success(r, keys=("Keys",))


def test_unix_socket_mode(daemon):
    st = daemon.socket_path.stat()
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(stat.S_IMODE(st.st_mode))


# -- keep-alive ---------------------------------------------------------------


def test_keep_alive_tcp(daemon, creds):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=15)
    try:
        ports = []
        for target, body, want in [("TrentService.ListKeys", b"{}", 200),
                                   ("TrentService.NoSuchOp", b"{}", 400),
                                   ("TrentService.GenerateRandom", b'{"NumberOfBytes": 8}', 200),
                                   ("TrentService.ListKeys", b'{"Limit": 1}', 200)]:
            r = tcp_request(daemon.port, target, body, creds=creds, conn=conn)
            assert r.status == want, (target, r)
            assert conn.sock is not None, f"server closed the connection after {target} ({r.header('Connection')})"
            ports.append(conn.sock.getsockname()[1])
        assert len(set(ports)) == 1, f"requests used several connections: {ports}"
    finally:
        conn.close()


def test_keep_alive_unix(daemon):
    with UnixHTTP(daemon.socket_path) as u:
        r1 = u.kms("TrentService.ListKeys", {})
        r2 = u.kms("TrentService.NoSuchOp", {})
        r3 = u.kms("TrentService.GenerateRandom", {"NumberOfBytes": 4})
        r4 = u.request("GET", "/health")
    assert r1.status == 200, r1
    assert_aws_error(r2, "UnknownOperationException")
    assert r3.status == 200 and len(base64.b64decode(r3.json()["Plaintext"])) == 4, r3
    assert r4.status == 200, r4


def test_moto_reset_is_404_without_ephemeral(daemon):
    with UnixHTTP(daemon.socket_path) as u:
        before = u.kms("TrentService.CreateKey", {}).json()["KeyMetadata"]["KeyId"]
        r = u.request("POST", "/moto-api/reset")
        assert r.status == 404, r
        still = u.kms("TrentService.DescribeKey", {"KeyId": before})
    assert still.status == 200, "state was wiped by /moto-api/reset on a persistent daemon"


# -- authentication on TCP ----------------------------------------------------


def test_unsigned_tcp_request_refused(daemon):
    r = tcp_request(daemon.port, "TrentService.ListKeys", b"{}")
    assert_aws_error(r, "MissingAuthenticationTokenException")


def test_wrong_secret_is_invalid_signature(daemon, creds):
    bad = make_kms_client(daemon.endpoint, creds[0], creds[1][:-4] + "XXXX")
    with pytest.raises(ClientError) as ei:
        bad.list_keys()
    assert_client_error(ei, "InvalidSignatureException")


def test_unknown_access_key_is_unrecognized(daemon):
    fake = make_kms_client(daemon.endpoint, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with pytest.raises(ClientError) as ei:
        fake.list_keys()
    assert_client_error(ei, "UnrecognizedClientException")


def test_body_changed_after_signing(daemon, creds):
    r = tcp_request(daemon.port, "TrentService.ListKeys", b'{"Limit": 2}', creds=creds, sign_body=b'{"Limit": 1}')
    assert_aws_error(r, "InvalidSignatureException")


def test_target_changed_after_signing(daemon, creds):
    host = f"127.0.0.1:{daemon.port}"
    headers = sigv4_headers(creds[0], creds[1], host, "TrentService.ListKeys", b"{}")
    headers["X-Amz-Target"] = "TrentService.ListAliases"
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=15)
    try:
        conn.request("POST", "/", body=b"{}", headers=headers)
        resp = conn.getresponse()
        r = RawResponse(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
    assert_aws_error(r, "InvalidSignatureException")


def test_signature_too_old(daemon, creds):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    r = tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=creds, when=old)
    assert_aws_error(r, "InvalidSignatureException")


def test_independent_signer_accepted(daemon, creds):
    r = tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=creds)
    assert r.status == 200, r


@pytest.mark.parametrize("value", ["a, b", "  spaced   out\tvalue  ", "one,two"])
def test_signed_header_values_are_canonicalised_as_botocore_does(daemon, creds, value):
    """botocore signs every header but a few, each value with its ends trimmed and inner runs of
    whitespace made one space; commas stay where they are. A header the client adds before signing
    must verify, whatever its value holds."""
    client = make_kms_client(daemon.endpoint, *creds)

    def add_header(request, **_):
        request.headers["X-Sealbox-Probe"] = value

    client.meta.events.register_first("before-sign.kms.ListKeys", add_header)
    signed = []
    client.meta.events.register("before-send.kms.ListKeys", lambda request, **_: signed.append(request))
    assert "Keys" in client.list_keys()
    assert "x-sealbox-probe" in signed[0].headers["Authorization"].decode()


def test_pipelined_requests_are_answered_in_order(daemon, ssm, pbase):
    """Requests sent back to back on one Unix connection, before any answer has come, are each
    answered once, in order, and the connection stays usable. sealboxd queues pipelined requests
    itself (RequestHandler), so this is the test of that queue and of the reads it holds back."""
    ssm.put_parameter(Name=f"{pbase}/a", Value="alpha", Type="SecureString")
    ssm.put_parameter(Name=f"{pbase}/b", Value="beta", Type="String")

    def head(method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
        return (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n").encode() + body

    get_b = json.dumps({"Name": f"{pbase}/b"}).encode()
    kinds = [
        (head("GET", f"/systemsmanager/parameters/get?name={pbase}/a&withDecryption=true"),
         lambda r: r.status == 200 and r.json()["Parameter"]["Value"] == "alpha"),
        (head("GET", "/health"), lambda r: r.status == 200 and r.json()["status"] == "ok"),
        (head("POST", "/", get_b, f"Content-Type: {JSON_CT}\r\nX-Amz-Target: AmazonSSM.GetParameter\r\n"),
         lambda r: r.status == 200 and r.json()["Parameter"]["Value"] == "beta"),
        (head("GET", "/no/such/endpoint"), lambda r: r.status == 404),
    ]
    # 200 requests, about 40 KB: more than one read, so reads are held back and resumed.
    order = [i % len(kinds) for i in range(200)]
    with UnixHTTP(daemon.socket_path) as u:
        u.sock.sendall(b"".join(kinds[k][0] for k in order))
        for n, k in enumerate(order):
            response = u.read_response("GET")
            assert kinds[k][1](response), f"answer {n} (kind {k}) was {response}"
        after = u.request("GET", "/health")
        assert after.status == 200, after


def test_head_answer_has_no_body(daemon):
    """HEAD /health gets GET's status and Content-Length but no body (RFC 9110, 9.3.2), so the
    answer after it on the same keep-alive connection is read from its first byte."""
    with UnixHTTP(daemon.socket_path) as u:
        u.sock.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        head = u.read_response("HEAD")
        get = u.read_response("GET")
    assert head.status == 200 and head.body == b"", head
    assert get.status == 200 and get.json()["status"] == "ok", get
    assert int(head.header("content-length")) > 0, head
