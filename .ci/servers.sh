#!/usr/bin/env bash
# Makes the real servers of tests/network_sinks.rs and benches/net.rs available, and writes
# their paths to build/servers.env (sourced by `make test-network`):
#   LOGCAP_VLOGS_BIN  VictoriaLogs (receives the Loki push API), built from its Go module
#   LOGCAP_RSYSLOGD   rsyslogd, from Debian's rsyslog package
#   LOGCAP_KAFKA_JARS, LOGCAP_OTELCOL_BIN  the Kafka broker's jars and an OpenTelemetry
#                     Collector, provisioned by .ci/netservers.sh
# The tests start and stop the servers themselves, on 127.0.0.1, with temporary directories.
# What is already there is reused: the VictoriaLogs build is skipped when the binary of this
# version exists (in $LOGCAP_GOBIN, default build/bin), rsyslog is installed only if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VLOGS_MODULE=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs
VLOGS_VERSION=v1.52.1
GOBIN_DIR=${LOGCAP_GOBIN:-$PWD/build/bin}
mkdir -p "$GOBIN_DIR" build

log() { echo "servers.sh: $*" >&2; }

vlogs="$GOBIN_DIR/victoria-logs"
stamp="$GOBIN_DIR/victoria-logs.version"
if [[ -x $vlogs && "$(cat "$stamp" 2>/dev/null)" == "$VLOGS_VERSION" ]]; then
  log "VictoriaLogs $VLOGS_VERSION: $vlogs (cached)"
else
  command -v go >/dev/null || { log "go is needed to build VictoriaLogs"; exit 1; }
  log "building VictoriaLogs $VLOGS_VERSION into $GOBIN_DIR"
  start=$SECONDS
  GOBIN="$GOBIN_DIR" GOFLAGS=-buildvcs=false go install "$VLOGS_MODULE@$VLOGS_VERSION"
  echo "$VLOGS_VERSION" > "$stamp"
  log "built in $((SECONDS - start)) s"
fi

need_apt=()
rsyslogd=$(command -v rsyslogd || true)
[[ -z $rsyslogd && -x /usr/sbin/rsyslogd ]] && rsyslogd=/usr/sbin/rsyslogd
[[ -z $rsyslogd ]] && need_apt+=(rsyslog)
command -v openssl >/dev/null || need_apt+=(openssl)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]} with apt-get"
  SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
  rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
fi
[[ -x $rsyslogd ]] || { log "rsyslogd not found"; exit 1; }
log "rsyslogd: $rsyslogd ($("$rsyslogd" -v | head -1))"

cat > build/servers.env <<ENV
LOGCAP_VLOGS_BIN=$vlogs
LOGCAP_RSYSLOGD=$rsyslogd
ENV
bash .ci/netservers.sh >> build/servers.env
