#!/usr/bin/env bash
# Kafka Connect in distributed mode (one worker) with the Debezium PostgreSQL connector, built from
# Maven Central jars (scripts/connect/pom.xml), for MyBank's change data capture.
#   bash scripts/connect.sh start|stop|status|kill|reset
# Distributed, not standalone: connector configs, offsets and status live in Kafka topics, so a
# killed worker resumes where Connect last committed (the at-least-once users scale out on).
# Idempotent: start on a running worker is a no-op; the jars are resolved once into
# .cache/connect/<debezium version>/libs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBEZIUM_VERSION=3.6.1.Final
BROKERS="${KAFKA_BROKERS:-localhost:9092}"
REST_PORT="${CONNECT_REST_PORT:-18083}"
# Internal topics and group are named after the REST port so two workers on one broker never share.
CONNECT_ID="${CONNECT_ID:-streamfold-connect-$REST_PORT}"
HEAP="${CONNECT_HEAP_OPTS:--Xms128m -Xmx384m}"
CACHE="$ROOT/.cache/connect"
LIBS="$CACHE/$DEBEZIUM_VERSION/libs"
RUN="$CACHE/run-$REST_PORT"
PIDFILE="$RUN/connect.pid"
LOG="$RUN/connect.log"
START_TIMEOUT="${CONNECT_START_TIMEOUT:-180}"

say() { echo "[connect] $*"; }
die() { echo "[connect] error: $*" >&2; exit 1; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
  rm -f "$PIDFILE"; return 1
}

rest_up() { curl -sf -m 2 "http://127.0.0.1:$REST_PORT/" >/dev/null 2>&1; }

resolve_jars() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch Kafka Connect and Debezium from Maven Central"
  say "resolving Kafka Connect 4.1.1 + Debezium $DEBEZIUM_VERSION from Maven Central into ${LIBS#$ROOT/}"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  (cd "$ROOT/scripts/connect" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime) || die "could not resolve the Connect jars (is Maven Central reachable?)"
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$RUN"
  cat > "$RUN/worker.properties" <<CONF
bootstrap.servers=$BROKERS
group.id=$CONNECT_ID
listeners=http://127.0.0.1:$REST_PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$REST_PORT
# Plain JSON records: {before, after, source, op, ts_ms}; the processor needs no schema registry.
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
config.storage.topic=_$CONNECT_ID-configs
offset.storage.topic=_$CONNECT_ID-offsets
status.storage.topic=_$CONNECT_ID-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=1
status.storage.partitions=1
# Short flush interval: fewer records re-sent after a crash (the processor drops them anyway).
offset.flush.interval.ms=1000
topic.creation.enable=true
# Every jar on the classpath ships ServiceLoader manifests: skip the slow reflective plugin scan.
plugin.discovery=service_load
scheduled.rebalance.max.delay.ms=0
CONF
  cat > "$RUN/log4j2.properties" <<CONF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.herder.name = org.apache.kafka.connect.runtime.distributed.DistributedHerder
logger.herder.level = INFO
CONF
}

start() {
  if pid="$(running_pid)"; then say "already running (pid $pid) on http://127.0.0.1:$REST_PORT"; return 0; fi
  if rest_up; then say "a worker not started by this script answers on port $REST_PORT; using it"; return 0; fi
  command -v java >/dev/null || die "Java 17+ is required to run Kafka Connect"
  resolve_jars
  write_config
  say "starting Kafka Connect (distributed, group $CONNECT_ID) on http://127.0.0.1:$REST_PORT against $BROKERS"
  nohup java $HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" -cp "$LIBS/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$RUN/worker.properties" >> "$RUN/stdout.log" 2>&1 &
  echo $! > "$PIDFILE"
  local waited=0
  until rest_up; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then tail -30 "$RUN/stdout.log" "$LOG" >&2 || true; rm -f "$PIDFILE"; die "worker exited during startup"; fi
    (( waited >= START_TIMEOUT * 2 )) && { stop; die "worker not ready after ${START_TIMEOUT}s"; }
    sleep 0.5; waited=$((waited + 1))
  done
  say "ready in $((waited / 2))s: pid $(cat "$PIDFILE"), logs ${RUN#$ROOT/}"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then say "not running"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"; say "stopped"
}

# SIGKILL, for crash tests: no graceful offset flush.
crash() {
  local pid
  if ! pid="$(running_pid)"; then say "not running"; return 0; fi
  kill -KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PIDFILE"; say "killed pid $pid"
}

status() {
  if pid="$(running_pid)" && rest_up; then say "running (pid $pid) on http://127.0.0.1:$REST_PORT"; return 0; fi
  if rest_up; then say "a worker not managed by this script answers on port $REST_PORT"; return 0; fi
  say "not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) crash ;;
  status) status ;;
  url) echo "http://127.0.0.1:$REST_PORT" ;;
  reset) stop; rm -rf "$RUN"; say "run folder removed (internal topics stay on the broker)" ;;
  *) echo "usage: $0 start|stop|kill|status|url|reset" >&2; exit 2 ;;
esac
