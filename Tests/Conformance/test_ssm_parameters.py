"""SSM Parameter Store through boto3: PutParameter, GetParameter, DeleteParameter(s),
names, versions, labels and tags. Every test works under its own /t/<uuid> hierarchy."""

from __future__ import annotations

import datetime as dt
import random
import string
import threading
import uuid

import pytest

from harness import ACCOUNT, expect_error, parameter_arn

NOW_SLACK = 300


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _text(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


def _history(ssm, name: str, **kw) -> list[dict]:
    out, token = [], None
    while True:
        page = ssm.get_parameter_history(Name=name, MaxResults=50, **({"NextToken": token} if token else {}), **kw)
        out += page["Parameters"]
        token = page.get("NextToken")
        if not token:
            return out


# -- PutParameter / GetParameter --------------------------------------------------


def test_put_string_then_get(ssm, pbase):
    name = f"{pbase}/db/host"
    value = "db-" + uuid.uuid4().hex
    r = ssm.put_parameter(Name=name, Value=value, Type="String")
    assert r["Version"] == 1
    assert r["Tier"] == "Standard"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Name"] == name
    assert p["Type"] == "String"
    assert p["Value"] == value
    assert p["Version"] == 1
    assert p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    assert "Selector" not in p
    assert isinstance(p["LastModifiedDate"], dt.datetime)
    assert abs((p["LastModifiedDate"] - _now()).total_seconds()) < NOW_SLACK


def test_put_string_list(ssm, pbase):
    name = f"{pbase}/hosts"
    ssm.put_parameter(Name=name, Value="a.internal,b.internal,c.internal", Type="StringList")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Type"] == "StringList"
    assert p["Value"].split(",") == ["a.internal", "b.internal", "c.internal"]


def test_overwrite_bumps_version_and_refuses_without_overwrite(ssm, pbase):
    name = f"{pbase}/v"
    assert ssm.put_parameter(Name=name, Value="one", Type="String")["Version"] == 1
    assert ssm.put_parameter(Name=name, Value="two", Type="String", Overwrite=True)["Version"] == 2
    assert ssm.put_parameter(Name=name, Value="three", Overwrite=True)["Version"] == 3
    msg = expect_error("ParameterAlreadyExists", ssm.put_parameter, Name=name, Value="four", Type="String")
    assert msg
    expect_error("ParameterAlreadyExists", ssm.put_parameter, Name=name, Value="four", Type="String",
                 Overwrite=False)
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Version"], p["Value"]) == (3, "three")
    assert [h["Value"] for h in _history(ssm, name)] == ["one", "two", "three"]


def test_overwrite_without_type_keeps_type_and_description(ssm, pbase):
    name = f"{pbase}/list"
    ssm.put_parameter(Name=name, Value="a,b", Type="StringList", Description="the list")
    ssm.put_parameter(Name=name, Value="a,b,c", Overwrite=True)
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Type"], p["Value"], p["Version"]) == ("StringList", "a,b,c", 2)
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert [m["Description"] for m in md] == ["the list"]


def test_type_is_required_on_create(ssm, pbase):
    name = f"{pbase}/untyped"
    expect_error("ValidationException", ssm.put_parameter, Name=name, Value="x")
    expect_error("ValidationException", ssm.put_parameter, Name=name, Value="x", Overwrite=True)
    expect_error("ParameterNotFound", ssm.get_parameter, Name=name)


def test_type_enum_is_validated(ssm, pbase):
    msg = expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/x", Value="x", Type="Blob")
    assert msg.startswith("1 validation error detected: Value 'Blob' at 'type'"), msg


def test_key_id_only_for_secure_string(ssm, pbase, key):
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/x", Value="x", Type="String",
                 KeyId=key["KeyId"])
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/x")


def test_empty_value_refused(ssm, pbase):
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/empty", Value="", Type="String")


def test_value_cannot_nest_parameters(ssm, pbase):
    """botocore's model (PutParameter.Value): "You can't include values wrapped in double
    brackets {{}} or {{ssm:parameter-name}} in a parameter value"."""
    ssm.put_parameter(Name=f"{pbase}/target", Value="t", Type="String")
    for value in (f"{{{{ssm:{pbase}/target}}}}", "prefix {{anything}} suffix"):
        expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/nested", Value=value, Type="String")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/nested")


