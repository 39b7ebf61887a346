/**
 * How the wire's reasons and the call's reasons map onto each other: what a `decline`, `cancel` or `hangup`
 * from the peer means here, what we tell the peer when our side fails, and what a failure's error code
 * means for the state's reason.
 */
import { ErrorCode, type RelayedPayload } from '../protocol/protocol.js';
import type { CallReason } from './call-machine.js';
import { MediaAccessError } from './local-media.js';
import { SignalingError } from './signaling-client.js';

type EndingEvent = 'cancel' | 'decline' | 'hangup';
/** A message that ends a call, as the peer is told. */
export type Ending = { [E in EndingEvent]: { event: E; reason: NonNullable<RelayedPayload<E>['reason']> } }[EndingEvent];

/** The reason a call ended with, for the peer's `decline`, `cancel` or `hangup` and the reason it gave. */
export function remoteEndReason(event: EndingEvent, reason: string | undefined): CallReason {
  if (reason === 'media-failed') return 'peer-media-failed';
  if (event === 'decline') return reason === 'busy' ? 'busy' : reason === 'no-answer' ? 'no-answer' : 'peer-declined';
  // The caller's ring timeout passed: for the callee that is a missed call, not "no answer".
  if (event === 'cancel') return reason === 'no-answer' ? 'missed' : 'peer-canceled';
  return 'peer-hangup';
}

/** What tells the peer our side failed, in the phase the call is in. */
export function failureEnding(event: EndingEvent, reason: CallReason): Ending {
  if (reason === 'media') return { event, reason: 'media-failed' };
  if (event === 'cancel') return { event, reason: 'canceled' };
  if (event === 'decline') return { event, reason: 'declined' };
  return { event, reason: reason === 'ice-failed' ? 'ice-failed' : 'error' };
}

/** The error code of a failure: its own, for the errors that carry one. */
export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof MediaAccessError || error instanceof SignalingError ? error.code : ErrorCode.NegotiationFailed;
}

/** The state's reason for a failure. */
export function failureReason(error: unknown, code: ErrorCode): CallReason {
  if (error instanceof MediaAccessError) return 'media';
  if (code === ErrorCode.IceFailed) return 'ice-failed';
  if (code === ErrorCode.NetworkLost) return 'network';
  if (error instanceof SignalingError) return 'signaling';
  return 'protocol';
}

/** The call reason for a join the server refused. */
export function joinFailure(code: ErrorCode): CallReason {
  if (code === ErrorCode.RoomFull) return 'room-full';
  if (code === ErrorCode.Unauthorized) return 'unauthorized';
  return 'signaling';
}
