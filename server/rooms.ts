import { randomBytes } from 'node:crypto';
import type { Peer } from '../src/protocol/protocol.js';

export interface Participant {
  id: string;
  room: string;
  /** The connection currently speaking for this participant; it changes when the participant resumes. */
  socketId: string;
  displayName?: string;
  /** Fixed at join: the opposite of the peer already present, so the two in a room never share a role. */
  polite: boolean;
  /** Secret to this participant's client: presenting it in a later join resumes this participation. */
  resumeToken: string;
  /** While the connection is gone and the participant may still come back: messages held for it, and the timer. */
  away: { held: Array<[event: string, payload: unknown]>; timer: ReturnType<typeof setTimeout> } | null;
}

export type JoinOutcome = { ok: true; self: Participant; peer: Participant | null } | { ok: false; full: true };

/** Room capacity: the widget is a 1:1 call. */
export const ROOM_CAPACITY = 2;

/** In-memory rooms: the embedded default, nothing to install. One instance per server process. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Participant[]>();
  private readonly byResumeToken = new Map<string, Participant>();

  join(room: string, socketId: string, displayName?: string): JoinOutcome {
    const members = this.rooms.get(room) ?? [];
    if (members.length >= ROOM_CAPACITY) return { ok: false, full: true };
    const peer = members[0] ?? null;
    const self: Participant = {
      id: randomBytes(9).toString('base64url'),
      room,
      socketId,
      displayName,
      polite: peer ? !peer.polite : false,
      resumeToken: randomBytes(24).toString('base64url'),
      away: null,
    };
    members.push(self);
    this.byResumeToken.set(self.resumeToken, self);
    this.rooms.set(room, members);
    return { ok: true, self, peer };
  }

  /** Removes a participant; returns the one left behind in the room, if any. */
  leave(participant: Participant): Participant | null {
    this.byResumeToken.delete(participant.resumeToken);
    if (participant.away) clearTimeout(participant.away.timer);
    participant.away = null;
    const members = this.rooms.get(participant.room);
    if (!members) return null;
    const rest = members.filter((member) => member.id !== participant.id);
    if (rest.length === 0) this.rooms.delete(participant.room);
    else this.rooms.set(participant.room, rest);
    return rest[0] ?? null;
  }

  /** The participant a resume token was issued to, while it is still in its room. */
  resumable(token: string): Participant | null {
    return this.byResumeToken.get(token) ?? null;
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
