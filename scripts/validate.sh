#!/usr/bin/env bash
# Fails when swift-format would change anything, and shows what.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive --parallel Package.swift Sources Tests
