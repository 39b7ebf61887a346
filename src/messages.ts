/** What the status line says, in words a visitor understands. Kept apart so translations can replace it. */
import type { CallReason, CallState } from './core/call-machine.js';
import type { CallQuality, QualityReason } from './core/quality-monitor.js';

const STATE_TEXT: Record<CallState, string> = {
  idle: '',
  joining: 'Connecting…',
  waiting: 'Waiting for the other person to join…',
  ready: 'Ready to call.',
  calling: 'Calling…',
  ringing: 'Incoming call.',
  connecting: 'Connecting the call…',
  connected: 'Connected.',
  reconnecting: 'Connection lost. Reconnecting…',
  ended: 'Call ended.',
  failed: 'The call could not continue.',
};

const ENDED_TEXT: Partial<Record<CallReason, string>> = {
  hangup: 'You ended the call.',
  'peer-hangup': 'The other person ended the call.',
  declined: 'You declined the call.',
  'peer-declined': 'The other person declined the call.',
  busy: 'The other person is busy.',
  canceled: 'Call canceled.',
  'peer-canceled': 'Missed call.',
  'no-answer': 'No answer.',
  missed: 'Missed call.',
  'peer-media-failed': "The other person's microphone is not working, so the call could not start.",
  'peer-left': 'The other person left.',
  signaling: 'The call ended: the connection to the call server was lost.',
};

export function statusText(state: CallState, reason: CallReason | undefined, peerName: string | undefined): string {
  if (state === 'ended' && reason && ENDED_TEXT[reason]) return ENDED_TEXT[reason]!;
  if (state === 'ringing' && peerName) return `${peerName} is calling.`;
  if (state === 'ready' && peerName) return `${peerName} is here. Ready to call.`;
  if (state === 'waiting' && reason === 'peer-left') return 'The other person left. Waiting for someone to join…';
  if (state === 'waiting' && reason === 'signaling') return 'The connection to the call server was lost and the call ended. Waiting for the other person…';
  if (state === 'joining' && reason === 'signaling') return 'Reconnecting to the call server…';
  return STATE_TEXT[state];
}

const LEVEL_WORD = ['lost', 'bad', 'poor', 'fair', 'good', 'excellent'];
const REASON_TEXT: Record<QualityReason, string> = { loss: 'data lost', delay: 'long delay', bandwidth: 'low bandwidth', cpu: 'device overloaded' };

/** The quality indicator's label: "Connection good, 4 of 5", and what is wrong, where, when it is poor. */
export function qualityLabel({ level, reasons, cause }: CallQuality): string {
  const why = reasons.map((reason) => REASON_TEXT[reason]);
  if (cause) why.push(cause === 'local' ? 'on your side' : 'on the other side');
  return `Connection ${LEVEL_WORD[level!]}, ${level} of 5${why.length ? `: ${why.join(', ')}` : ''}`;
}
