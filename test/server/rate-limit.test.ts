/** Per-client rate limits: the keyed token buckets, how a client is identified, and `GET /ice-servers` over its limit. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientAddress, rateLimitKey } from '../../server/client-address.js';
import { KeyedRateLimiter } from '../../server/rate-limit.js';
import { testServer } from './helpers.js';

describe('KeyedRateLimiter', () => {
  it('allows the burst, then refuses with the seconds until the next token', () => {
    let clock = 0;
    const limiter = new KeyedRateLimiter(0.5, 2, 100, () => clock);
    assert.deepEqual([limiter.take('a'), limiter.take('a')], [{ ok: true }, { ok: true }]);
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfterSeconds: 2 });
    assert.deepEqual(limiter.take('b'), { ok: true }, 'another client has its own bucket');
    clock = 1500;
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfterSeconds: 1 });
    clock = 2000;
    assert.deepEqual(limiter.take('a'), { ok: true });
  });

  it('never tracks more clients than its cap, however many addresses appear', () => {
    const clock = 0;
    const limiter = new KeyedRateLimiter(1, 5, 100, () => clock);
    for (let i = 0; i < 5000; i++) limiter.take(`client-${i}`);
    assert.ok(limiter.size <= 100, `size ${limiter.size}`);
    // The most recent clients are the ones kept: the last one is still limited where it left off.
    for (let i = 0; i < 4; i++) limiter.take('client-4999');
    assert.equal(limiter.take('client-4999').ok, false);
  });

  it('forgets clients whose bucket has refilled', () => {
    let clock = 0;
    const limiter = new KeyedRateLimiter(2, 10, 10_000, () => clock);
    for (let i = 0; i < 50; i++) limiter.take(`client-${i}`);
    assert.equal(limiter.size, 50);
    clock = 5000;
    limiter.take('newcomer');
    assert.equal(limiter.size, 1);
  });
});

describe('client address', () => {
  const request = (remoteAddress: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

  it('is the peer address unless proxies are trusted', () => {
    assert.equal(clientAddress(request('203.0.113.7', '198.51.100.1'), 0), '203.0.113.7');
  });

  it('behind trusted proxies, is what the nearest of them saw, not what the client claims', () => {
    assert.equal(clientAddress(request('127.0.0.1', '10.9.9.9, 198.51.100.1'), 1), '198.51.100.1');
    assert.equal(clientAddress(request('127.0.0.1', '10.9.9.9, 198.51.100.1, 192.0.2.5'), 2), '198.51.100.1');
    assert.equal(clientAddress(request('127.0.0.1', '198.51.100.1'), 2), '198.51.100.1');
    assert.equal(clientAddress(request('127.0.0.1'), 1), '127.0.0.1');
  });

  it('limits an IPv6 client by its /64, and an IPv4-mapped one by its IPv4 address', () => {
    assert.equal(rateLimitKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(rateLimitKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(rateLimitKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(rateLimitKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(rateLimitKey('::ffff:198.51.100.1'), '198.51.100.1');
    assert.equal(rateLimitKey('198.51.100.1'), '198.51.100.1');
  });
});

describe('GET /ice-servers rate limit', () => {
  it('answers 429 with Retry-After once a client has used its burst, and serves other clients', async (t) => {
    const server = await testServer({ ICE_RATE: '1', ICE_BURST: '3', TRUST_PROXY: '1', ALLOWED_ORIGINS: 'https://shop.example' });
    t.after(() => server.close());
    const get = (client: string) =>
      fetch(`${server.url}/ice-servers`, { headers: { 'X-Forwarded-For': client, Origin: 'https://shop.example' } });

    for (let i = 0; i < 3; i++) assert.equal((await get('198.51.100.1')).status, 200);
    const refused = await get('198.51.100.1');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    assert.match(((await refused.json()) as any).error, /too many requests; try again in 1 s/);
    assert.equal((await get('198.51.100.2')).status, 200);
  });

  it('does not count CORS preflights', async (t) => {
    const server = await testServer({ ICE_RATE: '1', ICE_BURST: '1' });
    t.after(() => server.close());
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.url}/ice-servers`, { method: 'OPTIONS', headers: { Origin: 'https://a.example' } });
      assert.equal(response.status, 204);
    }
    assert.equal((await fetch(`${server.url}/ice-servers`)).status, 200);
  });
});
