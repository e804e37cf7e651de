"""SSM queries: GetParameters, GetParametersByPath, DescribeParameters and
GetParameterHistory, with their filters, limits and paging. The session daemon holds
other tests' parameters too, so every query is scoped to the test's own /t/<uuid>."""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

import harness
from harness import expect_error


def _names(params) -> list[str]:
    return [p["Name"] for p in params]


def _by_path_all(ssm, path, page_size=10, **kw) -> list[dict]:
    out, token, pages = [], None, 0
    while True:
        r = ssm.get_parameters_by_path(Path=path, MaxResults=page_size, **({"NextToken": token} if token else {}),
                                       **kw)
        assert len(r["Parameters"]) <= page_size
        out += r["Parameters"]
        pages += 1
        assert pages < 1000
        token = r.get("NextToken")
        if not token:
            return out


def _describe_all(ssm, page_size=50, **kw) -> list[dict]:
    out, token, pages = [], None, 0
    while True:
        r = ssm.describe_parameters(MaxResults=page_size, **({"NextToken": token} if token else {}), **kw)
        assert len(r["Parameters"]) <= page_size
        out += r["Parameters"]
        pages += 1
        assert pages < 1000
        token = r.get("NextToken")
        if not token:
            return out


def _under(base, option="Recursive"):
    return {"Key": "Path", "Option": option, "Values": [base]}


