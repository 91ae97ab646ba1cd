import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@streamfold/auth';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
 * is the host's, since it knows the contexts it shows. Files are sent with `root`, so a path
 * cannot climb out of its folder. Not part of the API: left out of the OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class DashboardPageController {
  private readonly root = dashboardDir();

  @Get()
  @Public()
  @Header('Cache-Control', 'no-cache')
  page(@Res() res: Response): void {
    send(res, this.root, 'index.html');
  }

  @Get('dashboard/assets/*path')
  @Public()
  @Header('Cache-Control', 'no-cache')
  asset(@Param('path') path: string | string[], @Res() res: Response): void {
    send(res, this.root, path);
  }

  @Get('dashboard/vendor/graphql-ws/*path')
  @Public()
  vendor(@Param('path') path: string | string[], @Res() res: Response): void {
    send(res, GRAPHQL_WS_DIR, path);
  }
}

function send(res: Response, root: string, path: string | string[]): void {
  const file = Array.isArray(path) ? path.join('/') : path;
  res.sendFile(file, { root, dotfiles: 'deny' }, (error) => {
    if (error && !res.headersSent) res.status(404).json({ statusCode: 404, error: 'not_found', message: `no dashboard file ${file}` });
  });
}
