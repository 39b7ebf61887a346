import type { DisconnectReason, Server, Socket } from 'socket.io';
import {
  ErrorCode,
  JoinRequest,
  MAX_PAYLOAD_CHARS,
  PROTOCOL_VERSION,
  RelayedRequests,
  isRelayedEvent,
  parse,
  payloadSize,
  protocolError,
  type Ack,
  type JoinResult,
  type RelayedEvent,
  type ServerEvent,
  type ServerEventMap,
} from '../src/protocol/protocol.js';
import { clientAddress, rateLimitKey } from './client-address.js';
import { KeyedRateLimiter, TokenBucket } from './rate-limit.js';
import type { RoomAuth } from './room-auth.js';
import { RoomRegistry, describePeer, type Participant } from './rooms.js';

export interface SignalingOptions {
  /** Messages per second per connection, and the burst above it. */
  signalRate: number;
  signalBurst: number;
  /** Messages per second from all connections of one client address together, and the burst above it. */
  addressSignalRate: number;
  addressSignalBurst: number;
  /** Proxies trusted to append to `X-Forwarded-For` (see client-address.ts). */
  trustProxy: number;
  /**
   * How long a participant whose connection dropped keeps its place (and its messages) before the peer is
   * told it left. 0 announces at once.
   */
  resumeGraceMs: number;
  /** Signs resume tokens; the same secret across restarts lets participants resume after one. */
  resumeSecret?: Buffer;
  /** Set: every join needs a room token from the site (see room-auth.ts). Null: open rooms. */
  roomAuth?: RoomAuth | null;
  log?: (message: string) => void;
  /**
   * Test hook: decides when (and in which order) a relayed message reaches the peer. Tests use it to delay
   * or reorder descriptions and candidates; production servers deliver at once.
   */
  relay?: (event: RelayedEvent, payload: Record<string, unknown>, deliver: () => void) => void;
}

type AckFn = (response: Ack<Record<string, unknown>>) => void;

/** The same bound the widget puts on its `token` attribute. */
const MAX_TOKEN_CHARS = 4096;

/**
 * What is kept for a resume, per participant: a call set-up is a few dozen messages (candidates are small,
 * descriptions a few kilobytes), so these cover several while bounding what one participant costs, and what
 * a resume replays, to a quarter of a megabyte.
 */
export const MAX_KEPT_MESSAGES = 100;
export const MAX_KEPT_BYTES = 256 * 1024;

/** What the server keeps for one Socket.IO connection, as `socket.data`. */
class Connection {
  /** The participant this connection speaks for, once joined. */
  self: Participant | null = null;
  /** A join whose room token is being verified: another join must wait for its answer. */
  joining = false;
  /**
   * Refused for rate once and told so: further refusals get no answer until the bucket is full again, so a
   * client that floods (and may never read) does not make the server queue one reply per message.
   */
  quiet = false;
  warnedRate = false;
  constructor(
    readonly bucket: TokenBucket,
    /** The rate-limit key of the client's address. */
    readonly address: string,
    /** `auth.token` from the handshake: the one thing kept from it. */
    readonly token: string | undefined,
  ) {}
}

/**
 * Attaches the call-widget protocol to a Socket.IO server. Every inbound event passes the same gate: rate
 * limit (per connection and per address), size limit, schema; a client can never crash the server or reach
 * its peer with something invalid.
 */
/** What the HTTP side needs of signaling. */
export interface Signaling {
  rooms: RoomRegistry;
  /**
   * A leave beacon: removes the participant whose current resume token this is, as its `leave` would (the
   * peer gets `peer-left` with reason `left`). A token that is forged, spent, expired or of a participant
   * already gone does nothing, and the caller cannot tell the difference.
   */
  leaveWithToken(token: string): void;
}

