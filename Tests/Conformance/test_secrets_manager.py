"""Secrets Manager (first operations): CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret,
ListSecrets, DeleteSecret and RestoreSecret through boto3 and the AWS CLI. Versions move their
staging labels as AWS moves them, ClientRequestToken is idempotent, a deletion waits out its recovery
window unless forced, and values are sealed under the secret's KMS key with AWS's encryption context."""

from __future__ import annotations

import base64
import json
import re
import socket
import uuid

import pytest

import harness

refusal = harness.refusal

error_code = harness.error_code
ARN_RE = re.compile(r"^arn:aws:secretsmanager:us-east-1:123456789012:secret:(.+)-[A-Za-z0-9]{6}$")


@pytest.fixture(scope="module")
def sm(daemon, creds):
    return daemon.client(*creds, service="secretsmanager")


def unique(prefix: str = "app") -> str:
    return f"{prefix}/{uuid.uuid4().hex}"


def test_a_secret_is_created_and_read_by_name_and_arn(sm):
    name = unique()
    created = sm.create_secret(Name=name, SecretString='{"password":"s3cr3t"}', Description="db",
                               Tags=[{"Key": "team", "Value": "a"}])
    assert ARN_RE.match(created["ARN"]).group(1) == name
    assert created["Name"] == name and uuid.UUID(created["VersionId"])
    for secret_id in (name, created["ARN"], created["ARN"][:-7]):
        got = sm.get_secret_value(SecretId=secret_id)
        assert (got["ARN"], got["Name"], got["SecretString"], got["VersionId"], got["VersionStages"]) == (
            created["ARN"], name, '{"password":"s3cr3t"}', created["VersionId"], ["AWSCURRENT"])
    described = sm.describe_secret(SecretId=name)
    assert (described["Description"], described["Tags"], described["VersionIdsToStages"]) == (
        "db", [{"Key": "team", "Value": "a"}], {created["VersionId"]: ["AWSCURRENT"]})
    assert "KmsKeyId" not in described and "DeletedDate" not in described
    # Another secret's suffix, or another account's ARN, names nothing.
    other = created["ARN"][:-6] + "zzzzzz"
    assert error_code(lambda: sm.get_secret_value(SecretId=other)) == "ResourceNotFoundException"
    assert error_code(lambda: sm.get_secret_value(SecretId=created["ARN"].replace("123456789012", "111122223333"))) \
        == "ResourceNotFoundException"


def test_a_binary_secret_round_trips(sm):
    name = unique()
    blob = bytes(range(256))
    sm.create_secret(Name=name, SecretBinary=blob)
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == blob and "SecretString" not in got
    # The largest value AWS takes, 64 KiB, fits though its base64 is over the daemon's usual body limit.
    largest = bytes(i % 251 for i in range(65536))
    sm.put_secret_value(SecretId=name, SecretBinary=largest)
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == largest
    sm.put_secret_value(SecretId=name, SecretString="s" * 65536)
    assert len(sm.get_secret_value(SecretId=name)["SecretString"]) == 65536


def test_the_largest_values_fit_however_boto3_escapes_them(daemon, creds, sm):
    # boto3 sends non-ASCII text as JSON \u escapes: six bytes a character on the wire.
    name = unique()
    for value in ("\u00e9" * 32768, "\x01" * 65536, "\U0001F512" * 16384):
        sm.create_secret(Name=f"{name}/{len(value)}", SecretString=value,
                         Tags=[{"Key": f"k{i}", "Value": "\u00e9" * 256} for i in range(50)])
        assert sm.get_secret_value(SecretId=f"{name}/{len(value)}")["SecretString"] == value
    # Past the Secrets Manager body limit: 413 as soon as the length is announced.
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.CreateSecret\r\n"
                     b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n" % (512 * 1024 + 1))
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert b"RequestEntityTooLargeException" in answer


