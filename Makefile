# logcap: build, test, demo, bench. `make help` lists the targets.
SHELL := /bin/bash
CARGO ?= cargo
CC ?= gcc
CXX ?= g++
LIB_DIR := target/release
STATIC_LIB := $(LIB_DIR)/liblogcap.a
LINK := $(STATIC_LIB) -lpthread -ldl -lm
CWARN := -std=c11 -Wall -Wextra -Werror -Iinclude
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BUILD := build
VECTORS := tests/vectors/records.json

.PHONY: help lib header demo test test-rust test-network servers lint test-header test-c test-go test-node node-deps bench bench-go bench-node bench-cpp bench-net miri check-deep mutants clean

help:
	@echo "make demo    the standard event from C, Go and Node.js; outputs compared"
	@echo "make test    every test: Rust, network sinks against real servers, header, C under sanitizers, Go, Node.js"
	@echo "make test-network  the network sinks against VictoriaLogs, rsyslog, Kafka and an OpenTelemetry Collector (.ci/servers.sh)"
	@echo "make bench   criterion benchmarks (docs/benchmarks.md); bench-go, bench-node for the bindings"
	@echo "make bench-cpp  the standard event from C++ through logcap and through spdlog (needs libspdlog-dev)"
	@echo "make bench-net  the network sink benchmarks (docs/network-sinks.md)"
	@echo "make header  regenerate include/logcap.h with cbindgen"
	@echo "make miri    the C ABI's handle table under Miri, which checks its unsafe code and data races (nightly)"
	@echo "make check-deep  each fuzz target for FUZZ_SECONDS (30) on a seeded corpus, then make miri (nightly, cargo-fuzz)"
	@echo "make mutants  mutation testing of the modules that carry the guarantees (cargo-mutants; docs/mutants.md)"

lib:
	$(CARGO) build --release --lib

header:
	LOGCAP_UPDATE_HEADER=1 $(CARGO) build --lib

$(BUILD):
	mkdir -p $(BUILD)

# The main job: the standard event through the C, Go and Node.js quickstarts with one
# configuration; the three outputs must be identical but for timestamps.
demo: lib node-deps | $(BUILD)
	$(CC) $(CWARN) -O2 bindings/c/examples/quickstart.c $(LINK) -o $(BUILD)/quickstart
	scripts/demo.sh

test: lint test-rust test-network test-header test-c test-go test-node

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	# --all-targets leaves out tests with `test = false`: the network sink tests.
	$(CARGO) clippy --test network_sinks -- -D warnings
	$(CARGO) clippy --test kafka_otlp -- -D warnings

test-rust:
	$(CARGO) test

# Builds or installs the real servers (VictoriaLogs, rsyslog, a Kafka broker's jars, an
# OpenTelemetry Collector) and writes build/servers.env.
servers:
	bash .ci/servers.sh

# The network sinks against those servers, which the tests start on 127.0.0.1; one test at a
# time, since each starts, kills and restarts its own servers.
test-network: servers
	set -a && . build/servers.env && set +a && \
		$(CARGO) test --test network_sinks -- --test-threads=1 && \
		$(CARGO) test --test kafka_otlp -- --test-threads=1

# The header compiles on its own as C11 and as C++17.
test-header: | $(BUILD)
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c include/logcap.h
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ include/logcap.h

# `cargo test` builds and runs the same C tests too, under the same sanitizers (tests/c_tests.rs).
test-c: lib | $(BUILD)
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_api.c $(LINK) -o $(BUILD)/test_api
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_misuse.c $(LINK) -o $(BUILD)/test_misuse
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_process.c $(LINK) -o $(BUILD)/test_process
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_drop_oldest.c $(LINK) -o $(BUILD)/test_drop_oldest
	$(CC) $(CWARN) $(SAN) -g bindings/c/examples/quickstart.c $(LINK) -o $(BUILD)/quickstart_san
	./$(BUILD)/test_api $(VECTORS)
	./$(BUILD)/test_misuse
	./$(BUILD)/test_process
	./$(BUILD)/test_drop_oldest
	./$(BUILD)/quickstart_san > $(BUILD)/quickstart.out
	grep -q '"msg":"request completed"' $(BUILD)/quickstart.out
	# The pkg-config file links the shared library.
	$(CC) $(CWARN) bindings/c/examples/quickstart.c $$(PKG_CONFIG_PATH=bindings/c pkg-config --cflags --libs logcap) \
		-Wl,-rpath,$(CURDIR)/$(LIB_DIR) -o $(BUILD)/quickstart_shared
	./$(BUILD)/quickstart_shared | grep -q '"msg":"request completed"'

# The Go binding links the static library; vet, race detector, and a run with GOGC=1 to
# flush out lifetime bugs.
test-go: lib
	cd bindings/go && test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	cd bindings/go && go vet ./...
	cd bindings/go/compare && go vet ./...
	cd bindings/go && go test -race -count=1 ./...
	cd bindings/go && GOGC=1 go test -count=1 ./...

# npm packages of the Node binding (koffi), as locked in package-lock.json.
node-deps:
	cd bindings/node && npm ci --no-audit --no-fund

test-node: lib node-deps
	cd bindings/node && npm test

bench:
	$(CARGO) bench --bench core
	$(CARGO) bench --bench ffi

# The handle table's unsafe code (src/handles.rs) under Miri, which reports undefined
# behaviour and data races between the tests' threads. Needs the nightly toolchain with the
# miri component; not part of `make test`. See docs/fuzzing.md.
miri:
	MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test -p logcap --lib handles::tests

# The fuzz targets for a bounded time each, then the handle table under Miri (see
# scripts/check-deep.sh and docs/fuzzing.md). Without the nightly tools it says SKIPPED,
# except under CI=true, where it fails. .ci/run runs it after `make test`.
check-deep:
	scripts/check-deep.sh

# Mutation testing (cargo-mutants) of the modules that carry the guarantees, each against its
# own tests; MODULES picks some (stats pool record_decode sink_worker intake dispatcher
# delivery). Long: about half a minute per mutant on 2 cores. See docs/mutants.md.
mutants:
	scripts/mutants.sh $(MODULES)

# The binding's own benchmarks, then the standard event through logcap beside zerolog, zap
# and slog's JSON handler (bindings/go/compare, a module of its own).
bench-go: lib
	cd bindings/go && go test -run '^$$' -bench . -benchmem -count=5 ./...
	cd bindings/go/compare && go test -run '^$$' -bench . -benchmem -count=5 ./...

# The standard event from C++ through logcap's C ABI and through spdlog, in one run. spdlog is
# not a dependency of anything else: it comes from the system (Debian: libspdlog-dev).
bench-cpp: lib | $(BUILD)
	@pkg-config --exists spdlog || { echo "bench-cpp needs spdlog: apt-get install libspdlog-dev"; exit 1; }
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude bindings/c/bench/compare.cpp \
		$$(pkg-config --cflags --libs spdlog) $(LINK) -o $(BUILD)/compare_cpp
	./$(BUILD)/compare_cpp $(VECTORS)

bench-node: lib node-deps
	cd bindings/node && npm run bench

bench-net: servers
	set -a && . build/servers.env && set +a && $(CARGO) bench --bench net && \
		$(CARGO) bench --bench kafka_otlp

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
