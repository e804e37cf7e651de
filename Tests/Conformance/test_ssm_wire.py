"""AmazonSSM.* without boto3: SigV4-signed TCP requests (the suite's own signer, service
`ssm`) and unsigned requests on the Unix socket. Checks what boto3 hides: epoch-number
timestamps, error shapes, request ids, the caller recorded as LastModifiedUser."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import pytest

from harness import (ACCOUNT, JSON_CT, UnixHTTP, assert_aws_error, assert_request_id, parameter_arn,
                     tcp_request)


def _now() -> float:
    return dt.datetime.now(dt.timezone.utc).timestamp()


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@pytest.fixture
def signed(daemon, creds):
    def call(op: str, body: dict, *, service: str = "ssm"):
        return tcp_request(daemon.port, f"AmazonSSM.{op}", json.dumps(body).encode(), creds=creds, service=service)
    return call


def _ok(r) -> dict:
    assert r.status == 200, r
    assert_request_id(r)
    assert (r.header("Content-Type") or "").split(";")[0].strip() == JSON_CT, r
    return r.json()


def test_signed_put_get_describe_history(signed, creds, pbase):
    name = f"{pbase}/wire"
    put = _ok(signed("PutParameter", {"Name": name, "Value": "over the wire", "Type": "String"}))
    assert put == {"Version": 1, "Tier": "Standard"}

    p = _ok(signed("GetParameter", {"Name": name}))["Parameter"]
    assert p["Value"] == "over the wire"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    assert _is_number(p["LastModifiedDate"]), f"LastModifiedDate must be an epoch number: {p!r}"
    assert abs(p["LastModifiedDate"] - _now()) < 300
    assert _is_number(p["Version"]) and p["Version"] == 1

    md = _ok(signed("DescribeParameters", {"ParameterFilters": [{"Key": "Name", "Values": [name]}]}))["Parameters"]
    assert len(md) == 1
    assert _is_number(md[0]["LastModifiedDate"])
    assert abs(md[0]["LastModifiedDate"] - p["LastModifiedDate"]) < 1
    assert md[0]["ARN"] == p["ARN"]
    user = md[0]["LastModifiedUser"]
    assert isinstance(user, str) and user, md[0]
    assert creds[0] in user, f"LastModifiedUser {user!r} does not name the caller's access key {creds[0]}"

    h = _ok(signed("GetParameterHistory", {"Name": name}))["Parameters"]
    assert len(h) == 1 and _is_number(h[0]["LastModifiedDate"]) and creds[0] in h[0]["LastModifiedUser"]


def test_signed_errors_have_aws_shape(signed, pbase):
    assert_aws_error(signed("GetParameter", {"Name": f"{pbase}/missing"}), "ParameterNotFound")
    assert_aws_error(signed("PutParameter", {"Name": f"{pbase}/x", "Value": "v"}), "ValidationException")
    assert_aws_error(signed("GetParameters", {"Names": []}), "ValidationException")
    assert_aws_error(signed("PutParameter", {"Value": "v", "Type": "String"}), "ValidationException")
    assert_aws_error(signed("NoSuchOperation", {}), "UnknownOperationException")


def test_signature_must_be_scoped_to_ssm(signed, pbase):
    """An AmazonSSM call signed for the `kms` service is not a valid SSM signature."""
    assert_aws_error(signed("GetParameter", {"Name": f"{pbase}/x"}, service="kms"),
                     ("InvalidSignatureException", "IncompleteSignatureException"))


def test_region_from_the_signature_scope(daemon, creds, pbase):
    """AWS-WIRE.md: a signed request's region comes from the credential scope, ARNs follow it."""
    ssm_eu = daemon.client(*creds, service="ssm", region="eu-west-1")
    name = f"{pbase}/eu"
    ssm_eu.put_parameter(Name=name, Value="v", Type="String")
    assert ssm_eu.get_parameter(Name=name)["Parameter"]["ARN"] == parameter_arn(name, region="eu-west-1")


def test_unix_socket_get_parameter_unsigned(daemon, ssm, pbase):
    name = f"{pbase}/sock"
    ssm.put_parameter(Name=name, Value="via socket", Type="String")
    secret = "s-" + uuid.uuid4().hex
    ssm.put_parameter(Name=f"{name}-secure", Value=secret, Type="SecureString")
    with UnixHTTP(daemon.socket_path) as u:
        p = _ok(u.aws("AmazonSSM.GetParameter", {"Name": name}))["Parameter"]
        assert (p["Name"], p["Value"], p["Version"]) == (name, "via socket", 1)
        assert p["ARN"] == parameter_arn(name)
        assert _is_number(p["LastModifiedDate"])
        # the same connection, kept alive
        s = _ok(u.aws("AmazonSSM.GetParameter", {"Name": f"{name}-secure", "WithDecryption": True}))["Parameter"]
        assert s["Value"] == secret
        s = _ok(u.aws("AmazonSSM.GetParameter", {"Name": f"{name}-secure"}))["Parameter"]
        assert s["Value"] != secret
        assert_aws_error(u.aws("AmazonSSM.GetParameter", {"Name": f"{pbase}/missing"}), "ParameterNotFound")


def test_unix_socket_writer_is_recorded(daemon, ssm, pbase):
    name = f"{pbase}/by-uid"
    with UnixHTTP(daemon.socket_path) as u:
        _ok(u.aws("AmazonSSM.PutParameter", {"Name": name, "Value": "v", "Type": "String"}))
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert len(md) == 1
    assert f"uid:{os.getuid()}" in md[0]["LastModifiedUser"], md[0]
