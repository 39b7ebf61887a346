/**
 * What ICE tried, for the site owner, when a call found no path: which candidates each side had, which TURN
 * servers failed and how, where the candidate pairs got to. Its own chunk beside the bundle, loaded by
 * IceDiagnostics.summary() only when a call has failed: a connected call never needs it. A chunk imports
 * nothing at run time (build/on-demand.ts, selfContainedChunks): the statistics are read by the caller.
 */

import type { CandidateError, CandidateType, IceDiagnosticSummary } from './ice-diagnostics.js';
import type { RtcStat } from './rtc-stats.js';

const PAIR_ORDER = ['succeeded', 'in-progress', 'waiting', 'frozen', 'failed'];

/** `stats`: the connection's statistics by id (empty once it is closed); `errors`: its `icecandidateerror`s. */
export function iceSummary(pc: RTCPeerConnection, stats: ReadonlyMap<string, RtcStat>, errors: readonly CandidateError[]): IceDiagnosticSummary {
  const empty = (): Record<CandidateType, number> => ({ host: 0, srflx: 0, prflx: 0, relay: 0 });
  const localCandidates = empty();
  const remoteCandidates = empty();
  const pairs: IceDiagnosticSummary['pairs'] = [];
  for (const report of stats.values()) {
    if (report.type === 'local-candidate') localCandidates[report.candidateType as CandidateType] += 1;
    if (report.type === 'remote-candidate') remoteCandidates[report.candidateType as CandidateType] += 1;
  }
  const describe = (id: string | undefined) => {
    const c = id ? stats.get(id) : undefined;
    return c ? `${c.candidateType} ${c.protocol}${c.relayProtocol ? `/${c.relayProtocol}` : ''} ${c.address ?? '?'}:${c.port ?? '?'}` : '?';
  };
  for (const report of stats.values()) {
    if (report.type === 'candidate-pair') pairs.push({ local: describe(report.localCandidateId), remote: describe(report.remoteCandidateId), state: report.state ?? '?' });
  }
  pairs.sort((a, b) => PAIR_ORDER.indexOf(a.state) - PAIR_ORDER.indexOf(b.state));
  const urls = pc.getConfiguration().iceServers?.flatMap((server) => [server.urls].flat()) ?? [];
  return {
    localCandidates,
    remoteCandidates,
    stunServers: urls.filter((url) => /^stuns?:/.test(url)).length,
    turnServers: urls.filter((url) => /^turns?:/.test(url)).length,
    errors: [...errors],
    pairs: pairs.slice(0, 10),
    iceConnectionState: pc.iceConnectionState,
    connectionState: pc.connectionState,
  };
}
