"""Server-side validation. botocore checks only required fields, types and minimums,
so these go through a client with parameter_validation=False (or raw HTTP) to make
sure the daemon itself refuses them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from harness import VALIDATION_PREFIX, assert_aws_error, assert_client_error, tcp_request


def _expect_validation(call, *, style: bool):
    with pytest.raises(ClientError) as ei:
        call()
    msg = assert_client_error(ei, "ValidationException")
    if style:
        assert msg.startswith(VALIDATION_PREFIX), f"message not in AWS style: {msg!r}"
    return msg


def test_plaintext_over_4096(kms_nv, key):
    msg = _expect_validation(lambda: kms_nv.encrypt(KeyId=key["KeyId"], Plaintext=b"a" * 4097), style=True)
    assert "4096" in msg, msg
    assert "aaaa" not in msg, "the validation message must not echo the plaintext"


def test_key_id_over_2048(kms_nv):
    _expect_validation(lambda: kms_nv.describe_key(KeyId="k" * 2049), style=True)


def test_generate_data_key_both_spec_and_bytes(kms_nv, key):
    _expect_validation(lambda: kms_nv.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32),
                       style=False)


def test_generate_data_key_neither_spec_nor_bytes(kms_nv, key):
    _expect_validation(lambda: kms_nv.generate_data_key(KeyId=key["KeyId"]), style=False)


def test_generate_data_key_bad_key_spec_enum(kms_nv, key):
    _expect_validation(lambda: kms_nv.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_512"), style=True)


def test_generate_data_key_number_of_bytes_1025(kms_nv, key):
    msg = _expect_validation(lambda: kms_nv.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=1025), style=True)
    assert "1024" in msg, msg


def test_generate_data_key_number_of_bytes_0_raw(daemon, creds, key):
    body = json.dumps({"KeyId": key["KeyId"], "NumberOfBytes": 0}).encode()
    r = tcp_request(daemon.port, "TrentService.GenerateDataKey", body, creds=creds)
    assert_aws_error(r, "ValidationException")


def test_generate_random_1025(kms_nv):
    _expect_validation(lambda: kms_nv.generate_random(NumberOfBytes=1025), style=True)


def test_generate_random_0_raw(daemon, creds):
    r = tcp_request(daemon.port, "TrentService.GenerateRandom", b'{"NumberOfBytes": 0}', creds=creds)
    assert_aws_error(r, "ValidationException")


@pytest.mark.parametrize("days", [6, 31])
def test_pending_window_out_of_range(kms_nv, key, days):
    _expect_validation(lambda: kms_nv.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days),
                       style=False)
    assert kms_nv.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_list_keys_limit_1001(kms_nv):
    msg = _expect_validation(lambda: kms_nv.list_keys(Limit=1001), style=True)
    assert "1000" in msg, msg


def test_list_aliases_limit_101(kms_nv):
    _expect_validation(lambda: kms_nv.list_aliases(Limit=101), style=False)


@pytest.mark.parametrize("days", [89, 2561])
def test_rotation_period_out_of_range(kms_nv, key, days):
    _expect_validation(lambda: kms_nv.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=days),
                       style=(days == 2561))
    assert kms_nv.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_create_key_bad_key_usage_enum(kms_nv):
    _expect_validation(lambda: kms_nv.create_key(KeyUsage="ENCRYPT_EVERYTHING"), style=True)


def test_description_over_8192(kms_nv):
    _expect_validation(lambda: kms_nv.create_key(Description="d" * 8193), style=True)
