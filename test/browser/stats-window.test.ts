import { expect } from '@open-wc/testing';
import type { RtcStat } from '../../src/core/rtc-stats.js';
import { audioFigures, statsWindow, videoFigures } from '../../src/core/stats-window.js';

const snapshot = (...reports: RtcStat[]) => new Map(reports.map((r) => [r.id, r]));

const pair = (extra: Partial<RtcStat> = {}): RtcStat => ({ id: 'CP1', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.04, availableOutgoingBitrate: 1_500_000, ...extra });
const audio = (extra: Partial<RtcStat>): RtcStat => ({ id: 'IA', type: 'inbound-rtp', kind: 'audio', ...extra });
const video = (extra: Partial<RtcStat>): RtcStat => ({ id: 'IV', type: 'inbound-rtp', kind: 'video', ...extra });
const sent = (extra: Partial<RtcStat>): RtcStat => ({ id: 'OV', type: 'outbound-rtp', kind: 'video', ...extra });

describe('stats window', () => {
  it('reduces two snapshots to what changed in between', () => {
    const before = snapshot(pair(), audio({ packetsReceived: 1000, packetsLost: 10, jitter: 0.004 }), video({ framesDecoded: 300, totalFreezesDuration: 1 }), sent({ bytesSent: 1_000_000 }));
    const now = snapshot(
      pair(),
      audio({ packetsReceived: 1047, packetsLost: 13, jitter: 0.006, concealedSamples: 480, totalSamplesReceived: 48_000 }),
      video({ framesDecoded: 330, totalFreezesDuration: 1.2, frameWidth: 640, frameHeight: 480 }),
      sent({ bytesSent: 1_125_000, qualityLimitationReason: 'bandwidth', frameWidth: 320, frameHeight: 240, framesPerSecond: 15 }),
    );
    const window = statsWindow(before, now, 1);
    expect(window.audio).to.deep.include({ packetsReceived: 47, packetsLost: 3, jitterMs: 6 });
    expect(window.video).to.deep.include({ framesDecoded: 30, frameWidth: 640, frameHeight: 480 });
    expect(window.video!.freezeSeconds).to.be.closeTo(0.2, 1e-9);
    expect(window.rttMs).to.equal(40);
    expect(window.availableBitrate).to.equal(1_500_000);
    expect(window.sentBitrate).to.equal(1_000_000);
    expect(window.limitation).to.equal('bandwidth');
    expect(audioFigures(window)).to.deep.equal({ rttMs: 40, jitterMs: 6, lossPercent: 6 });
    expect(window.sent).to.deep.equal({ pixels: 320 * 240, fps: 15 });
    expect(videoFigures(window, { pixels: 640 * 480, fps: 30 })).to.deep.include({ windowSeconds: 1, framesPerSecond: 30, receivedPixels: 640 * 480, sentPixels: 640 * 480, sentFramesPerSecond: 30 });
    expect(videoFigures(window, null)).to.deep.include({ sentPixels: null, sentFramesPerSecond: null });
  });

  it("takes the round trip from remote-inbound-rtp when the pair has none, and the transport's selected pair first", () => {
    const now = snapshot(
      { id: 'T', type: 'transport', selectedCandidatePairId: 'CP2' },
      pair({ currentRoundTripTime: 0.5 }),
      { id: 'CP2', type: 'candidate-pair', state: 'succeeded' },
      { id: 'RI', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.12 },
    );
    expect(statsWindow(null, now, 1).rttMs).to.equal(120);
  });

  it('counts a counter that went down (a new connection) from zero, and knows nothing of media it has no report for', () => {
    const window = statsWindow(snapshot(audio({ packetsReceived: 5000 })), snapshot(audio({ packetsReceived: 40 })), 1);
    expect(window.audio!.packetsReceived).to.equal(40);
    expect(window.video).to.equal(null);
    expect(videoFigures(window, null)).to.equal(null);
    expect(window.rttMs).to.equal(null);
    expect(window.limitation).to.equal(null);
  });

  it('reads no loss when nothing was expected', () => {
    const window = statsWindow(snapshot(audio({ packetsReceived: 10 })), snapshot(audio({ packetsReceived: 10 })), 1);
    expect(audioFigures(window)).to.deep.equal({ rttMs: null, jitterMs: 0, lossPercent: 0 });
  });
});
