#!/usr/bin/env python3
"""Start-up time of sealboxd binaries, interleaved, each on its own copy of one loaded store.

Usage: scripts/start-ab.py [--starts N] BINARY DATA_DIR [BINARY DATA_DIR ...]

Make the store once with `sealbox-bench seed` against a daemon on DATA_DIR, then copy the directory
for each binary: a newer binary may migrate the file, which an older one then refuses. Each start
is timed from spawn to the first 200 from GET /health on the socket, with the daemon's CPU time
(user + system) at that moment. Prints the medians per binary.
"""

import argparse
import os
import socket
import statistics
import subprocess
import time


def start(binary, data):
    sock = os.path.join(os.path.dirname(os.path.abspath(data)), "start-ab.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    began = time.perf_counter()
    daemon = subprocess.Popen([binary, "--data-dir", data, "--listen", "none", "--socket", sock],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if daemon.poll() is not None:
                raise SystemExit(f"{binary} exited with {daemon.returncode}")
            try:
                with socket.socket(socket.AF_UNIX) as client:
                    client.connect(sock)
                    client.sendall(b"GET /health HTTP/1.1\r\nHost: sealbox\r\n\r\n")
                    if b" 200 " in client.recv(100):
                        break
            except OSError:
                pass
            time.sleep(0.001)
        wall = time.perf_counter() - began
        fields = open(f"/proc/{daemon.pid}/stat").read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    finally:
        daemon.terminate()
        daemon.wait()
    return wall, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=12)
    parser.add_argument("pairs", nargs="+", metavar="BINARY DATA_DIR")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give a data dir for every binary")
    pairs = list(zip(args.pairs[::2], args.pairs[1::2]))
    results = {binary: ([], []) for binary, _ in pairs}
    for _ in range(args.starts):
        for binary, data in pairs:
            wall, cpu = start(binary, data)
            results[binary][0].append(wall)
            results[binary][1].append(cpu)
    for binary, (walls, cpus) in results.items():
        print(f"{binary}: start to healthy median {statistics.median(walls) * 1000:.1f} ms "
              f"(min {min(walls) * 1000:.1f}), CPU median {statistics.median(cpus) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
