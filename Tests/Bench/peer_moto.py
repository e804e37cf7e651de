"""boto3 with one client against sealboxd and against moto_server, on the same work.

Usage: python3 Tests/Bench/peer_moto.py --sealboxd .build/release/sealboxd [--baseline .build/release/sealbox-baseline]
    [--duration 3] [--rounds 5] [--json peer.json]
Prints calls per second for KMS Decrypt and SSM GetParameter WithDecryption on each, and the ratio.

With --baseline it also measures the client's ceiling: boto3 against the bare NIO baseline answering
every call with the bytes sealboxd answered, a server that does no work. One boto3 client spends most
of each call in itself, so no server can show a higher ratio to moto_server than the ceiling's.

One client's rate drifts by 20% or more from one second to the next on a shared machine, so the
servers take turns: each round measures every server for a slice of --duration, in a rotating order.
Rates are the medians over the rounds; ratios are the medians of each round's ratios.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
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


def prepare(endpoint):
    """Clients for `endpoint`, with a key, a ciphertext and a SecureString to read.
    Returns call(name), which makes one call of WORK, and the KMS and SSM clients."""
    kms, ssm = clients(endpoint)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x" * 32)["CiphertextBlob"]
    ssm.put_parameter(Name="/bench/secret", Value="s" * 32, Type="SecureString", Overwrite=True)
    return (lambda name: WORK[name](kms, ssm, blob)), kms, ssm


def answer_of(call, client, name):
    """The raw body of the answer to one call of `name` through `client`. The hook is removed after it,
    so that it costs the measured calls nothing."""
    captured = []

    def keep(http_response, **_):
        captured.append(http_response.content)

    client.meta.events.register("after-call", keep)
    try:
        call(name)
    finally:
        client.meta.events.unregister("after-call", keep)
    return captured[-1]


def start_bare(baseline, body, scratch):
    """The bare baseline answering every request with `body`, and its endpoint."""
    descriptor, path = tempfile.mkstemp(prefix="answer-", suffix=".json", dir=scratch)
    with os.fdopen(descriptor, "wb") as answer:
        answer.write(body)
    port = free_port()
    server = subprocess.Popen([baseline, "--listen", f"127.0.0.1:{port}", "--body-file", path,
                               "--content-type", "application/x-amz-json-1.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/")
    return server, f"http://127.0.0.1:{port}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sealboxd", required=True)
    parser.add_argument("--baseline", help="the sealbox-baseline binary, to measure the client's ceiling")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per server and call, over all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="where to write the figures (`sealbox-bench report` reads them)")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="sealbox-peer-")
    sealbox_port, moto_port = free_port(), free_port()
    processes = [
        subprocess.Popen([args.sealboxd, "--ephemeral", "--data-dir", os.path.join(scratch, "data"), "--listen",
                          f"127.0.0.1:{sealbox_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    rates = {}
    try:
        wait_for(f"http://127.0.0.1:{sealbox_port}/health")
        wait_for(f"http://127.0.0.1:{moto_port}/moto-api/")
        sealbox_call, sealbox_kms, sealbox_ssm = prepare(f"http://127.0.0.1:{sealbox_port}")
        moto_call = prepare(f"http://127.0.0.1:{moto_port}")[0]
        for name in WORK:
            servers = {"sealboxd": sealbox_call, "moto_server": moto_call}
            if args.baseline:
                client = sealbox_kms if name.startswith("kms") else sealbox_ssm
                server, endpoint = start_bare(args.baseline, answer_of(sealbox_call, client, name), scratch)
                processes.append(server)
                kms, ssm = clients(endpoint)
                # The captured answer parses as the real one, or the ceiling would mean nothing.
                WORK[name](kms, ssm, b"blob")
                servers["ceiling"] = lambda _, kms=kms, ssm=ssm, name=name: WORK[name](kms, ssm, b"blob")
            order = list(servers)
            for label in order:
                rate(lambda: servers[label](name), 0.3)  # warm-up
            rounds = {label: [] for label in order}
            for round_index in range(args.rounds):
                turn = order[round_index % len(order):] + order[:round_index % len(order)]
                for label in turn:
                    rounds[label].append(rate(lambda: servers[label](name), args.duration / args.rounds))
            rates[name] = rounds
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        # The ephemeral daemon's data folder and the captured answers are not kept.
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {}
    for name, rounds in rates.items():
        median = {label: statistics.median(values) for label, values in rounds.items()}

        def ratio(top, bottom):
            # Each round's servers ran back to back, so a round's ratio is steadier than a ratio of medians.
            return statistics.median(a / b for a, b in zip(rounds[top], rounds[bottom]))

        ratios = {"sealboxd/moto_server": ratio("sealboxd", "moto_server")}
        line = (f"boto3 {name:16} sealboxd {median['sealboxd']:5.0f}/s   moto_server {median['moto_server']:5.0f}/s   "
                f"ratio {ratios['sealboxd/moto_server']:.2f}")
        if "ceiling" in median:
            ratios["ceiling/moto_server"] = ratio("ceiling", "moto_server")
            ratios["sealboxd/ceiling"] = ratio("sealboxd", "ceiling")
            line += (f"   client ceiling {median['ceiling']:5.0f}/s ({ratios['ceiling/moto_server']:.2f}x moto_server; "
                     f"sealboxd at {ratios['sealboxd/ceiling']:.0%} of it)")
        print(line)
        summary[name] = {"median": median, "ratios": ratios, "rounds": rounds}
    print(json.dumps(summary))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
