/**
 * One call: who placed it, what it carries, and everything it holds, stopped together when it ends. Like
 * `@lit/task`'s runs, each call has its own `AbortController`: its timer, listeners and async steps end with
 * `call.signal`, so a late callback of an ended call finds it aborted and does nothing.
 */
import type { MediaKind } from '../protocol/protocol.js';
import { timeoutWhile, type Clock, type TimerHandle } from './clock.js';
import type { IceServersResult } from './ice-servers.js';
import type { CaptureState, LocalMedia, LocalMediaHolder } from './local-media.js';
import type { NegotiationSignal } from './negotiator.js';
import { CallConnection, type PeerConnectionFactory } from './peer-connection.js';
import { CallRecovery, type MediaFlow, type RecoveryHost } from './call-recovery.js';
import type { CallPath } from './ice-diagnostics.js';
import { QualityMonitor, type CallQuality, type QualityReport } from './quality-monitor.js';
import { statsById } from './rtc-stats.js';

/** Negotiation failures mid-call rebuild the connection; past this many in one call, the call fails. */
const MAX_FAILURE_REBUILDS = 3;

export type NegotiationMessage =
  | { event: 'media-state'; payload: { callId: string } & CaptureState }
  | { event: 'quality'; payload: { callId: string } & QualityReport }
  | { event: 'description'; payload: { callId: string; generation: number; description: { type: 'offer' | 'answer'; sdp: string } } }
  | { event: 'candidate'; payload: { callId: string; generation: number; candidate: ReturnType<typeof toCandidateInit> } };

/** Signals held for a connection not made yet; the relay's rate limit bounds them, this bounds them here. */
const MAX_HELD_SIGNALS = 500;

/** Thrown into a call's pending steps once it ended; never reported. */
export class CallEnded extends Error {
  constructor() {
    super('The call ended.');
    this.name = 'CallEnded';
  }
}

export interface CallInit {
  id: string;
  direction: 'outgoing' | 'incoming';
  media: MediaKind;
  /** Local media and ICE servers already on their way (a call replaced in glare hands them on). */
  localMedia: Promise<LocalMedia>;
  iceServers: Promise<IceServersResult>;
}

/** What a call's connections are made with and report to: the session, seen from the call. */
export interface CallEnvironment {
  clock: Clock;
  polite(): boolean;
  iceTransportPolicy(): RTCIceTransportPolicy;
  certificate(): RTCCertificate | null;
  /** Resolves once the DTLS certificate is made (or cannot be). */
  certificateReady(): Promise<unknown>;
  /** Keeps the TURN credentials of `call` fresh from `refreshAt` on (`SessionIceServers.keepFresh`). */
  keepIceServersFresh(call: Call, refreshAt: number | undefined): void;
  /** For the media watch: the reconnect window, and this side's role in perfect negotiation. */
  reconnectWindowMs(): number;
  createPeerConnection: PeerConnectionFactory;
  /** The visitor's camera and microphone: their tracks go into the senders once the call is accepted. */
  media: LocalMediaHolder;
  onPeerMediaState(state: CaptureState): void;
  /** The call's quality, after each second of stats and each report of the peer. */
  onQuality(quality: CallQuality): void;
  /** The peer's voice level now (`inbound-rtp` `audioLevel`, 0-1 of full scale), from each stats sample. */
  onPeerLevel(level: number): void;
  /** Frames of remote video the page presented (see `CallSessionHost.framesPresented`). */
  framesPresented?(): number | null;
  /** A sentence for the visitor about this call (why it became audio-only). */
  onNotice(notice: string): void;
  /** Relays one of the call's negotiation messages to the peer. */
  relay(call: Call, message: NegotiationMessage): void;
  onRemoteStream(stream: MediaStream): void;
  onConnectionState(call: Call, state: RTCPeerConnectionState): void;
  /**
   * The call cannot go on: a negotiation or a sender failed and no rebuild can save it, or the microphone
   * stopped (a `MediaAccessError`).
   */
  onError(call: Call, error: Error): void;
}

