#!/usr/bin/env bash
# The stripped size of the shared library of each build, against its limit (docs/packaging.md):
#
#   scripts/sizes.sh NAME=TARGET_DIR=LIMIT_BYTES...
#
# e.g. scripts/sizes.sh default=target/release=6291456 local=target/local/release=2621440.
# Each liblogcap.so is stripped (as `make install` strips it) into build/sizes/.
set -euo pipefail
cd "$(dirname "$0")/.."
STRIP=${STRIP:-strip}
mkdir -p build/sizes
status=0
for spec in "$@"; do
  IFS== read -r name dir limit <<<"$spec"
  out=build/sizes/liblogcap-$name.so
  cp "$dir/liblogcap.so" "$out"
  "$STRIP" --strip-unneeded "$out"
  size=$(stat -c %s "$out")
  if [ "$size" -le "$limit" ]; then verdict=ok; else verdict="OVER THE LIMIT"; status=1; fi
  printf '%-8s %s: %d bytes stripped (limit %d): %s\n' "$name" "$dir/liblogcap.so" "$size" "$limit" "$verdict"
done
exit $status
