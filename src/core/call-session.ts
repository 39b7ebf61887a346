/**
 * One widget's life in a room: signaling, the call state machine, local media and the peer connection,
 * tied together. No DOM and no Lit: the element only renders what this reports and forwards user intent.
 */
import { ErrorCode, type IceServer, type MediaKind, type Peer, type ProtocolError, type RelayedEvent, type RelayedPayload } from '../protocol/protocol.js';
import { CallMachine, isInCall, type CallInput, type CallReason } from './call-machine.js';
import { CallRecovery, type RecoveryMethod } from './call-recovery.js';
import { IceDiagnostics, type CallPath, type IceDiagnosticSummary } from './ice-diagnostics.js';
import { IceServerProvider, type IceServersResult } from './ice-servers.js';
import { MediaAccessError, getLocalMedia, stopMedia } from './local-media.js';
import { Negotiator, type NegotiationSignal } from './negotiator.js';
import { SignalingClient, SignalingError, type ServerMessage } from './signaling-client.js';

export const DEFAULT_RING_TIMEOUT_MS = 30_000;
/** Twilio gives up after 30 s of lost media; so do we by default. */
export const DEFAULT_RECONNECT_WINDOW_MS = 30_000;
/**
 * The browser may sit in ICE `checking` for good when no candidate pair ever forms; this bounds the wait.
 * Generous enough for TURN over TCP on a slow link.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** The callee's own bound on ringing, in case the caller vanishes without a cancel reaching us. */
const RING_GRACE_MS = 5_000;

export interface CallSessionConfig {
  signalingUrl: string;
  room: string;
  token?: string;
  displayName?: string;
  media: MediaKind;
  autoAnswer: boolean;
  ringTimeoutMs: number;
  /** How long `connecting` may last before the call fails with `ice-failed`. */
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

export interface CallErrorInfo extends ProtocolError {
  /** False for problems the call survives (a fallback was used); true when the call or session stopped. */
  fatal: boolean;
  /** With `ice-failed`: what ICE tried and where it got stuck, for the site owner's logs. */
  diagnostics?: IceDiagnosticSummary;
}

export interface CallSessionHost {
  onError(error: CallErrorInfo): void;
  onLocalStream(stream: MediaStream | null): void;
  onRemoteStream(stream: MediaStream | null): void;
  onPeer(peer: Peer | null): void;
  /** One attempt to restore media: for `call-reconnect`. */
  onReconnectAttempt?(attempt: { attempt: number; method: RecoveryMethod }): void;
  /**
   * Calls back on `offline`, `online` and network changes (the element wires `window` and
   * `navigator.connection`; the core stays free of globals). Returns the unsubscribe function.
   */
  watchNetwork?(onChange: (kind: 'offline' | 'online' | 'change') => void): () => void;
}

interface ActiveCall {
  id: string;
  direction: 'outgoing' | 'incoming';
  media: MediaKind;
  negotiator: Negotiator;
  pc: RTCPeerConnection | null;
  /** Which peer connection of this call is current: 0, then one more for each rebuild. */
  generation: number;
  diagnostics: IceDiagnostics | null;
  recovery: CallRecovery | null;
  timer: ReturnType<typeof setTimeout> | null;
  /** Fetches fresh TURN credentials before the ones in use expire, for calls that outlive them. */
  refreshTimer: ReturnType<typeof setTimeout> | null;
  /** Local media, requested as soon as the call exists so accepting does not wait for the camera. */
  localMedia: Promise<MediaStream>;
  /** Fetched once per call, while it rings, so a slow or dead endpoint costs its timeout once at most. */
  iceServers: Promise<IceServersResult>;
  /** The peer connection on its way: started while ringing (preconnect) or on accept. */
  started: Promise<void> | null;
  /**
   * False until the call is accepted: until then the connection's senders carry no track, so nothing is
   * sent before the visitor (or the peer) said yes.
   */
  sending: boolean;
  /** Only its id is used: the far side files our tracks under it (its `track` event's `streams`). */
  outgoing: MediaStream;
}

export class CallSession {
  readonly machine: CallMachine;
  readonly #host: CallSessionHost;
  readonly #iceServers = new IceServerProvider();
  #config: CallSessionConfig;
  #signaling: SignalingClient | null = null;
  #self: { id: string; polite: boolean; resumeToken: string } | null = null;
  #unwatchNetwork: (() => void) | null = null;
  #peer: Peer | null = null;
  #call: ActiveCall | null = null;
  #localStream: MediaStream | null = null;
  #path: CallPath | null = null;
  #stopped = false;
  #dtlsCertificate: RTCCertificate | null = null;
  #pendingCertificate: Promise<RTCCertificate | null> | null = null;

