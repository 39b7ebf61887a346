/**
 * The call's states tell the truth: one real-stack test per bug of the issue on the call's states. Two
 * <call-widget>s in real Chromium with fake camera and microphone, real signaling servers (the chaos server
 * for a link cut from the server side), real RTCPeerConnections. Where a peer must send no media or lack a
 * camera, a browser API is patched for that widget alone and put back in `finally`.
 */
import { expect } from '@open-wc/testing';
import type { CallWidget } from '../../src/call-widget.js';
import type { CallState } from '../../src/core/call-machine.js';
import { historyOf, patchGetUserMedia, testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

type Attrs = Record<string, string | boolean>;

/** Alice joins first, then Bob; each may have attributes of its own. */
async function pair(url: string, shared: Attrs = {}, own: { alice?: Attrs; bob?: Attrs } = {}) {
  const room = uniqueRoom('truth');
  const alice = await widget({ 'signaling-url': url, room, 'display-name': 'Alice', ...shared, ...own.alice });
  await waitForState(alice, 'waiting');
  const bob = await widget({ 'signaling-url': url, room, 'display-name': 'Bob', ...shared, ...own.bob });
  await waitForState(bob, 'ready');
  await waitForState(alice, 'ready');
  return { alice, bob, room };
}

async function connectedCall(alice: CallWidget, bob: CallWidget) {
  void alice.call();
  await waitForState(bob, 'ringing');
  void bob.accept();
  await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
}

const part = (el: CallWidget, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part="${name}"]`);

/** Resolves once the widget entered `state`; its reason is then `el.reason`. Rejects if it entered `never` first. */
function waitForStateNot(el: CallWidget, state: CallState, never: CallState, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for "${state}"; went ${historyOf(el)}`)), timeoutMs);
    const onChange = () => {
      if (el.state === never) done(new Error(`went to "${never}" while waiting for "${state}": ${historyOf(el)}`));
      else if (el.state === state) done();
    };
    const done = (error?: Error) => {
      clearTimeout(timer);
      el.removeEventListener('call-state-change', onChange);
      if (error) reject(error);
      else resolve();
    };
    el.addEventListener('call-state-change', onChange);
    onChange();
  });
}

/** Bytes of video RTP a connection sent, from its own statistics. */
async function videoBytesSent(pc: RTCPeerConnection | null): Promise<number> {
  let sent = 0;
  (await pc?.getStats())?.forEach((report) => {
    if (report.type === 'outbound-rtp' && report.kind === 'video') sent += report.bytesSent ?? 0;
  });
  return sent;
}

/** Resolves once `pc` has received `packets` audio packets (50 a second): media has flowed a while. */
async function audioFlowed(pc: RTCPeerConnection | null, packets = 50, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    let received = 0;
    (await pc?.getStats())?.forEach((report) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') received += report.packetsReceived ?? 0;
    });
    if (received >= packets) return;
    if (Date.now() > deadline) throw new Error(`only ${received} audio packets within ${timeout} ms`);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

async function videoBytesReceived(pc: RTCPeerConnection | null): Promise<number> {
  let received = 0;
  (await pc?.getStats())?.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') received += report.bytesReceived ?? 0;
  });
  return received;
}

/** Tells the chaos server to cut (or mend) the signaling link of the widgets whose URL names `link`. */
async function link(chaosUrl: string, action: 'cut' | 'mend', name: string): Promise<void> {
  // A handshake request the server refuses once it has acted on it: its answer is all there is to wait for.
  await fetch(`${chaosUrl}/socket.io/?EIO=4&transport=polling&${action}=${encodeURIComponent(name)}`, { mode: 'no-cors' });
}


