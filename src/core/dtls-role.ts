/**
 * Keeping the DTLS roles of a connection through an ICE restart.
 *
 * An ICE restart keeps the DTLS session, so each side must keep its DTLS role (client `active`, server
 * `passive`). Offers always say `actpass`, and Firefox, answering a re-offer, picks `active` again even where
 * it is the server of the existing session; Chromium then refuses the answer ("Failed to set SSL role for the
 * transport") and the restart ends the call. RFC 8842 §5.5 asks the answerer to keep the established role, so
 * an answer that flips it is corrected here before it is applied: it can only mean the role in force.
 */

type Role = 'active' | 'passive';

const SETUP = /^a=setup:(active|passive|actpass)\r?$/m;

function setupOf(sdp: string | undefined): string | undefined {
  return sdp ? SETUP.exec(sdp)?.[1] : undefined;
}

/** This side's DTLS role in the descriptions in force, or null before the first negotiation completed. */
export function currentDtlsRole(pc: Pick<RTCPeerConnection, 'currentLocalDescription' | 'currentRemoteDescription'>): Role | null {
  const local = pc.currentLocalDescription;
  const remote = pc.currentRemoteDescription;
  if (!local || !remote) return null;
  const mine = local.type === 'answer' ? setupOf(local.sdp) : flip(setupOf(remote.sdp));
  return mine === 'active' || mine === 'passive' ? mine : null;
}

/** `answer` with its `a=setup` lines made the counterpart of `role` (unchanged when `role` is null). */
export function keepDtlsRole(answer: string, role: Role | null): string {
  if (!role) return answer;
  return answer.replace(/^a=setup:(active|passive)(\r?)$/gm, `a=setup:${flip(role)}$2`);
}

function flip(setup: string | undefined): Role | undefined {
  if (setup === 'active') return 'passive';
  if (setup === 'passive') return 'active';
  return undefined;
}
