/**
 * One widget's life in a room: the room's events turned into the call state machine's inputs, ringing and
 * glare, and each call's phases from invite to end. Membership is in `room.ts`, what a call holds in
 * `call.ts`, its connection in `peer-connection.ts`, whether media flows in `call-recovery.ts`. No DOM and no
 * Lit: the element only renders what this reports.
 */
import { ErrorCode, type MediaKind, type Peer, type RelayedEvent, type RelayedPayload } from '../protocol/protocol.js';
import { Call, CallEnded, type CallEnvironment } from './call.js';
import { CallMachine, isInCall, type CallInput, type CallReason } from './call-machine.js';
import { errorCodeOf, failureEnding, failureReason, joinFailure, remoteEndReason, type Ending } from './call-reasons.js';
import { DtlsCertificates } from './dtls-certificate.js';
import type { CallPath, IceDiagnosticSummary } from './ice-diagnostics.js';
import { SessionIceServers } from './ice-servers.js';
import { LocalMediaHolder } from './local-media.js';
import { Room, type RelayedMessage } from './room.js';
import { defaultDeps, randomId, type CallSessionConfig, type CallSessionDeps, type CallSessionHost } from './session-options.js';

export * from './session-options.js';

/** The callee's own bound on ringing past the caller's ring timeout, in case the caller's `cancel` is lost. */
const RING_GRACE_MS = 5_000;
const NO_PATH = 'No network path to the other side could be found.';

export class CallSession {
  readonly machine: CallMachine;
  readonly #host: CallSessionHost;
  readonly #deps: ReturnType<typeof defaultDeps> & CallSessionDeps;
  readonly #certificates = new DtlsCertificates();
  readonly #media: LocalMediaHolder;
  readonly #environment: CallEnvironment;
  readonly #iceServers: SessionIceServers;
  /** Aborted by `stop`: a stopped session no longer drives the machine, whatever late callback reaches it. */
  readonly #life = new AbortController();
  #config: CallSessionConfig;
  #room: Room | null = null;
  #unwatchNetwork: (() => void) | null = null;
  #call: Call | null = null;
  #path: CallPath | null = null;

  /** The machine may outlive the session (an element restarting with new attributes keeps its state). */
  constructor(config: CallSessionConfig, host: CallSessionHost, machine: CallMachine = new CallMachine(), deps: CallSessionDeps = {}) {
    this.#config = config;
    this.#host = host;
    this.machine = machine;
    this.#deps = { ...defaultDeps(), ...deps };
    this.#media = deps.media ?? new LocalMediaHolder({ open: deps.openMedia });
    this.#media.subscribe({ onStream: (stream) => host.onLocalStream(stream) }, this.#life.signal);
    const iceSource = () => ({ url: this.#config.iceServersUrl, token: this.#config.token, fallback: this.#config.iceServers });
    this.#iceServers = new SessionIceServers(this.#deps.iceServers, iceSource, this.#deps.clock, (problem) => this.#warn(ErrorCode.IceServersUnavailable, problem));
    this.#environment = this.#callEnvironment();
  }

  get peer(): Peer | null {
    return this.#room?.peer ?? null;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.#call?.connection?.pc ?? null;
  }

  /** The media path of the connected call, or null. */
  get path(): CallPath | null {
    return this.#path;
  }

  /** The session left the room (`stop`). */
  get #left(): boolean {
    return this.#life.signal.aborted;
  }

  /** Settings that take effect from the next call on (the room and server need a new session). */
  update(config: Partial<Omit<CallSessionConfig, 'signalingUrl' | 'room' | 'displayName'>>): void {
    this.#config = { ...this.#config, ...config };
    this.#room?.setToken(this.#config.token);
  }

  /** Connects to signaling and joins the room. */
  async start(): Promise<void> {
    if (!this.#transition('join')) return;
    this.#room ??= new Room(this.#config, this.#deps, {
      onJoined: (peer, rejoin) => this.#onJoined(peer, rejoin),
      onJoinFailed: (code, message) => this.#fail(joinFailure(code), code, message),
      // Outside a call nothing can be placed now: say so, rather than offer a Call that rings nobody.
      onLinkLost: () => this.#transition('signaling-lost', 'signaling'),
      onPeerJoined: (peer) => this.#onPeer(peer, 'peer-joined'),
      onPeerLeft: () => this.#onPeer(null, 'peer-left'),
      onMessage: (message) => this.#onMessage(message),
      onWarning: (code, message) => this.#warn(code, message),
    });
    this.#unwatchNetwork ??= this.#host.watchNetwork?.((kind) => this.#call?.recovery?.networkChanged(kind)) ?? null;
    await this.#room.join();
  }

