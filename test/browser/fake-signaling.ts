/**
 * An in-memory signaling server for `CallSession` tests: the rules of server/rooms.ts and server/signaling.ts
 * (docs/PROTOCOL.md), without Socket.IO. Each session's `createSignaling` makes a `FakeLink`, the part of
 * `SignalingClient` a session uses. What a test controls: dropping a link and bringing it back (resumed, or
 * forgotten as after the grace period), losing chosen messages on the way, and reading what was relayed.
 *
 * Delivery takes a real macrotask, as a network hop does, so two sessions acting in the same tick cross on the
 * wire (glare) instead of one seeing the other's message first.
 */
import {
  ErrorCode,
  PROTOCOL_VERSION,
  RelayedRequests,
  parse,
  type JoinResult,
  type Peer,
  type RelayedEvent,
  type RelayedPayload,
} from '../../src/protocol/protocol.js';
import type { SignalingPort } from '../../src/core/session-options.js';
import { SignalingError, type ServerMessage, type SignalingClientOptions } from '../../src/core/signaling-client.js';

/** One relayed message as the hub accepted it: who sent it, and whether the test had it lost. */
export interface RelayRecord {
  from: string;
  /** The name of the link it came from. */
  sender: string;
  event: RelayedEvent;
  payload: Record<string, unknown>;
  lost: boolean;
}

interface Member {
  id: string;
  room: string;
  displayName?: string;
  polite: boolean;
  /** The one resume token that brings it back; spent by a resume (server/rooms.ts: single use). */
  resumeToken: string;
  link: FakeLink;
  /** Which of the link's connections speaks for it (`FakeLink.connection`): a restored link is a new one. */
  connection: number;
  /** Its link is down and the place is held (the grace period): messages for it wait here. */
  away: ServerMessage[] | null;
}

interface Queued {
  event: RelayedEvent;
  payload: Record<string, unknown> & { seq: number };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** One network hop. */
const hop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Runs `deliveries` one hop apart, in the order they were handed in, as one connection (a WebSocket) delivers
 * them. Separate `hop()`s would not keep that order: browsers clamp a timer set from deeply nested timers to
 * 4 ms, so a message sent from such a callback could arrive after one sent later from a fresh task (an offer
 * overtaking its invite, which the callee then drops as belonging to no call).
 */
class InOrder {
  #last: Promise<void> = Promise.resolve();
  run(delivery: () => void): void {
    this.#last = this.#last.then(hop).then(delivery);
  }
}

export class FakeRoomHub {
  readonly #rooms = new Map<string, Member[]>();
  readonly #links = new Map<string, FakeLink>();
  /** Every relayed message, in the order the hub accepted them. */
  readonly relayed: RelayRecord[] = [];
  /** Return true to lose a message on the way (the sender's ack still says ok, as a lossy relay would). */
  lose: (record: Omit<RelayRecord, 'lost'>) => boolean = () => false;
  #nextId = 1;

  /** A `createSignaling` for a session; its link is `link(name)` once the session started. */
  connector(name: string): (options: SignalingClientOptions) => SignalingPort {
    return (options) => {
      const link = new FakeLink(this, name, options);
      this.#links.set(name, link);
      return link;
    };
  }

  link(name: string): FakeLink {
    const link = this.#links.get(name);
    if (!link) throw new Error(`no link named ${name}`);
    return link;
  }

  /** The relayed messages of `event` (optionally from link `sender`). */
  sent(event: RelayedEvent, sender?: string): Array<Record<string, unknown>> {
    return this.relayed.filter((r) => r.event === event && (!sender || r.sender === sender)).map((r) => r.payload);
  }

