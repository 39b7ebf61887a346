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

/**
 * The id in a coturn username. coturn logs it with every allocation and counts its per-user quota
 * (`user-quota`) by it, so it stands for whoever the server believes is asking: with room auth, the token's
 * participant (`sub`); without, the client's address. It is an HMAC keyed with the secret, so neither the
 * sub nor the address appears in coturn's logs (a plain hash of either could be reversed by guessing) and
 * every server sharing the secret agrees on it.
 */
export function turnUserId(secret: string, userKey: string): string {
  // The label keeps these digests apart from the credentials, which are HMACs with the same secret.
  return createHmac('sha256', secret).update(`call-widget user id\n${userKey}`).digest('base64url').slice(0, 16);
}
