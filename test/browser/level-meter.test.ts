/** The microphone level meter on samples the test chooses and a fake clock; then on a real microphone. */
import { expect } from '@open-wc/testing';
import { openLevelSource } from '../../src/controllers/audio-level.js';
import { LevelMeter, peak, rms, type LevelReading } from '../../src/core/level-meter.js';
import { FakeClock } from './fake-clock.js';

/** `n` samples of a sine of amplitude `amplitude` (rms amplitude/√2), a whole number of periods. */
const sine = (amplitude: number, n = 2048) => Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * 8 * i) / n));
/** A constant signal: its rms and peak are both `value`. */
const flat = (value: number, n = 2048) => new Float32Array(n).fill(value);
const silence = () => flat(0);

function meter(intervalMs?: number) {
  const clock = new FakeClock();
  const input = { samples: silence() as Float32Array | null, reads: 0 };
  const readings: LevelReading[] = [];
  const m = new LevelMeter({
    read: () => {
      input.reads += 1;
      return input.samples;
    },
    onReading: (r) => readings.push(r),
    clock,
    intervalMs,
  });
  const last = () => readings[readings.length - 1];
  return { clock, input, readings, last, m };
}

describe('level meter: rms and peak', () => {
  it('measures known signals', () => {
    expect(rms(flat(0.5))).to.equal(0.5);
    expect(rms(flat(-0.25))).to.equal(0.25);
    expect(rms(sine(1))).to.be.closeTo(Math.SQRT1_2, 1e-6);
    expect(rms(Float32Array.of(1, -1, 0, 0))).to.be.closeTo(Math.SQRT1_2, 1e-6);
    expect(peak(Float32Array.of(0.1, -0.7, 0.3))).to.be.closeTo(0.7, 1e-6);
    expect(peak(sine(0.5))).to.be.closeTo(0.5, 1e-6);
  });

  it('says 0 for silence and for no samples', () => {
    expect(rms(silence())).to.equal(0);
    expect(peak(silence())).to.equal(0);
    expect(rms(new Float32Array())).to.equal(0);
    expect(peak(new Float32Array())).to.equal(0);
  });
});

describe('level meter: the level', () => {
  it('maps -60..0 dBFS onto 0..1 and rises at once', async () => {
    const { clock, input, last, m } = meter();
    m.start();
    input.samples = flat(0.001); // -60 dBFS
    await clock.tick(100);
    expect(last().level).to.equal(0);
    input.samples = flat(0.01); // -40 dBFS
    await clock.tick(100);
    expect(last().level).to.equal(0.34); // 1/3, in 0.02 steps
    input.samples = flat(0.1); // -20 dBFS
    await clock.tick(100);
    expect(last().level).to.equal(0.66);
    input.samples = flat(1);
    await clock.tick(100);
    expect(last().level).to.equal(1);
    m.stop();
  });

  it('falls back slowly: ×0.85 per 100 ms, down to 0', async () => {
    const { clock, input, readings, last, m } = meter();
    m.start();
    input.samples = flat(1);
    await clock.tick(100);
    input.samples = silence();
    readings.length = 0;
    await clock.tick(300);
    expect(readings.map((r) => r.level)).to.deep.equal([0.86, 0.72, 0.62]); // 0.85, 0.7225, 0.614 to the nearest 0.02
    await clock.tick(3000);
    expect(last().level).to.equal(0);
    m.stop();
  });

  it('decays by the same amount per second at another interval', async () => {
    const { clock, input, last, m } = meter(250);
    m.start();
    input.samples = flat(1);
    await clock.tick(250);
    input.samples = silence();
    await clock.tick(1000);
    expect(last().level).to.equal(Math.round(0.85 ** 10 * 50) / 50); // 0.197 → 0.2
    m.stop();
  });
});

