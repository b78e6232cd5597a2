#!/usr/bin/env bash
# The checks too slow or too toolchain-bound for `make test`: each fuzz target for a bounded
# time on a corpus seeded from the shared vectors and the documented configurations, then the
# C ABI's handle table under Miri. Both need the nightly toolchain (cargo-fuzz for its
# sanitizer flags, Miri as a nightly component). Without them this says SKIPPED and exits 0,
# except under CI=true, where it fails. FUZZ_SECONDS (default 30) bounds each target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
ci=${CI:-}

missing() {
  if [[ $ci == true ]]; then
    echo "check-deep: $1 (required under CI=true)" >&2
    exit 1
  fi
  echo "SKIPPED check-deep: $1" >&2
  exit 0
}

# What is missing is installed first (rustup's components, cargo-fuzz from crates.io); only
# what cannot be installed is reported.
rustup toolchain list 2>/dev/null | grep -q '^nightly' ||
  rustup toolchain install nightly --profile minimal >&2 ||
  missing "no nightly toolchain: rustup toolchain install nightly"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz >&2 ||
  missing "no cargo-fuzz: cargo install cargo-fuzz"
cargo +nightly miri --version >/dev/null 2>&1 ||
  rustup component add --toolchain nightly miri rust-src >&2 ||
  missing "no Miri: rustup component add --toolchain nightly miri rust-src"

# Seed the corpora (fuzz/corpus is not checked in; what libFuzzer adds there is kept between
# runs, so later runs start from everything found so far).
mkdir -p fuzz/corpus/record_decode fuzz/corpus/config_parse fuzz/corpus/lane_consume
python3 - <<'PY'
import json, struct
v = json.load(open("tests/vectors/records.json"))
for x in v["valid"] + v["malformed"]:
    open("fuzz/corpus/record_decode/vector-" + x["name"], "wb").write(bytes.fromhex(x["hex"]))
# Lanes as lane_consume reads them (from the producer line on, docs/lane-protocol.md): the
# valid vectors as record frames, then the malformed ones, each in a ring of 4096 bytes.
for kind in ("valid", "malformed"):
    ring = b""
    for x in v[kind]:
        rec = bytes.fromhex(x["hex"])
        frame = struct.pack("<II", len(rec), 1) + rec
        frame += b"\0" * (-len(frame) % 8)
        if len(ring) + len(frame) > 4096:
            break
        ring += frame
    head = struct.pack("<QQQ", len(ring), 0, len(v[kind])).ljust(192, b"\0")
    open("fuzz/corpus/lane_consume/lane-" + kind, "wb").write(head + ring)
PY
printf '%s\n' '{"sinks":[{"type":"file","path":"a.log","max_bytes":100,"keep":2}]}' \
  > fuzz/corpus/config_parse/file
printf '%s\n' '{"min_level":"warn","queue":{"capacity":8,"when_full":"drop_oldest"}}' \
  > fuzz/corpus/config_parse/queue
printf '%s\n' '{"sampling":{"initial":2,"thereafter":10},"rate_limit":{"per_second":5,"burst":5,"by_label":"service"},"dedup":{"window_ms":100},"redact":{"keys":["*token*"],"patterns":["email"]},"sinks":[{"type":"null"},{"type":"callback","name":"cb","when_full":"drop_oldest","queue_capacity":2}]}' \
  > fuzz/corpus/config_parse/stages

for target in $(cargo +nightly fuzz list); do
  start=$SECONDS
  echo "check-deep: fuzzing $target for ${seconds} s" >&2
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 </dev/null
  echo "check-deep: $target done in $((SECONDS - start)) s (build included)" >&2
done

start=$SECONDS
# Standard input from /dev/null: on a fresh clone under CI, cargo-miri's probe of the compiler
# once read stray text from it and failed.
MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -p logcap --lib handles::tests </dev/null
# The lane's memory (one allocation, header and ring, written through raw pointers): every
# single-threaded lane test, so that an access out of bounds, a read of uninitialised bytes or
# a leaked lane fails. The three thread tests take minutes under Miri; loom and the stress
# runs cover them.
MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -p logcap-core --lib lane::tests -- \
  --skip a_producer_thread --skip every_publish_that_races \
  --skip records_come_out_once_and_in_order_across_many_wraps </dev/null
echo "check-deep: Miri done in $((SECONDS - start)) s" >&2
