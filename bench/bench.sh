#!/usr/bin/env bash
# npm run bench [-- --quick] [--only=append,fold,rebuild,ingest,e2e,sink,taxi,movieflix,bank,logs] [--profile]
# Installs the benchmark-only peers into bench/node_modules (never the framework's dependencies),
# then runs the suite from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
# Scenarios without a peer (taxi, movieflix) run without the peers' install (the chart is then skipped).
if [[ " $* " != *" --only=taxi "* && "$*" != *"--only=movieflix"* ]] && { [ ! -d bench/node_modules/@event-driven-io/emmett-postgresql ] || [ ! -d bench/node_modules/pureimage ]; }; then
  npm install --prefix bench --no-audit --no-fund
fi
# --expose-gc: the e2e scenario collects the load generator's own heap before a measured phase.
exec node --expose-gc -r ts-node/register/transpile-only -r tsconfig-paths/register bench/run.ts "$@"
