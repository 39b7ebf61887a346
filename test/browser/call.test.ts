/**
 * The real stack: two <call-widget>s in real Chromium (and again in real Firefox) with fake camera and
 * microphone, the real reference server in its own process, real RTCPeerConnections.
 */
import { expect } from '@open-wc/testing';
import type { CallWidget } from '../../src/call-widget.js';
import type { CallErrorDetail, CallStateChangeDetail } from '../../src/events.js';
import { framesDecoded, framesPresented, historyOf, sleep, testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

async function pair(url: string, extra: Record<string, string | boolean> = {}) {
  const room = uniqueRoom();
  const alice = await widget({ 'signaling-url': url, room, 'display-name': 'Alice', ...extra });
  await waitForState(alice, 'waiting');
  const bob = await widget({ 'signaling-url': url, room, 'display-name': 'Bob', ...extra });
  await waitForState(bob, 'ready');
  await waitForState(alice, 'ready');
  return { alice, bob, room };
}

async function expectVideoBothWays(alice: CallWidget, bob: CallWidget) {
  for (const el of [alice, bob]) {
    expect(await framesPresented(el), `frames presented at ${el.displayName}`).to.be.greaterThan(5);
    const before = await framesDecoded(el);
    await new Promise((r) => setTimeout(r, 500));
    expect(await framesDecoded(el), `framesDecoded rising at ${el.displayName}`).to.be.greaterThan(before);
  }
}

/** Bytes of RTP a widget's connection has sent, from its own statistics. */
async function rtpBytesSent(el: CallWidget): Promise<number> {
  let sent = 0;
  (await el.peerConnection!.getStats()).forEach((report) => {
    if (report.type === 'outbound-rtp') sent += report.bytesSent ?? 0;
  });
  return sent;
}

/** Makes every camera in this page wait, once open, until `open()`; `restore()` puts getUserMedia back. */
function holdCameras() {
  const mediaDevices = navigator.mediaDevices;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called with `.call`
  const original = mediaDevices.getUserMedia;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original.call(mediaDevices, constraints);
    await opened;
    return stream;
  };
  return {
    open,
    restore() {
      mediaDevices.getUserMedia = original;
      open();
    },
  };
}

/** Waits (bounded) until both widgets' connections are `connected`, as preconnect makes them while ringing. */
async function connectedWhileRinging(...widgets: CallWidget[]) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && widgets.some((el) => el.peerConnection?.connectionState !== 'connected')) await sleep(50);
}

