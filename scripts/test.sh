#!/usr/bin/env bash
# The whole test suite: unit, module (in-memory) and end-to-end tests on real Kafka and PostgreSQL.
# Starts Kafka through scripts/kafka.sh when no broker answers (and stops it afterwards);
# PostgreSQL is expected on TEST_DATABASE_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/test-deps.sh
npm run build --silent

started_kafka=0
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  if ! bash scripts/kafka.sh status >/dev/null 2>&1; then
    bash scripts/kafka.sh start
    started_kafka=1
  fi
  export KAFKA_BROKERS=localhost:${KAFKA_PORT:-9092}
fi
# MyBank's CDC tests (test/bank) need the bank's own PostgreSQL cluster (wal_level=logical) and
# Kafka Connect + Debezium; their harness starts both through these scripts when they are not
# running. Whatever this run started, it stops.
started_corebank=0
started_connect=0
bash scripts/corebank-pg.sh status >/dev/null 2>&1 || started_corebank=1
bash scripts/connect.sh status >/dev/null 2>&1 || started_connect=1
cleanup() {
  if [[ $started_connect == 1 ]]; then bash scripts/connect.sh stop || true; fi
  if [[ $started_corebank == 1 ]]; then bash scripts/corebank-pg.sh stop || true; fi
  if [[ $started_kafka == 1 ]]; then bash scripts/kafka.sh stop; fi
}
trap cleanup EXIT

export TEST_DATABASE_ADMIN_URL="${TEST_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
node -e '
  const { Client } = require("pg");
  const c = new Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL, connectionTimeoutMillis: 5000 });
  c.connect().then(() => c.end()).catch((e) => {
    console.error(`tests need PostgreSQL at ${process.env.TEST_DATABASE_ADMIN_URL}: ${e.message}`);
    process.exit(1);
  });'

echo "[test] Kafka $(bash scripts/kafka.sh version) at $KAFKA_BROKERS, PostgreSQL at ${TEST_DATABASE_ADMIN_URL%/*}"
if [[ $# -gt 0 ]]; then
  npx jest --maxWorkers=2 "$@"
else
  # Unit and module tests in parallel; end-to-end files one at a time: they share one broker and
  # one PostgreSQL cluster, and the gap-safe log reader waits for the cluster's oldest open
  # transaction, so parallel files would slow each other down on 2 cores.
  npx jest --selectProjects unit int --maxWorkers=2
  # Java and Maven resolution for Connect happen here, once, so the first bank test does not pay them inside its timeout.
  bash scripts/corebank-pg.sh start
  bash scripts/connect.sh start
  # --forceExit: a few end-to-end files leave a socket or timer behind after their last test (see
  # Known limits); every assertion has run by then, and a hung runner must not hold CI until its limit.
  npx jest --selectProjects e2e --runInBand --forceExit
  # The reference host serves on Fastify; the framework's default adapter is Express
  # (HTTP_ADAPTER=express): the files that exercise the HTTP layer (limits, errors, headers, auth,
  # GraphQL, SSE, ingestion, the dashboard) run again on it.
  HTTP_ADAPTER=express npx jest --selectProjects e2e --runInBand --forceExit test/social test/graphql test/dashboard test/ops/logs-aggregation.e2e.spec.ts test/taxi test/sink/speed-batch.e2e.spec.ts test/runtime/server.e2e.spec.ts
fi
