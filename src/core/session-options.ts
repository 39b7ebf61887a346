/**
 * What a `CallSession` is made with: its configuration, the host it reports to, and the seams tests replace
 * (the signaling transport, the peer connection, the clock, local media).
 */
import type { IceServer, MediaKind, Peer, ProtocolError } from '../protocol/protocol.js';
import type { CallReason } from './call-machine.js';
import type { RecoveryMethod } from './call-recovery.js';
import { systemClock, type Clock } from './clock.js';
import type { CallPath, IceDiagnosticSummary } from './ice-diagnostics.js';
import { IceServerProvider } from './ice-servers.js';
import type { CaptureState, LocalMedia, LocalMediaHolder } from './local-media.js';
import type { PeerConnectionFactory } from './peer-connection.js';
import type { CallQuality, QualityTotals, SecondOfStats } from './quality-monitor.js';
import { SignalingClient, type SignalingClientOptions } from './signaling-client.js';

export const DEFAULT_RING_TIMEOUT_MS = 30_000;
/** Twilio gives up after 30 s of lost media; so do we by default. */
export const DEFAULT_RECONNECT_WINDOW_MS = 30_000;
/**
 * The browser may sit in ICE `checking` for good when no candidate pair ever forms; this bounds the wait.
 * Generous enough for TURN over TCP on a slow link.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface CallSessionConfig {
  signalingUrl: string;
  room: string;
  token?: string;
  displayName?: string;
  media: MediaKind;
  autoAnswer: boolean;
  ringTimeoutMs: number;
  /** How long from accept to media arriving before the call fails (`ice-failed` when no path was found). */
  connectTimeoutMs: number;
  /** How long `reconnecting` may last before the call fails with reason `network`. */
  reconnectWindowMs: number;
  /**
   * Connect while the call rings: the caller offers with its invite and the callee answers while ringing, so
   * ICE and DTLS are done by the time the call is accepted, and media starts at once. No media is sent before
   * accept either way, but each side's network addresses (ICE candidates) reach the other before it (only
   * the TURN server's with `ice-transport-policy="relay"`).
   */
  preconnect: boolean;
  iceServersUrl?: string;
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

/** The detail of every `call-error`: the one error type of the widget. */
export interface CallErrorInfo extends ProtocolError {
  /** False for problems the call survives (a fallback was used); true when the call or session stopped. */
  fatal: boolean;
  /** With `ice-failed`: what ICE tried and where it got stuck, for the site owner's logs. */
  diagnostics?: IceDiagnosticSummary;
}

/** One call, from its invite to its end, for the site's analytics (`call-summary`). */
export interface CallSummary extends QualityTotals {
  callId: string;
  direction: 'outgoing' | 'incoming';
  media: MediaKind;
  /** Why it ended: the reason of the state it ended in (`hangup`, `peer-hangup`, `declined`, `network`, ...). */
  outcome: CallReason;
  /** From accept to the first media, ms; null if media never arrived. */
  setupMs: number | null;
  /** From the first media to the end, ms (0 if it never arrived). */
  durationMs: number;
  /** The media path when it last connected; null if it never did. */
  path: CallPath | null;
  /** How many times media was lost mid-call (each `reconnecting`). */
  reconnects: number;
}

export interface CallSessionHost {
  onError(error: CallErrorInfo): void;
  /** A sentence the visitor should see during this call (a camera that failed, so it is audio only), or null. */
  onNotice?(message: string | null): void;
  onLocalStream(stream: MediaStream | null): void;
  onRemoteStream(stream: MediaStream | null): void;
  onPeer(peer: Peer | null): void;
  /** The peer's microphone and camera as it says (`media-state`), during a call. */
  onPeerMediaState?(state: CaptureState): void;
  /** The call's quality: after each second of stats from the first media on, and each report of the peer. */
  onQuality?(quality: CallQuality | null, figures?: SecondOfStats | null): void;
  /** The peer's voice level (0-1 of full scale), twice a second during a call. */
  onPeerLevel?(level: number): void;
  /** A call is over (whatever its outcome). */
  onSummary?(summary: CallSummary): void;
  /** One attempt to restore media: for `call-reconnect`. */
  onReconnectAttempt?(attempt: { attempt: number; method: RecoveryMethod }): void;
  /**
   * Calls back on `offline`, `online` and network changes (the element wires `window` and
   * `navigator.connection`; the core stays free of globals). Returns the unsubscribe function.
   */
  watchNetwork?(onChange: (kind: 'offline' | 'online' | 'change') => void): () => void;
  /**
   * A running count of the remote video frames the page presented, or null when it cannot tell (no video
   * element shown, a hidden tab): recovery then counts frames decoded.
   */
  framesPresented?(): number | null;
  /** `navigator.sendBeacon`, for the leave of a page that is going away. */
  sendBeacon?(url: string, body: string): boolean;
}

/** The part of `SignalingClient` a session uses: what a test's fake transport implements. */
export type SignalingPort = Pick<SignalingClient, 'connected' | 'connect' | 'join' | 'send' | 'discard' | 'setToken' | 'leaveNow' | 'close'>;

export interface CallSessionDeps {
  createSignaling?: (options: SignalingClientOptions) => SignalingPort;
  createPeerConnection?: PeerConnectionFactory;
  clock?: Clock;
  /** A call's media, on the browser's default devices; ignored with `media`. */
  openMedia?: (media: MediaKind) => Promise<LocalMedia>;
  /** The visitor's devices and capture, when the host keeps them across sessions (its preview, mute, choice). */
  media?: LocalMediaHolder;
  iceServers?: IceServerProvider;
}

export function defaultDeps(): Required<Omit<CallSessionDeps, 'openMedia' | 'media'>> {
  return {
    createSignaling: (options) => new SignalingClient(options),
    createPeerConnection: (configuration) => new RTCPeerConnection(configuration),
    clock: systemClock,
    iceServers: new IceServerProvider(),
  };
}

export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
