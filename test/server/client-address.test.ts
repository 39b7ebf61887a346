/** Who a request is from, for per-address limits: the peer, or the entry trusted proxies wrote into X-Forwarded-For. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientAddress, rateLimitKey } from '../../server/client-address.js';

const PROXY = '10.0.0.2';
const from = (forwardedFor?: string, peer: string | undefined = PROXY) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as IncomingMessage;

describe('clientAddress', () => {
  it('uses the peer and ignores X-Forwarded-For when no proxy is trusted', () => {
    assert.equal(clientAddress(from('198.51.100.7'), 0), PROXY);
  });

  it('takes the entry the nearest trusted proxy wrote, counted from the right', () => {
    assert.equal(clientAddress(from('203.0.113.9, 198.51.100.7'), 1), '198.51.100.7');
    assert.equal(clientAddress(from('203.0.113.9, 198.51.100.7, 192.0.2.1'), 2), '198.51.100.7');
  });

  it('strips the port some proxies append, for IPv4 and bracketed IPv6', () => {
    assert.equal(clientAddress(from('198.51.100.7:4711'), 1), '198.51.100.7');
    assert.equal(clientAddress(from('[2001:db8::1]:443'), 1), '2001:db8::1');
    assert.equal(clientAddress(from('[2001:db8::1]'), 1), '2001:db8::1');
    assert.equal(clientAddress(from('2001:db8::1'), 1), '2001:db8::1');
  });

  it('falls back to the peer when the chosen entry is not an IP address', () => {
    for (const garbage of ['unknown', 'evil.example', '198.51.100.7:x', '198.51.100.300', '[2001:db8::1', '"198.51.100.7"', 'a'.repeat(500), '_hidden']) {
      assert.equal(clientAddress(from(`203.0.113.9, ${garbage}`), 1), PROXY, garbage);
    }
  });

  it('does not let a made-up entry further left stand in for a bad one', () => {
    assert.equal(clientAddress(from('203.0.113.9, nonsense'), 1), PROXY);
  });

  it('uses the peer when the header is missing or empty', () => {
    assert.equal(clientAddress(from(undefined), 1), PROXY);
    assert.equal(clientAddress(from(' , '), 1), PROXY);
  });

  it('gives different garbage the same key, so made-up values cannot buy fresh rate-limit buckets', () => {
    const keys = new Set(['x1', 'x2', 'x3'].map((garbage) => rateLimitKey(clientAddress(from(garbage), 1))));
    assert.deepEqual([...keys], [PROXY]);
  });
});
