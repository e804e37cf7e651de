"""SecureString parameters and their KMS keys: the ciphertext KMS opens under the
PARAMETER_ARN context, alias/aws/ssm, customer keys, disabled keys, rotation; plus the
daemons of their own: no plaintext on disk, durability across kill -9, --ephemeral and
POST /moto-api/reset."""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import stat
import uuid
from pathlib import Path

import pytest

from harness import envelope_header, expect_error, key_arn, make_kms_client, make_ssm_client, parameter_arn, unique


def _ciphertext(ssm, name: str) -> bytes:
    value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    return base64.b64decode(value, validate=True)


def _wrapped_key_header(token: bytes) -> dict:
    """The v1 header of the data key wrapped inside a v2 token (DataKeyEnvelope.swift:
    0x02 | uint16 BE length L | wrapped data key (L bytes, a v1 envelope) | nonce | tag | ciphertext)."""
    assert token[0] == 0x02, f"not a version 2 envelope: first byte {token[0]:#x}"
    length = int.from_bytes(token[1:3], "big")
    return envelope_header(token[3:3 + length])


def _aliases(kms) -> dict[str, str]:
    out, marker = {}, None
    while True:
        page = kms.list_aliases(Limit=100, **({"Marker": marker} if marker else {}))
        out.update({a["AliasName"]: a.get("TargetKeyId") for a in page["Aliases"]})
        if not page["Truncated"]:
            return out
        marker = page["NextMarker"]


# -- the ciphertext and its context ------------------------------------------------------


def test_secure_string_ciphertext_opens_with_kms_under_the_parameter_arn(ssm, kms, pbase):
    name = f"{pbase}/db/password"
    secret = "pw-" + secrets.token_hex(16)
    assert ssm.put_parameter(Name=name, Value=secret, Type="SecureString")["Version"] == 1
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Type"] == "SecureString"
    assert p["Value"] != secret
    blob = base64.b64decode(p["Value"], validate=True)
    assert secret.encode() not in blob
    arn = parameter_arn(name)
    assert p["ARN"] == arn

    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
    assert dec["Plaintext"] == secret.encode()
    target = _aliases(kms).get("alias/aws/ssm")
    assert target, "alias/aws/ssm does not exist after a SecureString was written with the default key"
    assert dec["KeyId"] == key_arn(target)

    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"PARAMETER_ARN": parameter_arn(f"{pbase}/other")})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"parameter_arn": arn})

    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret
    # WithDecryption on a String changes nothing
    ssm.put_parameter(Name=f"{pbase}/plain", Value="plain", Type="String")
    assert ssm.get_parameter(Name=f"{pbase}/plain", WithDecryption=True)["Parameter"]["Value"] == "plain"


def test_default_key_is_the_aws_managed_alias(ssm, kms, pbase):
    name = f"{pbase}/default-key"
    ssm.put_parameter(Name=name, Value="v", Type="SecureString")
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert md[0]["KeyId"] == "alias/aws/ssm"
    key = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    assert key["KeyState"] == "Enabled"
    # docs/api.md: the AWS-managed key cannot be disabled, rotated by hand or scheduled for deletion
    refused = ("UnsupportedOperationException", "AccessDeniedException")
    expect_error(refused, kms.disable_key, KeyId=key["KeyId"])
    expect_error(refused, kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=7)
    expect_error(refused, kms.rotate_key_on_demand, KeyId=key["KeyId"])
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyState"] == "Enabled"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "v"
    # the reserved alias stays reserved for customers
    expect_error(("NotAuthorizedException", "InvalidAliasNameException", "AlreadyExistsException"),
                 kms.create_alias, AliasName="alias/aws/ssm", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])


def test_default_key_created_on_first_use(spawn, tmp_path):
    data = tmp_path / "first-use-data"
    data.mkdir()
    d = spawn(data, ephemeral=True, socket_path=tmp_path / "first-use.sock")
    ssm = make_ssm_client(d.endpoint, "AKIAFIRSTUSE", "secret")
    kms = make_kms_client(d.endpoint, "AKIAFIRSTUSE", "secret")
    assert "alias/aws/ssm" not in _aliases(kms)
    ssm.put_parameter(Name="/first/plain", Value="v", Type="String")
    assert "alias/aws/ssm" not in _aliases(kms), "a String parameter created alias/aws/ssm"
    ssm.put_parameter(Name="/first/secure", Value="v", Type="SecureString")
    aliases = _aliases(kms)
    assert aliases.get("alias/aws/ssm"), aliases
    ssm.put_parameter(Name="/first/secure2", Value="w", Type="SecureString")
    assert _aliases(kms)["alias/aws/ssm"] == aliases["alias/aws/ssm"], "a second alias/aws/ssm key was made"


