import { ContextProvider } from '@lit/context';
import { LitElement, html, nothing } from 'lit';
import { callContext, type CallContextValue } from './call-context.js';
import { CallController } from './controllers/call-controller.js';
import { styles } from './call-widget.styles.js';
import type { CallReason, CallState } from './core/call-machine.js';
import type { CallPath, IceDiagnosticSummary } from './core/ice-diagnostics.js';
import { statusText } from './messages.js';

/**
 * A drop-in 1:1 audio/video call. Point it at a signaling server and a room; two visitors in the same room
 * can call each other.
 *
 * @attr signaling-url - Required. Base URL of the Socket.IO signaling server (http, https, ws or wss).
 * @attr room - Required. Room name: 1-128 characters of `A-Z a-z 0-9 . _ ~ : -`. Two participants at most.
 * @attr ice-servers-url - URL returning `{iceServers, ttl}` (or a bare array); fetched with `token` as Bearer.
 * @attr ice-servers - JSON array of `RTCIceServer`, used when `ice-servers-url` is absent or fails.
 * @attr ice-transport-policy - `all` (default) or `relay` (TURN only: hides network addresses from the peer).
 * @attr token - Sent in the Socket.IO handshake `auth.token` and as `Authorization: Bearer` to the ICE endpoint.
 * @attr display-name - Shown to the other participant (at most 64 characters).
 * @attr media - `video` (default) or `audio`.
 * @attr auto-answer - Boolean: accept incoming calls without asking.
 * @attr ring-timeout - Seconds an outgoing call rings before it ends with reason `no-answer` (default 30); the callee follows the caller's.
 * @attr connect-timeout - Seconds an accepted call may take until media arrives before it fails (`ice-failed`, or `network-lost` with a path but no media; default 30).
 * @attr reconnect-window - Seconds a call may stay `reconnecting` before it fails with reason `network` (default 30).
 * @attr preconnect - `on` (default) or `off`: connect while the call rings, so media starts the moment it is
 *   accepted. Nothing is sent before accept, but both sides' network addresses reach the other while it rings
 *   (only the TURN server's with `ice-transport-policy="relay"`).
 * @attr state - Read-only, reflected: the call state (see `state`).
 *
 * @slot - Extra content below the controls. Descendants can consume `callContext` (from `@lit/context`)
 *   to read the call state and place, answer or end calls.
 *
 * @fires {CallStateChangeEvent} call-state-change - `{state, previous, reason?, path?}`: the call state
 *   changed; `path` on `connected`.
 * @fires {CallReconnectEvent} call-reconnect - `{attempt, method}`: an attempt to restore lost media
 *   (`ice-restart` or `rebuild`).
 * @fires {CallErrorEvent} call-error - `{code, message, fatal, diagnostics?}`: something went wrong; `fatal`
 *   says whether the call went on; `diagnostics` (with `ice-failed`) says what ICE tried.
 *
 * @csspart stage - The video area.
 * @csspart remote-video - The other participant's video.
 * @csspart local-video - Your own camera preview.
 * @csspart status - The status line (a live region).
 * @csspart notice - A sentence for the visitor during a call (a camera that failed, so the call is audio only).
 * @csspart controls - The button row.
 * @csspart call-button - Places a call.
 * @csspart accept-button - Accepts an incoming call.
 * @csspart decline-button - Declines an incoming call.
 * @csspart hangup-button - Ends or cancels the call (offered in `calling`, `connecting`, `connected` and `reconnecting`).
 * @csspart retry-button - Joins again after a failure.
 *
 * @cssproperty [--call-widget-background=#111827] - Background of the widget.
 * @cssproperty [--call-widget-foreground=#f9fafb] - Text color.
 * @cssproperty [--call-widget-accent=#15803d] - Call and accept buttons.
 * @cssproperty [--call-widget-danger=#b91c1c] - Decline and hang-up buttons.
 * @cssproperty [--call-widget-radius=12px] - Corner radius.
 * @cssproperty [--call-widget-gap=8px] - Spacing unit.
 * @cssproperty [--call-widget-font=system-ui, sans-serif] - Font family.
 * @cssproperty [--call-widget-aspect-ratio=16 / 9] - Aspect ratio of the video area.
 * @cssproperty [--call-widget-local-size=28%] - Width of the local preview.
 */
export class CallWidget extends LitElement {
  static override styles = styles;
  /**
   * Declared here rather than with `@property` decorators: those compile to one helper call per property and
   * bring Lit's decorator module along, 0.4 KB gzip of the bundle for the same table. The fields below are plain
   * assignments in the constructor (`useDefineForClassFields: false`), so Lit's accessors stay in charge.
   */
  static override properties = {
    signalingUrl: { attribute: 'signaling-url', reflect: true },
    room: { reflect: true },
    iceServersUrl: { attribute: 'ice-servers-url' },
    iceServers: { attribute: 'ice-servers' },
    iceTransportPolicy: { attribute: 'ice-transport-policy', reflect: true },
    /** Not reflected: a credential has no business in the DOM where other scripts and extensions read it. */
    token: {},
    displayName: { attribute: 'display-name', reflect: true },
    media: { reflect: true },
    autoAnswer: { attribute: 'auto-answer', type: Boolean, reflect: true },
    ringTimeout: { attribute: 'ring-timeout' },
    connectTimeout: { attribute: 'connect-timeout' },
    reconnectWindow: { attribute: 'reconnect-window' },
    preconnect: { reflect: true },
  };

