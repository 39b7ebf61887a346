/**
 * The HTTP surface seen by someone probing it: what each answer gives away, which methods and URLs are
 * accepted, the security headers, the demo's dev-only parts, and the room token `/ice-servers` asks for.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { CallServer, CallServerOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { RoomAuth, signRoomToken } from '../../server/room-auth.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, request, testServer } from './helpers.js';

const ROOM_SECRET = 'room-token-secret-0123456789abcdef';
const TURN_SECRET = 'coturn-shared-secret-0123';
const COTURN = { TURN_URLS: 'turn:turn.example.com:3478', TURN_SECRET };
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request sent exactly as written: `fetch` would normalise a path such as `//`. */
function raw(server: CallServer, path: string, { method = 'GET', headers = {} as Record<string, string> } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ hostname, port, path, method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function started(t: TestContext, env: Record<string, string> = {}, options: CallServerOptions = {}) {
  const logs: string[] = [];
  const server = await testServer(env, { log: (line) => logs.push(line), ...options });
  t.after(() => server.close());
  return { server, logs };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const turnUser = (body: any) => (body.iceServers.at(-1).username as string).split(':')[1];

describe('/healthz', () => {
  it('says only that the server is up unless details are switched on', async (t) => {
    const { server } = await started(t);
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('shows room and connection counts with HEALTHZ_DETAILS=on', async (t) => {
    const { server } = await started(t, { HEALTHZ_DETAILS: 'on' });
    const socket = await client(server);
    t.after(() => socket.close());
    const body: any = await (await fetch(`${server.url}/healthz`)).json();
    assert.equal(body.status, 'ok');
    assert.equal(body.rooms, 0);
    assert.equal(body.connections, 1);
  });

  it('answers GET and HEAD, and 405 with Allow to anything else', async (t) => {
    const { server } = await started(t);
    const head = await raw(server, '/healthz', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const answer = await raw(server, '/healthz', { method });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'GET, HEAD', method);
    }
  });
});

describe('URLs the handler cannot parse, and unexpected errors', () => {
  it('answers 400 to a URL that does not parse, without a stack and without logging it', async (t) => {
    const { server, logs } = await started(t);
    for (const path of ['//', '//?probe-4f1c', '///probe-4f1c']) {
      const answer = await raw(server, path);
      assert.equal(answer.status, 400, path);
      assert.deepEqual(JSON.parse(answer.body), { error: 'bad request' }, path);
    }
    assert.ok(logs.every((line) => !line.includes('probe-4f1c') && !line.includes('    at ')), logs.join('\n'));
  });

  it('logs one line without the URL for an unexpected error, and answers 500', async (t) => {
    const { server, logs } = await started(t, { HEALTHZ_DETAILS: 'on' });
    Object.defineProperty(server.io.engine, 'clientsCount', {
      configurable: true,
      get: () => {
        throw new RangeError('broken counter');
      },
    });
    const response = await fetch(`${server.url}/healthz?probe-4f1c`);
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: 'internal' });
    const errors = logs.filter((line) => /error/i.test(line));
    assert.equal(errors.length, 1, logs.join('\n'));
    assert.doesNotMatch(errors[0], /\n/);
    assert.doesNotMatch(errors[0], /probe-4f1c/);
    assert.match(errors[0], /RangeError/);
  });
});

describe('security headers', () => {
  it('marks every answer nosniff and no-referrer, and JSON answers with a CSP that allows nothing', async (t) => {
    const { server } = await started(t, { ALLOWED_ORIGINS: 'https://shop.example' });
    const answers = {
      healthz: await raw(server, '/healthz'),
      ice: await raw(server, '/ice-servers'),
      refusedOrigin: await raw(server, '/ice-servers', { headers: { Origin: 'https://evil.example' } }),
      iceMethod: await raw(server, '/ice-servers', { method: 'DELETE' }),
      notFound: await raw(server, '/nothing-here'),
      method: await raw(server, '/', { method: 'POST' }),
      badUrl: await raw(server, '//'),
      widget: await raw(server, '/call-widget.js'),
      page: await raw(server, '/'),
    };
    for (const [name, answer] of Object.entries(answers)) {
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', name);
      assert.equal(answer.headers['referrer-policy'], 'no-referrer', name);
      if (/json/.test(String(answer.headers['content-type']))) assert.equal(answer.headers['content-security-policy'], JSON_CSP, name);
    }
    assert.equal(answers.method.headers.allow, 'GET, HEAD');
    assert.equal(answers.iceMethod.headers.allow, 'GET, OPTIONS');
    // Other sites load the widget with <script type="module">, which needs CORS.
    assert.equal(answers.widget.status, 200);
    assert.equal(answers.widget.headers['access-control-allow-origin'], '*');
  });

  it('gives the demo page a CSP without inline script or style, framed only by FRAME_ANCESTORS', async (t) => {
    const { server } = await started(t, { FRAME_ANCESTORS: 'self https://cms.example' });
    const page = await raw(server, '/');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('style-src'), "'self'");
    assert.equal(directives.get('connect-src'), "'self'");
    assert.equal(directives.get('frame-ancestors'), "'self' https://cms.example");
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    // What that CSP would block must not be on the page: inline scripts, <style>, style attributes, handlers.
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(page.body, /<style|\sstyle=|\son[a-z]+=/i);
    const assets = [...page.body.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((match) => match[1]);
    assert.ok(assets.includes('/demo.js') && assets.includes('/call-widget.js'), assets.join(' '));
    for (const asset of assets) assert.equal((await raw(server, asset)).status, 200, asset);
  });

  it('does not serve the Socket.IO client bundle', async (t) => {
    const { server } = await started(t);
    for (const path of ['/socket.io/socket.io.js', '/socket.io/socket.io.min.js', '/socket.io/socket.io.esm.min.js']) {
      const answer = await raw(server, path);
      assert.notEqual(answer.status, 200, path);
      assert.doesNotMatch(String(answer.headers['content-type']), /javascript/, path);
    }
  });
});

describe('server timeouts', () => {
  it('gives a client 10 s for its headers, 30 s for a whole request, and closes idle keep-alive after 5 s', async (t) => {
    const { server } = await started(t);
    assert.equal(server.http.headersTimeout, 10_000);
    assert.equal(server.http.requestTimeout, 30_000);
    assert.equal(server.http.keepAliveTimeout, 5_000);
  });
});

describe('the demo page', () => {
  it('is not served with DEMO=off, while the widget bundle still is', async (t) => {
    const { server } = await started(t, { DEMO: 'off' });
    for (const path of ['/', '/index.html', '/demo.js', '/demo.css']) {
      const answer = await raw(server, path);
      assert.equal(answer.status, 404, path);
      assert.deepEqual(JSON.parse(answer.body), { error: 'not found' }, path);
    }
    for (const path of ['/call-widget.js', '/dist/call-widget.js']) assert.equal((await raw(server, path)).status, 200, path);
  });

  it('is off by default once room auth is on', async (t) => {
    const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET });
    assert.equal((await raw(server, '/')).status, 404);
  });
});

