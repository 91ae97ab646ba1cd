/**
 * Express's response or Fastify's reply, whichever adapter the host runs on (HTTP_ADAPTER): the
 * calls the framework's filters and handlers make, written once for both. Express's response is
 * Node's, with `setHeader` and `json`; Fastify's reply has `header` and serialises objects in `send`.
 */
export interface HttpReply {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
  status(code: number): HttpReply;
  json?(body: unknown): unknown;
  send(body?: unknown): unknown;
  readonly headersSent?: boolean;
  readonly sent?: boolean;
}

/** Sets a response header on either adapter. */
export function setReplyHeader(res: HttpReply, name: string, value: string): void {
  if (typeof res.setHeader === 'function') res.setHeader(name, value);
  else res.header?.(name, value);
}

/** Answers `status` with a JSON body on either adapter. */
export function sendJson(res: HttpReply, status: number, body: unknown): void {
  const reply = res.status(status);
  if (typeof reply.json === 'function') reply.json(body);
  else reply.send(body);
}

/** Whether the response has already gone out (the status line and headers at least). */
export function replySent(res: HttpReply): boolean {
  return res.headersSent === true || res.sent === true;
}
