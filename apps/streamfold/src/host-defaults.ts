/**
 * What the reference host runs with unless the environment says otherwise. The framework's own
 * default adapter stays Express (Nest's, and the only one `@streamfold/nestjs` requires); this host
 * installs Fastify's packages and serves on it: the like route's HTTP layer takes 67 µs of CPU per
 * request there against 188 µs on Express, and at 1,000 likes/s on 2 cores that tenth of a core is
 * the difference between an idle and a queueing event loop (README, Performance, tenth round).
 * `HTTP_ADAPTER=express` runs the same host on Express; `npm test` runs the HTTP layer's e2e files
 * on both. The benchmark's host and the e2e harness start from these too.
 */
export const HOST_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({ HTTP_ADAPTER: 'fastify' });
