/** Room access by the site's own tokens: every rule of room-auth.ts, then the join through a real server. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, SignJWT, UnsecuredJWT } from 'jose';
import type { CallServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { RoomAuth, signRoomToken } from '../../server/room-auth.js';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol.js';
import { client, nextEvent, request, testServer } from './helpers.js';

const SECRET = 'room-token-secret-for-tests-0123456789';
const now = () => Math.floor(Date.now() / 1000);

function auth(env: Record<string, string>): RoomAuth {
  const loaded = loadConfig(env);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.join('\n'));
  return new RoomAuth(loaded.config.roomAuth!);
}

const hs256 = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

describe('room tokens', () => {
  const secretAuth = auth({ ROOM_TOKEN_SECRET: SECRET });

  it('accepts a token from npm run token\'s signer: room, sub, name and exp', async () => {
    const token = await signRoomToken(SECRET, { room: 'r1', sub: 'alice', name: 'Alice', ttlSeconds: 600 });
    const check = await secretAuth.verify(token);
    assert.ok(check.ok);
    assert.deepEqual({ ...check.grant, exp: undefined }, { room: 'r1', sub: 'alice', name: 'Alice', exp: undefined });
    assert.ok(Math.abs(check.grant.exp - (now() + 600)) <= 2);
  });

  const refused: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired', () => hs256({ room: 'r1', sub: 'a', exp: now() - 120 }), /expired/],
    ['without exp', () => hs256({ room: 'r1', sub: 'a' }), /exp claim is missing/],
    ['without sub', () => hs256({ room: 'r1', exp: now() + 60 }), /sub claim is missing/],
    ['without room', () => hs256({ sub: 'a', exp: now() + 60 }), /room claim is missing/],
    ['expiring more than a day ahead', () => hs256({ room: 'r1', sub: 'a', exp: now() + 25 * 3600 }), /more than 24 hours/],
    ['not valid yet', () => hs256({ room: 'r1', sub: 'a', exp: now() + 600, nbf: now() + 300 }), /not valid yet/],
    ['signed with another secret', () => hs256({ room: 'r1', sub: 'a', exp: now() + 60 }, 'another-secret-of-enough-length-0123'), /signature/],
    ['unsigned (alg: none)', async () => new UnsecuredJWT({ room: 'r1', sub: 'a' }).setExpirationTime(now() + 60).encode(), /algorithm/],
    ['with a bad room claim', () => hs256({ room: 'no spaces allowed', sub: 'a', exp: now() + 60 }), /room claim/],
    ['with a name too long', () => hs256({ room: 'r1', sub: 'a', name: 'x'.repeat(65), exp: now() + 60 }), /name claim/],
    ['that is not a JWT', async () => 'not-a-jwt', /not a JWT/],
  ];
  for (const [what, make, why] of refused) {
    it(`refuses a token ${what}, and says why without repeating it`, async () => {
      const token = await make();
      const check = await secretAuth.verify(token);
      assert.equal(check.ok, false);
      if (!check.ok) {
        assert.match(check.why, why);
        assert.ok(!check.why.includes(token));
      }
    });
  }

  it('refuses an HS256 token signed with the public key as its secret (algorithm confusion)', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyAuth = auth({ ROOM_TOKEN_PUBLIC_KEY: pem });
    const check = await keyAuth.verify(await hs256({ room: 'r1', sub: 'a', exp: now() + 60 }, pem));
    assert.equal(check.ok, false);
  });

  it('verifies ES256 with ROOM_TOKEN_PUBLIC_KEY, and checks aud and iss when configured', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString().replaceAll('\n', '\\n');
    const keyAuth = auth({ ROOM_TOKEN_PUBLIC_KEY: pem, ROOM_TOKEN_AUDIENCE: 'calls', ROOM_TOKEN_ISSUER: 'https://shop.example' });
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const good = await sign({ room: 'r1', sub: 'a', exp: now() + 60, aud: 'calls', iss: 'https://shop.example' });
    assert.equal((await keyAuth.verify(good)).ok, true);
    const wrongAudience = await keyAuth.verify(await sign({ room: 'r1', sub: 'a', exp: now() + 60, aud: 'other', iss: 'https://shop.example' }));
    assert.deepEqual(wrongAudience, { ok: false, why: "the token's aud claim is not accepted" });
    const noIssuer = await keyAuth.verify(await sign({ room: 'r1', sub: 'a', exp: now() + 60, aud: 'calls' }));
    assert.equal(noIssuer.ok, false);
  });

  it('verifies RS256 with keys fetched from ROOM_TOKEN_JWKS_URL', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    try {
      const keyAuth = auth({ ROOM_TOKEN_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json` });
      const sign = (kid: string) =>
        new SignJWT({ room: 'r1', sub: 'a' }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime(now() + 60).sign(privateKey);
      assert.equal((await keyAuth.verify(await sign('k1'))).ok, true);
      const unknownKey = await keyAuth.verify(await sign('k2'));
      assert.equal(unknownKey.ok, false);
    } finally {
      jwks.close();
    }
  });

  it('refuses key material it cannot use, at start, without quoting it', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ROOM_TOKEN_SECRET: 'too-short' }, /^ROOM_TOKEN_SECRET: must be at least 32 characters/],
      [{ ROOM_TOKEN_PUBLIC_KEY: 'garbage' }, /^ROOM_TOKEN_PUBLIC_KEY: not a PEM public key/],
      [{ ROOM_TOKEN_JWKS_URL: 'http://keys.example/jwks.json' }, /^ROOM_TOKEN_JWKS_URL: expected an https: URL/],
      [{ ROOM_TOKEN_AUDIENCE: 'calls' }, /need ROOM_TOKEN_SECRET/],
    ];
    for (const [env, message] of cases) {
      const loaded = loadConfig(env);
      assert.equal(loaded.ok, false);
      if (!loaded.ok) {
        assert.ok(loaded.errors.some((error) => message.test(error)), loaded.errors.join('\n'));
        for (const value of Object.values(env)) assert.ok(!loaded.errors.join('\n').includes(value), value);
      }
    }
    // A private key is refused, though Node could derive the public key from it: it belongs on the backend.
    const loaded = loadConfig({ ROOM_TOKEN_PUBLIC_KEY: privatePem });
    assert.equal(loaded.ok, false);
    if (!loaded.ok) assert.match(loaded.errors.join('\n'), /^ROOM_TOKEN_PUBLIC_KEY: this is a private key/);
  });

  it('says at start that rooms are open when no key is set', () => {
    const loaded = loadConfig({});
    assert.ok(loaded.ok);
    assert.equal(loaded.config.roomAuth, null);
    assert.ok(loaded.warnings.some((warning) => warning.includes('rooms are open')));
    assert.equal(loaded.config.demo, true);
    const secured = loadConfig({ ROOM_TOKEN_SECRET: SECRET });
    assert.ok(secured.ok);
    assert.equal(secured.config.demo, false, 'no demo page by default once rooms need tokens');
  });
});

describe('joining a room that needs a token', () => {
  let server: CallServer;
  before(async () => (server = await testServer({ ROOM_TOKEN_SECRET: SECRET, RESUME_GRACE: '2' })));
  after(() => server.close());

  const join = async (token: string | undefined, room: string, extra: Record<string, unknown> = {}) => {
    const socket = await client(server, token === undefined ? {} : { auth: { token } });
    return { socket, ack: await request(socket, 'join', { v: PROTOCOL_VERSION, room, ...extra }) };
  };

  it('seats a participant whose token names the room, under the name the token gives', async () => {
    const alice = await join(await signRoomToken(SECRET, { room: 'auth-1', sub: 'alice', name: 'Alice' }), 'auth-1', { displayName: 'Dr. Ada ✔ (verified)' });
    assert.equal(alice.ack.ok, true);
    const announced = nextEvent(alice.socket, 'peer-joined');
    const bob = await join(await signRoomToken(SECRET, { room: 'auth-1', sub: 'bob' }), 'auth-1', { displayName: 'Bob' });
    // The site's name wins over the page's; without one in the token, the page's name stands.
    assert.deepEqual(bob.ack.peer, { id: alice.ack.id, displayName: 'Alice' });
    assert.deepEqual((await announced).peer, { id: bob.ack.id, displayName: 'Bob' });
    alice.socket.close();
    bob.socket.close();
  });

  it('refuses a join without a token, with a bad one, or with one for another room, and says nothing of the room', async () => {
    const occupied = await join(await signRoomToken(SECRET, { room: 'auth-2', sub: 'alice' }), 'auth-2');
    const attempts = [
      await join(undefined, 'auth-2'),
      await join('not-a-jwt', 'auth-2'),
      await join(await signRoomToken(SECRET, { room: 'auth-elsewhere', sub: 'mallory' }), 'auth-2'),
      await join(await signRoomToken(SECRET, { room: 'auth-2', sub: 'mallory', ttlSeconds: 1 }, now() - 600), 'auth-2'),
    ];
    for (const { socket, ack } of attempts) {
      assert.equal(ack.ok, false);
      assert.equal(ack.error.code, 'unauthorized');
      assert.doesNotMatch(JSON.stringify(ack), /alice|room-full|participants/i);
      socket.close();
    }
    // The room was never touched: a second real participant still gets in.
    const bob = await join(await signRoomToken(SECRET, { room: 'auth-2', sub: 'bob' }), 'auth-2');
    assert.equal(bob.ack.ok, true);
    occupied.socket.close();
    bob.socket.close();
  });

  it('lets a participant resume with its resume token after its room token expired', async () => {
    const alice = await join(await signRoomToken(SECRET, { room: 'auth-3', sub: 'alice' }), 'auth-3');
    assert.equal(alice.ack.ok, true);
    const bob = await join(await signRoomToken(SECRET, { room: 'auth-3', sub: 'bob' }), 'auth-3');
    // The network drops; the page comes back holding a room token that has long expired since.
    (alice.socket.io as unknown as { engine: { close(): void } }).engine.close();
    const expired = await signRoomToken(SECRET, { room: 'auth-3', sub: 'alice', ttlSeconds: 1 }, now() - 600);
    const back = await join(expired, 'auth-3', { resume: alice.ack.resumeToken });
    assert.deepEqual([back.ack.ok, back.ack.resumed, back.ack.id], [true, true, alice.ack.id]);
    // A new join with that expired token is refused: the page must fetch a fresh one.
    back.socket.close();
    const fresh = await join(expired, 'auth-3');
    assert.equal(fresh.ack.error.code, 'unauthorized');
    assert.match(fresh.ack.error.message, /expired/);
    fresh.socket.close();
    bob.socket.close();
  });
});
