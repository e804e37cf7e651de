"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (KeyId filter, paging)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from harness import VALIDATION_PREFIX, alias_arn, assert_client_error, unique


def _all_aliases(kms, **kw):
    out, marker = [], None
    for _ in range(10000):
        args = dict(kw)
        if marker:
            args["Marker"] = marker
        page = kms.list_aliases(**args)
        out.extend(page["Aliases"])
        if not page["Truncated"]:
            assert not page.get("NextMarker"), "NextMarker on the last page"
            return out
        assert page.get("NextMarker"), "Truncated=true without NextMarker"
        marker = page["NextMarker"]
    raise AssertionError("ListAliases paging does not terminate")


def test_create_alias_and_list(kms, key):
    alias = "alias/" + unique("app")
    resp = kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    entries = [a for a in _all_aliases(kms, Limit=100) if a["AliasName"] == alias]
    assert len(entries) == 1, entries
    e = entries[0]
    assert e["AliasArn"] == alias_arn(alias)
    assert e["TargetKeyId"] == key["KeyId"], "ListAliases TargetKeyId is the bare key id"
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_create_alias_with_key_arn_target(kms, key):
    alias = "alias/" + unique("arn-target")
    kms.create_alias(AliasName=alias, TargetKeyId=key["Arn"])
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_list_aliases_key_filter_and_paging(kms, new_key):
    k, other = new_key(), new_key()
    names = sorted("alias/" + unique(f"page{i}") for i in range(5))
    for n in names:
        kms.create_alias(AliasName=n, TargetKeyId=k["KeyId"])
    kms.create_alias(AliasName="alias/" + unique("other"), TargetKeyId=other["KeyId"])

    full = kms.list_aliases(KeyId=k["KeyId"])
    assert sorted(a["AliasName"] for a in full["Aliases"]) == names
    assert all(a["TargetKeyId"] == k["KeyId"] for a in full["Aliases"])
    assert full["Truncated"] is False

    by_arn = kms.list_aliases(KeyId=k["Arn"])
    assert sorted(a["AliasName"] for a in by_arn["Aliases"]) == names

    pages = []
    marker = None
    while True:
        kw = {"KeyId": k["KeyId"], "Limit": 2}
        if marker:
            kw["Marker"] = marker
        page = kms.list_aliases(**kw)
        pages.append([a["AliasName"] for a in page["Aliases"]])
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
        assert len(pages) < 10
    assert [len(p) for p in pages] == [2, 2, 1], pages
    flat = [n for p in pages for n in p]
    assert sorted(flat) == names and len(set(flat)) == 5


def test_list_aliases_global_paging_no_duplicates(kms, key):
    for i in range(3):
        kms.create_alias(AliasName="alias/" + unique(f"g{i}"), TargetKeyId=key["KeyId"])
    paged = _all_aliases(kms, Limit=7)
    names = [a["AliasName"] for a in paged]
    assert len(names) == len(set(names)), "duplicates across ListAliases pages"
    big = _all_aliases(kms, Limit=100)
    assert sorted(names) == sorted(a["AliasName"] for a in big)


def test_list_aliases_limit_100_accepted(kms):
    page = kms.list_aliases(Limit=100)
    assert len(page["Aliases"]) <= 100


def test_update_alias(kms, new_key):
    a, b = new_key(), new_key()
    alias = "alias/" + unique("upd")
    kms.create_alias(AliasName=alias, TargetKeyId=a["KeyId"])
    kms.update_alias(AliasName=alias, TargetKeyId=b["KeyId"])
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == b["KeyId"]
    assert kms.encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] == b["Arn"]
    listed = kms.list_aliases(KeyId=b["KeyId"])["Aliases"]
    assert [x["AliasName"] for x in listed] == [alias]
    assert kms.list_aliases(KeyId=a["KeyId"])["Aliases"] == []


def test_update_unknown_alias(kms, key):
    with pytest.raises(ClientError) as ei:
        kms.update_alias(AliasName="alias/" + unique("missing"), TargetKeyId=key["KeyId"])
    assert_client_error(ei, "NotFoundException")


def test_delete_alias(kms, key):
    alias = "alias/" + unique("del")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    kms.delete_alias(AliasName=alias)
    with pytest.raises(ClientError) as ei:
        kms.describe_key(KeyId=alias)
    assert_client_error(ei, "NotFoundException")
    assert kms.list_aliases(KeyId=key["KeyId"])["Aliases"] == []
    # the key itself is untouched, and the name can be reused
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as ei:
        kms.delete_alias(AliasName="alias/" + unique("never"))
    assert_client_error(ei, "NotFoundException")


def test_create_alias_twice(kms, new_key):
    a, b = new_key(), new_key()
    alias = "alias/" + unique("dup")
    kms.create_alias(AliasName=alias, TargetKeyId=a["KeyId"])
    for target in (a["KeyId"], b["KeyId"]):
        with pytest.raises(ClientError) as ei:
            kms.create_alias(AliasName=alias, TargetKeyId=target)
        assert_client_error(ei, "AlreadyExistsException")
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == a["KeyId"]


def test_create_alias_unknown_target(kms):
    with pytest.raises(ClientError) as ei:
        kms.create_alias(AliasName="alias/" + unique("orphan"), TargetKeyId=str(uuid.uuid4()))
    assert_client_error(ei, "NotFoundException")


def test_reserved_alias_prefix_refused(kms, key):
    alias = "alias/aws/" + unique("mine")
    with pytest.raises(ClientError) as ei:
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert_client_error(ei, ("NotAuthorizedException", "ValidationException"))
    assert all(a["AliasName"] != alias for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"])


@pytest.mark.parametrize("name", ["alias/has space", "alias/bang!", "alias/dollar$sign", "alias/ünicode"])
def test_alias_bad_characters(kms_nv, key, name):
    with pytest.raises(ClientError) as ei:
        kms_nv.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    msg = assert_client_error(ei, "ValidationException")
    assert msg.startswith(VALIDATION_PREFIX), msg


def test_alias_too_long(kms_nv, key):
    name = "alias/" + "a" * 251  # 257 characters, max is 256
    with pytest.raises(ClientError) as ei:
        kms_nv.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    msg = assert_client_error(ei, "ValidationException")
    assert msg.startswith(VALIDATION_PREFIX), msg
    base = "alias/" + unique("x") + "-"
    ok = base + "b" * (256 - len(base))  # exactly 256: accepted
    assert len(ok) == 256
    kms_nv.create_alias(AliasName=ok, TargetKeyId=key["KeyId"])
    assert kms_nv.describe_key(KeyId=ok)["KeyMetadata"]["KeyId"] == key["KeyId"]
