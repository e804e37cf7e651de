#!/usr/bin/env python3
"""A Secrets Manager rotation handler for sealboxd: a new random password for a JSON secret.

sealboxd runs it once per rotation step, as Lambda runs a rotation function, with the event on
stdin: {"Step": "createSecret" | "setSecret" | "testSecret" | "finishSecret", "SecretId": ARN,
"ClientRequestToken": new version id}. It calls back into sealboxd over $SEALBOX_SOCKET, where it is
the policy principal rotation:<function name>. Exit status 0 is success; anything else fails the
step, and sealboxd leaves AWSCURRENT where it was.

Map it in sealboxd's config:

    rotation:
      handlers:
        arn:aws:lambda:us-east-1:123456789012:function:rotate-password: /usr/local/libexec/rotate_password.py

The secret is JSON with a "password" member, e.g. {"username": "app", "password": "..."}. setSecret
is where a real handler sets the new password on the database; this one has nothing to set.
Standard library only; it never prints a secret.
"""

import http.client
import json
import os
import socket
import sys

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"


class AWSError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def call(operation, **request):
    """One Secrets Manager call (AWS JSON 1.1) over sealboxd's socket."""
    path = os.environ.get("SEALBOX_SOCKET")
    if path:
        connection = _UnixConnection(path)
    else:  # An open ephemeral daemon on TCP takes unsigned calls.
        endpoint = os.environ["SECRETS_MANAGER_ENDPOINT"].removeprefix("http://")
        connection = http.client.HTTPConnection(endpoint, timeout=10)
    connection.request(
        "POST", "/", body=json.dumps(request),
        headers={"X-Amz-Target": f"secretsmanager.{operation}", "Content-Type": "application/x-amz-json-1.1"})
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    connection.close()
    if response.status != 200:
        raise AWSError(body.get("__type", "").split("#")[-1], body.get("message", body.get("Message", "")))
    return body


def create_secret(arn, token):
    current = json.loads(call("GetSecretValue", SecretId=arn, VersionStage=CURRENT)["SecretString"])
    try:
        call("GetSecretValue", SecretId=arn, VersionId=token, VersionStage=PENDING)
        return  # A retried step: the pending value is already there.
    except AWSError as error:
        if error.code != "ResourceNotFoundException":
            raise
    password = call("GetRandomPassword", PasswordLength=32, ExcludeCharacters="/@\"'\\")["RandomPassword"]
    current["password"] = password
    call("PutSecretValue", SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
         VersionStages=[PENDING])


def test_secret(arn, token):
    pending = json.loads(call("GetSecretValue", SecretId=arn, VersionId=token, VersionStage=PENDING)["SecretString"])
    current = json.loads(call("GetSecretValue", SecretId=arn, VersionStage=CURRENT)["SecretString"])
    if not pending.get("password") or pending["password"] == current.get("password"):
        raise RuntimeError("the pending version has no new password")


def finish_secret(arn, token):
    stages = call("DescribeSecret", SecretId=arn)["VersionIdsToStages"]
    current = next(version for version, labels in stages.items() if CURRENT in labels)
    if current != token:
        call("UpdateSecretVersionStage", SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token,
             RemoveFromVersionId=current)


def main():
    event = json.load(sys.stdin)
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    metadata = call("DescribeSecret", SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise RuntimeError(f"rotation is not enabled for {arn}")
    labels = metadata["VersionIdsToStages"].get(token)
    if labels is None:
        raise RuntimeError(f"version {token} has no stage for rotation of {arn}")
    if CURRENT in labels:
        return  # Already rotated.
    if PENDING not in labels:
        raise RuntimeError(f"version {token} is not AWSPENDING for {arn}")
    steps = {"createSecret": create_secret, "setSecret": lambda arn, token: None, "testSecret": test_secret,
             "finishSecret": finish_secret}
    if step not in steps:
        raise RuntimeError(f"unknown step {step!r}")
    steps[step](arn, token)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # The message names versions and codes, never a value.
        print(f"rotate_password: {error}", file=sys.stderr)
        sys.exit(1)
