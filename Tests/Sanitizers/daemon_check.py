"""Runs a sanitizer build of sealboxd under real load and fails on any sanitizer report.

The daemon keeps a real store and audit log. Eight threads send REQUESTS requests over the Unix
socket: KMS Encrypt, Decrypt and GenerateDataKey, P-256 Sign and Decrypt through the eu-west-1
replicas of multi-Region keys, SSM PutParameter, GetParameter and GetParametersByPath, lease create
and redeem, the extension GET and the status page. Every request must succeed. Then SIGTERM: the daemon must exit 0 after its graceful shutdown, which is when
LeakSanitizer looks for leaks (address) and ThreadSanitizer has seen every thread (thread).

    python3 Tests/Sanitizers/daemon_check.py --sanitizer address --sealboxd .build-asan/debug/sealboxd
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Conformance"))
import harness  # noqa: E402

OPTIONS = {
    # LeakSanitizer runs at exit; the daemon's graceful exit is the moment to look.
    "address": ("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1"),
    "thread": ("TSAN_OPTIONS", "halt_on_error=0:second_deadlock_stack=1"),
}
MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer", "SUMMARY: ")
# The socket reads only the credential scope of this header: it names the replicas' region.
REPLICA = {"Authorization": "AWS4-HMAC-SHA256 Credential=check/20000101/eu-west-1/kms/aws4_request, "
                            "SignedHeaders=host, Signature=unsigned"}


def worker(socket_path: Path, index: int, count: int, keys: dict, errors: list) -> None:
    key_id = keys["symmetric"]
    try:
        with harness.UnixHTTP(socket_path, timeout=60) as connection:
            name = f"/check/w{index}/secret"
            response = connection.aws("AmazonSSM.PutParameter", {
                "Name": name, "Value": f"value-{index}", "Type": "SecureString", "Overwrite": True})
            assert response.status == 200, response
            lease = harness.native(connection, "POST", "/v1/leases", {"name": name, "ttlSeconds": 600}).json()
            blob = connection.aws("TrentService.Encrypt", {
                "KeyId": key_id, "Plaintext": base64.b64encode(b"check").decode()}).json()["CiphertextBlob"]
            global_blob = connection.aws("TrentService.Encrypt", {
                "KeyId": keys["global"], "Plaintext": base64.b64encode(b"check").decode()}).json()["CiphertextBlob"]
            for n in range(count):
                kind = n % 11
                if kind == 0:
                    response = connection.aws("TrentService.Decrypt", {"CiphertextBlob": blob})
                elif kind == 1:
                    response = connection.aws("TrentService.Encrypt", {"KeyId": key_id, "Plaintext": "aGk="})
                elif kind == 2:
                    response = connection.aws("TrentService.GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": 32})
                elif kind == 3 and n % 45 == 3:
                    response = connection.aws("AmazonSSM.PutParameter", {
                        "Name": name, "Value": f"value-{index}-{n}", "Type": "SecureString", "Overwrite": True})
                elif kind in (3, 4):
                    response = connection.aws("AmazonSSM.GetParameter", {"Name": name, "WithDecryption": True})
                elif kind == 5:
                    response = connection.aws("AmazonSSM.GetParametersByPath", {
                        "Path": "/check", "Recursive": True, "WithDecryption": True})
                elif kind == 6:
                    response = harness.native(connection, "POST", f"/v1/leases/{lease['leaseId']}/redeem")
                elif kind == 7:
                    response = connection.request("GET", f"/systemsmanager/parameters/get?name={name}"
                                                  "&withDecryption=true")
                elif kind == 8:
                    response = connection.aws("TrentService.Sign", {
                        "KeyId": keys["signing"], "Message": base64.b64encode(b"check").decode(),
                        "SigningAlgorithm": "ECDSA_SHA_256"}, REPLICA)
                elif kind == 9:
                    response = connection.aws("TrentService.Decrypt", {"CiphertextBlob": global_blob}, REPLICA)
                else:
                    response = connection.request("GET", "/v1/status")
                if response.status != 200:
                    errors.append(f"worker {index} request {n}: {response!r}")
                    return
    except Exception as error:  # noqa: BLE001 - every failure is reported, none is hidden
        errors.append(f"worker {index}: {error!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sanitizer", choices=sorted(OPTIONS), required=True)
    parser.add_argument("--sealboxd", required=True)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    arguments = parser.parse_args()

    variable, value = OPTIONS[arguments.sanitizer]
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        reports = scratch_path / "reports"
        reports.mkdir()
        os.environ[variable] = f"{value}:log_path={reports}/report"
        os.environ["SWIFT_BACKTRACE"] = "enable=no"
        data = scratch_path / "data"
        data.mkdir(mode=0o700)
        daemon = harness.Daemon(data, scratch_path / "logs", binary=Path(arguments.sealboxd).resolve())
        started = time.monotonic()
        daemon.start()
        errors: list[str] = []
        keys = {}
        with harness.UnixHTTP(daemon.socket_path, timeout=60) as connection:
            for name, request in [
                ("symmetric", {"Description": "sanitizer check"}),
                ("global", {"MultiRegion": True}),
                ("signing", {"MultiRegion": True, "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
            ]:
                created = connection.aws("TrentService.CreateKey", request)
                assert created.status == 200, created
                keys[name] = created.json()["KeyMetadata"]["KeyId"]
                if request.get("MultiRegion"):
                    replicated = connection.aws("TrentService.ReplicateKey", {
                        "KeyId": keys[name], "ReplicaRegion": "eu-west-1"})
                    assert replicated.status == 200, replicated
        per_thread = arguments.requests // arguments.threads
        threads = [threading.Thread(target=worker, args=(daemon.socket_path, i, per_thread, keys, errors))
                   for i in range(arguments.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        served = time.monotonic() - started
        daemon.proc.send_signal(signal.SIGTERM)
        try:
            status = daemon.proc.wait(timeout=120)
        except Exception:  # noqa: BLE001
            daemon.kill9()
            status = "hung at shutdown"
        found = []
        for report in sorted(reports.iterdir()):
            text = report.read_text(errors="replace")
            if any(marker in text for marker in MARKERS):
                found.append(text)
        stderr = daemon.logs(tail=40)
        print(f"SANITIZER: {arguments.sanitizer} requests={per_thread * arguments.threads} "
              f"threads={arguments.threads} seconds={served:.1f} failed_requests={len(errors)} "
              f"reports={len(found)} exit={status}")
        for error in errors[:10]:
            print("request failure:", error)
        for text in found[:5]:
            print(text[:6000])
        if errors or found or status != 0:
            print(stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
