#!/usr/bin/env bash
# Provisions the Kafka broker and the OpenTelemetry Collector of tests/kafka_otlp.rs and
# `make bench-net`, and prints their locations as lines of servers.env (.ci/servers.sh appends
# them to build/servers.env):
#   LOGCAP_KAFKA_JARS   a directory of the Apache Kafka jars (broker, KRaft storage tool, CLI
#                       tools), copied from the Maven repository by .ci/kafka/pom.xml
#   LOGCAP_OTELCOL_BIN  otelcol-mini, an OpenTelemetry Collector with the OTLP receiver and the
#                       file exporter, built from its Go modules (.ci/otelcol-mini)
# Both are cached: the jars while .ci/kafka/pom.xml is unchanged, the collector while its
# go.mod, go.sum and main.go are; a cached run takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${LOGCAP_BUILD:-$PWD/build}
GOBIN_DIR=${LOGCAP_GOBIN:-$BUILD_DIR/bin}
JARS_DIR=$BUILD_DIR/kafka/jars
mkdir -p "$GOBIN_DIR" "$BUILD_DIR/kafka"

log() { echo "netservers.sh: $*" >&2; }
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Kafka: the jars of .ci/kafka/pom.xml.
kafka_stamp=$(stamp_of .ci/kafka/pom.xml)
if [[ -d $JARS_DIR && "$(cat "$BUILD_DIR/kafka/jars.stamp" 2>/dev/null)" == "$kafka_stamp" ]]; then
  log "Kafka jars: $JARS_DIR (cached)"
else
  command -v mvn >/dev/null || { log "mvn (Maven) is needed for the Kafka jars"; exit 1; }
  command -v java >/dev/null || { log "java is needed to run Kafka"; exit 1; }
  log "copying the Kafka jars into $JARS_DIR"
  start=$SECONDS
  rm -rf "$JARS_DIR"
  mvn -q -B -f .ci/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$JARS_DIR" -DincludeScope=runtime >&2
  echo "$kafka_stamp" > "$BUILD_DIR/kafka/jars.stamp"
  log "$(ls "$JARS_DIR" | wc -l) jars in $((SECONDS - start)) s"
fi

# The collector: otelcol-mini from .ci/otelcol-mini.
otelcol=$GOBIN_DIR/otelcol-mini
otel_stamp=$(stamp_of .ci/otelcol-mini/go.mod .ci/otelcol-mini/go.sum .ci/otelcol-mini/main.go)
if [[ -x $otelcol && "$(cat "$otelcol.version" 2>/dev/null)" == "$otel_stamp" ]]; then
  log "otelcol-mini: $otelcol (cached)"
else
  command -v go >/dev/null || { log "go is needed to build otelcol-mini"; exit 1; }
  log "building otelcol-mini into $GOBIN_DIR"
  start=$SECONDS
  (cd .ci/otelcol-mini && GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" -o "$otelcol" .)
  echo "$otel_stamp" > "$otelcol.version"
  log "built in $((SECONDS - start)) s"
fi

echo "LOGCAP_KAFKA_JARS=$JARS_DIR"
echo "LOGCAP_OTELCOL_BIN=$otelcol"
