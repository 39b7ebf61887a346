/**
 * What ICE did, for the site owner: the path a connected call takes, and, when a call cannot connect, a
 * summary worth logging (src/core/ice-summary.ts, loaded only then). Read from the peer connection's own
 * statistics and `icecandidateerror` events.
 */

import { selectedPair, statsById, type RtcStat } from './rtc-stats.js';

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** The media path of a connected call. */
export interface CallPath {
  /** `relay` when either end of the selected pair is a TURN relay candidate. */
  kind: 'direct' | 'relay';
  /** How this side reaches the far end or its relay: for a relay, the protocol to the TURN server. */
  protocol: TransportProtocol;
  local: CandidateType;
  remote: CandidateType;
}

export interface CandidateError {
  url: string;
  code: number;
  text: string;
}

export interface IceDiagnosticSummary {
  localCandidates: Record<CandidateType, number>;
  remoteCandidates: Record<CandidateType, number>;
  stunServers: number;
  turnServers: number;
  /** Every `icecandidateerror`: a TURN 401 here means stale or wrong credentials. */
  errors: CandidateError[];
  /** The candidate pairs and the state each reached, most advanced first (at most 10). */
  pairs: Array<{ local: string; remote: string; state: string }>;
  iceConnectionState: RTCIceConnectionState;
  connectionState: RTCPeerConnectionState;
}

/** At most this many errors are kept: a misconfigured TURN list can produce one per candidate per server. */
const MAX_ERRORS = 50;

export class IceDiagnostics {
  readonly errors: CandidateError[] = [];
  readonly #pc: RTCPeerConnection;

  constructor(pc: RTCPeerConnection) {
    this.#pc = pc;
    pc.addEventListener('icecandidateerror', (event) => {
      const e = event as RTCPeerConnectionIceErrorEvent;
      if (this.errors.length < MAX_ERRORS) this.errors.push({ url: e.url, code: e.errorCode, text: e.errorText });
    });
  }

  /** The selected candidate pair as a path, or null if there is none (yet). */
  async path(): Promise<CallPath | null> {
    const stats = statsById(await this.#pc.getStats());
    const pair = selectedPair(stats);
    const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
    const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
    if (!local?.candidateType || !remote?.candidateType) return null;
    const relayed = local.candidateType === 'relay' || remote.candidateType === 'relay';
    const protocol = (local.candidateType === 'relay' ? (local.relayProtocol ?? 'udp') : (local.protocol ?? 'udp')) as TransportProtocol;
    return { kind: relayed ? 'relay' : 'direct', protocol, local: local.candidateType as CandidateType, remote: remote.candidateType as CandidateType };
  }

  /**
   * What ICE tried, once a call has found no path. Loaded on demand (src/core/ice-summary.ts, a chunk beside
   * the bundle); should it not load (not deployed beside the bundle, or the network gone), the call fails all
   * the same, without the summary, and the console says why.
   */
  async summary(): Promise<IceDiagnosticSummary | undefined> {
    // A closed connection has no statistics; the errors and configuration still tell something.
    const stats = await this.#pc.getStats().then(statsById, () => new Map<string, RtcStat>());
    try {
      const { iceSummary } = await import('./ice-summary.js');
      return iceSummary(this.#pc, stats, this.errors);
    } catch (error) {
      console.warn('[call-widget] the ICE summary could not be loaded:', error);
      return undefined;
    }
  }
}
