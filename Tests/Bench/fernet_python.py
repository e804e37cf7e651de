"""Fernet encrypt/decrypt per second with Python's cryptography, for sealbox-bench crypto."""

import argparse
import json
import os
import time

from cryptography.fernet import Fernet


def rate(body, duration):
    end = time.perf_counter() + duration
    count = 0
    while time.perf_counter() < end:
        for _ in range(64):
            body()
        count += 64
    return count / duration


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    fernet = Fernet(Fernet.generate_key())
    plaintext = os.urandom(args.size)
    token = fernet.encrypt(plaintext)
    print(json.dumps({
        "encrypt": rate(lambda: fernet.encrypt(plaintext), args.duration),
        "decrypt": rate(lambda: fernet.decrypt(token, ttl=3600), args.duration),
    }))


if __name__ == "__main__":
    main()