  /** The machine may outlive the session (an element restarting with new attributes keeps its state). */
  constructor(config: CallSessionConfig, host: CallSessionHost, machine: CallMachine = new CallMachine()) {
    this.#config = config;
    this.#host = host;
    this.machine = machine;
  }

  get peer(): Peer | null {
    return this.#peer;
  }

  get participantId(): string | null {
    return this.#self?.id ?? null;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.#call?.pc ?? null;
  }

  /** The media path of the connected call, or null. */
  get path(): CallPath | null {
    return this.#path;
  }

  /** Settings that take effect from the next call on (the room and server need a new session). */
  update(config: Partial<Omit<CallSessionConfig, 'signalingUrl' | 'room' | 'displayName'>>): void {
    this.#config = { ...this.#config, ...config };
    this.#signaling?.setToken(this.#config.token);
  }

  /** Connects to signaling and joins the room. */
  async start(): Promise<void> {
    if (!this.#transition('join')) return;
    this.#signaling ??= new SignalingClient({
      url: this.#config.signalingUrl,
      token: this.#config.token,
      onMessage: (message) => this.#onMessage(message),
      onInvalid: (event, error) => this.#warn(ErrorCode.Protocol, `Ignored an invalid ${event} message: ${error.message}`),
      onDisconnect: () => this.#warn(ErrorCode.SignalingLost, 'The connection to the call server dropped; reconnecting. A call in progress goes on.'),
      onReconnect: () => void this.#resume(),
    });
    this.#unwatchNetwork ??= this.#host.watchNetwork?.((kind) => this.#call?.recovery?.networkChanged(kind)) ?? null;
    try {
      await this.#signaling.connect();
      if (this.#stopped) return;
      const joined = await this.#signaling.join(this.#config.room, this.#config.displayName);
      if (this.#stopped) return;
      this.#self = { id: joined.id, polite: joined.polite, resumeToken: joined.resumeToken };
      this.#setPeer(joined.peer);
      this.#transition(joined.peer ? 'joined-with-peer' : 'joined-alone');
    } catch (error) {
      if (this.#stopped) return;
      const code = error instanceof SignalingError ? error.code : ErrorCode.SignalingUnreachable;
      this.#fail(joinFailure(code), code, (error as Error).message);
    }
  }

  /**
   * The signaling link is back: rejoin as the same participant. The call's media never depended on it; what
   * was sent meanwhile goes out now. If the server gave our place away, the peer was told we left, so any
   * call is over and we are a newcomer in the room.
   */
  async #resume(): Promise<void> {
    const signaling = this.#signaling;
    if (!signaling || this.#stopped) return;
    if (this.machine.state === 'failed' && this.machine.reason === 'signaling') return void this.start();
    if (!this.#self) return;
    try {
      const joined = await signaling.join(this.#config.room, this.#config.displayName, this.#self.resumeToken);
      if (this.#stopped || signaling !== this.#signaling) return;
      this.#self = { id: joined.id, polite: joined.polite, resumeToken: joined.resumeToken };
      if (joined.resumed) {
        // After a server restart the peer's place is held under the id we sent, until it returns or the
        // grace period ends (then the server says `peer-left`).
        if (joined.peer && joined.peer.id !== this.#peer?.id) this.#onPeerChanged(joined.peer);
        return;
      }
      if (this.#call) this.#endCall('signaling');
      this.#onPeerChanged(joined.peer);
    } catch (error) {
      if (this.#stopped) return;
      const code = error instanceof SignalingError ? error.code : ErrorCode.SignalingLost;
      this.#fail(joinFailure(code), code, (error as Error).message);
    }
  }

  #onPeerChanged(peer: Peer | null): void {
    if (this.#peer && !peer) {
      this.#setPeer(null);
      this.#transition('peer-left', 'peer-left');
    } else if (peer) {
      this.#setPeer(peer);
      this.#transition('peer-joined');
    }
  }

  /** Places a call to the peer in the room: it rings at once, while the camera starts. */
  async call(): Promise<void> {
    if (!this.machine.can('call') || !this.#peer) return;
    const call = this.#newCall(randomId(), 'outgoing', this.#config.media);
    this.#transition('call');
    // The page hears `calling` above and may have hung up from inside its listener.
    if (this.#call !== call) return;
    try {
      // The invite goes out at once, so the callee's camera starts while ours does: the two open side by
      // side rather than one after the other. If ours then fails, the call is cancelled.
      const invited = this.#signaling!.send('invite', { callId: call.id, media: call.media });
      // The offer follows at once (the server relays in order), so the callee can answer it while it rings;
      // the camera joins the connection when it is open and the call accepted.
      if (this.#config.preconnect) call.started = this.#startPeerConnection(call);
      const ready = Promise.all([call.started, call.localMedia]);
      ready.catch(() => {}); // awaited below, once the ring timer runs
      await invited;
      // It rings from the invite on, not from the camera: a visitor who leaves the browser's camera prompt
      // open must not ring the peer for good.
      if (this.#call === call && this.machine.state === 'calling') {
        this.#armTimer(call, this.#config.ringTimeoutMs, () => {
          this.#tell('cancel', { callId: call.id, reason: 'no-answer' });
          this.#endCall('no-answer');
        });
      }
      await ready;
    } catch (error) {
      this.#failCall(call, error);
    }
  }

  /** Answers the incoming call. */
  async accept(): Promise<void> {
    const call = this.#call;
    if (!call || call.direction !== 'incoming' || !this.#transition('accept')) return;
    return this.#answer(call);
  }

  /** An incoming call was accepted (by the visitor, or to settle glare): tell the caller, then connect. */
  async #answer(call: ActiveCall): Promise<void> {
    try {
      // `accept` first: the caller starts sending (or, without preconnect, offering) while our camera and
      // connection get ready. An offer that arrives before the connection exists waits for it.
      await Promise.all([this.#signaling!.send('accept', { callId: call.id }), this.#connectAccepted(call)]);
    } catch (error) {
      this.#failCall(call, error);
    }
  }

  /** Refuses the incoming call. */
  decline(): void {
    const call = this.#call;
    if (!call || this.machine.state !== 'ringing') return;
    this.#tell('decline', { callId: call.id, reason: 'declined' });
    this.#endCall('declined');
  }

  /** Ends the call in whatever phase it is: cancels an outgoing ring, declines an incoming one, hangs up. */
  hangUp(): void {
    const call = this.#call;
    if (!call) return;
    const state = this.machine.state;
    if (state === 'ringing') return this.decline();
    const event = state === 'calling' ? 'cancel' : 'hangup';
    this.#tell(event, { callId: call.id });
    this.#endCall(state === 'calling' ? 'canceled' : 'hangup');
  }

  /**
   * The page is going away (tab closed, navigation): leave at once so the peer hears `peer-left` now,
   * not after the server's grace period for dropped connections.
   */
  leavePage(): void {
    if (this.#stopped) return;
    this.#signaling?.leaveNow();
    this.#signaling = null;
    this.stop();
  }

  /** Leaves the room and releases everything: camera, connections, timers. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#call && isInCall(this.machine.state)) this.hangUp();
    this.#closeCall();
    this.#releaseMedia();
    this.#unwatchNetwork?.();
    this.#unwatchNetwork = null;
    this.#signaling?.close();
    this.#signaling = null;
    this.machine.send('leave');
  }

  // ------------------------------------------------------------------------------------------------------

  #onMessage(message: ServerMessage): void {
    switch (message.event) {
      case 'peer-joined':
        // The newest resume token names the newcomer, so that a restarted server can hold its place.
        if (message.payload.resumeToken && this.#self) this.#self.resumeToken = message.payload.resumeToken;
        this.#setPeer(message.payload.peer);
        this.#transition('peer-joined');
        return;
      case 'peer-resumed':
        // Normally the peer's network moved. A displaced connection that was still open may also mean its
        // resume token is in other hands: worth a line for whoever reads the console, not a state.
        if (message.payload.replaced) console.info(`[call-widget] the other participant reconnected on a new connection`);
        return;
      case 'peer-left':
        if (this.#peer?.id !== message.payload.peerId) return;
        this.#setPeer(null);
        if (this.#call) {
          this.#closeCall();
          this.#releaseMedia();
        }
        this.#transition('peer-left', 'peer-left');
        return;
      case 'protocol-error':
        this.#warn(ErrorCode.Protocol, `The server refused ${message.payload.event ?? 'a message'}: ${message.payload.message}`);
        return;
      case 'invite':
        return this.#onInvite(message.payload.callId, message.payload.media);
    }
    // Everything below belongs to a call; messages of an earlier or an unknown call are dropped.
    const call = this.#call;
    if (!call || message.payload.callId !== call.id) return;
    switch (message.event) {
      case 'accept':
        if (call.direction !== 'outgoing' || !this.#transition('accepted')) return;
        this.#connectAccepted(call).catch((error) => this.#failCall(call, error));
        return;
      case 'decline':
        if (this.machine.state === 'calling') this.#endCall(message.payload.reason === 'busy' ? 'busy' : 'peer-declined');
        return;
      case 'cancel':
        if (this.machine.state === 'ringing') this.#endCall(message.payload.reason === 'no-answer' ? 'no-answer' : 'peer-canceled');
        return;
      case 'hangup':
        if (message.payload.reason === 'ice-failed' && call.pc) void this.#failIce(call, 'No network path to the other side could be found.');
        else if (message.payload.reason === 'network') this.#giveUp(call, false);
        else this.#endCall('peer-hangup');
        return;
      case 'description':
      case 'candidate': {
        const generation = message.payload.generation ?? 0;
        // A signal of a connection we already replaced is stale; one of a newer connection means the
        // other side rebuilt, and so must we before it can be applied.
        if (generation < call.generation) return;
        if (generation > call.generation) this.#rebuild(call, generation, false);
        void call.negotiator.handle(
          message.event === 'description' ? { description: message.payload.description } : { candidate: message.payload.candidate },
        );
        return;
      }
    }
  }

  #onInvite(callId: string, media: MediaKind): void {
    const current = this.#call;
    if (current && this.machine.state === 'calling' && current.direction === 'outgoing') {
      // Both called at once. The impolite side keeps its call (the polite side will accept it); the polite
      // side drops its own and accepts the incoming one, so exactly one call results.
      if (!this.#self?.polite) return;
      this.#closeCall();
      const call = this.#newCall(callId, 'incoming', media, current);
      void this.#acceptGlare(call);
      return;
    }
    if (current || !this.machine.can('invited')) {
      this.#tell('decline', { callId, reason: 'busy' });
      return;
    }
    const call = this.#newCall(callId, 'incoming', media === 'audio' || this.#config.media === 'audio' ? 'audio' : 'video');
    call.localMedia.catch(() => {}); // reported on accept, when the visitor asked for it
    this.#armTimer(call, this.#config.ringTimeoutMs + RING_GRACE_MS, () => this.#endCall('no-answer'));
    // Answer the caller's offer while ringing (the camera plays no part in it).
    if (this.#config.preconnect) (call.started = this.#startPeerConnection(call)).catch(() => {});
    // Last: the page hears `ringing` here and may accept (or decline) from inside its listener.
    this.#transition('invited');
    if (this.#config.autoAnswer) void this.accept();
  }

  #acceptGlare(call: ActiveCall): Promise<void> {
    this.#transition('accept');
    return this.#answer(call);
  }

  /** `reuse`: the call this one replaces (glare), whose camera and ICE servers are already on their way. */
  #newCall(id: string, direction: ActiveCall['direction'], media: MediaKind, reuse?: ActiveCall): ActiveCall {
    const call: ActiveCall = {
      id,
      direction,
      media,
      pc: null,
      generation: 0,
      diagnostics: null,
      recovery: null,
      timer: null,
      refreshTimer: null,
      localMedia: reuse?.localMedia ?? this.#acquireMedia(media),
      iceServers: reuse?.iceServers ?? this.#loadIceServers(),
      negotiator: null!,
      started: null,
      sending: false,
      outgoing: new MediaStream(),
    };
    call.negotiator = this.#negotiator(call, direction === 'outgoing');
    this.#call = call;
    return call;
  }

  #negotiator(call: ActiveCall, initiator: boolean): Negotiator {
    const generation = call.generation;
    return new Negotiator({
      polite: this.#self?.polite ?? false,
      initiator,
      send: (signal) => this.#sendSignal(call, generation, signal),
      prepareAnswer: (pc) => this.#sendOnOffered(call, pc),
      onError: (error) => this.#failCall(call, error, ErrorCode.NegotiationFailed),
      onWarning: (message) => console.debug(`[call-widget] ${message}`),
    });
  }

  #sendSignal(call: ActiveCall, generation: number, signal: NegotiationSignal): void {
    // The answer is out: now the senders the offer brought may take the tracks. Before it, `replaceTrack`
    // would queue ahead of the answer on the connection's operations chain.
    if ('description' in signal && signal.description.type === 'answer') void this.#fillSenders(call).catch((error) => this.#failCall(call, error));
    const sent =
      'description' in signal
        ? this.#signaling?.send('description', { callId: call.id, generation, description: signal.description })
        : this.#signaling?.send('candidate', { callId: call.id, generation, candidate: toCandidateInit(signal.candidate) });
    sent?.catch((error) => {
      if (this.#call === call) this.#warn(ErrorCode.Protocol, `Could not send ${'description' in signal ? 'a description' : 'a candidate'}: ${(error as Error).message}`);
    });
  }

  /**
   * The connection does not wait for the camera: its senders start empty and get the tracks once the camera
   * is open and the call accepted (`#fillSenders`), so offer, answer, ICE and DTLS run while the camera starts.
   */
  async #startPeerConnection(call: ActiveCall): Promise<void> {
    const [ice] = await Promise.all([call.iceServers, this.#certificate()]);
    if (this.#call !== call) return;
    this.#attachPeerConnection(call, ice.iceServers);
    if (ice.refreshAt) this.#scheduleIceRefresh(call, ice.refreshAt);
  }

  /**
   * The call is accepted (here or by the peer): from now on the local tracks go out. Returns once the camera
   * is open (rejects if it failed) and its tracks are in the connection's senders, if it has them yet.
   */
  #startSending(call: ActiveCall): Promise<unknown> {
    if (this.#call !== call || call.sending) return call.localMedia;
    call.sending = true;
    // The ring timeout is over for good (a connected call would otherwise end when it fired).
    this.#clearTimer(call);
    return call.localMedia.then(() => this.#fillSenders(call));
  }

  /**
   * Puts the local tracks into the connection's empty sending slots once all three are there: the call
   * accepted, the camera open, the connection made (on the answering side: the offer applied). Waiting
   * tracks in inactive senders instead was measured slower: re-activating an encoding took ~140 ms to the
   * far side's first frame, `replaceTrack` ~100 ms.
   */
  #fillSenders(call: ActiveCall): Promise<unknown> {
    const stream = this.#localStream;
    if (this.#call !== call || !call.sending || !call.pc || !stream) return Promise.resolve();
    return Promise.all(
      call.pc.getTransceivers().map((transceiver) => {
        const { sender, direction } = transceiver;
        const track = stream.getTracks().find((t) => t.kind === transceiver.receiver.track.kind);
        return direction === 'sendrecv' && !sender.track && track ? sender.replaceTrack(track) : undefined;
      }),
    );
  }

  /**
   * The far side's offer made its m-lines' transceivers (receive-only): we send on the first of each kind this
   * call has, so the answer needs no second round and needs no camera yet. The tracks go in once the answer
   * is sent (`#sendSignal`).
   */
  #sendOnOffered(call: ActiveCall, pc: RTCPeerConnection): void {
    const kinds = new Set(kindsOf(call.media));
    const transceivers = pc.getTransceivers();
    for (const t of transceivers) if (t.direction === 'sendrecv') kinds.delete(t.receiver.track.kind);
    for (const t of transceivers) {
      if (t.direction === 'recvonly' && kinds.delete(t.receiver.track.kind)) {
        t.direction = 'sendrecv';
        t.sender.setStreams?.(call.outgoing);
      }
    }
  }

  /** The call is accepted (either side): local media goes out, on a connection made now or while ringing. */
  #connectAccepted(call: ActiveCall): Promise<void> {
    return Promise.all([this.#startSending(call), (call.started ??= this.#startPeerConnection(call))]).then(() => this.#awaitPath(call));
  }

  /** An accepted call's connection exists: wait for a path, bounded; one made while ringing may have it. */
  #awaitPath(call: ActiveCall): void {
    const pc = call.pc;
    if (this.#call !== call || !pc || this.machine.state !== 'connecting') return;
    if (pc.connectionState === 'connected') return void this.#onMediaConnected(call);
    if (pc.connectionState === 'failed') return void this.#failIce(call, 'No network path to the other side could be found.');
    const seconds = this.#config.connectTimeoutMs / 1000;
    this.#armTimer(call, this.#config.connectTimeoutMs, () =>
      this.#failIce(call, `No network path to the other side was found within ${seconds} s.`),
    );
  }


  /**
   * A new peer connection for `call` (the first, or a rebuild's), with negotiation. The side that offers adds
   * a sending transceiver per kind of the call; the other side's come with the offer (`#sendOnOffered`).
   */
  #attachPeerConnection(call: ActiveCall, iceServers: RTCIceServer[]): RTCPeerConnection {
    const cert = this.#dtlsCertificate;
    const certificates = cert && cert.expires > Date.now() ? [cert] : undefined;
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: this.#config.iceTransportPolicy, certificates });
    call.pc = pc;
    call.diagnostics = new IceDiagnostics(pc);
    // The far side's stream as it announced it (both tracks in it from the first event), so the <video> gets
    // its whole source at once; adding the video track to a stream the element already plays costs it a
    // reload. A far side that sent no stream id gets one made up.
    let remote: MediaStream | null = null;
    pc.addEventListener('track', ({ track, streams }) => {
      if (streams[0] && remote !== streams[0]) remote = streams[0];
      else if (!streams[0]) (remote ??= new MediaStream()).addTrack(track);
      this.#host.onRemoteStream(remote);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.#call !== call || call.pc !== pc) return;
      call.recovery?.connectionStateChanged(pc.connectionState);
      if (pc.connectionState === 'connected') {
        if (this.machine.state === 'connecting') {
          this.#clearTimer(call);
          void this.#onMediaConnected(call);
        }
      } else if (pc.connectionState === 'failed' && this.machine.state === 'connecting') {
        void this.#failIce(call, 'No network path to the other side could be found.');
      }
    });
    if (call.negotiator.initiator) {
      for (const kind of kindsOf(call.media)) {
        pc.addTransceiver(kind, { direction: 'sendrecv', streams: [call.outgoing] });
      }
    }
    call.negotiator.attach(pc);
    void this.#fillSenders(call).catch((error) => this.#failCall(call, error));
    return pc;
  }

  /**
   * Replaces the call's peer connection with a new one (same local tracks), as generation `generation`:
   * the last rung of recovery when ICE restarts did not help, or because the other side did so.
   */
  #rebuild(call: ActiveCall, generation: number, initiator: boolean): void {
    const old = call.pc;
    if (!old) return;
    const iceServers = old.getConfiguration().iceServers ?? [];
    call.negotiator.close();
    old.close();
    call.generation = generation;
    // The side that starts the rebuild offers; the other answers on the connection it builds on receipt.
    call.negotiator = this.#negotiator(call, initiator);
    call.recovery?.resetBaseline();
    this.#attachPeerConnection(call, iceServers);
  }

  async #onMediaConnected(call: ActiveCall): Promise<void> {
    const path = await call.diagnostics!.path().catch(() => null);
    if (this.#call !== call || call.pc?.connectionState !== 'connected') return;
    this.#path = path;
    this.#transition('media-connected', undefined, path ?? undefined);
    call.recovery ??= this.#recovery(call);
    call.recovery.start();
  }

  #recovery(call: ActiveCall): CallRecovery {
    return new CallRecovery(
      {
        peerConnection: () => call.pc,
        onTrouble: () => this.#transition('media-lost', 'network'),
        onRecovered: () => void this.#onMediaConnected(call),
        attempt: (method, attempt) => {
          if (this.#call !== call || !call.pc) return;
          this.#host.onReconnectAttempt?.({ attempt, method });
          if (method === 'ice-restart') call.pc.restartIce();
          else this.#rebuild(call, call.generation + 1, true);
        },
        onGiveUp: () => this.#giveUp(call, true),
      },
      { windowMs: this.#config.reconnectWindowMs },
    );
  }

  /** The reconnect window is over (here, or on the other side, which told us): the call failed. */
  #giveUp(call: ActiveCall, tellPeer: boolean): void {
    if (this.#call !== call) return;
    if (tellPeer) this.#tell('hangup', { callId: call.id, reason: 'network' });
    const seconds = this.#config.reconnectWindowMs / 1000;
    this.#fail('network', ErrorCode.NetworkLost, `The connection was lost and could not be restored within ${seconds} s.`);
  }

  /** Ends a call that found no path, with what ICE tried attached for the site owner. */
  async #failIce(call: ActiveCall, message: string): Promise<void> {
    const diagnostics = await call.diagnostics?.summary();
    if (this.#call !== call) return;
    this.#failCall(call, new Error(message), ErrorCode.IceFailed, diagnostics);
  }

  /**
   * A call may outlive its TURN credentials. The allocation it has keeps working, but an ICE restart needs
   * a new one, which the TURN server grants only with valid credentials: so fresh ones are fetched ahead of
   * expiry and given to the connection for the next allocation.
   */
  #scheduleIceRefresh(call: ActiveCall, refreshAt: number): void {
    // At `refreshAt` the provider's cache is stale, so the `get` below really fetches.
    const delay = Math.max(1000, refreshAt - Date.now());
    call.refreshTimer = setTimeout(async () => {
      call.refreshTimer = null;
      const fresh = await this.#iceServers.get(this.#iceSource());
      const pc = call.pc;
      if (this.#call !== call || !pc || pc.signalingState === 'closed') return;
      if (fresh.problem || !fresh.refreshAt) {
        this.#warn(ErrorCode.IceServersUnavailable, fresh.problem ?? 'The ICE server endpoint gave no credentials to refresh with.');
        return;
      }
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers: fresh.iceServers });
      this.#scheduleIceRefresh(call, fresh.refreshAt);
    }, delay);
  }

  #iceSource() {
    return { url: this.#config.iceServersUrl, token: this.#config.token, fallback: this.#config.iceServers };
  }

  async #loadIceServers(): Promise<IceServersResult> {
    const result = await this.#iceServers.get(this.#iceSource());
    if (result.problem) this.#warn(ErrorCode.IceServersUnavailable, result.problem);
    return result;
  }

  #acquireMedia(media: MediaKind): Promise<MediaStream> {
    const reuse = this.#localStream;
    const hasVideo = (reuse?.getVideoTracks().length ?? 0) > 0;
    if (reuse && reuse.getTracks().every((t) => t.readyState === 'live') && hasVideo === (media === 'video')) {
      return Promise.resolve(reuse);
    }
    this.#releaseMedia();
    const opening: Promise<MediaStream> = getLocalMedia(media).then((stream) => {
      // The call that asked for it ended while the camera opened (a prompt left open, say): no camera stays on.
      if (this.#stopped || this.#call?.localMedia !== opening) {
        stopMedia(stream);
        throw new MediaAccessError(ErrorCode.MediaError, this.#stopped ? 'The widget was removed.' : 'The call ended before the camera opened.');
      }
      this.#localStream = stream;
      this.#host.onLocalStream(stream);
      return stream;
    });
    return opening;
  }

  #releaseMedia(): void {
    stopMedia(this.#localStream);
    this.#localStream = null;
    this.#host.onLocalStream(null);
  }

  #endCall(reason: CallReason): void {
    this.#closeCall();
    this.#releaseMedia();
    this.#transition('end', reason);
  }

  #failCall(call: ActiveCall, error: unknown, code?: ErrorCode, diagnostics?: IceDiagnosticSummary): void {
    if (this.#call !== call || this.#stopped) return;
    const resolved =
      code ?? (error instanceof MediaAccessError || error instanceof SignalingError ? error.code : ErrorCode.NegotiationFailed);
    // A peer that left between our request and its delivery is a normal end, not a failure.
    if (resolved === ErrorCode.NoPeer) return this.#endCall('peer-left');
    const reason: CallReason =
      error instanceof MediaAccessError ? 'media' : resolved === ErrorCode.IceFailed ? 'ice-failed' : error instanceof SignalingError ? 'signaling' : 'protocol';
    if (this.machine.state === 'calling') {
      // Still ringing the peer (our camera failed after the invite went out): for the callee it was cancelled.
      this.#tell('cancel', { callId: call.id, reason: 'canceled' });
    } else if (isInCall(this.machine.state)) {
      const hangupReason = resolved === ErrorCode.IceFailed ? 'ice-failed' : 'error';
      this.#tell('hangup', { callId: call.id, reason: hangupReason });
    }
    this.#fail(reason, resolved, (error as Error)?.message ?? String(error), diagnostics);
  }

  #fail(reason: CallReason, code: ErrorCode, message: string, diagnostics?: IceDiagnosticSummary): void {
    this.#closeCall();
    this.#releaseMedia();
    this.#host.onError({ code, message, fatal: true, ...(diagnostics && { diagnostics }) });
    this.#transition('fail', reason);
  }

  /** A message whose delivery nothing waits for (the call ends here either way). */
  #tell<E extends RelayedEvent>(event: E, payload: RelayedPayload<E>): void {
    this.#signaling?.send(event, payload).catch(() => {});
  }

  #warn(code: ErrorCode, message: string): void {
    this.#host.onError({ code, message, fatal: false });
  }

  #closeCall(): void {
    const call = this.#call;
    if (!call) return;
    this.#call = null;
    this.#path = null;
    this.#clearTimer(call);
    if (call.refreshTimer !== null) clearTimeout(call.refreshTimer);
    call.recovery?.stop();
    call.negotiator.close();
    call.pc?.close();
    this.#host.onRemoteStream(null);
  }

  #armTimer(call: ActiveCall, ms: number, onTimeout: () => void): void {
    this.#clearTimer(call);
    call.timer = setTimeout(() => {
      call.timer = null;
      if (this.#call === call) onTimeout();
    }, ms);
  }

  #clearTimer(call: ActiveCall): void {
    if (call.timer !== null) clearTimeout(call.timer);
    call.timer = null;
  }

  /** A stopped session no longer drives the machine, whatever late callback reaches it. */
  #transition(input: CallInput, reason?: CallReason, path?: CallPath): boolean {
    return !this.#stopped && this.machine.send(input, reason, path);
  }