  /** Members of `room`, for assertions. */
  members(room: string): Array<{ id: string; polite: boolean; away: boolean }> {
    return (this.#rooms.get(room) ?? []).map((m) => ({ id: m.id, polite: m.polite, away: m.away !== null }));
  }

  /** The grace period of `link`'s participant is over: its place is given up and the peer told. */
  expire(link: FakeLink): void {
    const member = this.#memberOf(link, true);
    if (member) this.#leave(member, 'disconnected');
  }

  // Called by FakeLink ------------------------------------------------------------------------------------

  join(link: FakeLink, request: { v: number; room: string; displayName?: string; resume?: string }): JoinResult {
    if (request.v !== PROTOCOL_VERSION) throw new SignalingError(ErrorCode.UnsupportedVersion, `This server speaks protocol ${PROTOCOL_VERSION}.`);
    if (this.#memberOf(link)) throw new SignalingError(ErrorCode.AlreadyJoined, 'Already in a room.');
    const members = this.#rooms.get(request.room) ?? [];
    if (request.resume) {
      const returning = members.find((m) => m.resumeToken === request.resume && m.away);
      if (returning) {
        const kept = returning.away!;
        returning.away = null;
        returning.link = link;
        returning.connection = link.connection;
        returning.resumeToken = this.#token(returning.id);
        const peer = this.#peerOf(returning);
        // After the ack, as the real server does: the client knows it resumed before the kept messages come.
        link.inbound.run(() => {
          for (const message of kept) link.receive(message);
        });
        if (peer && !peer.away) peer.link.inbound.run(() => peer.link.receive({ event: 'peer-resumed', payload: { peerId: returning.id, replaced: false } }));
        return { id: returning.id, peer: peer && describe(peer), polite: returning.polite, resumeToken: returning.resumeToken, resumed: true };
      }
      // A token that brings nobody back: joined as a newcomer (docs/PROTOCOL.md, "Resume").
    }
    if (members.length >= 2) throw new SignalingError(ErrorCode.RoomFull, 'This room already has two participants.');
    const peer = members[0] ?? null;
    const id = `p${this.#nextId++}`;
    // server/rooms.ts: the first in an empty room is impolite; a newcomer gets the opposite of the one there.
    const self: Member = { id, room: request.room, polite: peer ? !peer.polite : false, resumeToken: this.#token(id), link, connection: link.connection, away: null };
    if (request.displayName !== undefined) self.displayName = request.displayName;
    members.push(self);
    this.#rooms.set(request.room, members);
    if (peer) this.#deliver(peer, { event: 'peer-joined', payload: { peer: describe(self), resumeToken: (peer.resumeToken = this.#token(peer.id)) } });
    return { id, peer: peer && describe(peer), polite: self.polite, resumeToken: self.resumeToken, resumed: false };
  }

  relay(link: FakeLink, event: RelayedEvent, payload: unknown): void {
    const self = this.#memberOf(link);
    if (!self || self.away) throw new SignalingError(ErrorCode.NotInRoom, 'Join a room first.');
    const parsed = parse(RelayedRequests[event], payload);
    if (!parsed.ok) throw new SignalingError(parsed.error.code, parsed.error.message);
    const peer = this.#peerOf(self);
    if (!peer) throw new SignalingError(ErrorCode.NoPeer, 'Nobody else is in the room.');
    const record = { from: self.id, sender: link.name, event, payload: parsed.value };
    const lost = this.lose(record);
    this.relayed.push({ ...record, lost });
    if (!lost) this.#deliver(peer, { event, payload: { ...parsed.value, from: self.id } } as ServerMessage);
  }

  /** The link closed without `leave` (`close`): the server notices at once and the peer hears `peer-left`. */
  closed(link: FakeLink, reason: 'left' | 'disconnected'): void {
    const member = this.#memberOf(link);
    if (member && !member.away) this.#leave(member, reason);
  }

  /** The link dropped: the place is held, and messages for it kept, until it resumes or `expire`. */
  dropped(link: FakeLink): void {
    const member = this.#memberOf(link);
    if (member) member.away ??= [];
  }

  // -------------------------------------------------------------------------------------------------------

  /** The member `link`'s current connection speaks for; `held`: or the one it spoke for before it dropped. */
  #memberOf(link: FakeLink, held = false): Member | undefined {
    for (const members of this.#rooms.values()) {
      for (const m of members) if (m.link === link && (m.connection === link.connection || (held && m.away))) return m;
    }
    return undefined;
  }

  #peerOf(self: Member): Member | null {
    return this.#rooms.get(self.room)?.find((m) => m !== self) ?? null;
  }

  #leave(member: Member, reason: 'left' | 'disconnected'): void {
    const rest = (this.#rooms.get(member.room) ?? []).filter((m) => m !== member);
    if (rest.length) this.#rooms.set(member.room, rest);
    else this.#rooms.delete(member.room);
    for (const peer of rest) this.#deliver(peer, { event: 'peer-left', payload: { peerId: member.id, reason } });
  }

  #deliver(to: Member, message: ServerMessage): void {
    if (to.away) return void to.away.push(message);
    const link = to.link;
    link.inbound.run(() => (to.away ? to.away.push(message) : link.receive(message)));
  }

  #token(id: string): string {
    return `${id}.${crypto.randomUUID()}`;
  }
}

