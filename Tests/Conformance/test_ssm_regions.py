"""Parameters belong to an account and a region, as keys do: a parameter put in us-east-1 is not found
from eu-west-1, one name can hold a different value in each, ARNs carry the region and account, a
SecureString is sealed under its own region's `alias/aws/ssm`, and the account comes from the access
key. Public parameters belong to a region and no account. Fixtures seed parameters into the scope
they name; scoped parameters outlive a restart."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

import harness

EAST, WEST = "us-east-1", "eu-west-1"
error_code = harness.error_code


@pytest.fixture(scope="module")
def east(daemon, creds):
    return daemon.client(*creds, service="ssm", region=EAST)


@pytest.fixture(scope="module")
def west(daemon, creds):
    return daemon.client(*creds, service="ssm", region=WEST)


def test_a_parameter_is_found_only_in_its_own_region(east, west, pbase):
    name = f"{pbase}/db/password"
    west.put_parameter(Name=name, Value="west-value", Type="String", Tags=[{"Key": "team", "Value": "w"}])
    got = west.get_parameter(Name=name)["Parameter"]
    assert got["ARN"] == f"arn:aws:ssm:{WEST}:{harness.ACCOUNT}:parameter{name}"
    assert error_code(lambda: east.get_parameter(Name=name)) == "ParameterNotFound"
    assert east.get_parameters(Names=[name])["InvalidParameters"] == [name]
    assert error_code(lambda: east.get_parameter_history(Name=name)) == "ParameterNotFound"
    assert east.get_parameters_by_path(Path=pbase, Recursive=True)["Parameters"] == []
    assert east.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"] == []
    assert error_code(lambda: east.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)) == \
        "InvalidResourceId"
    assert error_code(lambda: east.delete_parameter(Name=name)) == "ParameterNotFound"
    assert error_code(lambda: east.label_parameter_version(Name=name, Labels=["l"])) == "ParameterNotFound"
    # The same name in the other region is another parameter, with versions of its own.
    assert east.put_parameter(Name=name, Value="east-value", Type="String")["Version"] == 1
    assert west.put_parameter(Name=name, Value="west-2", Type="String", Overwrite=True)["Version"] == 2
    assert east.get_parameter(Name=name)["Parameter"]["Value"] == "east-value"
    assert [p["Value"] for p in west.get_parameter_history(Name=name)["Parameters"]] == ["west-value", "west-2"]
    described = west.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert [p["ARN"] for p in described] == [f"arn:aws:ssm:{WEST}:{harness.ACCOUNT}:parameter{name}"]
    east.delete_parameter(Name=name)
    assert west.get_parameter(Name=name)["Parameter"]["Value"] == "west-2"


def test_the_cli_puts_and_reads_in_the_region_it_names(daemon, creds, east, west, pbase):
    name = f"{pbase}/cli"
    put = harness.aws_cli(daemon.endpoint, *creds, "ssm", "put-parameter", "--name", name, "--value", "cli-west",
                          "--type", "String", region=WEST)
    assert put.returncode == 0, put.stderr
    assert west.get_parameter(Name=name)["Parameter"]["Value"] == "cli-west"
    assert error_code(lambda: east.get_parameter(Name=name)) == "ParameterNotFound"
    missing = harness.aws_cli(daemon.endpoint, *creds, "ssm", "get-parameter", "--name", name)
    assert missing.returncode != 0 and b"ParameterNotFound" in missing.stderr
    got = harness.aws_cli(daemon.endpoint, *creds, "ssm", "get-parameter", "--name", name, region=WEST)
    assert json.loads(got.stdout)["Parameter"]["ARN"] == f"arn:aws:ssm:{WEST}:{harness.ACCOUNT}:parameter{name}"


def test_a_securestring_is_sealed_under_its_own_regions_key(daemon, creds, east, west, pbase):
    name = f"{pbase}/secure"
    west.put_parameter(Name=name, Value="s3cr3t", Type="SecureString")
    blob = base64.b64decode(west.get_parameter(Name=name)["Parameter"]["Value"])
    arn = f"arn:aws:ssm:{WEST}:{harness.ACCOUNT}:parameter{name}"
    kms_west = daemon.client(*creds, region=WEST)
    opened = kms_west.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
    assert opened["Plaintext"] == b"s3cr3t"
    assert opened["KeyId"] == kms_west.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    assert error_code(lambda: daemon.client(*creds, region=EAST).decrypt(
        CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})) == "InvalidCiphertextException"
    assert west.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cr3t"


def test_the_extension_and_leases_read_in_the_daemons_region(sock, east, west, pbase):
    """As the Lambda extension reads its function's region: the daemon's `--region` (us-east-1 here)."""
    name = f"{pbase}/leased"
    west.put_parameter(Name=name, Value="from-west", Type="SecureString")
    path = "/systemsmanager/parameters/get?withDecryption=true&name=" + urllib.parse.quote(name, safe="")
    missing = sock.request("GET", path)
    assert missing.status == 400 and missing.json()["__type"].endswith("ParameterNotFound")
    assert harness.native(sock, "POST", "/v1/leases", {"name": name}).status == 404
    east.put_parameter(Name=name, Value="from-east", Type="SecureString")
    assert sock.request("GET", path).json()["Parameter"]["Value"] == "from-east"
    created = harness.native(sock, "POST", "/v1/leases", {"name": name})
    assert created.status == 201, created
    redeemed = harness.native(sock, "POST", f"/v1/leases/{created.json()['leaseId']}/redeem")
    assert redeemed.status == 200 and redeemed.json()["value"] == "from-east"


def test_an_access_keys_account_scopes_its_parameters(start_daemon, tmp_path):
    config, secrets = harness.accounts_config(
        tmp_path, [("home", "AKIAPARAMSCOPEHOME01", None), ("other", "AKIAPARAMSCOPEOTHR01", "111122223333")])
    d = start_daemon(config)
    home, other = (d.client(*secrets[n], service="ssm") for n in ("home", "other"))
    other.put_parameter(Name="/shared/name", Value="theirs", Type="SecureString")
    home.put_parameter(Name="/shared/name", Value="mine", Type="String")
    theirs = other.get_parameter(Name="/shared/name", WithDecryption=True)["Parameter"]
    assert (theirs["Value"], theirs["ARN"]) == ("theirs", f"arn:aws:ssm:{EAST}:111122223333:parameter/shared/name")
    assert home.get_parameter(Name="/shared/name")["Parameter"]["Value"] == "mine"
    assert [p["Name"] for p in other.describe_parameters()["Parameters"]] == ["/shared/name"]
    # After a restart each account still has its own.
    d.terminate(timeout=10)
    d.start()
    home, other = (d.client(*secrets[n], service="ssm") for n in ("home", "other"))
    assert other.get_parameter(Name="/shared/name", WithDecryption=True)["Parameter"]["Value"] == "theirs"
    assert home.get_parameter(Name="/shared/name")["Parameter"]["Value"] == "mine"


def test_fixtures_seed_parameters_into_the_scope_they_name(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"""
parameters:
  - {{name: /app/url, value: https://east.example}}
  - {{name: /app/url, value: https://west.example, region: {WEST}}}
  - {{name: /app/url, value: https://other.example, account: '111122223333'}}
  - {{name: /aws/service/global-infrastructure/current-region, value: {WEST}, region: {WEST}}}
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    east, west = (d.client("AKIATESTINGREGIONS01", "anything", service="ssm", region=r) for r in (EAST, WEST))
    assert east.get_parameter(Name="/app/url")["Parameter"]["Value"] == "https://east.example"
    assert west.get_parameter(Name="/app/url")["Parameter"]["Value"] == "https://west.example"
    public = "/aws/service/global-infrastructure/current-region"
    assert west.get_parameter(Name=public)["Parameter"]["ARN"] == f"arn:aws:ssm:{WEST}::parameter{public}"
    assert error_code(lambda: east.get_parameter(Name=public)) == "ParameterNotFound"
    # An export names the region and account of what is not in the daemon's own scope, and loads back.
    with harness.UnixHTTP(d.socket_path) as conn:
        exported = conn.request("GET", "/v1/fixtures?format=json").json()["parameters"]
    assert sorted((p["name"], p["value"], p.get("region"), p.get("account")) for p in exported) == [
        ("/app/url", "https://east.example", None, None),
        ("/app/url", "https://other.example", None, "111122223333"),
        ("/app/url", "https://west.example", WEST, None),
        (public, WEST, WEST, None),
    ]


@pytest.mark.parametrize("bad, message", [
    ("region: EU", "region 'EU' is not a region name"),
    ("account: '12'", "account must be 12 digits, not '12'"),
])
def test_a_malformed_fixture_scope_is_refused(tmp_path, bad, message):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"parameters:\n  - {{name: /a, value: b, {bad}}}\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", ephemeral=True,
                            extra_args=["--fixtures", str(fixtures)])
    with pytest.raises(harness.DaemonStartError) as failure:
        daemon.start()
    assert message in str(failure.value)
