"""Secrets Manager replication across regions: a replica is a secret of its own region, with the
primary's name, ARN suffix, versions and labels, readable there and kept in step with every change
to its primary; it changes only through its primary until StopReplicationToReplica promotes it."""

from __future__ import annotations

import json

import pytest

import harness

refusal = harness.refusal

error_code = harness.error_code
PRIMARY, REPLICA, OTHER = "us-east-1", "eu-west-1", "ap-southeast-2"


@pytest.fixture(scope="module")
def regions(daemon, creds):
    return {region: daemon.client(*creds, service="secretsmanager", region=region)
            for region in (PRIMARY, REPLICA, OTHER)}


def stages(client, name):
    return {v: sorted(s) for v, s in client.describe_secret(SecretId=name)["VersionIdsToStages"].items()}


def test_a_replica_is_readable_in_its_region_and_kept_in_step(regions):
    primary, replica = regions[PRIMARY], regions[REPLICA]
    name = harness.unique("replicated")
    created = primary.create_secret(Name=name, SecretString="first", Description="db",
                                    AddReplicaRegions=[{"Region": REPLICA}])
    assert [(s["Region"], s["Status"], s["KmsKeyId"]) for s in created["ReplicationStatus"]] == [
        (REPLICA, "InSync", "alias/aws/secretsmanager")]
    replica_arn = created["ARN"].replace(f":{PRIMARY}:", f":{REPLICA}:")
    got = replica.get_secret_value(SecretId=name)
    assert (got["ARN"], got["SecretString"], got["VersionId"]) == (replica_arn, "first", created["VersionId"])
    assert replica.describe_secret(SecretId=replica_arn)["PrimaryRegion"] == PRIMARY
    assert "PrimaryRegion" not in primary.describe_secret(SecretId=name)
    # Every change to the primary reaches the replica.
    put = primary.put_secret_value(SecretId=name, SecretBinary=b"\x00second")
    primary.update_secret(SecretId=name, Description="database")
    primary.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "a"}])
    got = replica.get_secret_value(SecretId=name)
    assert (got["SecretBinary"], got["VersionId"]) == (b"\x00second", put["VersionId"])
    assert replica.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "first"
    assert stages(replica, name) == stages(primary, name)
    described = replica.describe_secret(SecretId=name)
    assert (described["Description"], described["Tags"]) == ("database", [{"Key": "team", "Value": "a"}])
    listed = replica.list_secrets(Filters=[{"Key": "primary-region", "Values": [PRIMARY]},
                                           {"Key": "name", "Values": [name]}])["SecretList"]
    assert [s["ARN"] for s in listed] == [replica_arn]
    # A replica changes only through its primary, and a primary with replicas is not deleted.
    for call in (lambda: replica.put_secret_value(SecretId=name, SecretString="x"),
                 lambda: replica.update_secret(SecretId=name, Description="x"),
                 lambda: replica.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)):
        code, message = refusal(call)
        assert code == "InvalidRequestException" and "replica" in message, message
    code, message = refusal(lambda: primary.delete_secret(SecretId=name))
    assert code == "InvalidRequestException" and REPLICA in message
    assert replica.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00second"


