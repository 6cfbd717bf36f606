import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadHubConfig } from './hub-config';
import { clientAddressOf, parseTrustProxy } from './trust-proxy';

const request = (peer: string, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('TRUST_PROXY', () => {
  it('is off by default: the client is the connection’s peer, whatever X-Forwarded-For says', () => {
    expect(loadHubConfig({}).TRUST_PROXY).toBe('');
    expect(parseTrustProxy('')).toBeUndefined();
    expect(parseTrustProxy('0')).toBeUndefined();
    expect(clientAddressOf(request('10.0.0.2', '203.0.113.7'), parseTrustProxy(''))).toBe('10.0.0.2');
  });

  it('with a hop count, believes that many proxies from the hub back', () => {
    const one = parseTrustProxy('1');
    expect(clientAddressOf(request('10.0.0.2', '203.0.113.7'), one)).toBe('203.0.113.7');
    // A client that forges the header gets the address the proxy saw, not the forged one.
    expect(clientAddressOf(request('10.0.0.2', '198.51.100.1, 203.0.113.7'), one)).toBe('203.0.113.7');
    expect(clientAddressOf(request('10.0.0.2', ['198.51.100.1', '203.0.113.7']), parseTrustProxy('2'))).toBe(
      '198.51.100.1',
    );
    expect(clientAddressOf(request('10.0.0.2'), one)).toBe('10.0.0.2');
  });

  it('with addresses and ranges, believes only proxies inside them', () => {
    const trust = parseTrustProxy('10.42.0.0/16, 192.0.2.10, loopback');
    expect(clientAddressOf(request('10.42.7.1', '203.0.113.7'), trust)).toBe('203.0.113.7');
    expect(clientAddressOf(request('192.0.2.10', '203.0.113.7'), trust)).toBe('203.0.113.7');
    expect(clientAddressOf(request('::ffff:127.0.0.1', '203.0.113.7'), trust)).toBe('203.0.113.7');
    // Not a trusted proxy: its header is ignored.
    expect(clientAddressOf(request('10.43.0.1', '203.0.113.7'), trust)).toBe('10.43.0.1');
    // Through two trusted proxies; the first untrusted address from the hub back is the client.
    expect(clientAddressOf(request('10.42.7.1', '198.51.100.1, 203.0.113.7, 192.0.2.10'), trust)).toBe('203.0.113.7');
    const v6 = parseTrustProxy('fd00::/8');
    expect(clientAddressOf(request('fd00::5', '2001:db8::1'), v6)).toBe('2001:db8::1');
    expect(clientAddressOf(request('fe00::5', '2001:db8::1'), v6)).toBe('fe00::5');
  });

  it('is checked at start, naming what is wrong', () => {
    for (const [value, message] of [
      ['eleven', /neither an IP address/],
      ['10.0.0.0/33', /prefix length must be 0 to 32/],
      ['fd00::/129', /prefix length must be 0 to 128/],
      ['10.0.0.1,,10.0.0.2', /empty entry/],
      ['10.0.0.0/8/1', /neither an IP address/],
      ['11', /hop count is 1 to 10/],
      ['1, 10.0.0.1', /neither an IP address/],
    ] as const) {
      expect(() => loadHubConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadHubConfig({ TRUST_PROXY: value })).toThrow(message);
    }
    expect(loadHubConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe('1');
    expect(loadHubConfig({ TRUST_PROXY: 'uniquelocal, 203.0.113.0/24' }).TRUST_PROXY).toBe(
      'uniquelocal, 203.0.113.0/24',
    );
  });
});
