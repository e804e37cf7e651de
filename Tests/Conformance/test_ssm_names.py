"""Parameter names as AWS reads them: GetParameter, GetParameters, GetParameterHistory, the extension
GET and leases take a name or an ARN; PutParameter, DeleteParameter(s) and (Un)LabelParameterVersion
take names only. A one-level name is one parameter with or without its leading slash, since `db` and
`/db` have one ARN (`...:parameter/db`). An ARN of another region or account names nothing here."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

import harness
from harness import assert_native_error, native

INVALID_NAME = (
    'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can '
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and "
    "the following 3 symbols .-_"
)


def one_level() -> str:
    return "n" + uuid.uuid4().hex


def error(call) -> tuple[str | None, str | None]:
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message")
    return None, None


def test_an_arn_finds_names_with_and_without_a_slash(ssm, pbase):
    slashed, plain, deep = "/" + one_level(), one_level(), f"{pbase}/db/host"
    for name in (slashed, plain, deep):
        ssm.put_parameter(Name=name, Value="v-" + name, Type="String")
    for name in (slashed, plain, deep):
        arn = harness.parameter_arn(name)
        assert arn.endswith(":parameter/" + name.lstrip("/"))
        got = ssm.get_parameter(Name=arn)["Parameter"]
        assert (got["Name"], got["Value"], got["ARN"]) == (name, "v-" + name, arn)
        assert ssm.get_parameter(Name=arn + ":1")["Parameter"]["Selector"] == ":1"
        history = ssm.get_parameter_history(Name=arn)["Parameters"]
        assert [h["Name"] for h in history] == [name]
    arns = [harness.parameter_arn(n) for n in (slashed, plain, deep)]
    found = ssm.get_parameters(Names=arns)
    assert sorted(p["Name"] for p in found["Parameters"]) == sorted([slashed, plain, deep])
    assert found["InvalidParameters"] == []
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=arns[0])
    assert tags["TagList"] == []


def test_a_one_level_name_is_one_parameter_in_either_spelling(ssm):
    bare = one_level()
    slashed = "/" + bare
    assert ssm.put_parameter(Name=slashed, Value="first", Type="String")["Version"] == 1
    got = ssm.get_parameter(Name=bare)["Parameter"]
    assert (got["Name"], got["Value"]) == (slashed, "first")
    assert harness.error_code(lambda: ssm.put_parameter(Name=bare, Value="x", Type="String")) == \
        "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=bare, Value="second", Type="String", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name=slashed)["Parameter"]["Value"] == "second"
    assert ssm.get_parameters(Names=[bare])["Parameters"][0]["Name"] == slashed
    assert [h["Version"] for h in ssm.get_parameter_history(Name=bare)["Parameters"]] == [1, 2]
    ssm.label_parameter_version(Name=bare, ParameterVersion=1, Labels=["old"])
    assert ssm.get_parameter(Name=f"{slashed}:old")["Parameter"]["Value"] == "first"
    ssm.unlabel_parameter_version(Name=bare, ParameterVersion=1, Labels=["old"])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=bare, Tags=[{"Key": "team", "Value": "a"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=slashed)["TagList"] == [
        {"Key": "team", "Value": "a"}]
    named = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [bare]}])["Parameters"]
    assert [p["Name"] for p in named] == [slashed]
    ssm.delete_parameter(Name=bare)
    assert harness.error_code(lambda: ssm.get_parameter(Name=slashed)) == "ParameterNotFound"
    # The other way round: written without the slash, read and deleted with it.
    ssm.put_parameter(Name=bare, Value="plain", Type="String")
    assert ssm.get_parameter(Name=slashed)["Parameter"]["Name"] == bare
    deleted = ssm.delete_parameters(Names=[slashed])
    assert (deleted["DeletedParameters"], deleted["InvalidParameters"]) == ([bare], [])
    assert ssm.get_parameters(Names=[bare])["InvalidParameters"] == [bare]


def test_writes_take_names_not_arns(ssm, pbase):
    name = f"{pbase}/x"
    arn = harness.parameter_arn(name)
    ssm.put_parameter(Name=name, Value="v", Type="String")
    code, message = error(lambda: ssm.put_parameter(Name=arn, Value="v", Type="String", Overwrite=True))
    assert (code, message) == ("ValidationException", INVALID_NAME)
    assert harness.error_code(lambda: ssm.delete_parameter(Name=arn)) == "ParameterNotFound"
    assert ssm.delete_parameters(Names=[arn])["InvalidParameters"] == [arn]
    assert harness.error_code(
        lambda: ssm.label_parameter_version(Name=arn, ParameterVersion=1, Labels=["l"])) == "ParameterNotFound"
    assert harness.error_code(
        lambda: ssm.unlabel_parameter_version(Name=arn, ParameterVersion=1, Labels=["l"])) == "ParameterNotFound"
    # A selector is not part of a name either: `name:1` deletes nothing.
    assert harness.error_code(lambda: ssm.delete_parameter(Name=name + ":1")) == "ParameterNotFound"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v"


@pytest.mark.parametrize("bad", ["has space", "awsname", "/SSM/x", "semi;colon", "/a/b:c"])
def test_invalid_names_get_awss_text(ssm, bad):
    code, message = error(lambda: ssm.put_parameter(Name=bad, Value="v", Type="String"))
    assert (code, message) == ("ValidationException", INVALID_NAME)


def test_an_arn_of_another_region_or_account_names_nothing(ssm, pbase):
    name = f"{pbase}/scoped"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    here = harness.parameter_arn(name)
    for arn in (harness.parameter_arn(name, region="eu-west-1"), here.replace(":123456789012:", ":999999999999:"),
                here.replace("arn:aws:", "arn:aws-cn:")):
        assert harness.error_code(lambda: ssm.get_parameter(Name=arn)) == "ParameterNotFound"
        assert ssm.get_parameters(Names=[arn])["InvalidParameters"] == [arn]
        assert harness.error_code(lambda: ssm.get_parameter_history(Name=arn)) == "ParameterNotFound"
    assert ssm.get_parameter(Name=here)["Parameter"]["Value"] == "v"


def test_the_extension_and_leases_take_the_same_forms(daemon, ssm, sock):
    bare = one_level()
    ssm.put_parameter(Name="/" + bare, Value="s3cr3t", Type="SecureString")
    for form in (bare, "/" + bare, harness.parameter_arn("/" + bare)):
        path = "/systemsmanager/parameters/get?" + urllib.parse.urlencode(
            {"name": form, "withDecryption": "true"}, quote_via=urllib.parse.quote)
        response = sock.request("GET", path)
        assert response.status == 200, response
        assert response.json()["Parameter"]["Name"] == "/" + bare
        created = native(sock, "POST", "/v1/leases", {"name": form, "ttlSeconds": 60})
        assert created.status == 201, created
        lease = created.json()
        assert lease["name"] == "/" + bare
        redeemed = native(sock, "POST", f"/v1/leases/{lease['leaseId']}/redeem")
        assert redeemed.status == 200 and redeemed.json()["value"] == "s3cr3t"
        native(sock, "DELETE", f"/v1/leases/{lease['leaseId']}")
    assert_native_error(native(sock, "POST", "/v1/leases", {"name": "/" + bare + ":1"}), 400, "BadRequest")
    elsewhere = harness.parameter_arn("/" + bare, region="eu-west-1")
    assert native(sock, "POST", "/v1/leases", {"name": elsewhere}).status == 404
    response = sock.request("GET", "/systemsmanager/parameters/get?name=" + urllib.parse.quote(elsewhere, safe=""))
    assert response.status == 400 and json.loads(response.body)["__type"].endswith("ParameterNotFound")


def test_the_cli_reads_by_arn(aws, ssm, pbase):
    name = f"{pbase}/cli"
    ssm.put_parameter(Name=name, Value="from-cli", Type="String")
    out = aws("ssm", "get-parameter", "--name", harness.parameter_arn(name), "--output", "json")
    assert json.loads(out.stdout)["Parameter"]["Value"] == "from-cli"
    refused = aws("ssm", "delete-parameter", "--name", harness.parameter_arn(name), check=False)
    assert refused.returncode != 0 and b"ParameterNotFound" in refused.stderr
