#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the modules that carry the pipeline's guarantees, each
# against the tests that concern it, so that a run fits on a small machine. The results are
# summarized in docs/mutants.md; mutants judged equivalent are excluded, each with its reason,
# in .cargo/mutants.toml.
#
#   scripts/mutants.sh [module ...]     # default: every module below, smallest first
#
# Needs `cargo install cargo-mutants`. Mutants are applied in place (the working tree is
# restored after each, one at a time), so the build reuses target/; do not edit the tree
# during a run. Runs at nice 19. Each module's tests run once unmutated first (see baseline
# below). MUTANTS_TIMEOUT overrides the module's test timeout (the
# TIMEOUT table), MUTANTS_TESTS its tests, and MUTANTS_ARGS adds cargo-mutants options (split
# at spaces), e.g. MUTANTS_ARGS='--re >=.in.walk' to re-run some mutants.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-mutants >/dev/null || { echo "mutants: cargo install cargo-mutants" >&2; exit 1; }

# module: files (in the core crate), then the cargo test arguments that exercise them: the
# core's unit tests and the integration tests at the root (hence --test-workspace).
declare -A FILES=(
  [stats]="core/src/stats.rs core/src/metrics.rs"
  [pool]="core/src/pool.rs"
  [record_decode]="core/src/record/decode.rs"
  [sink_worker]="core/src/dispatcher/sink_worker.rs"
  [intake]="core/src/dispatcher/intake.rs"
  [dispatcher]="core/src/dispatcher/mod.rs core/src/dispatcher/batcher.rs core/src/batch.rs"
  [delivery]="core/src/delivery/dead_letter.rs core/src/delivery/retry.rs"
  [lane]="core/src/lane/control.rs core/src/lane/layout.rs core/src/lane/producer.rs core/src/lane/consumer.rs core/src/lane/set.rs core/src/lane/unbound.rs"
)
# The test targets, as cargo test arguments: "core:" = the core's own unit tests only (one
# crate to rebuild per mutant, a few seconds), "workspace:" = with the integration tests at the
# root, which also relinks the C library and each named test (several times as long).
# MUTANTS_TESTS overrides the module's entry, e.g. to re-run survivors against more tests.
declare -A TESTS=(
  [stats]="workspace: --lib --test stats --test processing --test drop_oldest --test replay"
  [pool]="workspace: --lib --test pool --test limits --test reliability"
  [record_decode]="core: --lib"
  [sink_worker]="workspace: --lib --test pipeline --test drop_oldest --test file_sink_faults --test stats --test reliability"
  [intake]="workspace: --lib --test pipeline --test drop_oldest --test processing --test stats --test reliability --test lanes"
  [dispatcher]="workspace: --lib --test pipeline --test drop_oldest --test processing --test replay --test reliability --test lanes"
  [delivery]="workspace: --lib --test replay"
  [lane]="workspace: --lib --test lanes --test submit_record --test processing --test pipeline"
)
# Seconds each test run of a mutant may take before it counts as a timeout (caught): a few
# times the unmutated run of that module's tests on 2 busy cores.
declare -A TIMEOUT=(
  [stats]=120 [pool]=60 [record_decode]=30 [sink_worker]=60 [intake]=60 [dispatcher]=60
  [delivery]=30 [lane]=60
)
ORDER=(stats pool record_decode sink_worker intake dispatcher delivery lane)

# The module's tests, unmutated, as cargo-mutants runs them (the core's package alone, or the
# workspace). The runs below skip cargo-mutants' own baseline, so a test that fails, or takes
# longer than the timeout, without any mutant would make every mutant look caught: stop
# instead, naming the failing tests. MUTANTS_BASELINE=skip leaves the check out (e.g. to
# re-run a few mutants right after a full run).
baseline() {
  local m=$1 scope=$2; shift 2
  local pkg=(--package logcap-core) log="build/mutants/$m/baseline.log" rc=0
  [[ $scope == workspace ]] && pkg=(--workspace)
  local limit=${MUTANTS_TIMEOUT:-${TIMEOUT[$m]}}
  mkdir -p "build/mutants/$m"
  echo "mutants: $m: the unmutated tests first (cargo test ${pkg[*]} $*; log: $log)" >&2
  nice -n 19 cargo test --no-run "${pkg[@]}" "$@" </dev/null >"$log" 2>&1 || {
    tail -n 30 "$log" >&2
    echo "mutants: $m: the unmutated tests do not build (above); no mutant was run" >&2
    exit 1
  }
  local start=$SECONDS
  timeout "$limit" nice -n 19 cargo test --no-fail-fast "${pkg[@]}" "$@" </dev/null >>"$log" 2>&1 || rc=$?
  if [[ $rc == 124 ]]; then
    echo "mutants: $m: the unmutated tests took longer than the timeout (${limit} s), so every" \
      "mutant would time out: raise it (MUTANTS_TIMEOUT) or find the slow test in $log" >&2
    exit 1
  elif [[ $rc != 0 ]]; then
    echo "mutants: $m: these tests fail without any mutant, so every mutant would look caught;" \
      "no mutant was run (log: $log):" >&2
    grep -E '^test .* \.\.\. FAILED$|^error: test failed' "$log" >&2 || tail -n 30 "$log" >&2
    exit 1
  fi
  echo "mutants: $m: the unmutated tests pass in $((SECONDS - start)) s (timeout ${limit} s)" >&2
}

modules=("$@")
[[ ${#modules[@]} -eq 0 ]] && modules=("${ORDER[@]}")
mkdir -p build/mutants
for m in "${modules[@]}"; do
  [[ -n ${FILES[$m]:-} ]] || { echo "mutants: unknown module $m (${ORDER[*]})" >&2; exit 2; }
  args=()
  for f in ${FILES[$m]}; do args+=(--file "$f"); done
  # As --cargo-arg, so that the build of each mutant (cargo test --no-run) builds only these
  # test targets too, not every test of the workspace.
  tests=${MUTANTS_TESTS:-${TESTS[$m]}}
  scope=${tests%%:*}
  [[ $scope == core || $scope == workspace ]] || { echo "mutants: bad tests '$tests'" >&2; exit 2; }
  for a in ${tests#*:}; do args+=("--cargo-arg=$a"); done
  [[ $scope == workspace ]] && args+=(--test-workspace=true) || args+=(--test-workspace=false)
  echo "mutants: $m (${FILES[$m]}) with cargo test ${tests}" >&2
  [[ ${MUTANTS_BASELINE:-run} == skip ]] || baseline "$m" "$scope" ${tests#*:}
  # cargo-mutants exits 2 when a mutant was missed and 3 on a timeout: the summary below
  # says which; any other failure stops the run.
  rc=0
  nice -n 19 cargo mutants --in-place --baseline skip --no-shuffle --package logcap-core \
    --timeout "${MUTANTS_TIMEOUT:-${TIMEOUT[$m]}}" --build-timeout "${MUTANTS_BUILD_TIMEOUT:-300}" \
    --output "build/mutants/$m" "${args[@]}" ${MUTANTS_ARGS:-} || rc=$?
  [[ $rc == 0 || $rc == 2 || $rc == 3 ]] || { echo "mutants: cargo mutants failed ($rc)" >&2; exit "$rc"; }
  for outcome in caught missed timeout unviable; do
    f="build/mutants/$m/mutants.out/$outcome.txt"
    printf '%s %s %s\n' "$m" "$outcome" "$( [[ -f $f ]] && wc -l < "$f" || echo 0)"
  done
done
