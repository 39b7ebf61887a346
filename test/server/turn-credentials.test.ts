import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mintTurnCredential, turnUserId } from '../../server/turn-credentials.js';

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('puts the expiry and the user id in the username', () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const { username, expiresAt } = mintTurnCredential('secret-secret-secret', 'user42', 600, now);
    assert.equal(expiresAt, now / 1000 + 600);
    assert.equal(username, `${now / 1000 + 600}:user42`);
  });

  it('signs the username with HMAC-SHA1 of the secret, base64, as coturn checks it', () => {
    const { credential } = mintTurnCredential('north', 'alice', 600, 1_700_000_000_000);
    // Known answer from another implementation:
    //   printf 1700000600:alice | openssl dgst -sha1 -hmac north -binary | base64
    assert.equal(credential, 'gthUwOpcRoLI0MMCziCEBOWYnpo=');
  });

  it('keeps the separator unambiguous when an id holds a colon', () => {
    const { username } = mintTurnCredential('secret-secret-secret', 'a:b', 60, 0);
    assert.equal(username, '60:a_b');
  });
});

describe('TURN user ids', () => {
  it('are the same for the same key and secret, and differ for another key or another secret', () => {
    const alice = turnUserId('secret-secret-secret', 'sub:alice');
    assert.equal(turnUserId('secret-secret-secret', 'sub:alice'), alice);
    assert.notEqual(turnUserId('secret-secret-secret', 'sub:bob'), alice);
    assert.notEqual(turnUserId('another-secret-secret', 'sub:alice'), alice);
  });

  it('are 16 characters that need no escaping in a coturn username and say nothing of the key', () => {
    const id = turnUserId('secret-secret-secret', 'address:198.51.100.7');
    assert.match(id, /^[A-Za-z0-9_-]{16}$/);
    assert.ok(!id.includes('198'));
  });
});
