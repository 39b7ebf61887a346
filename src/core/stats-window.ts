/**
 * One window of a connection's statistics: two `getStats()` snapshots reduced to what changed between them, the
 * figures call quality is scored from (src/core/call-quality.ts). Pure: the snapshots are the sampler's.
 */
import type { AudioFigures, VideoFigures } from './call-quality.js';
import { selectedPair, type RtcStat } from './rtc-stats.js';

export interface StatsWindow {
  seconds: number;
  /** Inbound audio: packets received and lost in the window, jitter now (ms), samples concealed; null if none. */
  audio: { packetsReceived: number; packetsLost: number; jitterMs: number; concealedSamples: number; totalSamples: number } | null;
  /** Inbound video in the window; null if none. */
  video: { framesDecoded: number; framesDropped: number; freezeSeconds: number; frameWidth: number | null; frameHeight: number | null } | null;
  /** Round trip of the selected candidate pair (else of `remote-inbound-rtp`), ms; null if unknown. */
  rttMs: number | null;
  /** What the sender may send (`availableOutgoingBitrate`), and sends (outbound bytes in the window), bits/s. */
  availableBitrate: number | null;
  sentBitrate: number;
  /** The outbound video: pixels a frame and frames a second as encoded now; null if none. */
  sent: { pixels: number; fps: number } | null;
  /** Why the outbound video is held back (`qualityLimitationReason`: `cpu`, `bandwidth`), or null for none. */
  limitation: string | null;
}

/** The reports of `type` (and `kind`, when given). */
const reports = (stats: ReadonlyMap<string, RtcStat>, type: string, kind?: string) =>
  [...stats.values()].filter((s) => s.type === type && (kind === undefined || s.kind === kind));
const sum = (list: RtcStat[], field: keyof RtcStat) => list.reduce((total, s) => total + ((s[field] as number | undefined) ?? 0), 0);
/** A counter's growth; a counter that went down (a new connection, a new SSRC) counts from zero. */
const growth = (now: number, before: number) => (now >= before ? now - before : now);

export function statsWindow(before: ReadonlyMap<string, RtcStat> | null, now: ReadonlyMap<string, RtcStat>, seconds: number): StatsWindow {
  const previous = before ?? new Map<string, RtcStat>();
  const audioNow = reports(now, 'inbound-rtp', 'audio');
  const videoNow = reports(now, 'inbound-rtp', 'video');
  const audioBefore = reports(previous, 'inbound-rtp', 'audio');
  const videoBefore = reports(previous, 'inbound-rtp', 'video');
  const delta = (field: keyof RtcStat, nowReports: RtcStat[], beforeReports: RtcStat[]) => growth(sum(nowReports, field), sum(beforeReports, field));

  const pair = selectedPair(now);
  const remoteInbound = reports(now, 'remote-inbound-rtp').find((s) => s.roundTripTime !== undefined);
  const rttSeconds = pair?.currentRoundTripTime ?? remoteInbound?.roundTripTime;
  const video = videoNow[0];
  const outVideo = reports(now, 'outbound-rtp', 'video')[0];
  const limitation = outVideo?.qualityLimitationReason;

  return {
    seconds,
    audio: audioNow.length
      ? {
          packetsReceived: delta('packetsReceived', audioNow, audioBefore),
          packetsLost: Math.max(0, delta('packetsLost', audioNow, audioBefore)),
          jitterMs: Math.max(...audioNow.map((s) => (s.jitter ?? 0) * 1000)),
          concealedSamples: delta('concealedSamples', audioNow, audioBefore),
          totalSamples: delta('totalSamplesReceived', audioNow, audioBefore),
        }
      : null,
    video: videoNow.length
      ? {
          framesDecoded: delta('framesDecoded', videoNow, videoBefore),
          framesDropped: delta('framesDropped', videoNow, videoBefore),
          freezeSeconds: delta('totalFreezesDuration', videoNow, videoBefore),
          frameWidth: video?.frameWidth ?? null,
          frameHeight: video?.frameHeight ?? null,
        }
      : null,
    rttMs: rttSeconds === undefined ? null : rttSeconds * 1000,
    availableBitrate: pair?.availableOutgoingBitrate ?? null,
    sentBitrate: seconds > 0 ? (growth(sum(reports(now, 'outbound-rtp'), 'bytesSent'), sum(reports(previous, 'outbound-rtp'), 'bytesSent')) * 8) / seconds : 0,
    sent: outVideo?.frameWidth ? { pixels: outVideo.frameWidth! * (outVideo.frameHeight ?? 0), fps: outVideo.framesPerSecond ?? 0 } : null,
    limitation: limitation && limitation !== 'none' ? limitation : null,
  };
}

/** The audio score's figures of a window: loss as a share of the packets expected in it. */
export function audioFigures(window: StatsWindow): AudioFigures | null {
  if (!window.audio) return null;
  const { packetsReceived, packetsLost, jitterMs } = window.audio;
  const expected = packetsReceived + packetsLost;
  return { rttMs: window.rttMs, jitterMs, lossPercent: expected > 0 ? (100 * packetsLost) / expected : 0 };
}

/** The video score's figures of a window; `sent` is what the far side says it sends, when it says. */
export function videoFigures(window: StatsWindow, sent: { pixels?: number; fps?: number } | null): VideoFigures | null {
  if (!window.video) return null;
  const { framesDecoded, freezeSeconds, frameWidth, frameHeight } = window.video;
  return {
    windowSeconds: window.seconds,
    freezeSeconds,
    framesPerSecond: window.seconds > 0 ? framesDecoded / window.seconds : 0,
    receivedPixels: frameWidth && frameHeight ? frameWidth * frameHeight : null,
    sentPixels: sent?.pixels || null,
    sentFramesPerSecond: sent?.fps || null,
  };
}
