import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Peer } from '../src/protocol/protocol.js';
import { TokenBucket } from './rate-limit.js';

export interface Participant {
  id: string;
  room: string;
  /** The connection currently speaking for this participant; it changes when the participant resumes. */
  socketId: string;
  displayName?: string;
  /** Who the site's room token says this is (`sub`); absent in open rooms. */
  sub?: string;
  /** Fixed at join: the opposite of the peer already present, so the two in a room never share a role. */
  polite: boolean;
  /**
   * The nonce of the one resume token that may bring this participant back. A resume spends it and the
   * answer carries a token with a new one, so a token that was used, or copied before it was, is worthless.
   */
  nonce: string;
  /**
   * Held for a peer after a restart of the server, on the word of the participant that returned first: no
   * connection has claimed it yet, and only a token from before the restart can.
   */
  placeholder: boolean;
  /** Resumes are cheap to ask for and each replays what is kept: a client in a loop is stopped here. */
  resumes: TokenBucket;
  /** The highest `seq` relayed for this participant: a message sent again with it or lower is a duplicate. */
  lastSeq: number;
  /**
   * Messages sent to this participant, numbered (`n`) from 1: the latest are kept (bounded in count and
   * bytes, see signaling.ts) so that those a dropped connection swallowed, or that came while it was away,
   * are sent again when it resumes.
   */
  sent: {
    count: number;
    recent: Array<{ n: number; event: string; payload: object; size: number }>;
    /** Sum of `size` over `recent`. */
    bytes: number;
    /**
     * Restored after a restart (or held for a peer that will be): this server's numbers mean nothing to the
     * client yet. On its resume, what is kept is numbered after the client's `received`, whatever the counts.
     */
    unaligned: boolean;
  };
  /** While the connection is gone and the participant may still come back: the grace timer. */
  away: { timer: ReturnType<typeof setTimeout> } | null;
}

export type JoinOutcome = { ok: true; self: Participant; peer: Participant | null } | { ok: false; full: true };

/** What a resume token may lead to. */
export type ResumeOutcome =
  | { ok: true; participant: Participant; placeholder: Participant | null }
  | { ok: false; rateLimited: boolean };

/** Room capacity: the widget is a 1:1 call. */
export const ROOM_CAPACITY = 2;

/**
 * A resume token outlives the call it was issued for by at most this much. Every resume issues a fresh one,
 * so only a call that runs this long without a single drop meets the limit (and then rejoins as new).
 */
export const RESUME_TOKEN_TTL_SECONDS = 24 * 3600;

/** Resumes per participant: a flaky network drops a few times a minute, a loop asks many times a second. */
const RESUME_RATE = 0.5;
const RESUME_BURST = 5;

/**
 * What a resume token says, signed. Short keys: the token travels in every resume.
 * r room, i participant id, p polite, n display name, s sub, q the peer it was with, b the server instance
 * that issued it, x nonce, e expiry (Unix seconds).
 */
interface ResumeClaim {
  r: string;
  i: string;
  p: boolean;
  n?: string;
  s?: string;
  q?: string;
  b: string;
  x: string;
  e: number;
}

/** `<base64url claim>.<base64url HMAC-SHA256>`, nothing else: 43 characters of MAC, a bounded body. */
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{16,960})\.([A-Za-z0-9_-]{43})$/;
const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

export interface RoomRegistryOptions {
  /** HMAC key for resume tokens; the same one after a restart lets participants be restored. */
  resumeSecret?: Buffer;
  /**
   * How long after this server started a token issued by an earlier instance may restore its participant.
   * Clients come back within seconds of a restart; after the window, such tokens are refused outright.
   */
  restoreWindowMs?: number;
  now?: () => number;
}

