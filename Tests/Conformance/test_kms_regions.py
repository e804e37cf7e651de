"""KMS keys and aliases belong to an account and a region, as in AWS, through boto3 clients of two
regions: a key made in us-east-1 is NotFoundException from eu-west-1, its ciphertexts do not open
there, each region has its own aliases (the same name may name a different key in each) and its own
`alias/aws/ssm`; the account comes from the access key's config entry. Ephemeral daemons take any
region name; fixtures seed keys into the region they name. Scoped keys outlive a restart.
"""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

import harness

EAST, WEST = "us-east-1", "eu-west-1"


error_code = harness.error_code


@pytest.fixture(scope="module")
def east(daemon, creds):
    return daemon.client(*creds, region=EAST)


@pytest.fixture(scope="module")
def west(daemon, creds):
    return daemon.client(*creds, region=WEST)


def test_a_key_is_found_only_in_its_own_region(east, west):
    key = west.create_key(Description=harness.unique("west"))["KeyMetadata"]
    assert key["Arn"] == f"arn:aws:kms:{WEST}:{harness.ACCOUNT}:key/{key['KeyId']}"
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    with pytest.raises(ClientError) as e:
        east.describe_key(KeyId=key["KeyId"])
    message = harness.assert_client_error(e, "NotFoundException")
    assert f"arn:aws:kms:{EAST}:{harness.ACCOUNT}:key/{key['KeyId']}" in message
    # By ARN too: the west key's ARN names a key the east region does not have.
    with pytest.raises(ClientError) as e:
        east.describe_key(KeyId=key["Arn"])
    harness.assert_client_error(e, "NotFoundException")
    west_ids = {k["KeyId"] for page in west.get_paginator("list_keys").paginate() for k in page["Keys"]}
    east_ids = {k["KeyId"] for page in east.get_paginator("list_keys").paginate() for k in page["Keys"]}
    assert key["KeyId"] in west_ids and key["KeyId"] not in east_ids
    assert all(k["KeyArn"].startswith(f"arn:aws:kms:{WEST}:") for page in west.get_paginator("list_keys").paginate()
               for k in page["Keys"])
    # Nothing the east region does reaches it: a disable there fails and the key stays enabled.
    assert error_code(lambda: east.disable_key(KeyId=key["KeyId"])) == "NotFoundException"
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_ciphertext_opens_only_in_its_keys_region(east, west):
    key = east.create_key()["KeyMetadata"]
    blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"regional")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"regional"
    with pytest.raises(ClientError) as e:
        west.decrypt(CiphertextBlob=blob)
    harness.assert_client_error(e, "InvalidCiphertextException")
    with pytest.raises(ClientError) as e:
        west.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    harness.assert_client_error(e, "NotFoundException")


def test_each_region_has_its_own_aliases(east, west):
    name = f"alias/{harness.unique('regional')}"
    east_key = east.create_key()["KeyMetadata"]["KeyId"]
    west_key = west.create_key()["KeyMetadata"]["KeyId"]
    east.create_alias(AliasName=name, TargetKeyId=east_key)
    # The same name is free in the other region, for that region's key.
    west.create_alias(AliasName=name, TargetKeyId=west_key)
    assert east.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == east_key
    assert west.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == west_key
    east_aliases = {a["AliasName"]: a for page in east.get_paginator("list_aliases").paginate()
                    for a in page["Aliases"]}
    assert east_aliases[name]["TargetKeyId"] == east_key
    assert east_aliases[name]["AliasArn"] == f"arn:aws:kms:{EAST}:{harness.ACCOUNT}:{name}"
    # An alias cannot name a key of another region.
    other = f"alias/{harness.unique('cross')}"
    assert error_code(lambda: east.create_alias(AliasName=other, TargetKeyId=west_key)) == "NotFoundException"
    assert error_code(lambda: west.describe_key(KeyId=other)) == "NotFoundException"
    # Deleting one region's alias leaves the other's.
    east.delete_alias(AliasName=name)
    assert error_code(lambda: east.describe_key(KeyId=name)) == "NotFoundException"
    assert west.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == west_key


def test_each_region_gets_its_own_aws_managed_ssm_key(daemon, creds, east, west):
    name = f"/t/{harness.unique('regional')}"
    for region, client in [(EAST, east), (WEST, west)]:
        ssm = daemon.client(*creds, region=region, service="ssm")
        ssm.put_parameter(Name=f"{name}/{region}", Value=f"{region}-secret", Type="SecureString")
        assert ssm.get_parameter(Name=f"{name}/{region}", WithDecryption=True)["Parameter"]["Value"] == (
            f"{region}-secret")
    east_key = east.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    west_key = west.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert west_key["Arn"].startswith(f"arn:aws:kms:{WEST}:") and west_key["KeyManager"] == "AWS"
    assert east_key["Arn"].startswith(f"arn:aws:kms:{EAST}:") and east_key["KeyId"] != west_key["KeyId"]


def test_grants_are_listed_in_their_keys_region_only(east, west):
    key = west.create_key()["KeyMetadata"]["KeyId"]
    grantee = f"arn:aws:iam::{harness.ACCOUNT}:role/regional"
    west.create_grant(KeyId=key, GranteePrincipal=grantee, RetiringPrincipal=grantee, Operations=["Decrypt"])
    assert [g["GranteePrincipal"] for g in west.list_grants(KeyId=key)["Grants"]] == [grantee]
    assert error_code(lambda: east.list_grants(KeyId=key)) == "NotFoundException"
    assert [g["KeyId"] for g in west.list_retirable_grants(RetiringPrincipal=grantee)["Grants"]] == [
        f"arn:aws:kms:{WEST}:{harness.ACCOUNT}:key/{key}"]
    assert east.list_retirable_grants(RetiringPrincipal=grantee)["Grants"] == []


