/**
 * `getStats()` entries with the fields the core reads, typed (the DOM typings leave each report `any`). Names
 * are the W3C webrtc-stats ones; any of them may be missing, depending on the browser and the moment.
 */
export interface RtcStat {
  id: string;
  type: string;
  kind?: string;
  packetsReceived?: number;
  packetsLost?: number;
  /** Seconds (RTP interarrival jitter). */
  jitter?: number;
  concealedSamples?: number;
  totalSamplesReceived?: number;
  framesDecoded?: number;
  framesDropped?: number;
  /** Seconds. */
  totalFreezesDuration?: number;
  frameWidth?: number;
  frameHeight?: number;
  /** Frames per second, as encoded (`outbound-rtp`) or decoded (`inbound-rtp`). */
  framesPerSecond?: number;
  /** The inbound audio's level now, 0-1 of full scale. */
  audioLevel?: number;
  bytesReceived?: number;
  bytesSent?: number;
  qualityLimitationReason?: string;
  /** Seconds: the candidate pair's, and `remote-inbound-rtp`'s. */
  currentRoundTripTime?: number;
  roundTripTime?: number;
  /** Bits per second (candidate pair). */
  availableOutgoingBitrate?: number;
  selectedCandidatePairId?: string;
  nominated?: boolean;
  state?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  candidateType?: string;
  protocol?: string;
  relayProtocol?: string;
  address?: string;
  port?: number;
}

/** The report's entries by id. */
export function statsById(report: RTCStatsReport): Map<string, RtcStat> {
  const byId = new Map<string, RtcStat>();
  report.forEach((entry: RtcStat) => byId.set(entry.id, entry));
  return byId;
}

/**
 * The candidate pair in use: the transport's `selectedCandidatePairId`, or, where a browser does not fill it, the
 * nominated pair that succeeded (the same thing).
 */
export function selectedPair(stats: ReadonlyMap<string, RtcStat>): RtcStat | undefined {
  const all = [...stats.values()];
  const transport = all.find((report) => report.type === 'transport' && report.selectedCandidatePairId);
  return (transport && stats.get(transport.selectedCandidatePairId!)) ?? all.find((report) => report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded');
}