  signalingUrl = '';
  room = '';
  iceServersUrl = '';
  iceServers = '';
  iceTransportPolicy: 'all' | 'relay' = 'all';
  token = '';
  displayName = '';
  media: 'video' | 'audio' = 'video';
  autoAnswer = false;
  ringTimeout = '';
  connectTimeout = '';
  reconnectWindow = '';
  preconnect: 'on' | 'off' = 'on';

  readonly #call = new CallController(this);
  readonly #context = new ContextProvider(this, { context: callContext, initialValue: this.#contextValue() });

  /**
   * The call state: `idle`, `joining`, `waiting`, `ready`, `calling`, `ringing`, `connecting`,
   * `connected`, `ended` or `failed`. Read-only; reflected to the `state` attribute.
   */
  get state(): CallState {
    return this.#call.state;
  }

  /** Why the current state was entered (`no-answer`, `peer-hangup`, `ice-failed`, ...), if known. */
  get reason(): CallReason | undefined {
    return this.#call.reason;
  }

  /**
   * The media path of the connected call: `{kind: 'direct' | 'relay', protocol: 'udp' | 'tcp' | 'tls', local,
   * remote}` (candidate types of the selected pair), or null when not connected.
   */
  get path(): CallPath | null {
    return this.#call.session?.path ?? null;
  }

  /** What ICE tried, from the last call that failed to connect (also in that `call-error`'s detail). */
  get diagnostics(): IceDiagnosticSummary | null {
    return this.#call.diagnostics;
  }

  /** The underlying `RTCPeerConnection` of the current call, for diagnostics (`getStats()`). */
  get peerConnection(): RTCPeerConnection | null {
    return this.#call.session?.peerConnection ?? null;
  }

  /** Places a call to the other participant (when `state` is `ready` or `ended`). */
  call(): Promise<void> {
    return this.#call.session?.call() ?? Promise.resolve();
  }

  /** Accepts the incoming call (when `state` is `ringing`). */
  accept(): Promise<void> {
    return this.#call.session?.accept() ?? Promise.resolve();
  }

  /** Declines the incoming call. */
  decline(): void {
    this.#call.session?.decline();
  }

  /** Ends the call: hangs up, cancels an outgoing ring, or declines an incoming one. */
  hangUp(): void {
    this.#call.session?.hangUp();
  }

  /** Leaves the room and joins it again (after a failure, or to pick up changed settings). */
  rejoin(): void {
    this.#call.restart();
  }

  protected override firstUpdated(): void {
    this.#call.watchRemoteVideo(this.renderRoot.querySelector<HTMLVideoElement>('[part="remote-video"]'));
  }

  protected override updated(): void {
    // `state` is owned by the state machine, so it is reflected by hand rather than declared a property.
    if (this.getAttribute('state') !== this.state) this.setAttribute('state', this.state);
    const value = this.#context.value;
    if (value.state !== this.state || value.reason !== this.reason || value.peer !== this.#call.peer || value.error !== this.#call.error) {
      this.#context.setValue(this.#contextValue());
    }
  }

  #contextValue(): CallContextValue {
    return {
      state: this.state,
      reason: this.reason,
      peer: this.#call.peer,
      error: this.#call.error,
      call: () => this.call(),
      accept: () => this.accept(),
      decline: () => this.decline(),
      hangUp: () => this.hangUp(),
    };
  }

  protected override render() {
    const { state, reason, error, peer, localStream, remoteStream, notice } = this.#call;
    const status = error ? error.message : statusText(state, reason, peer?.displayName);
    return html`
      <div part="stage">
        <video
          part="remote-video"
          class=${remoteStream ? '' : 'empty'}
          .srcObject=${remoteStream}
          autoplay
          playsinline
          aria-label=${peer?.displayName ? `Video of ${peer.displayName}` : 'Video of the other person'}
        ></video>
        <video
          part="local-video"
          class=${localStream ? '' : 'empty'}
          .srcObject=${localStream}
          .muted=${true}
          autoplay
          playsinline
          aria-label="Your camera"
        ></video>
      </div>
      <p part="status" class=${state} role="status" aria-live="polite">${status}</p>
      ${notice && !error ? html`<p part="notice" role="status">${notice}</p>` : nothing}
      <div part="controls">${this.#renderControls(state)}</div>
      <slot></slot>
    `;
  }

  #renderControls(state: CallState) {
    switch (state) {
      case 'ready':
      case 'ended':
        return this.#call.peer
          ? html`<button part="call-button" @click=${() => this.call()}>Call</button>`
          : nothing;
      case 'ringing':
        return html`
          <button part="accept-button" @click=${() => this.accept()}>Accept</button>
          <button part="decline-button" @click=${() => this.decline()}>Decline</button>
        `;
      case 'calling':
      case 'connecting':
      case 'connected':
      case 'reconnecting':
        return html`<button part="hangup-button" @click=${() => this.hangUp()}>
          ${state === 'calling' ? 'Cancel' : 'Hang up'}
        </button>`;
      case 'failed':
        return this.error?.code === 'invalid-attribute'
          ? nothing
          : html`<button part="retry-button" @click=${() => this.rejoin()}>Try again</button>`;
      default:
        return nothing;
    }
  }

  private get error() {
    return this.#call.error;
  }
}

customElements.define('call-widget', CallWidget);

declare global {
  interface HTMLElementTagNameMap {
    'call-widget': CallWidget;
  }
}