def test_versions_move_their_staging_labels(sm):
    name = unique()
    first = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="v2")
    assert second["VersionStages"] == ["AWSCURRENT"]
    third = sm.put_secret_value(SecretId=name, SecretString="v3")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {third: ["AWSCURRENT"], second["VersionId"]: ["AWSPREVIOUS"]}
    assert first not in stages
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId=name, VersionId=first)["SecretString"] == "v1"
    pending = sm.put_secret_value(SecretId=name, SecretString="v4", VersionStages=["AWSPENDING", "blue"])
    assert sorted(pending["VersionStages"]) == ["AWSPENDING", "blue"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v3"
    assert sm.get_secret_value(SecretId=name, VersionStage="blue")["SecretString"] == "v4"
    code, message = refusal(lambda: sm.get_secret_value(SecretId=name, VersionStage="green"))
    assert (code, message) == ("ResourceNotFoundException",
                               "Secrets Manager can't find the specified secret value for staging label: green")
    assert error_code(lambda: sm.get_secret_value(SecretId=name, VersionId=first, VersionStage="AWSCURRENT")) == \
        "ResourceNotFoundException"


def test_a_client_request_token_is_idempotent(sm):
    name = unique()
    token = str(uuid.uuid4())
    sm.create_secret(Name=name, SecretString="v1")
    once = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="v2", ClientRequestToken=token)
    assert once["VersionId"] == again["VersionId"] == token
    assert len(sm.describe_secret(SecretId=name)["VersionIdsToStages"]) == 2
    assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretString="other", ClientRequestToken=token)) == \
        "ResourceExistsException"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    # A create retried with its token and value answers as the first call did.
    create_token = str(uuid.uuid4())
    made = sm.create_secret(Name=unique(), SecretString="x", ClientRequestToken=create_token)
    assert sm.create_secret(Name=made["Name"], SecretString="x", ClientRequestToken=create_token)["ARN"] == made["ARN"]
    assert error_code(lambda: sm.create_secret(Name=made["Name"], SecretString="y")) == "ResourceExistsException"


def test_deletion_waits_out_its_recovery_window_unless_forced(sm):
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deleted["ARN"] == arn
    code, message = refusal(lambda: sm.get_secret_value(SecretId=name))
    assert (code, message) == (
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.")
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    listed = lambda **kw: {s["Name"] for page in sm.get_paginator("list_secrets").paginate(**kw)
                           for s in page["SecretList"]}
    assert name not in listed() and name in listed(IncludePlannedDeletion=True)
    assert error_code(lambda: sm.create_secret(Name=name, SecretString="again")) == "InvalidRequestException"
    restored = sm.restore_secret(SecretId=arn)
    assert (restored["ARN"], restored["Name"]) == (arn, name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    forced = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert forced["Name"] == name
    assert error_code(lambda: sm.describe_secret(SecretId=name)) == "ResourceNotFoundException"
    assert sm.create_secret(Name=name, SecretString="new")["ARN"] != arn


@pytest.mark.parametrize("kwargs, code", [
    ({"RecoveryWindowInDays": 6}, "InvalidParameterException"),
    ({"RecoveryWindowInDays": 31}, "InvalidParameterException"),
    ({"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True}, "InvalidParameterException"),
])
def test_a_bad_deletion_changes_nothing(sm, kwargs, code):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    assert error_code(lambda: sm.delete_secret(SecretId=name, **kwargs)) == code
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_bad_input_gets_awss_error_and_changes_nothing(daemon, creds, sm):
    name = unique()
    assert error_code(lambda: sm.create_secret(Name=name, SecretString="a" * 65537)) == "ValidationException"
    assert error_code(lambda: sm.create_secret(Name=name, SecretString="a", SecretBinary=b"b")) == \
        "InvalidParameterException"
    assert error_code(lambda: sm.create_secret(Name=name + " space", SecretString="a")) == "InvalidParameterException"
    assert error_code(lambda: sm.describe_secret(SecretId=name)) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="kept")
    assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretBinary=b"x" * 65537)) == "ValidationException"
    # botocore checks the model's lengths itself: a raw signed request shows the daemon's answer.
    short = harness.tcp_request(daemon.port, "secretsmanager.GetSecretValue",
                                json.dumps({"SecretId": name, "VersionId": "short"}).encode(), creds=creds,
                                service="secretsmanager")
    assert short.status == 400 and short.json()["__type"].endswith("ValidationException"), short
    assert error_code(lambda: sm.get_secret_value(SecretId=name, VersionId="x" * 40)) == "ResourceNotFoundException"
    unknown = harness.tcp_request(daemon.port, "secretsmanager.NoSuchOperation", b"{}", creds=creds,
                                  service="secretsmanager")
    assert unknown.status == 400 and unknown.json()["__type"].endswith("UnknownOperationException"), unknown
    malformed = harness.tcp_request(daemon.port, "secretsmanager.CreateSecret", b'{"Name": ', creds=creds,
                                    service="secretsmanager")
    assert malformed.status == 400 and malformed.json()["__type"].endswith("SerializationException"), malformed
    # The limit counts bytes: 32,769 two-byte characters are 65,538 bytes.
    assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretString="\u00e9" * 32769)) \
        == "ValidationException"
    assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretString="a" * 65537)) == "ValidationException"
    assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretString="a", SecretBinary=b"b")) \
        == "InvalidParameterException"
    assert error_code(lambda: sm.get_secret_value(SecretId=name, VersionStage="NOSUCHSTAGE")) \
        == "ResourceNotFoundException"
    # A version id that names no version (any 32-64 characters, UUID or not) moves nothing.
    for version in ("x" * 40, str(uuid.uuid4())):
        assert error_code(lambda: sm.update_secret_version_stage(
            SecretId=name, VersionStage="CUSTOM", MoveToVersionId=version)) == "ResourceNotFoundException"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "kept"
    assert len(sm.describe_secret(SecretId=name)["VersionIdsToStages"]) == 1
    assert list(sm.describe_secret(SecretId=name)["VersionIdsToStages"].values()) == [["AWSCURRENT"]]


