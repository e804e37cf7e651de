"""AWS's own texts for Parameter Store's refusals: the model's constraints reported together
(`2 validation errors detected: ...`), then each filter's rules in order, with the wording AWS uses."""

from __future__ import annotations

import pytest

import harness

refusal = harness.refusal


KEY_PATTERN = "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"


def test_constraint_failures_are_reported_together(ssm):
    code, message = refusal(lambda: ssm.describe_parameters(
        MaxResults=51, ParameterFilters=[{"Key": "Bogus", "Values": ["x"]}, {"Key": "Type", "Values": ["a" * 1025]}]))
    assert code == "ValidationException"
    assert message == (
        "3 validation errors detected: "
        "Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50; "
        f"Value 'Bogus' at 'parameterFilters.1.member.key' failed to satisfy constraint: Member must satisfy "
        f"regular expression pattern: {KEY_PATTERN}; "
        f"Value '{'a' * 1025}' at 'parameterFilters.2.member.values.1.member' failed to satisfy constraint: "
        "Member must have length less than or equal to 1024")
    code, message = refusal(lambda: ssm.get_parameters_by_path(
        Path="/x", MaxResults=11, ParameterFilters=[{"Key": "Nope", "Values": ["x"]}]))
    assert code == "ValidationException" and message.startswith("2 validation errors detected: Value '11' at 'maxResults'")


@pytest.mark.parametrize("filters, code, message", [
    ([{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["SecureString"]}], "InvalidFilterKey",
     "The following filter is duplicated in the request: Type. A request can contain only one occurrence of a "
     "specific filter."),
    ([{"Key": "Tier"}], "InvalidFilterValue", "The following filter values are missing : null for filter key Tier."),
    ([{"Key": "Type", "Option": "Contains", "Values": ["String"]}], "InvalidFilterOption",
     "The following filter option is not valid: Contains. Valid options include: [BeginsWith, Equals]."),
    ([{"Key": "Path", "Option": "Equals", "Values": ["/a"]}], "InvalidFilterOption",
     "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel]."),
    ([{"Key": "Tier", "Values": ["Premium"]}], "InvalidFilterValue",
     "The following filter value is not valid: Premium. Valid values include: [Standard, Advanced, "
     "Intelligent-Tiering]."),
    ([{"Key": "Type", "Values": ["Secret"]}], "InvalidFilterValue",
     "The following filter value is not valid: Secret. Valid values include: [String, StringList, SecureString]."),
    ([{"Key": "Path", "Values": ["/aws/service"]}], "ValidationException",
     'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). When using global '
     "parameters, please specify within a global namespace."),
    ([{"Key": "Path", "Values": ["no-slash"]}], "ValidationException",
     "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward "
     'slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, '
     "or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All "
     'sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.'),
], ids=["duplicated", "missing-values", "option", "path-option", "tier-value", "type-value", "common-path",
        "bad-path"])
def test_describe_parameters_filter_texts(ssm, filters, code, message):
    assert refusal(lambda: ssm.describe_parameters(ParameterFilters=filters)) == (code, message)


@pytest.mark.parametrize("key", ["Name", "Path", "Tier", "DataType", "tag:team"])
def test_by_path_filter_key_texts(ssm, key):
    assert refusal(lambda: ssm.get_parameters_by_path(Path="/x", ParameterFilters=[{"Key": key, "Values": ["v"]}])) \
        == ("InvalidFilterKey", f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId].")


def test_the_cli_shows_awss_text(aws):
    out = aws("ssm", "describe-parameters", "--parameter-filters", "Key=Label,Values=prod", check=False)
    assert out.returncode != 0
    assert b"(InvalidFilterKey)" in out.stderr
    assert b"The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]." \
        in out.stderr
