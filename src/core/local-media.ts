/**
 * Camera and microphone capture: what a call or the preview sends, with each way it can fail mapped to a code
 * the widget can explain; mute, camera off, a switch of device, and a device that stops (unplugged) or comes
 * back. The devices themselves (lists, the remembered choice) are in `devices.ts`.
 */
import { ErrorCode, type MediaKind } from '../protocol/protocol.js';
import { Devices, type ChoiceStore, type DeviceKind, type DeviceLists, type DevicesPort } from './devices.js';

export class MediaAccessError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'MediaAccessError';
  }
}

/** What a call got to send: the stream, the media it really carries, and why video was left out, if it was. */
export interface LocalMedia {
  stream: MediaStream;
  media: MediaKind;
  /** A video call went audio-only because the camera failed (missing, blocked, busy): the visitor is told. */
  cameraProblem?: MediaAccessError;
}

/**
 * Opens the microphone, and the camera for a video call. A camera that is missing, blocked or busy does not
 * stop the call: it goes on with the microphone alone, and says so. Only a failed microphone fails.
 */
export async function openLocalMedia(media: MediaKind, open: (media: MediaKind) => Promise<MediaStream> = getLocalMedia): Promise<LocalMedia> {
  try {
    return { stream: await open(media), media };
  } catch (error) {
    if (media === 'audio' || (error as MediaAccessError).code === ErrorCode.InsecureContext) throw error;
    // The microphone alone; if that fails too, what the visitor reads is the first, whole failure.
    const stream = await open('audio').catch(() => Promise.reject(error as Error));
    return { stream, media: 'audio', cameraProblem: cameraNotice(error as MediaAccessError) };
  }
}

function cameraNotice(error: MediaAccessError): MediaAccessError {
  const sentence =
    error.code === ErrorCode.PermissionDenied
      ? "The camera is blocked, so this call is audio only. Allow it in the browser's site settings to be seen."
      : error.code === ErrorCode.NoDevices
        ? 'No camera was found, so this call is audio only.'
        : 'The camera could not be started (another app may be using it), so this call is audio only.';
  return new MediaAccessError(error.code, sentence, error.cause ?? error);
}

/** Both devices on the browser's defaults. */
export function getLocalMedia(media: MediaKind): Promise<MediaStream> {
  const devices = globalThis.navigator?.mediaDevices;
  if (!devices) return Promise.reject(insecure());
  return devices.getUserMedia({ audio: true, video: media === 'video' }).catch((error) => Promise.reject(describeMediaError(error, media)));
}

export function describeMediaError(error: unknown, media: MediaKind, what = media === 'video' ? 'camera and microphone' : 'microphone'): MediaAccessError {
  if (error instanceof MediaAccessError) return error;
  switch ((error as DOMException | undefined)?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MediaAccessError(ErrorCode.PermissionDenied, `Access to the ${what} was blocked. Allow it in the browser's site settings and try again.`, error);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new MediaAccessError(ErrorCode.NoDevices, `No ${what} was found. Connect one and try again.`, error);
    case 'NotReadableError':
    case 'AbortError':
      return new MediaAccessError(ErrorCode.DeviceInUse, `The ${what} could not be started. Another app may be using it.`, error);
    default:
      return new MediaAccessError(ErrorCode.MediaError, `The ${what} could not be started (${(error as Error)?.message ?? error}).`, error);
  }
}