describe('level meter: no input', () => {
  it('says no input after 3 s in a row below 1 % of full scale', async () => {
    const { clock, input, last, m } = meter();
    input.samples = flat(0.009);
    m.start();
    await clock.tick(2900);
    expect(last().noInput).to.equal(false);
    await clock.tick(100);
    expect(last().noInput).to.equal(true);
    m.stop();
  });

  it('clears it as soon as the input reaches 1 % of full scale, and counts 3 s again from there', async () => {
    const { clock, input, last, m } = meter();
    m.start();
    await clock.tick(3000);
    expect(last().noInput).to.equal(true);
    input.samples = flat(0.0101); // just above: 0.01 as a float32 is 0.0099999998
    await clock.tick(100);
    expect(last().noInput).to.equal(false);
    input.samples = silence();
    await clock.tick(2900);
    expect(last().noInput).to.equal(false);
    await clock.tick(100);
    expect(last().noInput).to.equal(true);
    m.stop();
  });

  it('is not said for a short quiet spell between loud ones', async () => {
    const { clock, input, readings, m } = meter();
    m.start();
    for (let i = 0; i < 5; i++) {
      input.samples = sine(0.1);
      await clock.tick(100);
      input.samples = silence();
      await clock.tick(2500);
    }
    expect(readings.some((r) => r.noInput)).to.equal(false);
    m.stop();
  });
});

describe('level meter: clipping', () => {
  it('says clipping for 1 s after a sample at full scale', async () => {
    const { clock, input, last, m } = meter();
    m.start();
    input.samples = sine(0.3);
    await clock.tick(100);
    expect(last().clipping).to.equal(false);
    input.samples = Float32Array.of(0, 0.2, -0.995, 0.1); // one sample at full scale, rms well below it
    await clock.tick(100);
    expect(last().clipping).to.equal(true);
    input.samples = sine(0.3);
    await clock.tick(900);
    expect(last().clipping).to.equal(true);
    await clock.tick(100);
    expect(last().clipping).to.equal(false);
    m.stop();
  });

  it('does not call 0.98 clipping', async () => {
    const { clock, input, readings, m } = meter();
    m.start();
    input.samples = sine(0.98);
    await clock.tick(2000);
    expect(readings.some((r) => r.clipping)).to.equal(false);
    m.stop();
  });
});

describe('level meter: speaking', () => {
  it('says speaking after 300 ms above 2 % of full scale, and stops within 300 ms of quiet', async () => {
    const { clock, input, last, m } = meter();
    m.start();
    input.samples = flat(0.0201); // just above 2 % (0.02 as a float32 is just below)
    await clock.tick(200);
    expect(last().speaking).to.equal(false);
    await clock.tick(100);
    expect(last().speaking).to.equal(true);
    input.samples = flat(0.019);
    await clock.tick(200);
    expect(last().speaking).to.equal(true); // 3 of the last 5 polls were loud
    await clock.tick(100);
    expect(last().speaking).to.equal(false);
    m.stop();
  });

  it('counts broken speech: 3 loud polls of the last 5, not necessarily in a row', async () => {
    const { clock, input, readings, m } = meter();
    m.start();
    for (const loud of [true, false, true, false, true]) {
      input.samples = loud ? sine(0.1) : silence();
      await clock.tick(100);
    }
    expect(readings.map((r) => r.speaking)).to.deep.equal([false, false, false, false, true]); // the level changes each poll
    m.stop();
  });

  it('is not said for a single loud spell shorter than 300 ms', async () => {
    const { clock, input, readings, m } = meter();
    m.start();
    input.samples = sine(0.5);
    await clock.tick(200);
    input.samples = silence();
    await clock.tick(1000);
    expect(readings.some((r) => r.speaking)).to.equal(false);
    m.stop();
  });
});

