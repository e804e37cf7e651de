"""Store hardening (issue 27, findings 8 and 9).

8. A SecureString is bound to its own name: its encryption context is rebuilt from the row's name at
   every read, so a value (and whatever context column the store keeps) copied onto another
   parameter's row in the SQLite file does not decrypt there.
9. `AllowedPattern` runs on a linear-time engine, before the writer lock: `(a+)+$` against 40 a's and
   a `!` answers at once, and delays no other writer. Constructs that need backtracking are refused.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from botocore.config import Config

import harness

SECRET_A = "alpha-only-secret-7f3c"


def _client(d: harness.Daemon, access_key: str, secret_key: str, timeout: float = 20.0):
    import boto3

    return boto3.client(
        "ssm", endpoint_url=d.endpoint, region_name=harness.REGION, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=timeout, connect_timeout=5))


def _ssm(d: harness.Daemon, timeout: float = 20.0):
    return _client(d, *d.credentials(), timeout=timeout)


def _ssm_anon(d: harness.Daemon, timeout: float = 20.0):
    """Any credentials do for an ephemeral daemon."""
    return _client(d, "AKIAEXAMPLE000000000", "x" * 40, timeout=timeout)


def _error_of(call) -> tuple[str, int, str]:
    """The AWS error code, HTTP status and message of a call that must fail."""
    from botocore.exceptions import ClientError

    try:
        answer = call()
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", ""))
    pytest.fail(f"expected an error, got {answer!r}")


@pytest.fixture()
def persistent(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    d = harness.Daemon(data, tmp_path / "logs")
    d.start()
    yield d
    d.terminate()


def _copy_row(db, source: str, target: str) -> list[str]:
    """Copies every column but the name and version (value, context, key...) of `source`'s version 1
    onto `target`'s version 1, whatever the schema; returns the columns copied."""
    con = sqlite3.connect(db)
    try:
        columns = [r[1] for r in con.execute("PRAGMA table_info(ssm_parameter_versions)")
                   if r[1] not in ("name", "version")]
        assignments = ", ".join(f"{c} = (SELECT {c} FROM ssm_parameter_versions WHERE name = ? AND version = 1)"
                                for c in columns)
        cur = con.execute(f"UPDATE ssm_parameter_versions SET {assignments} WHERE name = ? AND version = 1",
                          [source] * len(columns) + [target])
        assert cur.rowcount == 1
        con.commit()
        return columns
    finally:
        con.close()


@pytest.mark.parametrize("source,target", [
    ("/bind/a", "/bind/b"),
    # The target's name is a suffix of the source's ARN: binding by "the ARN ends in the name" fails here.
    ("/bind/x/db", "/db"),
])
def test_securestring_copied_onto_another_row_does_not_decrypt(persistent, source, target):
    ssm = _ssm(persistent)
    ssm.put_parameter(Name=source, Value=SECRET_A, Type="SecureString")
    ssm.put_parameter(Name=target, Value="bravo-value", Type="SecureString")
    assert persistent.terminate() == 0
    copied = _copy_row(persistent.data_dir / "sealbox.db", source, target)
    assert "value" in copied
    persistent.start()
    ssm = _ssm(persistent)
    try:
        answer = ssm.get_parameter(Name=target, WithDecryption=True)
    except ssm.exceptions.ClientError as e:
        assert SECRET_A not in str(e)
        assert e.response["Error"]["Code"] in ("InvalidKeyId", "InvalidCiphertextException"), e.response
    else:
        pytest.fail(f"{target} decrypted a value copied from {source}: {answer['Parameter']['Value']!r}")
    for call in (lambda: ssm.get_parameters(Names=[target], WithDecryption=True),
                 lambda: ssm.get_parameters_by_path(Path="/", Recursive=True, WithDecryption=True)):
        try:
            assert SECRET_A not in repr(call())
        except ssm.exceptions.ClientError as e:
            assert SECRET_A not in str(e)
    # The source itself still opens: its row is untouched.
    assert ssm.get_parameter(Name=source, WithDecryption=True)["Parameter"]["Value"] == SECRET_A


def test_a_restarted_store_keeps_every_securestring_readable(persistent):
    ssm = _ssm(persistent)
    names = {"/keep/one": "v1", "plain-name": "v2", "/keep/deep/er/name": "v3"}
    for name, value in names.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    ssm.put_parameter(Name="/keep/one", Value="v1b", Type="SecureString", Overwrite=True)
    assert persistent.terminate() == 0
    persistent.start()
    ssm = _ssm(persistent)
    for name, value in {**names, "/keep/one": "v1b"}.items():
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    assert ssm.get_parameter(Name="/keep/one:1", WithDecryption=True)["Parameter"]["Value"] == "v1"


@pytest.fixture()
def ephemeral(tmp_path):
    d = harness.Daemon(tmp_path / "data", tmp_path / "logs", ephemeral=True)
    (tmp_path / "data").mkdir(mode=0o700)
    d.start()
    yield d
    d.terminate()


def test_catastrophic_pattern_answers_at_once(ephemeral):
    ssm = _ssm_anon(ephemeral, timeout=5)
    started = time.monotonic()
    code, _, message = _error_of(
        lambda: ssm.put_parameter(Name="/redos/one", Value="a" * 40 + "!", Type="String",
                                  AllowedPattern="(a+)+$"))
    elapsed = time.monotonic() - started
    assert code == "ParameterPatternMismatchException", message
    assert elapsed < 1.0, f"the pattern took {elapsed:.2f}s"
    # The same pattern on a matching value is accepted.
    assert ssm.put_parameter(Name="/redos/ok", Value="a" * 40, Type="String", AllowedPattern="(a+)+$")["Version"] == 1


def test_a_slow_pattern_does_not_delay_another_writer(ephemeral):
    slow_client = _ssm_anon(ephemeral, timeout=30)
    fast_client = _ssm_anon(ephemeral, timeout=30)
    fast_client.put_parameter(Name="/redos/warm", Value="x", Type="String")
    def slow():
        try:
            slow_client.put_parameter(Name="/redos/slow", Value="a" * 40 + "!", Type="String",
                                      AllowedPattern="(a+)+$")
        except Exception:
            pass
    thread = threading.Thread(target=slow)
    thread.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        try:
            fast_client.put_parameter(Name="/redos/other", Value="plain", Type="String")
        finally:
            elapsed = time.monotonic() - started
    finally:
        thread.join(timeout=60)
    assert elapsed < 1.0, f"PutParameter of another name waited {elapsed:.2f}s behind the pattern"


@pytest.mark.parametrize("pattern,feature", [
    (r"^(a)\1$", "backreference"),
    (r"^a(?=b)", "lookahead"),
    (r"(?<!x)a", "lookbehind"),
    (r"^(?>a+)$", "atomic"),
    (r"^a++$", "possessive"),
    (r"^a{5000}$", "too complex"),
])
def test_patterns_a_linear_engine_cannot_run_are_refused(ephemeral, pattern, feature):
    ssm = _ssm_anon(ephemeral, timeout=5)
    code, status, message = _error_of(
        lambda: ssm.put_parameter(Name="/redos/refused", Value="aa", Type="String", AllowedPattern=pattern))
    assert code == "ValidationException" and status == 400, (code, message)
    assert pattern in message and feature in message, message
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/redos/refused")
