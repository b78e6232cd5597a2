#!/usr/bin/env bash
# The main job: the standard event logged through logcap from C, C++, Go and Node.js with the
# same configuration, and the four outputs compared. They must be identical but for timestamps.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
rm -f "$out"/*.log

config() { # the one configuration, writing to build/demo/$1.log
  printf '{"sinks":[{"type":"file","name":"file","path":"%s/%s/%s.log"}]}' "$PWD" "$out" "$1"
}

echo "== C (bindings/c/examples/quickstart.c)"
LOGCAP_CONFIG=$(config c) build/quickstart
echo "== C++ (bindings/cpp/examples/quickstart.cpp)"
LOGCAP_CONFIG=$(config cpp) build/quickstart_cpp
echo "== Go (bindings/go/examples/quickstart)"
(cd bindings/go && LOGCAP_CONFIG=$(cd ../.. && config go) go run ./examples/quickstart)
echo "== Node.js (bindings/node/examples/quickstart.js)"
LOGCAP_CONFIG=$(config node) node bindings/node/examples/quickstart.js

echo
for lang in c cpp go node; do
  printf '%-5s %s\n' "$lang:" "$(cat "$out/$lang.log")"
done
echo
if scripts/same-lines.sh "$out/c.log" "$out/cpp.log" "$out/go.log" "$out/node.log"; then
  echo "C, C++, Go and Node.js wrote identical lines but for timestamps ($(wc -l < "$out/c.log") line each)."
else
  echo "The outputs differ." >&2
  exit 1
fi
