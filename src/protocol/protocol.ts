/**
 * The call-widget signaling protocol: the one definition of every Socket.IO event, its payload and its
 * validation, imported by the widget and by the reference server alike. docs/PROTOCOL.md describes it
 * in prose for implementers in other languages; the two must change together.
 */
import * as v from 'valibot';

/** Sent by the client in `join`; a server that speaks another version answers `unsupported-version`. */
export const PROTOCOL_VERSION = 1;

/**
 * Largest serialized payload accepted for one event. An SDP for audio+video with simulcast stays well under
 * 16 KB; 64 KB leaves room for many codecs and still keeps a flood cheap to reject.
 */
export const MAX_PAYLOAD_CHARS = 64 * 1024;

/** Every error code that can appear in an ack, a `protocol-error` event or a widget `call-error`. */
export const ErrorCode = {
  // Sent by the server.
  InvalidPayload: 'invalid-payload',
  PayloadTooLarge: 'payload-too-large',
  UnknownEvent: 'unknown-event',
  UnsupportedVersion: 'unsupported-version',
  NotInRoom: 'not-in-room',
  AlreadyJoined: 'already-joined',
  RoomFull: 'room-full',
  NoPeer: 'no-peer',
  RateLimited: 'rate-limited',
  /** Room auth is on and the join's token is missing, invalid, expired or for another room. */
  Unauthorized: 'unauthorized',
  Internal: 'internal',
  // Raised by the widget itself.
  InvalidAttribute: 'invalid-attribute',
  SignalingUnreachable: 'signaling-unreachable',
  SignalingLost: 'signaling-lost',
  PermissionDenied: 'permission-denied',
  NoDevices: 'no-devices',
  DeviceInUse: 'device-in-use',
  InsecureContext: 'insecure-context',
  MediaError: 'media-error',
  IceServersUnavailable: 'ice-servers-unavailable',
  IceFailed: 'ice-failed',
  NetworkLost: 'network-lost',
  NegotiationFailed: 'negotiation-failed',
  Protocol: 'protocol',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

/** The shape of every ack: success with a result, or a failure the sender can show or act on. */
export type Ack<T = object> = ({ ok: true } & T) | { ok: false; error: ProtocolError };

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const boundedString = (max: number, what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.maxLength(max, `${what} must be at most ${max} characters`));

/** Room names appear in URLs and logs, so they are restricted to characters that need no escaping. */
export const RoomName = v.pipe(
  v.string('room must be a string'),
  v.regex(/^[A-Za-z0-9._~:-]{1,128}$/, 'room must be 1-128 characters of A-Z a-z 0-9 . _ ~ : -'),
);

export const ParticipantId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid participant id'));

/** Chosen by the caller for each call so that late messages of an earlier call can be told apart. */
export const CallId = v.pipe(
  v.string('callId must be a string'),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'callId must be 1-64 characters of A-Z a-z 0-9 _ -'),
);

export const DisplayName = boundedString(64, 'displayName');

/** The caller's ring timeout in ms, as the `invite` carries it: 1 s to 10 min. */
export const RingTimeout = v.pipe(v.number('ringTimeout must be a number'), v.integer(), v.minValue(1000), v.maxValue(600_000));

export const MediaKind = v.picklist(['video', 'audio'], 'media must be "video" or "audio"');
export type MediaKind = v.InferOutput<typeof MediaKind>;

export const SessionDescription = v.object({
  type: v.picklist(['offer', 'answer'], 'description.type must be "offer" or "answer"'),
  sdp: boundedString(MAX_PAYLOAD_CHARS - 1024, 'description.sdp'),
});

/** `RTCIceCandidateInit`; an empty `candidate` string is the end-of-candidates marker. */
export const IceCandidate = v.object({
  candidate: boundedString(1024, 'candidate.candidate'),
  sdpMid: v.optional(v.nullable(boundedString(64, 'candidate.sdpMid'))),
  sdpMLineIndex: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1024)))),
  usernameFragment: v.optional(v.nullable(boundedString(256, 'candidate.usernameFragment'))),
});

/**
 * Which peer connection of a call a description or candidate belongs to: 0 for the first, one more for each
 * rebuild after a network failure. A higher generation tells the receiver to rebuild too.
 */
export const Generation = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000));

/** A score on the MOS scale (1-4.5), or null when there is none (`quality`). */
const QualityScore = v.nullable(v.pipe(v.number(), v.minValue(1), v.maxValue(4.5)));

