"""Key management through boto3: CreateKey, DescribeKey, ListKeys, key references,
Enable/Disable, description, tags, key policies."""

from __future__ import annotations

import datetime as dt
import json
import stat
import uuid

import pytest
from botocore.exceptions import ClientError

from harness import ACCOUNT, UUID_RE, alias_arn, assert_client_error, key_arn, unique


def test_credentials_file_written_with_mode_0600(daemon):
    st = daemon.credentials_file.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    ak, sk = daemon.credentials()
    assert ak and sk


def test_create_key_metadata(kms):
    desc = unique("desc")
    before = dt.datetime.now(dt.timezone.utc)
    resp = kms.create_key(Description=desc)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    md = resp["KeyMetadata"]
    assert UUID_RE.match(md["KeyId"]), f"KeyMetadata.KeyId should be the bare key id: {md['KeyId']!r}"
    assert md["Arn"] == key_arn(md["KeyId"])
    assert md["AWSAccountId"] == ACCOUNT
    assert md["Description"] == desc
    assert md["Enabled"] is True
    assert md["KeyState"] == "Enabled"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert "SYMMETRIC_DEFAULT" in md["EncryptionAlgorithms"]
    created = md["CreationDate"]
    assert isinstance(created, dt.datetime)
    assert abs((created - before).total_seconds()) < 300, created
    assert "DeletionDate" not in md


def test_create_key_ids_are_unique(kms):
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    assert a != b


def test_create_key_with_tags(kms):
    md = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "payments"}, {"TagKey": "env", "TagValue": ""}])[
        "KeyMetadata"]
    tags = kms.list_resource_tags(KeyId=md["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "payments", "env": ""}


def test_describe_key_matches_create(kms, key):
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    for field in ("KeyId", "Arn", "Description", "KeyState", "Enabled", "KeyUsage", "KeySpec", "AWSAccountId"):
        assert md[field] == key[field], field
    assert md["CreationDate"] == key["CreationDate"]


@pytest.mark.parametrize("ref_kind", ["id", "arn", "alias", "alias_arn"])
def test_key_references_for_describe_and_encrypt(kms, key, ref_kind):
    alias = "alias/" + unique("ref")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ref = {"id": key["KeyId"], "arn": key["Arn"], "alias": alias, "alias_arn": alias_arn(alias)}[ref_kind]
    md = kms.describe_key(KeyId=ref)["KeyMetadata"]
    assert md["KeyId"] == key["KeyId"]
    assert md["Arn"] == key_arn(key["KeyId"])
    enc = kms.encrypt(KeyId=ref, Plaintext=b"reference " + ref_kind.encode())
    assert enc["KeyId"] == key_arn(key["KeyId"]), "Encrypt must return KeyId as the key ARN"
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    assert dec["Plaintext"] == b"reference " + ref_kind.encode()
    assert dec["KeyId"] == key_arn(key["KeyId"])


def test_list_keys_entries(kms, key):
    found = None
    marker = None
    while True:
        kw = {"Limit": 1000}
        if marker:
            kw["Marker"] = marker
        page = kms.list_keys(**kw)
        for k in page["Keys"]:
            assert set(k) >= {"KeyId", "KeyArn"}, k
            assert k["KeyArn"] == key_arn(k["KeyId"])
            if k["KeyId"] == key["KeyId"]:
                found = k
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert found is not None, "created key missing from ListKeys"


def test_list_keys_paging(kms):
    mine = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)}
    seen: list[str] = []
    marker = None
    pages = 0
    limit = 5
    while True:
        kw = {"Limit": limit}
        if marker:
            kw["Marker"] = marker
        page = kms.list_keys(**kw)
        pages += 1
        assert len(page["Keys"]) <= limit, f"Limit {limit} returned {len(page['Keys'])} keys"
        seen.extend(k["KeyId"] for k in page["Keys"])
        if page["Truncated"]:
            assert len(page["Keys"]) == limit, "a truncated page must be full"
            assert page.get("NextMarker"), "Truncated=true without NextMarker"
            marker = page["NextMarker"]
        else:
            assert "NextMarker" not in page or not page["NextMarker"], "NextMarker on the last page"
            break
        assert pages < 5000, "paging does not terminate"
    assert len(seen) == len(set(seen)), "ListKeys paging returned duplicates"
    assert mine <= set(seen), f"keys missing from paged ListKeys: {mine - set(seen)}"
    assert pages >= 2
    total = kms.list_keys(Limit=1000)
    if not total["Truncated"]:
        assert len(total["Keys"]) == len(seen), "paged and unpaged listings differ in size"


