/**
 * One side of a `<call-widget>` call for the camera-switch bench; the bench process drives it through
 * `window.bench`. The caller is the side that switches camera, the callee the side that watches for the new
 * camera's first frame. Both ways of switching run on this same page, in the widget's own call:
 *   widget        `selectDevice('videoinput', id)`: the widget stops the old camera, opens the new one and
 *                 puts it in the video sender with `replaceTrack`;
 *   renegotiate   what an app without `replaceTrack` does: the old camera stopped, the new one opened,
 *                 `removeTrack` and `addTrack` on the widget's own connection. The widget's negotiator answers
 *                 the `negotiationneeded` that follows with an offer through the reference server, and the
 *                 far side's widget answers it: same connection, same signaling, only the switch differs.
 *
 * Times are `performance.timeOrigin + performance.now()`: both pages run in the one Chromium on one machine,
 * so their clocks are the machine's and the two pages' times can be subtracted.
 */
import { cameraReader } from './cameras.js';

const params = new URLSearchParams(location.search);
const role = params.get('role');
const widget = document.querySelector('call-widget');
const now = () => performance.timeOrigin + performance.now();

const bench = {
  role,
  errors: [],
  /** The widget's last `call-state-change` state (the callee waits for `waiting`: alone in the room). */
  state: null,
  /** The widget is `ready` (both visitors in the room): the caller may call. */
  ready: false,
  /** Offers this page's connections made (`have-local-offer`), and signaling state changes: a switch with
   * no renegotiation leaves both unchanged on both sides; a renegotiation makes one offer, on one side. */
  offers: 0,
  signalingChanges: 0,
  /** The last `getUserMedia` of this page resolved at: a switch's "camera open" step. */
  cameraOpenAt: null,
  /** When a description of this page's connection was last set, by type, for a renegotiation's steps. */
  described: {},
  place: () => widget.call(),
  switchCamera,
  watchFor,
  /** The callee's current watch (see `watchFor`): the bench reads `seenAt` and `before` from it. */
  watched: null,
  /** Frames of the first camera the callee presented before any switch. */
  steadyFrames: 0,
};
window.bench = bench;
const report = (error) => bench.errors.push(String(error?.message ?? error));
addEventListener('error', (event) => report(event.message));
addEventListener('unhandledrejection', (event) => report(event.reason));

// The camera-open step of both ways of switching: wrapped before the widget's script runs, so its own
// requests pass here too. Nothing else changes.
const devices = navigator.mediaDevices;
const getUserMedia = devices.getUserMedia.bind(devices);
devices.getUserMedia = async (constraints) => {
  const stream = await getUserMedia(constraints);
  bench.cameraOpenAt = now();
  return stream;
};

/**
 * The widget's connections, followed from their constructors on (a subclass that changes nothing else):
 * offers and signaling changes are counted, and the callee watches every video track it receives.
 */
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class ObservedPeerConnection extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    this.addEventListener('signalingstatechange', () => {
      bench.signalingChanges++;
      if (this.signalingState === 'have-local-offer') bench.offers++;
      bench.described[this.signalingState] = now();
    });
    if (role === 'callee') this.addEventListener('track', ({ track }) => track.kind === 'video' && watchTrack(track));
  }
};

/**
 * What the callee is waiting for: the first frame from camera `label` presented after `watchFor` was called,
 * and how many frames of each camera (and unclear ones) came before it.
 */
let wanted = null;
function watchFor(label) {
  wanted = { label, armedAt: now(), seenAt: null, before: {} };
  bench.watched = wanted;
}

/**
 * Shows a received video track in a `<video>` of the bench's own (the widget shows it too, in its own), and
 * reads every frame presented: `requestVideoFrameCallback` runs once per frame, with its presentation time.
 * A renegotiated switch brings a new track, so there can be several; each is read the same way.
 */
function watchTrack(track) {
  const video = Object.assign(document.createElement('video'), { muted: true, autoplay: true, playsInline: true, width: 160, height: 120 });
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  const read = cameraReader(video);
  const onFrame = (_now, frame) => {
    const camera = read();
    // Frames of the first camera before any switch: the call is steady once enough of them came.
    if (!wanted && camera === 'fake_device_0') bench.steadyFrames++;
    if (wanted && wanted.seenAt === null) {
      const at = performance.timeOrigin + frame.presentationTime;
      if (camera === wanted.label && at >= wanted.armedAt) wanted.seenAt = at;
      else wanted.before[camera ?? 'unclear'] = (wanted.before[camera ?? 'unclear'] ?? 0) + 1;
    }
    if (track.readyState === 'live') video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

/** The video sender that carries a camera now (after a renegotiated switch, the newest one). */
const videoSender = (pc) => pc.getSenders().findLast((s) => s.track?.kind === 'video');

/**
 * Switches the caller's camera to the one labelled `label`, `mode` `widget` or `renegotiate`; resolves with
 * when it was asked for, when the call returned, and what the sender carries then. The device list is read
 * first, outside the time measured: an app has it already (the widget's menu lists it).
 */
async function switchCamera(mode, label) {
  if (label === 'fake_device_1') throw new Error('fake_device_1 is a depth camera that crashes Chromium when sent');
  const device = (await devices.enumerateDevices()).find((d) => d.kind === 'videoinput' && d.label === label);
  if (!device) throw new Error(`no camera labelled ${label}`);
  const pc = widget.peerConnection;
  const requestedAt = now();
  if (mode === 'widget') await widget.selectDevice('videoinput', device.deviceId);
  else {
    // Same order as the widget: the old camera stops before the new one opens (some phones open one at a time).
    const sender = videoSender(pc);
    sender.track.stop();
    const stream = await devices.getUserMedia({ video: { deviceId: { exact: device.deviceId } } });
    pc.removeTrack(sender);
    pc.addTrack(stream.getVideoTracks()[0], stream);
  }
  const returnedAt = now();
  const sent = videoSender(pc)?.track;
  return { requestedAt, returnedAt, sending: sent?.getSettings().deviceId === device.deviceId ? label : (sent?.label ?? null) };
}

widget.addEventListener('call-state-change', ({ detail: { state } }) => {
  if (state === 'ready') bench.ready = true;
  // The callee takes the call at once, after the event (as a click would come).
  if (role === 'callee' && state === 'ringing') queueMicrotask(() => widget.accept().catch(report));
  bench.state = state;
});
widget.addEventListener('call-error', ({ detail }) => detail.fatal && report(`${detail.code}: ${detail.message}`));
