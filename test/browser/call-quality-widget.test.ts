/**
 * The quality score on the real stack: two <call-widget>s in one page, the real signaling server, real
 * RTCPeerConnections with the fake camera and microphone. What a clean call scores, the indicator and its
 * label, the two sides' reports crossing, the summary at the end, and the debug panel. Degraded links (loss,
 * delay, a cut) are the NAT lab's (test/network/quality.test.ts), where `tc netem` can shape a real link.
 */
import { expect } from '@open-wc/testing';
import type { CallWidget } from '../../src/call-widget.js';
import type { CallQualityChangeEvent, CallSummaryEvent } from '../../src/events.js';
import { testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

async function connectedPair(attrs: Record<string, string | boolean> = {}) {
  const { signalingUrl } = await testConfig();
  const room = uniqueRoom('quality');
  const alice = await widget({ 'signaling-url': signalingUrl, room, 'display-name': 'Alice', ...attrs });
  await waitForState(alice, 'waiting');
  const bob = await widget({ 'signaling-url': signalingUrl, room, 'display-name': 'Bob', ...attrs });
  await Promise.all([waitForState(alice, 'ready'), waitForState(bob, 'ready')]);
  void alice.call();
  await waitForState(bob, 'ringing');
  void bob.accept();
  await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
  return { alice, bob };
}

/** Resolves with the first `call-quality-change` whose detail passes `test`. */
function qualityWhere(el: CallWidget, test: (detail: CallQualityChangeEvent['detail']) => boolean, timeoutMs = 20_000) {
  return new Promise<CallQualityChangeEvent['detail']>((resolve, reject) => {
    const timer = setTimeout(() => (el.removeEventListener('call-quality-change', on), reject(new Error(`no such quality within ${timeoutMs} ms; now ${JSON.stringify(el.quality)}`))), timeoutMs);
    const on = (event: Event) => {
      const { detail } = event as CallQualityChangeEvent;
      if (!test(detail)) return;
      clearTimeout(timer);
      el.removeEventListener('call-quality-change', on);
      resolve(detail);
    };
    el.addEventListener('call-quality-change', on);
    if (el.quality && test(el.quality)) on({ detail: el.quality } as unknown as Event);
  });
}

/** Resolves once `el.quality` passes `test`, checked after each render. */
async function untilQuality(el: CallWidget, test: (q: NonNullable<CallWidget['quality']>) => boolean, timeoutMs = 20_000) {
  const start = performance.now();
  while (!(el.quality && test(el.quality))) {
    if (performance.now() - start > timeoutMs) throw new Error(`quality never passed; now ${JSON.stringify(el.quality)}`);
    // The next level change, or a second's window (a report or a render that changes no level sends no event).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      el.addEventListener('call-quality-change', () => (clearTimeout(timer), resolve()), { once: true });
    });
    await el.updateComplete;
  }
}

