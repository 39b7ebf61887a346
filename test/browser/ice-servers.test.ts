import { expect } from '@open-wc/testing';
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
    expect(result).to.deep.equal({ iceServers: [turn] });
    expect((calls[0].init.headers as Record<string, string>).Authorization).to.equal('Bearer tok');
    expect(calls[0].init.credentials).to.equal('omit');
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

  it('does not cache credentials that expire within the safety margin', async () => {
    const { impl, calls } = fakeFetch(async () => json({ iceServers: [turn], ttl: 30 }));
    const provider = new IceServerProvider(impl);
    await provider.get({ url: 'https://x/ice', fallback });
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
      (_url, init) => new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))),
    );
    const started = performance.now();
    const result = await new IceServerProvider(impl, 200).get({ url: 'https://x/ice', fallback });
    expect(result.problem).to.match(/no answer within 0.2 s/);
    expect(performance.now() - started).to.be.lessThan(3000);
  });
});
