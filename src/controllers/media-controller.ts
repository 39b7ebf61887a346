/**
 * The visitor's side of the media, for the element: the camera and microphone it holds across sessions (so a
 * preview carries into the call), mute and camera off, the device lists and choice, the speaker, the
 * microphone's level (for the meter and the "you are muted" hint), and what the peer says of its own.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { systemClock } from '../core/clock.js';
import type { DeviceKind, DeviceLists } from '../core/devices.js';
import { LevelMeter, type LevelReading } from '../core/level-meter.js';
import { LocalMediaHolder, type CaptureState, type DeviceChange } from '../core/local-media.js';
import type { MediaKind } from '../protocol/protocol.js';
import { CallDeviceChangeEvent, CallMediaStateEvent } from '../events.js';
import { openLevelSource } from './audio-level.js';

/** How long a notice about devices stays up (a device that took over, a fallback). */
const NOTICE_MS = 6000;
const NO_DEVICES: DeviceLists = { audioinput: [], videoinput: [], audiooutput: [] };
const SILENT: LevelReading = { level: 0, noInput: false, clipping: false, speaking: false };

export interface MediaHost extends ReactiveControllerHost, HTMLElement {
  startMuted: boolean;
  startCameraOff: boolean;
}

export class MediaController implements ReactiveController {
  readonly #host: MediaHost;
  #holder: LocalMediaHolder | null = null;
  #previewing = false;
  #meter: { meter: LevelMeter; close(): void; track: MediaStreamTrack } | null = null;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #sink: HTMLMediaElement | null = null;
  #abort = new AbortController();

  localStream: MediaStream | null = null;
  reading: LevelReading = SILENT;
  /** The peer's microphone and camera during a call (`media-state`); null outside one. */
  peer: CaptureState | null = null;
  /** A sentence about devices for the visitor, for a few seconds. */
  notice: string | null = null;
  /** The peer's voice level (0-1) during a call, from its stats poll: its avatar shows it while its camera is off. */
  peerLevel = 0;

  readonly #showLevel: (level: number) => void;

  /**
   * `showLevel`: puts the microphone's level (0-1) on the meter, and the peer's (`peerLevel`) on its avatar,
   * between renders.
   */
  constructor(host: MediaHost, showLevel: (level: number) => void) {
    this.#host = host;
    this.#showLevel = showLevel;
    host.addController(this);
  }

