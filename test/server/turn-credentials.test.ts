import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mintTurnCredential } from '../../server/turn-credentials.js';

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