def test_replication_to_more_regions_and_its_removal(regions):
    primary, replica, other = regions[PRIMARY], regions[REPLICA], regions[OTHER]
    name = harness.unique("later")
    primary.create_secret(Name=name, SecretString="v1")
    # A secret of that name in the region is not overwritten unless asked.
    other.create_secret(Name=name, SecretString="someone else's")
    answer = primary.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[
        {"Region": REPLICA}, {"Region": OTHER}])
    assert [(s["Region"], s["Status"]) for s in answer["ReplicationStatus"]] == [
        (REPLICA, "InSync"), (OTHER, "Failed")]
    assert "already exists" in answer["ReplicationStatus"][1]["StatusMessage"]
    assert other.get_secret_value(SecretId=name)["SecretString"] == "someone else's"
    primary.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[OTHER])
    answer = primary.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": OTHER}],
                                                 ForceOverwriteReplicaSecret=True)
    assert [(s["Region"], s["Status"]) for s in answer["ReplicationStatus"]] == [
        (REPLICA, "InSync"), (OTHER, "InSync")]
    assert other.get_secret_value(SecretId=name)["SecretString"] == "v1"
    removed = primary.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=[REPLICA])
    assert [s["Region"] for s in removed["ReplicationStatus"]] == [OTHER]
    assert error_code(lambda: replica.get_secret_value(SecretId=name)) == "ResourceNotFoundException"
    for bad in ([{"Region": PRIMARY}], [{"Region": OTHER}], [{"Region": "Not A Region"}]):
        assert error_code(lambda: primary.replicate_secret_to_regions(
            SecretId=name, AddReplicaRegions=bad)) == "InvalidParameterException", bad
    assert error_code(lambda: primary.remove_regions_from_replication(
        SecretId=name, RemoveReplicaRegions=[REPLICA])) == "InvalidParameterException"


def test_a_replica_under_its_own_key_and_a_key_that_cannot_seal(daemon, creds, regions):
    primary, replica = regions[PRIMARY], regions[REPLICA]
    kms = daemon.client(*creds, service="kms", region=REPLICA)
    key = kms.create_key(Description="replica key")["KeyMetadata"]["KeyId"]
    name = harness.unique("keyed")
    primary.create_secret(Name=name, SecretString="v", AddReplicaRegions=[{"Region": REPLICA, "KmsKeyId": key}])
    assert replica.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert replica.get_secret_value(SecretId=name)["SecretString"] == "v"
    # A disabled key fails the replica's reads as in AWS, and marks the next replication Failed.
    kms.disable_key(KeyId=key)
    assert error_code(lambda: replica.get_secret_value(SecretId=name)) == "DecryptionFailure"
    primary.put_secret_value(SecretId=name, SecretString="v2")
    [status] = primary.describe_secret(SecretId=name)["ReplicationStatus"]
    assert status["Status"] == "Failed" and status["StatusMessage"].startswith("Replication failed")
    assert primary.get_secret_value(SecretId=name)["SecretString"] == "v2"
    kms.enable_key(KeyId=key)
    primary.put_secret_value(SecretId=name, SecretString="v3")
    assert primary.describe_secret(SecretId=name)["ReplicationStatus"][0]["Status"] == "InSync"
    assert replica.get_secret_value(SecretId=name)["SecretString"] == "v3"


def test_stop_replication_promotes_the_replica(regions, daemon, creds):
    primary, replica = regions[PRIMARY], regions[REPLICA]
    name = harness.unique("promoted")
    primary.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": REPLICA}])
    ak, sk = creds
    out = harness.aws_cli(daemon.endpoint, ak, sk, "secretsmanager", "stop-replication-to-replica",
                          "--secret-id", name, region=REPLICA)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ARN"].split(":")[3] == REPLICA
    assert "PrimaryRegion" not in replica.describe_secret(SecretId=name)
    assert "ReplicationStatus" not in primary.describe_secret(SecretId=name)
    primary.put_secret_value(SecretId=name, SecretString="primary only")
    replica.put_secret_value(SecretId=name, SecretString="its own now")
    assert replica.get_secret_value(SecretId=name)["SecretString"] == "its own now"
    assert primary.get_secret_value(SecretId=name)["SecretString"] == "primary only"
    assert error_code(lambda: primary.stop_replication_to_replica(SecretId=name)) == "InvalidRequestException"
    cli = harness.aws_cli(daemon.endpoint, ak, sk, "secretsmanager", "replicate-secret-to-regions", "--secret-id",
                          name, "--add-replica-regions", f"Region={OTHER}")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["ReplicationStatus"][0]["Status"] == "InSync"
