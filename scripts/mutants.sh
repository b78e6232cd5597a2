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
# during a run. MUTANTS_TIMEOUT (default 120 s) bounds each test run.
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
)
declare -A TESTS=(
  [stats]="--lib --test stats --test processing --test drop_oldest --test replay"
  [pool]="--lib --test pool"
  [record_decode]="--lib --test record_vectors --test record_spec --test submit_record"
  [sink_worker]="--lib --test pipeline --test drop_oldest --test file_sink_faults"
  [intake]="--lib --test pipeline --test drop_oldest --test processing --test replay"
  [dispatcher]="--lib --test pipeline --test drop_oldest --test processing"
  [delivery]="--lib --test replay"
)
ORDER=(stats pool record_decode sink_worker intake dispatcher delivery)

modules=("$@")
[[ ${#modules[@]} -eq 0 ]] && modules=("${ORDER[@]}")
mkdir -p build/mutants
for m in "${modules[@]}"; do
  [[ -n ${FILES[$m]:-} ]] || { echo "mutants: unknown module $m (${ORDER[*]})" >&2; exit 2; }
  args=()
  for f in ${FILES[$m]}; do args+=(--file "$f"); done
  echo "mutants: $m (${FILES[$m]}) with cargo test ${TESTS[$m]}" >&2
  # cargo-mutants exits 2 when a mutant was missed and 3 on a timeout: the summary below
  # says which; any other failure stops the run.
  rc=0
  cargo mutants --in-place --baseline skip --no-shuffle --timeout "${MUTANTS_TIMEOUT:-120}" \
    --test-workspace=true --output "build/mutants/$m" "${args[@]}" -- ${TESTS[$m]} || rc=$?
  [[ $rc == 0 || $rc == 2 || $rc == 3 ]] || { echo "mutants: cargo mutants failed ($rc)" >&2; exit "$rc"; }
  for outcome in caught missed timeout unviable; do
    f="build/mutants/$m/mutants.out/$outcome.txt"
    printf '%s %s %s\n' "$m" "$outcome" "$( [[ -f $f ]] && wc -l < "$f" || echo 0)"
  done
done