describe('level meter: polling and readings', () => {
  it('polls every 100 ms by default, and reports the first reading even when it is all zero', async () => {
    const { clock, input, readings, m } = meter();
    m.start();
    await clock.tick(1000);
    expect(input.reads).to.equal(10);
    expect(readings).to.deep.equal([{ level: 0, noInput: false, clipping: false, speaking: false }]);
    m.stop();
  });

  it('does not call onReading while nothing changed', async () => {
    const { clock, input, readings, m } = meter();
    input.samples = sine(0.1); // steady: the same level, no flag moving
    m.start();
    await clock.tick(100);
    await clock.tick(300); // speaking from the third poll on
    expect(readings.map((r) => r.speaking)).to.deep.equal([false, true]);
    await clock.tick(5000);
    expect(input.reads).to.equal(54);
    expect(readings).to.have.length(2);
    m.stop();
  });

  it('reports a change of level only in 0.02 steps', async () => {
    const { clock, input, readings, m } = meter();
    input.samples = flat(0.1); // 0.6667 → 0.66
    m.start();
    await clock.tick(100);
    input.samples = flat(0.1005); // 0.6681 → 0.66 still
    await clock.tick(100);
    input.samples = flat(0.108); // 0.6778 → 0.68
    await clock.tick(100);
    expect(readings.map((r) => r.level)).to.deep.equal([0.66, 0.68]);
    m.stop();
  });

  it('reads no source as level 0 and no flags, and counts 3 s of quiet again when it is back', async () => {
    const { clock, input, last, m } = meter();
    m.start();
    await clock.tick(3000);
    expect(last().noInput).to.equal(true);
    input.samples = null;
    await clock.tick(5000);
    expect(last()).to.deep.equal({ level: 0, noInput: false, clipping: false, speaking: false });
    input.samples = silence();
    await clock.tick(2900);
    expect(last().noInput).to.equal(false);
    await clock.tick(100);
    expect(last().noInput).to.equal(true);
    m.stop();
  });

  it('stops polling on stop(), and starts afresh on start()', async () => {
    const { clock, input, readings, m } = meter();
    input.samples = flat(1);
    m.start();
    m.start(); // a second start is no second timer
    await clock.tick(100);
    expect(input.reads).to.equal(1);
    m.stop();
    expect(clock.pending).to.equal(0);
    await clock.tick(1000);
    expect(input.reads).to.equal(1);
    input.samples = silence();
    m.start();
    await clock.tick(100);
    expect(readings.map((r) => r.level)).to.deep.equal([1, 0]); // no decay from before the stop
    m.stop();
  });
});

/** Polls `condition` every 50 ms until it holds; fails after `ms`. */
async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('level source: a real microphone through Web Audio', () => {
  // Chromium's fake microphone beeps now and then, Firefox's plays a constant tone: either is a level above 0
  // within a few seconds.
  it('hears the microphone, and still hears it once the track is muted (it listens to a clone)', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const [track] = stream.getAudioTracks();
    const sources = [openLevelSource(track)];
    const meters: LevelMeter[] = [];
    const hears = async (what: string, read: () => Float32Array | null) => {
      let heard = 0;
      const m = new LevelMeter({ read, onReading: (r) => (heard = Math.max(heard, r.level)) });
      meters.push(m);
      m.start();
      await until(what, () => heard > 0);
      m.stop();
    };
    try {
      await hears('a level from the microphone', () => sources[0].read());
      track.enabled = false; // as the widget mutes
      await hears('a level once the track is muted', () => sources[0].read());
      // A source opened on a muted track hears too: its clone is enabled.
      sources.push(openLevelSource(track));
      await hears('a level from a source opened on the muted track', () => sources[1].read());
      expect(track.enabled).to.equal(false);
      expect(track.readyState).to.equal('live');
    } finally {
      for (const m of meters) m.stop();
      for (const source of sources) source.close();
      for (const t of stream.getTracks()) t.stop();
    }
  });

  it('reads nothing once closed, and leaves the track itself running', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const [track] = stream.getAudioTracks();
    const source = openLevelSource(track);
    try {
      await until('the audio context running', () => source.read() !== null);
      source.close();
      await until('no samples after close', () => source.read() === null);
      expect(track.readyState).to.equal('live');
    } finally {
      source.close();
      track.stop();
    }
  });
});