def test_list_filters_sorts_and_pages(sm):
    prefix = unique("list")
    names = [f"{prefix}/{i}" for i in range(5)]
    for i, name in enumerate(names):
        sm.create_secret(Name=name, SecretString="v", Description=f"desc {i}",
                         Tags=[{"Key": "parity", "Value": "even" if i % 2 == 0 else "odd"}])
    by_name = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}])["SecretList"]]
    assert by_name == names
    desc = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}],
                                               SortOrder="desc")["SecretList"]]
    assert desc == names[::-1]
    odd = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]},
                                                       {"Key": "tag-value", "Values": ["odd"]}])["SecretList"]]
    assert odd == [names[1], names[3]]
    not_odd = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]},
                                                           {"Key": "tag-value", "Values": ["!odd"]}])["SecretList"]]
    assert not_odd == [names[0], names[2], names[4]]
    paged, token = [], None
    while True:
        kwargs = {"Filters": [{"Key": "name", "Values": [prefix]}], "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = sm.list_secrets(**kwargs)
        paged += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == names
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": [names[0]]}])["SecretList"][0]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]


def test_values_are_sealed_under_the_secrets_key_with_its_context(daemon, creds, sm):
    kms = daemon.client(*creds)
    key = kms.create_key(Description="secrets")["KeyMetadata"]["Arn"]
    name = unique()
    made = sm.create_secret(Name=name, SecretString="under my key", KmsKeyId=key)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "under my key"
    kms.disable_key(KeyId=key)
    try:
        assert error_code(lambda: sm.get_secret_value(SecretId=name)) == "DecryptionFailure"
        assert error_code(lambda: sm.put_secret_value(SecretId=name, SecretString="x")) == "EncryptionFailure"
    finally:
        kms.enable_key(KeyId=key)
    assert sm.get_secret_value(SecretId=made["ARN"])["SecretString"] == "under my key"
    # The default key is the account's alias/aws/secretsmanager, made on first use.
    sm.create_secret(Name=unique(), SecretString="default")
    assert kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyManager"] == "AWS"


def test_secrets_belong_to_a_region(daemon, creds, sm):
    west = daemon.client(*creds, service="secretsmanager", region="eu-west-1")
    name = unique()
    arn = west.create_secret(Name=name, SecretString="west")["ARN"]
    assert arn.startswith("arn:aws:secretsmanager:eu-west-1:")
    assert error_code(lambda: sm.get_secret_value(SecretId=name)) == "ResourceNotFoundException"
    assert west.get_secret_value(SecretId=arn)["SecretString"] == "west"


def test_the_cli_creates_and_reads_a_secret(aws):
    name = unique("cli")
    out = aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "from-the-cli",
              "--output", "json")
    arn = json.loads(out.stdout)["ARN"]
    got = json.loads(aws("secretsmanager", "get-secret-value", "--secret-id", arn, "--output", "json").stdout)
    assert got["SecretString"] == "from-the-cli"
    aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    missing = aws("secretsmanager", "describe-secret", "--secret-id", name, check=False)
    assert missing.returncode != 0 and b"ResourceNotFoundException" in missing.stderr


