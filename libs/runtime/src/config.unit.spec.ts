import { ConfigError, DEV_JWT_SECRET, loadConfig } from './config';

describe('loadConfig', () => {
  it('runs on the embedded default with nothing set', () => {
    const config = loadConfig({});
    expect(config.kafkaBrokers).toBeNull();
    expect(config.databaseUrl).toBeNull();
    expect(config.port).toBe(3000);
    expect(config.topicPrefix).toBe('');
    expect(config.jwtSecret).toBe(DEV_JWT_SECRET);
    expect(config.processRoles).toEqual(['api', 'relay', 'projections', 'sink']);
    expect(config).toMatchObject({ serviceName: 'streamfold', logShipping: true, metricsShipIntervalSeconds: 10, httpAdapter: 'express' });
  });

  it('runs HTTP on Fastify when HTTP_ADAPTER says so', () => {
    expect(loadConfig({ HTTP_ADAPTER: 'fastify' }).httpAdapter).toBe('fastify');
  });

  it('reads log and metric shipping settings', () => {
    expect(loadConfig({ SERVICE_NAME: 'billing-api', LOG_SHIPPING: 'off', METRICS_SHIP_INTERVAL_SECONDS: '0' })).toMatchObject({
      serviceName: 'billing-api',
      logShipping: false,
      metricsShipIntervalSeconds: 0,
    });
  });

  it('splits background work by PROCESS_ROLES', () => {
    expect(loadConfig({ PROCESS_ROLES: 'api' })).toMatchObject({ processRoles: ['api'], api: true, workers: false, relay: false, sink: false });
    expect(loadConfig({ PROCESS_ROLES: 'sink' })).toMatchObject({ api: false, workers: false, relay: false, sink: true });
    expect(loadConfig({ PROCESS_ROLES: 'relay, projections' })).toMatchObject({ api: false, workers: true, relay: true });
  });

  it('parses real infrastructure settings', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'localhost:9092, kafka-2:9093',
      DATABASE_URL: 'postgres://root@127.0.0.1:5432/test',
      PORT: '8080',
      KAFKA_TOPIC_PREFIX: 'ci-42.',
    });
    expect(config.kafkaBrokers).toEqual(['localhost:9092', 'kafka-2:9093']);
    expect(config.databaseUrl).toBe('postgres://root@127.0.0.1:5432/test');
    expect(config.port).toBe(8080);
    expect(config.topicPrefix).toBe('ci-42.');
    expect(config.kafkaReplicationFactor).toBeNull();
    expect(config.kafkaMinInsyncReplicas).toBeNull();
  });

  it('sizes the three pools (commands and queries, relay, projections) separately', () => {
    expect(loadConfig({})).toMatchObject({ dbPoolSize: 10, dbRelayPoolSize: 2, dbProjectionsPoolSize: 8 });
    expect(loadConfig({ DB_POOL_SIZE: '20', DB_RELAY_POOL_SIZE: '3', DB_PROJECTIONS_POOL_SIZE: '12' })).toMatchObject({ dbPoolSize: 20, dbRelayPoolSize: 3, dbProjectionsPoolSize: 12 });
    expect(() => loadConfig({ DB_PROJECTIONS_POOL_SIZE: '0' })).toThrow(/DB_PROJECTIONS_POOL_SIZE must be between 1 and 500/);
  });

  it("reads the relay's linger, 10 ms unless set, 0 turning it off", () => {
    expect(loadConfig({}).relayLingerMs).toBe(10);
    expect(loadConfig({ RELAY_LINGER_MS: '0' }).relayLingerMs).toBe(0);
    expect(loadConfig({ RELAY_LINGER_MS: '' }).relayLingerMs).toBe(10);
    expect(() => loadConfig({ RELAY_LINGER_MS: '-5' })).toThrow(/RELAY_LINGER_MS must be an integer/);
  });

  it("reads whether read models' commits wait for the WAL flush, not unless set", () => {
    expect(loadConfig({}).projectionsSynchronousCommit).toBe(false);
    expect(loadConfig({ PROJECTIONS_SYNCHRONOUS_COMMIT: 'true' }).projectionsSynchronousCommit).toBe(true);
    expect(() => loadConfig({ PROJECTIONS_SYNCHRONOUS_COMMIT: 'sometimes' })).toThrow(/PROJECTIONS_SYNCHRONOUS_COMMIT must be true or false/);
  });

  it('reads topic replication when set, leaving it to the cluster size otherwise', () => {
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toMatchObject({ kafkaReplicationFactor: 3, kafkaMinInsyncReplicas: 2 });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be between/],
    [{ KAFKA_BROKERS: 'localhost' }, /KAFKA_BROKERS must be a comma-separated list/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must start with postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ KAFKA_TOPIC_PREFIX: 'a b' }, /KAFKA_TOPIC_PREFIX may hold only/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 16/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ HTTP_ADAPTER: 'koa' }, /HTTP_ADAPTER must be one of express, fastify/],
    [{ PROCESS_ROLES: 'api,cook' }, /PROCESS_ROLES must be a comma-separated list of api, relay, projections, sink/],
    [{ SERVICE_NAME: 'my service' }, /SERVICE_NAME may hold/],
    [{ LOG_SHIPPING: 'maybe' }, /LOG_SHIPPING must be true or false/],
    [{ METRICS_SHIP_INTERVAL_SECONDS: '-1' }, /METRICS_SHIP_INTERVAL_SECONDS must be an integer/],
    [{ ROLES: 'api' }, /ROLES was renamed PROCESS_ROLES/],
    [{ KAFKA_REPLICATION_FACTOR: 'three' }, /KAFKA_REPLICATION_FACTOR must be an integer/],
    [{ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' }, /KAFKA_MIN_INSYNC_REPLICAS \(2\) cannot exceed/],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/d' }, /JWT_SECRET must be set in production/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
