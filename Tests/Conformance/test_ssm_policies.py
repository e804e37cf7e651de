"""Parameter policies (Advanced tier): an Expiration deletes its parameter at its time, to within a
second and not before; ExpirationNotification and NoChangeNotification are validated, stored and
listed with `PolicyStatus`; each action is an audit record, a log line and a metric, since there is
no EventBridge here."""

from __future__ import annotations

import datetime
import json
import time

import harness

NOTIFY_HOUR_BEFORE = {"Type": "ExpirationNotification", "Version": "1.0",
                      "Attributes": {"Before": "1", "Unit": "Hours"}}
NO_CHANGE_FOR_30_DAYS = {"Type": "NoChangeNotification", "Version": "1.0",
                         "Attributes": {"After": "30", "Unit": "Days"}}


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def expiration(epoch: float) -> dict:
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(epoch)}}


def start(tmp_path) -> harness.Daemon:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return harness.Daemon(data, tmp_path / "logs").start()


def metric(daemon, name: str) -> float:
    with harness.UnixHTTP(daemon.socket_path) as conn:
        body = conn.request("GET", "/metrics").body.decode()
    return sum(float(line.rpartition(" ")[2]) for line in body.splitlines() if line.startswith(name))


def test_an_expiring_parameter_is_gone_within_a_second_of_its_time(tmp_path):
    daemon = start(tmp_path)
    try:
        ssm = daemon.client(service="ssm")
        expires = round(time.time() + 3, 3)
        ssm.put_parameter(Name="/app/temporary", Value="short-lived", Type="SecureString", Tier="Advanced",
                          Policies=json.dumps([expiration(expires)]))
        ssm.put_parameter(Name="/app/kept", Value="stays", Type="String")
        described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/temporary"]}])
        [policy] = described["Parameters"][0]["Policies"]
        assert policy["PolicyType"] == "Expiration" and policy["PolicyStatus"] == "Pending"
        assert json.loads(policy["PolicyText"]) == expiration(expires)
        seen_until = None
        while time.time() < expires + 2:
            # A read that succeeds was served no earlier than it was sent: stamp it with its send time,
            # since the answer may come back after the expiry it preceded.
            sent = time.time()
            try:
                ssm.get_parameter(Name="/app/temporary", WithDecryption=True)
                seen_until = sent
            except ssm.exceptions.ParameterNotFound:
                gone_at = time.time()
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the parameter outlived its expiration by two seconds")
        assert seen_until is not None and seen_until < expires <= gone_at + 0.05, (seen_until, expires, gone_at)
        assert gone_at - expires < 1.0, gone_at - expires
        assert ssm.get_parameter(Name="/app/kept")["Parameter"]["Value"] == "stays"
        # Deleted from the store, not only hidden: a restart does not bring it back.
        records = [json.loads(line) for line in (daemon.data_dir / "audit.log").read_text().splitlines()]
        expired = [r for r in records if r.get("action") == "ssm:Expiration"]
        assert [(r["resources"], r["principal"], r["result"]) for r in expired] == [
            (["/app/temporary"], {"daemon": True}, "allowed")]
        assert metric(daemon, 'sealbox_parameter_policy_actions_total{type="Expiration"}') == 1
        assert "parameter policy acted" in daemon.stderr_path.read_text()
        daemon.terminate(timeout=10)
        daemon.start()
        ssm = daemon.client(service="ssm")
        assert harness.error_code(lambda: ssm.get_parameter(Name="/app/temporary")) == "ParameterNotFound"
        assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["/app/kept"]
    finally:
        daemon.terminate(timeout=10)


def test_notifications_are_listed_with_their_status(ssm, pbase):
    name = f"{pbase}/rotating"
    policies = [expiration(time.time() + 10 * 86400), NOTIFY_HOUR_BEFORE, NO_CHANGE_FOR_30_DAYS]
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tier="Advanced", Policies=json.dumps(policies))
    listed = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert listed["Tier"] == "Advanced"
    assert [(p["PolicyType"], p["PolicyStatus"]) for p in listed["Policies"]] == [
        ("Expiration", "Pending"), ("ExpirationNotification", "Pending"), ("NoChangeNotification", "Pending")]
    assert [json.loads(p["PolicyText"]) for p in listed["Policies"]] == policies
    # Kept by an overwrite that names none, shown in the history of each version, removed by `[]`.
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True, Policies="[]")
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [len(h["Policies"]) for h in history] == [3, 3, 0]
    assert ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]["Policies"] == []


def test_policies_need_the_advanced_tier_and_awss_forms(ssm, pbase):
    name = f"{pbase}/checked"
    one = json.dumps([NO_CHANGE_FOR_30_DAYS])
    assert harness.error_code(lambda: ssm.put_parameter(Name=name, Value="v", Type="String", Policies=one)) == \
        "ValidationException"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Intelligent-Tiering", Policies=one)
    assert ssm.get_parameter_history(Name=name)["Parameters"][0]["Tier"] == "Advanced"
    bad = {
        "InvalidPolicyTypeException": [{"Type": "Rotate", "Version": "1.0", "Attributes": {}}],
        "InvalidPolicyAttributeException": [expiration(time.time() - 60)],
        "PoliciesLimitExceededException": [NO_CHANGE_FOR_30_DAYS] * 11,
    }
    for code, policies in bad.items():
        assert harness.error_code(lambda: ssm.put_parameter(
            Name=f"{pbase}/bad", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies))) == code
    assert ssm.get_parameters(Names=[f"{pbase}/bad"])["InvalidParameters"] == [f"{pbase}/bad"]


def test_the_cli_attaches_a_policy(aws, ssm, pbase):
    name = f"{pbase}/cli"
    policy = json.dumps([expiration(time.time() + 86400)])
    aws("ssm", "put-parameter", "--name", name, "--value", "v", "--type", "String", "--tier", "Advanced",
        "--policies", policy)
    out = json.loads(aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={name}",
                         "--output", "json").stdout)
    assert out["Parameters"][0]["Policies"][0]["PolicyType"] == "Expiration"
