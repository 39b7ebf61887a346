import { randomBytes } from 'node:crypto';
import type { Peer } from '../src/protocol/protocol.js';

export interface Participant {
  id: string;
  room: string;
  socketId: string;
  displayName?: string;
  /** Fixed at join: the opposite of the peer already present, so the two in a room never share a role. */
  polite: boolean;
}

export type JoinOutcome = { ok: true; self: Participant; peer: Participant | null } | { ok: false; full: true };

/** Room capacity: the widget is a 1:1 call. */
export const ROOM_CAPACITY = 2;

/** In-memory rooms: the embedded default, nothing to install. One instance per server process. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Participant[]>();

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
    };
    members.push(self);
    this.rooms.set(room, members);
    return { ok: true, self, peer };
  }

  /** Removes a participant; returns the one left behind in the room, if any. */
  leave(participant: Participant): Participant | null {
    const members = this.rooms.get(participant.room);
    if (!members) return null;
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

export const describePeer = (participant: Participant): Peer =>
  participant.displayName === undefined
    ? { id: participant.id }
    : { id: participant.id, displayName: participant.displayName };