const Peer = v.object({ id: ParticipantId, displayName: v.optional(DisplayName) });
export type Peer = v.InferOutput<typeof Peer>;

// ---------------------------------------------------------------------------------------------------------
// Client to server

/** Proves a returning client is the participant it was: handed out in the join ack, secret to that client. */
export const ResumeToken = v.pipe(v.string('resume must be a string'), v.regex(/^[A-Za-z0-9_.-]{16,1024}$/, 'resume is not a resume token'));

export const JoinRequest = v.object({
  v: v.pipe(v.number('v (protocol version) must be a number'), v.integer()),
  room: RoomName,
  displayName: v.optional(DisplayName),
  /** Rejoin as the participant this token was issued to, after the connection dropped. */
  resume: v.optional(ResumeToken),
  /**
   * Ignored: servers before resume tokens named their peer took it from here. The token names the peer now
   * (signed), so a client can no longer make up a participant.
   */
  peerId: v.optional(ParticipantId),
  /** With `resume`: the `n` of the last server message received; the server sends those after it again. */
  received: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))),
});
export type JoinRequest = v.InferOutput<typeof JoinRequest>;

export const JoinResult = v.object({
  id: ParticipantId,
  /** The participant already in the room, if any. */
  peer: v.nullable(Peer),
  /** Role in perfect negotiation: the polite side yields when both send an offer at once. */
  polite: v.boolean(),
  /**
   * Send it as `resume` in a later join to come back as this participant within the grace period. Single use:
   * a resume answers with a new one, and a later `peer-joined` may bring a newer one (keep the latest).
   */
  resumeToken: ResumeToken,
  /** True when the join resumed an earlier participation: same id, role and peer; nothing was announced. */
  resumed: v.boolean(),
});
export type JoinResult = v.InferOutput<typeof JoinResult>;

export const LeaveRequest = v.optional(v.object({}));

// ---------------------------------------------------------------------------------------------------------
// HTTP: POST /leave, the leave that survives the page going away

/**
 * Where a page that is going away says it left: `navigator.sendBeacon(new URL(LEAVE_PATH, signalingUrl),
 * resumeToken)`. A beacon still goes out after the browser has closed the page's WebSocket (Firefox does
 * that before `pagehide`), where a `leave` on the socket would be lost and the peer would wait out the grace.
 */
export const LEAVE_PATH = '/leave';

/**
 * The body of `POST /leave`, as `text/plain`: the participant's current resume token (the latest of the join
 * ack, `peer-joined` and resume acks), nothing around it. A string body is what `sendBeacon` sends without a
 * CORS preflight.
 */
export const LeaveBeacon = ResumeToken;

/** The largest body `POST /leave` reads: a resume token is at most 1024 characters. */
export const MAX_LEAVE_BEACON_BYTES = 2048;

/**
 * Messages the server relays verbatim (after validation, unknown fields dropped) to the other participant
 * of the sender's room, adding `from`. Call control first, then the negotiation itself.
 */
