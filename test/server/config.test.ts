import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { loadStateSecret } from '../../server/state-file.js';

const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TWILIO_TOKEN = '89abcdef'.repeat(4);
const CF_KEY_ID = 'fedcba9876543210fedcba9876543210';
const CF_TOKEN = 'cloudflare-api-token-0123456789';
const ROOM_SECRET = 'room-token-secret-0123456789abcdef';

const errorsFor = (env: Record<string, string>) => {
  const result = loadConfig(env);
  assert.equal(result.ok, false, `expected ${JSON.stringify(env)} to be refused`);
  return result.ok ? [] : result.errors;
};

describe('server configuration', () => {
  it('runs on the embedded default with nothing set, and warns that every origin is allowed', () => {
    const result = loadConfig({});
    assert.ok(result.ok);
    assert.equal(result.config.port, 8080);
    assert.equal(result.config.host, '0.0.0.0');
    assert.equal(result.config.allowedOrigins, '*');
    assert.deepEqual(result.config.iceServers, []);
    assert.equal(result.config.iceProvider, null);
    assert.equal(result.config.iceRate, 2);
    assert.equal(result.config.iceBurst, 10);
    assert.equal(result.config.trustProxy, 0);
    assert.equal(result.config.resumeSecret, null);
    assert.equal(result.config.stateFile, '.call-widget/state.json');
    assert.ok(result.warnings.some((w) => w.includes('ALLOWED_ORIGINS')));
  });

  it('reads every variable', () => {
    const result = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000',
      ICE_SERVERS: '[{"urls":"stun:stun.example.com:3478"}]',
      TURN_URLS: 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp',
      TURN_SECRET: 'a-long-shared-secret',
      TURN_TTL: '600',
      ICE_RATE: '5',
      ICE_BURST: '20',
      TRUST_PROXY: '1',
      SIGNAL_RATE: '20',
      SIGNAL_BURST: '80',
      RESUME_GRACE: '45',
      STATE_FILE: '/var/lib/call-widget/state.json',
      ROOM_TOKEN_SECRET: ROOM_SECRET,
      ROOM_TOKEN_AUDIENCE: 'call-widget',
      ROOM_TOKEN_ISSUER: 'https://shop.example',
      DEMO: 'on',
      MAX_CONNECTIONS_PER_ADDRESS: '30',
      HANDSHAKE_RATE: '6',
      HANDSHAKE_BURST: '24',
      ADDRESS_SIGNAL_RATE: '300',
      ADDRESS_SIGNAL_BURST: '900',
      MAX_QUEUED_BYTES: '524288',
      HEALTHZ_DETAILS: 'on',
      FRAME_ANCESTORS: 'self https://cms.example',
    });
    assert.ok(result.ok);
    assert.deepEqual(result.config, {
      port: 9000,
      host: '127.0.0.1',
      allowedOrigins: ['https://a.example', 'http://localhost:3000'],
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
      iceProvider: {
        kind: 'coturn',
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'],
        secret: 'a-long-shared-secret',
        ttlSeconds: 600,
      },
      iceRate: 5,
      iceBurst: 20,
      trustProxy: 1,
      signalRate: 20,
      signalBurst: 80,
      resumeGraceMs: 45_000,
      resumeSecret: null,
      stateFile: '/var/lib/call-widget/state.json',
      roomAuth: {
        secret: new TextEncoder().encode(ROOM_SECRET),
        publicKey: null,
        jwksUrl: null,
        audience: 'call-widget',
        issuer: 'https://shop.example',
      },
      demo: true,
      limits: {
        maxConnectionsPerAddress: 30,
        handshakeRate: 6,
        handshakeBurst: 24,
        addressSignalRate: 300,
        addressSignalBurst: 900,
        maxQueuedBytes: 524288,
      },
      healthzDetails: true,
      frameAncestors: "'self' https://cms.example",
    });
    assert.deepEqual(result.warnings, []);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^PORT: expected a whole number from 0 to 65535$/],
    [{ PORT: '70000' }, /^PORT: /],
    [{ PORT: '-1' }, /^PORT: /],
    [{ HOST: 'not a host' }, /^HOST: expected an address/],
    [{ ALLOWED_ORIGINS: 'example.com' }, /^ALLOWED_ORIGINS: entry 1 is not an origin/],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, /ALLOWED_ORIGINS: .* is not an origin/],
    [{ ALLOWED_ORIGINS: ',' }, /ALLOWED_ORIGINS: no origin given/],
    [{ ICE_SERVERS: '{not json' }, /^ICE_SERVERS: not valid JSON/],
    [{ ICE_SERVERS: '{"urls":"stun:x"}' }, /^ICE_SERVERS: expected an array/],
    [{ ICE_SERVERS: '[{"urls":"http://x"}]' }, /^ICE_SERVERS: .*stun:, stuns:, turn: or turns:/],
    [{ ICE_SERVERS: '[{"urls":"turn:x"}]' }, /^ICE_SERVERS: \[0\]: a turn: or turns: server needs a username and a credential/],
    [{ TURN_URLS: 'turn:x:3478' }, /^TURN_SECRET: required/],
    [{ TURN_SECRET: 'a-long-shared-secret' }, /^TURN_URLS: required/],
    [{ TURN_URLS: 'stun:x', TURN_SECRET: 'a-long-shared-secret' }, /^TURN_URLS: entry 1 is not a turn:/],
    [{ TURN_URLS: 'turn:x', TURN_SECRET: 'short' }, /^TURN_SECRET: must be at least 16/],
    [{ TURN_TTL: '5' }, /^TURN_TTL: /],
    [{ TWILIO_ACCOUNT_SID: 'SK0123', TWILIO_AUTH_TOKEN: TWILIO_TOKEN }, /^TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits, as on the Twilio console \(this looks like an API key SID, SK...\)$/],
    [{ TWILIO_AUTH_TOKEN: TWILIO_TOKEN }, /^TWILIO_ACCOUNT_SID: required with TWILIO_AUTH_TOKEN/],
    [{ TWILIO_ACCOUNT_SID: TWILIO_SID }, /^TWILIO_AUTH_TOKEN: required with TWILIO_ACCOUNT_SID$/],
    [{ TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: 'short' }, /^TWILIO_AUTH_TOKEN: expected the auth token/],
    [{ TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: 'with a space in it 0123' }, /^TWILIO_AUTH_TOKEN: expected/],
    [{ TWILIO_TTL: '86401' }, /^TWILIO_TTL: expected a whole number from 60 to 86400$/],
    [{ CLOUDFLARE_TURN_KEY_ID: '../../zones', CLOUDFLARE_TURN_API_TOKEN: CF_TOKEN }, /^CLOUDFLARE_TURN_KEY_ID: expected the TURN key id/],
    [{ CLOUDFLARE_TURN_API_TOKEN: CF_TOKEN }, /^CLOUDFLARE_TURN_KEY_ID: required with CLOUDFLARE_TURN_API_TOKEN/],
    [{ CLOUDFLARE_TURN_KEY_ID: CF_KEY_ID }, /^CLOUDFLARE_TURN_API_TOKEN: required with CLOUDFLARE_TURN_KEY_ID$/],
    [{ CLOUDFLARE_TURN_KEY_ID: CF_KEY_ID, CLOUDFLARE_TURN_API_TOKEN: 'tiny' }, /^CLOUDFLARE_TURN_API_TOKEN: expected/],
    [{ CLOUDFLARE_TURN_TTL: '172801' }, /^CLOUDFLARE_TURN_TTL: expected a whole number from 60 to 172800$/],
    [
      { TURN_URLS: 'turn:x', TURN_SECRET: 'a-long-shared-secret', TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN },
      /^coturn \(TURN_URLS, TURN_SECRET\) and Twilio \(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN\) are both set: configure one TURN provider, not several$/,
    ],
    [
      { TURN_SECRET: 'a-long-shared-secret', TWILIO_AUTH_TOKEN: TWILIO_TOKEN, CLOUDFLARE_TURN_KEY_ID: CF_KEY_ID },
      /^coturn .* and Twilio .* and Cloudflare \(CLOUDFLARE_TURN_KEY_ID, CLOUDFLARE_TURN_API_TOKEN\) are all set/,
    ],
    [{ ICE_RATE: '0' }, /^ICE_RATE: expected a whole number from 1 to 10000$/],
    [{ ICE_BURST: 'ten' }, /^ICE_BURST: expected a whole number/],
    [{ TRUST_PROXY: 'yes' }, /^TRUST_PROXY: expected a whole number from 0 to 10$/],
    [{ SIGNAL_RATE: '0' }, /^SIGNAL_RATE: /],
    [{ RESUME_GRACE: '601' }, /^RESUME_GRACE: expected a whole number from 0 to 600$/],
    [{ RESUME_SECRET: 'short' }, /^RESUME_SECRET: must be at least 16 characters$/],
    [{ SIGNAL_BURST: '1.5' }, /^SIGNAL_BURST: /],
    [{ STATE_FILE: 'state\n[call-widget] forged line' }, /^STATE_FILE: expected the path of a file/],
    [{ STATE_FILE: '/var/lib/call-widget/' }, /^STATE_FILE: expected the path of a file/],
    [{ STATE_FILE: `/${'x'.repeat(1024)}` }, /^STATE_FILE: expected the path of a file/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a clear message`, () => {
      const errors = errorsFor(env);
      assert.ok(errors.some((e) => message.test(e)), errors.join('\n'));
    });
  }

  it('reads a Twilio account, with two hours of credentials unless TWILIO_TTL says otherwise', () => {
    const result = loadConfig({ TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
    assert.ok(result.ok);
    assert.deepEqual(result.config.iceProvider, { kind: 'twilio', accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, ttlSeconds: 7200 });
    const shorter = loadConfig({ TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_TTL: '600' });
    assert.ok(shorter.ok);
    assert.equal(shorter.config.iceProvider?.ttlSeconds, 600);
  });

  it('reads a Cloudflare TURN key', () => {
    const result = loadConfig({ CLOUDFLARE_TURN_KEY_ID: CF_KEY_ID, CLOUDFLARE_TURN_API_TOKEN: CF_TOKEN, CLOUDFLARE_TURN_TTL: '86400' });
    assert.ok(result.ok);
    assert.deepEqual(result.config.iceProvider, { kind: 'cloudflare', keyId: CF_KEY_ID, apiToken: CF_TOKEN, ttlSeconds: 86400 });
    assert.ok(!result.warnings.some((w) => w.includes('TURN provider')), 'a provider is enough to stop the no-TURN warning');
  });

  it("warns about a provider's lifetime set without the provider", () => {
    const result = loadConfig({ TWILIO_TTL: '600', CLOUDFLARE_TURN_TTL: '600', TURN_TTL: '600' });
    assert.ok(result.ok);
    for (const name of ['TWILIO_TTL', 'CLOUDFLARE_TURN_TTL', 'TURN_TTL']) {
      assert.ok(result.warnings.some((w) => w.startsWith(`${name} is set but`)), `${name}: ${result.warnings.join('\n')}`);
    }
  });

  it('never repeats a secret in its messages, even one put in the wrong variable', () => {
    const secrets = { TURN_SECRET: 'short-secret', TWILIO_AUTH_TOKEN: 'bad token with spaces', CLOUDFLARE_TURN_API_TOKEN: 'tiny-token' };
    const errors = errorsFor({ ...secrets, TURN_URLS: 'turn:x' });
    assert.ok(errors.length >= 3, errors.join('\n'));
    for (const secret of Object.values(secrets)) assert.ok(!errors.join('\n').includes(secret), secret);
    const swapped = errorsFor({
      TWILIO_ACCOUNT_SID: TWILIO_TOKEN,
      TWILIO_AUTH_TOKEN: TWILIO_SID,
      CLOUDFLARE_TURN_KEY_ID: `${CF_TOKEN} `.repeat(2),
      CLOUDFLARE_TURN_API_TOKEN: CF_KEY_ID,
    }).join('\n');
    assert.match(swapped, /TWILIO_ACCOUNT_SID: expected/);
    assert.match(swapped, /CLOUDFLARE_TURN_KEY_ID: expected/);
    assert.ok(!swapped.includes(TWILIO_TOKEN) && !swapped.includes(CF_TOKEN), swapped);
  });

  it('never quotes a value back, not even a fragment of malformed JSON holding a credential', () => {
    const credential = 'turn-password-0123456789';
    const errors = errorsFor({
      ICE_SERVERS: `[{"urls":"turn:x","username":"u","credential":"${credential}"`,
      PORT: credential,
      HOST: `${credential} !`,
      ALLOWED_ORIGINS: credential,
      TURN_URLS: credential,
      TURN_SECRET: 'a-long-shared-secret',
      HEALTHZ_DETAILS: credential,
    });
    assert.ok(errors.length >= 6, errors.join('\n'));
    assert.ok(!errors.join('\n').includes('password'), errors.join('\n'));
  });

  it('warns when proxies are trusted on an address clients can reach directly', () => {
    const exposed = loadConfig({ TRUST_PROXY: '1', HOST: '0.0.0.0' });
    assert.ok(exposed.ok && exposed.warnings.some((w) => w.startsWith('TRUST_PROXY is set and HOST is not a loopback address')));
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      const behind = loadConfig({ TRUST_PROXY: '1', HOST: host });
      assert.ok(behind.ok && !behind.warnings.some((w) => w.startsWith('TRUST_PROXY')), host);
    }
  });

  it('reads FRAME_ANCESTORS as a CSP source list and refuses anything else', () => {
    const ok = loadConfig({ FRAME_ANCESTORS: 'self https://cms.example https://*.shop.example:8443' });
    assert.ok(ok.ok);
    assert.equal(ok.config.frameAncestors, "'self' https://cms.example https://*.shop.example:8443");
    for (const bad of ["'self'; script-src *", 'none self', 'javascript:alert(1)', 'https://a.example/path']) {
      assert.ok(errorsFor({ FRAME_ANCESTORS: bad }).some((e) => e.startsWith('FRAME_ANCESTORS:')), bad);
    }
  });

  it('uses no state file with RESUME_SECRET, and says so when STATE_FILE is set as well', () => {
    const secret = loadConfig({ RESUME_SECRET: 'a-resume-secret-0123' });
    assert.ok(secret.ok);
    assert.deepEqual(secret.config.resumeSecret, Buffer.from('a-resume-secret-0123'));
    assert.equal(secret.config.stateFile, null);
    assert.ok(!secret.warnings.some((w) => w.includes('STATE_FILE')));
    const both = loadConfig({ RESUME_SECRET: 'a-resume-secret-0123', STATE_FILE: 'state.json' });
    assert.ok(both.ok && both.config.stateFile === null);
    assert.ok(both.warnings.some((w) => w.startsWith('STATE_FILE is set but so is RESUME_SECRET')), both.warnings.join('\n'));
  });

  it('reports every bad variable at once, not only the first', () => {
    assert.equal(errorsFor({ PORT: 'x', HOST: '!', TURN_TTL: 'y' }).length, 3);
  });
});

describe('the state file (the resume secret without RESUME_SECRET)', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'call-widget-state-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates it with a random 32-byte secret, readable by the owner only, in a directory of its own', async () => {
    const path = join(dir, 'created', 'state.json');
    const state = await loadStateSecret(path);
    assert.equal(state.source, 'file');
    assert.ok(state.source === 'file' && state.created);
    assert.equal(state.path, path);
    assert.equal(state.secret.length, 32);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'created'))).mode & 0o077, 0);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { resumeSecret: state.secret.toString('base64url') });
  });

  it('reads the same secret back on the next start, and leaves no temporary file', async () => {
    const path = join(dir, 'again.json');
    const first = await loadStateSecret(path);
    const second = await loadStateSecret(path);
    assert.ok(second.source === 'file' && !second.created);
    assert.deepEqual(second.secret, first.secret);
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('again')), ['again.json']);
  });

  it('gives two servers starting at once the same secret', async () => {
    const path = join(dir, 'race.json');
    const states = await Promise.all(Array.from({ length: 8 }, () => loadStateSecret(path)));
    assert.equal(states.filter((s) => s.source === 'file' && s.created).length, 1);
    for (const state of states) assert.deepEqual(state.secret, states[0].secret);
  });

  it('falls back to a secret in memory when the file is not a state file, without quoting it or overwriting it', async () => {
    const path = join(dir, 'garbage.json');
    const contents = '{"resumeSecret": "not-a-secret-but-could-be-one"';
    await writeFile(path, contents, { mode: 0o600 });
    const state = await loadStateSecret(path);
    assert.ok(state.source === 'memory');
    assert.equal(state.secret.length, 32);
    assert.equal(state.why, 'is not valid JSON');
    assert.equal(await readFile(path, 'utf8'), contents);
    await writeFile(path, JSON.stringify({ resumeSecret: 'short' }), { mode: 0o600 });
    const wrong = await loadStateSecret(path);
    assert.ok(wrong.source === 'memory' && !wrong.why.includes('short'), wrong.source === 'memory' ? wrong.why : '');
  });

  it('trusts no state file that others may read or write, nor one reached through a symbolic link', async () => {
    const planted = join(dir, 'planted.json');
    const known = { resumeSecret: Buffer.alloc(32, 7).toString('base64url') };
    await writeFile(planted, JSON.stringify(known), { mode: 0o644 });
    const open = await loadStateSecret(planted);
    assert.ok(open.source === 'memory');
    assert.match(open.why, /mode 0600/);
    assert.notDeepEqual(open.secret, Buffer.alloc(32, 7));
    const good = join(dir, 'good.json');
    await loadStateSecret(good);
    const linked = join(dir, 'linked.json');
    await symlink(good, linked);
    const viaLink = await loadStateSecret(linked);
    assert.ok(viaLink.source === 'memory', 'a state file reached through a symbolic link');
  });

  it('falls back to a secret in memory when the file cannot be read or written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    // Under a regular file, nothing can be created (ENOTDIR), even by root.
    const unwritable = await loadStateSecret(join(file, 'state.json'));
    assert.ok(unwritable.source === 'memory');
    assert.match(unwritable.why, /^could not be (read|written) \(ENOTDIR\)$/);
    // A directory where the file should be: it exists but cannot be read as one.
    const unreadable = await loadStateSecret(dir);
    assert.ok(unreadable.source === 'memory');
    assert.match(unreadable.why, /^is not a regular file$/);
    assert.notDeepEqual(unwritable.secret, unreadable.secret);
  });
});
