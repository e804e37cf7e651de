"""Secrets Manager resource policies (Put/Get/Delete/ValidateResourcePolicy): an account a policy's
Allow names reads the secret by its full ARN, in the same region, with the actions it grants; a Deny
binds every caller, the owner's own included; a malformed or (with BlockPublicPolicy) public policy is
refused and changes nothing."""

from __future__ import annotations

import json

import pytest

import harness

refusal = harness.refusal

OWNER, CONSUMER, STRANGER = harness.ACCOUNT, "111122223333", "444455556666"
error_code = harness.error_code


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secret-sharing")
    daemon, secrets = harness.accounts_daemon(tmp, [
        ("owner", "AKIASECRETSOWNER0001", None), ("consumer", "AKIASECRETSCONSUMR01", CONSUMER),
        ("stranger", "AKIASECRETSSTRANGR01", STRANGER)])
    yield daemon, secrets
    daemon.terminate(timeout=10)


def clients(accounts):
    daemon, secrets = accounts
    return tuple(daemon.client(*secrets[n], service="secretsmanager") for n in ("owner", "consumer", "stranger"))


def statement(effect: str, principal, *actions: str) -> dict:
    return {"Effect": effect, "Principal": principal, "Action": list(actions), "Resource": "*"}


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_policy_shares_a_secret_with_the_accounts_it_names(accounts):
    owner, consumer, stranger = clients(accounts)
    created = owner.create_secret(Name=harness.unique("shared"), SecretString="shared-value")
    arn = created["ARN"]
    assert error_code(lambda: consumer.get_secret_value(SecretId=arn)) == "ResourceNotFoundException"
    assert "ResourcePolicy" not in owner.get_resource_policy(SecretId=arn)
    policy = document(statement("Allow", {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                                "secretsmanager:GetSecretValue", "secretsmanager:Describe*"))
    put = owner.put_resource_policy(SecretId=arn, ResourcePolicy=policy, BlockPublicPolicy=True)
    assert (put["ARN"], put["Name"]) == (arn, created["Name"])
    assert owner.get_resource_policy(SecretId=created["Name"])["ResourcePolicy"] == policy
    assert consumer.get_secret_value(SecretId=arn)["SecretString"] == "shared-value"
    assert consumer.describe_secret(SecretId=arn)["ARN"] == arn
    # Only by the full ARN, only the granted actions, only the named account.
    assert error_code(lambda: consumer.get_secret_value(SecretId=created["Name"])) == "ResourceNotFoundException"
    assert error_code(lambda: consumer.get_secret_value(SecretId=arn[:-7])) == "ResourceNotFoundException"
    assert error_code(lambda: consumer.put_secret_value(SecretId=arn, SecretString="x")) \
        == "ResourceNotFoundException"
    assert error_code(lambda: stranger.get_secret_value(SecretId=arn)) == "ResourceNotFoundException"
    assert owner.get_secret_value(SecretId=arn)["VersionStages"] == ["AWSCURRENT"]
    owner.delete_resource_policy(SecretId=arn)
    assert "ResourcePolicy" not in owner.get_resource_policy(SecretId=arn)
    assert error_code(lambda: consumer.get_secret_value(SecretId=arn)) == "ResourceNotFoundException"


def test_a_deny_binds_the_owner_too(accounts):
    owner, consumer, _ = clients(accounts)
    name = harness.unique("denied")
    arn = owner.create_secret(Name=name, SecretString="v")["ARN"]
    owner.put_resource_policy(SecretId=name, ResourcePolicy=document(
        statement("Allow", {"AWS": CONSUMER}, "secretsmanager:*"),
        statement("Deny", {"AWS": [OWNER, CONSUMER]}, "secretsmanager:PutSecretValue")))
    for client in (owner, consumer):
        code, message = refusal(lambda: client.put_secret_value(SecretId=arn, SecretString="changed"))
        assert code == "AccessDeniedException" and "resource policy denies" in message
    assert consumer.get_secret_value(SecretId=arn)["SecretString"] == "v"
    assert owner.get_secret_value(SecretId=arn)["SecretString"] == "v"
    # An Allow with a Condition grants nothing here, since Sealbox does not evaluate conditions.
    conditional = dict(statement("Allow", {"AWS": STRANGER}, "secretsmanager:GetSecretValue"),
                       Condition={"StringEquals": {"aws:PrincipalTag/team": "a"}})
    owner.put_resource_policy(SecretId=name, ResourcePolicy=document(conditional))
    _, _, stranger = clients(accounts)
    assert error_code(lambda: stranger.get_secret_value(SecretId=arn)) == "ResourceNotFoundException"


def test_bad_and_public_policies_are_refused_and_change_nothing(accounts):
    owner, _, _ = clients(accounts)
    name = harness.unique("guarded")
    owner.create_secret(Name=name, SecretString="v")
    good = document(statement("Allow", {"AWS": CONSUMER}, "secretsmanager:GetSecretValue"))
    owner.put_resource_policy(SecretId=name, ResourcePolicy=good)
    for bad in ("{not json", "[]", json.dumps({"Statement": []}),
                document({"Effect": "Maybe", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}),
                document({"Effect": "Allow", "Principal": {"AWS": CONSUMER}, "Resource": "*"}),
                document(statement("Allow", {"AWS": "someone"}, "secretsmanager:GetSecretValue")),
                document(statement("Allow", {"AWS": CONSUMER}, "s3:GetObject")),
                document(dict(statement("Allow", {"AWS": CONSUMER}, "secretsmanager:*"), NotAction="x"))):
        assert error_code(lambda: owner.put_resource_policy(SecretId=name, ResourcePolicy=bad)) \
            == "MalformedPolicyDocumentException", bad
    public = document(statement("Allow", "*", "secretsmanager:GetSecretValue"))
    code, message = refusal(lambda: owner.put_resource_policy(
        SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True))
    assert (code, message) == ("PublicPolicyException",
                               "This resource policy contains a statement that grants public access.")
    assert owner.get_resource_policy(SecretId=name)["ResourcePolicy"] == good


def test_validate_resource_policy_lists_what_is_wrong(accounts):
    owner, _, _ = clients(accounts)
    good = document(statement("Allow", {"AWS": CONSUMER}, "secretsmanager:GetSecretValue"))
    checked = owner.validate_resource_policy(ResourcePolicy=good)
    assert (checked["PolicyValidationPassed"], checked["ValidationErrors"]) == (True, [])
    bad = document({"Effect": "Maybe", "Principal": {"AWS": CONSUMER}, "Resource": "*"})
    checked = owner.validate_resource_policy(ResourcePolicy=bad)
    assert checked["PolicyValidationPassed"] is False
    messages = [e["ErrorMessage"] for e in checked["ValidationErrors"]]
    assert messages == ["Statement 1: Effect must be Allow or Deny.",
                        "Statement 1: Action must name one or more actions."]
    assert error_code(lambda: owner.validate_resource_policy(ResourcePolicy="{oops")) \
        == "MalformedPolicyDocumentException"
    assert error_code(lambda: owner.validate_resource_policy(SecretId="no-such-secret", ResourcePolicy=good)) \
        == "ResourceNotFoundException"


def test_the_aws_cli_puts_and_reads_a_policy(accounts):
    daemon, secrets = accounts
    owner = clients(accounts)[0]
    name = harness.unique("cli")
    owner.create_secret(Name=name, SecretString="v")
    policy = document(statement("Allow", {"AWS": CONSUMER}, "secretsmanager:GetSecretValue"))
    ak, sk = secrets["owner"]
    put = harness.aws_cli(daemon.endpoint, ak, sk, "secretsmanager", "put-resource-policy", "--secret-id", name,
                          "--resource-policy", policy, "--block-public-policy")
    assert put.returncode == 0, put.stderr
    got = harness.aws_cli(daemon.endpoint, ak, sk, "secretsmanager", "get-resource-policy", "--secret-id", name)
    assert got.returncode == 0, got.stderr
    assert json.loads(json.loads(got.stdout)["ResourcePolicy"]) == json.loads(policy)