def test_description(ssm, pbase):
    name = f"{pbase}/described"
    ssm.put_parameter(Name=name, Value="v", Type="String", Description="what it is")
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert len(md) == 1 and md[0]["Description"] == "what it is"
    ssm.put_parameter(Name=f"{pbase}/d1024", Value="v", Type="String", Description="d" * 1024)
    msg = expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/d1025", Value="v", Type="String",
                       Description="d" * 1025)
    assert "description" in msg


def test_allowed_pattern(ssm, pbase):
    name = f"{pbase}/port"
    assert ssm.put_parameter(Name=name, Value="5432", Type="String", AllowedPattern=r"^\d+$")["Version"] == 1
    expect_error("ParameterPatternMismatchException", ssm.put_parameter, Name=name, Value="54a2", Overwrite=True)
    # the pattern stays with the parameter when an overwrite does not restate it
    expect_error("ParameterPatternMismatchException", ssm.put_parameter, Name=name, Value="port", Overwrite=True,
                 Type="String")
    assert ssm.put_parameter(Name=name, Value="6432", Overwrite=True)["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("6432", 2)
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert md[0]["AllowedPattern"] == r"^\d+$"
    expect_error("ParameterPatternMismatchException", ssm.put_parameter, Name=f"{pbase}/new", Value="abc",
                 Type="String", AllowedPattern=r"^\d+$")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/new")


def test_invalid_allowed_pattern(ssm, pbase):
    expect_error("InvalidAllowedPatternException", ssm.put_parameter, Name=f"{pbase}/bad", Value="x",
                 Type="String", AllowedPattern="([a-z")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/bad")


def test_standard_tier_limit(ssm, pbase):
    v4096 = _text(4096)
    r = ssm.put_parameter(Name=f"{pbase}/s4096", Value=v4096, Type="String")
    assert r["Tier"] == "Standard"
    assert ssm.get_parameter(Name=f"{pbase}/s4096")["Parameter"]["Value"] == v4096
    r = ssm.put_parameter(Name=f"{pbase}/t4096", Value=v4096, Type="String", Tier="Standard")
    assert r["Tier"] == "Standard"
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/s4097", Value=_text(4097), Type="String")
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/t4097", Value=_text(4097), Type="String",
                 Tier="Standard")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/s4097")


def test_standard_limit_counts_characters_not_bytes(ssm, pbase):
    """AWS-WIRE.md: "at most 4096 characters in the Standard tier"."""
    value = "é" * 4096  # 8192 UTF-8 bytes
    assert ssm.put_parameter(Name=f"{pbase}/accents", Value=value, Type="String")["Tier"] == "Standard"
    assert ssm.get_parameter(Name=f"{pbase}/accents")["Parameter"]["Value"] == value


def test_advanced_tier_limit(ssm, pbase):
    v8192 = _text(8192)
    r = ssm.put_parameter(Name=f"{pbase}/a8192", Value=v8192, Type="String", Tier="Advanced")
    assert r["Tier"] == "Advanced"
    assert ssm.get_parameter(Name=f"{pbase}/a8192")["Parameter"]["Value"] == v8192
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/a8193", Value=_text(8193), Type="String",
                 Tier="Advanced")
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{pbase}/a8192"]}])["Parameters"]
    assert md[0]["Tier"] == "Advanced"


def test_intelligent_tiering(ssm, pbase):
    small = ssm.put_parameter(Name=f"{pbase}/small", Value="x" * 4096, Type="String", Tier="Intelligent-Tiering")
    assert small["Tier"] == "Standard"
    big = ssm.put_parameter(Name=f"{pbase}/big", Value="x" * 4097, Type="String", Tier="Intelligent-Tiering")
    assert big["Tier"] == "Advanced"
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/huge", Value="x" * 8193, Type="String",
                 Tier="Intelligent-Tiering")


def test_advanced_cannot_go_back_to_standard(ssm, pbase):
    name = f"{pbase}/adv"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Advanced")
    expect_error("ValidationException", ssm.put_parameter, Name=name, Value="w", Overwrite=True, Tier="Standard")
    # an overwrite that names no tier keeps Advanced
    assert ssm.put_parameter(Name=name, Value="w", Overwrite=True)["Tier"] == "Advanced"


def test_tier_enum_is_validated(ssm, pbase):
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/x", Value="x", Type="String",
                 Tier="Premium")


