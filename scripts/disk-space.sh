#!/usr/bin/env bash
# Checks that the file system holding the checkout has room for a full `make test` and
# `make check-deep` before they start, and says how much there is.
#
# A clean run writes about 9 GiB: target/ (the debug and release builds of the workspace, the
# network test crates, Miri and loom), fuzz/target/, build/ (the C tests, the servers, dist/).
# On a disk that fills up during the run the failure is a linker's "No space left on device"
# deep in some crate's build, which names neither the cause nor the remedy: this fails first,
# and says both. DISK_NEEDED_GIB overrides the floor (0 turns the check off).
set -euo pipefail
need=${DISK_NEEDED_GIB:-12}
dir=${1:-.}
avail_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
avail_gib=$((avail_kib / 1024 / 1024))
echo "disk-space: ${avail_gib} GiB free on $(df -P "$dir" | awk 'NR == 2 { print $6 }') (need ${need} GiB)" >&2
if ((avail_gib < need)); then
  echo "disk-space: only ${avail_gib} GiB free for a build that writes about 9 GiB; free some" \
    "(old clones' target/ directories, cargo clean) or set DISK_NEEDED_GIB" >&2
  exit 1
fi
