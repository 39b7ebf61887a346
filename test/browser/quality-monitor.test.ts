/**
 * The quality monitor on its own: stats snapshots made by hand, a second apart, in; the call's quality, the
 * report for the peer and the totals out. What a real call scores is in call-quality-widget.test.ts.
 */
import { expect } from '@open-wc/testing';
import { QualityMonitor, type CallQuality, type QualityInputs, type QualityReport } from '../../src/core/quality-monitor.js';
import type { RtcStat } from '../../src/core/rtc-stats.js';

/** A connection's stats after `seconds` of 50 audio packets a second, `lossPercent` of them lost, and 24 fps. */
function snapshot(seconds: number, { lossPercent = 0, rtt = 0.04, fps = 24, limitation = 'none' } = {}, lostBefore = 0): Map<string, RtcStat> {
  const sent = 50 * seconds;
  const lost = lostBefore + Math.round((sent * lossPercent) / 100);
  const reports: RtcStat[] = [
    { id: 'CP', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: rtt },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', packetsReceived: sent - lost, packetsLost: lost, jitter: 0.002 },
    { id: 'IV', type: 'inbound-rtp', kind: 'video', framesDecoded: fps * seconds, totalFreezesDuration: 0, frameWidth: 640, frameHeight: 480 },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', frameWidth: 640, frameHeight: 480, framesPerSecond: 24, qualityLimitationReason: limitation },
  ];
  return new Map(reports.map((r) => [r.id, r]));
}

const FLOWING: QualityInputs = { receivesVideo: true, peerMuted: false, reconnecting: false };
const CLEAN_PEER: QualityReport = { level: 5, mos: 4.4, audio: 4.4, video: 4.5, reasons: [], pixels: 640 * 480, fps: 24 };

function monitor() {
  const changes: CallQuality[] = [];
  const reports: QualityReport[] = [];
  const m = new QualityMonitor((q) => changes.push(q), (r) => reports.push(r));
  /** Seconds `from` to `to` of the same conditions, one snapshot a second (the first second is the baseline). */
  const run = (from: number, to: number, options: Parameters<typeof snapshot>[1] = {}, inputs = FLOWING) => {
    // Loss accumulates from `from` on, on top of what was lost before.
    for (let s = from; s <= to; s++) {
      const stats = snapshot(s, {}, 0);
      if (options.lossPercent) {
        const audio = stats.get('IA')!;
        const lost = Math.round(((s - from) * 50 * options.lossPercent) / 100) + lostSoFar;
        audio.packetsLost = lost;
        audio.packetsReceived = 50 * s - lost;
      } else stats.get('IA')!.packetsLost = lostSoFar;
      if (options.rtt !== undefined) stats.get('CP')!.currentRoundTripTime = options.rtt;
      if (options.limitation) stats.get('OV')!.qualityLimitationReason = options.limitation;
      m.add(stats, s * 1000, inputs);
      lastLost = stats.get('IA')!.packetsLost!;
    }
    lostSoFar = lastLost;
  };
  let lostSoFar = 0;
  let lastLost = 0;
  return { m, changes, reports, run };
}