def test_the_cli_drives_every_other_operation(aws, tmp_path):
    def run(*args: str) -> dict:
        out = aws("secretsmanager", *args, "--output", "json").stdout
        return json.loads(out) if out.strip() else {}

    name = unique("cli-all")
    first = run("create-secret", "--name", name, "--secret-string", "one")["VersionId"]
    # A value from a file, as the CLI's docs recommend, so it is not in argv.
    (tmp_path / "value.txt").write_text("two")
    second = run("put-secret-value", "--secret-id", name, "--secret-string", f"file://{tmp_path / 'value.txt'}")
    assert run("get-secret-value", "--secret-id", name)["SecretString"] == "two"
    run("update-secret", "--secret-id", name, "--description", "from the cli")
    run("tag-resource", "--secret-id", name, "--tags", "Key=team,Value=a", "Key=tier,Value=b")
    run("untag-resource", "--secret-id", name, "--tag-keys", "tier")
    described = run("describe-secret", "--secret-id", name)
    assert (described["Description"], described["Tags"]) == ("from the cli", [{"Key": "team", "Value": "a"}])
    run("update-secret-version-stage", "--secret-id", name, "--version-stage", "CUSTOM",
        "--move-to-version-id", first)
    versions = run("list-secret-version-ids", "--secret-id", name)["Versions"]
    assert {v["VersionId"]: sorted(v["VersionStages"]) for v in versions} == {
        first: ["AWSPREVIOUS", "CUSTOM"], second["VersionId"]: ["AWSCURRENT"]}
    assert [s["Name"] for s in run("list-secrets", "--filters", f"Key=name,Values={name}")["SecretList"]] == [name]
    batch = run("batch-get-secret-value", "--secret-id-list", name)["SecretValues"]
    assert [(b["Name"], b["SecretString"]) for b in batch] == [(name, "two")]
    assert len(run("get-random-password", "--password-length", "20")["RandomPassword"]) == 20
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "secretsmanager:*", "Resource": "*"}]})
    assert run("validate-resource-policy", "--resource-policy", policy)["PolicyValidationPassed"] is True
    run("put-resource-policy", "--secret-id", name, "--resource-policy", policy)
    run("delete-resource-policy", "--secret-id", name)
    assert "ResourcePolicy" not in run("get-resource-policy", "--secret-id", name)
    run("replicate-secret-to-regions", "--secret-id", name, "--add-replica-regions", "Region=eu-west-1")
    assert run("remove-regions-from-replication", "--secret-id", name,
               "--remove-replica-regions", "eu-west-1")["ReplicationStatus"] == []
    missing = aws("secretsmanager", "cancel-rotate-secret", "--secret-id", name, check=False)
    assert missing.returncode != 0 and b"InvalidRequestException" in missing.stderr
    assert "DeletionDate" in run("delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
    run("restore-secret", "--secret-id", name)
    assert run("get-secret-value", "--secret-id", name)["SecretString"] == "two"


def test_no_file_in_the_data_dir_holds_a_value(spawn, tmp_path):
    d = spawn()
    sm = d.client(service="secretsmanager")
    marker = "never-on-disk-" + uuid.uuid4().hex
    name = unique()
    sm.create_secret(Name=name, SecretString=marker)
    sm.put_secret_value(SecretId=name, SecretString=marker + "-2")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    d.terminate(timeout=10)
    for path in d.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert marker.encode() not in data, path
            assert base64.b64encode(marker.encode()) not in data, path


def test_an_ephemeral_reset_removes_every_secret(spawn):
    d = spawn(ephemeral=True)
    sm = d.client("AKIATESTINGSECRETS01", "anything", service="secretsmanager")
    sm.create_secret(Name="to/reset", SecretString="v")
    with harness.UnixHTTP(d.socket_path) as conn:
        assert conn.request("POST", "/moto-api/reset").status == 200
    assert sm.list_secrets()["SecretList"] == []
    assert error_code(lambda: sm.get_secret_value(SecretId="to/reset")) == "ResourceNotFoundException"


EXTENSION_KEYS = ["ARN", "CreatedDate", "Name", "SecretBinary", "SecretString", "VersionId", "VersionStages",
                  "ResultMetadata"]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def extension_path(**query) -> str:
    import urllib.parse
    return "/secretsmanager/get?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


def test_the_lambda_extension_route_answers_in_the_extensions_form(daemon, sm, sock):
    name = unique()
    made = sm.create_secret(Name=name, SecretString='{"user":"app","password":"p1"}')
    sm.put_secret_value(SecretId=name, SecretString='{"user":"app","password":"p2"}')
    response = sock.request("GET", extension_path(secretId=name))
    assert response.status == 200, response
    body = response.json()
    assert list(body) == EXTENSION_KEYS
    assert (body["ARN"], body["Name"], body["SecretString"], body["SecretBinary"], body["VersionStages"],
            body["ResultMetadata"]) == (made["ARN"], name, '{"user":"app","password":"p2"}', None, ["AWSCURRENT"], {})
    assert ISO_MS.match(body["CreatedDate"]), body["CreatedDate"]
    previous = sock.request("GET", extension_path(secretId=made["ARN"], versionStage="AWSPREVIOUS")).json()
    assert previous["SecretString"] == '{"user":"app","password":"p1"}'
    by_id = sock.request("GET", extension_path(secretId=name, versionId=made["VersionId"])).json()
    assert by_id["VersionId"] == made["VersionId"]
    binary = unique()
    sm.create_secret(Name=binary, SecretBinary=b"\x00\x01binary")
    got = sock.request("GET", extension_path(secretId=binary)).json()
    assert (got["SecretString"], base64.b64decode(got["SecretBinary"])) == (None, b"\x00\x01binary")
    missing = sock.request("GET", extension_path(secretId=unique()))
    assert missing.status == 400 and missing.json()["__type"].endswith("ResourceNotFoundException")
    assert sock.request("GET", "/secretsmanager/get").status == 400


def test_the_extension_route_on_tcp_takes_the_token(daemon, sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="over-tcp")
    token = (daemon.data_dir / "token").read_text().strip()
    path = extension_path(secretId=name)
    no_token = harness.tcp_request(daemon.port, None, b"", method="GET", path=path)
    assert no_token.status == 401
    wrong = harness.tcp_request(daemon.port, None, b"", method="GET", path=path,
                                extra_headers={"X-Aws-Parameters-Secrets-Token": "not-the-token"})
    assert wrong.status in (401, 403)
    ok = harness.tcp_request(daemon.port, None, b"", method="GET", path=path,
                             extra_headers={"X-Aws-Parameters-Secrets-Token": token})
    assert ok.status == 200 and ok.json()["SecretString"] == "over-tcp"


def test_staging_labels_move_by_hand_and_versions_are_listed(sm):
    name = unique()
    first = sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="v2", VersionStages=["AWSPENDING"])["VersionId"]
    # AWSCURRENT moves only when the caller names the version it leaves.
    code, message = refusal(lambda: sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=second))
    assert code == "InvalidParameterException" and first in message
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=second,
                                   RemoveFromVersionId=first)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(stages[second]) == ["AWSCURRENT", "AWSPENDING"] and stages[first] == ["AWSPREVIOUS"]
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=second)
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"][second] == ["AWSCURRENT"]
    assert error_code(lambda: sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=second)) == "InvalidParameterException"
    assert error_code(lambda: sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=str(uuid.uuid4()), RemoveFromVersionId=second)) \
        == "ResourceNotFoundException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPREVIOUS", RemoveFromVersionId=first)
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in listed] == [second]
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert [(v["VersionId"], v["VersionStages"]) for v in everything] == [(first, []), (second, ["AWSCURRENT"])]


