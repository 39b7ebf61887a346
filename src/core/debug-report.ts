/**
 * The debug panel's text (the `debug` attribute): the live figures behind the quality score, the path, and the
 * recent events, for support staff reading over a visitor's shoulder. Loaded on demand beside the bundle
 * (`call-widget-debug-report.js`): only a page that asks for the panel pays for it, so it imports nothing.
 */
import type { CallPath } from './ice-diagnostics.js';
import type { CallQuality, DirectionQuality, SecondOfStats } from './quality-monitor.js';
import type { RtcStat } from './rtc-stats.js';

export interface DebugInput {
  state: string;
  quality: CallQuality | null;
  figures: SecondOfStats | null;
  path: CallPath | null;
  recent: readonly string[];
}

const figure = (value: number | null | undefined, unit = '', digits = 0) => (value == null ? '-' : `${value.toFixed(digits)}${unit}`);
const direction = (name: string, d: DirectionQuality | null) =>
  `${name}: ${d ? `level ${d.level ?? '?'}, mos ${figure(d.mos, '', 2)}, audio ${figure(d.audio, '', 2)}, video ${figure(d.video, '', 2)}${d.reasons.length ? `, ${d.reasons.join(' ')}` : ''}` : '-'}`;

/** The candidates of `type` by kind and protocol ("host/udp 2, relay/udp via tls 1"), and the pairs by state. */
function candidates(stats: ReadonlyMap<string, RtcStat>, type: string): string {
  const counts = new Map<string, number>();
  for (const s of stats.values()) {
    if (s.type !== type) continue;
    const key = type === 'candidate-pair' ? (s.state ?? '?') : `${s.candidateType ?? '?'}/${s.protocol ?? '?'}${s.relayProtocol ? ` via ${s.relayProtocol}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${key} ${n}`).join(', ') || '-';
}

export function debugReport({ state, quality, figures: f, path, recent }: DebugInput): string {
  const audio = f?.audio;
  const video = f?.video;
  const expected = audio ? audio.packetsReceived + audio.packetsLost : 0;
  return [
    `state ${state}; path ${path ? `${path.kind} ${path.protocol} (${path.local} → ${path.remote})` : '-'}`,
    `quality ${quality ? `${quality.level ?? '?'} of 5${quality.reasons.length ? `: ${quality.reasons.join(' ')}` : ''}${quality.cause ? ` (${quality.cause})` : ''}` : '-'}`,
    direction('  received', quality?.local ?? null),
    direction('  sent', quality?.remote ?? null),
    `rtt ${figure(f?.rttMs, ' ms')}; jitter ${figure(audio?.jitterMs, ' ms', 1)}; audio loss ${expected ? figure((100 * audio!.packetsLost) / expected, ' %', 1) : '-'} of ${expected} packets, concealed ${audio?.totalSamples ? figure((100 * audio.concealedSamples) / audio.totalSamples, ' %', 1) : '-'}`,
    `video in ${video?.frameWidth ? `${video.frameWidth}×${video.frameHeight}` : '-'} at ${figure(video && f!.seconds ? video.framesDecoded / f!.seconds : null, ' fps')}, frozen ${figure(video?.freezeSeconds, ' s', 1)}, ${figure(video?.framesDropped)} dropped`,
    `sending ${figure(f ? f.sentBitrate / 1000 : null, ' kbit/s')} of ${figure(f?.availableBitrate == null ? null : f.availableBitrate / 1000, ' kbit/s')} available${f?.limitation ? `, limited by ${f.limitation}` : ''}`,
    `candidates: local ${f ? candidates(f.stats, 'local-candidate') : '-'}; remote ${f ? candidates(f.stats, 'remote-candidate') : '-'}; pairs ${f ? candidates(f.stats, 'candidate-pair') : '-'}`,
    ...recent,
  ].join('\n');
}