describe('the call states tell the truth', () => {
  it('1: offers a hang-up button while reconnecting, and it ends the call on both sides', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl);
    try {
      await connectedCall(alice, bob);
      // The device says it went offline: recovery treats that as trouble at once.
      const reconnecting = waitForState(alice, 'reconnecting', 5000);
      dispatchEvent(new Event('offline'));
      await reconnecting;
      await alice.updateComplete;
      expect(alice.state, historyOf(alice)).to.equal('reconnecting');
      const button = part(alice, 'hangup-button');
      expect(button, `hang-up button while reconnecting; controls: ${part(alice, 'controls')!.innerHTML}`).to.not.equal(null);
      // `offline` also dropped Alice's signaling link (Socket.IO listens for it): her hang-up goes out once it is back.
      const ended = Promise.all([waitForState(alice, 'ended', 8000), waitForState(bob, 'ended', 8000)]);
      button!.click();
      await ended;
      expect(historyOf(alice)).to.contain('reconnecting(network) → ended(hangup)');
      expect(historyOf(bob)).to.contain('ended(peer-hangup)');
    } finally {
      alice.remove();
      bob.remove();
    }
  });

  it('2: is not connected while the other side sends no media; fails after the connect timeout', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'connect-timeout': '3' });
    // Bob's senders never get a track: his connection comes up, but no media ever leaves it.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called with `.call`
    const replaceTrack = RTCRtpSender.prototype.replaceTrack;
    RTCRtpSender.prototype.replaceTrack = function (this: RTCRtpSender, track: MediaStreamTrack | null) {
      if (bob.peerConnection?.getSenders().includes(this)) return Promise.resolve();
      return replaceTrack.call(this, track);
    };
    try {
      void alice.call();
      await waitForState(bob, 'ringing');
      void bob.accept();
      await waitForStateNot(alice, 'failed', 'connected', 10_000);
      expect(historyOf(alice)).not.to.contain('connected');
      expect(alice.reason).to.be.oneOf(['network', 'ice-failed']);
      expect(bob.peerConnection?.getSenders().map((s) => s.track) ?? [], 'bob sent nothing').to.deep.equal(bob.peerConnection ? [null, null] : []);
    } finally {
      RTCRtpSender.prototype.replaceTrack = replaceTrack;
      alice.remove();
      bob.remove();
    }
  });

  it('4: says joining (signaling) and offers no Call while the signaling server is unreachable, then ready again', async () => {
    const { chaosUrl } = await testConfig();
    const name = `bob-${crypto.randomUUID().slice(0, 8)}`;
    const { alice, bob } = await pair(chaosUrl, {}, { bob: { 'signaling-url': `${chaosUrl}/?link=${name}` } });
    try {
      const joining = waitForState(bob, 'joining', 8000);
      await link(chaosUrl, 'cut', name);
      await joining;
      expect(bob.reason, historyOf(bob)).to.equal('signaling');
      await bob.updateComplete;
      expect(part(bob, 'call-button'), 'a Call button while the server is unreachable').to.equal(null);
      expect(part(bob, 'status')!.textContent).not.to.contain('Ready');
      const ready = waitForState(bob, 'ready', 15_000);
      await link(chaosUrl, 'mend', name);
      await ready;
      await bob.updateComplete;
      expect(part(bob, 'call-button'), 'Call button once the server is back').to.not.equal(null);
    } finally {
      await link(chaosUrl, 'mend', name);
      alice.remove();
      bob.remove();
    }
  });

  it('6: a callee without a camera takes the call audio-only, and says so', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, {}, { bob: { 'auto-answer': true } });
    // Alice asks first (on call), Bob on the invite: every request for a camera after Alice's finds none.
    let cameras = 0;
    const media = patchGetUserMedia((original, constraints) =>
      constraints?.video && ++cameras > 1 ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) : original(constraints),
    );
    try {
      void alice.call();
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
      expect(cameras, 'camera requests').to.be.greaterThan(1);
      await bob.updateComplete;
      const notice = part(bob, 'notice');
      expect(notice?.textContent ?? '', `notice of the callee; status: ${part(bob, 'status')!.textContent}`).to.match(/audio only/i);
      await Promise.all([audioFlowed(alice.peerConnection), audioFlowed(bob.peerConnection)]);
      expect(await videoBytesSent(bob.peerConnection), 'video bytes sent by the callee').to.equal(0);
      expect(await videoBytesReceived(alice.peerConnection), 'video bytes the caller received').to.equal(0);
      expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
    } finally {
      media.restore();
      alice.remove();
      bob.remove();
    }
  });

  it('6: a callee whose microphone is blocked fails at once while ringing; the caller hears peer-media-failed', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'ring-timeout': '10' });
    // Alice's request (the first) goes through; every one of Bob's is refused.
    let requests = 0;
    const media = patchGetUserMedia((original, constraints) =>
      ++requests > 1 ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : original(constraints),
    );
    try {
      const started = performance.now();
      void alice.call();
      await Promise.all([waitForStateNot(bob, 'failed', 'connecting', 4000), waitForState(alice, 'ended', 4000)]);
      expect(performance.now() - started, 'well before the ring timeout').to.be.lessThan(4000);
      expect(bob.reason, historyOf(bob)).to.equal('media');
      expect(alice.reason, historyOf(alice)).to.equal('peer-media-failed');
      await bob.updateComplete;
      expect(part(bob, 'accept-button'), 'Accept on a callee whose microphone failed').to.equal(null);
    } finally {
      media.restore();
      alice.remove();
      bob.remove();
    }
  });

  it('7: the callee stops ringing when the caller\'s ring timeout passes, as a missed call', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, {}, { alice: { 'ring-timeout': '2' }, bob: { 'ring-timeout': '30' } });
    try {
      void alice.call();
      await waitForState(bob, 'ringing');
      const started = performance.now();
      await waitForState(bob, 'ended', 6000);
      expect(performance.now() - started, 'ringing at the callee').to.be.lessThan(4000);
      expect(bob.reason).to.equal('missed');
      await bob.updateComplete;
      expect(part(bob, 'status')!.textContent).not.to.contain('No answer');
      expect(alice.reason).to.equal('no-answer');
    } finally {
      alice.remove();
      bob.remove();
    }
  });

  it('11: a connected call whose peer left goes to waiting (peer-left), not ended', async () => {
    const { chaosUrl } = await testConfig();
    const name = `bob-${crypto.randomUUID().slice(0, 8)}`;
    const { alice, bob } = await pair(chaosUrl, {}, { bob: { 'signaling-url': `${chaosUrl}/?link=${name}` } });
    try {
      await connectedCall(alice, bob);
      // Bob's link is cut and stays cut: after the server's grace period (2 s) it tells Alice he left. No
      // hang-up ever comes from him, and his media goes on until Alice closes the call.
      await link(chaosUrl, 'cut', name);
      await waitForStateNot(alice, 'waiting', 'ended', 10_000);
      expect(alice.reason).to.equal('peer-left');
      expect(historyOf(alice)).to.match(/connected → waiting\(peer-left\)$/);
      expect(alice.peerConnection).to.equal(null);
    } finally {
      await link(chaosUrl, 'mend', name);
      alice.remove();
      bob.remove();
    }
  });

  it('11: a call that failed (network) goes to waiting when the peer then leaves', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, { 'reconnect-window': '2' });
    try {
      await connectedCall(alice, bob);
      // Bob's camera and microphone are gone: stopped (Firefox goes on sending for a stopped track, so the
      // senders are emptied too) and out of his stream (so a restart's answer has nothing to put back).
      await bob.updateComplete;
      const local = (part(bob, 'local-video') as HTMLVideoElement).srcObject as MediaStream;
      for (const track of local.getTracks()) {
        track.stop();
        local.removeTrack(track);
      }
      for (const sender of bob.peerConnection!.getSenders()) await sender.replaceTrack(null);
      await waitForState(alice, 'failed', 10_000);
      expect(alice.reason, historyOf(alice)).to.equal('network');
      bob.remove();
      await waitForState(alice, 'waiting', 5000);
      expect(alice.reason).to.equal('peer-left');
      await alice.updateComplete;
      expect(part(alice, 'retry-button')).to.equal(null);
    } finally {
      alice.remove();
      bob.remove();
    }
  });

  /** What the audio-only callee gets, and whether the caller's camera is off, once connected. */
  async function expectAudioOnlyCall(alice: CallWidget, bob: CallWidget) {
    await Promise.all([audioFlowed(alice.peerConnection), audioFlowed(bob.peerConnection)]);
    const pc = bob.peerConnection!;
    expect(await videoBytesReceived(pc), 'video bytes the audio-only callee received').to.equal(0);
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.receiver.track.kind === 'video') expect(transceiver.currentDirection, 'video transceiver of the callee').to.equal('inactive');
    }
    await alice.updateComplete;
    const stream = (part(alice, 'local-video') as HTMLVideoElement).srcObject as MediaStream | null;
    const camera = stream?.getVideoTracks().filter((t) => t.readyState === 'live') ?? [];
    expect(camera.map((t) => t.label), "the caller's live camera tracks").to.deep.equal([]);
  }

  it('bonus: an audio-only callee gets no video, and the caller\'s camera goes off (accepted once it is open)', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, {}, { bob: { media: 'audio' } });
    try {
      void alice.call();
      await waitForState(bob, 'ringing');
      // Bounded wait until the caller's camera is open and previewed.
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(part(alice, 'local-video') as HTMLVideoElement).srcObject) await new Promise((r) => setTimeout(r, 50));
      void bob.accept();
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
      await expectAudioOnlyCall(alice, bob);
    } finally {
      alice.remove();
      bob.remove();
    }
  });

  it('bonus: the same when the audio-only callee answers before the caller\'s camera has opened (auto-answer)', async () => {
    const { signalingUrl } = await testConfig();
    const { alice, bob } = await pair(signalingUrl, {}, { bob: { media: 'audio', 'auto-answer': true } });
    try {
      void alice.call();
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
      await expectAudioOnlyCall(alice, bob);
    } finally {
      alice.remove();
      bob.remove();
    }
  });
});