describe('a call between two widgets', () => {
  it('is placed, accepted, carries video both ways, and hangs up', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);

    const ringing = waitForState(bob, 'ringing');
    void alice.call();
    await waitForState(alice, 'calling');
    await ringing;
    expect(bob.shadowRoot!.querySelector('[part="status"]')!.textContent).to.contain('Alice is calling');

    const connectedDetail = new Promise<CallStateChangeDetail>((resolve) =>
      alice.addEventListener('call-state-change', (e) => e.detail.state === 'connected' && resolve(e.detail)),
    );
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    await expectVideoBothWays(alice, bob);
    // Both widgets are on this machine: a direct path between host candidates. The far side's address may be
    // reported as peer-reflexive: its connectivity check can arrive before the candidate announcing it does.
    const { remote, ...path } = (await connectedDetail).path!;
    expect(path).to.deep.equal({ kind: 'direct', protocol: 'udp', local: 'host' });
    expect(remote).to.be.oneOf(['host', 'prflx']);
    expect(alice.path).to.deep.equal((await connectedDetail).path);

    alice.hangUp();
    await Promise.all([waitForState(alice, 'ended'), waitForState(bob, 'ended')]);
    expect(alice.reason).to.equal('hangup');
    expect(bob.reason).to.equal('peer-hangup');
    expect(alice.peerConnection).to.equal(null);
    expect(alice.getAttribute('state')).to.equal('ended');
    alice.remove();
    bob.remove();
  });

  it('can call again after a call ended, from the other side, using the shadow DOM buttons', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    const fingerprints: string[] = [];
    for (const [caller, callee] of [[alice, bob], [bob, alice]] as const) {
      caller.shadowRoot!.querySelector<HTMLButtonElement>('[part="call-button"]')!.click();
      await waitForState(callee, 'ringing');
      await callee.updateComplete;
      callee.shadowRoot!.querySelector<HTMLButtonElement>('[part="accept-button"]')!.click();
      await Promise.all([waitForState(caller, 'connected'), waitForState(callee, 'connected')]);
      // Alice's DTLS certificate was made ahead, when Bob arrived, and serves both calls.
      const [certificate] = alice.peerConnection!.getConfiguration().certificates ?? [];
      fingerprints.push(certificate?.getFingerprints()[0].value ?? 'none');
      await caller.updateComplete;
      caller.shadowRoot!.querySelector<HTMLButtonElement>('[part="hangup-button"]')!.click();
      await Promise.all([waitForState(caller, 'ended'), waitForState(callee, 'ended')]);
      await caller.updateComplete;
    }
    expect(fingerprints[0]).not.to.equal('none');
    expect(fingerprints[1]).to.equal(fingerprints[0]);
    alice.remove();
    bob.remove();
  });

  it('connects with exactly one call when both sides call at the same moment (glare)', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    const callIds = new Set<string>();
    // Both press call in the same task, before either invite can arrive.
    void alice.call();
    void bob.call();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    expect(historyOf(alice) + historyOf(bob)).not.to.contain('ringing(');
    for (const el of [alice, bob]) {
      const pc = el.peerConnection!;
      expect(pc.connectionState).to.equal('connected');
      callIds.add(pc.localDescription!.sdp.match(/^o=\S+ (\d+)/m)![1]);
    }
    await expectVideoBothWays(alice, bob);
    alice.remove();
    bob.remove();
  });

  it('connects when the relay delays descriptions and reorders candidates', async () => {
    const { chaosUrl } = await testConfig();
    const { alice, bob } = await pair(chaosUrl, { 'auto-answer': true });
    void alice.call();
    await Promise.all([waitForState(alice, 'connected', 30_000), waitForState(bob, 'connected', 30_000)]);
    await expectVideoBothWays(alice, bob);
    alice.remove();
    bob.remove();
  });

  it('connects while the callee rings, sends nothing before accept, and starts media on accept', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    void alice.call();
    await waitForState(bob, 'ringing');
    // Both sides reach a network path while it rings (preconnect is on by default)...
    await connectedWhileRinging(alice, bob);
    expect([alice.peerConnection?.connectionState, bob.peerConnection?.connectionState]).to.deep.equal(['connected', 'connected']);
    expect([alice.state, bob.state]).to.deep.equal(['calling', 'ringing']);
    // ...but no camera or microphone goes out before the callee says yes.
    await sleep(500);
    for (const el of [alice, bob]) {
      expect(el.peerConnection!.getSenders().map((sender) => sender.track), `senders of ${el.displayName}`).to.deep.equal([null, null]);
      expect(await rtpBytesSent(el), `RTP sent by ${el.displayName} while ringing`).to.equal(0);
    }
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    await expectVideoBothWays(alice, bob);
    alice.remove();
    bob.remove();
  });

  it('connects while both cameras are still opening, and sends them once they are open', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    // Cameras that take as long as the test says: the connection must not wait for them.
    const cameras = holdCameras();
    try {
      void alice.call();
      await waitForState(bob, 'ringing');
      void bob.accept();
      await connectedWhileRinging(alice, bob);
      expect([alice.peerConnection?.connectionState, bob.peerConnection?.connectionState]).to.deep.equal(['connected', 'connected']);
      // Accepted and connected, but no camera yet: nothing to send until it is open.
      for (const el of [alice, bob]) {
        expect(el.peerConnection!.getSenders().map((sender) => sender.track), `senders of ${el.displayName}`).to.deep.equal([null, null]);
      }
      cameras.open();
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
      await expectVideoBothWays(alice, bob);
    } finally {
      cameras.restore();
    }
    alice.remove();
    bob.remove();
  });

  it('rings for the ring timeout from the invite, even while the caller\'s camera is still opening', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'ring-timeout': '1' });
    // A caller who leaves the browser's camera prompt open: the call must not ring on for good.
    const cameras = holdCameras();
    try {
      void alice.call();
      await waitForState(bob, 'ringing');
      await waitForState(alice, 'ended', 5000);
      expect(alice.reason).to.equal('no-answer');
      // The camera that opens after the call ended is not kept on.
      cameras.open();
      await sleep(500);
      for (const el of [alice, bob]) {
        const preview = el.shadowRoot!.querySelector<HTMLVideoElement>('[part="local-video"]')!;
        expect(preview.srcObject, `camera of ${el.displayName} after the call`).to.equal(null);
      }
    } finally {
      cameras.restore();
    }
    alice.remove();
    bob.remove();
  });

  it('stays connected past the ring timeout when accepted after connecting while ringing', async () => {
    const { signalingUrl } = await testConfig();
    // The callee's own ring bound is ring-timeout + 5 s: 6 s here.
    const { alice, bob } = await pair(signalingUrl, { 'ring-timeout': '1' });
    void alice.call();
    await waitForState(bob, 'ringing');
    await connectedWhileRinging(alice, bob);
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    await sleep(7000);
    expect([alice.state, bob.state], historyOf(bob)).to.deep.equal(['connected', 'connected']);
    alice.remove();
    bob.remove();
  });

  it('may be accepted from inside the ringing event: one connection, and it connects', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    const created: RTCPeerConnection[] = [];
    const Original = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        super(config);
        created.push(this);
      }
    };
    try {
      bob.addEventListener('call-state-change', (e) => e.detail.state === 'ringing' && void bob.accept());
      void alice.call();
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
      await expectVideoBothWays(alice, bob);
      expect(created.filter((pc) => pc.connectionState !== 'closed')).to.have.length(2);
    } finally {
      window.RTCPeerConnection = Original;
    }
    alice.remove();
    bob.remove();
  });

  it('with preconnect="off", makes no connection until the call is accepted', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { preconnect: 'off' });
    void alice.call();
    await waitForState(bob, 'ringing');
    await sleep(1000);
    expect([alice.peerConnection, bob.peerConnection]).to.deep.equal([null, null]);
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    await expectVideoBothWays(alice, bob);
    alice.remove();
    bob.remove();
  });

  it('ends with reason no-answer after the ring timeout', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'ring-timeout': '1' });
    void alice.call();
    await waitForState(bob, 'ringing');
    await Promise.all([waitForState(alice, 'ended'), waitForState(bob, 'ended')]);
    expect(alice.reason).to.equal('no-answer');
    // For the callee it was a missed call: the caller's ring timeout passed.
    expect(bob.reason).to.equal('missed');
    alice.remove();
    bob.remove();
  });

  it('tells the caller when the call is declined', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    void alice.call();
    await waitForState(bob, 'ringing');
    bob.decline();
    await Promise.all([waitForState(alice, 'ended'), waitForState(bob, 'ended')]);
    expect(alice.reason).to.equal('peer-declined');
    expect(bob.reason).to.equal('declined');
    alice.remove();
    bob.remove();
  });

  it('ends the call on both sides when the caller cancels while ringing', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    void alice.call();
    await waitForState(bob, 'ringing');
    alice.hangUp();
    await Promise.all([waitForState(alice, 'ended'), waitForState(bob, 'ended')]);
    expect(alice.reason).to.equal('canceled');
    expect(bob.reason).to.equal('peer-canceled');
    alice.remove();
    bob.remove();
  });

  it('hangs up cleanly when a widget is removed from the page mid-call', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'auto-answer': true });
    void alice.call();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    bob.remove();
    await waitForState(alice, 'waiting', 5000);
    expect(historyOf(alice)).to.contain('ended(peer-hangup) → waiting(peer-left)');
    alice.remove();
  });

  it('carries audio only with media="audio"', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { media: 'audio', 'auto-answer': true });
    void alice.call();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    const kinds = alice.peerConnection!.getReceivers().map((r) => r.track.kind);
    expect(kinds).to.deep.equal(['audio']);
    alice.remove();
    bob.remove();
  });
});