export const RelayedMessages = {
  /**
   * `ringTimeout`: how long the caller lets it ring, in ms. The caller owns the ring timeout; the callee stops
   * ringing a little after it (in case the `cancel` is lost) and then says so with `decline` `no-answer`.
   */
  invite: v.object({ callId: CallId, media: MediaKind, ringTimeout: v.optional(RingTimeout) }),
  /**
   * `media`: what the callee takes part with. `audio` (its own `media`, or a camera that is missing or
   * blocked) means no video either way: the caller stops offering it. Absent means the invite's media.
   */
  accept: v.object({ callId: CallId, media: v.optional(MediaKind) }),
  /**
   * `no-answer`: the callee stopped ringing on its own (the caller's `cancel` never came). `media-failed`: the
   * callee cannot take part (no microphone, or access refused).
   */
  decline: v.object({ callId: CallId, reason: v.optional(v.picklist(['declined', 'busy', 'no-answer', 'media-failed'])) }),
  cancel: v.object({ callId: CallId, reason: v.optional(v.picklist(['canceled', 'no-answer', 'media-failed'])) }),
  /**
   * `ice-failed`: this side found no network path, so the other side fails the call too. `network`: media was
   * lost and not restored within the sender's reconnect window. `media-failed`: this side's microphone or
   * camera failed after accepting. `error`: any other failure of this side (negotiation, protocol).
   */
  hangup: v.object({ callId: CallId, reason: v.optional(v.picklist(['hangup', 'ice-failed', 'network', 'media-failed', 'error'])) }),
  /**
   * What the sender's microphone and camera do now: `muted` (it sends silence), `cameraOff` (it sends no video,
   * so the receiver stops expecting frames and shows the sender's name instead). Sent once the call is
   * accepted, and again on every change; the latest one holds.
   */
  'media-state': v.object({ callId: CallId, muted: v.boolean(), cameraOff: v.boolean() }),
  /**
   * How the sender receives the call: its `level` (0-5 bars, null while unknown), `mos` (the score the level is
   * read from) and the `audio` and `video` scores (1-4.5, null when there is nothing to judge), `reasons` (what it
   * measures: `loss`, `delay`), and of what it sends: `limitation` (the browser holds its video back for `cpu`
   * or `bandwidth`), `pixels` and `fps` of its outbound video. Sent when one of them changes, at most once a
   * second; the latest holds.
   */
  quality: v.object({
    callId: CallId,
    level: v.nullable(v.picklist([0, 1, 2, 3, 4, 5])),
    mos: QualityScore,
    audio: QualityScore,
    video: QualityScore,
    reasons: v.pipe(
      v.array(v.picklist(['loss', 'delay'])),
      v.check((reasons) => new Set(reasons).size === reasons.length, 'reasons must not repeat'),
    ),
    limitation: v.optional(v.picklist(['cpu', 'bandwidth'])),
    /** Up to 8K (7680 × 4320): more than any camera sends, and a claim past it would cost our score. */
    pixels: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(33_177_600))),
    fps: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1000))),
  }),
  description: v.object({ callId: CallId, generation: v.optional(Generation), description: SessionDescription }),
  candidate: v.object({ callId: CallId, generation: v.optional(Generation), candidate: IceCandidate }),
} as const;
/**
 * Every relayed message may carry `seq`, numbered from 1 by its sender and growing by one per message for as
 * long as it is the same participant (across resumes). A message whose ack was lost with the connection is
 * sent again after the resume; the server relays a `seq` it has seen from that participant only once, and
 * passes it on with the message (see `Relayed`).
 */
const SequenceNumber = v.pipe(v.number('seq must be a number'), v.integer('seq must be an integer'), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
export type RelayedEvent = keyof typeof RelayedMessages;
export type RelayedPayload<E extends RelayedEvent> = v.InferOutput<(typeof RelayedMessages)[E]>;

export const RELAYED_EVENTS = Object.keys(RelayedMessages) as RelayedEvent[];

export const isRelayedEvent = (name: string): name is RelayedEvent =>
  Object.prototype.hasOwnProperty.call(RelayedMessages, name);

/**
 * Each of `schemas` with `extra` fields added, keeping every schema's own type: what `Object.fromEntries`
 * would build, without widening it to a record of anything.
 */
function extendEach<M extends Record<string, v.ObjectSchema<v.ObjectEntries, undefined>>, X extends v.ObjectEntries>(
  schemas: M,
  extra: X,
): { [K in keyof M]: v.ObjectSchema<M[K]['entries'] & X, undefined> } {
  const extended: Record<string, v.ObjectSchema<v.ObjectEntries, undefined>> = {};
  for (const [name, schema] of Object.entries(schemas)) extended[name] = v.object({ ...schema.entries, ...extra });
  return extended as { [K in keyof M]: v.ObjectSchema<M[K]['entries'] & X, undefined> };
}

/** A relayed message as its sender sends it: the payload and its optional `seq`, in one schema per event. */
export const RelayedRequests = /* @__PURE__ */ extendEach(RelayedMessages, { seq: v.optional(SequenceNumber) });
export type RelayedRequest<E extends RelayedEvent> = v.InferOutput<(typeof RelayedRequests)[E]>;

// ---------------------------------------------------------------------------------------------------------
// Server to client

/**
 * `resumeToken`: a fresh token for the participant told, naming the newcomer as its peer (so that after a
 * restart of the server its place can be held for that peer). The previous token stays valid too.
 */
export const PeerJoined = v.object({ peer: Peer, resumeToken: v.optional(ResumeToken) });
export type PeerJoined = v.InferOutput<typeof PeerJoined>;

export const PeerLeft = v.object({
  peerId: ParticipantId,
  reason: v.picklist(['left', 'disconnected']),
});
export type PeerLeft = v.InferOutput<typeof PeerLeft>;

/**
 * The peer came back on a new connection (a resume). `replaced`: its previous connection was still open, so
 * either the network moved under it, or someone else holds its resume token: the widget logs it.
 */
export const PeerResumed = v.object({ peerId: ParticipantId, replaced: v.boolean() });
export type PeerResumed = v.InferOutput<typeof PeerResumed>;

/**
 * `code` is any string: a newer server may send codes this client does not know, and they are still worth
 * showing.
 */
export const ProtocolErrorEvent = v.object({
  code: v.string(),
  message: v.string(),
  event: v.optional(v.string()),
});
export type ProtocolErrorEvent = v.InferOutput<typeof ProtocolErrorEvent>;

/**
 * `n` on what the server sends a participant (all but `protocol-error`): numbered from 1, one more per
 * message. The client gives the last it received when it resumes, and the server sends what came after again;
 * so a client may see an `n` twice, and drops the second.
 */
export const DeliveryNumber = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));
const numbered = <T extends v.ObjectEntries>(schema: v.ObjectSchema<T, undefined>) => v.object({ ...schema.entries, n: v.optional(DeliveryNumber) });

