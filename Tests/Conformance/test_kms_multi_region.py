"""Multi-Region keys through boto3 clients of several regions: `MultiRegion: true` makes an `mrk-`
primary, ReplicateKey a replica with the same id and material in another region, so each decrypts
what the other encrypted; rotation and the set are shared while policy, description, tags, aliases
and the enabled state are each key's own; UpdatePrimaryRegion swaps the roles; a primary with
replicas waits for them before its deletion window starts; bad input gets AWS's errors and changes
nothing; the set outlives a restart.
"""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import harness

EAST, WEST, OREGON = "us-east-1", "eu-west-1", "us-west-2"


error_code = harness.error_code


@pytest.fixture(scope="module")
def clients(daemon, creds):
    return {region: daemon.client(*creds, region=region) for region in (EAST, WEST, OREGON)}


@pytest.fixture
def mrk(clients):
    """A symmetric multi-Region primary in us-east-1 with a replica in eu-west-1."""
    key = clients[EAST].create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    clients[EAST].replicate_key(KeyId=key["KeyId"], ReplicaRegion=WEST, Description="replica")
    return key["KeyId"]


def test_a_multi_region_primary_has_an_mrk_id_and_describes_its_set(clients):
    key = clients[EAST].create_key(MultiRegion=True)["KeyMetadata"]
    assert key["KeyId"].startswith("mrk-") and len(key["KeyId"]) == 36
    assert key["MultiRegion"] is True
    assert key["Arn"] == f"arn:aws:kms:{EAST}:{harness.ACCOUNT}:key/{key['KeyId']}"
    config = key["MultiRegionConfiguration"]
    assert config == {"MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": key["Arn"], "Region": EAST},
                      "ReplicaKeys": []}
    single = clients[EAST].create_key()["KeyMetadata"]
    assert single["MultiRegion"] is False and "MultiRegionConfiguration" not in single


def test_list_keys_pages_through_mrk_and_uuid_ids_alike(clients):
    oregon = clients[OREGON]
    made = {oregon.create_key(MultiRegion=multi)["KeyMetadata"]["KeyId"] for multi in (True, False, True, False)}
    seen = [k["KeyId"] for page in oregon.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1})
            for k in page["Keys"]]
    assert len(seen) == len(set(seen)) and made <= set(seen)
    assert seen == sorted(seen)


def test_a_replica_has_the_same_id_in_its_region(clients):
    key = clients[EAST].create_key(MultiRegion=True)["KeyMetadata"]
    answer = clients[EAST].replicate_key(KeyId=key["Arn"], ReplicaRegion=WEST, Description="west copy",
                                         Tags=[{"TagKey": "team", "TagValue": "eu"}])
    replica = answer["ReplicaKeyMetadata"]
    west_arn = f"arn:aws:kms:{WEST}:{harness.ACCOUNT}:key/{key['KeyId']}"
    assert replica["KeyId"] == key["KeyId"] and replica["Arn"] == west_arn
    assert replica["KeyState"] == "Enabled" and replica["Description"] == "west copy"
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": key["Arn"], "Region": EAST}
    assert answer["ReplicaTags"] == [{"TagKey": "team", "TagValue": "eu"}]
    assert '"kms:*"' in answer["ReplicaPolicy"]
    primary = clients[EAST].describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert primary["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": west_arn, "Region": WEST}]
    assert clients[WEST].describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == west_arn
    assert clients[WEST].list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "eu"}]
    assert clients[EAST].list_resource_tags(KeyId=key["KeyId"])["Tags"] == []
    # Still not in a third region.
    assert error_code(lambda: clients[OREGON].describe_key(KeyId=key["KeyId"])) == "NotFoundException"


def test_each_region_decrypts_what_the_other_encrypted(clients, mrk):
    east, west = clients[EAST], clients[WEST]
    blob = east.encrypt(KeyId=mrk, Plaintext=b"made in the east", EncryptionContext={"app": "x"})["CiphertextBlob"]
    opened = west.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"})
    assert opened["Plaintext"] == b"made in the east"
    assert opened["KeyId"] == f"arn:aws:kms:{WEST}:{harness.ACCOUNT}:key/{mrk}"
    data_key = west.generate_data_key(KeyId=mrk, KeySpec="AES_256")
    assert east.decrypt(CiphertextBlob=data_key["CiphertextBlob"], KeyId=mrk)["Plaintext"] == data_key["Plaintext"]
    # The encryption context still binds.
    with pytest.raises(ClientError) as e:
        west.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "y"})
    harness.assert_client_error(e, "InvalidCiphertextException")


