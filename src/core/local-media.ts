/**
 * Camera and microphone capture, with each way it can fail mapped to a code the widget can explain.
 */
import { ErrorCode, type MediaKind } from '../protocol/protocol.js';

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

export async function getLocalMedia(media: MediaKind): Promise<MediaStream> {
  if (!globalThis.navigator?.mediaDevices?.getUserMedia) {
    throw new MediaAccessError(
      ErrorCode.InsecureContext,
      'Camera and microphone need a secure page (https:// or localhost).',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: media === 'video' });
  } catch (error) {
    throw describeMediaError(error, media);
  }
}

export function describeMediaError(error: unknown, media: MediaKind, what = media === 'video' ? 'camera and microphone' : 'microphone'): MediaAccessError {
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

/** The visitor's camera and microphone as a session holds them: one stream at a time, stopped when done. */
export class LocalMediaHolder {
  #current: LocalMedia | null = null;
  /** The call went audio-only while the camera was still opening: it stops as soon as it is open. */
  #noVideo = false;
  readonly #open: (media: MediaKind) => Promise<LocalMedia>;
  readonly #onStream: (stream: MediaStream | null) => void;

  constructor(open: (media: MediaKind) => Promise<LocalMedia>, onStream: (stream: MediaStream | null) => void) {
    this.#open = open;
    this.#onStream = onStream;
  }

  get stream(): MediaStream | null {
    return this.#current?.stream ?? null;
  }

  /**
   * Media for `media`: the open stream if it still fits, else a new one. `wanted` is asked once it opened:
   * false (the call that asked ended while a prompt was open, say) stops it again, so no camera stays on.
   */
  acquire(media: MediaKind, wanted: (opening: Promise<LocalMedia>) => boolean): Promise<LocalMedia> {
    const reuse = this.#current;
    if (reuse && reuse.media === media && reuse.stream.getTracks().every((t) => t.readyState === 'live')) return Promise.resolve(reuse);
    this.release();
    const opening: Promise<LocalMedia> = this.#open(media).then((opened) => {
      if (!wanted(opening)) {
        stopMedia(opened.stream);
        throw new MediaAccessError(ErrorCode.MediaError, 'The call ended before the camera opened.');
      }
      this.#current = opened;
      if (this.#noVideo) this.stopVideo();
      else this.#onStream(opened.stream);
      return this.#current;
    });
    return opening;
  }

  /** The call became audio-only: the camera stops (its light goes off), the microphone goes on. */
  stopVideo(): void {
    const stream = this.#current?.stream;
    this.#noVideo = !stream;
    if (!stream?.getVideoTracks().length) return;
    for (const track of stream.getVideoTracks()) {
      track.stop();
      stream.removeTrack(track);
    }
    this.#current = { ...this.#current!, media: 'audio' };
    this.#onStream(stream);
  }

  release(): void {
    this.#noVideo = false;
    if (!this.#current) return;
    stopMedia(this.#current.stream);
    this.#current = null;
    this.#onStream(null);
  }
}
