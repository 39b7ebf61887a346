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
} from '../src/protocol/protocol.js';
import { TokenBucket } from './rate-limit.js';
import { RoomRegistry, describePeer, type Participant } from './rooms.js';

export interface SignalingOptions {
  signalRate: number;
  signalBurst: number;
  /**
   * How long a participant whose connection dropped keeps its place (and its messages) before the peer is
   * told it left. 0 announces at once.
   */
  resumeGraceMs: number;
  /** Signs resume tokens; the same secret across restarts lets participants resume after one. */
  resumeSecret?: Buffer;
  log?: (message: string) => void;
  /**
   * Test hook: decides when (and in which order) a relayed message reaches the peer. Tests use it to delay
   * or reorder descriptions and candidates; production servers deliver at once.
   */
  relay?: (event: RelayedEvent, payload: Record<string, unknown>, deliver: () => void) => void;
}

type AckFn = (response: Ack<Record<string, unknown>>) => void;

/** What the server keeps for one Socket.IO connection, as `socket.data`. */
class Connection {
  /** The participant this connection speaks for, once joined. */
  self: Participant | null = null;
  warnedRate = false;
  constructor(readonly bucket: TokenBucket) {}
}

/**
 * Attaches the call-widget protocol to a Socket.IO server. Every inbound event passes the same gate: rate
 * limit, size limit, schema; a client can never crash the server or reach its peer with something invalid.
 */
export function attachSignaling(io: Server, options: SignalingOptions): RoomRegistry {
  const rooms = new RoomRegistry(options.resumeSecret);
  const log = options.log ?? (() => {});

  // Per connection: one small state object (in `socket.data`) and two listeners shared by every connection,
  // rather than a set of closures per connection; at thousands of idle connections that is most of what the
  // server itself keeps for each (see bench/server-footprint.ts).
  io.on('connection', (socket: Socket) => {
    socket.data = new Connection(new TokenBucket(options.signalRate, options.signalBurst));
    socket.onAny(onEvent);
    socket.on('disconnect', onDisconnect);
  });

  function onEvent(this: Socket, event: unknown, ...args: unknown[]) {
    const socket = this;
    const connection = socket.data as Connection;
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as AckFn) : undefined;
    const name = String(event);
    const reply = (response: Ack<Record<string, unknown>>) => {
      if (ack) ack(response);
      else if (!response.ok) socket.emit('protocol-error', { ...response.error, event: name.slice(0, 64) });
    };
    try {
      if (!connection.bucket.take()) {
        if (!connection.warnedRate) log(`rate limit: ${socket.id} is sending faster than ${options.signalRate}/s`);
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
      if (name === 'join') return reply(join(socket, connection, payload));
      if (name === 'leave') {
        if (!connection.self) return reply(protocolError(ErrorCode.NotInRoom, 'Not in a room.'));
        leaveRoom(connection.self, 'left');
        connection.self = null;
        return reply({ ok: true });
      }
      if (isRelayedEvent(name)) return reply(relay(connection, name, payload));
      return reply(protocolError(ErrorCode.UnknownEvent, `Unknown event ${JSON.stringify(name.slice(0, 64))}.`));
    } catch (error) {
      log(`error handling ${name.slice(0, 64)} from ${socket.id}: ${(error as Error).stack ?? error}`);
      reply(protocolError(ErrorCode.Internal, 'The server could not handle this message.'));
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
    const previous = participant.socketId;
    participant.socketId = socket.id;
    connection.self = participant;
    if (participant.away) clearTimeout(participant.away.timer);
    participant.away = null;
    // The old connection may still look open here (its loss not noticed yet); it no longer speaks for anyone.
    io.sockets.sockets.get(previous)?.disconnect(true);
    const { sent } = participant;
    if (sent.unaligned || received > sent.count) {
      // This server never sent those (it restarted): number what it holds after what the client has seen.
      // Comparing counts alone is not enough: a peer that returned first may have sent exactly as many
      // messages as the client had seen before the restart, and they would all pass for seen.
      sent.recent.forEach((message, i) => (message.n = received + i + 1));
      sent.count = received + sent.recent.length;
      sent.unaligned = false;
    }
    sent.recent = sent.recent.filter((message) => message.n > received);
    const replay = [...sent.recent];
    // After the ack, so the client knows it resumed before the replayed messages arrive.
    setImmediate(() => replay.forEach(({ n, event, payload }) => socket.emit(event, { ...payload, n })));
    const peer = rooms.peerOf(participant);
    return {
      ok: true,
      id: participant.id,
      peer: peer ? describePeer(peer) : null,
      polite: participant.polite,
      resumeToken: participant.resumeToken,
      resumed: true,
    };
  }

  function join(socket: Socket, connection: Connection, payload: unknown): Ack<JoinResult> {
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
    const returning = request.value.resume ? rooms.resumable(request.value.resume, request.value.room, request.value.peerId) : null;
    if (returning?.placeholder) holdPlace(returning.placeholder);
    if (returning) return resume(socket, connection, returning.participant, request.value.received ?? 0);
    const outcome = rooms.join(request.value.room, socket.id, request.value.displayName);
    if (!outcome.ok) return protocolError(ErrorCode.RoomFull, 'This room already has two participants.');
    const self = (connection.self = outcome.self);
    if (outcome.peer) sendTo(outcome.peer, 'peer-joined', { peer: describePeer(self) });
    return {
      ok: true,
      id: self.id,
      peer: outcome.peer ? describePeer(outcome.peer) : null,
      polite: self.polite,
      resumeToken: self.resumeToken,
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
    participant.away = { timer: setTimeout(() => leaveRoom(participant, 'disconnected'), options.resumeGraceMs) };
  }

  /**
   * Delivers to a participant, numbered, and keeps a copy for a resume: while it is away the copy is all it
   * gets; while connected, a connection that died unnoticed may swallow the message.
   */
  function sendTo(participant: Participant, event: string, payload: object) {
    const n = ++participant.sent.count;
    participant.sent.recent.push({ n, event, payload });
    if (participant.sent.recent.length > MAX_KEPT_MESSAGES) participant.sent.recent.shift();
    // Straight to the connection: \`io.to(id)\` would build a broadcast (an operator, room sets, the adapter) for
    // one recipient, on every relayed message.
    if (!participant.away) io.sockets.sockets.get(participant.socketId)?.emit(event, { ...payload, n });
  }

  function leaveRoom(participant: Participant, reason: 'left' | 'disconnected') {
    const peer = rooms.leave(participant);
    if (peer) sendTo(peer, 'peer-left', { peerId: participant.id, reason });
  }

  return rooms;
}

/**
 * A call set-up is a few dozen messages; this many kept for a resume covers several, and bounds the memory a
 * participant costs (candidates are small, descriptions a few kilobytes).
 */
const MAX_KEPT_MESSAGES = 200;
