#!/usr/bin/env bash
# Apache Kafka (KRaft) for development, tests and CI, built from Maven Central jars.
#   bash scripts/kafka.sh start|stop|restart|status|version|reset
#   bash scripts/kafka.sh kill-node|start-node <n>        (one node of a cluster; chaos uses them)
# One node by default. KAFKA_NODES=3 starts a three-node cluster on this machine: node n listens on
# KAFKA_PORT+n-1 (controller KAFKA_CONTROLLER_PORT+n-1), every node is broker and controller, and
# all of them vote, so any two keep the quorum and the partitions' leaders while the third is down.
# Idempotent: start on a running node is a no-op, a stale pid file is cleaned up, the jar set
# is resolved once into .cache/kafka/<version>/libs and reused.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.24.3}"
KAFKA_NODES="${KAFKA_NODES:-1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
# Single node: 9093 as before. A cluster's controllers sit right after its brokers' ports.
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$(( KAFKA_NODES == 1 ? 9093 : KAFKA_PORT + KAFKA_NODES ))}"
# Three JVMs share two cores and the other engineers' processes: small heaps for a cluster.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:-$([[ $KAFKA_NODES == 1 ]] && echo "-Xms256m -Xmx1g" || echo "-Xms128m -Xmx384m")}"
# Kafka's own launcher defaults (kafka-run-class.sh), which a bare `java` start does not get: with
# G1's default 200 ms pause goal the broker paused 50-110 ms every ~10 s at 200 likes/s, stalling
# every produce and fetch at once (the e2e bench's p99); at 20 ms its young pauses stay short.
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/$KAFKA_VERSION/libs"
# A single node keeps the folder it always had; a cluster gets its own, one sub-folder per node.
CLUSTER="$CACHE/run-$KAFKA_PORT$([[ $KAFKA_NODES == 1 ]] || echo "-x$KAFKA_NODES")"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
# Internal topics (offsets, transactions) replicated like the application's topics.
RF=$(( KAFKA_NODES >= 3 ? 3 : KAFKA_NODES )); MIN_ISR=$(( RF >= 3 ? 2 : 1 ))

