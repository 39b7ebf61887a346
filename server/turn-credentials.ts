import { createHmac } from 'node:crypto';

export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix time (seconds) after which coturn refuses new allocations with this credential. */
  expiresAt: number;
}

/**
 * Short-lived TURN credentials in coturn's `use-auth-secret` scheme (the "TURN REST API" draft): the
 * username is `<expiry unix seconds>:<user id>` and the password is base64(HMAC-SHA1(secret, username)), so
 * coturn can check them with the shared secret alone, without a call back to this server.
 */
export function mintTurnCredential(
  secret: string,
  userId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  // coturn splits the username at the first ':' (its default separator), so the id itself must not hold one.
  const username = `${expiresAt}:${userId.replaceAll(':', '_')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}
