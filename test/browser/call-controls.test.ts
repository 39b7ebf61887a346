/**
 * Device selection and in-call controls on the real stack: two <call-widget>s, a real signaling server, real
 * RTCPeerConnections, the browsers' fake camera and microphone. Chromium lists three fake cameras, two of them
 * usable (`fake_device_0` and `fake_device_2`: see test/support/chromium.mjs), and a switch between them shows
 * in what the peer decodes (the switch test also opens a grey canvas for one of them, so that the picture
 * changes too). Firefox has one fake camera and delivers no dispatched `ended`: the switch and unplug cases
 * run in Chromium only.
 */
import { expect } from '@open-wc/testing';
import type { CallWidget } from '../../src/call-widget.js';
import type { CallDeviceChangeDetail, CallMediaStateDetail } from '../../src/events.js';
import { historyOf, patchGetUserMedia, testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

const firefox = navigator.userAgent.includes('Firefox');
const inChromium = firefox ? it.skip : it;
const part = (el: CallWidget, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part="${name}"]`);
const sleepFrame = () => new Promise((resolve) => setTimeout(resolve, 50));
let widgets: CallWidget[] = [];

/** Polls `check` (bounded in time) until it returns something truthy; throws `what` with the last value. */
async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  while (performance.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleepFrame();
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what} (last: ${JSON.stringify(last)})`);
}

async function pair(own: { alice?: Record<string, string | boolean>; bob?: Record<string, string | boolean> } = {}) {
  const { signalingUrl } = await testConfig();
  const room = uniqueRoom('controls');
  const alice = await widget({ 'signaling-url': signalingUrl, room, 'display-name': 'Alice', ...own.alice });
  await waitForState(alice, 'waiting');
  const bob = await widget({ 'signaling-url': signalingUrl, room, 'display-name': 'Bob', ...own.bob });
  widgets.push(alice, bob);
  await Promise.all([waitForState(alice, 'ready'), waitForState(bob, 'ready')]);
  return { alice, bob };
}

async function connected(own?: Parameters<typeof pair>[0]) {
  const { alice, bob } = await pair(own);
  void alice.call();
  await waitForState(bob, 'ringing');
  void bob.accept();
  await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
  return { alice, bob };
}

async function inbound(el: CallWidget, kind: 'audio' | 'video') {
  let found: Record<string, number> = {};
  (await el.peerConnection?.getStats())?.forEach((r: Record<string, number> & { type: string; kind?: string }) => {
    if (r.type === 'inbound-rtp' && r.kind === kind) found = r;
  });
  return found;
}

/** How much audio energy reached `el` over `ms` (`totalAudioEnergy` grows with the square of the level). */
async function audioEnergyOver(el: CallWidget, ms = 1500): Promise<number> {
  const before = (await inbound(el, 'audio')).totalAudioEnergy ?? 0;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((await inbound(el, 'audio')).totalAudioEnergy ?? 0) - before;
}

/** The `media-source` of the video sender: which track feeds the encoder, and how many frames it gave. */
async function mediaSource(el: CallWidget): Promise<{ trackIdentifier?: string; frames?: number }> {
  let found = {};
  (await el.peerConnection?.getStats())?.forEach((r: { type: string; kind?: string }) => {
    if (r.type === 'media-source' && r.kind === 'video') found = r;
  });
  return found;
}


const sender = (el: CallWidget, kind: string) => el.peerConnection!.getTransceivers().find((t) => t.receiver.track.kind === kind)!.sender;

/** The colour in the middle-left of the peer's remote video: Chromium's fake cameras paint green, the test's canvas grey. */
function remoteColour(el: CallWidget): 'green' | 'grey' | 'none' {
  const video = part(el, 'remote-video') as HTMLVideoElement;
  if (!video.videoWidth) return 'none';
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(video, 0, 0);
  const [r, g, b] = context.getImageData(5, Math.floor(video.videoHeight / 2), 1, 1).data;
  return g! > 120 && r! < 80 ? 'green' : Math.abs(r! - g!) < 20 && Math.abs(g! - b!) < 20 && g! < 90 ? 'grey' : 'none';
}