const part = (el: CallWidget, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part="${name}"]`);

describe('call quality on a real call', function () {
  this.timeout(60_000);

  it('is unknown at first, then reads a clean call as 4 or 5 bars both ways, with a labelled indicator', async () => {
    const { alice, bob } = await connectedPair();
    // The first windows are the warm-up: scored (so `quality` is there), but not yet a level.
    await untilQuality(alice, (q) => q.local.audio !== null);
    expect(alice.quality!.local.level).to.equal(null);
    expect(part(alice, 'quality')).to.equal(null);
    const [a, b] = await Promise.all([qualityWhere(alice, (q) => q.level !== null), qualityWhere(bob, (q) => q.level !== null)]);
    for (const q of [a, b]) {
      expect(q.level).to.be.at.least(4);
      expect(q.audio).to.be.greaterThan(4);
      expect(q.reasons).to.deep.equal([]);
    }
    // Each side's report reached the other: its `remote` is what the other side receives.
    await untilQuality(alice, (q) => q.remote?.level != null);
    expect(alice.quality!.remote!.level).to.be.at.least(4);
    await alice.updateComplete;
    const indicator = part(alice, 'quality')!;
    expect(indicator.getAttribute('role')).to.equal('img');
    expect(indicator.getAttribute('aria-label')).to.match(/^Connection (good|excellent), [45] of 5$/);
    expect(indicator.querySelectorAll('.lit').length).to.equal(alice.quality!.level);
  });

  it('hides the indicator while the connection is good with quality-indicator="auto", and never with "off"', async () => {
    const { alice, bob } = await connectedPair({ 'quality-indicator': 'auto' });
    bob.qualityIndicator = 'off';
    await Promise.all([qualityWhere(alice, (q) => q.level !== null), qualityWhere(bob, (q) => q.level !== null)]);
    await Promise.all([alice.updateComplete, bob.updateComplete]);
    expect(alice.quality!.level).to.be.at.least(4);
    expect(part(alice, 'quality')).to.equal(null);
    expect(part(bob, 'quality')).to.equal(null);
    alice.qualityIndicator = 'on';
    await alice.updateComplete;
    expect(part(alice, 'quality')).to.not.equal(null);
  });

  it('is unknown while the other side is muted with its camera off, and judged again when it speaks', async () => {
    const { alice, bob } = await connectedPair();
    // Bob's own reception: his `local` (the combined level also reads Alice's report).
    await untilQuality(bob, (q) => q.local.level !== null);
    alice.setMuted(true);
    await alice.setCameraOff(true);
    await untilQuality(bob, (q) => q.local.level === null && q.local.audio === null && q.local.video === null);
    alice.setMuted(false);
    await untilQuality(bob, (q) => q.local.level !== null && q.local.audio !== null);
  });

  it('sends a call-summary when the call ends, with its figures', async () => {
    const { alice, bob } = await connectedPair();
    // Both past their warm-up, each reading its own reception as good at least once.
    await Promise.all([untilQuality(alice, (q) => (q.local.level ?? 0) >= 4), untilQuality(bob, (q) => (q.local.level ?? 0) >= 4)]);
    const summaries = Promise.all([alice, bob].map((el) => new Promise<CallSummaryEvent['detail']>((resolve) => el.addEventListener('call-summary', (e) => resolve((e as CallSummaryEvent).detail), { once: true }))));
    alice.hangUp();
    const [mine, theirs] = await summaries;
    expect(mine).to.include({ direction: 'outgoing', media: 'video', outcome: 'hangup', reconnects: 0 });
    expect(theirs).to.include({ direction: 'incoming', outcome: 'peer-hangup' });
    for (const summary of [mine, theirs]) {
      expect(summary.setupMs).to.be.a('number').and.at.least(0);
      expect(summary.durationMs).to.be.greaterThan(1000);
      expect(summary.path?.kind).to.equal('direct');
      // A loaded machine may stutter in the first seconds: the mean lies between the lowest and the top.
      expect(summary.minMos).to.be.a('number').and.at.least(1);
      expect(summary.meanMos).to.be.at.least(summary.minMos!).and.at.most(4.5);
      expect(summary.lossPercent).to.be.lessThan(1);
      // The time at each level is the fake-clock unit test's to check; here, that both were counted.
      expect(summary.levels.unknown).to.be.greaterThan(0);
      expect(summary.levels['4'] + summary.levels['5']).to.be.greaterThan(0);
    }
    expect(alice.quality).to.equal(null);
  });

  it('shows the figures behind the score in the debug panel, loaded on demand', async () => {
    const { alice } = await connectedPair({ debug: true });
    await qualityWhere(alice, (q) => q.level !== null);
    await alice.updateComplete;
    await untilQuality(alice, () => !!part(alice, 'debug'));
    const text = part(alice, 'debug')!.textContent!;
    expect(text).to.match(/state connected; path direct udp/);
    expect(text).to.match(/rtt \d+ ms/);
    expect(text).to.match(/candidates: local [^;]*host\/udp \d/);
    expect(text).to.match(/pairs [^\n]*succeeded \d/);
    expect(text).to.match(/received: level [\d?], mos (\d\.\d\d|-), audio \d\.\d\d/);
    expect(text).to.match(/^\d\d:\d\d:\d\d connected$/m);
  });
});