def test_list_keys_default_limit_and_boto3_paginator(kms):
    mine = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)}
    pager = kms.get_paginator("list_keys")
    ids = [k["KeyId"] for p in pager.paginate(PaginationConfig={"PageSize": 40}) for k in p["Keys"]]
    assert len(ids) == len(set(ids))
    assert mine <= set(ids)
    first = kms.list_keys()
    assert len(first["Keys"]) <= 100


def test_disable_and_enable_key(kms, key):
    assert kms.disable_key(KeyId=key["KeyId"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Disabled" and md["Enabled"] is False
    with pytest.raises(ClientError) as ei:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert_client_error(ei, "DisabledException")
    kms.enable_key(KeyId=key["Arn"])
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Enabled" and md["Enabled"] is True
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]


def test_update_key_description(kms, key):
    new = unique("new description") + " with spaces & symbols: é"
    kms.update_key_description(KeyId=key["KeyId"], Description=new)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == new
    kms.update_key_description(KeyId=key["Arn"], Description="")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""


def test_tag_untag_list(kms, key):
    kid = key["KeyId"]
    assert kms.list_resource_tags(KeyId=kid)["Tags"] == []
    kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "a", "TagValue": "one"}, {"TagKey": "c", "TagValue": "3"}])
    resp = kms.list_resource_tags(KeyId=kid)
    assert {t["TagKey"]: t["TagValue"] for t in resp["Tags"]} == {"a": "one", "b": "2", "c": "3"}
    assert len(resp["Tags"]) == 3, "tag keys must be unique"
    assert resp["Truncated"] is False
    kms.untag_resource(KeyId=kid, TagKeys=["b", "c"])
    assert kms.list_resource_tags(KeyId=kid)["Tags"] == [{"TagKey": "a", "TagValue": "one"}]


def test_tag_unknown_key(kms):
    with pytest.raises(ClientError) as ei:
        kms.tag_resource(KeyId=str(uuid.uuid4()), Tags=[{"TagKey": "a", "TagValue": "1"}])
    assert_client_error(ei, "NotFoundException")


def test_key_policy_default(kms, key):
    resp = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    doc = json.loads(resp["Policy"])
    assert isinstance(doc, dict) and isinstance(doc.get("Statement"), list) and doc["Statement"], doc
    assert resp.get("PolicyName", "default") == "default"
    # PolicyName is optional in the current model and defaults to "default".
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == resp["Policy"]
    lp = kms.list_key_policies(KeyId=key["KeyId"])
    assert lp["PolicyNames"] == ["default"]
    assert lp["Truncated"] is False


def test_put_key_policy_round_trip(kms, key):
    policy = json.dumps({
        "Version": "2012-10-17",
        "Id": unique("policy"),
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }, indent=3)  # unusual whitespace: must come back byte for byte
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy)
    assert kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == policy
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]


def test_region_from_signing_scope(daemon, creds):
    eu = daemon.client(*creds, region="eu-west-1")
    md = eu.create_key()["KeyMetadata"]
    assert md["Arn"] == key_arn(md["KeyId"], region="eu-west-1")
    enc = eu.encrypt(KeyId=md["KeyId"], Plaintext=b"eu")
    assert enc["KeyId"] == key_arn(md["KeyId"], region="eu-west-1")