def test_data_type(ssm, pbase):
    name = f"{pbase}/typed"
    ssm.put_parameter(Name=name, Value="plain text", Type="String", DataType="text")
    assert ssm.get_parameter(Name=name)["Parameter"]["DataType"] == "text"
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert md[0]["DataType"] == "text"
    # aws:ec2:image checks the value's form (test_ssm_data_types.py has the rest)
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/ami", Value="plain text",
                 Type="String", DataType="aws:ec2:image")
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/blob", Value="x", Type="String",
                 DataType="blob")


def test_tags_on_create_and_not_with_overwrite(ssm, pbase):
    name = f"{pbase}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String",
                      Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "payments"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "prod", "team": "payments"}
    msg = expect_error("ValidationException", ssm.put_parameter, Name=name, Value="w", Overwrite=True,
                       Tags=[{"Key": "env", "Value": "dev"}])
    assert "overwrite" in msg.lower()
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("v", 1)
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "prod", "team": "payments"}


# -- GetParameter: selectors, ARNs --------------------------------------------------


def test_get_with_version_and_label_selectors(ssm, pbase):
    name = f"{pbase}/sel"
    for i in range(3):
        ssm.put_parameter(Name=name, Value=f"value-{i + 1}", Type="String", Overwrite=True)
    assert ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])["InvalidLabels"] == []

    p = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (p["Name"], p["Value"], p["Version"], p["Selector"]) == (name, "value-1", 1, ":1")
    p = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert (p["Name"], p["Value"], p["Version"], p["Selector"]) == (name, "value-2", 2, ":prod")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("value-3", 3)

    expect_error("ParameterVersionNotFound", ssm.get_parameter, Name=f"{name}:4")
    expect_error("ParameterVersionNotFound", ssm.get_parameter, Name=f"{name}:staging")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/nope")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/nope:1")


def test_get_by_arn(ssm, pbase):
    name = f"{pbase}/by/arn"
    ssm.put_parameter(Name=name, Value="first", Type="String")
    ssm.put_parameter(Name=name, Value="second", Type="String", Overwrite=True)
    arn = parameter_arn(name)
    assert arn == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    p = ssm.get_parameter(Name=arn)["Parameter"]
    assert (p["Value"], p["Version"], p["ARN"]) == ("second", 2, arn)
    assert ssm.get_parameter(Name=arn + ":1")["Parameter"]["Value"] == "first"
    expect_error("ParameterNotFound", ssm.get_parameter, Name=parameter_arn(f"{pbase}/missing"))


def test_name_without_leading_slash(ssm):
    name = "t-" + uuid.uuid4().hex
    ssm.put_parameter(Name=name, Value="flat", Type="String")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}"
    assert ssm.get_parameter(Name=p["ARN"])["Parameter"]["Value"] == "flat"
    ssm.delete_parameter(Name=name)


def test_names_are_case_sensitive(ssm, pbase):
    ssm.put_parameter(Name=f"{pbase}/Key", Value="upper", Type="String")
    ssm.put_parameter(Name=f"{pbase}/key", Value="lower", Type="String")
    assert ssm.get_parameter(Name=f"{pbase}/Key")["Parameter"]["Value"] == "upper"
    assert ssm.get_parameter(Name=f"{pbase}/key")["Parameter"]["Value"] == "lower"
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/KEY")


# -- Delete -------------------------------------------------------------------------


def test_delete_parameter(ssm, pbase):
    name = f"{pbase}/gone"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    ssm.put_parameter(Name=name, Value="b", Type="String", Overwrite=True)
    ssm.delete_parameter(Name=name)
    expect_error("ParameterNotFound", ssm.get_parameter, Name=name)
    expect_error("ParameterNotFound", ssm.delete_parameter, Name=name)
    expect_error("ParameterNotFound", ssm.get_parameter_history, Name=name)
    # a new parameter under the same name starts again at version 1
    assert ssm.put_parameter(Name=name, Value="c", Type="String")["Version"] == 1


def test_delete_unknown_parameter(ssm, pbase):
    expect_error("ParameterNotFound", ssm.delete_parameter, Name=f"{pbase}/never")


