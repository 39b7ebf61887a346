import { expect } from '@open-wc/testing';
import { normalizeIceServersResponse } from '../../src/core/ice-server-response.js';
import { IceServerProvider } from '../../src/core/ice-servers.js';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function fakeFetch(answer: (url: string, init: RequestInit) => Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const impl = ((url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer(url, init);
  }) as unknown as typeof fetch;
  return { impl, calls };
}

const turn = { urls: 'turn:turn.example.com:3478', username: '1:u', credential: 'c' };
const fallback = [{ urls: 'stun:fallback.example.com' }];

describe('ICE servers', () => {
  it('uses the static list when there is no endpoint', async () => {
    const { impl, calls } = fakeFetch(async () => json([]));
    const result = await new IceServerProvider(impl).get({ fallback });
    expect(result).to.deep.equal({ iceServers: fallback });
    expect(calls).to.have.length(0);
  });

  it('fetches the endpoint with the token as a Bearer header', async () => {
    const { impl, calls } = fakeFetch(async () => json({ iceServers: [turn], ttl: 600 }));
    const result = await new IceServerProvider(impl).get({ url: 'https://x/ice', token: 'tok', fallback });
    expect(result.iceServers).to.deep.equal([turn]);
    expect(result.problem).to.equal(undefined);
    expect((calls[0].init.headers as Record<string, string>).Authorization).to.equal('Bearer tok');
    expect(calls[0].init.credentials).to.equal('omit');
  });

  it("accepts another provider's shape too (Twilio's, lifetime as a string), whose reader it loads then", async () => {
    const twilio = { ice_servers: [{ url: 'stun:global.stun.twilio.com:3478', urls: 'stun:global.stun.twilio.com:3478' }, { url: turn.urls, ...turn }], ttl: '600' };
    const { impl } = fakeFetch(async () => json(twilio));
    const before = Date.now();
    const result = await new IceServerProvider(impl).get({ url: 'https://x/ice', fallback });
    expect(result.problem).to.equal(undefined);
    expect(result.iceServers).to.deep.equal([{ urls: 'stun:global.stun.twilio.com:3478' }, turn]);
    expect(result.expiresAt! - before).to.be.within(599_000, 601_000);
  });

  it('accepts a bare array', async () => {
    const { impl } = fakeFetch(async () => json([turn]));
    expect((await new IceServerProvider(impl).get({ url: 'https://x/ice', fallback })).iceServers).to.deep.equal([turn]);
  });

  it('caches within the ttl, and fetches again for another token', async () => {
    const { impl, calls } = fakeFetch(async () => json({ iceServers: [turn], ttl: 3600 }));
    const provider = new IceServerProvider(impl);
    await provider.get({ url: 'https://x/ice', token: 'a', fallback });
    await provider.get({ url: 'https://x/ice', token: 'a', fallback });
    expect(calls).to.have.length(1);
    await provider.get({ url: 'https://x/ice', token: 'b', fallback });
    expect(calls).to.have.length(2);
  });

  it('shares one fetch between requests made while it is under way (a prefetch, then the call\'s own)', async () => {
    let answer!: (response: Response) => void;
    const { impl, calls } = fakeFetch(() => new Promise((resolve) => (answer = resolve)));
    const provider = new IceServerProvider(impl);
    const first = provider.get({ url: 'https://x/ice', fallback });
    const second = provider.get({ url: 'https://x/ice', fallback });
    await Promise.resolve();
    answer(json({ iceServers: [turn], ttl: 600 }));
    expect((await first).iceServers).to.deep.equal([turn]);
    expect((await second).iceServers).to.deep.equal([turn]);
    expect(calls).to.have.length(1);
  });

  it('does not keep a failure: the next request fetches again', async () => {
    const { impl, calls } = fakeFetch(async () => json({}, 503));
    const provider = new IceServerProvider(impl);
    expect((await provider.get({ url: 'https://x/ice', fallback })).problem).to.contain('HTTP 503');
    expect((await provider.get({ url: 'https://x/ice', fallback })).problem).to.contain('HTTP 503');
    expect(calls).to.have.length(2);
  });

  it('fetches again once credentials are within a quarter of their lifetime of expiring', async () => {
    const { impl, calls } = fakeFetch(async () => json({ iceServers: [turn], ttl: 1 }));
    const provider = new IceServerProvider(impl);
    const first = await provider.get({ url: 'https://x/ice', fallback });
    expect(first.expiresAt! - Date.now()).to.be.within(800, 1000);
    await provider.get({ url: 'https://x/ice', fallback });
    expect(calls).to.have.length(1);
    await new Promise((r) => setTimeout(r, 800));
    await provider.get({ url: 'https://x/ice', fallback });
    expect(calls).to.have.length(2);
  });

  const failures: Array<[string, () => Promise<Response>, RegExp]> = [
    ['an HTTP error', async () => json({ error: 'no' }, 503), /HTTP 503/],
    ['a malformed body', async () => json({ iceServers: [{ urls: 'http://nope' }] }), /unexpected response: iceServers\[0\]\.urls/],
    ['a network error', async () => Promise.reject(new TypeError('Failed to fetch')), /Failed to fetch/],
  ];
  for (const [what, answer, message] of failures) {
    it(`falls back and says why on ${what}`, async () => {
      const { impl } = fakeFetch(answer);
      const result = await new IceServerProvider(impl).get({ url: 'https://x/ice', fallback });
      expect(result.iceServers).to.deep.equal(fallback);
      expect(result.problem).to.match(message);
    });
  }

  it('gives up on an endpoint that never answers, after the timeout', async () => {
    const { impl } = fakeFetch(
      (_url, init) => new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason as DOMException))),
    );
    const started = performance.now();
    const result = await new IceServerProvider(impl, 200).get({ url: 'https://x/ice', fallback });
    expect(result.problem).to.match(/no answer within 0.2 s/);
    expect(performance.now() - started).to.be.lessThan(3000);
  });
});

