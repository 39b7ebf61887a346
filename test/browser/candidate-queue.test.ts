import { expect } from '@open-wc/testing';
import { CandidateQueue } from '../../src/core/candidate-queue.js';

const c = (n: number): RTCIceCandidateInit => ({ candidate: `candidate:${n}`, sdpMid: '0', sdpMLineIndex: 0 });

describe('candidate queue', () => {
  it('applies held candidates in arrival order, once', async () => {
    const queue = new CandidateQueue();
    [1, 2, 3].forEach((n) => queue.hold(c(n)));
    const applied: string[] = [];
    expect(await queue.flush(async (x) => void applied.push(x.candidate!), () => {})).to.equal(3);
    expect(applied).to.deep.equal(['candidate:1', 'candidate:2', 'candidate:3']);
    expect(queue.size).to.equal(0);
    expect(await queue.flush(async () => {}, () => {})).to.equal(0);
  });

  it('waits for each candidate before applying the next', async () => {
    const queue = new CandidateQueue();
    [1, 2].forEach((n) => queue.hold(c(n)));
    const events: string[] = [];
    let release!: () => void;
    const flushed = queue.flush(async (x) => {
      events.push(`start ${x.candidate}`);
      if (x.candidate === 'candidate:1') await new Promise<void>((r) => (release = r));
      events.push(`end ${x.candidate}`);
    }, () => {});
    await Promise.resolve();
    expect(events).to.deep.equal(['start candidate:1']);
    release();
    await flushed;
    expect(events).to.deep.equal(['start candidate:1', 'end candidate:1', 'start candidate:2', 'end candidate:2']);
  });

  it('reports a refused candidate and still applies the rest', async () => {
    const queue = new CandidateQueue();
    [1, 2, 3].forEach((n) => queue.hold(c(n)));
    const refused: string[] = [];
    const applied: string[] = [];
    const count = await queue.flush(
      async (x) => {
        if (x.candidate === 'candidate:2') throw new Error('bad ufrag');
        applied.push(x.candidate!);
      },
      (_error, x) => refused.push(x.candidate!),
    );
    expect(count).to.equal(2);
    expect(applied).to.deep.equal(['candidate:1', 'candidate:3']);
    expect(refused).to.deep.equal(['candidate:2']);
  });

  it('holds candidates that arrive while it is flushing, behind the others', async () => {
    const queue = new CandidateQueue();
    queue.hold(c(1));
    const applied: string[] = [];
    await queue.flush(async (x) => {
      applied.push(x.candidate!);
      if (x.candidate === 'candidate:1') queue.hold(c(2));
    }, () => {});
    expect(applied).to.deep.equal(['candidate:1', 'candidate:2']);
  });
});