def test_scoped_keys_and_aliases_outlive_a_restart(start_daemon):
    d = start_daemon()
    west = d.client(region=WEST)
    key = west.create_key(Description="kept in eu-west-1")["KeyMetadata"]
    west.create_alias(AliasName="alias/kept", TargetKeyId=key["KeyId"])
    blob = west.encrypt(KeyId="alias/kept", Plaintext=b"after restart")["CiphertextBlob"]
    d.terminate(timeout=10)
    d.start()
    west, east = d.client(region=WEST), d.client(region=EAST)
    assert west.describe_key(KeyId="alias/kept")["KeyMetadata"]["Arn"] == key["Arn"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"after restart"
    assert error_code(lambda: east.describe_key(KeyId="alias/kept")) == "NotFoundException"


def test_an_access_keys_account_scopes_what_it_sees(start_daemon, tmp_path):
    config, secrets = harness.accounts_config(
        tmp_path, [("home", "AKIAREGIONSHOME00001", None), ("other", "AKIAREGIONSOTHER0001", "111122223333")])
    d = start_daemon(config)
    home, other = d.client(*secrets["home"]), d.client(*secrets["other"])
    mine = other.create_key()["KeyMetadata"]
    assert mine["AWSAccountId"] == "111122223333"
    assert mine["Arn"] == f"arn:aws:kms:{EAST}:111122223333:key/{mine['KeyId']}"
    assert error_code(lambda: home.describe_key(KeyId=mine["KeyId"])) == "NotFoundException"
    theirs = home.create_key()["KeyMetadata"]
    assert theirs["AWSAccountId"] == harness.ACCOUNT
    assert error_code(lambda: other.describe_key(KeyId=theirs["KeyId"])) == "NotFoundException"


def test_a_malformed_account_in_the_config_is_refused(tmp_path):
    secret = tmp_path / "k.secret"
    secret.write_text("secret\n")
    secret.chmod(0o600)
    config = tmp_path / "sealbox.yaml"
    config.write_text(f"accessKeys:\n  - {{id: AKIAREGIONSBAD000001, secretFile: {secret}, principal: p, "
                      "account: '12ab'}\n")
    daemon = harness.Daemon(tmp_path / "data", tmp_path / "logs", extra_args=["--config", str(config)])
    with pytest.raises(harness.DaemonStartError) as failure:
        daemon.start()
    assert "accessKeys[0].account must be 12 digits, not '12ab'" in str(failure.value)


def test_an_ephemeral_daemon_takes_any_region_name(spawn):
    d = spawn(ephemeral=True)
    made_up = d.client("AKIATESTINGREGIONS01", "anything", region="xx-test-7")
    key = made_up.create_key()["KeyMetadata"]
    assert key["Arn"].startswith(f"arn:aws:kms:xx-test-7:{harness.ACCOUNT}:key/")
    assert error_code(lambda: d.client("AKIATESTINGREGIONS01", "anything", region=EAST).describe_key(
        KeyId=key["KeyId"])) == "NotFoundException"


def test_fixtures_seed_keys_into_the_region_they_name(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    material = base64.b64encode(bytes(range(32))).decode()
    fixtures.write_text(f"""
keys:
  - id: 0b1e5e6f-0000-4000-8000-000000000001
    aliases: [alias/app]
    material: {material}
  - id: 0b1e5e6f-0000-4000-8000-000000000002
    aliases: [alias/app]
    region: {WEST}
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    east, west = (d.client("AKIATESTINGREGIONS01", "anything", region=r) for r in (EAST, WEST))
    assert east.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"].endswith("000000000001")
    assert west.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"].endswith("000000000002")
    assert error_code(lambda: east.describe_key(KeyId="0b1e5e6f-0000-4000-8000-000000000002")) == "NotFoundException"


def scope_header(region: str) -> dict:
    """An Authorization header whose credential scope names `region`: the socket reads the region
    from it without verifying it, as it identifies callers by uid."""
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/{region}/kms/aws4_request, "
                             "SignedHeaders=host, Signature=0"}


def test_on_the_socket_the_region_comes_from_an_authorization_header(sock, west):
    made = sock.aws("TrentService.CreateKey", {"Description": "over the socket"}, scope_header(WEST))
    assert made.status == 200, made.body
    arn = made.json()["KeyMetadata"]["Arn"]
    assert arn.startswith(f"arn:aws:kms:{WEST}:")
    assert west.describe_key(KeyId=arn)["KeyMetadata"]["Description"] == "over the socket"


@pytest.mark.parametrize("region", ["eu:west-1", "EU-WEST-1", "eu_west_1", "x" * 33])
def test_a_malformed_region_is_refused_before_anything_changes(sock, region, east):
    before = {k["KeyId"] for page in east.get_paginator("list_keys").paginate() for k in page["Keys"]}
    refused = sock.aws("TrentService.CreateKey", {}, scope_header(region))
    assert refused.status == 400
    assert refused.json()["__type"].endswith("InvalidSignatureException")
    assert refused.json()["message"] == f"Credential should be scoped to a valid region, not '{region}'."
    after = {k["KeyId"] for page in east.get_paginator("list_keys").paginate() for k in page["Keys"]}
    assert after == before
