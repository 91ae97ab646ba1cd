import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@streamfold/auth';
import { HttpReply, sendJson, setReplyHeader } from '@streamfold/nestjs';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';

/**
 * apps/streamfold/dashboard, found from the sources (ts-jest) or the build output
 * (dist/apps/streamfold/src/...): tsc copies no static files, so the build serves them in place.
 */
export function dashboardDir(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'apps', 'streamfold', 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`apps/streamfold/dashboard not found above ${from}`);
  }
}

/** graphql-ws' own browser build (ES modules), served from its package: the page loads nothing from a CDN. */
const GRAPHQL_WS_DIR = dirname(require.resolve('graphql-ws'));

/**
 * The reference host's live dashboard at `/`: plain ES modules, no build step. The page reads the
 * framework's `/dashboard/config` and `/dashboard/pipeline` and each context's GraphQL fields; it
 * is the host's, since it knows the contexts it shows. A path cannot climb out of its folder nor
 * name a dotfile; the same code serves on Express and Fastify (HTTP_ADAPTER). Not part of the API: left out of the OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class DashboardPageController {
  private readonly root = dashboardDir();

  @Get()
  @Public()
  @Header('Cache-Control', 'no-cache')
  page(@Res() res: HttpReply): Promise<void> {
    return send(res, this.root, 'index.html');
  }

  @Get('dashboard/assets/:file')
  @Public()
  @Header('Cache-Control', 'no-cache')
  asset(@Param('file') file: string, @Res() res: HttpReply): Promise<void> {
    return send(res, this.root, file);
  }

  @Get('dashboard/vendor/graphql-ws/:file')
  @Public()
  vendor(@Param('file') file: string, @Res() res: HttpReply): Promise<void> {
    return send(res, GRAPHQL_WS_DIR, file);
  }
}

/** The folders are flat: one path segment names a file (an encoded `/` in it cannot climb out: see send). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

async function send(res: HttpReply, root: string, file: string): Promise<void> {
  const full = resolve(root, file);
  const inside = full.startsWith(root + sep) && !file.split('/').some((segment) => segment.startsWith('.'));
  const body = inside ? await readFile(full).catch(() => null) : null;
  if (!body) return sendJson(res, 404, { statusCode: 404, error: 'not_found', message: `no dashboard file ${file}` });
  setReplyHeader(res, 'Content-Type', TYPES[extname(full)] ?? 'application/octet-stream');
  res.status(200).send(body);
}
