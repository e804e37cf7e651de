"""`DataType`: `text` (the default), `aws:ec2:image` (a String holding an AMI id: `ami-` and 8 or 17
hex digits; AWS's asynchronous check that the image exists has no counterpart here) and
`aws:ssm:integration` (a SecureString under AWS's webhook integrations path). Anything else, and any
value of the wrong form, is refused before anything is written."""

from __future__ import annotations

import json
import uuid

import pytest

import harness

INTEGRATIONS = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"


def refusal(call) -> tuple[str | None, str]:
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None, ""


@pytest.mark.parametrize("ami", ["ami-0123abcd", "ami-0123456789abcdef0"])
def test_an_image_id_is_stored_with_its_data_type(ssm, pbase, ami):
    name = f"{pbase}/ami"
    ssm.put_parameter(Name=name, Value=ami, Type="String", DataType="aws:ec2:image")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["DataType"]) == (ami, "aws:ec2:image")
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [name]}, {"Key": "DataType", "Values": ["aws:ec2:image"]}])
    assert [p["DataType"] for p in described["Parameters"]] == ["aws:ec2:image"]
    # The data type stays with the parameter: an overwrite without one is checked against it.
    assert refusal(lambda: ssm.put_parameter(Name=name, Value="not-an-ami", Overwrite=True))[0] == \
        "ValidationException"
    ssm.put_parameter(Name=name, Value="ami-ffffffff", Overwrite=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["DataType"] == "aws:ec2:image"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Value"], h["DataType"]) for h in history] == [(ami, "aws:ec2:image"), ("ami-ffffffff", "aws:ec2:image")]


@pytest.mark.parametrize("value", ["ami-123", "ami-0123abc", "ami-0123ABCD", "ami-0123456789abcdef", "img-0123abcd",
                                   " ami-0123abcd", "ami-0123abcdg"])
def test_a_malformed_image_id_is_refused(ssm, pbase, value):
    name = f"{pbase}/bad"
    code, message = refusal(lambda: ssm.put_parameter(Name=name, Value=value, Type="String", DataType="aws:ec2:image"))
    assert code == "ValidationException" and "ami-" in message
    assert ssm.get_parameters(Names=[name])["InvalidParameters"] == [name]


def test_an_image_id_must_be_a_string(ssm, pbase):
    for kind in ("StringList", "SecureString"):
        code, _ = refusal(lambda: ssm.put_parameter(
            Name=f"{pbase}/{kind}", Value="ami-0123abcd", Type=kind, DataType="aws:ec2:image"))
        assert code == "ValidationException"


def test_an_integration_secret_lives_under_the_integrations_path(ssm, pbase):
    name = INTEGRATIONS + uuid.uuid4().hex
    secret = json.dumps({"description": "hook", "url": "https://example.com/hook", "headers": {}})
    ssm.put_parameter(Name=name, Value=secret, Type="SecureString", DataType="aws:ssm:integration")
    got = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (got["Value"], got["DataType"]) == (secret, "aws:ssm:integration")
    for bad in ({"Name": f"{pbase}/hook", "Type": "SecureString"},
                {"Name": INTEGRATIONS + uuid.uuid4().hex, "Type": "String"}):
        assert refusal(lambda: ssm.put_parameter(Value=secret, DataType="aws:ssm:integration", **bad))[0] == \
            "ValidationException"


@pytest.mark.parametrize("data_type", ["Text", "aws:ec2:Image", "json", "aws:ec2:instance"])
def test_other_data_types_get_awss_text(ssm, pbase, data_type):
    code, message = refusal(lambda: ssm.put_parameter(
        Name=f"{pbase}/x", Value="v", Type="String", DataType=data_type))
    assert (code, message) == (
        "ValidationException", f"The following data type is not supported: {data_type} (Data type names are all lowercase.)")


def test_the_cli_sets_the_data_type(aws, ssm, pbase):
    name = f"{pbase}/cli-ami"
    aws("ssm", "put-parameter", "--name", name, "--value", "ami-0a1b2c3d", "--type", "String",
        "--data-type", "aws:ec2:image")
    assert ssm.get_parameter(Name=name)["Parameter"]["DataType"] == "aws:ec2:image"


def test_fixtures_seed_a_tier_and_a_data_type(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("""
parameters:
  - {name: /app/ami, value: ami-0123abcd, dataType: aws:ec2:image}
  - {name: /app/large, value: big, tier: Advanced}
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    ssm = d.client("AKIATESTINGDATATYPE1", "anything", service="ssm")
    described = {p["Name"]: p for p in ssm.describe_parameters()["Parameters"]}
    assert (described["/app/ami"]["DataType"], described["/app/ami"]["Tier"]) == ("aws:ec2:image", "Standard")
    assert (described["/app/large"]["DataType"], described["/app/large"]["Tier"]) == ("text", "Advanced")
    with harness.UnixHTTP(d.socket_path) as conn:
        exported = {p["name"]: p for p in conn.request("GET", "/v1/fixtures?format=json").json()["parameters"]}
    assert exported["/app/ami"].get("dataType") == "aws:ec2:image" and "tier" not in exported["/app/ami"]
    assert exported["/app/large"].get("tier") == "Advanced" and "dataType" not in exported["/app/large"]
    # A reset reloads them unchanged.
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.request("POST", "/moto-api/reset").status == 200
    assert ssm.get_parameter(Name="/app/ami")["Parameter"]["DataType"] == "aws:ec2:image"


def test_a_fixture_value_that_breaks_its_data_type_stops_the_daemon(tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("parameters:\n  - {name: /app/ami, value: not-an-ami, dataType: aws:ec2:image}\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", ephemeral=True,
                            extra_args=["--fixtures", str(fixtures)])
    with pytest.raises(harness.DaemonStartError) as failure:
        daemon.start()
    assert "parameters[0] (/app/ami): ValidationException: Invalid AMI ID format: not-an-ami" in str(failure.value)
