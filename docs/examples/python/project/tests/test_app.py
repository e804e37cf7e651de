import app  # imported after the plugin started sealboxd: app.ssm talks to it


def test_the_import_time_client_reads_the_fixture(sealbox):
    assert app.handler({"name": "/app/db/password"}, None) == "s3cr3t"
    assert sealbox.operations() == [("ssm:GetParameter", "/app/db/password")]


def test_a_test_writes(sealbox):
    app.ssm.put_parameter(Name="/app/greeting", Value="changed", Type="String", Overwrite=True)
    assert app.handler({"name": "/app/greeting"}, None) == "changed"


def test_the_next_test_starts_from_the_fixtures_again(sealbox):
    assert app.handler({"name": "/app/greeting"}, None) == "hello"


def test_an_explicit_session_reaches_the_same_daemon(sealbox, boto3_session):
    ssm = boto3_session.client("ssm", endpoint_url=sealbox.endpoint_url)
    assert ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]["Value"] == "s3cr3t"


def test_nothing_reaches_aws(sealbox):
    import boto3
    import pytest
    from sealbox.pytest_plugin import SealboxGuardError

    # Any region still goes to the daemon (AWS_ENDPOINT_URL)...
    assert boto3.client("ssm", region_name="eu-west-1").meta.endpoint_url == sealbox.endpoint_url
    # ...and an explicit AWS endpoint is refused before anything is sent.
    aws = boto3.client("ssm", endpoint_url="https://ssm.us-east-1.amazonaws.com")
    with pytest.raises(SealboxGuardError):
        aws.get_parameter(Name="/app/db/password")
