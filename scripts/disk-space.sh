#!/usr/bin/env bash
# Checks that the file system holding the checkout has room for a full `make test` and
# `make check-deep` before they start, and says how much there is.
#
# A clean run writes about 5 GiB (measured on a fresh clone, 2026-12-05): target/ (the debug
# build of the workspace 1.8 GiB, release 0.9, Miri 0.6, the build with only the local sinks
# 0.3), fuzz/target/ (0.6), build/ (the C tests, the servers, dist/: 0.5); twice that before the
# debug builds kept only line tables and CI turned incremental compilation off.
# On a disk that fills up during the run the failure is a linker's "No space left on device"
# deep in some crate's build, which names neither the cause nor the remedy: this fails first,
# and says both. DISK_NEEDED_GIB overrides the floor (0 turns the check off).
set -euo pipefail
need=${DISK_NEEDED_GIB:-8}
dir=${1:-.}
avail_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
avail_gib=$((avail_kib / 1024 / 1024))
echo "disk-space: ${avail_gib} GiB free on $(df -P "$dir" | awk 'NR == 2 { print $6 }') (need ${need} GiB)" >&2
if ((avail_gib < need)); then
  echo "disk-space: only ${avail_gib} GiB free for a build that writes about 5 GiB; free some" \
    "(old clones' target/ directories, cargo clean) or set DISK_NEEDED_GIB" >&2
  exit 1
fi