const describe = (m: Member): Peer => (m.displayName === undefined ? { id: m.id } : { id: m.id, displayName: m.displayName });

/** A session's connection to the hub: `SignalingPort`, plus `drop` and `restore` for the test. */
export class FakeLink implements SignalingPort {
  readonly name: string;
  readonly #hub: FakeRoomHub;
  readonly #options: SignalingClientOptions;
  #connected = false;
  #everConnected = false;
  #inRoom = false;
  #closed = false;
  #seq = 0;
  #connection = 0;
  /** Relayed messages sent while the link is down, waiting for the resume (as `SignalingClient`'s outbox). */
  #outbox: Queued[] = [];
  /** Every message this link handed to its session. */
  readonly received: ServerMessage[] = [];
  /** What the hub sends this link, delivered in order. */
  readonly inbound = new InOrder();

  constructor(hub: FakeRoomHub, name: string, options: SignalingClientOptions) {
    this.#hub = hub;
    this.name = name;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Counts the link's connections: each `restore` is a new one, as a Socket.IO reconnect is. */
  get connection(): number {
    return this.#connection;
  }

  /** Messages of `event` this link delivered to its session. */
  got(event: ServerMessage['event']): Array<Record<string, unknown>> {
    return this.received.filter((m) => m.event === event).map((m) => m.payload as Record<string, unknown>);
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new SignalingError(ErrorCode.SignalingUnreachable, 'Closed.');
    await hop();
    this.#connected = this.#everConnected = true;
  }

  async join(room: string, displayName?: string, resume?: string): Promise<JoinResult> {
    await hop();
    if (!this.#connected) throw new SignalingError(ErrorCode.SignalingLost, 'The call server did not answer join in time.');
    const result = this.#hub.join(this, { v: PROTOCOL_VERSION, room, ...(displayName && { displayName }), ...(resume && { resume }) });
    this.#inRoom = true;
    for (const item of this.#outbox.splice(0)) {
      if (result.resumed) this.#deliver(item);
      else item.reject(new SignalingError(ErrorCode.NotInRoom, 'The call server forgot this participant while the link was down.'));
    }
    return result;
  }

  send<E extends RelayedEvent>(event: E, payload: RelayedPayload<E>): Promise<unknown> {
    return new Promise((resolve, reject) => this.#deliver({ event, payload: { ...payload, seq: ++this.#seq }, resolve, reject }));
  }

  #deliver(item: Queued): void {
    if (!this.#inRoom || !this.#connected) return void this.#outbox.push(item);
    try {
      this.#hub.relay(this, item.event, item.payload);
    } catch (error) {
      return void hop().then(() => item.reject(error));
    }
    void hop().then(() => item.resolve({ ok: true }));
  }

  discard(callId: string): boolean {
    let invite = false;
    this.#outbox = this.#outbox.filter((item) => {
      if (item.payload.callId !== callId) return true;
      invite ||= item.event === 'invite';
      item.reject(new SignalingError(ErrorCode.SignalingLost, 'The call ended before the link came back.'));
      return false;
    });
    return invite;
  }

  setToken(): void {}

  leaveNow(): void {
    if (this.#connected) this.#hub.closed(this, 'left');
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of this.#outbox.splice(0)) item.reject(new SignalingError(ErrorCode.SignalingLost, 'Signaling closed.'));
    // A client that closes its socket is gone at once (server/signaling.ts: `client namespace disconnect`).
    if (this.#connected) this.#hub.closed(this, 'disconnected');
    this.#connected = this.#inRoom = false;
  }

  // For the test ------------------------------------------------------------------------------------------

  /** The link drops (a network blip): the session hears `onDisconnect`; the server holds its place. */
  drop(): void {
    if (!this.#connected) return;
    this.#connected = this.#inRoom = false;
    this.#hub.dropped(this);
    this.#options.onDisconnect('transport close');
  }

  /**
   * The link is back; the session rejoins with its resume token. `resumed: false`: the grace period ended
   * first, so the server gave the place up (the peer heard `peer-left`) and the rejoin is a newcomer's.
   */
  async restore({ resumed }: { resumed: boolean }): Promise<void> {
    if (this.#connected || this.#closed || !this.#everConnected) return;
    if (!resumed) this.#hub.expire(this);
    await hop();
    this.#connection++;
    this.#connected = true;
    this.#options.onReconnect();
  }

  receive(message: ServerMessage): void {
    if (this.#closed || !this.#connected) return;
    this.received.push(message);
    this.#options.onMessage(message);
  }
}