describe('accessibility', () => {
  it('passes axe checks while ready, ringing and connected', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    await alice.updateComplete;
    await expect(alice).to.be.accessible();
    void alice.call();
    await waitForState(bob, 'ringing');
    await bob.updateComplete;
    await expect(bob).to.be.accessible();
    void bob.accept();
    await waitForState(alice, 'connected');
    await alice.updateComplete;
    await expect(alice).to.be.accessible();
    const status = alice.shadowRoot!.querySelector('[part="status"]')!;
    expect(status.getAttribute('role')).to.equal('status');
    alice.remove();
    bob.remove();
  });
});

describe('what goes wrong, said clearly', () => {
  it('a call that finds no network path fails with ice-failed in bounded time, with diagnostics', async () => {
    const { signalingUrl } = await testConfig();
    // Relay-only with no TURN server: no candidate at all, so the browser would wait in "checking" for good.
    const { alice, bob } = await pair(signalingUrl, { 'ice-transport-policy': 'relay', 'connect-timeout': '3', 'auto-answer': true });
    const errors: CallErrorDetail[] = [];
    alice.addEventListener('call-error', (e) => errors.push(e.detail));
    const started = performance.now();
    void alice.call();
    await Promise.all([waitForState(alice, 'failed', 15_000), waitForState(bob, 'failed', 15_000)]);
    expect(performance.now() - started).to.be.lessThan(10_000);
    // Whichever side gives up first tells the other, and both say why.
    expect([alice.reason, bob.reason]).to.deep.equal(['ice-failed', 'ice-failed']);
    const failure = errors.find((e) => e.code === 'ice-failed')!;
    expect(failure.fatal).to.equal(true);
    expect(failure.diagnostics).to.include({ turnServers: 0, stunServers: 0 });
    expect(failure.diagnostics!.localCandidates).to.deep.equal({ host: 0, srflx: 0, prflx: 0, relay: 0 });
    expect(alice.diagnostics).to.deep.equal(failure.diagnostics);
    alice.remove();
    bob.remove();
  });

  it('a third participant gets room-full and a failed state', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob, room } = await pair(signalingUrl);
    const errors: string[] = [];
    const carol = await widget({ 'signaling-url': signalingUrl, room });
    carol.addEventListener('call-error', (e) => errors.push(e.detail.code));
    await waitForState(carol, 'failed');
    expect(carol.reason).to.equal('room-full');
    await carol.updateComplete;
    expect(carol.shadowRoot!.querySelector('[part="status"]')!.textContent).to.contain('two participants');
    for (const el of [alice, bob, carol]) el.remove();
  });

  it('an unreachable signaling server fails with signaling-unreachable', async () => {
    const el = await widget({ 'signaling-url': 'http://127.0.0.1:9', room: uniqueRoom() });
    const error = new Promise<string>((resolve) => el.addEventListener('call-error', (e) => resolve(e.detail.code)));
    await waitForState(el, 'failed', 15_000);
    expect(await error).to.equal('signaling-unreachable');
    el.remove();
  });

  it('invalid attributes fail with invalid-attribute and name the attribute', async () => {
    const { signalingUrl } = await testConfig();
    const cases: Array<[Record<string, string>, string]> = [
      [{ room: 'a' }, 'signaling-url'],
      [{ 'signaling-url': signalingUrl }, 'room'],
      [{ 'signaling-url': signalingUrl, room: 'has space' }, 'room'],
      [{ 'signaling-url': 'ftp://x', room: 'a' }, 'signaling-url'],
      [{ 'signaling-url': signalingUrl, room: 'a', media: 'hologram' }, 'media'],
      [{ 'signaling-url': signalingUrl, room: 'a', 'ice-servers': '[{"urls":"http://x"}]' }, 'ice-servers'],
      [{ 'signaling-url': signalingUrl, room: 'a', 'ice-servers': 'not json' }, 'ice-servers'],
      [{ 'signaling-url': signalingUrl, room: 'a', 'ice-transport-policy': 'none' }, 'ice-transport-policy'],
      [{ 'signaling-url': signalingUrl, room: 'a', 'ring-timeout': '-3' }, 'ring-timeout'],
    ];
    for (const [attrs, attribute] of cases) {
      const messages: string[] = [];
      const el = document.createElement('call-widget');
      el.addEventListener('call-error', (e) => messages.push(`${e.detail.code}: ${e.detail.message}`));
      for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
      document.body.append(el);
      await el.updateComplete;
      expect(el.state, JSON.stringify(attrs)).to.equal('failed');
      expect(messages.join(), JSON.stringify(attrs)).to.match(new RegExp(`^invalid-attribute: .*${attribute}`));
      el.remove();
    }
  });

  it('recovers from an invalid attribute once it is fixed', async () => {
    const { signalingUrl } = await testConfig();
    const el = await widget({ 'signaling-url': signalingUrl, room: 'bad room' });
    expect(el.state).to.equal('failed');
    el.room = uniqueRoom();
    await waitForState(el, 'waiting');
    el.remove();
  });

  it('a denied camera fails with permission-denied and a sentence for the visitor', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    // The fake-UI flag (Chromium) and the permission pref (Firefox) grant every request, so a refusal is the one
    // thing simulated here.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only put back, never called
    const original = navigator.mediaDevices.getUserMedia;
    // Only the caller's two requests are refused (camera and microphone, then the microphone alone, which a
    // blocked camera falls back to): both widgets share this page's `navigator`.
    let refusals = 2;
    navigator.mediaDevices.getUserMedia = (constraints) =>
      refusals-- > 0 ? Promise.reject(new DOMException('denied', 'NotAllowedError')) : original.call(navigator.mediaDevices, constraints);
    try {
      const error = new Promise<string>((resolve) => alice.addEventListener('call-error', (e) => resolve(e.detail.code)));
      void alice.call();
      await waitForState(alice, 'failed');
      expect(await error).to.equal('permission-denied');
      expect(alice.reason).to.equal('media');
      await alice.updateComplete;
      expect(alice.shadowRoot!.querySelector('[part="status"]')!.textContent).to.contain('blocked');
      // The invite went out while the camera started; the callee hears why the call was called off.
      await waitForState(bob, 'ended');
      expect(bob.reason).to.equal('peer-media-failed');
    } finally {
      navigator.mediaDevices.getUserMedia = original;
    }
    alice.remove();
    bob.remove();
  });
});

describe('ICE servers in a real call', () => {
  it('uses the server\'s /ice-servers endpoint', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'ice-servers-url': `${signalingUrl}/ice-servers`, 'auto-answer': true });
    const warnings: string[] = [];
    alice.addEventListener('call-error', (e) => warnings.push(e.detail.code));
    void alice.call();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    expect(warnings).to.deep.equal([]);
    alice.remove();
    bob.remove();
  });

  it('still connects when the endpoint is dead, and warns the page once with a non-fatal error', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'ice-servers-url': 'http://127.0.0.1:9/ice-servers', 'auto-answer': true });
    const warnings: Array<{ code: string; fatal: boolean }> = [];
    alice.addEventListener('call-error', (e) => warnings.push({ code: e.detail.code, fatal: e.detail.fatal }));
    void alice.call();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    expect(warnings).to.deep.equal([{ code: 'ice-servers-unavailable', fatal: false }]);
    alice.remove();
    bob.remove();
  });
});