/** Incoming (server to client) events and their schemas, for the widget's validation. */
export const ServerMessages = {
  'peer-joined': numbered(PeerJoined),
  'peer-left': numbered(PeerLeft),
  'peer-resumed': numbered(PeerResumed),
  'protocol-error': ProtocolErrorEvent,
  // What the receiving side of a relayed message gets: the payload plus the sender's participant id, and
  // the sender's `seq` when it sent one.
  ...(/* @__PURE__ */ extendEach(RelayedMessages, { from: ParticipantId, seq: v.optional(SequenceNumber), n: v.optional(DeliveryNumber) })),
};
export type ServerEvent = keyof typeof ServerMessages;

/**
 * Each server event's payload as the widget handles it: validated, and without the delivery number `n`,
 * which the signaling client consumes (see `DeliveryNumber`).
 */
export type ServerEventMap = { [E in ServerEvent]: Omit<v.InferOutput<(typeof ServerMessages)[E]>, 'n'> };
export type ServerMessage = { [E in ServerEvent]: { event: E; payload: ServerEventMap[E] } }[ServerEvent];

/**
 * A relayed message as its receiver gets it. A server that restarted cannot know which `seq`s it relayed
 * before, so the receiver drops a `seq` from the same sender it has had already.
 */
export type Relayed<E extends RelayedEvent> = ServerEventMap[E];

// ---------------------------------------------------------------------------------------------------------
// HTTP: GET /ice-servers, and the widget's `ice-servers` attribute

const IceUrl = v.pipe(
  v.string('an ICE server URL must be a string'),
  v.regex(/^(stun|stuns|turn|turns):\S+$/, 'must be a stun:, stuns:, turn: or turns: URL'),
);

/** `RTCIceServer`, with the rule browsers enforce up front: a TURN server needs a username and credential. */
export const IceServer = v.pipe(
  v.object({
    urls: v.union([IceUrl, v.pipe(v.array(IceUrl), v.minLength(1, 'urls must not be empty'))], 'urls must be a URL or an array of URLs'),
    username: v.optional(boundedString(512, 'username')),
    credential: v.optional(boundedString(512, 'credential')),
  }),
  v.check(
    (server) =>
      ![server.urls].flat().some((url) => url.startsWith('turn')) ||
      (server.username !== undefined && server.credential !== undefined),
    'a turn: or turns: server needs a username and a credential',
  ),
);
export type IceServer = v.InferOutput<typeof IceServer>;

export const IceServerList = v.array(IceServer, 'expected an array of RTCIceServer objects');

/** The body of `GET /ice-servers`; `ttl` is how many seconds the credentials in it stay valid. */
export const IceServersResponse = v.object({
  iceServers: IceServerList,
  ttl: v.optional(v.pipe(v.number(), v.minValue(0))),
});
export type IceServersResponse = v.InferOutput<typeof IceServersResponse>;

// ---------------------------------------------------------------------------------------------------------
// Validation helpers shared by both ends

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

/** Validates `input` against `schema`; the error message names the first problem and where it is. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): Parsed<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue.path
    ?.map((item, i) => (typeof item.key === 'number' ? `[${item.key}]` : `${i ? '.' : ''}${String(item.key)}`))
    .join('');
  return {
    ok: false,
    error: {
      code: ErrorCode.InvalidPayload,
      message: path ? `${path}: ${issue.message}` : issue.message,
    },
  };
}

/** Size of a payload as it travels (JSON), without throwing on cycles or BigInts. */
export function payloadSize(payload: unknown): number {
  try {
    return JSON.stringify(payload)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export const protocolError = (code: ErrorCode, message: string): { ok: false; error: ProtocolError } => ({
  ok: false,
  error: { code, message },
});
