import { describe, expect, it } from 'vitest';
import { ConfigError, HUB_ENVIRONMENT_KEYS, loadHubConfig } from './hub-config';

describe('loadHubConfig', () => {
  it('gives embedded defaults when nothing is set', () => {
    const config = loadHubConfig({});
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.EMBEDDED_MQTT_PORT).toBe(11883);
    expect(config.TOPIC_ROOT).toBe('city/v1');
    expect(config.embedded).toEqual({ broker: true, database: true });
    expect(config.hubId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(config.dataDir.startsWith('/')).toBe(true);
  });

  it('converts numbers and booleans from their text', () => {
    const config = loadHubConfig({ HTTP_PORT: '9000', LOG_PRETTY: 'true', INGEST_BATCH_SIZE: '250' });
    expect(config.HTTP_PORT).toBe(9000);
    expect(config.LOG_PRETTY).toBe(true);
    expect(config.INGEST_BATCH_SIZE).toBe(250);
  });

  it('uses external services when their URLs are set', () => {
    const config = loadHubConfig({ DATABASE_URL: 'postgres://db/x', MQTT_URL: 'mqtt://broker:1883' });
    expect(config.embedded).toEqual({ broker: false, database: false });
  });

  it('stops with a message naming every bad key', () => {
    let caught: unknown;
    try {
      loadHubConfig({ HTTP_PORT: 'eighty', MQTT_URL: 'http://wrong', TOPIC_ROOT: 'no-version', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    for (const key of [
      'HTTP_PORT="eighty"',
      'MQTT_URL="http://wrong"',
      'TOPIC_ROOT="no-version"',
      'LOG_LEVEL="loud"',
    ]) {
      expect(message).toContain(key);
    }
  });

  it('refuses out-of-range numbers', () => {
    expect(() => loadHubConfig({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(() => loadHubConfig({ INGEST_QUEUE_LIMIT: '1' })).toThrow(/INGEST_QUEUE_LIMIT/);
  });

  it('refuses a replica timeout shorter than two heartbeats, which would take live replicas for dead', () => {
    expect(() => loadHubConfig({ REPLICA_HEARTBEAT_S: '5', REPLICA_TIMEOUT_S: '9' })).toThrow(
      /REPLICA_TIMEOUT_S=9: must be at least twice REPLICA_HEARTBEAT_S/,
    );
    expect(loadHubConfig({ REPLICA_HEARTBEAT_S: '1', REPLICA_TIMEOUT_S: '4' }).REPLICA_TIMEOUT_S).toBe(4);
  });

  it('lists its keys for the configuration reference', () => {
    expect(HUB_ENVIRONMENT_KEYS).toContain('DATABASE_URL');
    expect(HUB_ENVIRONMENT_KEYS).toContain('REDIS_URL');
  });
});