def test_update_secret_and_tags(daemon, creds, sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v1", Tags=[{"Key": "a", "Value": "1"}])
    updated = sm.update_secret(SecretId=name, Description="new description", SecretString="v2")
    assert uuid.UUID(updated["VersionId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert sm.describe_secret(SecretId=name)["Description"] == "new description"
    assert "VersionId" not in sm.update_secret(SecretId=name, Description="only the description")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    sm.untag_resource(SecretId=name, TagKeys=["b"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "a", "Value": "2"}]
    assert error_code(lambda: sm.tag_resource(SecretId=name, Tags=[{"Key": f"k{i}", "Value": "v"}
                                                                  for i in range(51)])) == "LimitExceededException"


def test_random_passwords_follow_their_rules(sm):
    plain = sm.get_random_password()["RandomPassword"]
    assert len(plain) == 32
    assert any(c.islower() for c in plain) and any(c.isupper() for c in plain) and any(c.isdigit() for c in plain)
    digits = sm.get_random_password(PasswordLength=64, ExcludeLowercase=True, ExcludeUppercase=True,
                                    ExcludePunctuation=True, ExcludeCharacters="01")["RandomPassword"]
    assert len(digits) == 64 and set(digits) <= set("23456789")
    assert len({sm.get_random_password()["RandomPassword"] for _ in range(5)}) == 5
    assert error_code(lambda: sm.get_random_password(
        ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True)) == \
        "InvalidParameterException"


def test_batch_get_reads_several_and_reports_each_failure(daemon, creds, sm):
    prefix = unique("batch")
    names = [f"{prefix}/{i}" for i in range(3)]
    for i, name in enumerate(names):
        sm.create_secret(Name=name, SecretString=f"value-{i}")
    missing = f"{prefix}/missing"
    got = sm.batch_get_secret_value(SecretIdList=names + [missing])
    assert sorted(v["SecretString"] for v in got["SecretValues"]) == ["value-0", "value-1", "value-2"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in got["Errors"]] == [(missing, "ResourceNotFoundException")]
    by_filter = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}])
    assert [v["Name"] for v in by_filter["SecretValues"]] == names
    assert error_code(lambda: sm.batch_get_secret_value(
        SecretIdList=names, Filters=[{"Key": "name", "Values": [prefix]}])) == "InvalidParameterException"
    # Filters as ListSecrets takes them: a key of the model's list, 1-10 values (botocore checks the
    # enum itself, so a raw request shows the daemon's answer).
    for filters in ([{"Key": "colour", "Values": ["x"]}], [{"Key": "name", "Values": []}],
                    [{"Key": "name", "Values": ["x"]}] * 11):
        answer = harness.tcp_request(daemon.port, "secretsmanager.BatchGetSecretValue",
                                     json.dumps({"Filters": filters}).encode(), creds=creds,
                                     service="secretsmanager")
        assert answer.status == 400 and answer.json()["__type"].endswith("ValidationException"), (filters, answer)