describe('ICE server response shapes', () => {
  it('a bare array, and this project\'s {iceServers, ttl}', () => {
    expect(normalizeIceServersResponse([turn])).to.deep.equal({ iceServers: [turn] });
    expect(normalizeIceServersResponse({ iceServers: [turn], ttl: 600 })).to.deep.equal({ iceServers: [turn], ttl: 600 });
  });

  it("Twilio's token resource: ice_servers with url and urls, ttl as a string", () => {
    const twilio = {
      account_sid: 'AC00000000000000000000000000000000',
      date_created: 'Sun, 22 Nov 2026 04:00:00 +0000',
      date_updated: 'Sun, 22 Nov 2026 04:00:00 +0000',
      ice_servers: [
        { url: 'stun:global.stun.twilio.com:3478', urls: 'stun:global.stun.twilio.com:3478' },
        { url: 'turn:global.turn.twilio.com:3478?transport=udp', urls: 'turn:global.turn.twilio.com:3478?transport=udp', username: 'u1', credential: 'p1' },
        { url: 'turn:global.turn.twilio.com:443?transport=tcp', username: 'u1', credential: 'p1' },
      ],
      password: 'p1',
      ttl: '86400',
      username: 'u1',
    };
    expect(normalizeIceServersResponse(twilio)).to.deep.equal({
      iceServers: [
        { urls: 'stun:global.stun.twilio.com:3478' },
        { urls: 'turn:global.turn.twilio.com:3478?transport=udp', username: 'u1', credential: 'p1' },
        { urls: 'turn:global.turn.twilio.com:443?transport=tcp', username: 'u1', credential: 'p1' },
      ],
      ttl: 86400,
    });
  });

  it("Cloudflare's generate-ice-servers: iceServers as an object or an array, no ttl", () => {
    const server = { urls: ['stun:stun.cloudflare.com:3478', 'turn:turn.cloudflare.com:3478?transport=udp'], username: 'cu', credential: 'cp' };
    expect(normalizeIceServersResponse({ iceServers: server })).to.deep.equal({ iceServers: [server] });
    expect(normalizeIceServersResponse({ iceServers: [server] })).to.deep.equal({ iceServers: [server] });
  });

  it('a wrapper {success, data: {iceServers}}', () => {
    expect(normalizeIceServersResponse({ success: true, data: { iceServers: [turn], ttl: 120 } })).to.deep.equal({ iceServers: [turn], ttl: 120 });
  });

  it('the TURN REST API draft: {username, password, ttl, uris}', () => {
    const draft = { username: '1700000000:alice', password: 'pw', ttl: 86400, uris: ['turn:turn.example.com:3478?transport=udp', 'turn:turn.example.com:3478?transport=tcp'] };
    expect(normalizeIceServersResponse(draft)).to.deep.equal({
      iceServers: [{ urls: draft.uris, username: draft.username, credential: 'pw' }],
      ttl: 86400,
    });
  });

  it('refuses anything else, saying what was missing or wrong', () => {
    expect(() => normalizeIceServersResponse({ servers: [] })).to.throw(/no iceServers, ice_servers or uris/);
    expect(() => normalizeIceServersResponse({ iceServers: [{ urls: 'turn:x' }] })).to.throw(/iceServers\[0\]: a turn: or turns: server needs a username/);
    expect(() => normalizeIceServersResponse({ uris: ['turn:x'], username: 'u' })).to.throw(/needs a username and a credential/);
  });
});