def test_each_key_of_the_set_has_its_own_state_aliases_and_description(clients, mrk):
    east, west = clients[EAST], clients[WEST]
    alias = f"alias/{harness.unique('mrk')}"
    west.create_alias(AliasName=alias, TargetKeyId=mrk)
    assert error_code(lambda: east.describe_key(KeyId=alias)) == "NotFoundException"
    west.update_key_description(KeyId=mrk, Description="changed in the west")
    assert east.describe_key(KeyId=mrk)["KeyMetadata"]["Description"] == "primary"
    blob = east.encrypt(KeyId=mrk, Plaintext=b"x")["CiphertextBlob"]
    west.disable_key(KeyId=mrk)
    with pytest.raises(ClientError) as e:
        west.decrypt(CiphertextBlob=blob)
    harness.assert_client_error(e, "DisabledException")
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert east.describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


def test_rotation_is_shared_and_changed_through_the_primary_only(clients, mrk):
    east, west = clients[EAST], clients[WEST]
    east.rotate_key_on_demand(KeyId=mrk)
    assert len(west.list_key_rotations(KeyId=mrk)["Rotations"]) == 1
    blob = east.encrypt(KeyId=mrk, Plaintext=b"second version")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"second version"
    east.enable_key_rotation(KeyId=mrk, RotationPeriodInDays=90)
    status = west.get_key_rotation_status(KeyId=mrk)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    for call in (lambda: west.rotate_key_on_demand(KeyId=mrk), lambda: west.enable_key_rotation(KeyId=mrk),
                 lambda: west.disable_key_rotation(KeyId=mrk)):
        with pytest.raises(ClientError) as e:
            call()
        assert "replica" in harness.assert_client_error(e, "UnsupportedOperationException")
    assert west.get_key_rotation_status(KeyId=mrk)["KeyRotationEnabled"] is True


def test_update_primary_region_swaps_the_roles(clients, mrk):
    east, west, oregon = clients[EAST], clients[WEST], clients[OREGON]
    east.update_primary_region(KeyId=mrk, PrimaryRegion=WEST)
    west_config = west.describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
    east_config = east.describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
    assert west_config["MultiRegionKeyType"] == "PRIMARY" and east_config["MultiRegionKeyType"] == "REPLICA"
    assert east_config["PrimaryKey"]["Region"] == WEST
    assert [r["Region"] for r in west_config["ReplicaKeys"]] == [EAST]
    # Only the new primary replicates and rotates.
    assert error_code(lambda: east.replicate_key(KeyId=mrk, ReplicaRegion=OREGON)) == "UnsupportedOperationException"
    west.replicate_key(KeyId=mrk, ReplicaRegion=OREGON)
    blob = oregon.encrypt(KeyId=mrk, Plaintext=b"from oregon")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from oregon"
    assert sorted(r["Region"] for r in east.describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"][
        "ReplicaKeys"]) == [EAST, OREGON]


