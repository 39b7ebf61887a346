/** When a drop in quality is announced: the time is given, so no clock is needed. */
import { expect } from '@open-wc/testing';
import { ANNOUNCE_EVERY_MS, QualityAlert } from '../../src/core/quality-alert.js';

/** Feeds `levels` one second apart from `start` (ms); the seconds at which an announcement was due. */
const said = (alert: QualityAlert, levels: Array<number | null>, start = 0) =>
  levels.flatMap((level, i) => (alert.update(level, start + i * 1000) ? [i] : []));

describe('quality alert', () => {
  it('announces a drop to 2 bars or fewer, once, and not while it stays down', () => {
    expect(said(new QualityAlert(), [5, 5, 4, 2, 2, 1, 1, 2])).to.deep.equal([3]);
  });

  it('says nothing for good or fair levels, unknown ones, or an outage (0 is reconnecting)', () => {
    expect(said(new QualityAlert(), [null, 5, 4, 3, null, 3, 0, 0, null, 3])).to.deep.equal([]);
  });

  it('does not count coming back from an outage as a drop', () => {
    expect(said(new QualityAlert(), [5, 0, 0, null, null, 1, 2, 4])).to.deep.equal([]);
  });

  it('speaks at most once per 10 s, and says a drop held back by that once it is over, if still poor', () => {
    const alert = new QualityAlert();
    // Down at 0 s, up at 1 s, down again at 2 s: held back until 10 s, then said as it is still poor.
    const levels = [2, 4, 2, ...Array(ANNOUNCE_EVERY_MS / 1000).fill(2)];
    expect(said(alert, levels)).to.deep.equal([0, 10]);
    // Held back, then better before the 10 s are up: nothing more to say.
    const second = new QualityAlert();
    expect(said(second, [2, 4, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4])).to.deep.equal([0]);
  });
});