export function stopMedia(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

type TrackKind = 'audio' | 'video';
const INPUT = { audio: 'audioinput', video: 'videoinput' } as const;
const NAME = { audio: 'microphone', video: 'camera', audioinput: 'microphone', videoinput: 'camera', audiooutput: 'speaker' } as const;
const kindsOf = (media: MediaKind): TrackKind[] => (media === 'video' ? ['audio', 'video'] : ['audio']);
const live = (track: MediaStreamTrack) => track.readyState === 'live';

export interface CaptureState {
  muted: boolean;
  cameraOff: boolean;
}

/** `replugged`: the device chosen earlier came back after a fallback, and is used again. */
export type DeviceChangeReason = 'user' | 'unplugged' | 'default-changed' | 'replugged';

export interface DeviceChange {
  kind: DeviceKind;
  deviceId: string;
  label: string;
  reason: DeviceChangeReason;
}

/** What a holder tells whoever listens (the session, for the senders; the element, to render). */
export interface LocalMediaListener {
  /** The stream changed (a track came, went or was replaced; null once released). Awaited by a switch. */
  onStream?(stream: MediaStream | null): unknown;
  onState?(state: CaptureState): void;
  /** The device lists changed. */
  onDevices?(): void;
  onDeviceChange?(change: DeviceChange): void;
  /** A sentence for the visitor: the device now used, or why one could not be. */
  onNotice?(message: string): void;
  /** The microphone stopped and no other could be opened: a call cannot go on. */
  onMicrophoneLost?(error: MediaAccessError): void;
}

export interface LocalMediaOptions {
  /** A call's media (`openLocalMedia` with the chosen devices by default): the seam session tests fake. */
  open?: (media: MediaKind) => Promise<LocalMedia>;
  /** `getUserMedia`; `navigator.mediaDevices`' by default. */
  capture?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  devices?: DevicesPort;
  store?: ChoiceStore;
  muted?: boolean;
  cameraOff?: boolean;
}

/**
 * The visitor's camera and microphone as the widget holds them: one stream at a time (the preview's, then the
 * call's: the same tracks carry on), stopped when done. Mute disables the microphone's track (`enabled`, so a
 * Bluetooth headset stays in its call profile); camera off stops the camera's track, so its light goes off.
 */
export class LocalMediaHolder {
  readonly devices: Devices;
  #stream: MediaStream | null = null;
  /** What the open stream serves: `video` means a camera belongs in it (unless the visitor turned it off). */
  #media: MediaKind | null = null;
  /** The call went audio-only while the camera was still opening: it stops as soon as it is open. */
  #noVideo = false;
  #muted: boolean;
  #cameraOff: boolean;
  /** Inputs on the default device because the chosen one stopped or could not start: taken back on its return. */
  readonly #fallback = new Set<DeviceKind>();
  /** Kinds the visitor refused: not asked again on this page (no second prompt). */
  readonly #denied = new Set<TrackKind>();
  readonly #listeners = new Set<LocalMediaListener>();
  /** One more for each release: an opening that finishes after one is not wanted. */
  #epoch = 0;
  readonly #open: (media: MediaKind) => Promise<LocalMedia>;
  readonly #capture: (constraints: MediaStreamConstraints) => Promise<MediaStream>;

  constructor(options: LocalMediaOptions = {}) {
    const media = globalThis.navigator?.mediaDevices;
    this.#capture = options.capture ?? ((c) => (media ? media.getUserMedia(c) : Promise.reject(insecure())));
    this.#open = options.open ?? ((kind) => openLocalMedia(kind, (m) => this.#openKinds(kindsOf(m)).catch((e) => Promise.reject(describeMediaError(e, m)))));
    this.#muted = options.muted ?? false;
    this.#cameraOff = options.cameraOff ?? false;
    this.devices = new Devices({
      port: options.devices ?? media,
      store: options.store,
      onChange: (previous) => void this.#onDevices(previous),
    });
    void this.devices.refresh();
  }

  get stream(): MediaStream | null {
    return this.#stream;
  }

  get state(): CaptureState {
    return { muted: this.#muted, cameraOff: this.#cameraOff };
  }

  /**
   * The device a kind uses: the track's own (what is really open, whatever was asked for); without a track
   * (camera off, nothing open yet), the chosen one if it is here; `''` for the default.
   */
  activeDevice(kind: DeviceKind): string {
    const track = this.#stream?.getTracks().find((t) => INPUT[t.kind as TrackKind] === kind);
    return track?.getSettings().deviceId ?? this.devices.find(kind)?.deviceId ?? '';
  }

  subscribe(listener: LocalMediaListener, signal?: AbortSignal): void {
    this.#listeners.add(listener);
    signal?.addEventListener('abort', () => this.#listeners.delete(listener), { once: true });
  }

  /**
   * Media for a call of `media`: the open stream (the preview's) if it fits, with the camera added if it
   * lacks one, else a new one. `wanted` is asked once it opened: false (the call that asked ended while a
   * prompt was open, say) stops it again, so no camera stays on.
   */
  acquire(media: MediaKind, wanted: (opening: Promise<LocalMedia>) => boolean): Promise<LocalMedia> {
    const stream = this.#stream;
    if (stream?.getAudioTracks().some(live)) {
      this.#media = media;
      if (media === 'audio') this.stopVideo();
      if (media === 'audio' || this.#cameraOff || this.#denied.has('video') || stream.getVideoTracks().some(live)) return Promise.resolve({ stream, media });
      return this.#addCamera().then(
        () => ({ stream: this.#stream!, media }),
        (error: unknown) => ({ stream: this.#stream!, media: 'audio', cameraProblem: cameraNotice(describeMediaError(error, 'video', 'camera')) }),
      );
    }
    this.release();
    this.#media = media;
    // A camera the visitor turned off is not opened; the call still carries video, for when it is turned on.
    const opening: Promise<LocalMedia> = this.#open(this.#cameraOff ? 'audio' : media).then((opened) => {
      if (!wanted(opening)) {
        stopMedia(opened.stream);
        throw new MediaAccessError(ErrorCode.MediaError, 'The call ended before the camera opened.');
      }
      void this.#adopt(opened.stream.getTracks());
      if (this.#noVideo) this.stopVideo();
      return { ...opened, stream: this.#stream!, media: opened.cameraProblem ? 'audio' : media };
    });
    return opening;
  }

  /** The call became audio-only: the camera stops (its light goes off), the microphone goes on. */
  stopVideo(): void {
    this.#noVideo = !this.#stream;
    this.#media = this.#stream ? 'audio' : null;
    void this.#dropTracks('video');
  }

  setMuted(muted: boolean): void {
    if (muted === this.#muted) return;
    this.#muted = muted;
    for (const track of this.#stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.#emitState();
  }

  /**
   * Off: the peer is told first (it stops expecting frames), then the camera stops. On: the camera opens
   * first, and the peer is told once its track is in the senders, so it never waits for frames not yet sent.
   */
  async setCameraOff(off: boolean): Promise<void> {
    if (off === this.#cameraOff) return;
    if (off) {
      this.#cameraOff = true;
      this.#emitState();
      await this.#dropTracks('video');
      return;
    }
    if (this.#denied.has('video')) return this.#notice(cameraNotice(new MediaAccessError(ErrorCode.PermissionDenied, '')).message);
    // Off no more from here (a second toggle while it opens stops the new track), but said so only once it is on.
    this.#cameraOff = false;
    if (this.#stream && this.#media === 'video') {
      await this.#addCamera().catch((error: unknown) => {
        this.#cameraOff = true;
        return Promise.reject(describeMediaError(error, 'video', 'camera'));
      });
    }
    this.#emitState();
  }

  /** The visitor picked a device: it is used now (the track replaced in the call, no renegotiation) and remembered. */
  async select(kind: DeviceKind, deviceId: string): Promise<void> {
    this.devices.choose(kind, deviceId);
    this.#fallback.delete(kind);
    if (kind === 'audiooutput') return this.#changed(kind, 'user');
    await this.#reopen(kind === 'audioinput' ? 'audio' : 'video', 'user', true);
  }

  release(): void {
    this.#epoch++;
    this.#noVideo = false;
    this.#media = null;
    if (!this.#stream) return;
    stopMedia(this.#stream);
    this.#stream = null;
    this.#emit((l) => l.onStream?.(null));
  }

  // ------------------------------------------------------------------------------------------------------

  async #addCamera(): Promise<void> {
    const epoch = this.#epoch;
    const [track] = (await this.#openKinds(['video'])).getVideoTracks();
    if (epoch !== this.#epoch || !this.#stream || this.#media !== 'video' || this.#cameraOff) return track?.stop();
    await this.#adopt([...this.#stream.getTracks(), track!]);
  }

  /**
   * A track of `kind` again, on the chosen device (or, `fallback`, the default): the old one stops first, as
   * some phones cannot open two cameras at once. A camera that is off or not part of the stream waits for
   * its next start.
   */
  async #reopen(kind: TrackKind, reason: DeviceChangeReason, useChoice: boolean): Promise<void> {
    const epoch = this.#epoch;
    if (!this.#stream || (kind === 'video' && (this.#cameraOff || this.#media !== 'video'))) return this.#changed(INPUT[kind], reason);
    void this.#dropTracks(kind, false);
    try {
      const [track] = (await this.#openKinds([kind], useChoice)).getTracks();
      // Released meanwhile (the call ended): the new track is not wanted.
      if (epoch !== this.#epoch || !this.#stream) return track?.stop();
      await this.#adopt([...this.#stream.getTracks().filter((t) => t.kind !== kind), track!]);
      this.#changed(INPUT[kind], reason);
    } catch (error) {
      this.#lost(kind, error);
    }
  }

  /**
   * `getUserMedia` for `kinds` on the chosen devices; a chosen device that is gone or fails falls back to the
   * default one, and the visitor is told which is used.
   */
  async #openKinds(kinds: TrackKind[], useChoice = true): Promise<MediaStream> {
    const ask = (choice: boolean) => {
      const constraints: MediaStreamConstraints = {};
      for (const kind of kinds) constraints[kind] = (choice && this.devices.constraint(INPUT[kind])) || true;
      return this.#capture(constraints);
    };
    const chosen = useChoice && kinds.filter((kind) => this.devices.constraint(INPUT[kind]));
    try {
      return await ask(!!chosen);
    } catch (error) {
      const name = (error as DOMException)?.name;
      if (name === 'NotAllowedError') for (const kind of kinds) this.#denied.add(kind);
      if (!chosen || !chosen.length || !['OverconstrainedError', 'NotFoundError', 'NotReadableError', 'AbortError'].includes(name)) throw error;
      const stream = await ask(false);
      for (const kind of chosen) {
        this.#fallback.add(INPUT[kind]);
        this.#notice(`The chosen ${NAME[kind]} could not be started, so ${labelOf(stream, kind)} is used.`);
      }
      return stream;
    } finally {
      // Labels (and ids, in some browsers) are listed only once a device of the kind was allowed.
      void this.devices.refresh();
    }
  }

  /** The stream is now `tracks`: a new stream object, so a <video> showing it picks the change up at once. */
  async #adopt(tracks: MediaStreamTrack[]): Promise<void> {
    // Only the tracks new to the stream: the ones carried over are watched already.
    for (const track of tracks.filter((t) => !this.#stream?.getTracks().includes(t))) {
      if (track.kind === 'audio') track.enabled = !this.#muted;
      track.addEventListener('ended', () => this.#onEnded(track), { once: true });
    }
    this.#stream = new MediaStream(tracks);
    await Promise.all([...this.#listeners].map((l) => l.onStream?.(this.#stream)));
  }

  /** Stops the tracks of `kind`; resolves once the listeners (the senders) took the change. */
  #dropTracks(kind: TrackKind, emit = true): Promise<unknown> {
    const stream = this.#stream;
    const gone = stream?.getTracks().filter((t) => t.kind === kind) ?? [];
    if (!stream || !gone.length) return Promise.resolve();
    for (const track of gone) track.stop();
    this.#stream = new MediaStream(stream.getTracks().filter((t) => t.kind !== kind));
    return emit ? Promise.all([...this.#listeners].map((l) => l.onStream?.(this.#stream))) : Promise.resolve();
  }

  /**
   * A track stopped by itself (unplugged, revoked, taken by another app; our own `stop()` fires nothing): the
   * default device takes over, and the chosen one is taken back when it returns.
   */
  #onEnded(track: MediaStreamTrack): void {
    if (!this.#stream?.getTracks().includes(track)) return;
    track.stop();
    const kind = track.kind as TrackKind;
    if (this.devices.chosen(INPUT[kind])) this.#fallback.add(INPUT[kind]);
    void this.#reopen(kind, 'unplugged', false);
  }

  /** No device of `kind` could be opened: without a microphone a call cannot go on; without a camera it can. */
  #lost(kind: TrackKind, error: unknown): void {
    // The stream as it is now, without the track that ended: its sender is emptied.
    this.#emit((l) => l.onStream?.(this.#stream));
    if (kind === 'audio') {
      return this.#emit((l) =>
        l.onMicrophoneLost?.(new MediaAccessError(ErrorCode.DeviceInUse, 'The microphone stopped working. Check that it is connected, then call again.', error)),
      );
    }
    this.#cameraOff = true;
    this.#emitState();
    this.#notice('The camera stopped working. Turn it on again once it is connected.');
  }

  /**
   * The lists changed: a chosen camera or microphone back after a fallback is used again; a new system default
   * is followed where nothing was chosen (a track on Chromium's `default` stays on the old device); a chosen
   * speaker that went or came back is said (`activeDevice` gives the default meanwhile).
   */
  async #onDevices(previous: DeviceLists): Promise<void> {
    this.#emit((l) => l.onDevices?.());
    const speaker = this.devices.chosen('audiooutput')?.deviceId;
    const here = (lists: DeviceLists) => lists.audiooutput.some((d) => d.deviceId === speaker);
    if (speaker && here(previous) !== here(this.devices.lists)) this.#changed('audiooutput', here(previous) ? 'unplugged' : 'replugged');
    for (const kind of ['audio', 'video'] as const) {
      const input = INPUT[kind];
      const chosen = this.devices.find(input);
      const defaultOf = (lists: DeviceLists) => lists[input].find((d) => d.deviceId === 'default')?.label;
      if (chosen && this.#fallback.has(input)) {
        this.#fallback.delete(input);
        if (this.activeDevice(input) !== chosen.deviceId) await this.#reopen(kind, 'replugged', true);
      } else if (!this.devices.chosen(input) && defaultOf(previous) && defaultOf(previous) !== defaultOf(this.devices.lists) && this.#stream?.getTracks().some((t) => t.kind === kind))
        await this.#reopen(kind, 'default-changed', false);
    }
  }

  #changed(kind: DeviceKind, reason: DeviceChangeReason): void {
    const deviceId = this.activeDevice(kind);
    const label = this.devices.lists[kind].find((d) => d.deviceId === (deviceId || 'default'))?.label ?? this.#stream?.getTracks().find((t) => INPUT[t.kind as TrackKind] === kind)?.label ?? '';
    if (reason !== 'user' && label) this.#notice(`Now using ${label}.`);
    this.#emit((l) => l.onDeviceChange?.({ kind, deviceId, label, reason }));
  }

  #emitState(): void {
    this.#emit((l) => l.onState?.(this.state));
  }

  #notice(message: string): void {
    this.#emit((l) => l.onNotice?.(message));
  }

  #emit(call: (listener: LocalMediaListener) => unknown): void {
    for (const listener of this.#listeners) call(listener);
  }
}

const labelOf = (stream: MediaStream, kind: TrackKind) => stream.getTracks().find((t) => t.kind === kind)?.label || `the default ${NAME[kind]}`;
const insecure = () => new MediaAccessError(ErrorCode.InsecureContext, 'Camera and microphone need a secure page (https:// or localhost).');
