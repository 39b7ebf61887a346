import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Peer } from '../src/protocol/protocol.js';

export interface Participant {
  id: string;
  room: string;
  /** The connection currently speaking for this participant; it changes when the participant resumes. */
  socketId: string;
  displayName?: string;
  /** Fixed at join: the opposite of the peer already present, so the two in a room never share a role. */
  polite: boolean;
  /**
   * Secret to this participant's client: presenting it in a later join resumes this participation. Signed,
   * so a server restarted with the same RESUME_SECRET can restore a participant it has no record of.
   */
  resumeToken: string;
  /** The highest `seq` relayed for this participant: a message sent again with it or lower is a duplicate. */
  lastSeq: number;
  /**
   * Messages sent to this participant, numbered (`n`) from 1: the latest are kept (bounded) so that those a
   * dropped connection swallowed, or that came while it was away, are sent again when it resumes.
   */
  sent: {
    count: number;
    recent: Array<{ n: number; event: string; payload: object }>;
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

/** Room capacity: the widget is a 1:1 call. */
export const ROOM_CAPACITY = 2;

/** What a resume token says about its participant. */
interface ResumeClaim {
  r: string;
  i: string;
  p: boolean;
  n?: string;
}

/** Ids of participants that left, so their tokens cannot bring them back; bounded, oldest forgotten first. */
const MAX_DEPARTED = 10_000;

/** In-memory rooms: the embedded default, nothing to install. One instance per server process. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Participant[]>();
  private readonly departed = new Set<string>();

  constructor(private readonly resumeSecret: Buffer = randomBytes(32)) {}

  join(room: string, socketId: string, displayName?: string): JoinOutcome {
    const members = this.rooms.get(room) ?? [];
    if (members.length >= ROOM_CAPACITY) return { ok: false, full: true };
    const peer = members[0] ?? null;
    const claim: ResumeClaim = { r: room, i: randomBytes(9).toString('base64url'), p: peer ? !peer.polite : false, ...(displayName !== undefined && { n: displayName }) };
    const self = this.#admit(claim, socketId);
    return { ok: true, self, peer };
  }

  #admit(claim: ResumeClaim, socketId: string, restored = false): Participant {
    const self: Participant = {
      id: claim.i,
      room: claim.r,
      socketId,
      displayName: claim.n,
      polite: claim.p,
      resumeToken: this.#sign(claim),
      lastSeq: 0,
      sent: { count: 0, recent: [], unaligned: restored },
      away: null,
    };
    const members = this.rooms.get(claim.r) ?? [];
    members.push(self);
    this.rooms.set(claim.r, members);
    return self;
  }

  #sign(claim: ResumeClaim): string {
    const body = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.resumeSecret).update(body).digest('base64url');
  }

  #verify(token: string): ResumeClaim | null {
    const [body, mac] = token.split('.');
    if (!body || !mac) return null;
    const expected = Buffer.from(this.#mac(body));
    if (expected.length !== mac.length || !timingSafeEqual(expected, Buffer.from(mac))) return null;
    try {
      const claim = JSON.parse(Buffer.from(body, 'base64url').toString()) as ResumeClaim;
      return typeof claim.r === 'string' && typeof claim.i === 'string' && typeof claim.p === 'boolean' ? claim : null;
    } catch {
      return null;
    }
  }

  /** Removes a participant; returns the one left behind in the room, if any. */
  leave(participant: Participant): Participant | null {
    this.departed.add(participant.id);
    if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.values().next().value!);
    if (participant.away) clearTimeout(participant.away.timer);
    participant.away = null;
    const members = this.rooms.get(participant.room);
    if (!members) return null;
    const rest = members.filter((member) => member.id !== participant.id);
    if (rest.length === 0) this.rooms.delete(participant.room);
    else this.rooms.set(participant.room, rest);
    return rest[0] ?? null;
  }

  /**
   * The participant a resume token was issued to, for a join into `room`: still here (its connection
   * dropped, or its place held by the peer after a restart), or restored after a server restart when its
   * place is free and its role not taken. Null for a forged token, another room, or a participant that left.
   *
   * A restored participant that names the peer it was with (`peerId`), in a room with nobody else, also
   * gets a `placeholder` for that peer: the peer lost the server too and will be back, and until then (the
   * caller bounds how long) messages to it are held rather than refused.
   */
  resumable(token: string, room: string, peerId?: string): { participant: Participant; placeholder: Participant | null } | null {
    const claim = this.#verify(token);
    if (!claim || claim.r !== room || this.departed.has(claim.i)) return null;
    const members = this.rooms.get(room) ?? [];
    const present = members.find((member) => member.id === claim.i);
    if (present) {
      present.displayName ??= claim.n;
      return { participant: present, placeholder: null };
    }
    if (members.length >= ROOM_CAPACITY || members.some((member) => member.polite === claim.p)) return null;
    const participant = this.#admit(claim, '', true);
    const holdPeer = members.length === 0 && peerId !== undefined && peerId !== claim.i && !this.departed.has(peerId);
    // The peer's display name comes back with its own token.
    const placeholder = holdPeer ? this.#admit({ r: room, i: peerId, p: !claim.p }, '', true) : null;
    return { participant, placeholder };
  }

  peerOf(participant: Participant): Participant | null {
    return this.rooms.get(participant.room)?.find((member) => member.id !== participant.id) ?? null;
  }

  get roomCount(): number {
    return this.rooms.size;
  }
}

export const describePeer = (participant: Participant): Peer =>
  participant.displayName === undefined
    ? { id: participant.id }
    : { id: participant.id, displayName: participant.displayName };
