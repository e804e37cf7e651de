# Sealbox: `make run` starts the daemon, `make test` is what CI checks.
SWIFT ?= swift
PYTHON ?= python3
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
APT_PACKAGES := libsodium-dev libssl-dev libsqlite3-dev pkg-config systemd postgresql
PY_REQUIREMENTS := Tests/Conformance/requirements.txt
NODE ?= node

.PHONY: all build release run test unit conformance node-test bench bench-smoke lint format deps deps-apt deps-py clean install \
	fuzz fuzz-build fuzz-smoke sanitize sanitize-address sanitize-thread soak postgres-up postgres-down

PREFIX ?= /usr/local
DESTDIR ?=
# install takes the release build; the tests install the debug build they already have.
CONFIGURATION ?= release

all: build

## deps: install the system libraries (apt-get, as root) and the Python test packages.
deps: deps-apt deps-py

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing system packages; run: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi
	@command -v $(NODE) >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing: nodejs"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; \
		else \
			echo "node is missing; run: sudo apt-get install -y nodejs"; exit 1; \
		fi; \
	}

deps-py:
	@$(PYTHON) -c "import boto3, botocore, cryptography, nacl, pytest, yaml, awscli, moto, flask, xdist, wheel" 2>/dev/null || \
		$(PYTHON) -m pip install -q -r $(PY_REQUIREMENTS)

## build: debug build of everything, warnings as errors.
build: deps-apt
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps-apt
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## run: build in release mode and start sealboxd in the foreground on the embedded default.
run: release
	./.build/release/sealboxd

## test: lint, unit and integration tests (Swift Testing), the boto3/AWS CLI conformance suite, the
## Node.js client's tests against the daemon (clients/node), a short run of the load generator so
## that it cannot rot (no timing is asserted), a short run of every fuzz target, and the sanitizer runs.
test: deps lint build unit conformance node-test bench-smoke fuzz-smoke sanitize

# unit and conformance each run against a throwaway PostgreSQL cluster in $(PG_DIR), started for them
# and stopped afterwards (scripts/with-postgres.sh), its URL in SEALBOX_TEST_POSTGRES; the conformance
# suite fails rather than skips its PostgreSQL tests when there is none (SEALBOX_REQUIRE_POSTGRES).
PG_DIR := $(CURDIR)/.build/pg
WITH_POSTGRES := SEALBOX_PG_DIR=$(PG_DIR) scripts/with-postgres.sh

unit:
	SEALBOX_REQUIRE_POSTGRES=1 $(WITH_POSTGRES) $(SWIFT) test $(SWIFT_FLAGS)

conformance:
	SEALBOXD=$(CURDIR)/.build/debug/sealboxd SEALBOX_VECTORS=$(CURDIR)/.build/debug/sealbox-vectors \
		SEALBOX_REQUIRE_POSTGRES=1 $(WITH_POSTGRES) $(PYTHON) -m pytest Tests/Conformance -q

## postgres-up: a fresh throwaway PostgreSQL cluster in .build/pg for running tests by hand; prints
## its URL (export it as SEALBOX_TEST_POSTGRES). postgres-down stops it.
postgres-up: postgres-down
	@rm -rf $(PG_DIR) && mkdir -p $(PG_DIR) && scripts/postgres-cluster.sh start $(PG_DIR)

postgres-down:
	@if [ -d $(PG_DIR)/data ]; then scripts/postgres-cluster.sh stop $(PG_DIR); fi