def test_delete_parameters(ssm, pbase):
    a, b, c = f"{pbase}/a", f"{pbase}/b", f"{pbase}/c"
    for n in (a, b, c):
        ssm.put_parameter(Name=n, Value="v", Type="String")
    r = ssm.delete_parameters(Names=[a, f"{pbase}/missing", b, f"{pbase}/other-missing"])
    assert sorted(r["DeletedParameters"]) == [a, b]
    assert sorted(r["InvalidParameters"]) == [f"{pbase}/missing", f"{pbase}/other-missing"]
    expect_error("ParameterNotFound", ssm.get_parameter, Name=a)
    expect_error("ParameterNotFound", ssm.get_parameter, Name=b)
    assert ssm.get_parameter(Name=c)["Parameter"]["Value"] == "v"
    expect_error("ValidationException", ssm.delete_parameters, Names=[f"{pbase}/n{i}" for i in range(11)])


# -- Names ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["aws", "/aws/", "AWS-", "/Aws.", "ssm", "/ssm/", "SSM_", "/sSm-", "awsome",
                                    "/SSMx/"])
def test_reserved_name_prefixes(ssm, prefix):
    name = prefix + uuid.uuid4().hex
    expect_error("ValidationException", ssm.put_parameter, Name=name, Value="v", Type="String")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=name)


def test_fifteen_levels(ssm, pbase):
    # pbase is /t/<hex>: two levels
    ok = pbase + "".join(f"/l{i}" for i in range(13))
    assert ok.count("/") == 15
    assert ssm.put_parameter(Name=ok, Value="deep", Type="String")["Version"] == 1
    assert ssm.get_parameter(Name=ok)["Parameter"]["Value"] == "deep"
    too_deep = ok + "/l13"
    expect_error("HierarchyLevelLimitExceededException", ssm.put_parameter, Name=too_deep, Value="v",
                 Type="String")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=too_deep)


def test_name_length_counts_the_arn_prefix(ssm):
    """1011 characters including `arn:aws:ssm:us-east-1:123456789012:parameter/` (45 here)."""
    prefix = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/"
    room = 1011 - len(prefix)
    assert room == 966
    stem = "t" + uuid.uuid4().hex
    flat_ok = stem + "x" * (room - len(stem))
    assert ssm.put_parameter(Name=flat_ok, Value="v", Type="String")["Version"] == 1
    assert len(ssm.get_parameter(Name=flat_ok)["Parameter"]["ARN"]) == 1011
    expect_error("ValidationException", ssm.put_parameter, Name=flat_ok + "x", Value="v", Type="String")
    # a leading slash is not part of the ARN, so it does not count
    nested_ok = "/" + stem + "/" + "y" * (room - len(stem) - 1)
    assert len(parameter_arn(nested_ok)) == 1011
    assert ssm.put_parameter(Name=nested_ok, Value="v", Type="String")["Version"] == 1
    expect_error("ValidationException", ssm.put_parameter, Name=nested_ok + "y", Value="v", Type="String")
    ssm.delete_parameters(Names=[flat_ok, nested_ok])


@pytest.mark.parametrize("suffix", ["/a b", "/a*b", "/caf\u00e9", "/a:b", "/a$b", "/a@b", "/a,b", "/", "//x",
                                    "/tab\tx"])
def test_bad_name_characters(ssm, pbase, suffix):
    expect_error("ValidationException", ssm.put_parameter, Name=pbase + suffix, Value="v", Type="String")


def test_hierarchy_needs_a_leading_slash(ssm):
    expect_error("ValidationException", ssm.put_parameter, Name=f"t/{uuid.uuid4().hex}/x", Value="v",
                 Type="String")


def test_put_refuses_an_arn_as_name(ssm, pbase):
    expect_error("ValidationException", ssm.put_parameter, Name=parameter_arn(f"{pbase}/x"), Value="v",
                 Type="String")
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/x")


# -- Versions ------------------------------------------------------------------------


def test_hundred_versions_then_the_oldest_goes(ssm, pbase):
    name = f"{pbase}/busy"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    for i in range(2, 101):
        assert ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)["Version"] == i
    hist = _history(ssm, name)
    assert [h["Version"] for h in hist] == list(range(1, 101))

    # the oldest carries a label: the 101st write is refused and nothing changes
    msg = expect_error("ParameterMaxVersionLimitExceeded", ssm.put_parameter, Name=name, Value="v101",
                       Overwrite=True)
    assert msg
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 100
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "v1"

    # move the label off version 1: the write drops version 1
    ssm.label_parameter_version(Name=name, ParameterVersion=100, Labels=["pinned"])
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    hist = _history(ssm, name)
    assert [h["Version"] for h in hist] == list(range(2, 102))
    assert hist[0]["Value"] == "v2" and hist[-1]["Value"] == "v101"
    expect_error("ParameterVersionNotFound", ssm.get_parameter, Name=f"{name}:1")
    assert ssm.get_parameter(Name=f"{name}:2")["Parameter"]["Value"] == "v2"
    assert ssm.get_parameter(Name=f"{name}:pinned")["Parameter"]["Version"] == 100

    # and again: 102 drops 2
    assert ssm.put_parameter(Name=name, Value="v102", Overwrite=True)["Version"] == 102
    assert [h["Version"] for h in _history(ssm, name)][:2] == [3, 4]


