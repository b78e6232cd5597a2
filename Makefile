# logcap: build, test, demo, bench. `make help` lists the targets.
SHELL := /bin/bash
CARGO ?= cargo
CC ?= gcc
CXX ?= g++
LIB_DIR := target/release
STATIC_LIB := $(LIB_DIR)/liblogcap.a
LINK := $(STATIC_LIB) -lpthread -ldl -lm
CWARN := -std=c11 -Wall -Wextra -Werror -Iinclude
CXXWARN := -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BUILD := build
PREFIX ?= /usr/local
DESTDIR ?=
# Platforms as each binding names them (evaluated when used).
GO_PLATFORM = $(shell go env GOOS)-$(shell go env GOARCH)
NODE_PLATFORM = $(shell node -p 'process.platform + "-" + process.arch')
VECTORS := tests/vectors/records.json
LIMITS := tests/vectors/limits.json

.PHONY: help lib header demo test dev-null test-rust test-network servers lint test-header test-c test-cpp test-go install bindings-lib dist test-packaging test-features schema test-node node-deps bench bench-go bench-node bench-cpp bench-net miri check-deep mutants test-loom clean

help:
	@echo "make demo    the standard event from C, C++, Go and Node.js; outputs compared"
	@echo "make test    every test: Rust, network sinks against real servers, headers, C and C++ under sanitizers, Go, Node.js"
	@echo "make test-features  the build with only the local sinks; stripped sizes against their limits"
	@echo "make schema  regenerate docs/config.schema.json from the configuration types"
	@echo "make test-packaging  make dist's artifacts used from outside the repository: C, C++, Go, Node.js"
	@echo "make test-network  the network sinks against VictoriaLogs, rsyslog, Kafka and an OpenTelemetry Collector (.ci/servers.sh)"
	@echo "make bench   criterion benchmarks (docs/benchmarks.md); bench-go, bench-node for the bindings"
	@echo "make bench-cpp  the standard event from C++ through logcap (C ABI and logcap.hpp) and through spdlog (needs libspdlog-dev)"
	@echo "make bench-net  the network sink benchmarks (docs/network-sinks.md)"
	@echo "make install PREFIX=/usr/local DESTDIR=  headers, shared and static library, pkg-config and CMake files (docs/packaging.md)"
	@echo "make dist    dist/: the C/C++ tarball, a GOPROXY tree with the Go module, the npm package"
	@echo "make header  regenerate include/logcap.h with cbindgen"
	@echo "make miri    the C ABI's handle table under Miri, which checks its unsafe code and data races (nightly)"
	@echo "make test-loom  the lane protocol's model under loom: every interleaving of a producer and the consumer (docs/lane-protocol.md)"
	@echo "make check-deep  each fuzz target for FUZZ_SECONDS (30) on a seeded corpus, then make miri (nightly, cargo-fuzz)"
	@echo "make mutants  mutation testing of the modules that carry the guarantees (cargo-mutants; docs/mutants.md)"

lib:
	$(CARGO) build --release --lib

header:
	LOGCAP_UPDATE_HEADER=1 $(CARGO) build --lib

# The artifacts users consume, under dist/ (scripts/dist.sh, docs/packaging.md).
dist: lib
	scripts/dist.sh

# Each artifact of dist/ consumed from a fresh directory outside the repository, as its user
# would, logging the standard event: C and C++ (pkg-config, CMake), Go (go get from the
# GOPROXY tree), Node.js (npm install, CommonJS, ESM, TypeScript). scripts/test-packaging.sh.
test-packaging: dist node-deps
	scripts/test-packaging.sh

# In the repository, the bindings find the library where a package carries it: symbolic links
# to this checkout's header and build, in bindings/go/build/ (the Go module's bundled library)
# and bindings/node/prebuilds/ (the npm package's); both are ignored by git.
bindings-lib: lib
	mkdir -p bindings/go/build/include bindings/go/build/$(GO_PLATFORM) bindings/node/prebuilds/$(NODE_PLATFORM)
	ln -sfn ../../../../include/logcap.h bindings/go/build/include/logcap.h
	ln -sfn ../../../../$(LIB_DIR)/liblogcap.a bindings/go/build/$(GO_PLATFORM)/liblogcap.a
	ln -sfn ../../../../$(LIB_DIR)/liblogcap.so bindings/node/prebuilds/$(NODE_PLATFORM)/liblogcap.so

