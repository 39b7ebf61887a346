/**
 * The DOM events `<call-widget>` dispatches. All bubble and are composed, so a host page can listen on the
 * element or anywhere above it, even across shadow roots.
 */
import type { CallReason, CallState } from './core/call-machine.js';
import type { CallErrorInfo } from './core/session-options.js';
import type { CallPath } from './core/ice-diagnostics.js';

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

declare global {
  interface HTMLElementEventMap {
    'call-state-change': CallStateChangeEvent;
    'call-error': CallErrorEvent;
    'call-reconnect': CallReconnectEvent;
  }
}