export function attachSignaling(io: Server, options: SignalingOptions): Signaling {
  const rooms = new RoomRegistry({ resumeSecret: options.resumeSecret, restoreWindowMs: options.resumeGraceMs + 60_000 });
  const log = options.log ?? (() => {});
  const roomAuth = options.roomAuth ?? null;
  const perAddress = new KeyedRateLimiter(options.addressSignalRate, options.addressSignalBurst);

  // Runs after the origin check (app.ts), while the handshake's HTTP request is still at hand.
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (token !== undefined && (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS)) {
      return next(new Error(`invalid-token: auth.token must be a string of at most ${MAX_TOKEN_CHARS} characters`));
    }
    const address = rateLimitKey(clientAddress(socket.request, options.trustProxy));
    socket.data = new Connection(new TokenBucket(options.signalRate, options.signalBurst), address, token);
    // Everything else the client put in the handshake (auth fields, query, headers: up to the HTTP limits)
    // would otherwise be kept for the connection's whole life; nothing here reads it again.
    Object.assign(socket.handshake, { auth: {}, query: {}, headers: {}, url: '' });
    next();
  });

  // Per connection: one small state object (in `socket.data`) and two listeners shared by every connection,
  // rather than a set of closures per connection; at thousands of idle connections that is most of what the
  // server itself keeps for each (see bench/server-footprint.ts).
  io.on('connection', (socket: Socket) => {
    socket.onAny((event: unknown, ...args: unknown[]) => onEvent(socket, event, ...args));
    socket.on('disconnect', onDisconnect);
  });

  function onEvent(socket: Socket, event: unknown, ...args: unknown[]) {
    const connection = socket.data as Connection;
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as AckFn) : undefined;
    const name = String(event);
    const reply = (response: Ack<Record<string, unknown>>) => {
      if (ack) ack(response);
      else if (!response.ok) socket.emit('protocol-error', { ...response.error, event: name.slice(0, 64) });
    };
    const failed = (error: unknown) => {
      log(`error handling ${name.slice(0, 64)} from ${socket.id}: ${(error as Error).stack ?? String(error)}`);
      reply(protocolError(ErrorCode.Internal, 'The server could not handle this message.'));
    };
    try {
      if (connection.quiet && connection.bucket.isFull()) connection.quiet = false;
      // Both buckets are charged: a client with many connections is held to its address's allowance.
      if (!connection.bucket.take() || !perAddress.take(connection.address).ok) {
        if (connection.quiet) return;
        connection.quiet = true;
        if (!connection.warnedRate) log(`rate limit: ${socket.id} is sending faster than allowed`);
        connection.warnedRate = true;
        return reply(protocolError(ErrorCode.RateLimited, 'Too many messages; slow down.'));
      }
      if (args.length > 1) {
        return reply(protocolError(ErrorCode.InvalidPayload, `${name} takes one payload object`));
      }
      const payload = args[0];
      if (payloadSize(payload) > MAX_PAYLOAD_CHARS) {
        return reply(protocolError(ErrorCode.PayloadTooLarge, `Payload exceeds ${MAX_PAYLOAD_CHARS} characters.`));
      }
      if (name === 'join') return void join(socket, connection, payload).then(reply, failed);
      if (name === 'leave') {
        if (!connection.self) return reply(protocolError(ErrorCode.NotInRoom, 'Not in a room.'));
        leaveRoom(connection.self, 'left');
        connection.self = null;
        return reply({ ok: true });
      }
      if (isRelayedEvent(name)) return reply(relay(connection, name, payload));
      return reply(protocolError(ErrorCode.UnknownEvent, `Unknown event ${JSON.stringify(name.slice(0, 64))}.`));
    } catch (error) {
      failed(error);
    }
  }

  function onDisconnect(this: Socket, reason: DisconnectReason) {
    const connection = this.data as Connection;
    const participant = connection.self;
    connection.self = null;
    // Taken over by a resumed connection already, or never joined.
    if (!participant || participant.socketId !== this.id) return;
    // A client that said goodbye is gone; a connection that dropped may come back as the same participant.
    if (reason === 'client namespace disconnect' || options.resumeGraceMs === 0) return leaveRoom(participant, 'disconnected');
    holdPlace(participant);
  }

  /** `received`: the last `n` the client got; everything after it is sent again. */
  function resume(socket: Socket, connection: Connection, participant: Participant, received: number): Ack<JoinResult> {
    const previous = io.sockets.sockets.get(participant.socketId);
    participant.socketId = socket.id;
    connection.self = participant;
    if (participant.away) clearTimeout(participant.away.timer);
    participant.away = null;
    // The old connection may still look open here (its loss not noticed yet); it no longer speaks for anyone.
    const replaced = previous?.connected ?? false;
    previous?.disconnect(true);
    const { sent } = participant;
    if (sent.unaligned || received > sent.count) {
      // This server never sent those (it restarted): number what it holds after what the client has seen.
      // Comparing counts alone is not enough: a peer that returned first may have sent exactly as many
      // messages as the client had seen before the restart, and they would all pass for seen.
      sent.recent.forEach((message, i) => (message.n = received + i + 1));
      sent.count = received + sent.recent.length;
      sent.unaligned = false;
    }
    const replay = sent.recent.filter((message) => message.n > received);
    sent.recent = replay;
    sent.bytes = replay.reduce((sum, message) => sum + message.size, 0);
    // After the ack, so the client knows it resumed before the replayed messages arrive. A kept `peer-joined`
    // goes without its token: the one in this answer is newer, and the kept one has been spent.
    setImmediate(() =>
      replay.forEach(({ n, event, payload }) => {
        const { resumeToken: _spent, ...rest } = payload as { resumeToken?: string };
        socket.emit(event, { ...rest, n });
      }),
    );
    const peer = rooms.peerOf(participant);
    // The peer learns its peer is back on a new connection, and whether it displaced one still open: a resume
    // token in someone else's hands would show up here.
    if (peer && !peer.placeholder) sendTo(peer, 'peer-resumed', { peerId: participant.id, replaced });
    return {
      ok: true,
      id: participant.id,
      peer: peer ? describePeer(peer) : null,
      polite: participant.polite,
      resumeToken: rooms.tokenFor(participant),
      resumed: true,
    };
  }

  async function join(socket: Socket, connection: Connection, payload: unknown): Promise<Ack<JoinResult>> {
    // Check the version before the rest so an old client learns the real reason, not a schema detail.
    const version = (payload as { v?: unknown } | null)?.v;
    if (typeof payload === 'object' && payload !== null && version !== PROTOCOL_VERSION) {
      return protocolError(
        ErrorCode.UnsupportedVersion,
        `This server speaks protocol version ${PROTOCOL_VERSION}; the client sent ${JSON.stringify(version ?? null)}.`,
      );
    }
    const request = parse(JoinRequest, payload);
    if (!request.ok) return request;
    if (connection.self) return protocolError(ErrorCode.AlreadyJoined, `Already in room ${JSON.stringify(connection.self.room)}.`);
    if (connection.joining) return protocolError(ErrorCode.AlreadyJoined, 'A join is already under way on this connection.');
    const { room, resume: resumeToken, displayName } = request.value;
    // A resume needs no room token: the resume token was issued on a verified join, and a call must outlive
    // the room token's expiry.
    if (resumeToken) {
      const returning = rooms.resumable(resumeToken, room);
      if (returning.ok) {
        if (returning.placeholder) holdPlace(returning.placeholder);
        return resume(socket, connection, returning.participant, request.value.received ?? 0);
      }
      if (returning.rateLimited) return protocolError(ErrorCode.RateLimited, 'Too many resumes; wait a few seconds.');
      // Spent, expired, or its participant is gone: the client joins as someone new.
    }
    let who: { displayName?: string; sub?: string } = { displayName };
    if (roomAuth) {
      if (connection.token === undefined) return unauthorized('this server needs a room token from the site (auth.token)');
      connection.joining = true;
      let check;
      try {
        check = await roomAuth.verify(connection.token);
      } finally {
        connection.joining = false;
      }
      // Gone while the token was checked: nobody to seat.
      if (!socket.connected) return protocolError(ErrorCode.NotInRoom, 'The connection closed during the join.');
      if (!check.ok) return unauthorized(check.why);
      // Nothing about the room is looked at before this: a token for another room learns nothing of this one.
      if (check.grant.room !== room) return unauthorized('the token is for another room');
      // The site's name for the participant wins over what the page says.
      who = { displayName: check.grant.name ?? displayName, sub: check.grant.sub };
    }
    const outcome = rooms.join(room, socket.id, who);
    if (!outcome.ok) return protocolError(ErrorCode.RoomFull, 'This room already has two participants.');
    const self = (connection.self = outcome.self);
    if (outcome.peer) sendTo(outcome.peer, 'peer-joined', { peer: describePeer(self), resumeToken: rooms.tokenFor(outcome.peer) });
    return {
      ok: true,
      id: self.id,
      peer: outcome.peer ? describePeer(outcome.peer) : null,
      polite: self.polite,
      resumeToken: rooms.tokenFor(self),
      resumed: false,
    };
  }

  function relay({ self }: Connection, event: RelayedEvent, payload: unknown): Ack {
    if (!self) return protocolError(ErrorCode.NotInRoom, `Join a room before sending ${event}.`);
    const message = parse(RelayedRequests[event], payload);
    if (!message.ok) return message;
    const { seq, ...body } = message.value;
    // Sent again after a resume because its ack was lost with the old connection: relayed already.
    if (seq !== undefined && seq <= self.lastSeq) return { ok: true };
    const peer = rooms.peerOf(self);
    if (!peer) return protocolError(ErrorCode.NoPeer, 'Nobody else is in the room.');
    if (seq !== undefined) self.lastSeq = seq;
    // The sender's seq goes along: after a restart of this server only the receiver can tell a repeat.
    const outgoing = { ...body, from: self.id, ...(seq !== undefined && { seq }) };
    // Read the peer's connection at delivery time: it may have resumed on another one meanwhile.
    const deliver = () => sendTo(peer, event, outgoing);
    if (options.relay) options.relay(event, outgoing, deliver);
    else deliver();
    return { ok: true };
  }

  /** Keeps an absent participant's place, and its messages, for the grace period; then the peer is told. */
  function holdPlace(participant: Participant) {
    const timer = setTimeout(() => leaveRoom(participant, 'disconnected'), options.resumeGraceMs);
    // The server's own sockets keep a running process alive; a closed server's last holds must not.
    timer.unref();
    participant.away = { timer };
  }

  /**
   * Delivers to a participant, numbered, and keeps a copy for a resume: while it is away the copy is all it
   * gets; while connected, a connection that died unnoticed may swallow the message.
   */
  function sendTo<E extends ServerEvent>(participant: Participant, event: E, payload: ServerEventMap[E]) {
    const kept = participant.sent;
    const n = ++kept.count;
    const size = payloadSize(payload);
    // A quality report holds until the next one: only the latest is worth a replay, and a run of them must not
    // push the call's own messages out of what is kept.
    if (event === 'quality') {
      const earlier = kept.recent.findIndex((message) => message.event === 'quality');
      if (earlier >= 0) kept.bytes -= kept.recent.splice(earlier, 1)[0]!.size;
    }
    kept.recent.push({ n, event, payload, size });
    kept.bytes += size;
    while (kept.recent.length > MAX_KEPT_MESSAGES || kept.bytes > MAX_KEPT_BYTES) kept.bytes -= kept.recent.shift()!.size;
    // Straight to the connection: `io.to(id)` would build a broadcast (an operator, room sets, the adapter) for
    // one recipient, on every relayed message.
    if (!participant.away) io.sockets.sockets.get(participant.socketId)?.emit(event, { ...payload, n });
  }

  function leaveWithToken(token: string) {
    const participant = rooms.leaving(token);
    if (!participant) return;
    // Its connection, if still open, no longer speaks for anyone: what it sends next gets `not-in-room`, and
    // its close announces nothing more.
    const connection = io.sockets.sockets.get(participant.socketId)?.data as Connection | undefined;
    if (connection?.self === participant) connection.self = null;
    leaveRoom(participant, 'left');
  }

  function leaveRoom(participant: Participant, reason: 'left' | 'disconnected') {
    const peer = rooms.leave(participant);
    if (peer) sendTo(peer, 'peer-left', { peerId: participant.id, reason });
  }

  return { rooms, leaveWithToken };
}

const unauthorized = (why: string) => protocolError(ErrorCode.Unauthorized, `Not allowed to join: ${why}.`);