export class Call {
  readonly id: string;
  readonly direction: 'outgoing' | 'incoming';
  /** What the call carries; `audio` once either side said so (a callee's choice, a missing camera). */
  media: MediaKind;
  readonly localMedia: Promise<LocalMedia>;
  /** Fetched once per call, while it rings, so a slow or dead endpoint costs its timeout once at most. */
  readonly iceServers: Promise<IceServersResult>;
  /** Only its id is used: the far side files our tracks under it (its `track` event's `streams`). */
  readonly outgoing = new MediaStream();
  /** The connection of the current generation: 0, then one more for each rebuild. */
  connection: CallConnection | null = null;
  recovery: CallRecovery | null = null;
  /** The connection on its way: started while ringing (preconnect) or on accept. */
  started: Promise<void> | null = null;
  /**
   * False until the call is accepted: until then the connection's senders carry no track, so nothing is sent
   * before the visitor (or the peer) said yes.
   */
  accepted = false;
  readonly #abort = new AbortController();
  readonly #env: CallEnvironment;
  #held: NegotiationSignal[] = [];
  #failureRebuilds = 0;
  /** The peer's microphone and camera (its `media-state`): no frames are expected while its camera is off. */
  peerMedia: CaptureState = { muted: false, cameraOff: false };
  #timer: TimerHandle | null = null;
  /** Scored from the same stats samples as recovery reads; from the first media on. */
  readonly quality: QualityMonitor;
  /** For the call's summary (`clock.now()`): made, accepted, first media; and how often media was lost. */
  readonly createdAt: number;
  acceptedAt: number | null = null;
  connectedAt: number | null = null;
  reconnects = 0;

