#!/usr/bin/env bash
# Checks that /dev/null is the null device, and makes it so again when it is not and we may.
#
# Builds read it: cargo gives rustc's probe of the target (`rustc - --print=...`) /dev/null as
# its standard input, and build scripts send the output of their own compiler probes to it. On
# a machine where /dev/null had been replaced by a regular file, that file collected the
# probes' warnings, and the next cargo command's rustc read them as Rust source and failed
# ("failed to run `rustc` to learn about target-specific information ... unknown start of
# token"). As root, the device is made again (character device 1,3, mode 666); otherwise this
# says what to do and fails.
set -euo pipefail
[[ -c /dev/null ]] && exit 0
was=$(stat -c %F /dev/null 2>&1 || true)
if [[ $(id -u) == 0 ]] && rm -f /dev/null && mknod -m 666 /dev/null c 1 3; then
  echo "dev-null: /dev/null was not the null device ($was); made it again" >&2
  exit 0
fi
echo "dev-null: /dev/null is not the null device, which builds read and write; as root: rm -f /dev/null && mknod -m 666 /dev/null c 1 3" >&2
exit 1
