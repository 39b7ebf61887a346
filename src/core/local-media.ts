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

export function describeMediaError(error: unknown, media: MediaKind): MediaAccessError {
  const what = media === 'video' ? 'camera and microphone' : 'microphone';
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
