/**
 * Bridges a `CallSession` to a Lit host: keeps what the element renders (state, streams, peer, last error)
 * and turns session callbacks into DOM events and re-renders.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CallMachine, type CallReason, type CallState, type CallTransition } from './core/call-machine.js';
import { CallSession, type CallErrorInfo, type CallSessionConfig } from './core/call-session.js';
import type { IceDiagnosticSummary } from './core/ice-diagnostics.js';
import { CallErrorEvent, CallReconnectEvent, CallStateChangeEvent } from './events.js';
import { ErrorCode, type Peer } from './protocol/protocol.js';

export class CallController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #session: CallSession | null = null;
  /** The element's one state machine; each session (one per room and server) drives it in turn. */
  readonly machine = new CallMachine();

  localStream: MediaStream | null = null;
  remoteStream: MediaStream | null = null;
  peer: Peer | null = null;
  /** The last fatal error, shown until the next state change away from `failed`. */
  error: CallErrorInfo | null = null;
  /** From the last call that could not connect; kept until the next one does. */
  diagnostics: IceDiagnosticSummary | null = null;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
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

  /** (Re)starts the session for this configuration: leaves any previous room first. */
  start(config: CallSessionConfig): void {
    this.stop();
    this.error = null;
    this.machine.send('leave'); // out of `failed`, so the new session can join
    const session: CallSession = new CallSession(config, {
      onError: (e) => this.#session === session && this.#onError(e),
      onLocalStream: (s) => this.#session === session && this.#set(() => (this.localStream = s)),
      onRemoteStream: (s) => this.#session === session && this.#set(() => (this.remoteStream = s)),
      onPeer: (p) => this.#session === session && this.#set(() => (this.peer = p)),
      onReconnectAttempt: (detail) => this.#session === session && this.#host.dispatchEvent(new CallReconnectEvent(detail)),
      watchNetwork: (onChange) => {
        const on = ({ type }: Event) => onChange(type as 'offline' | 'online' | 'change');
        const connection = (navigator as Navigator & { connection?: EventTarget }).connection;
        addEventListener('offline', on);
        addEventListener('online', on);
        connection?.addEventListener('change', on);
        return () => {
          removeEventListener('offline', on);
          removeEventListener('online', on);
          connection?.removeEventListener('change', on);
        };
      },
    }, this.machine);
    this.#session = session;
    void session.start();
  }

  /** The page is going away: say goodbye without the clean hang-up round trip. */
  leavePage(): void {
    this.#session?.leavePage();
    this.#session = null;
    this.localStream = this.remoteStream = this.peer = null;
  }

  stop(): void {
    const session = this.#session;
    if (!session) return;
    session.stop();
    this.#session = null;
    this.localStream = this.remoteStream = this.peer = null;
    this.#host.requestUpdate();
  }

  /** An attribute is wrong: no session can run, and the page is told which attribute and why. */
  failConfiguration(message: string): void {
    this.stop();
    this.machine.send('leave');
    this.#onError({ code: ErrorCode.InvalidAttribute, message, fatal: true });
    this.machine.send('fail', 'invalid-attribute');
  }

  hostDisconnected(): void {
    this.stop();
  }

  #onTransition(transition: CallTransition): void {
    if (transition.state !== 'failed') this.error = null;
    if (transition.state === 'connected') this.diagnostics = null;
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

  #onError(error: CallErrorInfo): void {
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
