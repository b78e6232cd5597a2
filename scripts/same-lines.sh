#!/usr/bin/env bash
# Usage: scripts/same-lines.sh REFERENCE FILE...
# Succeeds when every FILE holds the same lines as REFERENCE but for their timestamps (the
# "ts" values), and REFERENCE is not empty; otherwise prints the differences and fails. The
# demo and the packaging tests compare the standard event's output this way.
set -euo pipefail
strip_ts() { sed -E 's/"ts":"[^"]*"/"ts":"<ts>"/' "$1"; }
ref=$1
shift
if [ ! -s "$ref" ]; then
  echo "same-lines: $ref is empty or missing" >&2
  exit 1
fi
status=0
for f in "$@"; do
  if ! cmp -s <(strip_ts "$ref") <(strip_ts "$f"); then
    echo "same-lines: $f differs from $ref:" >&2
    diff <(strip_ts "$ref") <(strip_ts "$f") >&2 || true
    status=1
  fi
done
exit $status
