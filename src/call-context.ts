/**
 * The call as seen by elements placed inside `<call-widget>` (its default slot): a CMS plugin's own buttons,
 * a timer, a note field. They consume this context instead of reaching into the widget.
 */
import { createContext } from '@lit/context';
import type { CallReason, CallState } from './core/call-machine.js';
import type { CallErrorDetail } from './events.js';
import type { Peer } from './protocol/protocol.js';
import type { DeviceKind, DeviceLists } from './core/devices.js';
import type { CaptureState } from './core/local-media.js';

export interface CallContextValue {
  state: CallState;
  reason?: CallReason;
  /** The other participant in the room, if any. */
  peer: Peer | null;
  /** The last fatal error while `state` is `failed`. */
  error: CallErrorDetail | null;
  call(): Promise<void>;
  accept(): Promise<void>;
  decline(): void;
  hangUp(): void;
  /** This visitor's microphone and camera. */
  muted: boolean;
  cameraOff: boolean;
  /** The other participant's, during a call. */
  remoteMedia: CaptureState | null;
  /** Cameras, microphones and speakers (see `CallWidget.devices`). */
  devices: DeviceLists;
  setMuted(muted: boolean): void;
  setCameraOff(off: boolean): Promise<void>;
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void>;
}

export const callContext = createContext<CallContextValue>(Symbol('call-widget'));