@pytest.fixture
def tree(ssm, pbase, key):
    """A small hierarchy under pbase:
    a (String), b (StringList), s (SecureString, default key), sub/c (String, Advanced, tagged env=prod),
    sub/k (SecureString, customer key, tagged env=dev), sub/deep/d (String, versions 1-2, label 'old' on 1)."""
    b = pbase
    ssm.put_parameter(Name=f"{b}/a", Value="va", Type="String", Description="alpha")
    ssm.put_parameter(Name=f"{b}/b", Value="x,y", Type="StringList")
    ssm.put_parameter(Name=f"{b}/s", Value="secret-s", Type="SecureString")
    ssm.put_parameter(Name=f"{b}/sub/c", Value="vc", Type="String", Tier="Advanced",
                      Tags=[{"Key": "env", "Value": "prod"}])
    ssm.put_parameter(Name=f"{b}/sub/k", Value="secret-k", Type="SecureString", KeyId=key["KeyId"],
                      Tags=[{"Key": "env", "Value": "dev"}])
    ssm.put_parameter(Name=f"{b}/sub/deep/d", Value="vd1", Type="String")
    ssm.put_parameter(Name=f"{b}/sub/deep/d", Value="vd2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=f"{b}/sub/deep/d", ParameterVersion=1, Labels=["old"])
    return {"base": b, "key": key}


# -- GetParameters -------------------------------------------------------------------


def test_get_parameters_sorted_with_invalid(ssm, pbase):
    names = [f"{pbase}/{n}" for n in ("m", "c", "x", "a")]
    for n in names:
        ssm.put_parameter(Name=n, Value="v-" + n[-1], Type="String")
    missing = [f"{pbase}/zz-missing", f"{pbase}/0-missing"]
    r = ssm.get_parameters(Names=[names[0], missing[0], names[1], names[2], missing[1], names[3]])
    got = _names(r["Parameters"])
    assert got == sorted(names), got
    assert [p["Value"] for p in r["Parameters"]] == ["v-" + n[-1] for n in sorted(names)]
    assert sorted(r["InvalidParameters"]) == sorted(missing)


def test_get_parameters_sorted_by_name_even_with_selectors(ssm, pbase):
    """AWS-WIRE.md: GetParameters returns Parameters sorted by name. `x:1` and `x-y` sort one
    way as request strings (':' > '-') and the other way as names ("x" < "x-y")."""
    ssm.put_parameter(Name=f"{pbase}/x", Value="x", Type="String")
    ssm.put_parameter(Name=f"{pbase}/x-y", Value="x-y", Type="String")
    r = ssm.get_parameters(Names=[f"{pbase}/x-y", f"{pbase}/x:1"])
    assert _names(r["Parameters"]) == [f"{pbase}/x", f"{pbase}/x-y"], r["Parameters"]


def test_get_parameters_selectors_and_duplicates(ssm, pbase):
    name = f"{pbase}/p"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    r = ssm.get_parameters(Names=[f"{name}:first", name, name, f"{name}:9", f"{name}:nolabel"])
    vals = sorted((p["Version"], p["Value"], p.get("Selector")) for p in r["Parameters"])
    assert vals == [(1, "one", ":first"), (2, "two", None)]
    assert sorted(r["InvalidParameters"]) == sorted([f"{name}:9", f"{name}:nolabel"])


def test_get_parameters_limit(ssm, pbase):
    ten = [f"{pbase}/n{i}" for i in range(10)]
    r = ssm.get_parameters(Names=ten)
    assert r["Parameters"] == [] and sorted(r["InvalidParameters"]) == sorted(ten)
    expect_error("ValidationException", ssm.get_parameters, Names=ten + [f"{pbase}/n10"])


def test_get_parameters_secure(ssm, pbase):
    ssm.put_parameter(Name=f"{pbase}/s", Value="the-secret", Type="SecureString")
    ssm.put_parameter(Name=f"{pbase}/p", Value="plain", Type="String")
    enc = {p["Name"]: p["Value"] for p in ssm.get_parameters(Names=[f"{pbase}/s", f"{pbase}/p"])["Parameters"]}
    assert enc[f"{pbase}/p"] == "plain"
    assert enc[f"{pbase}/s"] != "the-secret"
    base64.b64decode(enc[f"{pbase}/s"], validate=True)
    dec = ssm.get_parameters(Names=[f"{pbase}/s", f"{pbase}/p"], WithDecryption=True)["Parameters"]
    assert {p["Name"]: p["Value"] for p in dec} == {f"{pbase}/s": "the-secret", f"{pbase}/p": "plain"}


# -- GetParametersByPath -------------------------------------------------------------


def test_by_path_one_level_and_recursive(ssm, tree):
    b = tree["base"]
    assert _names(_by_path_all(ssm, b)) == [f"{b}/a", f"{b}/b", f"{b}/s"]
    assert _names(_by_path_all(ssm, b, Recursive=False)) == [f"{b}/a", f"{b}/b", f"{b}/s"]
    assert sorted(_names(_by_path_all(ssm, b, Recursive=True))) == sorted(
        [f"{b}/a", f"{b}/b", f"{b}/s", f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"])
    assert sorted(_names(_by_path_all(ssm, f"{b}/sub"))) == [f"{b}/sub/c", f"{b}/sub/k"]
    assert sorted(_names(_by_path_all(ssm, f"{b}/sub/"))) == [f"{b}/sub/c", f"{b}/sub/k"]
    assert _names(_by_path_all(ssm, f"{b}/sub/deep", Recursive=True)) == [f"{b}/sub/deep/d"]
    # the parameter at the path itself is not "under" it
    assert _by_path_all(ssm, f"{b}/a") == []
    assert _by_path_all(ssm, f"{b}/nothing-here", Recursive=True) == []
    expect_error("ValidationException", ssm.get_parameters_by_path, Path=b.lstrip("/"))


def test_by_path_values_and_decryption(ssm, tree):
    b = tree["base"]
    plain = {p["Name"]: p for p in _by_path_all(ssm, b, Recursive=True)}
    assert plain[f"{b}/a"]["Value"] == "va"
    assert plain[f"{b}/sub/deep/d"]["Value"] == "vd2" and plain[f"{b}/sub/deep/d"]["Version"] == 2
    assert plain[f"{b}/s"]["Value"] != "secret-s"
    assert plain[f"{b}/s"]["Type"] == "SecureString"
    dec = {p["Name"]: p["Value"] for p in _by_path_all(ssm, b, Recursive=True, WithDecryption=True)}
    assert dec[f"{b}/s"] == "secret-s" and dec[f"{b}/sub/k"] == "secret-k"


def test_by_path_filters(ssm, tree):
    b, key = tree["base"], tree["key"]

    def q(*filters):
        return sorted(_names(_by_path_all(ssm, b, Recursive=True, ParameterFilters=list(filters))))

    assert q({"Key": "Type", "Values": ["SecureString"]}) == [f"{b}/s", f"{b}/sub/k"]
    assert q({"Key": "Type", "Option": "Equals", "Values": ["String", "StringList"]}) == sorted(
        [f"{b}/a", f"{b}/b", f"{b}/sub/c", f"{b}/sub/deep/d"])
    assert q({"Key": "KeyId", "Values": [key["KeyId"]]}) == [f"{b}/sub/k"]
    assert q({"Key": "KeyId", "Values": ["alias/aws/ssm"]}) == [f"{b}/s"]
    assert q({"Key": "Type", "Values": ["SecureString"]}, {"Key": "KeyId", "Values": [key["KeyId"]]}) == [
        f"{b}/sub/k"]
    # Label: the labelled version is the one returned
    labelled = _by_path_all(ssm, b, Recursive=True, ParameterFilters=[{"Key": "Label", "Values": ["old"]}])
    assert [(p["Name"], p["Version"], p["Value"]) for p in labelled] == [(f"{b}/sub/deep/d", 1, "vd1")]
    assert q({"Key": "Label", "Values": ["no-such-label"]}) == []


@pytest.mark.parametrize("filter_key", ["Name", "Path", "Tier", "tag:env", "DataType"])
def test_by_path_refuses_filter_keys(ssm, tree, filter_key):
    """botocore's model (ParameterStringFilter.Key): "For GetParametersByPath, the following
    patterns listed for Key aren't valid: tag, DataType, Name, Path, and Tier"."""
    values = {"Name": [tree["base"]], "Path": [tree["base"]], "Tier": ["Standard"], "tag:env": ["prod"],
              "DataType": ["text"]}[filter_key]
    expect_error("InvalidFilterKey", ssm.get_parameters_by_path, Path=tree["base"], Recursive=True,
                 ParameterFilters=[{"Key": filter_key, "Values": values}])


def test_by_path_max_results(ssm, ssm_nv, tree):
    b = tree["base"]
    assert len(ssm.get_parameters_by_path(Path=b, Recursive=True, MaxResults=1)["Parameters"]) == 1
    assert len(ssm.get_parameters_by_path(Path=b, Recursive=True, MaxResults=10)["Parameters"]) == 6
    expect_error("ValidationException", ssm.get_parameters_by_path, Path=b, MaxResults=11)
    expect_error("ValidationException", ssm_nv.get_parameters_by_path, Path=b, MaxResults=0)


def test_by_path_paging_collects_everything_once(ssm, pbase):
    expected = []
    for i in range(13):
        n = f"{pbase}/{'deep/' if i % 3 == 0 else ''}p{i:02d}"
        ssm.put_parameter(Name=n, Value=f"v{i}", Type="String")
        expected.append(n)
    for size in (1, 2, 5, 10):
        got = _names(_by_path_all(ssm, pbase, page_size=size, Recursive=True))
        assert len(got) == len(set(got)), f"duplicates with MaxResults={size}: {got}"
        assert sorted(got) == sorted(expected), f"MaxResults={size}"
    first = ssm.get_parameters_by_path(Path=pbase, Recursive=True, MaxResults=5)
    assert len(first["Parameters"]) == 5 and first.get("NextToken")


@pytest.mark.parametrize("token", ["not-a-token", "!!!", base64.b64encode(os.urandom(24)).decode(),
                                   base64.b64encode(f"ssm:/t/forged-{uuid.uuid4().hex}".encode()).decode()],
                         ids=["text", "punctuation", "random-base64", "same-shape-as-issued"])
def test_by_path_forged_next_token(ssm, pbase, token):
    """docs/api.md: "NextToken is opaque; a token the daemon did not issue gets InvalidNextToken"."""
    ssm.put_parameter(Name=f"{pbase}/a", Value="v", Type="String")
    expect_error("InvalidNextToken", ssm.get_parameters_by_path, Path=pbase, NextToken=token)


# -- DescribeParameters ----------------------------------------------------------------


def test_describe_metadata(ssm, tree, creds):
    b, key = tree["base"], tree["key"]
    md = {m["Name"]: m for m in _describe_all(ssm, ParameterFilters=[_under(b)])}
    assert set(md) == {f"{b}/a", f"{b}/b", f"{b}/s", f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"}
    a = md[f"{b}/a"]
    assert (a["Type"], a["Version"], a["Tier"], a["DataType"], a["Description"]) == (
        "String", 1, "Standard", "text", "alpha")
    assert a["ARN"].endswith(f":parameter{b}/a")
    assert creds[0] in a["LastModifiedUser"]
    assert "KeyId" not in a
    assert md[f"{b}/s"]["KeyId"] == "alias/aws/ssm"
    assert md[f"{b}/sub/k"]["KeyId"] == key["KeyId"]
    assert md[f"{b}/sub/c"]["Tier"] == "Advanced"
    assert md[f"{b}/sub/deep/d"]["Version"] == 2
    assert "Value" not in a


def test_describe_name_filters(ssm, tree):
    b = tree["base"]

    def q(option, *values):
        f = {"Key": "Name", "Values": list(values)}
        if option:
            f["Option"] = option
        return sorted(_names(_describe_all(ssm, ParameterFilters=[f])))

    assert q(None, f"{b}/a") == [f"{b}/a"]
    assert q("Equals", f"{b}/sub/c", f"{b}/b") == [f"{b}/b", f"{b}/sub/c"]
    assert q("Equals", f"{b}/sub") == []
    assert q("Equals", f"{b}/a".lstrip("/")) == [f"{b}/a"]  # the leading slash is optional
    assert q("BeginsWith", f"{b}/sub/") == sorted([f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"])
    assert q("BeginsWith", f"{b}/s") == sorted([f"{b}/s", f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"])
    token = b.split("/")[-1]
    assert q("Contains", f"{token}/sub/de") == [f"{b}/sub/deep/d"]
    assert q("Contains", token) == sorted([f"{b}/a", f"{b}/b", f"{b}/s", f"{b}/sub/c", f"{b}/sub/k",
                                           f"{b}/sub/deep/d"])


def test_describe_path_filter(ssm, tree):
    b = tree["base"]
    one = _describe_all(ssm, ParameterFilters=[_under(b, "OneLevel")])
    assert sorted(_names(one)) == [f"{b}/a", f"{b}/b", f"{b}/s"]
    default = _describe_all(ssm, ParameterFilters=[{"Key": "Path", "Values": [f"{b}/sub"]}])
    assert sorted(_names(default)) == [f"{b}/sub/c", f"{b}/sub/k"]
    rec = _describe_all(ssm, ParameterFilters=[_under(f"{b}/sub")])
    assert sorted(_names(rec)) == sorted([f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"])


def test_describe_type_keyid_tier_datatype_tag_filters(ssm, tree):
    b, key = tree["base"], tree["key"]

    def q(*filters):
        return sorted(_names(_describe_all(ssm, ParameterFilters=[_under(b)] + list(filters))))

    assert q({"Key": "Type", "Values": ["SecureString"]}) == [f"{b}/s", f"{b}/sub/k"]
    assert q({"Key": "Type", "Values": ["StringList"]}) == [f"{b}/b"]
    assert q({"Key": "KeyId", "Values": [key["KeyId"]]}) == [f"{b}/sub/k"]
    assert q({"Key": "KeyId", "Values": ["alias/aws/ssm"]}) == [f"{b}/s"]
    assert q({"Key": "Tier", "Values": ["Advanced"]}) == [f"{b}/sub/c"]
    assert len(q({"Key": "Tier", "Values": ["Standard"]})) == 5
    assert len(q({"Key": "DataType", "Values": ["text"]})) == 6
    assert q({"Key": "tag:env", "Values": ["prod"]}) == [f"{b}/sub/c"]
    assert q({"Key": "tag:env", "Values": ["prod", "dev"]}) == [f"{b}/sub/c", f"{b}/sub/k"]
    assert q({"Key": "tag:env"}) == [f"{b}/sub/c", f"{b}/sub/k"]  # no values: the tag is present
    assert q({"Key": "tag:nope"}) == []
    assert q({"Key": "Type", "Values": ["String"]}, {"Key": "Tier", "Values": ["Standard"]}) == sorted(
        [f"{b}/a", f"{b}/sub/deep/d"])


def test_describe_begins_with_on_other_keys(ssm, tree):
    """botocore's model (ParameterStringFilter.Option): "For all filters used with
    DescribeParameters, valid options include Equals and BeginsWith. The Name filter
    additionally supports the Contains option"."""
    b = tree["base"]
    got = _describe_all(ssm, ParameterFilters=[_under(b), {"Key": "KeyId", "Option": "BeginsWith",
                                                           "Values": ["alias/aws/"]}])
    assert _names(got) == [f"{b}/s"]
    got = _describe_all(ssm, ParameterFilters=[_under(b), {"Key": "Type", "Option": "BeginsWith",
                                                           "Values": ["Secure"]}])
    assert sorted(_names(got)) == [f"{b}/s", f"{b}/sub/k"]


def test_describe_refuses_a_label_filter_as_aws_does(ssm, tree):
    """botocore's model: "For DescribeParameters, all of the listed patterns are valid except Label";
    the label filter belongs to GetParametersByPath."""
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[_under(tree["base"]), {"Key": "Label", "Values": ["old"]}])
    assert e.value.response["Error"]["Code"] == "InvalidFilterKey"
    assert e.value.response["Error"]["Message"] == (
        "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")


def test_describe_deprecated_filters(ssm, tree):
    b, key = tree["base"], tree["key"]
    names = sorted(_names(_describe_all(ssm, Filters=[{"Key": "Name", "Values": [f"{b}/sub/"]}])))
    assert names == sorted([f"{b}/sub/c", f"{b}/sub/k", f"{b}/sub/deep/d"])
    names = sorted(_names(_describe_all(ssm, Filters=[{"Key": "Name", "Values": [b]},
                                                      {"Key": "Type", "Values": ["SecureString"]}])))
    assert names == [f"{b}/s", f"{b}/sub/k"]
    names = _names(_describe_all(ssm, Filters=[{"Key": "KeyId", "Values": [key["KeyId"]]}]))
    assert names == [f"{b}/sub/k"]
    expect_error("ValidationException", ssm.describe_parameters,
                 Filters=[{"Key": "Path", "Values": [b]}])


def test_describe_filters_and_parameter_filters_together(ssm, tree):
    expect_error("ValidationException", ssm.describe_parameters,
                 Filters=[{"Key": "Name", "Values": [tree["base"]]}],
                 ParameterFilters=[{"Key": "Type", "Values": ["String"]}])


@pytest.mark.parametrize("flt", [
    {"Key": "Type", "Option": "Contains", "Values": ["String"]},
    {"Key": "Path", "Option": "Equals", "Values": ["/t"]},
    {"Key": "Name", "Option": "Recursive", "Values": ["/t"]},
    {"Key": "Label", "Option": "BeginsWith", "Values": ["x"]},
    {"Key": "Name", "Option": "Matches", "Values": ["/t"]},
], ids=["Type-Contains", "Path-Equals", "Name-Recursive", "Label-BeginsWith", "Name-Matches"])
def test_describe_bad_filter_option(ssm, flt):
    call = ssm.get_parameters_by_path if flt["Key"] == "Label" else ssm.describe_parameters
    kwargs = {"Path": "/t"} if flt["Key"] == "Label" else {}
    expect_error("InvalidFilterOption", call, ParameterFilters=[flt], **kwargs)


@pytest.mark.parametrize("flt", [
    {"Key": "Type", "Values": ["Secret"]},
    {"Key": "Tier", "Values": ["Premium"]},
    {"Key": "DataType", "Values": ["blob"]},
    {"Key": "Name"},
], ids=["Type", "Tier", "DataType", "Name-without-values"])
def test_describe_bad_filter_value(ssm, flt):
    expect_error("InvalidFilterValue", ssm.describe_parameters, ParameterFilters=[flt])


@pytest.mark.parametrize("flt", [
    {"Key": "Bogus", "Values": ["x"]},
    {"Key": "Name", "Option": "BeginsWithX", "Values": ["/t"]},
    {"Key": "Name", "Values": [f"/t/{i}" for i in range(51)]},
    {"Key": "Name", "Values": ["/" + "t" * 1024]},
], ids=["key-pattern", "option-over-10-chars", "51-values", "value-over-1024"])
def test_describe_filter_model_constraints(ssm, flt):
    """ParameterStringFilter's model constraints (Key pattern `tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType`,
    Option length <= 10, 1-50 Values of 1-1024 characters) are the server's to check
    (AWS-WIRE.md), with AWS's ValidationException."""
    msg = expect_error("ValidationException", ssm.describe_parameters, ParameterFilters=[flt])
    assert msg.startswith("1 validation error detected"), msg


def test_describe_max_results(ssm, ssm_nv, tree):
    assert len(ssm.describe_parameters(MaxResults=50)["Parameters"]) <= 50
    expect_error("ValidationException", ssm.describe_parameters, MaxResults=51)
    expect_error("ValidationException", ssm_nv.describe_parameters, MaxResults=0)


def test_describe_paging(ssm, pbase):
    expected = []
    for i in range(11):
        n = f"{pbase}/{'x/' if i % 2 else ''}q{i:02d}"
        ssm.put_parameter(Name=n, Value="v", Type="String")
        expected.append(n)
    for size in (1, 3, 50):
        got = _names(_describe_all(ssm, page_size=size, ParameterFilters=[_under(pbase)]))
        assert len(got) == len(set(got)), got
        assert sorted(got) == sorted(expected)
    expect_error("InvalidNextToken", ssm.describe_parameters, NextToken="forged-token",
                 ParameterFilters=[_under(pbase)])


# -- GetParameterHistory -------------------------------------------------------------


def test_history(ssm, pbase):
    name = f"{pbase}/hist"
    ssm.put_parameter(Name=name, Value="h1", Type="String", Description="first")
    ssm.put_parameter(Name=name, Value="h2", Overwrite=True, Description="second")
    ssm.put_parameter(Name=name, Value="h3", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["b", "a"])
    h = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(x["Version"], x["Value"]) for x in h] == [(1, "h1"), (2, "h2"), (3, "h3")]
    assert [x.get("Description") for x in h] == ["first", "second", "second"]
    assert [sorted(x.get("Labels", [])) for x in h] == [[], ["a", "b"], []]
    assert all(x["Name"] == name and x["Type"] == "String" and x["Tier"] == "Standard" for x in h)
    dates = [x["LastModifiedDate"] for x in h]
    assert dates == sorted(dates)


def test_history_paging(ssm, ssm_nv, pbase):
    name = f"{pbase}/hp"
    for i in range(1, 8):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=True)
    for size in (1, 2, 3, 7):
        versions, token = [], None
        while True:
            r = ssm.get_parameter_history(Name=name, MaxResults=size, **({"NextToken": token} if token else {}))
            assert len(r["Parameters"]) <= size
            versions += [x["Version"] for x in r["Parameters"]]
            token = r.get("NextToken")
            if not token:
                break
        assert versions == list(range(1, 8)), f"MaxResults={size}: {versions}"
    expect_error("ValidationException", ssm.get_parameter_history, Name=name, MaxResults=51)
    expect_error("ValidationException", ssm_nv.get_parameter_history, Name=name, MaxResults=0)
    expect_error("InvalidNextToken", ssm.get_parameter_history, Name=name, NextToken="garbage")
    expect_error("ParameterNotFound", ssm.get_parameter_history, Name=f"{pbase}/missing")


def test_history_secure_string(ssm, pbase):
    name = f"{pbase}/hs"
    secrets = ["sec-" + uuid.uuid4().hex for _ in range(2)]
    ssm.put_parameter(Name=name, Value=secrets[0], Type="SecureString")
    ssm.put_parameter(Name=name, Value=secrets[1], Overwrite=True)
    enc = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [x["Type"] for x in enc] == ["SecureString", "SecureString"]
    assert all(x["KeyId"] == "alias/aws/ssm" for x in enc)
    assert not any(x["Value"] in secrets for x in enc)
    dec = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [x["Value"] for x in dec] == secrets


def test_the_root_path_holds_names_without_a_slash(spawn):
    d = spawn(ephemeral=True)
    ssm = d.client("AKIATESTINGROOTPATH1", "anything", service="ssm")
    for name in ("rootname", "/top", "/top/child", "another"):
        ssm.put_parameter(Name=name, Value=f"v-{name}", Type="String")
    assert _names(_by_path_all(ssm, "/")) == ["/top", "another", "rootname"]
    assert _names(_by_path_all(ssm, "/", page_size=1, Recursive=True)) == ["/top", "/top/child", "another",
                                                                          "rootname"]
    assert _names(_by_path_all(ssm, "/top")) == ["/top/child"]
    one_level = _describe_all(ssm, ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": ["/"]}])
    assert sorted(_names(one_level)) == ["/top", "another", "rootname"]
    out = harness.aws_cli(d.endpoint, "AKIATESTINGROOTPATH1", "anything", "ssm", "get-parameters-by-path",
                          "--path", "/")
    assert out.returncode == 0, out.stderr
    assert [p["Name"] for p in json.loads(out.stdout)["Parameters"]] == ["/top", "another", "rootname"]


def test_a_root_path_query_returns_only_the_slashless_names_the_policy_grants(start_daemon, tmp_path):
    keys = {"admin": "AKIAROOTPATHADMIN001", "reader": "AKIAROOTPATHREADER01"}
    entries = []
    for principal, key_id in keys.items():
        secret = tmp_path / f"{principal}.secret"
        secret.write_text(f"{principal}-secret\n")
        secret.chmod(0o600)
        entries.append(f"  - {{id: {key_id}, secretFile: {secret}, principal: {principal}}}")
    d = start_daemon("accessKeys:\n" + "\n".join(entries) + """
policy:
  - principals: ["uid:0", "access-key:admin"]
    allow: ["*"]
    resources: ["*"]
  - principals: ["access-key:reader"]
    allow: ["ssm:GetParametersByPath"]
    resources: ["/*", "granted"]
""")
    admin = d.client(keys["admin"], "admin-secret", service="ssm")
    reader = d.client(keys["reader"], "reader-secret", service="ssm")
    for name in ("granted", "withheld", "/slashed"):
        admin.put_parameter(Name=name, Value="v", Type="String")
    assert _names(_by_path_all(reader, "/")) == ["/slashed", "granted"]
    assert _names(_by_path_all(admin, "/")) == ["/slashed", "granted", "withheld"]
