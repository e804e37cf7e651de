"""Public parameters (`/aws/service/...`): fixtures seed them; callers read them by name, by ARN (which
names no account, as AWS's do), by path under `/aws/service` and through the extension, but cannot
change them, and no account's listing shows them."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

import harness

AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
REGIONS = "/aws/service/global-infrastructure/regions"


@pytest.fixture
def seeded(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"""
parameters:
  - {{name: {AMI}, value: ami-0123456789abcdef0}}
  - {{name: {REGIONS}/us-east-1, value: us-east-1}}
  - {{name: {REGIONS}/eu-west-1, value: eu-west-1}}
  - {{name: /app/own, value: mine}}
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    return d, d.client("AKIATESTINGPUBLIC001", "anything", service="ssm", validate=False)


def test_public_parameters_read_by_name_arn_and_path(seeded):
    d, ssm = seeded
    parameter = ssm.get_parameter(Name=AMI)["Parameter"]
    assert parameter["Value"] == "ami-0123456789abcdef0"
    arn = f"arn:aws:ssm:us-east-1::parameter{AMI}"
    assert parameter["ARN"] == arn
    assert ssm.get_parameter(Name=arn)["Parameter"]["Name"] == AMI
    by_path = ssm.get_parameters_by_path(Path=REGIONS)["Parameters"]
    assert sorted(p["Value"] for p in by_path) == ["eu-west-1", "us-east-1"]
    assert {p["Name"] for p in ssm.get_parameters_by_path(Path="/aws/service", Recursive=True)["Parameters"]} == {
        AMI, f"{REGIONS}/us-east-1", f"{REGIONS}/eu-west-1"}
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("GET", "/systemsmanager/parameters/get?name=" + urllib.parse.quote(AMI, safe=""))
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["Parameter"]["Value"] == "ami-0123456789abcdef0"
    finally:
        conn.close()


def test_the_cli_reads_them_by_path(seeded):
    d, _ = seeded
    out = harness.aws_cli(d.endpoint, "AKIATESTINGPUBLIC001", "anything", "ssm", "get-parameters-by-path",
                          "--path", REGIONS)
    assert out.returncode == 0, out.stderr
    assert sorted(p["Value"] for p in json.loads(out.stdout)["Parameters"]) == ["eu-west-1", "us-east-1"]


def test_no_accounts_listing_shows_them(seeded):
    _, ssm = seeded
    described = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    assert described == ["/app/own"]
    everything = [p["Name"] for p in ssm.get_parameters_by_path(Path="/", Recursive=True)["Parameters"]]
    assert everything == ["/app/own"]


def test_callers_cannot_change_them(seeded):
    _, ssm = seeded
    for call in (
        lambda: ssm.put_parameter(Name=AMI, Value="ami-00000000", Type="String", Overwrite=True),
        lambda: ssm.delete_parameter(Name=AMI),
        lambda: ssm.label_parameter_version(Name=AMI, Labels=["mine"]),
        lambda: ssm.unlabel_parameter_version(Name=AMI, ParameterVersion=1, Labels=["mine"]),
        lambda: ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=AMI,
                                         Tags=[{"Key": "k", "Value": "v"}]),
        lambda: ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=AMI, TagKeys=["k"]),
    ):
        with pytest.raises(Exception) as e:
            call()
        message = harness.assert_client_error(e, "ValidationException")
        assert message.startswith('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). ')
    answer = ssm.delete_parameters(Names=[AMI, "/app/own"])
    assert answer["DeletedParameters"] == ["/app/own"] and answer["InvalidParameters"] == [AMI]
    parameter = ssm.get_parameter(Name=AMI)["Parameter"]
    assert parameter["Value"] == "ami-0123456789abcdef0" and parameter["Version"] == 1
    assert "Labels" not in parameter or parameter.get("Labels") in (None, [])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=AMI)["TagList"] == []


def test_a_secure_string_public_parameter_is_refused_at_start(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"parameters:\n  - {{name: {AMI}, type: SecureString, value: s}}\n")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)], start=False)
    with pytest.raises(harness.DaemonStartError) as failure:
        d.start()
    assert "A public parameter (/aws/service/...) is a String or a StringList." in str(failure.value)