afterEach(() => {
  for (const el of widgets) el.remove();
  widgets = [];
  localStorage.removeItem('call-widget:devices');
});

describe('in-call controls', () => {
  it('mute stops the audio energy reaching the peer, and unmute restores it; the peer shows "Muted"', async () => {
    const { alice, bob } = await connected();
    await eventually('audio energy at Bob', async () => (await audioEnergyOver(bob, 1200)) > 1e-4);
    const states: CallMediaStateDetail[] = [];
    bob.addEventListener('call-media-state', (e) => states.push(e.detail));
    alice.setMuted(true);
    expect(alice.muted).to.equal(true);
    await alice.updateComplete;
    expect(part(alice, 'mute-button')!.getAttribute('aria-pressed')).to.equal('true');
    // The track stays live (a Bluetooth headset keeps its call profile): only `enabled` changed.
    expect(sender(alice, 'audio').track!.readyState).to.equal('live');
    await eventually('Bob sees Alice muted', () => bob.remoteMedia?.muted && part(bob, 'remote-muted'));
    expect(states.at(-1)!.remote).to.deep.equal({ muted: true, cameraOff: false });
    // What was already on its way has arrived once the next window is silent.
    await eventually('silence at Bob', async () => (await audioEnergyOver(bob, 1200)) < 1e-6);
    alice.setMuted(false);
    await eventually('audio energy again', async () => (await audioEnergyOver(bob, 1200)) > 1e-4);
    await eventually('Bob sees Alice unmuted', () => !bob.remoteMedia?.muted && !part(bob, 'remote-muted'));
    expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
  });

  it("camera off ends the capture track and sends no frames; the peer shows the name instead, stays connected; camera on resumes", async () => {
    const { alice, bob } = await connected();
    const camera = sender(alice, 'video').track!;
    await alice.setCameraOff(true);
    await alice.updateComplete;
    expect(camera.readyState, 'the camera light goes off').to.equal('ended');
    expect(sender(alice, 'video').track?.id ?? null, 'the sender emptied').to.equal(null);
    expect(part(alice, 'camera-button')!.getAttribute('aria-pressed')).to.equal('true');
    await eventually('Bob shows Alice by name', () => part(bob, 'remote-avatar')?.textContent?.includes('Alice'));
    // No frames arrive any more (what was in flight may still land): the count stops growing.
    await eventually('no more frames at Bob', async () => {
      const before = (await inbound(bob, 'video')).framesDecoded ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return ((await inbound(bob, 'video')).framesDecoded ?? 0) === before;
    });
    // Bob expects no video from a camera that is off: still connected past the video stall time.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(bob.state, historyOf(bob)).to.equal('connected');
    await alice.setCameraOff(false);
    expect(sender(alice, 'video').track!.readyState).to.equal('live');
    const before = (await inbound(bob, 'video')).framesDecoded ?? 0;
    await eventually('frames again at Bob', async () => ((await inbound(bob, 'video')).framesDecoded ?? 0) > before + 10);
    await eventually('Bob shows the video again', () => !part(bob, 'remote-avatar'));
    expect(historyOf(bob)).not.to.contain('reconnecting');
  });

  it('start-muted and start-camera-off: the call starts so, connects, and the peer knows from the start', async () => {
    const { alice, bob } = await connected({ alice: { 'start-muted': true, 'start-camera-off': true } });
    expect([alice.muted, alice.cameraOff]).to.deep.equal([true, true]);
    expect(sender(alice, 'video').track?.id ?? null, 'no camera opened').to.equal(null);
    expect(sender(alice, 'audio').track!.enabled).to.equal(false);
    await eventually('Bob knows', () => bob.remoteMedia?.muted && bob.remoteMedia.cameraOff);
    expect(part(bob, 'remote-avatar')).to.not.equal(null);
    // Turned on mid-call: the video m-line was there all along, so no renegotiation is needed.
    await alice.setCameraOff(false);
    await eventually('frames at Bob', async () => ((await inbound(bob, 'video')).framesDecoded ?? 0) > 10);
  });

  it('the preview opens the microphone (meter) and the camera only when asked, and the call carries the same tracks', async () => {
    const { alice, bob } = await pair();
    expect(part(alice, 'preview-button')).to.not.equal(null);
    const video = part(alice, 'local-video') as HTMLVideoElement;
    expect(video.srcObject, 'no camera before the visitor asks').to.equal(null);
    part(alice, 'preview-button')!.click();
    const previewing = () => video.srcObject as MediaStream | null;
    await eventually('a preview stream', () => previewing()?.getVideoTracks().length);
    const stream = previewing()!;
    await alice.updateComplete;
    expect(part(alice, 'meter')).to.not.equal(null);
    expect(part(alice, 'call-button')).to.not.equal(null);
    const previewCamera = stream.getVideoTracks()[0]!;
    void alice.call();
    await waitForState(bob, 'ringing');
    void bob.accept();
    await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);
    expect(sender(alice, 'video').track?.id, 'the preview camera goes on in the call').to.equal(previewCamera.id);
  });

  it('keyboard: every control is a labelled button, toggles say aria-pressed, the device menu opens and closes with Escape', async () => {
    const { alice } = await connected();
    await alice.updateComplete;
    const buttons = [...alice.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part="controls"] button')];
    expect(buttons.map((b) => b.getAttribute('part'))).to.include.members(['mute-button', 'camera-button', 'devices-button', 'hangup-button']);
    for (const button of buttons) expect(button.textContent!.trim(), button.getAttribute('part')!).to.not.equal('');
    const devices = part(alice, 'devices-button')!;
    expect(devices.getAttribute('aria-expanded')).to.equal('false');
    devices.click();
    await alice.updateComplete;
    const menu = part(alice, 'device-menu')!;
    expect(menu.querySelectorAll('select').length).to.be.greaterThan(0);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await alice.updateComplete;
    expect(part(alice, 'device-menu')).to.equal(null);
  });
});