[[ "$KAFKA_NODES" =~ ^[1-9]$ ]] || { echo "[kafka] error: KAFKA_NODES must be 1-9, got $KAFKA_NODES" >&2; exit 2; }
say() { echo "[kafka] $*"; }
die() { echo "[kafka] error: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
run_dir() { if [[ $KAFKA_NODES == 1 ]]; then echo "$CLUSTER"; else echo "$CLUSTER/node-$1"; fi; }
port_of() { echo $(( KAFKA_PORT + $1 - 1 )); }
cport_of() { echo $(( KAFKA_CONTROLLER_PORT + $1 - 1 )); }
nodes() { seq 1 "$KAFKA_NODES"; }

running_pid() { # node
  local pidfile; pidfile="$(run_dir "$1")/kafka.pid"
  [[ -f "$pidfile" ]] || return 1
  local pid; pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
  say "node $1: removing stale pid file (pid $pid is gone)"
  rm -f "$pidfile"
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

write_config() { # node
  local run; run="$(run_dir "$1")"
  local voters; voters="$(for n in $(nodes); do printf '%s@localhost:%s,' "$n" "$(cport_of "$n")"; done)"
  mkdir -p "$run/data"
  cat > "$run/server.properties" <<EOF
process.roles=broker,controller
node.id=$1
controller.quorum.voters=${voters%,}
listeners=PLAINTEXT://localhost:$(port_of "$1"),CONTROLLER://localhost:$(cport_of "$1")
advertised.listeners=PLAINTEXT://localhost:$(port_of "$1")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$run/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=$RF
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=$RF
transaction.state.log.min.isr=$MIN_ISR
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$RF
share.coordinator.state.topic.min.isr=$MIN_ISR
min.insync.replicas=$MIN_ISR
default.replication.factor=$RF
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=268435456
EOF
  cat > "$run/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $run/server.log
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

java_run() { # node, java args...
  local run; run="$(run_dir "$1")"; shift
  java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS \
    -Dlog4j2.configurationFile="$run/log4j2.properties" -cp "$LIBS/*" "$@"
}

# Every node of a cluster is formatted with the same cluster id, kept beside the nodes. It is what
# StorageTool random-uuid prints (16 random bytes, base64url, unpadded), made without a JVM start;
# like Kafka's Uuid.randomUuid, never one starting with "-", which the tool would read as an option.
ensure_cluster_id() {
  [[ -s "$CLUSTER/cluster.id" ]] && return 0
  mkdir -p "$CLUSTER"
  local id="-"
  while [[ $id == -* ]]; do id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
  echo "$id" > "$CLUSTER/cluster.id"
}

format_storage() { # node
  local run; run="$(run_dir "$1")"
  if [[ -f "$run/data/meta.properties" ]]; then return 0; fi
  ensure_cluster_id
  KAFKA_HEAP_OPTS="-Xmx256m" java_run "$1" kafka.tools.StorageTool format -t "$(cat "$CLUSTER/cluster.id")" \
    -c "$run/server.properties" --ignore-formatted >/dev/null
}

launch() { # node: starts it in the background, does not wait
  local run pid; run="$(run_dir "$1")"
  if pid="$(running_pid "$1")"; then say "node $1 already running (pid $pid) on localhost:$(port_of "$1")"; return 0; fi
  if port_open "$(port_of "$1")"; then say "a broker not started by this script already listens on localhost:$(port_of "$1"); using it"; return 0; fi
  write_config "$1"
  format_storage "$1"
  : > "$run/server.log"
  # Pauses logged beside server.log (gc.log): the bench's tail latency is read against them.
  nohup java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS -Xlog:gc:file="$run/gc.log":uptime,time:filecount=2,filesize=10M \
    -Dlog4j2.configurationFile="$run/log4j2.properties" -cp "$LIBS/*" \
    kafka.Kafka "$run/server.properties" > "$run/stdout.log" 2>&1 &
  echo $! > "$run/kafka.pid"
}

wait_ready() { # node
  local run waited=0; run="$(run_dir "$1")"
  [[ -f "$run/kafka.pid" ]] || return 0 # a broker we did not start
  until grep -q "Kafka Server started" "$run/server.log" 2>/dev/null && port_open "$(port_of "$1")"; do
    if ! kill -0 "$(cat "$run/kafka.pid")" 2>/dev/null; then
      tail -30 "$run/stdout.log" "$run/server.log" >&2 || true
      rm -f "$run/kafka.pid"; die "node $1 exited during startup (logs above)"
    fi
    (( waited >= START_TIMEOUT * 2 )) && { stop; die "node $1 not ready after ${START_TIMEOUT}s"; }
    sleep 0.5; waited=$((waited + 1))
  done
  say "node $1 ready in $((waited / 2))s: Kafka $KAFKA_VERSION on localhost:$(port_of "$1"), pid $(cat "$run/kafka.pid"), logs ${run#$ROOT/}"
}

# All nodes first, then the waits: a cluster node finishes starting only once a quorum is up.
start() {
  resolve_jars
  say "starting Kafka $KAFKA_VERSION (KRaft, $KAFKA_NODES node(s)) on localhost:$(port_of 1)$([[ $KAFKA_NODES == 1 ]] || echo "-$(port_of "$KAFKA_NODES")")"
  # Formatting is a JVM start per node: side by side, on a busy machine that is most of a cold start.
  ensure_cluster_id
  local pids=()
  for n in $(nodes); do (write_config "$n"; format_storage "$n") & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || die "formatting a node's storage failed"; done
  for n in $(nodes); do launch "$n"; done
  for n in $(nodes); do wait_ready "$n"; done
}

signal_node() { # node, signal: sends it, prints the pid (nothing if the node is not running)
  local pid
  if ! pid="$(running_pid "$1")"; then say "node $1 not running"; return 0; fi
  say "stopping node $1 (pid $pid, SIG$2)"
  kill "-$2" "$pid" 2>/dev/null || true
  echo "$pid" > "$(run_dir "$1")/stopping.pid"
}

await_stopped() { # node
  local file pid; file="$(run_dir "$1")/stopping.pid"
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "node $1 did not stop in 30s; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$file" "$(run_dir "$1")/kafka.pid"
}

# All nodes at once: a cluster node stopped last would wait for a quorum that is already gone.
stop() {
  for n in $(nodes); do signal_node "$n" TERM; done
  for n in $(nodes); do await_stopped "$n"; done
  say "stopped"
}

status() {
  local code=0 pid
  for n in $(nodes); do
    if pid="$(running_pid "$n")"; then
      if port_open "$(port_of "$n")"; then say "node $n running (pid $pid) on localhost:$(port_of "$n"), Kafka $KAFKA_VERSION"
      else say "node $n: process $pid alive but localhost:$(port_of "$n") not answering"; code=1; fi
    elif port_open "$(port_of "$n")"; then say "a broker not managed by this script answers on localhost:$(port_of "$n")"
    else say "node $n not running"; code=3; fi
  done
  return $code
}

node_arg() { [[ "${1:-}" =~ ^[1-9]$ && $1 -le $KAFKA_NODES ]] || die "node must be 1..$KAFKA_NODES, got '${1:-}'"; echo "$1"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  version) echo "$KAFKA_VERSION" ;;
  reset) stop; rm -rf "$CLUSTER"; say "data removed" ;;
  kill-node) n="$(node_arg "${2:-}")"; signal_node "$n" KILL; await_stopped "$n" ;;
  start-node) n="$(node_arg "${2:-}")"; resolve_jars; launch "$n"; wait_ready "$n" ;;
  *) echo "usage: $0 start|stop|restart|status|version|reset|kill-node <n>|start-node <n>" >&2; exit 2 ;;
esac
