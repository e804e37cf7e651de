"""SigV4 on TCP (issue 27, finding 12): what a signature must cover, and the regions a scope may name.

- `host` and every `x-amz-*` header of the request (`X-Amz-Target`, `X-Amz-Date`,
  `X-Amz-Security-Token`...) must be in SignedHeaders, as botocore signs them: a signature over
  `host` alone cannot be replayed with another `X-Amz-Target`. Refused: `InvalidSignatureException`.
- The credential scope's region must be an AWS region, the daemon's `--region`, or one the config's
  `aws.regions` adds. Refused: `InvalidSignatureException`.
- boto3, with and without a session token, still signs acceptably.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import harness


@pytest.fixture
def start(start_daemon):
    return start_daemon


@pytest.fixture
def daemon(start):
    return start()


def refused(r: harness.RawResponse, what: str, fragment: str) -> None:
    assert r.status == 400, f"{what}: expected 400 InvalidSignatureException, got {r}"
    body = r.json()
    assert body["__type"] == "InvalidSignatureException", f"{what}: {r}"
    assert r.header("X-Amzn-ErrorType") == "InvalidSignatureException", r
    assert fragment in body["message"], f"{what}: {body['message']!r}"


def test_a_signature_over_host_alone_is_refused(daemon):
    creds = daemon.credentials()
    r = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=creds, signed_headers=["host"])
    refused(r, "signed over host only", "'X-Amz-")


def test_a_signature_cannot_be_replayed_with_another_target(daemon):
    """Signed over host and x-amz-date for ListKeys, sent with X-Amz-Target: CreateKey."""
    creds = daemon.credentials()
    host = f"127.0.0.1:{daemon.port}"
    headers = harness.sigv4_headers(creds[0], creds[1], host, "TrentService.ListKeys", b"{}",
                                    signed_headers=["host", "x-amz-date"])
    headers["X-Amz-Target"] = "TrentService.CreateKey"
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    try:
        conn.request("POST", "/", body=b"{}", headers=headers)
        resp = conn.getresponse()
        r = harness.RawResponse(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
    refused(r, "X-Amz-Target left out of the signature", "'X-Amz-Target' must be a 'SignedHeader'")
    keys = daemon.client(*creds).list_keys()["Keys"]
    assert keys == [], f"the replayed CreateKey made a key: {keys}"


@pytest.mark.parametrize("signed,extra,name", [
    (["content-type", "host", "x-amz-target"], {}, "X-Amz-Date"),
    (["content-type", "host", "x-amz-date"], {}, "X-Amz-Target"),
    (["content-type", "host", "x-amz-date", "x-amz-target"], {"X-Amz-Security-Token": "token"}, "X-Amz-Security-Token"),
    (["content-type", "host", "x-amz-date", "x-amz-target"], {"x-amz-anything": "1"}, "x-amz-anything"),
])
def test_every_amz_header_must_be_signed(daemon, signed, extra, name):
    r = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=daemon.credentials(),
                            signed_headers=signed, extra_headers=extra)
    refused(r, f"{name} not signed", f"'{name}' must be a 'SignedHeader'")


def test_a_full_signature_without_content_type_is_accepted(daemon):
    """Only host and x-amz-* are required; other headers are signed as the client chooses."""
    r = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=daemon.credentials(),
                            signed_headers=["host", "x-amz-date", "x-amz-target"])
    assert r.status == 200, r


@pytest.mark.parametrize("region", ["xx-fake-9", "us-east-1x", "local"])
def test_an_unknown_region_in_the_scope_is_refused(daemon, region):
    r = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=daemon.credentials(), region=region)
    refused(r, f"region {region!r}", f"Credential should be scoped to a valid region, not '{region}'")


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"])
def test_aws_regions_are_accepted(daemon, region):
    r = harness.tcp_request(daemon.port, "TrentService.ListKeys", b"{}", creds=daemon.credentials(), region=region)
    assert r.status == 200, f"{region}: {r}"


def test_configured_and_default_regions_are_accepted(start):
    d = start("aws:\n  regions: [xx-fake-9, on-prem-1]\n", extra=["--region", "local"])
    creds = d.credentials()
    for region in ("xx-fake-9", "on-prem-1", "local", "us-east-1"):
        r = harness.tcp_request(d.port, "TrentService.ListKeys", b"{}", creds=creds, region=region)
        assert r.status == 200, f"{region}: {r}"
    r = harness.tcp_request(d.port, "TrentService.ListKeys", b"{}", creds=creds, region="xx-fake-8")
    refused(r, "region not configured", "valid region")


def test_boto3_with_a_session_token_still_signs_acceptably(daemon):
    """botocore signs X-Amz-Security-Token when it sends one."""
    key, secret = daemon.credentials()
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    aws_session_token="FQoGZXIvYXdzE-session", region_name="eu-central-1")
    cfg = Config(retries={"max_attempts": 1}, proxies={})
    ssm = session.client("ssm", endpoint_url=daemon.endpoint, config=cfg)
    sent = []
    ssm.meta.events.register("before-send.ssm.PutParameter", lambda request, **_: sent.append(request))
    ssm.put_parameter(Name="/sigv4/hardening", Value="v", Type="String")
    assert "x-amz-security-token" in sent[0].headers["Authorization"].decode()
    assert ssm.get_parameter(Name="/sigv4/hardening")["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as failure:
        session.client("kms", endpoint_url=daemon.endpoint, region_name="xx-fake-9", config=cfg).list_keys()
    assert failure.value.response["Error"]["Code"] == "InvalidSignatureException"
