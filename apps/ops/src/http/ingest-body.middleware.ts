import { HttpException } from '@nestjs/common';
import { text } from 'express';

/** Largest body of POST /ingest/logs; above it the parser answers 413 before the body is read into memory. */
export const INGEST_BODY_LIMIT = '1mb';

/**
 * JSON lines are not JSON: they get their own text parser and a larger limit than the API's
 * 64 kB. Errors of body-parser carry their status (413 too large, 415 bad charset) but are not
 * HttpExceptions, so Nest would answer 500: they are re-thrown as what they mean.
 */
export function ingestBodyParser() {
  const parse = text({ type: ['application/x-ndjson', 'text/plain'], limit: INGEST_BODY_LIMIT });
  return (req: never, res: never, next: (error?: unknown) => void) =>
    parse(req, res, (error?: unknown) => {
      const status = (error as { status?: number } | undefined)?.status;
      if (error && status && status >= 400 && status < 500) return next(new HttpException((error as Error).message, status));
      next(error);
    });
}
