"""boto3 with one client against sealboxd and against moto_server, on the same work.

Usage: python3 Tests/Bench/peer_moto.py --sealboxd .build/release/sealboxd [--duration 3]
Prints calls per second for KMS Decrypt and SSM GetParameter WithDecryption on each, and the ratio.
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


def measure(endpoint, duration):
    kms, ssm = clients(endpoint)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x" * 32)["CiphertextBlob"]
    ssm.put_parameter(Name="/bench/secret", Value="s" * 32, Type="SecureString", Overwrite=True)
    rate(lambda: kms.decrypt(CiphertextBlob=blob), 0.3)  # warm-up
    return {
        "kmsDecrypt": rate(lambda: kms.decrypt(CiphertextBlob=blob), duration),
        "ssmGetParameter": rate(lambda: ssm.get_parameter(Name="/bench/secret", WithDecryption=True), duration),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sealboxd", required=True)
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
        sealbox = measure(f"http://127.0.0.1:{sealbox_port}", args.duration)
        peer = measure(f"http://127.0.0.1:{moto_port}", args.duration)
    finally:
        for process in (daemon, moto):
            process.terminate()
            process.wait(timeout=10)
    for name in ("kmsDecrypt", "ssmGetParameter"):
        print(f"boto3 {name:16} sealboxd {sealbox[name]:8.0f}/s   moto_server {peer[name]:8.0f}/s   "
              f"ratio {sealbox[name] / peer[name]:.2f}")
    print(json.dumps({"sealboxd": sealbox, "moto_server": peer}))


if __name__ == "__main__":
    main()