node-test: deps-apt
	SEALBOXD=$(CURDIR)/.build/debug/sealboxd $(NODE) --test clients/node/test/*.test.js

## bench: release build, then every workload over the socket and TCP at 1, 8 and 32 connections,
## each against the bare NIO baseline; scale and memory with 100,000 parameters and 10,000 leases;
## crypto microbenchmarks beside Python's Fernet; boto3 against sealboxd and moto_server, and against
## the bare baseline answering the same bytes (the most one boto3 client can show); the PostgreSQL
## store beside SQLite (hot path, PutParameter, propagation between two daemons, start-up with 100,000
## parameters) on a throwaway cluster (scripts/with-postgres.sh, needs the postgresql package). Then
## each performance target beside its figure, and every figure in bench-results.json. About 15 minutes.
BENCH_DIR := .build/bench
bench: release deps-py
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	./.build/release/sealbox-bench suite --sealboxd ./.build/release/sealboxd \
		--baseline ./.build/release/sealbox-baseline --json $(BENCH_DIR)/suite.json
	./.build/release/sealbox-bench scale --sealboxd ./.build/release/sealboxd \
		--parameters 100000 --leases 10000 --requests 1000000 --json $(BENCH_DIR)/scale.json
	SEALBOX_PG_DIR=$(CURDIR)/$(BENCH_DIR)/pg scripts/with-postgres.sh ./.build/release/sealbox-bench store \
		--sealboxd ./.build/release/sealboxd --json $(BENCH_DIR)/store.json
	./.build/release/sealbox-bench crypto --python-script Tests/Bench/fernet_python.py --json $(BENCH_DIR)/crypto.json
	$(PYTHON) Tests/Bench/peer_moto.py --sealboxd ./.build/release/sealboxd \
		--baseline ./.build/release/sealbox-baseline --json $(BENCH_DIR)/peer.json
	./.build/release/sealbox-bench report --suite $(BENCH_DIR)/suite.json --scale $(BENCH_DIR)/scale.json \
		--store $(BENCH_DIR)/store.json --crypto $(BENCH_DIR)/crypto.json --peer $(BENCH_DIR)/peer.json \
		--json bench-results.json

## bench-smoke: every part of make bench at low volume in the debug build, then the report's own
## tests (Tests/Bench) on these figures and on made-up ones. No timing is asserted.
SMOKE_DIR := $(CURDIR)/.build/bench-smoke
bench-smoke: build deps-py
	rm -rf $(SMOKE_DIR) && mkdir -p $(SMOKE_DIR)
	./.build/debug/sealbox-bench suite --sealboxd ./.build/debug/sealboxd --baseline ./.build/debug/sealbox-baseline \
		--duration 0.2 --connections 2 --json $(SMOKE_DIR)/suite.json
	./.build/debug/sealbox-bench scale --sealboxd ./.build/debug/sealboxd --parameters 200 --leases 20 \
		--requests 2000 --record-calls 2000 --secrets 50 --json $(SMOKE_DIR)/scale.json
	SEALBOX_PG_DIR=$(SMOKE_DIR)/pg scripts/with-postgres.sh ./.build/debug/sealbox-bench store \
		--sealboxd ./.build/debug/sealboxd --duration 0.2 --rounds 2 --connections 2 --changes 20 --parameters 200 --seed 20 \
		--starts 1 --json $(SMOKE_DIR)/store.json
	./.build/debug/sealbox-bench crypto --duration 0.1 --python-script Tests/Bench/fernet_python.py \
		--json $(SMOKE_DIR)/crypto.json
	$(PYTHON) Tests/Bench/peer_moto.py --sealboxd ./.build/debug/sealboxd --baseline ./.build/debug/sealbox-baseline \
		--duration 0.4 --rounds 2 --json $(SMOKE_DIR)/peer.json
	./.build/debug/sealbox-bench report --suite $(SMOKE_DIR)/suite.json --scale $(SMOKE_DIR)/scale.json \
		--store $(SMOKE_DIR)/store.json --crypto $(SMOKE_DIR)/crypto.json --peer $(SMOKE_DIR)/peer.json \
		--json $(SMOKE_DIR)/results.json
	SEALBOX_BENCH=$(CURDIR)/.build/debug/sealbox-bench SEALBOX_BENCH_SMOKE=$(SMOKE_DIR)/results.json \
		$(PYTHON) -m pytest Tests/Bench -q

## install: both binaries, the systemd units, sysusers.d/tmpfiles.d files, docs and shell
## completions under $(DESTDIR)$(PREFIX); the units' paths follow PREFIX.
install: $(if $(filter debug,$(CONFIGURATION)),build,release)
	@root="$(DESTDIR)$(PREFIX)"; bin=".build/$(CONFIGURATION)"; \
	install -d "$$root/bin" "$$root/lib/systemd/system" "$$root/lib/sysusers.d" "$$root/lib/tmpfiles.d" \
		"$$root/share/doc/sealbox" "$$root/share/bash-completion/completions" "$$root/share/zsh/site-functions" \
		"$$root/share/fish/vendor_completions.d" && \
	install -m 0755 "$$bin/sealboxd" "$$bin/sealbox" "$$root/bin/" && \
	for unit in sealboxd.service sealboxd.socket; do \
		sed -e 's|/usr/local|$(PREFIX)|g' "systemd/$$unit" > "$$root/lib/systemd/system/$$unit" && \
		chmod 0644 "$$root/lib/systemd/system/$$unit"; \
	done && \
	install -m 0644 systemd/sealbox.sysusers.conf "$$root/lib/sysusers.d/sealbox.conf" && \
	install -m 0644 systemd/sealbox.tmpfiles.conf "$$root/lib/tmpfiles.d/sealbox.conf" && \
	install -m 0644 README.md docs/*.md "$$root/share/doc/sealbox/" && \
	install -m 0644 Keys/README.md "$$root/share/doc/sealbox/keys.md" && \
	"$$bin/sealbox" --generate-completion-script bash > "$$root/share/bash-completion/completions/sealbox" && \
	"$$bin/sealbox" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_sealbox" && \
	"$$bin/sealbox" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/sealbox.fish" && \
	echo "installed under $$root"

lint:
	bash scripts/validate.sh

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan

## fuzz: every libFuzzer target (scripts/fuzz.sh) for FUZZ_SECONDS each, from Tests/Fuzz/Corpus.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 8
fuzz-build: deps-apt
	$(SWIFT) build --scratch-path .build-fuzz --product sealbox-fuzz $(NO_POSTGRES) $(SWIFT_FLAGS) \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DSEALBOX_LIBFUZZER

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

## sanitize: the Swift tests, a conformance subset and a 10,000-request daemon check under
## AddressSanitizer (the check with LeakSanitizer at the daemon's exit); then the Swift tests and the
## daemon check under ThreadSanitizer. Each has its own build folder.
# The one skipped test scans the daemon's readable memory, which under a sanitizer includes
# terabytes of shadow mappings. The test runner's leaks are XCTest's own; LSan checks the daemon.
# The fuzz and sanitizer builds leave out the PostgreSQL store (the PostgreSQL trait): postgres-nio
# brings two copies of BoringSSL, whose builds under each sanitizer would cost CI minutes. The debug
# build, with which unit and conformance run, has it.
NO_POSTGRES := --disable-default-traits
SANITIZER_SKIP := --skip noPlaintextIsLeftInTheDaemonAfterRedeems
SANITIZER_ENV := SWIFT_BACKTRACE=enable=no
ASAN_CONFORMANCE := Tests/Conformance/test_hostile_input.py Tests/Conformance/test_kms_crypto.py \
	Tests/Conformance/test_ssm_secure.py Tests/Conformance/test_leases.py Tests/Conformance/test_extension.py
sanitize: sanitize-address sanitize-thread

sanitize-address: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(NO_POSTGRES) $(SWIFT_FLAGS)
	$(SANITIZER_ENV) ASAN_OPTIONS=detect_leaks=0 \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(NO_POSTGRES) $(SANITIZER_SKIP)
	$(SANITIZER_ENV) ASAN_OPTIONS=detect_leaks=0 SEALBOXD=$(CURDIR)/.build-asan/debug/sealboxd \
		SEALBOX_VECTORS=$(CURDIR)/.build-asan/debug/sealbox-vectors $(PYTHON) -m pytest $(ASAN_CONFORMANCE) -q
	$(PYTHON) Tests/Sanitizers/daemon_check.py --sanitizer address --sealboxd .build-asan/debug/sealboxd

sanitize-thread: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(NO_POSTGRES) $(SWIFT_FLAGS)
	$(SANITIZER_ENV) TSAN_OPTIONS=halt_on_error=1 \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(NO_POSTGRES) $(SANITIZER_SKIP)
	$(PYTHON) Tests/Sanitizers/daemon_check.py --sanitizer thread --sealboxd .build-tsan/debug/sealboxd

## soak: a million mixed requests at 32 connections against a release daemon (zero errors, RSS
## growth at most 5%, no descriptor growth), then 100 kill -9 crash trials.
SOAK_REQUESTS ?= 1000000
SOAK_CRASH_TRIALS ?= 100
soak: release deps-py
	./.build/release/sealbox-bench soak --sealboxd ./.build/release/sealboxd --requests $(SOAK_REQUESTS)
	SEALBOXD=$(CURDIR)/.build/release/sealboxd SEALBOX_CRASH_TRIALS=$(SOAK_CRASH_TRIALS) \
		$(PYTHON) -m pytest Tests/Conformance/test_crash_trials.py -q -s