  /** Made on first use, so the start attributes set before it apply, and nothing is listed before that. */
  get holder(): LocalMediaHolder {
    if (this.#holder) return this.#holder;
    const holder = new LocalMediaHolder({ muted: this.#host.startMuted, cameraOff: this.#host.startCameraOff, store: storage() });
    holder.subscribe(
      {
        onStream: (stream) => this.#onStream(stream),
        onState: () => this.#dispatchState(),
        onDevices: () => this.#host.requestUpdate(),
        onDeviceChange: (change) => this.#onDeviceChange(change),
        onNotice: (message) => this.#notify(message),
      },
      this.#abort.signal,
    );
    return (this.#holder = holder);
  }

  get state(): CaptureState {
    return this.#holder?.state ?? { muted: this.#host.startMuted, cameraOff: this.#host.startCameraOff };
  }

  get previewing(): boolean {
    return this.#previewing;
  }

  /** Empty until the first session made the holder (which lists them). */
  get devices(): DeviceLists {
    return this.#holder?.devices.lists ?? NO_DEVICES;
  }

  /** The preview before a call: the microphone (for its meter) and, unless it is off, the camera. */
  async startPreview(media: MediaKind): Promise<void> {
    if (this.#previewing) return;
    this.#previewing = true;
    this.#host.requestUpdate();
    try {
      const opened = await this.holder.acquire(media, () => this.#previewing);
      if (opened.cameraProblem) this.#notify(opened.cameraProblem.message);
    } catch (error) {
      this.#previewing = false;
      this.#notify((error as Error).message);
    }
  }

  /** Outside a call, the preview's camera and microphone stop; in a call, the call keeps them. */
  stopPreview(inCall: boolean): void {
    this.#previewing = false;
    if (!inCall) this.#holder?.release();
    this.#host.requestUpdate();
  }

  setMuted(muted: boolean): void {
    this.holder.setMuted(muted);
  }

  setCameraOff(off: boolean): Promise<void> {
    return this.holder.setCameraOff(off).catch((error: Error) => this.#notify(error.message));
  }

  selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return this.holder.select(kind, deviceId);
  }

  activeDevice(kind: DeviceKind): string {
    return this.#holder?.activeDevice(kind) ?? '';
  }

  /** The remote <video>, whose output goes to the chosen speaker where the browser can choose one. */
  set sink(element: HTMLMediaElement | null) {
    this.#sink = element;
    this.#applySink();
  }

  /** Whether the speaker can be chosen here (`setSinkId`; not in Safari, nor in Firefox before 116). */
  get canChooseSpeaker(): boolean {
    return typeof (this.#sink as { setSinkId?: unknown } | null)?.setSinkId === 'function' && this.devices.audiooutput.some((d) => d.deviceId);
  }

  /** Called by the session (`onPeerMediaState`), and with null when the call is over. */
  setPeer(state: CaptureState | null): void {
    if (!state) this.peerLevel = 0;
    if (this.peer?.muted === state?.muted && this.peer?.cameraOff === state?.cameraOff) return;
    this.peer = state;
    this.#dispatchState();
  }

  /**
   * The peer's audio level (`inbound-rtp` `audioLevel`, 0-1 of full scale) from the call's stats poll: from the
   * stats rather than Web Audio, as Chromium feeds a remote stream to Web Audio only in some versions. Shown
   * on a square-root scale, as loudness is heard.
   */
  setPeerLevel(audioLevel: number): void {
    const level = Math.min(1, Math.sqrt(audioLevel) * 1.5);
    if (Math.abs(level - this.peerLevel) < 0.05) return;
    this.peerLevel = level;
    this.#showLevel(this.reading.level);
  }

  hostDisconnected(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#closeMeter();
    this.#holder?.devices.close();
    this.#holder?.release();
    this.#holder = null;
    this.#previewing = false;
  }

  #onStream(stream: MediaStream | null): void {
    this.localStream = stream;
    if (!stream) this.#previewing = false;
    const track = stream?.getAudioTracks()[0];
    if (track !== this.#meter?.track) {
      this.#closeMeter();
      if (track) {
        // A clone is measured: the muted track itself feeds silence, and the hint needs to hear the visitor.
        const source = openLevelSource(track);
        const meter = new LevelMeter({ read: () => source.read(), onReading: (r) => this.#onReading(r), clock: systemClock });
        meter.start();
        this.#meter = { meter, track, close: () => (meter.stop(), source.close()) };
      }
    }
    this.#host.requestUpdate();
  }

  /**
   * Only a change of what the meter says re-renders; its level goes straight to the bar, ten times a second,
   * without rendering the whole element.
   */
  #onReading(reading: LevelReading): void {
    const last = this.reading;
    this.reading = reading;
    if (last.noInput !== reading.noInput || last.clipping !== reading.clipping || last.speaking !== reading.speaking) this.#host.requestUpdate();
    else this.#showLevel(reading.level);
  }

  #closeMeter(): void {
    this.#meter?.close();
    this.#meter = null;
    this.reading = SILENT;
  }

  #onDeviceChange(change: DeviceChange): void {
    if (change.kind === 'audiooutput') this.#applySink();
    this.#host.dispatchEvent(new CallDeviceChangeEvent(change));
    this.#host.requestUpdate();
  }

  #dispatchState(): void {
    this.#host.dispatchEvent(new CallMediaStateEvent({ local: this.state, remote: this.peer ?? { muted: false, cameraOff: false } }));
    this.#host.requestUpdate();
  }

  #applySink(): void {
    const sink = this.#sink as (HTMLMediaElement & { setSinkId?(id: string): Promise<void>; sinkId?: string }) | null;
    const id = this.#holder?.activeDevice('audiooutput') ?? '';
    if (sink?.setSinkId && sink.sinkId !== id) sink.setSinkId(id).catch((error: Error) => this.#notify(`The speaker could not be changed (${error.message}).`));
  }

  #notify(message: string): void {
    this.notice = message;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.notice = null;
      this.#host.requestUpdate();
    }, NOTICE_MS);
    this.#host.requestUpdate();
  }
}

/** `localStorage`, where the page may use it (a sandboxed frame or blocked cookies throw on access). */
function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}
