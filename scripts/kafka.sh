#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) for development, tests and CI, built from Maven Central jars.
#   bash scripts/kafka.sh start|stop|restart|status|version
# Idempotent: start on a running broker is a no-op, a stale pid file is cleaned up, the jar set
# is resolved once into .cache/kafka/<version>/libs and reused.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.24.3}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/$KAFKA_VERSION/libs"
RUN="$CACHE/run-$KAFKA_PORT"
DATA="$RUN/data"
PIDFILE="$RUN/kafka.pid"
LOG="$RUN/server.log"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"

say() { echo "[kafka] $*"; }
die() { echo "[kafka] error: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
  say "removing stale pid file (pid $pid is gone)"
  rm -f "$PIDFILE"
  return 1
}

resolve_jars() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch Kafka $KAFKA_VERSION from Maven Central"
  command -v java >/dev/null || die "Java 17+ is required to run Kafka"
  say "resolving Apache Kafka $KAFKA_VERSION from Maven Central into ${LIBS#$ROOT/}"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  (cd "$ROOT/scripts/kafka" && mvn -B -q \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime \
    -Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION") \
    || die "could not resolve Kafka $KAFKA_VERSION (is Maven Central reachable?)"
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$RUN" "$DATA"
  cat > "$RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://localhost:$KAFKA_PORT,CONTROLLER://localhost:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://localhost:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=268435456
EOF
  cat > "$RUN/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
EOF
}

java_run() {
  java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" -cp "$LIBS/*" "$@"
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then return 0; fi
  local id; id="$(KAFKA_HEAP_OPTS="-Xmx256m" java_run kafka.tools.StorageTool random-uuid | tail -1)"
  KAFKA_HEAP_OPTS="-Xmx256m" java_run kafka.tools.StorageTool format -t "$id" \
    -c "$RUN/server.properties" --ignore-formatted >/dev/null
}

start() {
  if pid="$(running_pid)"; then say "already running (pid $pid) on localhost:$KAFKA_PORT, Kafka $KAFKA_VERSION"; return 0; fi
  if port_open "$KAFKA_PORT"; then say "a broker not started by this script already listens on localhost:$KAFKA_PORT; using it"; return 0; fi
  resolve_jars
  write_config
  format_storage
  : > "$LOG"
  say "starting Kafka $KAFKA_VERSION (KRaft, single node) on localhost:$KAFKA_PORT"
  nohup java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$RUN/log4j2.properties" -cp "$LIBS/*" \
    kafka.Kafka "$RUN/server.properties" > "$RUN/stdout.log" 2>&1 &
  echo $! > "$PIDFILE"
  local waited=0
  until grep -q "Kafka Server started" "$LOG" 2>/dev/null && port_open "$KAFKA_PORT"; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      tail -30 "$RUN/stdout.log" "$LOG" >&2 || true
      rm -f "$PIDFILE"; die "broker exited during startup (logs above)"
    fi
    (( waited >= START_TIMEOUT * 2 )) && { stop; die "broker not ready after ${START_TIMEOUT}s"; }
    sleep 0.5; waited=$((waited + 1))
  done
  say "ready in $((waited / 2))s: Kafka $KAFKA_VERSION, pid $(cat "$PIDFILE"), logs ${RUN#$ROOT/}"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then say "not running"; return 0; fi
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "did not stop in 30s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PIDFILE"
  say "stopped"
}

status() {
  if pid="$(running_pid)"; then
    if port_open "$KAFKA_PORT"; then say "running (pid $pid) on localhost:$KAFKA_PORT, Kafka $KAFKA_VERSION"; return 0; fi
    say "process $pid alive but localhost:$KAFKA_PORT not answering"; return 1
  fi
  if port_open "$KAFKA_PORT"; then say "a broker not managed by this script answers on localhost:$KAFKA_PORT"; return 0; fi
  say "not running"; return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  version) echo "$KAFKA_VERSION" ;;
  reset) stop; rm -rf "$RUN"; say "data removed" ;;
  *) echo "usage: $0 start|stop|restart|status|version|reset" >&2; exit 2 ;;
esac
