#!/usr/bin/env bash
# npm run bench [-- --quick] [--only=append,fold,rebuild,ingest,e2e,sink] [--profile]
# Installs the benchmark-only peers into bench/node_modules (never the framework's dependencies),
# then runs the suite from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d bench/node_modules/@event-driven-io/emmett-postgresql ] || [ ! -d bench/node_modules/pureimage ]; then
  npm install --prefix bench --no-audit --no-fund
fi
exec node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/run.ts "$@"
