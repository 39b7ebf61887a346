import type { CallPath } from './ice-diagnostics.js';

/**
 * The call's one state machine. Every state the widget can be in, and every transition between them, is in
 * the table below; the element's `state` attribute, its UI and its events all read from here.
 */

export const CALL_STATES = [
  'idle', // not started, or left the room
  'joining', // connecting to signaling and joining the room (again, with reason `signaling`, after the link dropped)
  'waiting', // in the room, nobody else there
  'ready', // the peer is in the room; a call can be placed
  'calling', // outgoing call ringing at the peer
  'ringing', // incoming call waiting for accept or decline
  'connecting', // call accepted; negotiating media
  'connected', // media flowing
  'reconnecting', // media stopped mid-call; trying to restore it within the reconnect window
  'ended', // a call ended normally; another can be placed
  'failed', // something went wrong; see the reason and the call-error event
] as const;
export type CallState = (typeof CALL_STATES)[number];

/** What happened: the inputs of the machine. */
export type CallInput =
  | 'join'
  | 'joined-alone'
  | 'joined-with-peer'
  | 'peer-joined'
  | 'peer-left'
  | 'call'
  | 'invited'
  | 'accept'
  | 'accepted'
  | 'end' // any normal end of a call: hang-up, decline, cancel, no answer
  | 'media-connected'
  | 'media-lost'
  | 'fail'
  | 'signaling-lost' // the link to the server dropped outside a call: no call can be placed until it is back
  | 'leave';

/** Why a state was entered, carried in `call-state-change`. */
export type CallReason =
  | 'hangup' // this side hung up
  | 'peer-hangup'
  | 'declined' // this side declined
  | 'peer-declined'
  | 'busy' // the peer was already in a call
  | 'canceled' // this side canceled its outgoing call
  | 'peer-canceled'
  | 'no-answer' // the ring timeout passed (on the caller's side)
  | 'missed' // this side rang until the caller's ring timeout passed
  | 'peer-media-failed' // the other side's microphone failed (missing, blocked or busy)
  | 'peer-left'
  | 'ice-failed'
  | 'network' // media was lost mid-call (and, on `failed`, not restored within the reconnect window)
  | 'signaling'
  | 'media'
  | 'room-full'
  | 'unauthorized' // the server needs a room token and refused this one (missing, invalid, expired, another room)
  | 'invalid-attribute'
  | 'protocol';

const IN_CALL = ['calling', 'ringing', 'connecting', 'connected', 'reconnecting'] as const;

/**
 * `TRANSITIONS[state][input]` is the next state; a missing entry means the input is not allowed there and is
 * ignored. Where the next state depends on whether the peer is present, it is resolved by the session's
 * input choice (`joined-alone` / `joined-with-peer`) or by `end`/`peer-left` below.
 */
const TRANSITIONS: Record<CallState, Partial<Record<CallInput, CallState>>> = {
  idle: { join: 'joining', fail: 'failed' },
  joining: { 'joined-alone': 'waiting', 'joined-with-peer': 'ready', fail: 'failed', leave: 'idle' },
  waiting: { 'peer-joined': 'ready', 'signaling-lost': 'joining', fail: 'failed', leave: 'idle' },
  ready: { 'peer-left': 'waiting', call: 'calling', invited: 'ringing', 'signaling-lost': 'joining', fail: 'failed', leave: 'idle' },
  // `accept` in `calling`: both sides called at once and the polite side accepts the other's call instead.
  // A call whose peer left is over and there is nobody to call: `waiting`, with reason `peer-left`.
  calling: { accepted: 'connecting', accept: 'connecting', end: 'ended', 'peer-left': 'waiting', fail: 'failed', leave: 'idle' },
  ringing: { accept: 'connecting', end: 'ended', 'peer-left': 'waiting', fail: 'failed', leave: 'idle' },
  connecting: { 'media-connected': 'connected', end: 'ended', 'peer-left': 'waiting', fail: 'failed', leave: 'idle' },
  connected: { 'media-lost': 'reconnecting', end: 'ended', 'peer-left': 'waiting', fail: 'failed', leave: 'idle' },
  reconnecting: { 'media-connected': 'connected', end: 'ended', 'peer-left': 'waiting', fail: 'failed', leave: 'idle' },
  ended: { 'peer-left': 'waiting', 'peer-joined': 'ready', call: 'calling', invited: 'ringing', 'signaling-lost': 'joining', fail: 'failed', leave: 'idle' },
  // A failed call leaves us in the room: the peer may still leave or come back. A failed join does not, and
  // then neither input can arrive.
  // A new call can be placed or taken from there (without being in the room, no peer is known and no invite
  // arrives).
  failed: { join: 'joining', 'peer-left': 'waiting', 'peer-joined': 'ready', call: 'calling', invited: 'ringing', leave: 'idle' },
};

export const isInCall = (state: CallState): boolean => (IN_CALL as readonly CallState[]).includes(state);

export interface CallTransition {
  state: CallState;
  previous: CallState;
  input: CallInput;
  reason?: CallReason;
  /** On `connected`: the media path in use. */
  path?: CallPath;
}

export class CallMachine {
  #state: CallState = 'idle';
  #reason: CallReason | undefined;
  readonly #listeners = new Set<(transition: CallTransition) => void>();

  get state(): CallState {
    return this.#state;
  }

  /** Why the current state was entered, if a reason was given. */
  get reason(): CallReason | undefined {
    return this.#reason;
  }

  can(input: CallInput): boolean {
    return TRANSITIONS[this.#state][input] !== undefined;
  }

  /** Applies an input; returns false (and changes nothing) when the current state does not accept it. */
  send(input: CallInput, reason?: CallReason, path?: CallPath): boolean {
    const next = TRANSITIONS[this.#state][input];
    if (next === undefined) return false;
    const previous = this.#state;
    this.#state = next;
    this.#reason = reason;
    const transition: CallTransition = { state: next, previous, input, ...(reason && { reason }), ...(path && { path }) };
    for (const listener of this.#listeners) listener(transition);
    return true;
  }

  subscribe(listener: (transition: CallTransition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
