/**
 * The DOM events `<call-widget>` dispatches. All bubble and are composed, so a host page can listen on the
 * element or anywhere above it, even across shadow roots.
 */
import type { CallReason, CallState } from './core/call-machine.js';
import type { CallQuality } from './core/quality-monitor.js';
import type { CallErrorInfo, CallSummary } from './core/session-options.js';
import type { CallPath } from './core/ice-diagnostics.js';
import type { CaptureState, DeviceChange } from './core/local-media.js';

export interface CallStateChangeDetail {
  state: CallState;
  previous: CallState;
  /** Why the state was entered, when there is more to say than the state itself (see README). */
  reason?: CallReason;
  /** On `connected`: `direct` or `relay`, and the transport protocol (see `CallWidget.path`). */
  path?: CallPath;
}

/**
 * `{code, message, fatal, diagnostics?}`: the widget's one error type (`CallErrorInfo` in the core). `message`
 * is a sentence a visitor can read; `fatal` is true when the call or session stopped because of it, false for
 * problems worked around; `diagnostics` comes with `ice-failed` (candidates by type, TURN errors, pairs).
 */
export type CallErrorDetail = CallErrorInfo;

/** `call-state-change`: the call moved to another state. */
export class CallStateChangeEvent extends CustomEvent<CallStateChangeDetail> {
  constructor(detail: CallStateChangeDetail) {
    super('call-state-change', { detail, bubbles: true, composed: true });
  }
}

/** `call-error`: something went wrong; `detail.fatal` says whether the call went on. */
export class CallErrorEvent extends CustomEvent<CallErrorDetail> {
  constructor(detail: CallErrorDetail) {
    super('call-error', { detail, bubbles: true, composed: true });
  }
}

export interface CallReconnectDetail {
  /** 1 for the first attempt after media was lost, counting up until it flows again or the window closes. */
  attempt: number;
  /** `ice-restart` (new network paths, same connection) or `rebuild` (a new peer connection). */
  method: 'ice-restart' | 'rebuild';
}

/** `call-reconnect`: one attempt to restore media lost mid-call; log these to measure call reliability. */
export class CallReconnectEvent extends CustomEvent<CallReconnectDetail> {
  constructor(detail: CallReconnectDetail) {
    super('call-reconnect', { detail, bubbles: true, composed: true });
  }
}

/**
 * `{kind, deviceId, label, reason}`: the device a kind uses changed. `reason`: `user` (picked in the menu or by
 * `selectDevice`), `unplugged` (the device in use went away; the default took over), `replugged` (the chosen
 * one came back and is used again), `default-changed` (the system default changed and nothing was chosen).
 */
export type CallDeviceChangeDetail = DeviceChange;

/** `call-device-change`: a camera, microphone or speaker was switched. */
export class CallDeviceChangeEvent extends CustomEvent<CallDeviceChangeDetail> {
  constructor(detail: CallDeviceChangeDetail) {
    super('call-device-change', { detail, bubbles: true, composed: true });
  }
}

export interface CallMediaStateDetail {
  /** This visitor: `muted` (the microphone sends silence) and `cameraOff` (no camera is sending). */
  local: CaptureState;
  /** The other participant, as it said during the call; both false outside a call. */
  remote: CaptureState;
}

/** `call-media-state`: this side or the other muted, unmuted, turned the camera off or on. */
export class CallMediaStateEvent extends CustomEvent<CallMediaStateDetail> {
  constructor(detail: CallMediaStateDetail) {
    super('call-media-state', { detail, bubbles: true, composed: true });
  }
}


/**
 * `{level, mos, audio, video, reasons, cause, local, remote}`: the call's quality (see `CallWidget.quality`). Sent
 * when the level changes only, so a listener may log each one.
 */
export type CallQualityChangeDetail = CallQuality;

/** `call-quality-change`: the quality level of the call changed (0-5 bars, or unknown). */
export class CallQualityChangeEvent extends CustomEvent<CallQualityChangeDetail> {
  constructor(detail: CallQualityChangeDetail) {
    super('call-quality-change', { detail, bubbles: true, composed: true });
  }
}

/** `call-summary`: a call is over; its figures, for the site's analytics (see README, "Call quality"). */
export type CallSummaryDetail = CallSummary;

export class CallSummaryEvent extends CustomEvent<CallSummaryDetail> {
  constructor(detail: CallSummaryDetail) {
    super('call-summary', { detail, bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-device-change': CallDeviceChangeEvent;
    'call-media-state': CallMediaStateEvent;
    'call-state-change': CallStateChangeEvent;
    'call-error': CallErrorEvent;
    'call-reconnect': CallReconnectEvent;
    'call-quality-change': CallQualityChangeEvent;
    'call-summary': CallSummaryEvent;
  }
}