def test_parameter_store_reads_a_secret_by_reference(daemon, creds, sm):
    ssm = daemon.client(*creds, service="ssm")
    name = unique()
    made = sm.create_secret(Name=name, SecretString='{"password":"p1"}')
    sm.put_secret_value(SecretId=name, SecretString='{"password":"p2"}')
    reference = f"/aws/reference/secretsmanager/{name}"
    got = ssm.get_parameter(Name=reference, WithDecryption=True)["Parameter"]
    assert (got["Name"], got["Type"], got["Value"], got["ARN"]) == (reference, "SecureString", '{"password":"p2"}',
                                                                     made["ARN"])
    source = json.loads(got["SourceResult"])
    assert (source["Name"], source["SecretString"], source["VersionStages"]) == (name, '{"password":"p2"}',
                                                                                 ["AWSCURRENT"])
    previous = ssm.get_parameter(Name=f"{reference}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert (previous["Value"], previous["Selector"]) == ('{"password":"p1"}', ":AWSPREVIOUS")
    code, message = refusal(lambda: ssm.get_parameter(Name=reference))
    assert (code, message) == ("ValidationException",
                               "WithDecryption flag must be True for retrieving a Secret Manager secret.")
    missing = f"/aws/reference/secretsmanager/{unique()}"
    assert error_code(lambda: ssm.get_parameter(Name=missing, WithDecryption=True)) == "ParameterNotFound"
    both = ssm.get_parameters(Names=[reference, missing], WithDecryption=True)
    assert [p["Value"] for p in both["Parameters"]] == ['{"password":"p2"}'] and both["InvalidParameters"] == [missing]


def test_the_extension_reads_a_secret_by_reference(sm, sock):
    import urllib.parse
    name = unique()
    made = sm.create_secret(Name=name, SecretString="via-extension")
    path = "/systemsmanager/parameters/get?" + urllib.parse.urlencode(
        {"name": f"/aws/reference/secretsmanager/{name}", "withDecryption": "true"}, quote_via=urllib.parse.quote)
    response = sock.request("GET", path)
    assert response.status == 200, response
    p = response.json()["Parameter"]
    assert list(p) == ["ARN", "DataType", "LastModifiedDate", "Name", "Selector", "SourceResult", "Type", "Value",
                       "Version"]
    assert (p["ARN"], p["Value"], p["Selector"]) == (made["ARN"], "via-extension", None)
    assert json.loads(p["SourceResult"])["SecretString"] == "via-extension"
    assert ISO_MS.match(p["LastModifiedDate"])


def test_an_update_whose_value_cannot_be_sealed_changes_nothing(daemon, creds, sm):
    kms = daemon.client(*creds)
    key = kms.create_key(Description="disabled for the test")["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=key)
    name = unique()
    sm.create_secret(Name=name, SecretString="v1", Description="before")
    assert error_code(lambda: sm.update_secret(SecretId=name, Description="after", KmsKeyId=key,
                                               SecretString="v2")) == "EncryptionFailure"
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "before" and "KmsKeyId" not in described
    assert len(described["VersionIdsToStages"]) == 1
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"