def _race(writers: int, work) -> list:
    """Runs `work(n)` on `writers` threads released together; returns what each returned, or raised."""
    start = threading.Barrier(writers)
    results: list = [None] * writers

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as e:  # noqa: BLE001 - the caller asserts on it
            results[n] = e

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return results


def test_concurrent_overwrites_each_get_their_own_version(daemon, creds, ssm, pbase):
    """Overwrites racing on one name are committed in groups; each still gets a version of its own,
    holding its own value, and one writer's versions rise in the order it wrote them."""
    name = f"{pbase}/raced"
    writers, each = 8, 12
    ssm.put_parameter(Name=name, Value="start", Type="SecureString")
    clients = [daemon.client(*creds, service="ssm") for _ in range(writers)]

    def work(n: int) -> list[tuple[int, str]]:
        written = []
        for i in range(each):
            value = f"writer {n} value {i}"
            r = clients[n].put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
            written.append((r["Version"], value))
        return written

    results = _race(writers, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    for written in results:
        assert [v for v, _ in written] == sorted(v for v, _ in written)
    acknowledged = [pair for written in results for pair in written]
    assert sorted(v for v, _ in acknowledged) == list(range(2, 2 + writers * each))
    history = _history(ssm, name, WithDecryption=True)
    assert {p["Version"]: p["Value"] for p in history} == {1: "start", **dict(acknowledged)}


def test_concurrent_creates_of_one_name_let_exactly_one_win(daemon, creds, ssm, pbase):
    """Creates without Overwrite racing on one new name: one writes version 1 and every other is
    refused, even when they share a commit group."""
    name = f"{pbase}/contested"
    writers = 8
    clients = [daemon.client(*creds, service="ssm") for _ in range(writers)]

    def work(n: int) -> int:
        return clients[n].put_parameter(Name=name, Value=f"writer {n}", Type="String")["Version"]

    results = _race(writers, work)
    winners = [n for n, r in enumerate(results) if r == 1]
    assert len(winners) == 1, results
    for n, r in enumerate(results):
        if n != winners[0]:
            assert getattr(r, "response", {}).get("Error", {}).get("Code") == "ParameterAlreadyExists", r
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == f"writer {winners[0]}"
    assert len(_history(ssm, name)) == 1


# -- Labels ------------------------------------------------------------------------


def test_labels_move_between_versions(ssm, pbase):
    name = f"{pbase}/lbl"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    ssm.put_parameter(Name=name, Value="b", Type="String", Overwrite=True)
    r = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["blue", "stable"])
    assert (r["ParameterVersion"], r["InvalidLabels"]) == (1, [])
    assert ssm.get_parameter(Name=f"{name}:blue")["Parameter"]["Version"] == 1
    # without ParameterVersion: the latest version; "blue" moves from 1 to 2
    r = ssm.label_parameter_version(Name=name, Labels=["blue"])
    assert r["ParameterVersion"] == 2
    assert ssm.get_parameter(Name=f"{name}:blue")["Parameter"]["Version"] == 2
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Version"] == 1
    labels = {h["Version"]: sorted(h.get("Labels", [])) for h in _history(ssm, name)}
    assert labels == {1: ["stable"], 2: ["blue"]}


def test_invalid_labels_come_back(ssm, pbase):
    name = f"{pbase}/lbl"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    bad = ["9lives", "aws-x", "AWSlabel", "ssm.y", "Ssm_z", "has space", "a/b"]
    r = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=bad + ["good-label_1.0"])
    assert sorted(r["InvalidLabels"]) == sorted(bad)
    assert r["ParameterVersion"] == 1
    hist = _history(ssm, name)
    assert hist[0]["Labels"] == ["good-label_1.0"]
    expect_error("ValidationException", ssm.label_parameter_version, Name=name, ParameterVersion=1,
                 Labels=["x" * 101])