/** In-memory rooms: the embedded default, nothing to install. One instance per server process. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Participant[]>();
  private readonly resumeSecret: Buffer;
  /**
   * Tells this instance's tokens from an earlier one's. A participant of this instance that is not in its
   * room has left, so its token is refused without any list of who left: churn cannot push anyone out of one.
   */
  private readonly instance = randomBytes(9).toString('base64url');
  private readonly startedAt: number;
  private readonly restoreWindowMs: number;
  private readonly now: () => number;
  /**
   * Participants restored from an earlier instance's tokens: each is restored once; its later tokens are this
   * instance's. Only filled during the restore window (each entry needs a genuine token), emptied after it.
   */
  private restored: Set<string> | null = new Set();

  constructor(options: RoomRegistryOptions = {}) {
    this.resumeSecret = options.resumeSecret ?? randomBytes(32);
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.restoreWindowMs = options.restoreWindowMs ?? 90_000;
  }

  join(room: string, socketId: string, who: { displayName?: string; sub?: string } = {}): JoinOutcome {
    const members = this.rooms.get(room) ?? [];
    if (members.length >= ROOM_CAPACITY) return { ok: false, full: true };
    const peer = members[0] ?? null;
    const self = this.#admit(room, randomBytes(9).toString('base64url'), peer ? !peer.polite : false, socketId, false);
    if (who.displayName !== undefined) self.displayName = who.displayName;
    if (who.sub !== undefined) self.sub = who.sub;
    return { ok: true, self, peer };
  }

  #admit(room: string, id: string, polite: boolean, socketId: string, restored: boolean): Participant {
    const self: Participant = {
      id,
      room,
      socketId,
      polite,
      nonce: randomBytes(12).toString('base64url'),
      placeholder: false,
      resumes: new TokenBucket(RESUME_RATE, RESUME_BURST),
      lastSeq: 0,
      sent: { count: 0, recent: [], bytes: 0, unaligned: restored },
      away: null,
    };
    const members = this.rooms.get(room) ?? [];
    members.push(self);
    this.rooms.set(room, members);
    return self;
  }

  /**
   * The token that brings `participant` back: its current nonce, the peer it is with now (so that after a
   * restart its place can be held for that peer, and only that one) and a fresh expiry.
   */
  tokenFor(participant: Participant): string {
    const peer = this.peerOf(participant);
    const claim: ResumeClaim = {
      r: participant.room,
      i: participant.id,
      p: participant.polite,
      ...(participant.displayName !== undefined && { n: participant.displayName }),
      ...(participant.sub !== undefined && { s: participant.sub }),
      ...(peer && { q: peer.id }),
      b: this.instance,
      x: participant.nonce,
      e: Math.floor(this.now() / 1000) + RESUME_TOKEN_TTL_SECONDS,
    };
    const body = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.resumeSecret).update(body).digest('base64url');
  }

  /** Strictly: the exact shape, a MAC that matches, and a claim with exactly the fields it should have. */
  #verify(token: string): ResumeClaim | null {
    const match = TOKEN_SHAPE.exec(token);
    if (!match) return null;
    const [, body, mac] = match;
    if (!timingSafeEqual(Buffer.from(this.#mac(body)), Buffer.from(mac))) return null;
    let claim: unknown;
    try {
      claim = JSON.parse(Buffer.from(body, 'base64url').toString());
    } catch {
      return null;
    }
    return isClaim(claim) ? claim : null;
  }

  /**
   * The participant a resume token brings back into `room`:
   * - still here (its connection dropped, or it is resuming over one the server still thinks open), when the
   *   token carries its current nonce; the nonce is then spent, and `tokenFor` gives the next one;
   * - after a restart of the server: restored from a token of the earlier instance, once, within the restore
   *   window, when its place is free and its role not taken; or claiming the place its peer held for it.
   *
   * A restored participant in a room with nobody else also gets a `placeholder` for the peer its token names:
   * that peer lost the server too and will be back, and until then (the caller bounds how long) messages to
   * it are held rather than refused.
   */
  resumable(token: string, room: string): ResumeOutcome {
    const refused = { ok: false, rateLimited: false } as const;
    const claim = this.#verify(token);
    if (!claim || claim.r !== room || claim.e * 1000 <= this.now()) return refused;
    const fromEarlierInstance = claim.b !== this.instance;
    const restored = this.#restoredSet();
    if (fromEarlierInstance && (!restored || restored.has(claim.i))) return refused;
    const members = this.rooms.get(room) ?? [];
    const present = members.find((member) => member.id === claim.i);
    if (present) {
      const valid = present.placeholder ? fromEarlierInstance : !fromEarlierInstance && claim.x === present.nonce;
      if (!valid) return refused;
      if (!present.resumes.take()) return { ok: false, rateLimited: true };
      if (present.placeholder) {
        present.placeholder = false;
        restored!.add(present.id);
        this.#restoreNames(present, claim);
      }
      present.nonce = randomBytes(12).toString('base64url');
      return { ok: true, participant: present, placeholder: null };
    }
    // Not here: one of this instance's that left, or an earlier instance's whose place is no longer free.
    if (!fromEarlierInstance) return refused;
    if (members.length >= ROOM_CAPACITY || members.some((member) => member.polite === claim.p)) return refused;
    const participant = this.#admit(room, claim.i, claim.p, '', true);
    this.#restoreNames(participant, claim);
    participant.resumes.take();
    restored!.add(participant.id);
    const holdPeer = members.length === 0 && claim.q !== undefined && claim.q !== claim.i && !restored!.has(claim.q);
    let placeholder: Participant | null = null;
    if (holdPeer) {
      // The peer's display name comes back with its own token.
      placeholder = this.#admit(room, claim.q!, !claim.p, '', true);
      placeholder.placeholder = true;
    }
    return { ok: true, participant, placeholder };
  }

  /**
   * The participant a leave beacon (`POST /leave`) speaks for, or null. Its token is checked exactly as a
   * resume's: signature, expiry, the issuing instance, the current nonce and the participant still present (or,
   * after a restart and within the restore window, the place held for it). Nothing is restored or spent: the
   * caller removes the participant.
   */
  leaving(token: string): Participant | null {
    const claim = this.#verify(token);
    if (!claim || claim.e * 1000 <= this.now()) return null;
    const fromEarlierInstance = claim.b !== this.instance;
    const restored = this.#restoredSet();
    if (fromEarlierInstance && (!restored || restored.has(claim.i))) return null;
    const present = this.rooms.get(claim.r)?.find((member) => member.id === claim.i);
    if (!present) return null;
    const valid = present.placeholder ? fromEarlierInstance : !fromEarlierInstance && claim.x === present.nonce;
    return valid ? present : null;
  }

  #restoreNames(participant: Participant, claim: ResumeClaim) {
    if (claim.n !== undefined) participant.displayName = claim.n;
    if (claim.s !== undefined) participant.sub = claim.s;
  }

  /** The restored set while the restore window is open; null (and let go of) once it has closed. */
  #restoredSet(): Set<string> | null {
    if (this.restored && this.now() - this.startedAt > this.restoreWindowMs) this.restored = null;
    return this.restored;
  }

  /** Removes a participant; returns the one left behind in the room, if any. */
  leave(participant: Participant): Participant | null {
    // A place held for a peer that never came: its token from before the restart is spent all the same.
    if (participant.placeholder) this.#restoredSet()?.add(participant.id);
    if (participant.away) clearTimeout(participant.away.timer);
    participant.away = null;
    const members = this.rooms.get(participant.room);
    // Gone already (a beacon and the socket's own leave both came): the peer has been told once.
    if (!members?.includes(participant)) return null;
    const rest = members.filter((member) => member.id !== participant.id);
    if (rest.length === 0) this.rooms.delete(participant.room);
    else this.rooms.set(participant.room, rest);
    return rest[0] ?? null;
  }

  peerOf(participant: Participant): Participant | null {
    return this.rooms.get(participant.room)?.find((member) => member.id !== participant.id) ?? null;
  }

  get roomCount(): number {
    return this.rooms.size;
  }
}

function isClaim(value: unknown): value is ResumeClaim {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const claim = value as Record<string, unknown>;
  const known = new Set(['r', 'i', 'p', 'n', 's', 'q', 'b', 'x', 'e']);
  if (!Object.keys(claim).every((key) => known.has(key))) return false;
  const optionalString = (key: string) => claim[key] === undefined || typeof claim[key] === 'string';
  return (
    typeof claim.r === 'string' &&
    typeof claim.i === 'string' &&
    ID_SHAPE.test(claim.i) &&
    typeof claim.p === 'boolean' &&
    optionalString('n') &&
    optionalString('s') &&
    (claim.q === undefined || (typeof claim.q === 'string' && ID_SHAPE.test(claim.q))) &&
    typeof claim.b === 'string' &&
    typeof claim.x === 'string' &&
    Number.isSafeInteger(claim.e)
  );
}

export const describePeer = (participant: Participant): Peer =>
  participant.displayName === undefined
    ? { id: participant.id }
    : { id: participant.id, displayName: participant.displayName };