describe('quality monitor', () => {
  it('is unknown for the warm-up, then reads a clean call as 5 bars, and tells the peer once', () => {
    const { m, reports, run } = monitor();
    run(0, 3);
    expect(m.quality.level).to.equal(null);
    run(4, 10);
    expect(m.quality).to.deep.include({ level: 5, reasons: [], cause: null, remote: null });
    expect(m.quality.audio).to.be.greaterThan(4.3);
    // Reports go out on a change only: the warm-up's unknown, then 5 bars.
    expect(reports.map((r) => r.level)).to.deep.equal([null, 5]);
    expect(reports[1]).to.include({ pixels: 640 * 480, fps: 24 });
    expect(reports[1]!.limitation).to.equal(undefined);
  });

  it('scores only whole seconds: a snapshot sooner than that is not a window', () => {
    const { m, changes } = monitor();
    m.add(snapshot(0), 0, FLOWING);
    m.add(snapshot(0.5), 500, FLOWING);
    expect(changes).to.have.length(0);
    m.add(snapshot(1), 1000, FLOWING);
    expect(changes).to.have.length(1);
  });

  it('names loss in what it receives, and the other side as the cause when only this direction suffers', () => {
    const { m, run } = monitor();
    run(0, 6);
    m.onPeerReport(CLEAN_PEER);
    run(7, 10, { lossPercent: 5 });
    expect(m.quality.level).to.be.at.most(3);
    expect(m.quality.reasons).to.include('loss');
    expect(m.quality.cause).to.equal('remote');
    expect(m.quality.local.reasons).to.deep.equal(['loss']);
  });

  it("shows the other side's poor reception as this side's trouble, caused here", () => {
    const { m, run } = monitor();
    run(0, 6);
    m.onPeerReport({ level: 2, mos: 3.4, audio: 3.4, video: 4.5, reasons: ['loss'] });
    expect(m.quality).to.deep.include({ level: 2, mos: 3.4, reasons: ['loss'], cause: 'local' });
    expect(m.quality.local.level).to.equal(5);
  });

  it('blames nobody when both directions suffer alike, and names the delay', () => {
    const { m, run } = monitor();
    run(0, 6);
    m.onPeerReport({ level: 2, mos: 3.4, audio: 3.4, video: 4.5, reasons: ['loss', 'delay'] });
    run(7, 12, { lossPercent: 6, rtt: 0.4 });
    expect(m.quality.level).to.be.at.most(3);
    expect(m.quality.cause).to.equal(null);
    expect(m.quality.local.reasons).to.deep.equal(['loss', 'delay']);
  });

  it("adds the sender's own limit to the reasons, and it names the sender's side", () => {
    const { m, run, reports } = monitor();
    run(0, 6, { limitation: 'cpu' });
    expect(reports.at(-1)!.limitation).to.equal('cpu');
    // The peer's reception is poor too (it says so), and our sending is held back by our processor.
    m.onPeerReport({ level: 3, mos: 3.7, audio: 4.3, video: 3.7, reasons: [] });
    expect(m.quality).to.deep.include({ level: 3, reasons: ['cpu'], cause: 'local' });
  });

  it('is 0 at once on reconnecting, without waiting for a window, and blames nobody for the outage', () => {
    const { m, run } = monitor();
    run(0, 6);
    m.onPeerReport(CLEAN_PEER);
    m.add(snapshot(6.2), 6200, { ...FLOWING, reconnecting: true });
    expect(m.quality).to.deep.include({ level: 0, cause: null });
  });

  it('takes the first snapshot after a rebuild as a baseline, not a window against the old connection', () => {
    const { m, run, changes } = monitor();
    run(0, 6);
    const before = changes.length;
    m.resetBaseline();
    // The new connection's counters start again from zero.
    m.add(snapshot(1), 7000, FLOWING);
    expect(changes.length).to.equal(before);
    m.add(snapshot(2), 8000, FLOWING);
    expect(changes.length).to.equal(before + 1);
    expect(m.quality.local.reasons).to.deep.equal([]);
  });

  it('is unknown while the other side is muted with no video to judge', () => {
    const { m, run } = monitor();
    run(0, 6);
    run(7, 9, {}, { receivesVideo: false, peerMuted: true, reconnecting: false });
    expect(m.quality).to.deep.include({ level: null, audio: null, video: null });
  });

  it('totals the call: time at each level, mean and lowest score, round trip and loss', () => {
    const { m, run } = monitor();
    run(0, 10);
    run(11, 14, { lossPercent: 10 });
    const totals = m.totals;
    const time = Object.values(totals.levels).reduce((sum, ms) => sum + ms, 0);
    expect(time).to.equal(14_000);
    expect(totals.levels.unknown).to.equal(3000);
    expect(totals.levels['5']).to.be.at.least(6000);
    expect(totals.minMos).to.be.lessThan(totals.meanMos!);
    // Of what this side received: a peer's poorer report does not count in them.
    m.onPeerReport({ level: 1, mos: 1.5, audio: 1.5, video: null, reasons: ['loss'] });
    run(15, 16);
    expect(m.totals.minMos).to.be.greaterThan(1.5);
    expect(totals.meanRttMs).to.equal(40);
    // Three windows of 10 % (5 of 50 packets), of the 700 packets expected in 14 s.
    expect(totals.lossPercent).to.equal(2.14);
  });
});