def test_label_limits(ssm, pbase):
    name = f"{pbase}/many"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    ten = [f"l{i}" for i in range(10)]
    assert ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=ten)["InvalidLabels"] == []
    expect_error("ParameterVersionLabelLimitExceeded", ssm.label_parameter_version, Name=name, ParameterVersion=1,
                 Labels=["eleventh"])
    expect_error("ParameterVersionNotFound", ssm.get_parameter, Name=f"{name}:eleventh")
    assert sorted(_history(ssm, name)[0]["Labels"]) == sorted(ten)
    # more than 10 in one call is a model violation
    ssm.put_parameter(Name=name, Value="b", Overwrite=True)
    expect_error("ValidationException", ssm.label_parameter_version, Name=name, ParameterVersion=2,
                 Labels=[f"m{i}" for i in range(11)])
    expect_error("ParameterVersionNotFound", ssm.label_parameter_version, Name=name, ParameterVersion=9,
                 Labels=["x"])
    expect_error("ParameterNotFound", ssm.label_parameter_version, Name=f"{pbase}/missing", Labels=["x"])


def test_unlabel(ssm, pbase):
    name = f"{pbase}/unl"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["keep", "drop"])
    r = ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["drop", "never-there"])
    assert r["RemovedLabels"] == ["drop"]
    assert r["InvalidLabels"] == ["never-there"]
    expect_error("ParameterVersionNotFound", ssm.get_parameter, Name=f"{name}:drop")
    assert ssm.get_parameter(Name=f"{name}:keep")["Parameter"]["Version"] == 1
    expect_error("ParameterVersionNotFound", ssm.unlabel_parameter_version, Name=name, ParameterVersion=5,
                 Labels=["keep"])
    expect_error("ParameterNotFound", ssm.unlabel_parameter_version, Name=f"{pbase}/missing", ParameterVersion=1,
                 Labels=["keep"])


# -- Tags -----------------------------------------------------------------------------


def _tags(ssm, name):
    return {t["Key"]: t["Value"] for t in
            ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]}


def test_tag_operations(ssm, pbase):
    name = f"{pbase}/tags"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    assert _tags(ssm, name) == {}
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                             Tags=[{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "me"}])
    assert _tags(ssm, name) == {"env": "dev", "owner": "me"}
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "env", "Value": "prod"}])
    assert _tags(ssm, name) == {"env": "prod", "owner": "me"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["owner", "absent"])
    assert _tags(ssm, name) == {"env": "prod"}
    # tags belong to the parameter, not a version
    ssm.put_parameter(Name=name, Value="w", Overwrite=True)
    assert _tags(ssm, name) == {"env": "prod"}


def test_tags_other_resource_types(ssm, pbase):
    name = f"{pbase}/tags"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    for call, extra in ((ssm.list_tags_for_resource, {}),
                        (ssm.add_tags_to_resource, {"Tags": [{"Key": "k", "Value": "v"}]}),
                        (ssm.remove_tags_from_resource, {"TagKeys": ["k"]})):
        expect_error("InvalidResourceType", call, ResourceType="Document", ResourceId=name, **extra)
        expect_error("ValidationException", call, ResourceType="Spaceship", ResourceId=name, **extra)
        expect_error("InvalidResourceId", call, ResourceType="Parameter", ResourceId=f"{pbase}/missing", **extra)
    assert _tags(ssm, name) == {}


def test_tag_key_and_value_constraints(ssm, pbase):
    """TagKey/TagValue: length 1-128 / 0-256 and the model's pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$,
    which the server must check (AWS-WIRE.md: max, pattern and enum are the server's)."""
    name = f"{pbase}/tags"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                             Tags=[{"Key": "k" * 128, "Value": "v" * 256}, {"Key": "a.b:c/d=e+f-g@h i", "Value": ""}])
    expect_error("ValidationException", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name,
                 Tags=[{"Key": "k" * 129, "Value": "v"}])
    expect_error("ValidationException", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name,
                 Tags=[{"Key": "k", "Value": "v" * 257}])
    expect_error("ValidationException", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name,
                 Tags=[{"Key": "bad#key", "Value": "v"}])
    expect_error("ValidationException", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name,
                 Tags=[{"Key": "k2", "Value": "bad;value"}])
    assert set(_tags(ssm, name)) == {"k" * 128, "a.b:c/d=e+f-g@h i"}
