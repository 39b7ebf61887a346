/**
 * Room access by tokens the site's own backend signs, the way LiveKit access tokens and Daily meeting tokens
 * work: a JWT whose claims name the room (`room`), the participant (`sub`), optionally the display name
 * (`name`), and a near expiry (`exp`). The signaling server only verifies; it never asks the site anything.
 *
 * Verification is jose's; this file only chooses the key, requires the claims and turns jose's errors into
 * a reason a site owner can act on.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { KeyObject } from 'node:crypto';
import { DisplayName, RoomName, parse } from '../src/protocol/protocol.js';
import type { RoomAuthConfig } from './config.js';

/** What a verified token lets its holder do: join `room` as `sub`, under `name` when the site chose one. */
export interface RoomGrant {
  room: string;
  sub: string;
  name?: string;
  /** Unix seconds. */
  exp: number;
}

export type TokenCheck = { ok: true; grant: RoomGrant } | { ok: false; why: string };

/**
 * A token is a ticket for one call, not a login: a day ahead at most, so that a leaked one is worth little.
 * Longer calls are fine: an expired token ends nothing, it only stops new joins.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** Clocks of the site's backend and of this server disagree a little; 30 s is jose's usual allowance. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** `sub` goes into coturn usernames and logs (hashed); bounded like everything a client sends. */
const MAX_SUB_CHARS = 256;

/** A key service that does not answer must not hold joins for long; jose caches the keys it fetched. */
const JWKS_TIMEOUT_MS = 5000;

type Verifier = { key: Uint8Array | KeyObject | JWTVerifyGetKey; algorithms: string[] };

export class RoomAuth {
  readonly #verifiers: Record<string, Verifier> = {};
  readonly #audience: string | undefined;
  readonly #issuer: string | undefined;

  constructor(config: RoomAuthConfig) {
    this.#audience = config.audience ?? undefined;
    this.#issuer = config.issuer ?? undefined;
    // One key per algorithm: the token's header picks it, and an algorithm no key was configured for
    // (`none` among them) has no verifier at all.
    const jwks = config.jwksUrl && createRemoteJWKSet(config.jwksUrl, { timeoutDuration: JWKS_TIMEOUT_MS });
    if (jwks) for (const alg of ['ES256', 'RS256']) this.#verifiers[alg] = { key: jwks, algorithms: [alg] };
    if (config.publicKey) this.#verifiers[config.publicKey.algorithm] = { key: config.publicKey.key, algorithms: [config.publicKey.algorithm] };
    if (config.secret) this.#verifiers.HS256 = { key: config.secret, algorithms: ['HS256'] };
  }

  /** Checks signature and claims; `why` says in a few words what is wrong, and never repeats the token. */
  async verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<TokenCheck> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { ok: false, why: 'the token is not a JWT' };
    }
    const verifier = typeof alg === 'string' && Object.hasOwn(this.#verifiers, alg) ? this.#verifiers[alg] : undefined;
    if (!verifier) return { ok: false, why: `the token's algorithm (alg) is not one this server accepts (${Object.keys(this.#verifiers).join(', ')})` };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, verifier.key as Uint8Array, {
        algorithms: verifier.algorithms,
        audience: this.#audience,
        issuer: this.#issuer,
        requiredClaims: ['exp', 'sub', 'room'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
      }));
    } catch (error) {
      return { ok: false, why: reasonFor(error) };
    }
    const { exp, sub, room, name } = payload as { exp: number; sub: unknown; room: unknown; name?: unknown };
    if (exp - nowSeconds > MAX_TOKEN_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
      return { ok: false, why: `the token expires more than ${MAX_TOKEN_LIFETIME_SECONDS / 3600} hours ahead (exp); issue short-lived tokens` };
    }
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_CHARS) {
      return { ok: false, why: `the token's sub claim must be a string of 1-${MAX_SUB_CHARS} characters` };
    }
    if (!parse(RoomName, room).ok) return { ok: false, why: "the token's room claim is not a valid room name" };
    if (name !== undefined && !parse(DisplayName, name).ok) return { ok: false, why: "the token's name claim must be a string of at most 64 characters" };
    return { ok: true, grant: { room: room as string, sub, exp, ...(name !== undefined && { name: name as string }) } };
  }
}

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired (exp); ask the site for a fresh one';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet (nbf)';
    return `the token's ${error.claim} claim ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the site's key set matches the token (kid)";
  // A timeout, or the fetch's own error (not jose's): the key service is the problem, not the token.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
    return "the site's key set could not be fetched; try again";
  }
  return 'the token is not a valid JWT';
}

/**
 * Signs a room token with an HS256 secret: for `npm run token`, the demo's dev-only endpoint and tests. A
 * site's backend does the same with any JWT library (docs/DEPLOYMENT.md).
 */
export function signRoomToken(
  secret: string | Uint8Array,
  claims: { room: string; sub: string; name?: string; ttlSeconds?: number },
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT({ room: claims.room, ...(claims.name !== undefined && { name: claims.name }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (claims.ttlSeconds ?? 600))
    .sign(key);
}