  #setPeer(peer: Peer | null): void {
    this.#peer = peer;
    this.#host.onPeer(peer);
    // Someone to call: have the ICE servers ready (cached within their lifetime), and the DTLS certificate,
    // so neither placing nor answering a call waits for the endpoint or for key generation. A failure is
    // not kept; the call tries again and reports it.
    if (peer && !this.#call) {
      void this.#iceServers.get(this.#iceSource());
      void this.#certificate();
    }
  }

  /**
   * A connection made without a certificate generates its own key first, and its first description waits for
   * that: on a busy device tens of milliseconds on the way to the first frame. One made ahead serves every
   * call of this visit (it is valid for 30 days; a fresh one is made a day before that). Null where the
   * browser cannot make one: the connection then makes its own, as usual.
   */
  #certificate(): Promise<RTCCertificate | null> {
    const cert = this.#dtlsCertificate;
    if (cert && cert.expires - Date.now() > 86_400_000) return Promise.resolve(cert);
    return (this.#pendingCertificate ??= RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams)
      .then((made) => (this.#dtlsCertificate = made))
      .catch(() => null)
      .finally(() => (this.#pendingCertificate = null)));
  }
}

function kindsOf(media: MediaKind): string[] {
  return media === 'video' ? ['audio', 'video'] : ['audio'];
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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

/** The call reason for a join the server refused. */
function joinFailure(code: ErrorCode): CallReason {
  if (code === ErrorCode.RoomFull) return 'room-full';
  if (code === ErrorCode.Unauthorized) return 'unauthorized';
  return 'signaling';
}
