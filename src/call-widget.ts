import { ContextProvider } from '@lit/context';
import { LitElement, html, nothing } from 'lit';
import { callContext, type CallContextValue } from './call-context.js';
import { deviceMenu, elapsed, mediaButtons, meter } from './call-controls.js';
import { CallController } from './controllers/call-controller.js';
import { MediaController } from './controllers/media-controller.js';
import { styles } from './call-widget.styles.js';
import { isInCall, type CallReason, type CallState } from './core/call-machine.js';
import type { DeviceKind, DeviceLists } from './core/devices.js';
import type { CaptureState } from './core/local-media.js';
import type { CallPath, IceDiagnosticSummary } from './core/ice-diagnostics.js';
import type { CallQuality } from './core/quality-monitor.js';
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
 * @attr preview - Boolean: open the camera and microphone preview at once while waiting for or before a call
 *   (otherwise a Preview button opens it; the camera never starts before the visitor asks or a call starts).
 * @attr start-muted - Boolean: the microphone starts muted.
 * @attr start-camera-off - Boolean: the camera starts off (the call still carries video once it is turned on).
 * @attr quality-indicator - `on` (default): the connection's bars show during a call; `auto`: only while the
 *   connection is fair or worse (3 bars or fewer); `off`: never (`quality` and `call-quality-change` still tell).
 * @attr debug - Boolean: a panel with the live figures behind the quality score, the path and recent events,
 *   for support staff (its code loads on demand, beside the bundle).
 * @attr state - Read-only, reflected: the call state (see `state`).
 *
 * @slot - Extra content below the controls. Descendants can consume `callContext` (from `@lit/context`)
 *   to read the call state and place, answer or end calls.
 *
 * @fires {CallStateChangeEvent} call-state-change - `{state, previous, reason?, path?}`: the call state
 *   changed; `path` on `connected`.
 * @fires {CallReconnectEvent} call-reconnect - `{attempt, method}`: an attempt to restore lost media
 *   (`ice-restart` or `rebuild`).
 * @fires {CallDeviceChangeEvent} call-device-change - `{kind, deviceId, label, reason}`: a camera, microphone or
 *   speaker was switched; `reason` `user`, `unplugged`, `replugged` or `default-changed`.
 * @fires {CallMediaStateEvent} call-media-state - `{local: {muted, cameraOff}, remote: {muted, cameraOff}}`:
 *   this side or the other muted, unmuted, or turned the camera off or on.
 * @fires {CallQualityChangeEvent} call-quality-change - `{level, mos, audio, video, reasons, cause, local, remote}`:
 *   the call's quality level changed (see `quality`).
 * @fires {CallSummaryEvent} call-summary - `{callId, direction, media, outcome, setupMs, durationMs, path, reconnects,
 *   levels, meanMos, minMos, meanRttMs, lossPercent}`: a call is over, with its figures for the site's analytics.
 * @fires {CallErrorEvent} call-error - `{code, message, fatal, diagnostics?}`: something went wrong; `fatal`
 *   says whether the call went on; `diagnostics` (with `ice-failed`) says what ICE tried.
 *
 * @csspart stage - The video area.
 * @csspart remote-video - The other participant's video.
 * @csspart local-video - Your own camera preview.
 * @csspart status - The status line (a live region).
 * @csspart notice - A sentence for the visitor during a call (a camera that failed, so the call is audio only).
 * @csspart remote-avatar - Shown instead of the other participant's video while their camera is off, and in
 *   audio calls: their initial and name, scaled by their voice level (`--call-widget-peer-level`, 0-1).
 * @csspart remote-initial - The initial in `remote-avatar`.
 * @csspart remote-name - The name in `remote-avatar`.
 * @csspart remote-muted - "Muted" badge over the other participant's view.
 * @csspart quality - The connection's quality: five bars (`role="img"`, labelled "Connection good, 4 of 5" and
 *   what is wrong when it is poor), `data-level` 0-5; see `quality-indicator`.
 * @csspart quality-bar - One of its bars; lit ones have the class `lit`.
 * @csspart debug - The debug panel (the `debug` attribute).
 * @csspart timer - The call's duration (`role="timer"`), from the first media on.
 * @csspart meter - Your microphone's level (`role="meter"`), in the preview and in a call.
 * @csspart meter-bar - The filled part of `meter`.
 * @csspart meter-hint - "No sound from your microphone" or "very loud".
 * @csspart muted-hint - "You are muted" when you speak while muted.
 * @csspart controls - The button row.
 * @csspart preview-button - Opens the camera and microphone preview before a call.
 * @csspart mute-button - Mutes the microphone (`aria-pressed`).
 * @csspart camera-button - Turns the camera off (`aria-pressed`).
 * @csspart devices-button - Opens the device menu (`aria-expanded`).
 * @csspart fullscreen-button - Full screen (`aria-pressed`), where the browser allows it.
 * @csspart pip-button - Picture-in-picture of the other participant's video (`aria-pressed`), where supported.
 * @csspart device-menu - The camera, microphone and speaker pickers.
 * @csspart device-label - A picker's label.
 * @csspart camera-select - The camera picker.
 * @csspart microphone-select - The microphone picker.
 * @csspart speaker-select - The speaker picker (only where the browser can choose one: `setSinkId`).
 * @csspart speaker-default - "System default", where the speaker cannot be chosen (Safari, older Firefox).
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
 * @cssproperty [--call-widget-video-fit=contain] - `object-fit` of the other participant's video: `contain` shows
 *   all of it (a portrait phone, a 4:3 webcam) with bars; `cover` fills the stage and crops.
 * @cssproperty [--call-widget-warning=#f59e0b] - The quality bars of a fair connection (3 bars).
 * @cssproperty [--call-widget-control-background=#374151] - Mute, camera and device buttons; pressed ones use the danger color.
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
    preview: { type: Boolean, reflect: true },
    startMuted: { attribute: 'start-muted', type: Boolean },
    startCameraOff: { attribute: 'start-camera-off', type: Boolean },
    qualityIndicator: { attribute: 'quality-indicator' },
    debug: { type: Boolean },
    _menuOpen: { state: true },
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
  preview = false;
  startMuted = false;
  startCameraOff = false;
  qualityIndicator: 'on' | 'auto' | 'off' = 'on';
  debug = false;
  /** @internal */
  _menuOpen = false;

  readonly #media = new MediaController(this, (level) => this.#showLevel(level));
  readonly #call = new CallController(this, this.#media);
  #lastState: CallState = 'idle';
  #debugReport: typeof import('./core/debug-report.js').debugReport | null = null;
  readonly #context = new ContextProvider(this, { context: callContext, initialValue: this.#contextValue() });

  /**
   * The call state: `idle`, `joining`, `waiting`, `ready`, `calling`, `ringing`, `connecting`,
   * `connected`, `reconnecting`, `ended` or `failed`. Read-only; reflected to the `state` attribute.
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

  /**
   * The call's quality from its first media on (null outside a call): `level` 0-5 bars (null while unknown: the
   * first seconds, or the other side muted with its camera off), `mos` (the score it is read from, 1-4.5),
   * `audio` and `video` scores, `reasons` (`loss`, `delay`, `bandwidth`, `cpu`) and `cause` (`local`, `remote`
   * or null: whose side the trouble is on), for the worse direction; `local` (what this side receives) and
   * `remote` (what the other side receives, as it reports). See README, "Call quality".
   */
  get quality(): CallQuality | null {
    return this.#call.quality;
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

  /** Whether the microphone is muted (it sends silence; the device stays open). Setting it mutes or unmutes. */
  get muted(): boolean {
    return this.#media.state.muted;
  }

  set muted(muted: boolean) {
    this.setMuted(muted);
  }

  /** Whether the camera is off (stopped: its light goes off). Setting it turns the camera off or on. */
  get cameraOff(): boolean {
    return this.#media.state.cameraOff;
  }

  set cameraOff(off: boolean) {
    void this.setCameraOff(off);
  }

  /** The other participant's microphone and camera during a call, as it says; null outside a call. */
  get remoteMedia(): CaptureState | null {
    return this.#media.peer;
  }

  /** Mutes (or, with false, unmutes) the microphone; the other side is told. */
  setMuted(muted = true): void {
    this.#media.setMuted(muted);
  }

  /** Turns the camera off (or, with false, on again); resolves once it is done. The other side is told. */
  setCameraOff(off = true): Promise<void> {
    return this.#media.setCameraOff(off);
  }

  /** Cameras, microphones and speakers, as `enumerateDevices` lists them (labels once permission is granted). */
  get devices(): DeviceLists {
    return this.#media.devices;
  }

  /** The device id each kind uses now (the track's own; `''` for the default speaker). */
  get activeDevices(): Record<DeviceKind, string> {
    const active = (kind: DeviceKind) => this.#media.activeDevice(kind);
    return { audioinput: active('audioinput'), videoinput: active('videoinput'), audiooutput: active('audiooutput') };
  }

  /**
   * Uses `deviceId` for `kind` from now on, and remembers it for this site. In a call the track is replaced
   * without renegotiation; resolves once the new one is in place. A device that cannot start falls back to
   * the default, and the visitor is told.
   */
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return this.#media.selectDevice(kind, deviceId);
  }

  /** Opens the camera and microphone preview (before a call; the call then uses the same devices). */
  startPreview(): Promise<void> {
    return this.#media.startPreview(this.media);
  }

  /** Closes the preview: its camera and microphone stop, unless a call is using them. */
  stopPreview(): void {
    this.#media.stopPreview(isInCall(this.state));
  }

  protected override firstUpdated(): void {
    const remote = this.renderRoot.querySelector<HTMLVideoElement>('[part="remote-video"]');
    this.#call.watchRemoteVideo(remote);
    this.#media.sink = remote;
    for (const event of ['enterpictureinpicture', 'leavepictureinpicture']) remote?.addEventListener(event, () => this.requestUpdate());
    this.addEventListener('fullscreenchange', () => this.requestUpdate());
  }

  protected override willUpdate(): void {
    // The `preview` attribute opens it on each arrival in a state where a call can be placed or come in.
    if (this.state !== this.#lastState && this.preview && ['waiting', 'ready', 'ended'].includes(this.state)) void this.startPreview();
    this.#lastState = this.state;
  }

  protected override updated(): void {
    if (this.debug && !this.#debugReport)
      import('./core/debug-report.js').then(
        (m) => ((this.#debugReport = m.debugReport), this.requestUpdate()),
        (error: Error) => console.warn(`[call-widget] the debug panel could not load (${error.message})`),
      );
    // By hand rather than a `.srcObject` binding: Lit sets an object-valued property on every render, and each
    // assignment reloads the <video> (a black frame, and a `play()` interrupted).
    const show = (part: string, stream: MediaStream | null) => {
      const video = this.renderRoot.querySelector<HTMLVideoElement>(`[part="${part}"]`);
      if (video && video.srcObject !== stream) video.srcObject = stream;
    };
    show('remote-video', this.#call.remoteStream);
    show('local-video', this.#media.localStream);
    // Levels through the CSSOM, not `style` attributes: a page's CSP without 'unsafe-inline' blocks those.
    this.#showLevel(this.#media.reading.level);
  }

  #showLevel(level: number): void {
    const bar = this.renderRoot.querySelector<HTMLElement>('[part="meter-bar"]');
    if (bar) bar.style.width = `${Math.round(level * 100)}%`;
    bar?.parentElement?.setAttribute('aria-valuenow', String(Math.round(level * 100)));
    this.renderRoot.querySelector<HTMLElement>('[part="remote-avatar"]')?.style.setProperty('--call-widget-peer-level', this.#media.peerLevel.toFixed(2));
    // `state` is owned by the state machine, so it is reflected by hand rather than declared a property.
    if (this.getAttribute('state') !== this.state) this.setAttribute('state', this.state);
    const value = this.#context.value;
    const media = this.#media;
    if (
      value.state !== this.state ||
      value.reason !== this.reason ||
      value.peer !== this.#call.peer ||
      value.error !== this.#call.error ||
      value.muted !== this.muted ||
      value.cameraOff !== this.cameraOff ||
      value.remoteMedia !== media.peer ||
      value.devices !== media.devices
    ) {
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
      muted: this.muted,
      cameraOff: this.cameraOff,
      remoteMedia: this.#media.peer,
      devices: this.#media.devices,
      setMuted: (muted) => this.setMuted(muted),
      setCameraOff: (off) => this.setCameraOff(off),
      selectDevice: (kind, deviceId) => this.selectDevice(kind, deviceId),
    };
  }

  protected override render() {
    const { state, reason, error, peer, remoteStream, notice, connectedAt } = this.#call;
    const media = this.#media;
    const local = media.state;
    const inCall = isInCall(state);
    const status = error ? error.message : statusText(state, reason, peer?.displayName);
    const video = this.media === 'video';
    const localStream = media.localStream;
    const showsLocal = !!localStream?.getVideoTracks().length;
    const peerView = media.peer;
    const name = peer?.displayName || 'The other person';
    // Without the peer's video (audio call, camera off), its name and voice level fill the stage.
    const avatar = remoteStream && (!video || peerView?.cameraOff || !remoteStream.getVideoTracks().length);
    const controls = media.previewing || inCall;
    const callVideo = video && (!localStream || showsLocal || local.cameraOff);
    const noticeText = notice ?? media.notice;
    const quality = this.#call.quality;
    const level = quality?.level;
    const indicator = level != null && this.qualityIndicator !== 'off' && (this.qualityIndicator !== 'auto' || level <= 3);
    return html`
      <div part="stage" class=${media.previewing && !inCall ? 'preview' : ''}>
        <video
          part="remote-video"
          class=${remoteStream ? '' : 'empty'}
          autoplay
          playsinline
          aria-label=${peer?.displayName ? `Video of ${peer.displayName}` : 'Video of the other person'}
        ></video>
        ${avatar
          ? html`<div part="remote-avatar">
              <span part="remote-initial" aria-hidden="true">${name.trim().charAt(0).toUpperCase()}</span>
              <span part="remote-name">${name}</span>
            </div>`
          : nothing}
        ${remoteStream && peerView?.muted ? html`<span part="remote-muted">Muted</span>` : nothing}
        <video
          part="local-video"
          class=${showsLocal ? '' : 'empty'}
          .muted=${true}
          autoplay
          playsinline
          aria-label="Your camera"
        ></video>
        ${indicator
          ? html`<span part="quality" role="img" data-level=${level} class=${level < 3 ? 'poor' : level < 4 ? 'fair' : ''} aria-label=${this.#call.qualityText} title=${this.#call.qualityText}
              >${[1, 2, 3, 4, 5].map((bar) => html`<i part="quality-bar" class=${bar <= level ? 'lit' : ''}></i>`)}</span
            >`
          : nothing}
        ${connectedAt === null ? nothing : html`<span part="timer" role="timer" aria-label="Call duration">${elapsed(connectedAt)}</span>`}
      </div>
      <p part="status" class=${state} role="status" aria-live="polite">${status}</p>
      <p class="hidden" role="alert">${this.#call.announcement}</p>
      ${noticeText && !error ? html`<p part="notice" role="status">${noticeText}</p>` : nothing}
      ${controls && localStream ? meter(media.reading, local.muted) : nothing}
      <div part="controls">
        ${controls
          ? mediaButtons({
              local,
              // An audio-only call (either side said `audio`, or the camera failed) has no camera to turn on.
              video: callVideo,
              menuOpen: this._menuOpen,
              ...(inCall && callVideo && document.fullscreenEnabled && { fullscreen: document.fullscreenElement === this }),
              // Picture-in-picture of the peer's video while it shows (not the avatar of a camera that is off), or to leave it.
              ...(inCall && remoteStream && (!avatar || document.pictureInPictureElement) && document.pictureInPictureEnabled && { pip: !!document.pictureInPictureElement }),
              onMute: () => this.setMuted(!local.muted),
              onCamera: () => void this.setCameraOff(!local.cameraOff),
              onMenu: () => (this._menuOpen = !this._menuOpen),
              onFullscreen: () => void (document.fullscreenElement === this ? document.exitFullscreen() : this.requestFullscreen()).catch(() => {}),
              onPip: () => void this.#togglePip(),
            })
          : nothing}
        ${this.#renderControls(state)}
      </div>
      ${controls && this._menuOpen
        ? deviceMenu({
            lists: media.devices,
            active: (kind) => media.activeDevice(kind),
            video,
            speaker: media.canChooseSpeaker,
            onSelect: (kind, deviceId) => void this.selectDevice(kind, deviceId),
            onClose: () => (this._menuOpen = false),
          })
        : nothing}
      ${this.debug && this.#debugReport
        ? html`<pre part="debug">${this.#debugReport({ state, quality, figures: this.#call.figures, path: this.path, recent: this.#call.recent })}</pre>`
        : nothing}
      <slot></slot>
    `;
  }

  #togglePip(): Promise<unknown> {
    const remote = this.renderRoot.querySelector<HTMLVideoElement>('[part="remote-video"]');
    return (document.pictureInPictureElement ? document.exitPictureInPicture() : remote!.requestPictureInPicture()).catch(() => {});
  }

  #renderControls(state: CallState) {
    const previewButton =
      ['waiting', 'ready', 'ringing', 'ended'].includes(state) && !this.#media.previewing
        ? html`<button part="preview-button" @click=${() => this.startPreview()}>Preview</button>`
        : nothing;
    switch (state) {
      case 'waiting':
        return previewButton;
      case 'ready':
      case 'ended':
        return html`${this.#call.peer ? html`<button part="call-button" @click=${() => this.call()}>Call</button>` : nothing}${previewButton}`;
      case 'ringing':
        return html`
          <button part="accept-button" @click=${() => this.accept()}>Accept</button>
          <button part="decline-button" @click=${() => this.decline()}>Decline</button>
          ${previewButton}
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