  constructor(init: CallInit, env: CallEnvironment) {
    this.id = init.id;
    this.direction = init.direction;
    this.media = init.media;
    this.localMedia = init.localMedia;
    this.iceServers = init.iceServers;
    this.#env = env;
    this.createdAt = env.clock.now();
    this.quality = new QualityMonitor(this.bind((quality) => env.onQuality(quality)), this.bind((report) => env.relay(this, { event: 'quality', payload: { callId: this.id, ...report } })));
    // Every change of the local tracks goes into the senders (`replaceTrack`); of mute or camera, to the peer.
    // A microphone that stopped with no other to take over ends the call.
    const onMicrophoneLost = (error: Error) => env.onError(this, error);
    env.media.subscribe({ onStream: () => this.fillSenders(), onState: () => this.sendMediaState(), onMicrophoneLost }, this.signal);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get ended(): boolean {
    return this.#abort.signal.aborted;
  }

  get generation(): number {
    return this.connection?.generation ?? 0;
  }

  /** The call's one phase timer (ringing, then connecting): each replaces the last; none fires after the end. */
  setTimer(ms: number, onTimeout: () => void): void {
    this.clearTimer();
    this.#timer = timeoutWhile(this.#env.clock, this.signal, ms, () => {
      this.#timer = null;
      onTimeout();
    });
  }

  clearTimer(): void {
    if (this.#timer !== null) this.#env.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * The first connection, once the ICE servers and the certificate are there (they were fetched and made
   * while the peer was in the room, as a rule). Its senders start empty and get the tracks on accept.
   */
  start(): Promise<void> {
    return (this.started ??= this.until(Promise.all([this.iceServers, this.#env.certificateReady()])).then(([ice]) => {
      if (this.ended) return;
      this.connect(0, this.direction === 'outgoing', ice.iceServers);
      this.#env.keepIceServersFresh(this, ice.refreshAt);
    }));
  }

  /**
   * Watches the media from now on (`CallRecovery`): `onFlowing` with the path once it arrives, and again after
   * trouble; the ladder's attempts run here, the rest is the session's to decide.
   */
  watch(events: Pick<RecoveryHost, 'onTrouble' | 'onGiveUp'> & { onFlowing(path: CallPath | null): void; onAttempt: RecoveryHost['attempt'] }): void {
    if (this.ended) return;
    this.recovery ??= new CallRecovery(
      {
        sample: () => this.sample(),
        onFlowing: this.bind(() => void this.#path().then((path) => this.recovery?.flowing && !this.ended && events.onFlowing(path))),
        onTrouble: this.bind(events.onTrouble),
        attempt: this.bind((method, attempt) => {
          if (!this.connection) return;
          events.onAttempt(method, attempt);
          if (method === 'ice-restart') this.connection.restartIce();
          else this.rebuild(this.generation + 1, true);
        }),
        onGiveUp: this.bind(events.onGiveUp),
      },
      { windowMs: this.#env.reconnectWindowMs(), polite: this.#env.polite(), clock: this.#env.clock },
    );
    this.recovery.start();
  }

  /** The path media takes; asked again a few times, as Firefox may name no pair for a moment after a restart. */
  async #path(): Promise<CallPath | null> {
    let path: CallPath | null = null;
    for (let tries = 0; tries < 5 && !path && !this.ended; tries++) {
      if (tries) await new Promise((resolve) => this.#env.clock.setTimeout(() => resolve(undefined), 300));
      path = (await this.connection?.diagnostics.path().catch(() => null)) ?? null;
    }
    return path;
  }

  /**
   * A connection of `generation` (the first, or a rebuild's) replaces the current one. The side that starts
   * a rebuild offers; the other answers on the connection it builds on receipt. Signals held for it go in.
   */
  connect(generation: number, initiator: boolean, iceServers: RTCIceServer[]): CallConnection {
    this.connection?.close();
    const env = this.#env;
    const certificate = env.certificate();
    const connection: CallConnection = new CallConnection({
      generation,
      initiator,
      polite: env.polite(),
      media: this.media,
      outgoing: this.outgoing,
      configuration: { iceServers, iceTransportPolicy: env.iceTransportPolicy(), ...(certificate && { certificates: [certificate] }) },
      createPeerConnection: env.createPeerConnection,
      send: this.bind((signal) =>
        env.relay(
          this,
          'description' in signal
            ? { event: 'description', payload: { callId: this.id, generation, description: signal.description } }
            : { event: 'candidate', payload: { callId: this.id, generation, candidate: toCandidateInit(signal.candidate) } },
        ),
      ),
      onRemoteStream: this.bind((stream) => env.onRemoteStream(stream)),
      onConnectionState: this.bind((state) => this.connection === connection && env.onConnectionState(this, state)),
      // The answer is out: now the senders the offer brought may take the tracks. Before it, `replaceTrack`
      // would queue ahead of the answer on the connection's operations chain.
      onAnswerSent: this.bind(() => void this.fillSenders()),
      onError: this.bind((error) => this.connection === connection && this.#onNegotiationError(error)),
    });
    this.connection = connection;
    this.recovery?.resetBaseline();
    this.quality?.resetBaseline();
    for (const signal of this.#held.splice(0)) void connection.handle(signal);
    void this.fillSenders();
    return connection;
  }

  /** A negotiation that fails mid-call (a restart refused) is worth a rebuild; before media, it fails the call. */
  #onNegotiationError(error: Error): void {
    const midCall = this.recovery?.flowing || this.recovery?.recovering;
    if (!midCall || ++this.#failureRebuilds > MAX_FAILURE_REBUILDS) return this.#env.onError(this, error);
    console.warn(`[call-widget] negotiation failed mid-call (${error.message}); rebuilding the connection`);
    this.rebuild(this.generation + 1, true);
  }

  /** A new connection in place of the current one, with the same ICE servers, as generation `generation`. */
  rebuild(generation: number, initiator: boolean): void {
    const iceServers = this.connection?.pc.getConfiguration().iceServers ?? [];
    this.connect(generation, initiator, iceServers);
  }

  /** Applies a signal of the current generation, or holds it until the first connection exists. */
  handle(signal: NegotiationSignal): void {
    if (this.connection) void this.connection.handle(signal);
    else if (this.#held.length < MAX_HELD_SIGNALS) this.#held.push(signal);
  }

  /** The call is accepted (either side): the senders may carry tracks now, and the peer hears our mute and camera. */
  accept(): void {
    this.accepted = true;
    this.acceptedAt = this.#env.clock.now();
    this.sendMediaState();
  }

  /** Tells the peer whether we are muted and our camera is off: once accepted, and on every change. */
  sendMediaState(): void {
    if (this.accepted) this.#env.relay(this, { event: 'media-state', payload: { callId: this.id, ...this.#env.media.state } });
  }

  onPeerMediaState(state: CaptureState): void {
    this.peerMedia = { muted: state.muted, cameraOff: state.cameraOff };
    this.#env.onPeerMediaState(this.peerMedia);
  }

  /** Puts the local tracks into the connection's sending slots, once the call is accepted (and on every change). */
  fillSenders(): Promise<unknown> {
    const stream = this.#env.media.stream;
    if (!this.accepted || !stream || !this.connection || this.ended) return Promise.resolve();
    return this.connection.fillSenders(stream).catch(this.bind((error: Error) => this.#env.onError(this, error)));
  }

  /** No video either way from now on: the callee's choice (its accept says so), or a camera that failed. */
  goAudioOnly(notice?: string): void {
    if (this.media === 'audio') return;
    this.media = 'audio';
    this.connection?.dropVideo();
    this.#env.media.stopVideo();
    if (notice) this.#env.onNotice(notice);
  }

  /** The call's local media, once open; a camera that failed makes the call audio-only (the visitor is told). */
  mediaReady(): Promise<LocalMedia> {
    return this.until(this.localMedia).then((media) => {
      if (media.media === 'audio') this.goAudioOnly(media.cameraProblem?.message);
      return media;
    });
  }

  /**
   * The call's one stats poll (`CallRecovery` runs it): what recovery judges by, audio RTP packets received and,
   * while video comes in, the frames the page presented (without a page to ask, frames decoded); from the
   * first media on, the quality score's second of stats; and the peer's voice level.
   */
  async sample(): Promise<MediaFlow | null> {
    const pc = this.connection?.pc;
    if (!pc || pc.signalingState === 'closed') return null;
    let audio = 0;
    let decoded = 0;
    let level = 0;
    const stats = statsById(await pc.getStats());
    stats.forEach((report) => {
      if (report.type !== 'inbound-rtp') return;
      if (report.kind === 'audio') {
        audio += report.packetsReceived ?? 0;
        level = report.audioLevel ?? 0;
      } else if (report.kind === 'video') decoded += report.framesDecoded ?? 0;
    });
    // A sample of a connection replaced meanwhile (a rebuild) is not this one's baseline.
    if (this.ended || this.connection?.pc !== pc) return null;
    this.#env.onPeerLevel(level);
    // Video is expected while a video m-line is negotiated to receive (not once either side went audio-only),
    // and the peer's camera is on.
    const receivesVideo = !this.peerMedia.cameraOff && pc
      .getTransceivers()
      .some((t) => t.receiver.track.kind === 'video' && (t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly'));
    const recovery = this.recovery;
    if (recovery?.flowing || recovery?.recovering)
      this.quality.add(stats, this.#env.clock.now(), { receivesVideo, peerMuted: this.peerMedia.muted, reconnecting: recovery.recovering });
    return { audio, video: receivesVideo ? (this.#env.framesPresented?.() ?? decoded) : null };
  }

  /** `callback`, made a no-op once the call ended. */
  bind<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (!this.ended) callback(...args);
    };
  }

  /** Settles as `promise` does while the call lives; rejects with `CallEnded` once it ended. */
  until<T>(promise: Promise<T>): Promise<T> {
    if (this.ended) return Promise.reject(new CallEnded());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new CallEnded());
      this.signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => (this.signal.removeEventListener('abort', onAbort), this.ended ? reject(new CallEnded()) : resolve(value)),
        (error) => (this.signal.removeEventListener('abort', onAbort), reject(this.ended ? new CallEnded() : (error as Error))),
      );
    });
  }

  /** Stops everything the call holds. Its local media stays: the session decides whether it outlives the call. */
  end(): void {
    if (this.ended) return;
    this.clearTimer();
    this.#abort.abort();
    this.recovery?.stop();
    this.connection?.close();
  }
}

/** `RTCIceCandidate.toJSON()` may carry `null`s and extra fields; send only what the protocol defines. */
function toCandidateInit(candidate: RTCIceCandidateInit) {
  return {
    candidate: candidate.candidate ?? '',
    sdpMid: candidate.sdpMid ?? null,
    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
    usernameFragment: candidate.usernameFragment ?? null,
  };
}
