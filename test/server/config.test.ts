import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';

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
    assert.equal(result.config.turn, null);
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
      SIGNAL_RATE: '20',
      SIGNAL_BURST: '80',
    });
    assert.ok(result.ok);
    assert.deepEqual(result.config, {
      port: 9000,
      host: '127.0.0.1',
      allowedOrigins: ['https://a.example', 'http://localhost:3000'],
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
      turn: {
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:443?transport=tcp'],
        secret: 'a-long-shared-secret',
        ttlSeconds: 600,
      },
      signalRate: 20,
      signalBurst: 80,
    });
    assert.deepEqual(result.warnings, []);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^PORT="eighty": expected a whole number from 0 to 65535$/],
    [{ PORT: '70000' }, /^PORT=/],
    [{ PORT: '-1' }, /^PORT=/],
    [{ HOST: 'not a host' }, /^HOST=/],
    [{ ALLOWED_ORIGINS: 'example.com' }, /ALLOWED_ORIGINS: "example.com" is not an origin/],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, /ALLOWED_ORIGINS: .* is not an origin/],
    [{ ALLOWED_ORIGINS: ',' }, /ALLOWED_ORIGINS: no origin given/],
    [{ ICE_SERVERS: '{not json' }, /^ICE_SERVERS: not valid JSON/],
    [{ ICE_SERVERS: '{"urls":"stun:x"}' }, /^ICE_SERVERS: expected an array/],
    [{ ICE_SERVERS: '[{"urls":"http://x"}]' }, /^ICE_SERVERS: .*stun:, stuns:, turn: or turns:/],
    [{ ICE_SERVERS: '[{"urls":"turn:x"}]' }, /^ICE_SERVERS: \[0\]: a turn: or turns: server needs a username and a credential/],
    [{ TURN_URLS: 'turn:x:3478' }, /^TURN_SECRET: required/],
    [{ TURN_SECRET: 'a-long-shared-secret' }, /^TURN_URLS: required/],
    [{ TURN_URLS: 'stun:x', TURN_SECRET: 'a-long-shared-secret' }, /^TURN_URLS: "stun:x" is not a turn:/],
    [{ TURN_URLS: 'turn:x', TURN_SECRET: 'short' }, /^TURN_SECRET: must be at least 16/],
    [{ TURN_TTL: '5' }, /^TURN_TTL=/],
    [{ SIGNAL_RATE: '0' }, /^SIGNAL_RATE=/],
    [{ SIGNAL_BURST: '1.5' }, /^SIGNAL_BURST=/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a clear message`, () => {
      const errors = errorsFor(env);
      assert.ok(errors.some((e) => message.test(e)), errors.join('\n'));
    });
  }

  it('reports every bad variable at once, not only the first', () => {
    assert.equal(errorsFor({ PORT: 'x', HOST: '!', TURN_TTL: 'y' }).length, 3);
  });
});
