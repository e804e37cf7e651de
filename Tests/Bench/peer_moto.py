"""boto3 with one client against sealboxd and against moto_server, on the same work.

Usage: python3 Tests/Bench/peer_moto.py --sealboxd .build/release/sealboxd [--baseline .build/release/sealbox-baseline]
    [--duration 3]
Prints calls per second for KMS Decrypt and SSM GetParameter WithDecryption on each, and the ratio.

With --baseline it also measures the client's ceiling: boto3 against the bare NIO baseline answering
every call with the bytes sealboxd answered, a server that does no work. One boto3 client spends most
of each call in itself, so no server can show a higher ratio to moto_server than the ceiling's.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def clients(endpoint):
    session = boto3.session.Session(aws_access_key_id="AKIABENCH000000000000", aws_secret_access_key="bench",
                                    region_name="us-east-1")
    config = Config(retries={"max_attempts": 1})
    return (session.client("kms", endpoint_url=endpoint, config=config),
            session.client("ssm", endpoint_url=endpoint, config=config))


def rate(call, duration):
    end = time.perf_counter() + duration
    count = 0
    while time.perf_counter() < end:
        call()
        count += 1
    return count / duration


WORK = {
    "kmsDecrypt": lambda kms, ssm, blob: kms.decrypt(CiphertextBlob=blob),
    "ssmGetParameter": lambda kms, ssm, blob: ssm.get_parameter(Name="/bench/secret", WithDecryption=True),
}


def measure(endpoint, duration, answers=None):
    """Calls per second for each call in WORK; with `answers`, also keeps each call's raw answer body."""
    kms, ssm = clients(endpoint)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x" * 32)["CiphertextBlob"]
    ssm.put_parameter(Name="/bench/secret", Value="s" * 32, Type="SecureString", Overwrite=True)
    if answers is not None:
        for name, call in WORK.items():
            answers[name] = answer_of(kms if name.startswith("kms") else ssm, lambda: call(kms, ssm, blob))
    rate(lambda: kms.decrypt(CiphertextBlob=blob), 0.3)  # warm-up
    return {name: rate(lambda: call(kms, ssm, blob), duration) for name, call in WORK.items()}


def answer_of(client, call):
    """The raw body of the answer to `call`, made once through `client`; the hook is removed after it,
    so that it costs the measured calls nothing."""
    captured = []

    def keep(http_response, **_):
        captured.append(http_response.content)

    client.meta.events.register("after-call", keep)
    try:
        call()
    finally:
        client.meta.events.unregister("after-call", keep)
    return captured[-1]


def ceiling(baseline, answers, duration):
    """boto3's calls per second against the bare baseline answering each call with sealboxd's bytes."""
    result = {}
    for name, body in answers.items():
        with tempfile.NamedTemporaryFile(prefix="sealbox-answer-") as answer:
            answer.write(body)
            answer.flush()
            port = free_port()
            server = subprocess.Popen([baseline, "--listen", f"127.0.0.1:{port}", "--body-file", answer.name,
                                       "--content-type", "application/x-amz-json-1.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(f"http://127.0.0.1:{port}/")
                kms, ssm = clients(f"http://127.0.0.1:{port}")
                call = WORK[name]
                call(kms, ssm, b"blob")  # the answer must parse, or the rate means nothing
                rate(lambda: call(kms, ssm, b"blob"), 0.3)
                result[name] = rate(lambda: call(kms, ssm, b"blob"), duration)
            finally:
                server.terminate()
                server.wait(timeout=10)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sealboxd", required=True)
    parser.add_argument("--baseline", help="the sealbox-baseline binary, to measure the client's ceiling")
    parser.add_argument("--duration", type=float, default=3.0)
    args = parser.parse_args()
    sealbox_port, moto_port = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="sealbox-peer-")
    daemon = subprocess.Popen([args.sealboxd, "--ephemeral", "--data-dir", data, "--listen", f"127.0.0.1:{sealbox_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{sealbox_port}/health")
        wait_for(f"http://127.0.0.1:{moto_port}/moto-api/")
        answers = {}
        sealbox = measure(f"http://127.0.0.1:{sealbox_port}", args.duration, answers)
        peer = measure(f"http://127.0.0.1:{moto_port}", args.duration)
    finally:
        for process in (daemon, moto):
            process.terminate()
            process.wait(timeout=10)
    bare = ceiling(args.baseline, answers, args.duration) if args.baseline else None
    for name in WORK:
        line = (f"boto3 {name:16} sealboxd {sealbox[name]:6.0f}/s   moto_server {peer[name]:6.0f}/s   "
                f"ratio {sealbox[name] / peer[name]:.2f}")
        if bare:
            line += (f"   client ceiling {bare[name]:6.0f}/s ({bare[name] / peer[name]:.2f}x moto_server; "
                     f"sealboxd at {sealbox[name] / bare[name]:.0%} of it)")
        print(line)
    print(json.dumps({"sealboxd": sealbox, "moto_server": peer, "ceiling": bare}))


if __name__ == "__main__":
    main()
