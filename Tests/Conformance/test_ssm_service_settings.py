"""SSM service settings (GetServiceSetting, UpdateServiceSetting, ResetServiceSetting) through boto3
and the AWS CLI: the two Parameter Store settings, by id or ARN, per account and region; the default
parameter tier decides the tier of a put that names none; bad input gets AWS's errors and changes
nothing. Most tests use an ephemeral daemon of their own, since the default tier changes every put
of its region."""

from __future__ import annotations

import http.client
import json

import pytest

import harness

TIER = "/ssm/parameter-store/default-parameter-tier"
THROUGHPUT = "/ssm/parameter-store/high-throughput-enabled"


@pytest.fixture
def ssm_pair(spawn):
    d = spawn(ephemeral=True)
    return (d.client("AKIATESTINGSETTINGS1", "anything", service="ssm"),
            d.client("AKIATESTINGSETTINGS1", "anything", service="ssm", region="eu-west-1"))


def test_settings_read_as_their_defaults_until_changed(ssm_pair):
    ssm, _ = ssm_pair
    setting = ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]
    assert setting["SettingId"] == TIER and setting["SettingValue"] == "Standard"
    assert setting["Status"] == "Default"
    assert setting["ARN"] == f"arn:aws:ssm:us-east-1:{harness.ACCOUNT}:servicesetting{TIER}"
    assert ssm.get_service_setting(SettingId=THROUGHPUT)["ServiceSetting"]["SettingValue"] == "false"


def test_an_update_is_customized_and_a_reset_returns_to_the_default(ssm_pair):
    ssm, west = ssm_pair
    ssm.update_service_setting(SettingId=TIER, SettingValue="Advanced")
    arn = f"arn:aws:ssm:us-east-1:{harness.ACCOUNT}:servicesetting{TIER}"
    setting = ssm.get_service_setting(SettingId=arn)["ServiceSetting"]
    assert setting["SettingValue"] == "Advanced" and setting["Status"] == "Customized"
    assert setting["LastModifiedUser"] == "access-key:AKIATESTINGSETTINGS1"
    assert "LastModifiedDate" in setting
    # Each region has its own.
    assert west.get_service_setting(SettingId=TIER)["ServiceSetting"]["SettingValue"] == "Standard"
    reset = ssm.reset_service_setting(SettingId=TIER)["ServiceSetting"]
    assert reset["SettingValue"] == "Standard" and reset["Status"] == "Default"
    assert ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["Status"] == "Default"


def test_the_default_tier_decides_a_put_that_names_none(ssm_pair):
    ssm, west = ssm_pair
    assert ssm.put_parameter(Name="/tier/a", Value="x", Type="String")["Tier"] == "Standard"
    ssm.update_service_setting(SettingId=TIER, SettingValue="Advanced")
    assert ssm.put_parameter(Name="/tier/b", Value="x", Type="String")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/tier/c", Value="x", Type="String", Tier="Standard")["Tier"] == "Standard"
    described = {p["Name"]: p["Tier"] for p in ssm.describe_parameters()["Parameters"]}
    assert described["/tier/b"] == "Advanced" and described["/tier/c"] == "Standard"
    assert west.put_parameter(Name="/tier/west", Value="x", Type="String")["Tier"] == "Standard"
    ssm.update_service_setting(SettingId=TIER, SettingValue="Intelligent-Tiering")
    assert ssm.put_parameter(Name="/tier/d", Value="x", Type="String")["Tier"] == "Standard"
    assert ssm.put_parameter(Name="/tier/e", Value="x" * 5000, Type="String")["Tier"] == "Advanced"


def test_bad_settings_requests_get_awss_errors_and_change_nothing(spawn):
    d = spawn(ephemeral=True)
    ssm = d.client("AKIATESTINGSETTINGS1", "anything", service="ssm", validate=False)
    for call, code in [
        (lambda: ssm.get_service_setting(SettingId="/ssm/parameter-store/no-such-setting"), "ServiceSettingNotFound"),
        (lambda: ssm.update_service_setting(SettingId="/ssm/appmanager/appmanager-enabled", SettingValue="True"),
         "ServiceSettingNotFound"),
        (lambda: ssm.update_service_setting(SettingId=TIER, SettingValue="Premium"), "ValidationException"),
        (lambda: ssm.update_service_setting(SettingId=THROUGHPUT, SettingValue="yes"), "ValidationException"),
        (lambda: ssm.update_service_setting(SettingId=TIER), "ValidationException"),
        (lambda: ssm.reset_service_setting(SettingId=""), "ValidationException"),
        (lambda: ssm.get_service_setting(SettingId=f"arn:aws:ssm:eu-west-1:{harness.ACCOUNT}:servicesetting{TIER}"),
         "ServiceSettingNotFound"),
    ]:
        assert harness.error_code(call) == code
    for setting in (TIER, THROUGHPUT):
        assert ssm.get_service_setting(SettingId=setting)["ServiceSetting"]["Status"] == "Default"


def test_the_aws_cli_reads_and_changes_a_setting(aws):
    region = ["--region", "ca-central-1"]
    aws("ssm", "update-service-setting", "--setting-id", THROUGHPUT, "--setting-value", "true", *region)
    try:
        out = json.loads(aws("ssm", "get-service-setting", "--setting-id", THROUGHPUT, *region).stdout)
        assert out["ServiceSetting"]["SettingValue"] == "true"
        assert out["ServiceSetting"]["ARN"].startswith("arn:aws:ssm:ca-central-1:")
    finally:
        aws("ssm", "reset-service-setting", "--setting-id", THROUGHPUT, *region)
    out = json.loads(aws("ssm", "get-service-setting", "--setting-id", THROUGHPUT, *region).stdout)
    assert out["ServiceSetting"]["Status"] == "Default"


def test_an_ephemeral_reset_returns_every_setting_to_its_default(spawn):
    d = spawn(ephemeral=True)
    ssm = d.client("AKIATESTINGSETTINGS1", "anything", service="ssm")
    ssm.update_service_setting(SettingId=TIER, SettingValue="Advanced")
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("POST", "/moto-api/reset", body=b"")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert ssm.get_service_setting(SettingId=TIER)["ServiceSetting"]["Status"] == "Default"
    assert ssm.put_parameter(Name="/after/reset", Value="x", Type="String")["Tier"] == "Standard"