  /** Joined: the first time, or again after the link dropped (as the same participant, or as a newcomer). */
  #onJoined(peer: Peer | null, rejoin: { resumed: boolean } | null): void {
    if (this.machine.state === 'failed') this.#transition('join');
    // A newcomer: the server forgot us, and told the peer we left. Any call ended with the link, and the
    // states say so (`signaling`) rather than blame the peer for leaving.
    if (rejoin && !rejoin.resumed && this.#call) this.#endCall('signaling');
    this.#onPeer(peer, rejoin ? 'rejoined' : 'joined');
  }

  /** Who is in the room now, and how we learnt it; ICE servers and certificate get ready while someone is. */
  #onPeer(peer: Peer | null, cause: 'joined' | 'rejoined' | 'peer-joined' | 'peer-left'): void {
    this.#host.onPeer(peer);
    if (peer && !this.#call) {
      this.#iceServers.prefetch();
      void this.#certificates.ready();
    }
    if (!peer && this.#call) this.#endCall('peer-left', undefined, 'peer-left');
    if (this.machine.state === 'joining') this.#transition(peer ? 'joined-with-peer' : 'joined-alone');
    else if (!peer) this.#transition('peer-left', cause === 'peer-left' ? 'peer-left' : 'signaling');
    // The same peer still there after a rejoin changes nothing (an `ended` keeps saying why it ended).
    else if (cause === 'peer-joined' || this.machine.state === 'waiting') this.#transition('peer-joined');
  }