@pytest.mark.parametrize("ref", ["id", "arn", "alias", "alias-arn"])
def test_customer_key(ssm, kms, key, pbase, ref):
    alias = "alias/" + unique("ssm")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    key_id = {"id": key["KeyId"], "arn": key["Arn"], "alias": alias,
              "alias-arn": f"arn:aws:kms:us-east-1:{key['Arn'].split(':')[4]}:{alias}"}[ref]
    name = f"{pbase}/cust"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString", KeyId=key_id)
    dec = kms.decrypt(CiphertextBlob=_ciphertext(ssm, name), EncryptionContext={"PARAMETER_ARN": parameter_arn(name)})
    assert (dec["Plaintext"], dec["KeyId"]) == (b"first", key["Arn"])
    md = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert md[0]["KeyId"] == key_id
    # an overwrite that names no key keeps the parameter's key
    ssm.put_parameter(Name=name, Value="second", Overwrite=True)
    dec = kms.decrypt(CiphertextBlob=_ciphertext(ssm, name), EncryptionContext={"PARAMETER_ARN": parameter_arn(name)})
    assert (dec["Plaintext"], dec["KeyId"]) == (b"second", key["Arn"])
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == "first"


def test_unknown_key_id(ssm, pbase):
    for bad in (str(uuid.uuid4()), "alias/" + unique("missing"), key_arn(str(uuid.uuid4()))):
        expect_error("InvalidKeyId", ssm.put_parameter, Name=f"{pbase}/k", Value="v", Type="SecureString", KeyId=bad)
    expect_error("ParameterNotFound", ssm.get_parameter, Name=f"{pbase}/k")
    expect_error("ValidationException", ssm.put_parameter, Name=f"{pbase}/k", Value="v", Type="SecureString",
                 KeyId="bad key!")


def test_disabled_key(ssm, kms, key, pbase):
    name = f"{pbase}/off"
    ssm.put_parameter(Name=name, Value="before", Type="SecureString", KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    expect_error("InvalidKeyId", ssm.get_parameter, Name=name, WithDecryption=True)
    expect_error("InvalidKeyId", ssm.get_parameters, Names=[name], WithDecryption=True)
    expect_error("InvalidKeyId", ssm.get_parameter_history, Name=name, WithDecryption=True)
    # without decryption the ciphertext is still served
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != "before"
    expect_error("InvalidKeyId", ssm.put_parameter, Name=name, Value="after", Overwrite=True)
    expect_error("InvalidKeyId", ssm.put_parameter, Name=f"{pbase}/new", Value="x", Type="SecureString",
                 KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1
    kms.enable_key(KeyId=key["KeyId"])
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "before"


def test_key_pending_deletion(ssm, kms, key, pbase):
    name = f"{pbase}/doomed"
    ssm.put_parameter(Name=name, Value="v", Type="SecureString", KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    expect_error("InvalidKeyId", ssm.get_parameter, Name=name, WithDecryption=True)
    expect_error("InvalidKeyId", ssm.put_parameter, Name=name, Value="w", Overwrite=True)


def test_rotation_keeps_every_version_readable(ssm, kms, key, pbase):
    name = f"{pbase}/rotated"
    ssm.put_parameter(Name=name, Value="before rotation", Type="SecureString", KeyId=key["KeyId"])
    old = _ciphertext(ssm, name)
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    ssm.put_parameter(Name=name, Value="after rotation", Overwrite=True)
    new = _ciphertext(ssm, name)
    h_old, h_new = _wrapped_key_header(old), _wrapped_key_header(new)
    assert h_old["key_id"] == h_new["key_id"] == key["KeyId"]
    assert h_new["key_version"] > h_old["key_version"], (h_old, h_new)

    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == "before rotation"
    assert ssm.get_parameter(Name=f"{name}:2", WithDecryption=True)["Parameter"]["Value"] == "after rotation"
    hist = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [x["Value"] for x in hist] == ["before rotation", "after rotation"]
    ctx = {"PARAMETER_ARN": parameter_arn(name)}
    assert kms.decrypt(CiphertextBlob=old, EncryptionContext=ctx)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=new, EncryptionContext=ctx)["Plaintext"] == b"after rotation"
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert [x["Value"] for x in ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]] == [
        "before rotation", "after rotation"]


def test_secure_string_any_text_round_trips(ssm, kms, pbase):
    value = 'caf\u00e9 \U0001F600 "quoted" back\\slash\nnew line\ttab <&> ' + secrets.token_hex(8)
    name = f"{pbase}/unicode"
    ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    dec = kms.decrypt(CiphertextBlob=_ciphertext(ssm, name), EncryptionContext={"PARAMETER_ARN": parameter_arn(name)})
    assert dec["Plaintext"] == value.encode("utf-8")


def test_same_value_gives_different_ciphertexts(ssm, pbase):
    ssm.put_parameter(Name=f"{pbase}/x", Value="same", Type="SecureString")
    ssm.put_parameter(Name=f"{pbase}/y", Value="same", Type="SecureString")
    ssm.put_parameter(Name=f"{pbase}/x", Value="same", Overwrite=True)
    blobs = {_ciphertext(ssm, f"{pbase}/x"), _ciphertext(ssm, f"{pbase}/y"),
             base64.b64decode(ssm.get_parameter(Name=f"{pbase}/x:1")["Parameter"]["Value"])}
    assert len(blobs) == 3


def test_ciphertext_bound_to_its_parameter(ssm, kms, pbase):
    """A ciphertext copied from one SecureString to another name does not open there."""
    a, b = f"{pbase}/a", f"{pbase}/b"
    ssm.put_parameter(Name=a, Value="for a", Type="SecureString")
    blob = _ciphertext(ssm, a)
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext={"PARAMETER_ARN": parameter_arn(b)})
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(tampered),
                 EncryptionContext={"PARAMETER_ARN": parameter_arn(a)})


