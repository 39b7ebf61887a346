/**
 * Bridges a `CallSession` to the element: owns the session's lifecycle (started when the element is first
 * rendered or put back in the page, restarted when the room or server changes, told of new settings, stopped
 * when the element leaves), keeps what the element renders (state, streams, peer, error, notice) and turns
 * session callbacks into DOM events and re-renders.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CallMachine, isInCall, type CallReason, type CallState, type CallTransition } from '../core/call-machine.js';
import { CallSession, type CallErrorInfo, type CallSessionConfig } from '../core/call-session.js';
import type { IceDiagnosticSummary } from '../core/ice-diagnostics.js';
import { resolveWidgetConfig, type WidgetAttributes } from '../core/widget-config.js';
import { QualityAlert } from '../core/quality-alert.js';
import type { CallQuality, SecondOfStats } from '../core/quality-monitor.js';
import { CallErrorEvent, CallQualityChangeEvent, CallReconnectEvent, CallStateChangeEvent, CallSummaryEvent } from '../events.js';
import { qualityLabel } from '../messages.js';
import { ErrorCode, type Peer } from '../protocol/protocol.js';
import { FrameCounter } from './frame-counter.js';
import type { MediaController } from './media-controller.js';
import { PageLifecycleController } from './page-lifecycle-controller.js';

/** Events the debug panel lists. */
const RECENT_EVENTS = 12;

/** Changing any of these means another room or server: the session restarts. */
const SESSION_ATTRIBUTES = ['signalingUrl', 'room', 'displayName'] as const;
/** These apply from the next call on, without leaving the room. */
const CALL_ATTRIBUTES = ['token', 'iceServersUrl', 'iceServers', 'iceTransportPolicy', 'media', 'autoAnswer', 'ringTimeout', 'connectTimeout', 'reconnectWindow', 'preconnect'] as const;
type Attribute = (typeof SESSION_ATTRIBUTES)[number] | (typeof CALL_ATTRIBUTES)[number];

/** `debug`: the debug panel is open, so each second's figures re-render. */
export type CallHost = ReactiveControllerHost & HTMLElement & WidgetAttributes & { debug?: boolean };

export class CallController implements ReactiveController {
  readonly #host: CallHost;
  readonly #page: PageLifecycleController;
  readonly #frames = new FrameCounter();
  #session: CallSession | null = null;
  /** The attribute values the running session was given; null before the first start. */
  #applied: Partial<Record<Attribute, unknown>> | null = null;
  /** The element's one state machine; each session (one per room and server) drives it in turn. */
  readonly machine = new CallMachine();

  remoteStream: MediaStream | null = null;
  peer: Peer | null = null;
  /** The last fatal error, shown until the next state change away from `failed`. */
  error: CallErrorInfo | null = null;
  /** A sentence for the visitor during this call (the camera failed, so it is audio only), or null. */
  notice: string | null = null;
  /** From the last call that could not connect; kept until the next one does. */
  diagnostics: IceDiagnosticSummary | null = null;
  /** When the current call first connected (`Date.now()`), for its timer; null outside a call. */
  connectedAt: number | null = null;
  /** The call's quality from its first media on; null outside a call. */
  quality: CallQuality | null = null;
  /** The last second of stats behind it, for the debug panel. */
  figures: SecondOfStats | null = null;
  /** What the live region says of a drop to a poor connection; empty once it is better again. */
  announcement = '';
  readonly #alert = new QualityAlert();
  /** The indicator's label ("Connection good, 4 of 5"), made once per window; empty while the level is unknown. */
  qualityText = '';
  /** The last events, newest last, for the debug panel. */
  readonly recent: string[] = [];
  #tick: ReturnType<typeof setInterval> | undefined;

  readonly #media: MediaController;

