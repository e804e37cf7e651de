"""Key deletion scheduling and rotation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from botocore.exceptions import ClientError

from harness import assert_client_error, envelope_header


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _days_from_now(when: dt.datetime) -> float:
    return (when - _now()).total_seconds() / 86400


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion(kms, key, days):
    r = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert r["KeyId"] == key["Arn"]
    assert r["KeyState"] == "PendingDeletion"
    assert r["PendingWindowInDays"] == days
    assert isinstance(r["DeletionDate"], dt.datetime)
    assert days - 1.01 <= _days_from_now(r["DeletionDate"]) <= days + 1.01, r["DeletionDate"]
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion"
    assert md["Enabled"] is False
    assert md["DeletionDate"] == r["DeletionDate"]


def test_schedule_key_deletion_default_window(kms, key):
    r = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert r["PendingWindowInDays"] == 30
    assert 29 <= _days_from_now(r["DeletionDate"]) <= 31.01


def test_cancel_key_deletion_leaves_key_disabled(kms, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    r = kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert r["KeyId"] == key["Arn"]
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Disabled"
    assert md["Enabled"] is False
    assert "DeletionDate" not in md
    with pytest.raises(ClientError) as ei:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert_client_error(ei, "DisabledException")
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]


def test_pending_deletion_key_still_listed_and_described(kms, key):
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    ids = set()
    marker = None
    while True:
        page = kms.list_keys(Limit=1000, **({"Marker": marker} if marker else {}))
        ids.update(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert key["KeyId"] in ids


def test_rotation_status_lifecycle(kms, key):
    st = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert st["KeyRotationEnabled"] is False

    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    st = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert st["KeyRotationEnabled"] is True
    assert st["RotationPeriodInDays"] == 180
    assert st["KeyId"] in (key["Arn"], key["KeyId"])
    assert 179 <= _days_from_now(st["NextRotationDate"]) <= 181.01, st["NextRotationDate"]

    kms.disable_key_rotation(KeyId=key["KeyId"])
    st = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert st["KeyRotationEnabled"] is False


def test_enable_key_rotation_default_period(kms, key):
    kms.enable_key_rotation(KeyId=key["Arn"])
    st = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert st["KeyRotationEnabled"] is True
    assert st["RotationPeriodInDays"] == 365


def test_rotate_key_on_demand(kms, key):
    kid = key["KeyId"]
    pt_old, pt_new = b"written before rotation", b"written after rotation"
    ctx = {"r": "1"}
    old_ct = kms.encrypt(KeyId=kid, Plaintext=pt_old, EncryptionContext=ctx)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_ct, EncryptionContext=ctx)["Plaintext"] == pt_old
    assert kms.list_key_rotations(KeyId=kid)["Rotations"] == []

    r = kms.rotate_key_on_demand(KeyId=kid)
    assert r["KeyId"] in (key["Arn"], kid)

    rot = kms.list_key_rotations(KeyId=kid)
    assert rot["Truncated"] is False
    on_demand = [x for x in rot["Rotations"] if x.get("RotationType") == "ON_DEMAND"]
    assert len(on_demand) == 1, rot["Rotations"]
    assert on_demand[0]["KeyId"] in (key["Arn"], kid)
    assert abs((on_demand[0]["RotationDate"] - _now()).total_seconds()) < 300

    # data encrypted before the rotation still decrypts
    again = kms.decrypt(CiphertextBlob=old_ct, EncryptionContext=ctx)
    assert again["Plaintext"] == pt_old
    new_ct = kms.encrypt(KeyId=kid, Plaintext=pt_new, EncryptionContext=ctx)["CiphertextBlob"]
    new_dec = kms.decrypt(CiphertextBlob=new_ct, EncryptionContext=ctx)
    assert new_dec["Plaintext"] == pt_new

    # new ciphertexts carry the new key-material version in their envelope header
    old_h, new_h = envelope_header(old_ct), envelope_header(new_ct)
    assert old_h["key_id"] == new_h["key_id"] == kid
    assert new_h["key_version"] != old_h["key_version"], (old_h, new_h)
    assert new_h["key_version"] > old_h["key_version"], (old_h, new_h)

    # a second rotation adds a second entry
    kms.rotate_key_on_demand(KeyId=key["Arn"])
    rot2 = kms.list_key_rotations(KeyId=kid)["Rotations"]
    assert len([x for x in rot2 if x.get("RotationType") == "ON_DEMAND"]) == 2
    assert kms.decrypt(CiphertextBlob=old_ct, EncryptionContext=ctx)["Plaintext"] == pt_old
    assert kms.decrypt(CiphertextBlob=new_ct, EncryptionContext=ctx)["Plaintext"] == pt_new
    third = kms.encrypt(KeyId=kid, Plaintext=b"3")["CiphertextBlob"]
    assert envelope_header(third)["key_version"] > new_h["key_version"]


def test_decrypt_reports_key_material_id(kms, key):
    """The current model returns KeyMaterialId (64 lowercase hex) from Decrypt for symmetric
    keys; it must name the material version the ciphertext was sealed with."""
    kid = key["KeyId"]
    old_ct = kms.encrypt(KeyId=kid, Plaintext=b"a")["CiphertextBlob"]
    before = kms.decrypt(CiphertextBlob=old_ct).get("KeyMaterialId")
    assert before, "Decrypt does not return KeyMaterialId"
    assert re.fullmatch(r"[a-f0-9]{64}", before), before
    kms.rotate_key_on_demand(KeyId=kid)
    new_ct = kms.encrypt(KeyId=kid, Plaintext=b"b")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_ct)["KeyMaterialId"] == before
    assert kms.decrypt(CiphertextBlob=new_ct)["KeyMaterialId"] != before


def test_rotate_disabled_key_refused(kms, key):
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as ei:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert_client_error(ei, "DisabledException")


def test_rotation_ops_unknown_key(kms):
    import uuid
    kid = str(uuid.uuid4())
    for call in (lambda: kms.enable_key_rotation(KeyId=kid),
                 lambda: kms.get_key_rotation_status(KeyId=kid),
                 lambda: kms.rotate_key_on_demand(KeyId=kid),
                 lambda: kms.list_key_rotations(KeyId=kid),
                 lambda: kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)):
        with pytest.raises(ClientError) as ei:
            call()
        assert_client_error(ei, "NotFoundException")
