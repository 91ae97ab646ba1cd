#!/usr/bin/env node
// Writes the OpenAPI document exactly as the host serves it at /docs-json, with every context of
// AppModule loaded, to the file given (not stdout: start-up logs go there). Runs the build (dist/, `npm run build`
// first) on the embedded default as an API-only process: PGlite cannot start inside jest's VM, and
// no relay or projection worker is needed to describe the routes.
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

async function main(out) {
  const { startServer } = require('@streamfold/nestjs');
  const { loadConfig } = require('@streamfold/runtime');
  const { AppModule } = require('../dist/apps/streamfold/src/app.module');
  const dataDir = mkdtempSync(join(tmpdir(), 'sf-openapi-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', PROCESS_ROLES: 'api', LOG_LEVEL: 'warn' });
  const server = await startServer(AppModule, { config, logger: false });
  try {
    const res = await fetch(`${server.url}/docs-json`);
    if (!res.ok) throw new Error(`/docs-json answered ${res.status}`);
    const text = JSON.stringify(await res.json(), null, 2) + '\n';
    writeFileSync(out, text);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (!process.argv[2]) {
  console.error('usage: node scripts/openapi-document.js <out.json>');
  process.exit(2);
}
main(process.argv[2]).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
