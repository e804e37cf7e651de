"""The AWS Secrets Manager Agent's routes (docs/api.md, "The Secrets Manager Agent's API"): `GET /v1/{secretId}`
in the agent's answer form, `GET /ping`, the query form `GET /secretsmanager/get` as the agent's clients send it,
the agent's refusals, the config's `extension:` token sources and headers, and
`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` as the default TCP port.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

import harness

SESSION_TOKEN = "session-" + uuid.uuid4().hex + uuid.uuid4().hex
REFERENCED_TOKEN = "referenced-" + uuid.uuid4().hex
FILE_TOKEN = "file-" + uuid.uuid4().hex
AGENT_KEYS = ["ARN", "Name", "VersionId", "SecretString", "VersionStages", "CreatedDate"]
SECONDS = re.compile(r"^\d+(\.\d+)?$")


class AgentDaemon:
    """A daemon whose environment holds a Lambda-style AWS_SESSION_TOKEN and an agent-style AWS_TOKEN
    naming a file, and whose config accepts both and a token file besides <data-dir>/token."""

    def __init__(self, base: Path):
        base.mkdir(parents=True, exist_ok=True)
        self.base = base
        self.token_file = base / "handler-token"
        self.token_file.write_text(FILE_TOKEN + "\n")
        self.token_file.chmod(0o640)
        referenced = base / "referenced-token"
        referenced.write_text(REFERENCED_TOKEN + "\n")
        referenced.chmod(0o600)
        self.config = base / "sealbox.yaml"
        self.config.write_text(
            "extension:\n"
            f'  tokenSources: ["file:{self.token_file}", "env:AWS_SESSION_TOKEN", "env:AWS_TOKEN"]\n')
        wrapper = harness.daemon_wrapper(
            base / "sealboxd-with-tokens",
            f"export AWS_SESSION_TOKEN={SESSION_TOKEN} AWS_TOKEN=file://{referenced}", "")
        self.daemon = harness.Daemon(base / "data", base / "logs", socket_path=base / "s.sock",
                                     extra_args=["--config", str(self.config)], binary=wrapper)
        self.daemon.start()
        self.port = self.daemon.port
        self.sm = self.daemon.client(service="secretsmanager")

    @property
    def data_dir_token(self) -> str:
        return (self.daemon.data_dir / "token").read_text().strip()

    def get(self, path: str, headers: dict | None = None, method: str = "GET") -> harness.RawResponse:
        return harness.tcp_request(self.port, None, b"", method=method, path=path, extra_headers=headers or {})

    def agent(self, path: str, token: str | None = None, header: str = "X-Aws-Parameters-Secrets-Token",
              **extra) -> harness.RawResponse:
        headers = {header: token if token is not None else self.data_dir_token}
        headers.update(extra)
        return self.get(path, headers)


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    d = AgentDaemon(tmp_path_factory.mktemp("agent"))
    yield d
    d.daemon.terminate(timeout=10)
    d.daemon.kill9()


def unique(prefix: str = "agent") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def v1(secret_id: str, **query) -> str:
    # The path form as an agent client builds it: the id as it is, slashes and all.
    return "/v1/" + secret_id + ("?" + urllib.parse.urlencode(query) if query else "")


def query_form(secret_id: str, **query) -> str:
    return "/secretsmanager/get?" + urllib.parse.urlencode({"secretId": secret_id, **query})


def agent_ok(resp: harness.RawResponse) -> dict:
    assert resp.status == 200, resp
    return json.loads(resp.body)


def assert_agent_refusal(resp: harness.RawResponse, status: int, text: str) -> None:
    assert (resp.status, resp.body.decode()) == (status, text), resp
    assert (resp.header("content-type") or "").startswith("text/plain"), resp


# ---------------------------------------------------------------------------
# GET /v1/{secretId}: the agent's answer
# ---------------------------------------------------------------------------


def test_the_path_form_answers_in_the_agents_form(agent):
    name = unique()
    made = agent.sm.create_secret(Name=name, SecretString='{"user":"app","password":"p1"}')
    body = agent_ok(agent.agent(v1(name)))
    assert list(body) == AGENT_KEYS, body
    assert (body["ARN"], body["Name"], body["VersionId"], body["SecretString"], body["VersionStages"]) == (
        made["ARN"], name, made["VersionId"], '{"user":"app","password":"p1"}', ["AWSCURRENT"])
    # CreatedDate is a string of epoch seconds, the version's own creation time.
    assert isinstance(body["CreatedDate"], str) and SECONDS.match(body["CreatedDate"]), body["CreatedDate"]
    created = agent.sm.get_secret_value(SecretId=name)["CreatedDate"].timestamp()
    assert abs(float(body["CreatedDate"]) - created) < 0.002, (body["CreatedDate"], created)
    # By ARN too, and the same answer on the Unix socket without a token.
    assert agent_ok(agent.agent(v1(made["ARN"])))["Name"] == name
    with harness.UnixHTTP(agent.daemon.socket_path) as conn:
        assert json.loads(conn.request("GET", v1(name)).body) == body


def test_a_binary_secret_has_secret_binary_and_no_secret_string(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretBinary=b"\x00\x01\xffbinary")
    body = agent_ok(agent.agent(v1(name)))
    assert list(body) == ["ARN", "Name", "VersionId", "SecretBinary", "VersionStages", "CreatedDate"], body
    assert base64.b64decode(body["SecretBinary"]) == b"\x00\x01\xffbinary"


def test_version_id_and_version_stage_select_the_version(agent):
    name = unique()
    first = agent.sm.create_secret(Name=name, SecretString="v1")["VersionId"]
    second = agent.sm.put_secret_value(SecretId=name, SecretString="v2")["VersionId"]
    pending = agent.sm.put_secret_value(SecretId=name, SecretString="v3", VersionStages=["AWSPENDING"])["VersionId"]
    for path_or_query in (v1, query_form):
        def value(**query):
            return agent_ok(agent.agent(path_or_query(name, **query)))["SecretString"]
        assert value() == "v2"
        assert value(versionStage="AWSCURRENT") == "v2"
        assert value(versionStage="AWSPREVIOUS") == "v1"
        assert value(versionStage="AWSPENDING") == "v3"
        assert value(versionId=first) == "v1"
        assert value(versionId=pending) == "v3"
        assert value(versionId=second, versionStage="AWSCURRENT") == "v2"
        # A version id and a stage it does not carry, an unknown stage or version: Secrets Manager's error.
        for query in ({"versionId": first, "versionStage": "AWSCURRENT"}, {"versionStage": "NOPE"},
                      {"versionId": str(uuid.uuid4())}):
            resp = agent.agent(path_or_query(name, **query))
            assert resp.status == 400, resp
            assert json.loads(resp.body)["__type"] == "ResourceNotFoundException", resp
            assert b"v1" not in resp.body and b"v3" not in resp.body


def test_refresh_now_is_accepted_and_every_read_is_fresh(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="before")
    assert agent_ok(agent.agent(v1(name)))["SecretString"] == "before"
    agent.sm.put_secret_value(SecretId=name, SecretString="after")
    # No cache: even without refreshNow the new value shows at once.
    assert agent_ok(agent.agent(v1(name)))["SecretString"] == "after"
    for word in ("true", "false", "1", "0", "TRUE", "False"):
        assert agent_ok(agent.agent(v1(name, refreshNow=word)))["SecretString"] == "after"
        assert agent_ok(agent.agent(query_form(name, refreshNow=word)))["SecretString"] == "after"
    assert_agent_refusal(agent.agent(v1(name, refreshNow="yes")), 400, "invalid refreshNow value")
    resp = agent.agent(query_form(name, refreshNow="2"))
    assert resp.status == 400 and "invalid refreshNow value" in json.loads(resp.body)["message"], resp


def test_bad_queries_are_refused_as_the_agent_refuses_them(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="not-in-refusals")
    refusals = [
        (v1(name, abc="1"), "unknown parameter: abc"),
        (v1(name, secretId=name), "unknown parameter: secretId"),
        (v1(name, roleArn="arn:aws:iam::123456789012:role/x"), "unknown parameter: roleArn"),
        ("/v1/", "missing secret ID"),
        ("/v1/?versionStage=AWSCURRENT", "missing secret ID"),
    ]
    for path, text in refusals:
        resp = agent.agent(path)
        assert_agent_refusal(resp, 400, text)
        assert b"not-in-refusals" not in resp.body
    # The query form: the same checks, answered AWS-shaped as the extension routes answer.
    for path, text in [(query_form(name, abc="1"), "unknown parameter: abc"),
                       ("/secretsmanager/get?versionStage=AWSCURRENT", "missing parameter secretId")]:
        resp = agent.agent(path)
        assert resp.status == 400, resp
        assert json.loads(resp.body)["message"] == text
    # Other methods under /v1/ are no endpoint, as before the agent's routes were served.
    resp = agent.get(v1(name), {"X-Aws-Parameters-Secrets-Token": agent.data_dir_token}, method="POST")
    harness.assert_native_error(resp, 404, "NotFound")
    assert b"not-in-refusals" not in resp.body


def test_an_unknown_secret_is_secrets_managers_error(agent):
    resp = agent.agent(v1(unique("missing")))
    assert resp.status == 400, resp
    body = json.loads(resp.body)
    assert body["__type"] == "ResourceNotFoundException"
    assert body["message"] == "Secrets Manager can't find the specified secret."


# ---------------------------------------------------------------------------
# Names: slashes, and names that collide with Sealbox's own /v1/ paths
# ---------------------------------------------------------------------------


def test_names_with_slashes_go_in_the_path_as_they_are(agent):
    name = f"prod{uuid.uuid4().hex[:6]}/db/password"
    arn = agent.sm.create_secret(Name=name, SecretString="slashes")["ARN"]
    for path in (f"/v1/{name}", "/v1/" + name.replace("/", "%2F"), "/v1/" + name.replace("/", "%2f", 1),
                 f"/v1/{arn}"):
        assert agent_ok(agent.agent(path))["SecretString"] == "slashes", path
    assert agent_ok(agent.agent(query_form(name)))["SecretString"] == "slashes"
    # A name with `+`, which a path does not turn into a space.
    plus = f"a+b{uuid.uuid4().hex[:6]}"
    agent.sm.create_secret(Name=plus, SecretString="plus")
    assert agent_ok(agent.agent(f"/v1/{plus}"))["Name"] == plus


def test_native_paths_keep_winning_and_a_colliding_secret_is_still_reached(agent):
    for name in ("status", "leases/abc", "backup", "test/calls"):
        try:
            agent.sm.create_secret(Name=name, SecretString=f"the {name} secret")
        except agent.sm.exceptions.ResourceExistsException:
            pass
    with harness.UnixHTTP(agent.daemon.socket_path) as conn:
        status = conn.request("GET", "/v1/status")
        assert status.status == 200 and b"the status secret" not in status.body, status
        assert "SecretString" not in json.loads(status.body)
        # GET /v1/leases/{id} is not a native route, but the path is: 405, never the secret.
        leases = conn.request("GET", "/v1/leases/abc")
        assert leases.status == 405 and b"the leases/abc secret" not in leases.body, leases
        # A path that only starts like a native one is a secret id.
        near = conn.request("GET", "/v1/leasesx")
        assert near.status == 400 and json.loads(near.body)["__type"] == "ResourceNotFoundException", near
        # One character escaped reaches the secret; so does the query form.
        for path, name in (("/v1/%73tatus", "status"), ("/v1/%6Ceases/abc", "leases/abc"),
                           ("/v1/b%61ckup", "backup"), ("/v1/%74est/calls", "test/calls")):
            resp = conn.request("GET", path)
            assert resp.status == 200, (path, resp)
            assert json.loads(resp.body)["SecretString"] == f"the {name} secret"
            assert json.loads(conn.request("GET", query_form(name)).body)["SecretString"] == f"the {name} secret"


# ---------------------------------------------------------------------------
# /ping
# ---------------------------------------------------------------------------


def test_ping_answers_healthy_without_a_token(agent):
    resp = agent.get("/ping")
    assert_agent_refusal(resp, 200, "healthy")
    assert_agent_refusal(agent.get("/ping", {"X-Aws-Parameters-Secrets-Token": "wrong"}), 200, "healthy")
    assert_agent_refusal(agent.get("/ping", method="POST"), 405, "Not allowed")
    with harness.UnixHTTP(agent.daemon.socket_path) as conn:
        assert conn.request("GET", "/ping").body == b"healthy"


# ---------------------------------------------------------------------------
# Tokens: every source in every header, and the refusals
# ---------------------------------------------------------------------------


def test_every_token_source_in_every_header(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="token-sources")
    for token in (agent.data_dir_token, FILE_TOKEN, SESSION_TOKEN, REFERENCED_TOKEN):
        for header in ("X-Aws-Parameters-Secrets-Token", "X-Vault-Token", "x-vault-token"):
            for path in (v1(name), query_form(name)):
                assert agent_ok(agent.agent(path, token, header))["SecretString"] == "token-sources", (header, path)


def test_the_agent_refuses_a_missing_or_wrong_token_and_a_proxied_request(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="never-in-a-refusal")
    path = v1(name)
    assert_agent_refusal(agent.get(path), 403, "Bad Token")
    token = agent.data_dir_token
    for wrong in ("wrong", token[:-1], token + "x", SESSION_TOKEN.upper(), "file://" + str(agent.token_file),
                  f"{FILE_TOKEN}\n".strip() + " extra", ""):
        resp = agent.agent(path, wrong)
        assert_agent_refusal(resp, 403, "Bad Token")
        assert b"never-in-a-refusal" not in resp.body
    # A header the config does not name carries nothing.
    assert_agent_refusal(agent.agent(path, token, "X-Other-Token"), 403, "Bad Token")
    assert_agent_refusal(agent.agent(path, token, **{"X-Forwarded-For": "203.0.113.7"}), 400, "Forwarded")
    # The extension routes keep their own refusals.
    assert harness.tcp_request(agent.port, None, b"", method="GET", path=query_form(name)).status == 401
    proxied = agent.agent(query_form(name), token, **{"X-Forwarded-For": "203.0.113.7"})
    harness.assert_native_error(proxied, 403, "AccessDenied")


def test_configured_tokens_open_only_the_extension_routes(agent):
    ssm = agent.daemon.client(service="ssm")
    pname = "/agent/" + uuid.uuid4().hex
    ssm.put_parameter(Name=pname, Value="param-value", Type="SecureString")
    path = "/systemsmanager/parameters/get?withDecryption=true&name=" + urllib.parse.quote(pname, safe="")
    for token, header in ((SESSION_TOKEN, "X-Aws-Parameters-Secrets-Token"), (FILE_TOKEN, "X-Vault-Token")):
        resp = agent.agent(path, token, header)
        assert resp.status == 200 and resp.json()["Parameter"]["Value"] == "param-value", resp
        # Native and AWS JSON endpoints take only <data-dir>/token.
        harness.assert_native_error(agent.agent("/v1/leases", token, header), 401, "Unauthorized")
        aws = harness.tcp_request(agent.port, "AmazonSSM.GetParameter", json.dumps({"Name": pname}).encode(),
                                  extra_headers={header: token})
        assert aws.status in (400, 403) and b"param-value" not in aws.body, aws


def test_clients_as_the_agent_readme_writes_them(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="readme")
    url = f"http://localhost:{agent.port}/secretsmanager/get?secretId={name}"
    token_file = agent.daemon.data_dir / "token"
    # curl, with the token read from a file as the README's example reads it.
    out = subprocess.run(
        ["bash", "-c", f'curl -s -H "X-Aws-Parameters-Secrets-Token: $(<{token_file})" \'{url}\''],
        capture_output=True, text=True, timeout=30, env=harness.clean_env())
    assert json.loads(out.stdout)["SecretString"] == "readme", out
    out = subprocess.run(
        ["curl", "-s", "-H", f"X-Aws-Parameters-Secrets-Token: {SESSION_TOKEN}",
         f"http://localhost:{agent.port}/v1/{name}?refreshNow=true"],
        capture_output=True, text=True, timeout=30, env=harness.clean_env())
    assert json.loads(out.stdout)["SecretString"] == "readme", out
    # Python requests, as in the README.
    requests = pytest.importorskip("requests")
    session = requests.Session()
    session.trust_env = False
    headers = {"X-Aws-Parameters-Secrets-Token": token_file.read_text().strip()}
    response = session.get(url + "&refreshNow=true", headers=headers)
    assert response.status_code == 200 and json.loads(response.text)["SecretString"] == "readme"
    response = session.get(f"http://localhost:{agent.port}/v1/{name}", headers={"X-Vault-Token": FILE_TOKEN})
    assert response.status_code == 200 and response.json()["Name"] == name
    # urllib, as a Lambda handler without dependencies writes it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, headers={"X-Aws-Parameters-Secrets-Token": SESSION_TOKEN})
    with opener.open(req, timeout=15) as resp:
        assert json.load(resp)["SecretString"] == "readme"


def test_a_reload_reads_the_token_sources_again(agent):
    name = unique()
    agent.sm.create_secret(Name=name, SecretString="reloaded")
    new_token = "rotated-" + uuid.uuid4().hex
    agent.token_file.write_text(new_token)
    try:
        agent.daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while agent.agent(v1(name), new_token).status != 200:
            assert time.monotonic() < deadline, agent.daemon.logs()
            time.sleep(0.05)
        assert_agent_refusal(agent.agent(v1(name), FILE_TOKEN), 403, "Bad Token")
        # A source that breaks keeps the running tokens.
        agent.token_file.write_text("\n")
        agent.daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "config reload failed" not in agent.daemon.logs(tail=400):
            assert time.monotonic() < deadline, agent.daemon.logs()
            time.sleep(0.05)
        assert agent_ok(agent.agent(v1(name), new_token))["SecretString"] == "reloaded"
        assert new_token not in agent.daemon.logs(tail=400)
    finally:
        agent.token_file.write_text(FILE_TOKEN + "\n")
        agent.daemon.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while agent.agent(v1(name), FILE_TOKEN).status != 200 and time.monotonic() < deadline:
            time.sleep(0.05)


def test_a_token_source_that_gives_no_token_stops_the_start(tmp_path):
    cases = [
        ('["env:SEALBOX_TEST_UNSET_TOKEN"]',
         "env:SEALBOX_TEST_UNSET_TOKEN: the variable SEALBOX_TEST_UNSET_TOKEN is not set"),
        (f'["file:{tmp_path}/absent"]', f"cannot read {tmp_path}/absent"),
    ]
    open_file = tmp_path / "open-token"
    open_file.write_text("open-token-value")
    open_file.chmod(0o666)
    cases.append((f'["file:{open_file}"]', "is writable by others"))
    for index, (sources, expected) in enumerate(cases):
        base = tmp_path / f"d{index}"
        base.mkdir()
        (base / "sealbox.yaml").write_text(f"extension:\n  tokenSources: {sources}\n")
        d = harness.Daemon(base / "data", base / "logs", socket_path=base / "s.sock",
                           extra_args=["--config", str(base / "sealbox.yaml")])
        with pytest.raises(harness.DaemonStartError) as e:
            d.start()
        assert expected in str(e.value), str(e.value)
        assert "open-token-value" not in str(e.value)


# ---------------------------------------------------------------------------
# PARAMETERS_SECRETS_EXTENSION_HTTP_PORT
# ---------------------------------------------------------------------------


def run_without_listen(tmp_path: Path, env_port: str, *extra: str) -> tuple[subprocess.Popen, dict | None, Path]:
    """Starts sealboxd with no --listen and the port variable set; returns it and its ready line."""
    base = tmp_path / uuid.uuid4().hex[:8]
    base.mkdir()
    out, err = base / "stdout", base / "stderr"
    env = harness.clean_env()
    env["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = env_port
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([str(harness.daemon_binary()), "--data-dir", str(base / "data"),
                                 "--socket", str(base / "s.sock"), *extra],
                                stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=env, cwd=str(base))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc, None, err
        lines = out.read_text().splitlines()
        if lines:
            return proc, json.loads(lines[0]), err
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("no ready line")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_the_extensions_port_variable_is_the_default_tcp_port(tmp_path):
    port = harness.free_port()
    proc, ready, err = run_without_listen(tmp_path, str(port))
    try:
        assert ready is not None, err.read_text()
        assert ready["tcp"] == f"127.0.0.1:{port}"
        resp = harness.tcp_request(port, None, b"", method="GET", path="/ping")
        assert (resp.status, resp.body) == (200, b"healthy")
    finally:
        stop(proc)
    # An explicit --listen wins.
    other = harness.free_port()
    proc, ready, err = run_without_listen(tmp_path, str(port), "--listen", f"127.0.0.1:{other}")
    try:
        assert ready is not None, err.read_text()
        assert ready["tcp"] == f"127.0.0.1:{other}"
    finally:
        stop(proc)


def test_a_bad_extension_port_is_a_usage_error(tmp_path):
    proc, ready, err = run_without_listen(tmp_path, "27x3")
    proc.wait(timeout=10)
    assert ready is None and proc.returncode == 64
    assert "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT must be a port number (1-65535), not '27x3'" in err.read_text()