  /** Places a call to the peer in the room: it rings at once, while the camera starts. */
  async call(): Promise<void> {
    const signaling = this.#room?.signaling;
    if (!this.machine.can('call') || !this.peer || !signaling?.connected) return;
    const call = this.#newCall(randomId(), 'outgoing', this.#config.media);
    this.#transition('call');
    // The page hears `calling` above and may have hung up from inside its listener.
    if (call.ended) return;
    // The ring timeout runs from now, not from the invite's ack: a call placed as the link drops must not
    // show `calling` past it. The caller owns it and tells the callee in the invite.
    call.setTimer(this.#config.ringTimeoutMs, () => this.#endCall('no-answer', { event: 'cancel', reason: 'no-answer' }));
    try {
      // The invite goes out at once, so the callee's camera starts while ours does: the two open side by
      // side rather than one after the other. The offer follows at once (the server relays in order).
      const ringTimeout = Math.min(600_000, Math.max(1000, Math.round(this.#config.ringTimeoutMs)));
      const invited = signaling.send('invite', { callId: call.id, media: call.media, ringTimeout });
      await call.until(Promise.all([invited, this.#config.preconnect && call.start(), call.mediaReady()]));
    } catch (error) {
      this.#failCall(call, error);
    }
  }

  /** Answers the incoming call. */
  async accept(): Promise<void> {
    const call = this.#call;
    // The page hears `connecting` first and may hang up from inside its listener.
    if (call?.direction === 'incoming' && this.#transition('accept') && !call.ended) return this.#answer(call);
  }

  /** An incoming call was accepted (by the visitor, or to settle glare): tell the caller, then connect. */
  async #answer(call: Call): Promise<void> {
    try {
      // `accept` first: the caller starts sending (or, without preconnect, offering) while our camera and
      // connection get ready. It says what we take part with, so an audio-only side gets no video offered.
      const accepted = this.#room!.signaling.send('accept', { callId: call.id, media: call.media });
      await call.until(Promise.all([accepted, this.#connectAccepted(call)]));
    } catch (error) {
      this.#failCall(call, error);
    }
  }

  /** Refuses the incoming call. */
  decline(): void {
    if (this.#call && this.machine.state === 'ringing') this.#endCall('declined', { event: 'decline', reason: 'declined' });
  }

  /** Ends the call in whatever phase it is: cancels an outgoing ring, declines an incoming one, hangs up. */
  hangUp(): void {
    const state = this.machine.state;
    if (!this.#call || !isInCall(state)) return;
    if (state === 'ringing') return this.decline();
    if (state === 'calling') this.#endCall('canceled', { event: 'cancel', reason: 'canceled' });
    else this.#endCall('hangup', { event: 'hangup', reason: 'hangup' });
  }

  /** The page is going away (tab closed, navigation): the peer hears `peer-left` now. */
  leavePage(): void {
    if (this.#left) return;
    this.#room?.leaveNow(this.#host.sendBeacon && ((url, body) => this.#host.sendBeacon!(url, body)));
    this.#room = null;
    this.stop();
  }

  /** Leaves the room and releases everything: camera, connections, timers. */
  stop(): void {
    if (this.#left) return;
    // Left first: the hang-up below tells the peer, but moves this machine no more (it goes to `idle`).
    this.#life.abort();
    this.hangUp();
    this.#closeCall();
    this.#media.release();
    this.#unwatchNetwork?.();
    this.#room?.close();
    this.#room = null;
    this.machine.send('leave');
  }

  // ------------------------------------------------------------------------------------------------------

  #onMessage(message: RelayedMessage): void {
    if (message.event === 'invite') return this.#onInvite(message.payload.callId, message.payload.media, message.payload.ringTimeout);
    // Everything else belongs to a call; messages of an earlier or an unknown call are dropped.
    const call = this.#call;
    if (!call || call.id !== message.payload.callId) return;
    const state = this.machine.state;
    switch (message.event) {
      case 'accept':
        if (call.direction !== 'outgoing' || !this.#transition('accepted')) return;
        if (message.payload.media === 'audio') call.goAudioOnly();
        this.#connectAccepted(call).catch((error) => this.#failCall(call, error));
        return;
      // A `cancel` may cross our `accept` (the caller's ring timeout passed as we accepted): still the end.
      case 'decline':
      case 'cancel':
        if (state === (message.event === 'decline' ? 'calling' : 'ringing') || (message.event === 'cancel' && state === 'connecting'))
          this.#endCall(remoteEndReason(message.event, message.payload.reason));
        return;
      case 'hangup':
        if (message.payload.reason === 'ice-failed' && call.connection) void this.#failIce(call, NO_PATH);
        else if (message.payload.reason === 'network') this.#giveUp(call, false);
        else this.#endCall(remoteEndReason('hangup', message.payload.reason));
        return;
      case 'media-state':
        return call.onPeerMediaState(message.payload);
      case 'quality':
        return call.quality.onPeerReport(message.payload);
      case 'description':
      case 'candidate': {
        const generation = message.payload.generation ?? 0;
        // A signal of a connection we already replaced is stale; one of a newer connection means the other
        // side rebuilt, and so must we before it can be applied.
        if (generation < call.generation) return;
        if (generation > call.generation && call.connection) call.rebuild(generation, false);
        // Before the connection exists (a callee that does not preconnect), signals wait for it, in order.
        call.handle(message.event === 'description' ? { description: message.payload.description } : { candidate: message.payload.candidate });
      }
    }
  }

  #onInvite(callId: string, media: MediaKind, ringTimeout = this.#config.ringTimeoutMs): void {
    const current = this.#call;
    if (current && this.machine.state === 'calling' && current.direction === 'outgoing') {
      // Both called at once. The impolite side keeps its call (the polite side will accept it); the polite
      // side drops its own and accepts the incoming one, so exactly one call results.
      if (!this.#room?.polite) return;
      // Our invite is off (the other side drops it by its id if it is still calling itself).
      this.#tellEnding(current, { event: 'cancel', reason: 'canceled' });
      current.end();
      // What we take part with is ours to say, as for any incoming call: our own call's media (our `media`,
      // or a camera that failed already), not only the invite's.
      const call = this.#newCall(callId, 'incoming', media === 'audio' || current.media === 'audio' ? 'audio' : 'video', current);
      if (this.#transition('accept') && !call.ended) void this.#answer(call);
      return;
    }
    if (current || !this.machine.can('invited')) return this.#tell('decline', { callId, reason: 'busy' });
    const call = this.#newCall(callId, 'incoming', media === 'audio' || this.#config.media === 'audio' ? 'audio' : 'video');
    // A microphone that fails while it rings fails the call at once, and the caller hears why.
    call.mediaReady().catch((error) => this.#failCall(call, error));
    call.setTimer(ringTimeout + RING_GRACE_MS, () => this.#endCall('missed', { event: 'decline', reason: 'no-answer' }));
    // Answer the caller's offer while ringing (the camera plays no part in it).
    if (this.#config.preconnect) call.start().catch(() => {});
    // Last: the page hears `ringing` here and may accept (or decline) from inside its listener.
    this.#transition('invited');
    if (this.#config.autoAnswer) void this.accept();
  }

  /** `reuse`: the call this one replaces (glare), whose camera and ICE servers are already on their way. */
  #newCall(id: string, direction: Call['direction'], media: MediaKind, reuse?: Call): Call {
    const localMedia = reuse?.localMedia ?? this.#media.acquire(media, (opening) => !this.#left && this.#call?.localMedia === opening);
    const call = new Call({ id, direction, media, localMedia, iceServers: reuse?.iceServers ?? this.#iceServers.load() }, this.#environment);
    this.#call = call;
    return call;
  }

  /**
   * The call is accepted (either side): local media goes out on the connection made now or while ringing, and
   * the call is `connected` once media arrives (`CallRecovery`), within the connect timeout.
   */
  async #connectAccepted(call: Call): Promise<void> {
    if (!call.accepted) {
      call.accept();
      // The ring timeout is over for good; the connect timeout replaces it.
      const seconds = this.#config.connectTimeoutMs / 1000;
      call.setTimer(this.#config.connectTimeoutMs, () =>
        call.connection?.pc.connectionState === 'connected'
          ? this.#failCall(call, new Error(`Connected, but no media arrived from the other side within ${seconds} s.`), ErrorCode.NetworkLost)
          : void this.#failIce(call, `No network path to the other side was found within ${seconds} s.`),
      );
    }
    await Promise.all([call.mediaReady().then(() => call.fillSenders()), call.start()]);
    if (call.ended) return;
    if (call.connection?.pc.connectionState === 'failed') return void this.#failIce(call, NO_PATH);
    call.watch({
      onFlowing: (path) => {
        call.clearTimer();
        call.connectedAt ??= this.#deps.clock.now();
        this.#path = path;
        this.#transition('media-connected', undefined, path ?? undefined);
      },
      onTrouble: () => {
        call.reconnects += 1;
        this.#transition('media-lost', 'network');
      },
      onAttempt: (method, attempt) => this.#host.onReconnectAttempt?.({ attempt, method }),
      onGiveUp: () => this.#giveUp(call, true),
    });
  }

  /** What a call's connections are made with, and where what they report goes. */
  #callEnvironment(): CallEnvironment {
    return {
      clock: this.#deps.clock,
      polite: () => this.#room?.polite ?? false,
      iceTransportPolicy: () => this.#config.iceTransportPolicy,
      certificate: () => this.#certificates.current(),
      certificateReady: () => this.#certificates.ready(),
      reconnectWindowMs: () => this.#config.reconnectWindowMs,
      keepIceServersFresh: (call, refreshAt) => this.#iceServers.keepFresh(call.signal, refreshAt, () => call.connection?.pc),
      createPeerConnection: this.#deps.createPeerConnection,
      media: this.#media,
      onPeerMediaState: (state) => this.#host.onPeerMediaState?.(state),
      onQuality: (quality) => this.#host.onQuality?.(quality, this.#call?.quality.figures),
      onPeerLevel: (level) => this.#host.onPeerLevel?.(level),
      framesPresented: this.#host.framesPresented && (() => this.#host.framesPresented!()),
      relay: (call, { event, payload }) =>
        this.#room?.signaling.send(event, payload).catch(call.bind((error: Error) => this.#warn(ErrorCode.Protocol, `Could not send a ${event}: ${error.message}`))),
      onRemoteStream: (stream) => this.#host.onRemoteStream(stream),
      onNotice: (notice) => this.#host.onNotice?.(notice),
      onConnectionState: (call, state) => {
        call.recovery?.connectionStateChanged(state);
        if (state === 'failed' && this.machine.state === 'connecting') void this.#failIce(call, NO_PATH);
      },
      onError: (call, error) => this.#failCall(call, error),
    };
  }

  /** The reconnect window is over (here, or on the other side, which told us): the call failed. */
  #giveUp(call: Call, tellPeer: boolean): void {
    if (tellPeer) this.#tell('hangup', { callId: call.id, reason: 'network' });
    this.#fail('network', ErrorCode.NetworkLost, `The connection was lost and could not be restored within ${this.#config.reconnectWindowMs / 1000} s.`);
  }

  /** Ends a call that found no path, with what ICE tried attached for the site owner. */
  async #failIce(call: Call, message: string): Promise<void> {
    const diagnostics = await call.connection?.diagnostics.summary();
    this.#failCall(call, new Error(message), ErrorCode.IceFailed, diagnostics);
  }

  /**
   * Ends the call normally; `ending`: what tells the peer. `input`: `peer-left` when the peer is gone (the
   * machine then goes to `waiting`, not `ended`).
   */
  #endCall(reason: CallReason, ending?: Ending, input: CallInput = 'end'): void {
    const call = this.#call;
    if (call && ending) this.#tellEnding(call, ending);
    this.#closeCall(reason);
    this.#media.release();
    this.#transition(input, reason);
    // Ended while the link is down: nothing can be placed until it is back.
    if (this.#room && !this.#room.signaling.connected) this.#transition('signaling-lost', 'signaling');
  }

  #failCall(call: Call, error: unknown, code = errorCodeOf(error), diagnostics?: IceDiagnosticSummary): void {
    if (call.ended || this.#left || error instanceof CallEnded) return;
    // A peer that left between our request and its delivery is a normal end, not a failure.
    if (code === ErrorCode.NoPeer) return this.#endCall('peer-left', undefined, 'peer-left');
    const reason = failureReason(error, code);
    const state = this.machine.state;
    if (isInCall(state)) this.#tellEnding(call, failureEnding(state === 'calling' ? 'cancel' : state === 'ringing' ? 'decline' : 'hangup', reason));
    this.#fail(reason, code, (error as Error)?.message ?? String(error), diagnostics);
  }

  /**
   * Tells the peer the call is over. A call whose invite is still waiting for the link never reached the
   * peer: its messages are dropped instead, so nobody rings for a call that ended minutes ago.
   */
  #tellEnding(call: Call, ending: Ending): void {
    if (this.#room?.signaling.discard(call.id)) return;
    this.#tell(ending.event, { callId: call.id, reason: ending.reason } as RelayedPayload<typeof ending.event>);
  }

  #fail(reason: CallReason, code: ErrorCode, message: string, diagnostics?: IceDiagnosticSummary): void {
    this.#closeCall(reason);
    this.#media.release();
    this.#host.onError({ code, message, fatal: true, ...(diagnostics && { diagnostics }) });
    this.#transition('fail', reason);
  }

  /** A message whose delivery nothing waits for (the call ends here either way). */
  #tell<E extends RelayedEvent>(event: E, payload: RelayedPayload<E>): void {
    this.#room?.signaling.send(event, payload).catch(() => {});
  }

  #warn(code: ErrorCode, message: string): void {
    this.#host.onError({ code, message, fatal: false });
  }

  /** `outcome`: why the call ended, for its summary. */
  #closeCall(outcome: CallReason = 'hangup'): void {
    const call = this.#call;
    if (!call) return;
    const path = this.#path;
    this.#call = null;
    this.#path = null;
    call.end();
    this.#host.onNotice?.(null);
    this.#host.onRemoteStream(null);
    this.#host.onQuality?.(null);
    const now = this.#deps.clock.now();
    const { connectedAt, acceptedAt } = call;
    this.#host.onSummary?.({
      callId: call.id,
      direction: call.direction,
      media: call.media,
      outcome,
      setupMs: connectedAt === null || acceptedAt === null ? null : connectedAt - acceptedAt,
      durationMs: connectedAt === null ? 0 : now - connectedAt,
      path: connectedAt === null ? null : path,
      reconnects: call.reconnects,
      ...call.quality.totals,
    });
  }

  #transition(input: CallInput, reason?: CallReason, path?: CallPath): boolean {
    return !this.#left && this.machine.send(input, reason, path);
  }
}