describe('devices', () => {
  /** The cameras a test may pick: not fake_device_1, a Y16 depth camera that crashes Chromium when sent. */
  async function cameras(el: CallWidget) {
    const usable = () => el.devices.videoinput.filter((d) => d.deviceId && d.label !== 'fake_device_1');
    await eventually('two cameras listed', () => usable().length >= 2);
    return usable();
  }

  inChromium('switching camera mid-call changes the frames the peer decodes, with no renegotiation', async () => {
    const { alice, bob } = await connected();
    const [first, second] = await cameras(alice);
    await eventually('frames at Bob', async () => ((await inbound(bob, 'video')).framesDecoded ?? 0) > 10);
    const offers: string[] = [];
    for (const pc of [alice.peerConnection!, bob.peerConnection!]) pc.addEventListener('signalingstatechange', () => offers.push(pc.signalingState));
    const sdp = alice.peerConnection!.localDescription!.sdp;
    const changes: CallDeviceChangeDetail[] = [];
    alice.addEventListener('call-device-change', (e) => changes.push(e.detail));
    const old = sender(alice, 'video').track!;
    await alice.selectDevice('videoinput', second!.deviceId);
    const track = sender(alice, 'video').track!;
    expect(track.getSettings().deviceId).to.equal(second!.deviceId);
    expect(old.readyState, 'the old camera stopped first').to.equal('ended');
    expect(changes.at(-1)).to.include({ kind: 'videoinput', deviceId: second!.deviceId, reason: 'user' });
    expect(alice.activeDevices.videoinput).to.equal(second!.deviceId);
    // The encoder is fed by the new camera, and the peer decodes what it sends.
    await eventually('the new camera feeds the sender', async () => (await mediaSource(alice)).trackIdentifier === track.id && (await mediaSource(alice)).frames! > 10);
    const decoded = (await inbound(bob, 'video')).framesDecoded ?? 0;
    await eventually('Bob decodes the new frames', async () => ((await inbound(bob, 'video')).framesDecoded ?? 0) > decoded + 10);
    // Chromium's usable fake cameras both paint green. To see the picture itself change at the peer, the first
    // camera's id opens a grey one (a canvas) from here on; everything else is the same path.
    await eventually('green frames at Bob', () => remoteColour(bob) === 'green');
    const patched = patchGetUserMedia((original, constraints) => {
      const video = constraints?.video as MediaTrackConstraints | undefined;
      if ((video?.deviceId as ConstrainDOMStringParameters | undefined)?.exact !== first!.deviceId) return original(constraints);
      const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
      const context = canvas.getContext('2d')!;
      const paint = () => (context.fillStyle = '#333', context.fillRect(0, 0, 320, 240));
      paint();
      const timer = setInterval(paint, 50);
      const stream = canvas.captureStream(20);
      stream.getVideoTracks()[0]!.addEventListener('ended', () => clearInterval(timer));
      return Promise.resolve(stream);
    });
    try {
      await alice.selectDevice('videoinput', first!.deviceId);
      await eventually('grey frames at Bob', () => remoteColour(bob) === 'grey');
    } finally {
      patched.restore();
    }
    expect(offers, 'no offer/answer on either side').to.deep.equal([]);
    expect(alice.peerConnection!.localDescription!.sdp).to.equal(sdp);
    expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
  });

  inChromium('the active camera and microphone ending (unplugged) move to the default device within 2 s, and say which', async () => {
    const { alice, bob } = await connected();
    const [first, second] = await cameras(alice);
    await alice.selectDevice('videoinput', second!.deviceId);
    const changes: CallDeviceChangeDetail[] = [];
    alice.addEventListener('call-device-change', (e) => changes.push(e.detail));
    const camera = sender(alice, 'video').track!;
    const microphone = sender(alice, 'audio').track!;
    const started = performance.now();
      // What the browser does when a device goes away: the track ends by itself.
    camera.dispatchEvent(new Event('ended'));
    microphone.dispatchEvent(new Event('ended'));
    await eventually('both replaced', () => sender(alice, 'video').track !== camera && sender(alice, 'audio').track !== microphone && sender(alice, 'video').track && sender(alice, 'audio').track, 2000);
    expect(performance.now() - started).to.be.below(2000);
    expect(sender(alice, 'video').track!.getSettings().deviceId, 'the default camera').to.equal(first!.deviceId);
    expect(changes.map((c) => `${c.kind}:${c.reason}`)).to.include.members(['videoinput:unplugged', 'audioinput:unplugged']);
    expect(changes.find((c) => c.kind === 'videoinput')!.label).to.equal('fake_device_0');
    await alice.updateComplete;
    expect(part(alice, 'notice')!.textContent).to.match(/^Now using /);
    await eventually('green at Bob', () => remoteColour(bob) === 'green');
    expect([alice.state, bob.state]).to.deep.equal(['connected', 'connected']);
  });

  inChromium('the choice is remembered for the site: a new widget (a reload) opens the chosen camera', async () => {
    const { alice } = await pair();
    await alice.startPreview();
    const [, second] = await cameras(alice);
    await alice.selectDevice('videoinput', second!.deviceId);
    alice.remove();
    const { signalingUrl } = await testConfig();
    const again = await widget({ 'signaling-url': signalingUrl, room: uniqueRoom('remembered') });
    widgets.push(again);
    await waitForState(again, 'waiting');
    await again.startPreview();
    expect(again.activeDevices.videoinput).to.equal(second!.deviceId);
    const saved = JSON.parse(localStorage.getItem('call-widget:devices')!) as Record<string, { label: string }>;
    expect(saved.videoinput!.label).to.equal(second!.label);
  });

  it('lists devices with labels once permission is granted, and offers a speaker only where setSinkId works', async () => {
    const { alice } = await pair();
    await alice.startPreview();
    await eventually('labelled microphones', () => alice.devices.audioinput.some((d) => d.label));
    part(alice, 'devices-button')!.click();
    await alice.updateComplete;
    const speakerSelect = part(alice, 'speaker-select');
    const canChoose = typeof (HTMLMediaElement.prototype as { setSinkId?: unknown }).setSinkId === 'function' && alice.devices.audiooutput.some((d) => d.deviceId);
    expect(!!speakerSelect, 'a speaker picker exactly where it can work').to.equal(canChoose);
    if (!canChoose) expect(part(alice, 'speaker-default')!.textContent).to.equal('System default');
    expect(part(alice, 'microphone-select')!.querySelectorAll('option').length).to.equal(alice.devices.audioinput.length);
  });
});