# The C/C++ library into $(DESTDIR)$(PREFIX): stripped libraries with a versioned SONAME,
# debug info beside them, logcap.pc and CMake's logcapConfig.cmake (scripts/install.sh).
install: lib
	scripts/install.sh "$(PREFIX)" "$(DESTDIR)"

$(BUILD):
	mkdir -p $(BUILD)

# The main job: the standard event through the C, C++, Go and Node.js quickstarts with one
# configuration; the four outputs must be identical but for timestamps.
demo: dev-null bindings-lib node-deps | $(BUILD)
	$(CC) $(CWARN) -O2 bindings/c/examples/quickstart.c $(LINK) -o $(BUILD)/quickstart
	$(CXX) $(CXXWARN) -O2 bindings/cpp/examples/quickstart.cpp $(LINK) -o $(BUILD)/quickstart_cpp
	scripts/demo.sh

test: dev-null lint test-rust test-network test-header test-c test-cpp test-go test-node test-packaging test-features

# Builds read and write /dev/null; a regular file there breaks cargo (scripts/dev-null.sh).
dev-null:
	@scripts/dev-null.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --features schema -- -D warnings
	# --all-targets leaves out tests with `test = false`: the network sink tests.
	$(CARGO) clippy --test network_sinks --features schema -- -D warnings
	$(CARGO) clippy --test kafka_otlp --features schema -- -D warnings
	# The build with only the local sinks (make test-features).
	$(CARGO) clippy --lib --no-default-features -- -D warnings

# With the feature `schema`, which adds the checks of docs/config.schema.json.
test-rust:
	$(CARGO) test --features schema

# docs/config.schema.json, generated from the configuration types (test-rust checks it).
schema:
	$(CARGO) run --example config_schema --features schema > docs/config.schema.json

# The library with only the local sinks and no redaction patterns (--no-default-features), in a
# target directory of its own: a configuration naming what it left out is refused, naming the
# cargo feature; then the stripped size of both builds against its limit (docs/packaging.md).
LOCAL_TARGET := target/local
test-features: lib | $(BUILD)
	$(CARGO) build --release --lib --no-default-features --target-dir $(LOCAL_TARGET)
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_local_build.c \
		$(LOCAL_TARGET)/release/liblogcap.a -lpthread -ldl -lm -o $(BUILD)/test_local_build
	./$(BUILD)/test_local_build
	# The limits are 6 MiB and 2.5 MiB; docs/packaging.md has the sizes of each feature set.
	scripts/sizes.sh default=$(LIB_DIR)=6291456 local=$(LOCAL_TARGET)/release=2621440

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

# The header compiles on its own as C11 and as C++17; the C++ wrapper as C++17, with and
# without exceptions.
test-header: | $(BUILD)
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c include/logcap.h
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ include/logcap.h
	$(CXX) $(CXXWARN) -fsyntax-only -x c++ include/logcap.hpp
	$(CXX) $(CXXWARN) -fno-exceptions -fsyntax-only -x c++ include/logcap.hpp

# `cargo test` builds and runs the same C tests too, under the same sanitizers (tests/c_tests.rs).
test-c: lib | $(BUILD)
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_api.c $(LINK) -o $(BUILD)/test_api
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_misuse.c $(LINK) -o $(BUILD)/test_misuse
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_process.c $(LINK) -o $(BUILD)/test_process
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_drop_oldest.c $(LINK) -o $(BUILD)/test_drop_oldest
	$(CC) $(CWARN) $(SAN) -g -Ibindings/c/tests bindings/c/tests/test_writer.c $(LINK) -o $(BUILD)/test_writer
	$(CC) $(CWARN) $(SAN) -g bindings/c/examples/quickstart.c $(LINK) -o $(BUILD)/quickstart_san
	./$(BUILD)/test_api $(VECTORS) $(LIMITS)
	./$(BUILD)/test_misuse
	./$(BUILD)/test_process
	./$(BUILD)/test_drop_oldest
	./$(BUILD)/test_writer $(VECTORS)
	./$(BUILD)/quickstart_san > $(BUILD)/quickstart.out
	grep -q '"msg":"request completed"' $(BUILD)/quickstart.out