def test_a_primary_with_replicas_waits_for_them_before_its_deletion(clients, mrk):
    east, west = clients[EAST], clients[WEST]
    answer = east.schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    assert answer["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in answer
    meta = east.describe_key(KeyId=mrk)["KeyMetadata"]
    assert meta["KeyState"] == "PendingReplicaDeletion" and meta["PendingDeletionWindowInDays"] == 7
    assert error_code(lambda: east.encrypt(KeyId=mrk, Plaintext=b"x")) == "KMSInvalidStateException"
    assert west.encrypt(KeyId=mrk, Plaintext=b"x")["KeyId"].startswith(f"arn:aws:kms:{WEST}:")
    assert east.cancel_key_deletion(KeyId=mrk)["KeyId"].endswith(mrk)
    assert east.describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Disabled"
    # A replica is deleted on its own schedule.
    replica = west.schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    assert replica["KeyState"] == "PendingDeletion" and "DeletionDate" in replica


def test_asymmetric_and_hmac_multi_region_keys_share_their_material(clients):
    east, west = clients[EAST], clients[WEST]
    signing = east.create_key(MultiRegion=True, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    east.replicate_key(KeyId=signing["KeyId"], ReplicaRegion=WEST)
    public = west.get_public_key(KeyId=signing["KeyId"])["PublicKey"]
    assert public == east.get_public_key(KeyId=signing["KeyId"])["PublicKey"]
    signature = west.sign(KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    serialization.load_der_public_key(public).verify(signature, b"m", ec.ECDSA(hashes.SHA256()))
    mac = east.create_key(MultiRegion=True, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    east.replicate_key(KeyId=mac["KeyId"], ReplicaRegion=WEST)
    tag = east.generate_mac(KeyId=mac["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert west.generate_mac(KeyId=mac["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"] == tag


def test_bad_replication_requests_get_awss_errors_and_change_nothing(daemon, creds, clients, mrk):
    east = clients[EAST]
    east_nv = daemon.client(*creds, region=EAST, validate=False)
    single = east.create_key()["KeyMetadata"]["KeyId"]
    cases = [
        (lambda: east.replicate_key(KeyId=single, ReplicaRegion=WEST), "UnsupportedOperationException"),
        (lambda: east.replicate_key(KeyId=mrk, ReplicaRegion=WEST), "AlreadyExistsException"),
        (lambda: east.replicate_key(KeyId=mrk, ReplicaRegion=EAST), "AlreadyExistsException"),
        (lambda: east.replicate_key(KeyId=f"alias/{harness.unique('x')}", ReplicaRegion=OREGON), "NotFoundException"),
        (lambda: east.replicate_key(KeyId=mrk, ReplicaRegion=OREGON, Policy="not json"),
         "MalformedPolicyDocumentException"),
        (lambda: east.update_primary_region(KeyId=mrk, PrimaryRegion=OREGON), "NotFoundException"),
        (lambda: east.update_primary_region(KeyId=single, PrimaryRegion=WEST), "UnsupportedOperationException"),
        (lambda: clients[WEST].update_primary_region(KeyId=mrk, PrimaryRegion=EAST), "UnsupportedOperationException"),
    ]
    for call, expected in cases:
        assert error_code(call) == expected
    with pytest.raises(ClientError) as e:
        east_nv.replicate_key(KeyId=mrk, ReplicaRegion="eu_west_1")
    message = harness.assert_client_error(e, "ValidationException")
    assert message == ("1 validation error detected: Value 'eu_west_1' at 'replicaRegion' failed to satisfy "
                       r"constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\d+$")
    with pytest.raises(ClientError) as e:
        east_nv.update_primary_region(KeyId=mrk)
    harness.assert_client_error(e, "ValidationException")
    config = east.describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY" and [r["Region"] for r in config["ReplicaKeys"]] == [WEST]
    assert error_code(lambda: clients[OREGON].describe_key(KeyId=mrk)) == "NotFoundException"


def test_the_set_outlives_a_restart(start_daemon):
    d = start_daemon()
    east = d.client(region=EAST)
    key = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    east.replicate_key(KeyId=key, ReplicaRegion=WEST)
    east.rotate_key_on_demand(KeyId=key)
    blob = east.encrypt(KeyId=key, Plaintext=b"kept")["CiphertextBlob"]
    d.terminate(timeout=10)
    d.start()
    west = d.client(region=WEST)
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    config = west.describe_key(KeyId=key)["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "REPLICA" and config["PrimaryKey"]["Region"] == EAST
    assert len(west.list_key_rotations(KeyId=key)["Rotations"]) == 1


def test_fixtures_seed_a_multi_region_key_with_its_replicas(spawn, tmp_path):
    material = base64.b64encode(bytes(range(32))).decode()
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"""
keys:
  - id: mrk-0b1e5e6f00004000800000000000000a
    aliases: [alias/global]
    material: {material}
    replicaRegions: [{WEST}]
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)])
    east, west = (d.client("AKIATESTINGMULTIREG1", "anything", region=r) for r in (EAST, WEST))
    meta = east.describe_key(KeyId="alias/global")["KeyMetadata"]
    assert meta["KeyId"] == "mrk-0b1e5e6f00004000800000000000000a"
    assert [r["Region"] for r in meta["MultiRegionConfiguration"]["ReplicaKeys"]] == [WEST]
    blob = east.encrypt(KeyId="alias/global", Plaintext=b"seeded")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"seeded"
    # The replica carries no alias of its own: aliases are per region.
    assert error_code(lambda: west.describe_key(KeyId="alias/global")) == "NotFoundException"


def test_a_fixture_with_replicas_but_a_single_region_id_is_refused(spawn, tmp_path):
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"""
keys:
  - id: 0b1e5e6f-0000-4000-8000-00000000000b
    replicaRegions: [{WEST}]
""")
    d = spawn(ephemeral=True, extra_args=["--fixtures", str(fixtures)], start=False)
    with pytest.raises(harness.DaemonStartError) as failure:
        d.start()
    assert "replicaRegions needs a multi-Region key" in str(failure.value)
