"""Resource policies share an Advanced-tier parameter with other accounts (PutResourcePolicy,
GetResourcePolicies, DeleteResourcePolicy): an account the policy names reads the parameter by its
full ARN, in the same region, with the actions the policy grants; every other account finds nothing.
Each change needs the policy hash the writer read."""

from __future__ import annotations

import json
import subprocess

import pytest

import harness

OWNER, CONSUMER, STRANGER = harness.ACCOUNT, "111122223333", "444455556666"
error_code = harness.error_code


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sharing")
    daemon, secrets = harness.accounts_daemon(tmp, [
        ("owner", "AKIASHARINGOWNER0001", None), ("consumer", "AKIASHARINGCONSUMR01", CONSUMER),
        ("stranger", "AKIASHARINGSTRANGR01", STRANGER)])
    yield daemon, secrets
    daemon.terminate(timeout=10)


def clients(accounts, service="ssm"):
    daemon, secrets = accounts
    return tuple(daemon.client(*secrets[n], service=service) for n in ("owner", "consumer", "stranger"))


def document(arn: str, *actions: str, principal: str = f"arn:aws:iam::{CONSUMER}:root") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Share", "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": list(actions) or ["ssm:GetParameter", "ssm:GetParameters"], "Resource": arn}]})


def arn_of(name: str) -> str:
    return f"arn:aws:ssm:{harness.REGION}:{OWNER}:parameter{name}"


def test_a_shared_parameter_is_read_by_arn_from_the_accounts_it_names(accounts):
    owner, consumer, stranger = clients(accounts)
    name = "/shared/db/host"
    arn = arn_of(name)
    owner.put_parameter(Name=name, Value="db.internal", Type="String", Tier="Advanced")
    assert error_code(lambda: consumer.get_parameter(Name=arn)) == "ParameterNotFound"
    put = owner.put_resource_policy(ResourceArn=arn, Policy=document(arn))
    assert len(put["PolicyHash"]) == 64 and put["PolicyId"]
    listed = owner.get_resource_policies(ResourceArn=arn)["Policies"]
    assert [(p["PolicyId"], p["PolicyHash"], json.loads(p["Policy"])) for p in listed] == [
        (put["PolicyId"], put["PolicyHash"], json.loads(document(arn)))]

    got = consumer.get_parameter(Name=arn)["Parameter"]
    assert (got["Name"], got["Value"], got["ARN"]) == (name, "db.internal", arn)
    assert [p["ARN"] for p in consumer.get_parameters(Names=[arn])["Parameters"]] == [arn]
    # By name it is the consumer's own account that is searched; history is not granted.
    assert error_code(lambda: consumer.get_parameter(Name=name)) == "ParameterNotFound"
    assert error_code(lambda: consumer.get_parameter_history(Name=arn)) == "ParameterNotFound"
    shared = consumer.describe_parameters(Shared=True)["Parameters"]
    assert [(p["Name"], p["ARN"]) for p in shared] == [(name, arn)]
    assert consumer.describe_parameters()["Parameters"] == []
    assert error_code(lambda: stranger.get_parameter(Name=arn)) == "ParameterNotFound"
    assert stranger.describe_parameters(Shared=True)["Parameters"] == []
    # Another region's ARN names nothing, shared or not.
    assert error_code(lambda: consumer.get_parameter(Name=arn.replace(harness.REGION, "eu-west-1"))) == \
        "ParameterNotFound"

    # A change needs the hash the writer read.
    assert error_code(lambda: owner.put_resource_policy(
        ResourceArn=arn, Policy=document(arn, "ssm:GetParameter", "ssm:GetParameterHistory"),
        PolicyId=put["PolicyId"], PolicyHash="0" * 64)) == "ResourcePolicyConflictException"
    changed = owner.put_resource_policy(
        ResourceArn=arn, Policy=document(arn, "ssm:GetParameter", "ssm:GetParameterHistory"),
        PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])
    assert changed["PolicyId"] == put["PolicyId"] and changed["PolicyHash"] != put["PolicyHash"]
    assert [h["Value"] for h in consumer.get_parameter_history(Name=arn)["Parameters"]] == ["db.internal"]
    assert consumer.get_parameters(Names=[arn])["InvalidParameters"] == [arn]

    assert error_code(lambda: owner.delete_resource_policy(
        ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])) == "ResourcePolicyConflictException"
    owner.delete_resource_policy(ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=changed["PolicyHash"])
    assert owner.get_resource_policies(ResourceArn=arn)["Policies"] == []
    assert error_code(lambda: consumer.get_parameter(Name=arn)) == "ParameterNotFound"
    assert error_code(lambda: owner.delete_resource_policy(
        ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=changed["PolicyHash"])) == \
        "ResourcePolicyNotFoundException"


