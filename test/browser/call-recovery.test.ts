/** Whether media flows, and the recovery ladder, against counters the test controls, on a fake clock. */
import { expect } from '@open-wc/testing';
import { CallRecovery, type MediaFlow, type RecoveryMethod } from '../../src/core/call-recovery.js';
import { MAX_JITTER_MS, POLITE_OFFSET_MS, recoveryStep } from '../../src/core/reconnect-policy.js';
import { FakeClock } from './fake-clock.js';

/** A call's counters: audio packets and video frames grow by a poll's worth while they flow. */
function media(video = true) {
  const flow = { audio: true, video, audioCount: 0, videoCount: 0, videoExpected: video };
  return {
    flow,
    sample: async (): Promise<MediaFlow> => {
      if (flow.audio) flow.audioCount += 25;
      if (flow.video) flow.videoCount += 15;
      return { audio: flow.audioCount, video: flow.videoExpected ? flow.videoCount : null };
    },
  };
}

function recovery(options: { windowMs?: number; polite?: boolean; video?: boolean } = {}) {
  const clock = new FakeClock();
  const m = media(options.video ?? true);
  const events: string[] = [];
  const r = new CallRecovery(
    {
      sample: m.sample,
      onFlowing: () => events.push('flowing'),
      onTrouble: () => events.push('trouble'),
      attempt: (method: RecoveryMethod, n: number) => events.push(`${method}#${n}@${clock.now() - start}`),
      onGiveUp: () => events.push('give-up'),
    },
    { windowMs: options.windowMs ?? 30_000, polite: options.polite ?? false, clock, random: () => 0 },
  );
  const start = clock.now();
  return { clock, flow: m.flow, events, r };
}

describe('call recovery: is media flowing', () => {
  it('says flowing once audio and video arrive, and stays quiet while they do', async () => {
    const { clock, events, r } = recovery();
    r.start();
    await clock.tick(60_000);
    expect(events).to.deep.equal(['flowing']);
    r.stop();
    expect(clock.pending).to.equal(0);
  });

  it('is not flowing while only audio arrives in a video call (frames decoded, none presented)', async () => {
    const { clock, flow, events, r } = recovery();
    flow.video = false;
    r.start();
    await clock.tick(10_000);
    expect(events).to.deep.equal([]);
    flow.video = true;
    await clock.tick(1000);
    expect(events).to.deep.equal(['flowing']);
    r.stop();
  });

  it("takes a counter's first value as a baseline: the page's presented frames run on from the last call", async () => {
    const { clock, flow, events, r } = recovery();
    flow.videoCount = 5000; // frames the page presented during an earlier call
    flow.video = false; // and none in this one
    r.start();
    await clock.tick(10_000);
    expect(events).to.deep.equal([]);
    r.stop();
  });

  it('needs no video once none is expected (audio-only)', async () => {
    const { clock, flow, events, r } = recovery({ video: false });
    flow.videoExpected = false;
    r.start();
    await clock.tick(1000);
    expect(events).to.deep.equal(['flowing']);
    r.stop();
  });

  it('notices frozen video as trouble even while audio flows', async () => {
    const { clock, flow, events, r } = recovery();
    r.start();
    await clock.tick(2000);
    flow.video = false;
    await clock.tick(2900);
    expect(events).to.deep.equal(['flowing']);
    await clock.tick(1000);
    expect(events.slice(0, 2)).to.deep.equal(['flowing', 'trouble']);
    r.stop();
  });
});

describe('call recovery: the ladder', () => {
  it('notices an audio stall within 2 s, restarts ICE at once (impolite), and is flowing again when media returns', async () => {
    const { clock, flow, events, r } = recovery();
    r.start();
    await clock.tick(1000);
    flow.audio = flow.video = false;
    await clock.tick(2000);
    expect(events).to.deep.equal(['flowing', 'trouble', 'ice-restart#1@2500']);
    flow.audio = flow.video = true;
    await clock.tick(1000);
    expect(events.at(-1)).to.equal('flowing');
    expect(r.recovering).to.equal(false);
    // Recovered: no more rungs.
    await clock.tick(20_000);
    expect(events.at(-1)).to.equal('flowing');
    r.stop();
  });

  it('climbs ICE restarts then rebuilds, and gives up when the window closes', async () => {
    const { clock, flow, events, r } = recovery({ windowMs: 20_000 });
    r.start();
    await clock.tick(1000);
    flow.audio = flow.video = false;
    await clock.tick(30_000);
    const methods = events.filter((e) => /#/.test(e)).map((e) => e.split('@')[0]);
    expect(methods).to.deep.equal(['ice-restart#1', 'ice-restart#2', 'ice-restart#3', 'rebuild#4', 'rebuild#5', 'rebuild#6']);
    expect(events.at(-1)).to.equal('give-up');
    expect(clock.pending).to.equal(0);
  });

  it('the polite side runs each rung a second after the impolite side: two restarts never cross', () => {
    for (let i = 0; i < 8; i++) {
      const impolite = [0, 0.999].map((random) => recoveryStep(i, false, random).atMs);
      const polite = [0, 0.999].map((random) => recoveryStep(i, true, random).atMs);
      expect(recoveryStep(i, true, 0).method).to.equal(recoveryStep(i, false, 0).method);
      // The latest impolite attempt and the earliest polite one are at least 0.5 s apart.
      expect(polite[0] - impolite[1]).to.be.at.least(POLITE_OFFSET_MS - MAX_JITTER_MS);
    }
  });

  it('treats connectionState failed as trouble without waiting for a stall', async () => {
    const { clock, events, r } = recovery();
    r.start();
    await clock.tick(1000);
    r.connectionStateChanged('failed');
    await clock.tick(0);
    expect(events.slice(0, 3)).to.deep.equal(['flowing', 'trouble', 'ice-restart#1@1000']);
    r.stop();
  });

  it('restarts ICE at once on a network change, even mid-recovery', async () => {
    const { clock, events, r } = recovery();
    r.start();
    await clock.tick(1000);
    r.networkChanged('online');
    await clock.tick(0);
    expect(events).to.deep.equal(['flowing', 'trouble', 'ice-restart#1@1000']);
    r.networkChanged('change');
    expect(events.at(-1)).to.equal('ice-restart#2@1000');
    r.stop();
  });

  it('on the polite side, a network change restarts ICE a second later: two sides whose network changed together do not restart in lockstep', async () => {
    const { clock, flow, events, r } = recovery({ polite: true });
    r.start();
    await clock.tick(1000);
    flow.audio = flow.video = false;
    r.networkChanged('online');
    await clock.tick(999);
    expect(events).to.deep.equal(['flowing', 'trouble']);
    await clock.tick(1);
    expect(events).to.deep.equal(['flowing', 'trouble', 'ice-restart#1@2000']);
    r.stop();
    expect(clock.pending).to.equal(0);
  });

  it("runs the polite side's late restart even when media came back meanwhile: the new network may give a path the old one cannot", async () => {
    const { clock, events, r } = recovery({ polite: true });
    r.start();
    await clock.tick(1000);
    r.networkChanged('online');
    await clock.tick(5000);
    expect(events).to.deep.equal(['flowing', 'trouble', 'flowing', 'ice-restart#1@2000']);
    r.stop();
  });

  it('does nothing after stop, and holds no timer', async () => {
    const { clock, flow, events, r } = recovery();
    r.start();
    await clock.tick(1000);
    r.stop();
    flow.audio = flow.video = false;
    r.connectionStateChanged('failed');
    await clock.tick(40_000);
    expect(events).to.deep.equal(['flowing']);
    expect(clock.pending).to.equal(0);
  });
});