  constructor(host: CallHost, media: MediaController) {
    this.#host = host;
    this.#media = media;
    host.addController(this);
    this.#page = new PageLifecycleController(host, { onLeave: () => this.#leavePage(), onReturn: () => this.restart() });
    this.machine.subscribe((t) => this.#onTransition(t));
  }

  get session(): CallSession | null {
    return this.#session;
  }

  get state(): CallState {
    return this.machine.state;
  }

  get reason(): CallReason | undefined {
    return this.machine.reason;
  }

  /** The remote <video>, whose presented frames tell recovery what the visitor sees. */
  watchRemoteVideo(video: HTMLVideoElement | null): void {
    this.#frames.watch(video);
  }

  hostConnected(): void {
    // Put back in the page after a move in the DOM: hostDisconnected stopped the session, so start a new one.
    if (this.#applied) this.restart();
  }

  hostUpdate(): void {
    const changed = (names: readonly Attribute[]) => names.some((name) => this.#applied?.[name] !== this.#host[name]);
    // A fresh `token` (sites renew them before they expire) goes into the running session: it is used from
    // the next join and ICE-server fetch on, and a call in progress goes on. Only a session that failed, an
    // `unauthorized` join among others, starts again with it.
    const restartForToken = changed(['token']) && (!this.#session || this.state === 'failed');
    if (!this.#applied || restartForToken || changed(SESSION_ATTRIBUTES)) return this.restart();
    if (!changed(CALL_ATTRIBUTES)) return;
    const resolved = this.#resolve();
    if (!resolved.ok) this.#failConfiguration(resolved.message);
    else if (this.#session) this.#session.update(resolved.config);
    else this.#start(resolved.config);
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Leaves any room and joins the configured one again (after a failure, or to pick up changed settings). */
  restart(): void {
    const resolved = this.#resolve();
    if (resolved.ok) this.#start(resolved.config);
    else this.#failConfiguration(resolved.message);
  }

  stop(): void {
    const session = this.#session;
    if (!session) return;
    session.stop();
    this.#session = null;
    this.remoteStream = this.peer = this.notice = null;
    this.#host.requestUpdate();
  }

  #resolve() {
    this.#applied = Object.fromEntries([...SESSION_ATTRIBUTES, ...CALL_ATTRIBUTES].map((name) => [name, this.#host[name]]));
    return resolveWidgetConfig(this.#host);
  }

  #start(config: CallSessionConfig): void {
    this.stop();
    this.error = null;
    this.machine.send('leave'); // out of `failed`, so the new session can join
    const page = this.#page;
    const session: CallSession = new CallSession(
      config,
      {
        onError: (e) => this.#session === session && this.#onError(e),
        onNotice: (message) => this.#session === session && this.#set(() => (this.notice = message)),
        onLocalStream: () => {},
        onRemoteStream: (s) => this.#session === session && (this.#set(() => (this.remoteStream = s)), !s && this.#media.setPeer(null)),
        onPeerMediaState: (state) => this.#session === session && this.#media.setPeer(state),
        onPeerLevel: (level) => this.#session === session && this.#media.setPeerLevel(level),
        onQuality: (quality, figures) => this.#session === session && this.#onQuality(quality, figures ?? null),
        onSummary: (summary) => this.#session === session && this.#host.dispatchEvent(new CallSummaryEvent(summary)),
        onPeer: (p) => this.#session === session && this.#set(() => (this.peer = p)),
        onReconnectAttempt: (detail) => this.#session === session && (this.#note(`reconnect ${detail.attempt}: ${detail.method}`), this.#host.dispatchEvent(new CallReconnectEvent(detail))),
        watchNetwork: (onChange) => page.watchNetwork(onChange),
        framesPresented: () => this.#frames.presented,
        sendBeacon: (url, body) => page.sendBeacon(url, body),
      },
      this.machine,
      { media: this.#media.holder },
    );
    this.#session = session;
    void session.start();
  }

  /** The page is going away: say goodbye without the clean hang-up round trip. */
  #leavePage(): void {
    this.#session?.leavePage();
    this.#session = null;
    this.remoteStream = this.peer = null;
  }

  /** An attribute is wrong: no session can run, and the page is told which attribute and why. */
  #failConfiguration(message: string): void {
    this.stop();
    this.machine.send('leave');
    this.#onError({ code: ErrorCode.InvalidAttribute, message, fatal: true });
    this.machine.send('fail', 'invalid-attribute');
  }

  #onTransition(transition: CallTransition): void {
    this.#note(`${transition.state}${transition.reason ? ` (${transition.reason})` : ''}`);
    if (transition.state !== 'failed') this.error = null;
    if (transition.state === 'connected') this.diagnostics = null;
    // The timer runs from the first media of the call, through any reconnecting, until it ends.
    if (transition.state === 'connected') this.connectedAt ??= Date.now();
    else if (!isInCall(transition.state)) this.connectedAt = null;
    if (this.connectedAt === null) this.#tick = void clearInterval(this.#tick);
    else this.#tick ??= setInterval(() => this.#host.requestUpdate(), 1000);
    this.#host.requestUpdate();
    this.#host.dispatchEvent(
      new CallStateChangeEvent({
        state: transition.state,
        previous: transition.previous,
        ...(transition.reason && { reason: transition.reason }),
        ...(transition.path && { path: transition.path }),
      }),
    );
  }

  /**
   * Re-renders when the indicator's label changes (the level, its reasons), and tells the page when the level
   * does; a drop to 2 bars or fewer is announced (`QualityAlert` says when).
   */
  #onQuality(quality: CallQuality | null, figures: SecondOfStats | null): void {
    const before = this.quality;
    this.quality = quality;
    this.figures = figures;
    const level = quality?.level ?? null;
    const beforeLevel = before?.level ?? null;
    if (quality && level !== beforeLevel) {
      this.#note(`quality ${level ?? 'unknown'}`);
      this.#host.dispatchEvent(new CallQualityChangeEvent(quality));
    }
    const label = quality && level !== null ? qualityLabel(quality) : '';
    if (this.#alert.update(level, Date.now())) this.announcement = label;
    else if (level === null || level > 2) this.announcement = '';
    if (label !== this.qualityText || this.#host.debug) this.#host.requestUpdate();
    this.qualityText = label;
  }

  /** One line for the debug panel's recent events. */
  #note(text: string): void {
    this.recent.push(`${new Date().toISOString().slice(11, 19)} ${text}`);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
  }

  #onError(error: CallErrorInfo): void {
    this.#note(`${error.code}: ${error.message}`);
    if (error.fatal) this.error = error;
    if (error.diagnostics) this.diagnostics = error.diagnostics;
    else console.warn(`[call-widget] ${error.code}: ${error.message}`);
    this.#host.requestUpdate();
    this.#host.dispatchEvent(new CallErrorEvent(error));
  }

  #set(apply: () => void): void {
    apply();
    this.#host.requestUpdate();
  }
}