def test_a_shared_securestring_opens_for_the_consumer(accounts):
    owner, consumer, _ = clients(accounts)
    kms_owner = clients(accounts, service="kms")[0]
    key = kms_owner.create_key(Description="shared parameters")["KeyMetadata"]["Arn"]
    name = "/shared/db/password"
    arn = arn_of(name)
    owner.put_parameter(Name=name, Value="s3cr3t", Type="SecureString", KeyId=key, Tier="Advanced")
    owner.put_resource_policy(ResourceArn=arn, Policy=document(arn, "ssm:GetParameter", principal=CONSUMER))
    got = consumer.get_parameter(Name=arn, WithDecryption=True)["Parameter"]
    assert (got["Value"], got["ARN"]) == ("s3cr3t", arn)


def test_what_cannot_be_shared_is_refused(accounts):
    owner, _, _ = clients(accounts)
    standard, default_key, advanced = "/shared/standard", "/shared/default-key", "/shared/advanced"
    owner.put_parameter(Name=standard, Value="v", Type="String")
    owner.put_parameter(Name=default_key, Value="v", Type="SecureString", Tier="Advanced")
    owner.put_parameter(Name=advanced, Value="v", Type="String", Tier="Advanced")
    for name in (standard, default_key):
        assert error_code(lambda: owner.put_resource_policy(
            ResourceArn=arn_of(name), Policy=document(arn_of(name)))) == "ResourcePolicyInvalidParameterException"
    arn = arn_of(advanced)
    malformed = [
        "not json",
        json.dumps({"Statement": []}),
        document(arn).replace('"Allow"', '"Deny"'),
        document(arn, "ssm:PutParameter"),
        document(arn_of("/shared/other")),
        document(arn, principal="arn:aws:iam::111122223333:role/app"),
    ]
    for policy in malformed:
        assert error_code(lambda: owner.put_resource_policy(ResourceArn=arn, Policy=policy)) == \
            "MalformedResourcePolicyDocumentException", policy
    assert owner.get_resource_policies(ResourceArn=arn)["Policies"] == []
    assert error_code(lambda: owner.put_resource_policy(
        ResourceArn=arn_of("/shared/missing"), Policy=document(arn_of("/shared/missing")))) == \
        "ResourceNotFoundException"
    assert error_code(lambda: owner.put_resource_policy(ResourceArn="/shared/advanced-name-not-arn",
                                                        Policy=document(arn))) == \
        "ResourcePolicyInvalidParameterException"
    assert error_code(lambda: owner.put_resource_policy(
        ResourceArn=arn.replace(OWNER, CONSUMER), Policy=document(arn))) == "ResourceNotFoundException"


def test_policies_outlive_a_restart_and_the_cli_reads_them(accounts, tmp_path):
    daemon, secrets = accounts
    owner, consumer, _ = clients(accounts)
    name = "/shared/kept"
    arn = arn_of(name)
    owner.put_parameter(Name=name, Value="kept", Type="String", Tier="Advanced")
    owner.put_resource_policy(ResourceArn=arn, Policy=document(arn))
    daemon.terminate(timeout=10)
    daemon.start(port=daemon.port)
    owner, consumer, _ = clients(accounts)
    assert consumer.get_parameter(Name=arn)["Parameter"]["Value"] == "kept"
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[owner]\naws_access_key_id = {secrets['owner'][0]}\n"
                           f"aws_secret_access_key = {secrets['owner'][1]}\n")
    env = harness.clean_env()
    env.update({"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_PAGER": ""})
    argv = harness.aws_argv() + ["--profile", "owner", "--region", harness.REGION, "--endpoint-url",
                                 daemon.endpoint, "ssm", "get-resource-policies", "--resource-arn", arn,
                                 "--output", "json"]
    out = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(json.loads(out.stdout)["Policies"][0]["Policy"]) == json.loads(document(arn))