# -- daemons of their own --------------------------------------------------------------


def _files(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        for p in root.rglob("*"):
            try:
                mode = p.lstat().st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISREG(mode):
                out.append(p)
    return out


def _scan(needles: dict[str, bytes], roots: list[Path]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for p in _files(*roots):
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            continue
        for label, needle in needles.items():
            if needle in data:
                hits.setdefault(label, []).append(str(p))
    return hits


def test_secure_values_never_reach_disk(spawn, tmp_path):
    data = tmp_path / "canary-data"
    data.mkdir()
    d = spawn(data)
    ssm, kms = d.client(service="ssm"), d.client()
    canaries = {f"canary{i}": "cnry-" + secrets.token_hex(24) for i in range(5)}
    control = "ctrl-" + secrets.token_hex(24)  # a String value, stored as text: proves the scan sees the store

    ssm.put_parameter(Name="/canary/plain", Value=control, Type="String")
    ssm.put_parameter(Name="/canary/secret", Value=canaries["canary0"], Type="SecureString")
    ssm.put_parameter(Name="/canary/secret", Value=canaries["canary1"], Overwrite=True)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name="/canary/nested/own-key", Value=canaries["canary2"], Type="SecureString", KeyId=key)
    # refused writes carry secrets too
    expect_error("ParameterAlreadyExists", ssm.put_parameter, Name="/canary/secret", Value=canaries["canary3"],
                 Type="SecureString")
    expect_error("ParameterPatternMismatchException", ssm.put_parameter, Name="/canary/pattern",
                 Value=canaries["canary4"], Type="SecureString", AllowedPattern="^[0-9]+$")
    # and every read path that decrypts
    assert ssm.get_parameter(Name="/canary/secret", WithDecryption=True)["Parameter"]["Value"] == canaries["canary1"]
    assert ssm.get_parameter(Name="/canary/secret:1", WithDecryption=True)["Parameter"]["Value"] == canaries["canary0"]
    ssm.get_parameters(Names=["/canary/secret", "/canary/nested/own-key"], WithDecryption=True)
    ssm.get_parameters_by_path(Path="/canary", Recursive=True, WithDecryption=True)
    ssm.get_parameter_history(Name="/canary/secret", WithDecryption=True)
    kms.decrypt(CiphertextBlob=base64.b64decode(ssm.get_parameter(Name="/canary/secret")["Parameter"]["Value"]),
                EncryptionContext={"PARAMETER_ARN": parameter_arn("/canary/secret")})

    needles = {}
    for label, value in list(canaries.items()) + [("control", control)]:
        needles[label] = value.encode()
        needles[label + " (base64)"] = base64.b64encode(value.encode())[:40]
        needles[label + " (utf-16)"] = value.encode("utf-16-le")
    roots = [data, d.log_dir]

    def check(when: str):
        files = [str(p.relative_to(data)) for p in _files(data)]
        assert any(f.endswith((".db", ".sqlite", ".sqlite3")) or "sealbox" in f for f in files), files
        hits = _scan(needles, roots)
        assert "control" in hits, f"{when}: the String control value was not found in {files}: the scan is blind"
        leaked = {k: v for k, v in hits.items() if not k.startswith("control")}
        assert not leaked, f"{when}: SecureString plaintext found on disk: {leaked}"

    check("while running")
    rc = d.terminate(timeout=10)
    assert rc == 0, f"exit status {rc}\n{d.logs()}"
    check("after SIGTERM")


def test_put_acknowledged_before_kill9_survives(spawn, tmp_path):
    data = tmp_path / "ssm-durable"
    data.mkdir()
    d1 = spawn(data)
    ssm, kms = d1.client(service="ssm"), d1.client()
    key = kms.create_key()["KeyMetadata"]
    ssm.put_parameter(Name="/dur/plain", Value="p1", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/dur/plain", Value="p2", Overwrite=True)
    ssm.label_parameter_version(Name="/dur/plain", ParameterVersion=1, Labels=["first"])
    ssm.put_parameter(Name="/dur/secret", Value="s-default", Type="SecureString")
    ssm.put_parameter(Name="/dur/own", Value="s-own", Type="SecureString", KeyId=key["KeyId"])
    ssm.put_parameter(Name="/dur/gone", Value="x", Type="String")
    ssm.delete_parameter(Name="/dur/gone")
    last = ssm.put_parameter(Name="/dur/last", Value="acknowledged", Type="SecureString")
    assert last["Version"] == 1

    d1.kill9()

    d2 = spawn(data)
    ssm2, kms2 = d2.client(service="ssm"), d2.client()
    assert ssm2.get_parameter(Name="/dur/last", WithDecryption=True)["Parameter"]["Value"] == "acknowledged"
    assert ssm2.get_parameter(Name="/dur/secret", WithDecryption=True)["Parameter"]["Value"] == "s-default"
    assert ssm2.get_parameter(Name="/dur/own", WithDecryption=True)["Parameter"]["Value"] == "s-own"
    p = ssm2.get_parameter(Name="/dur/plain")["Parameter"]
    assert (p["Value"], p["Version"]) == ("p2", 2)
    assert ssm2.get_parameter(Name="/dur/plain:first")["Parameter"]["Value"] == "p1"
    assert ssm2.list_tags_for_resource(ResourceType="Parameter", ResourceId="/dur/plain")["TagList"] == [
        {"Key": "k", "Value": "v"}]
    expect_error("ParameterNotFound", ssm2.get_parameter, Name="/dur/gone")
    blob = base64.b64decode(ssm2.get_parameter(Name="/dur/own")["Parameter"]["Value"])
    dec = kms2.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": parameter_arn("/dur/own")})
    assert (dec["Plaintext"], dec["KeyId"]) == (b"s-own", key["Arn"])
    # writes carry on from where they were
    assert ssm2.put_parameter(Name="/dur/last", Value="again", Overwrite=True)["Version"] == 2
    md = ssm2.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": ["/dur"]}])["Parameters"]
    assert sorted(m["Name"] for m in md) == ["/dur/last", "/dur/own", "/dur/plain", "/dur/secret"]


def _post_reset(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/moto-api/reset", body=b"")
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _health(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health")
        resp = conn.getresponse()
        return json.loads(resp.read())
    finally:
        conn.close()


def test_moto_reset_wipes_parameters(spawn, tmp_path):
    data = tmp_path / "eph-ssm"
    data.mkdir()
    d = spawn(data, ephemeral=True, socket_path=tmp_path / "eph-ssm.sock")
    ssm = make_ssm_client(d.endpoint, "testing", "testing")
    kms = make_kms_client(d.endpoint, "testing", "testing")
    ssm.put_parameter(Name="/moto/a", Value="a", Type="String")
    ssm.put_parameter(Name="/moto/a", Value="a2", Overwrite=True)
    ssm.put_parameter(Name="/moto/s", Value="s", Type="SecureString")
    assert len(ssm.describe_parameters()["Parameters"]) == 2
    status = _post_reset(d.port)
    assert 200 <= status < 300, f"/moto-api/reset -> {status}"
    expect_error("ParameterNotFound", ssm.get_parameter, Name="/moto/a")
    expect_error("ParameterNotFound", ssm.get_parameter, Name="/moto/s")
    assert ssm.describe_parameters()["Parameters"] == []
    assert ssm.get_parameters_by_path(Path="/", Recursive=True)["Parameters"] == []
    assert "alias/aws/ssm" not in _aliases(kms)
    health = _health(d.port)
    if "parameters" in health:
        assert health["parameters"] == 0, health
    # a fresh start: versions begin at 1, the default key comes back on first use
    assert ssm.put_parameter(Name="/moto/a", Value="new", Type="String")["Version"] == 1
    ssm.put_parameter(Name="/moto/s", Value="s2", Type="SecureString")
    assert ssm.get_parameter(Name="/moto/s", WithDecryption=True)["Parameter"]["Value"] == "s2"
    assert "alias/aws/ssm" in _aliases(kms)
    assert [p for p in data.rglob("*")] == [], "--ephemeral wrote to its data dir"


def test_reset_is_not_there_without_ephemeral(daemon, ssm, pbase):
    ssm.put_parameter(Name=f"{pbase}/kept", Value="v", Type="String")
    assert _post_reset(daemon.port) == 404
    assert ssm.get_parameter(Name=f"{pbase}/kept")["Parameter"]["Value"] == "v"
