import { signToken } from '../libs/auth/src/tokens';

/** Fixed secret shared by the spawned processes and the load generator (tokens are signed here). */
export const JWT_SECRET = 'chaos-secret-0123456789abcdef';

export interface Reply {
  status: number;
  body: any;
}

/**
 * The client side of the run: round-robin over the API processes (what a load balancer does),
 * a short timeout per request. Any answer is returned with its status; a refused connection, a
 * reset or a timeout throws, and the caller counts it as failed (never as accepted).
 */
export class ApiClient {
  private next = 0;
  private readonly tokens = new Map<string, string>();

  constructor(private readonly baseUrls: string[], private readonly timeoutMs: number) {}

  token(userId: string): string {
    let t = this.tokens.get(userId);
    if (!t) this.tokens.set(userId, (t = signToken(JWT_SECRET, userId)));
    return t;
  }

  async request(method: string, path: string, user?: string, body?: unknown, idempotencyKey?: string): Promise<Reply> {
    const base = this.baseUrls[this.next++ % this.baseUrls.length];
    const headers: Record<string, string> = {};
    if (user) headers.authorization = `Bearer ${this.token(user)}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // The whole body must arrive within the timeout too: a 201 whose body was cut off by a
    // crash is not an accepted command we could check (we would not know the id).
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }
}

/** How a request ended without an answer: timeout, ECONNREFUSED, ECONNRESET, ... */
export function failureOf(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string } };
  return e?.name === 'TimeoutError' ? 'timeout' : (e?.cause?.code ?? e?.name ?? 'error');
}