# The C++ wrapper (include/logcap.hpp) under ASan/UBSan, then the C++ quickstart, whose line
# must be the C quickstart's but for the timestamp.
test-cpp: lib | $(BUILD)
	$(CXX) $(CXXWARN) $(SAN) -g -Ibindings/c/tests bindings/cpp/tests/test_wrapper.cpp $(LINK) -o $(BUILD)/test_wrapper
	$(CXX) $(CXXWARN) $(SAN) -g bindings/cpp/examples/quickstart.cpp $(LINK) -o $(BUILD)/quickstart_cpp_san
	$(CC) $(CWARN) -O2 bindings/c/examples/quickstart.c $(LINK) -o $(BUILD)/quickstart
	./$(BUILD)/test_wrapper $(VECTORS)
	./$(BUILD)/quickstart > $(BUILD)/quickstart-c.out
	./$(BUILD)/quickstart_cpp_san > $(BUILD)/quickstart-cpp.out
	scripts/same-lines.sh $(BUILD)/quickstart-c.out $(BUILD)/quickstart-cpp.out

# The Go binding links the static library; vet, race detector, and a run with GOGC=1 to
# flush out lifetime bugs.
test-go: bindings-lib
	cd bindings/go && test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	cd bindings/go && go vet ./...
	cd bindings/go/compare && go vet ./...
	cd bindings/go && go test -race -count=1 ./...
	cd bindings/go && GOGC=1 go test -count=1 ./...

# npm packages of the Node binding (koffi), as locked in package-lock.json.
node-deps:
	cd bindings/node && npm ci --no-audit --no-fund

test-node: bindings-lib node-deps
	cd bindings/node && npm test

bench:
	$(CARGO) bench --bench core
	$(CARGO) bench --bench ffi

# The handle table's unsafe code (src/handles.rs) and the lane's memory (core/src/lane) under
# Miri, which reports undefined behaviour, leaks and data races between the tests' threads. Needs the nightly toolchain with the
# miri component; not part of `make test`. See docs/fuzzing.md.
miri:
	MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test -p logcap --lib handles::tests
	MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test -p logcap-core --lib lane::tests -- \
		--skip a_producer_thread --skip every_publish_that_races \
		--skip records_come_out_once_and_in_order_across_many_wraps

# The lane protocol's loom model (core/src/lane/loom.rs): one producer and the consumer across
# a wrap, and the sleep/wake handshake, in every interleaving loom explores. The core alone,
# without the network sinks, in a target directory of its own (RUSTFLAGS differ). Not part of
# `make test`.
LOOM_TARGET := target/loom
test-loom:
	RUSTFLAGS="--cfg loom" $(CARGO) test --release --target-dir $(LOOM_TARGET) \
		-p logcap-core --no-default-features --lib lane::loom

# The fuzz targets for a bounded time each, then the handle table under Miri (see
# scripts/check-deep.sh and docs/fuzzing.md). Without the nightly tools it says SKIPPED,
# except under CI=true, where it fails. .ci/run runs it after `make test`.
check-deep:
	scripts/check-deep.sh

# Mutation testing (cargo-mutants) of the modules that carry the guarantees, each against its
# own tests; MODULES picks some (stats pool record_decode sink_worker intake dispatcher
# delivery). A few seconds to a minute per mutant on 2 cores. See docs/mutants.md.
mutants:
	scripts/mutants.sh $(MODULES)

# The binding's own benchmarks, then the standard event through logcap beside zerolog, zap
# and slog's JSON handler (bindings/go/compare, a module of its own).
bench-go: bindings-lib
	cd bindings/go && go test -run '^$$' -bench . -benchmem -count=5 ./...
	cd bindings/go/compare && go test -run '^$$' -bench . -benchmem -count=5 ./...

# The standard event from C++ through logcap's C ABI and through spdlog, in one run. spdlog is
# not a dependency of anything else: it comes from the system (Debian: libspdlog-dev).
bench-cpp: lib | $(BUILD)
	@pkg-config --exists spdlog || { echo "bench-cpp needs spdlog: apt-get install libspdlog-dev"; exit 1; }
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude bindings/c/bench/compare.cpp \
		$$(pkg-config --cflags --libs spdlog) $(LINK) -o $(BUILD)/compare_cpp
	./$(BUILD)/compare_cpp $(VECTORS)

bench-node: bindings-lib node-deps
	cd bindings/node && npm run bench

bench-net: servers
	set -a && . build/servers.env && set +a && $(CARGO) bench --bench net && \
		$(CARGO) bench --bench kafka_otlp

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