describe('GET /demo-token', () => {
  it('does not exist without room auth, or with room auth and the demo off', async (t) => {
    const envs: Array<Record<string, string>> = [{}, { ROOM_TOKEN_SECRET: ROOM_SECRET }, { ROOM_TOKEN_SECRET: ROOM_SECRET, DEMO: 'off' }];
    for (const env of envs) {
      const { server } = await started(t, env);
      const answer = await raw(server, '/demo-token?room=abc');
      assert.equal(answer.status, 404, JSON.stringify(env));
      assert.deepEqual(JSON.parse(answer.body), { error: 'not found' });
    }
  });

  it('does not exist, with a warning at start, when no HS256 secret could sign the tokens', async (t) => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const { server, logs } = await started(t, { ROOM_TOKEN_PUBLIC_KEY: pem, DEMO: 'on' });
    assert.equal((await raw(server, '/demo-token?room=abc')).status, 404);
    assert.ok(logs.some((line) => /warning/i.test(line) && /demo/i.test(line) && /ROOM_TOKEN_SECRET/.test(line)), logs.join('\n'));
    // The page itself is still there: it runs without a token and reports the refused join.
    assert.equal((await raw(server, '/')).status, 200);
  });

  it('signs a ten-minute token for the room and name asked for, with a fresh sub each time', async (t) => {
    const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET, DEMO: 'on' });
    const auth = new RoomAuth(loadConfigOrThrow({ ROOM_TOKEN_SECRET: ROOM_SECRET }).roomAuth!);
    const now = Math.floor(Date.now() / 1000);
    const grants = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${server.url}/demo-token?room=team-7&name=Ann%20B`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body: any = await response.json();
      const check = await auth.verify(body.token);
      assert.ok(check.ok, JSON.stringify(check));
      grants.push(check.grant);
    }
    assert.equal(grants[0].room, 'team-7');
    assert.equal(grants[0].name, 'Ann B');
    assert.ok(grants[0].exp >= now + 600 && grants[0].exp <= now + 602, String(grants[0].exp - now));
    assert.notEqual(grants[0].sub, grants[1].sub);
  });

  it('gives a token that joins the room', async (t) => {
    const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET, DEMO: 'on' });
    const { token }: any = await (await fetch(`${server.url}/demo-token?room=team-7`)).json();
    const socket = await client(server, { auth: { token } });
    t.after(() => socket.close());
    const ack = await request(socket, 'join', { v: PROTOCOL_VERSION, room: 'team-7' });
    assert.equal(ack.ok, true, JSON.stringify(ack));
  });

  it('refuses a room or name the protocol would refuse, without repeating it', async (t) => {
    const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET, DEMO: 'on' });
    for (const query of ['', '?room=', '?room=no%20spaces<b>', `?room=${'r'.repeat(129)}`, `?room=ok&name=${'n'.repeat(65)}`]) {
      const answer = await raw(server, `/demo-token${query}`);
      assert.equal(answer.status, 400, query);
      assert.doesNotMatch(answer.body, /<b>|rrrrr|nnnnn|token/, query);
    }
  });

  it('answers GET only, and limits requests per address', async (t) => {
    const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET, DEMO: 'on', ICE_RATE: '1', ICE_BURST: '2' });
    const post = await raw(server, '/demo-token?room=a', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await raw(server, '/demo-token?room=a')).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });
});

describe('GET /ice-servers with room auth', () => {
  const env = { ROOM_TOKEN_SECRET: ROOM_SECRET, ...COTURN };
  const token = (sub: string, extra: { room?: string; ttlSeconds?: number } = {}, now?: number) =>
    signRoomToken(ROOM_SECRET, { room: 'team-7', sub, ...extra }, now);

  it('refuses a request without a valid room token with 401 and WWW-Authenticate: Bearer', async (t) => {
    const { server } = await started(t, env);
    const expired = await token('alice', { ttlSeconds: 60 }, Math.floor(Date.now() / 1000) - 3600);
    const wrongKey = await signRoomToken('another-secret-0123456789abcdef-xyz', { room: 'team-7', sub: 'alice' });
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['no header', {}, /no room token/],
      ['not bearer', { Authorization: 'Basic YWxpY2U6cGFzcw==' }, /no room token/],
      ['not a JWT', bearer('not-a-jwt'), /not a JWT/],
      ['expired', bearer(expired), /expired/],
      ['wrong key', bearer(wrongKey), /signature/],
    ];
    for (const [name, headers, why] of cases) {
      const answer = await raw(server, '/ice-servers', { headers });
      assert.equal(answer.status, 401, name);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer\b/, name);
      const { error } = JSON.parse(answer.body);
      assert.match(error, /^unauthorized: /, name);
      assert.match(error, why, name);
      assert.doesNotMatch(answer.body, /turn:/, name);
    }
  });

  it('ties the coturn user id to the token\'s sub, without writing the sub into it', async (t) => {
    const { server } = await started(t, env);
    const ask = async (sub: string, room: string) => {
      const answer = await raw(server, '/ice-servers', { headers: bearer(await token(sub, { room })) });
      assert.equal(answer.status, 200, answer.body);
      return turnUser(JSON.parse(answer.body));
    };
    // Two different tokens for the same participant: the id follows the participant, not the token.
    const [alice1, alice2, bob] = [await ask('alice-42', 'team-7'), await ask('alice-42', 'team-8'), await ask('bob-42', 'team-7')];
    assert.equal(alice1, alice2);
    assert.notEqual(alice1, bob);
    assert.doesNotMatch(alice1 + bob, /alice|bob|42/);
  });

  for (const [provider, providerEnv] of [
    ['Twilio', { TWILIO_ACCOUNT_SID: `AC${'0a1b2c3d'.repeat(4)}`, TWILIO_AUTH_TOKEN: 'f00dfeed'.repeat(4) }],
    ['Cloudflare', { CLOUDFLARE_TURN_KEY_ID: '5c1e0b6a9d2f47e3a8c4b7d6e1f0a2b3', CLOUDFLARE_TURN_API_TOKEN: 'cf-turn-api-token-7d1c9a2e5b8f' }],
  ] as const) {
    it(`asks for the token before a paid ${provider} request`, async (t) => {
      // Nothing listens there: a request that got as far as the provider would be a 502, not a 401.
      const { server } = await started(t, { ROOM_TOKEN_SECRET: ROOM_SECRET, ...providerEnv }, {
        providerBaseUrls: { twilio: 'http://127.0.0.1:9', cloudflare: 'http://127.0.0.1:9' },
      });
      assert.equal((await raw(server, '/ice-servers')).status, 401);
      assert.equal((await raw(server, '/ice-servers', { headers: bearer(await token('alice')) })).status, 502);
    });
  }
});

describe('GET /ice-servers without room auth', () => {
  it('ties the coturn user id to the client address', async (t) => {
    const { server } = await started(t, { ...COTURN, TRUST_PROXY: '1' });
    const ask = async (address: string) => turnUser(JSON.parse((await raw(server, '/ice-servers', { headers: { 'X-Forwarded-For': address } })).body));
    const [first, again, other] = [await ask('198.51.100.7'), await ask('198.51.100.7'), await ask('203.0.113.9')];
    assert.equal(first, again);
    assert.notEqual(first, other);
    assert.doesNotMatch(first, /198|51|100/);
  });

  it('serves a request without Origin (a non-browser client), held to the same per-address limit', async (t) => {
    const { server } = await started(t, { ...COTURN, ALLOWED_ORIGINS: 'https://shop.example', ICE_RATE: '1', ICE_BURST: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await raw(server, '/ice-servers')).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    // The allowed origin shares that address's bucket: leaving Origin out buys nothing.
    assert.equal((await raw(server, '/ice-servers', { headers: { Origin: 'https://shop.example' } })).status, 429);
  });
});

function loadConfigOrThrow(env: Record<string, string>) {
  const loaded = loadConfig({ HOST: '127.0.0.1', PORT: '0', ...env });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.config;
}
