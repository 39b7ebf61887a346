/**
 * What every call-setup page shares. The bench process drives a page through `window.bench`: it waits for
 * `armed` (the page can place or take a call), calls `place()` on the caller, then reads `marks`.
 *
 * Marks are `Date.now()` values: every page runs in the one Chromium on one machine, so they share one wall
 * clock and marks of two pages can be subtracted. A mark is set once; later events of the same name are
 * ignored (a renegotiation must not move "first frame").
 */
export const params = new URLSearchParams(location.search);

const marks = {};
const errors = [];
const bench = { armed: false, marks, errors, place: () => Promise.reject(new Error('this page does not place calls')) };
window.bench = bench;
addEventListener('error', (event) => errors.push(String(event.message)));
addEventListener('unhandledrejection', (event) => errors.push(String(event.reason?.message ?? event.reason)));

/**
 * `camera-ms`: every camera of this page opens that much later, as real webcams take hundreds of
 * milliseconds to start (the fake device takes tens). Wrapped here, before any page script asks, so the
 * widget's own requests wait too.
 */
const cameraMs = Number(params.get('camera-ms') ?? 0);
if (cameraMs > 0) {
  const devices = navigator.mediaDevices;
  const open = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    await new Promise((resolve) => setTimeout(resolve, cameraMs));
    return stream;
  };
}

export function mark(name, at = Date.now()) {
  if (!(name in marks)) marks[name] = at;
}

export function arm(place) {
  if (place) bench.place = place;
  bench.armed = true;
}

export function report(error) {
  errors.push(String(error?.message ?? error));
}

/** The capture the widget asks for, the same in every scenario; marks `side:camera` when it is open. */
export async function camera(side) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  mark(`${side}:camera`);
  return stream;
}

/**
 * Follows a peer connection of `side` (`caller` or `callee`) from its creation on. Marks `side:iceConnected`
 * when ICE has found a working pair (`iceConnectionState` `connected`/`completed`, or `connectionState`
 * `connected`, whichever the browser reports first), and the first time of every signaling, ICE and
 * connection state, for seeing where the time goes.
 */
export function watchConnection(pc, side) {
  mark(`${side}:peerConnection`);
  const check = () => {
    mark(`${side}:signaling:${pc.signalingState}`);
    mark(`${side}:ice:${pc.iceConnectionState}`);
    mark(`${side}:connection:${pc.connectionState}`);
    if (pc.signalingState === 'stable' && pc.currentRemoteDescription) mark(`${side}:negotiated`);
    if (['connected', 'completed'].includes(pc.iceConnectionState) || pc.connectionState === 'connected') mark(`${side}:iceConnected`);
  };
  pc.addEventListener('signalingstatechange', check);
  pc.addEventListener('iceconnectionstatechange', check);
  pc.addEventListener('connectionstatechange', check);
  pc.addEventListener('icecandidate', () => mark(`${side}:firstCandidate`), { once: true });
  check();
}

/**
 * Marks `name` when `video` presents its first frame. The callback runs at the next rendering step, up to a
 * frame after the presentation, so the mark is the frame's `presentationTime` moved onto the wall clock.
 */
export function watchFirstFrame(video, name) {
  video.requestVideoFrameCallback((_now, frame) => {
    const presentedAgo = Math.max(0, performance.now() - frame.presentationTime);
    mark(name, Date.now() - presentedAgo);
  });
}

/**
 * Shows a remote stream. Setting `srcObject` restarts the element's load even with the same stream, and
 * `track` fires once per track, so it is set once.
 */
export function show(video, stream) {
  if (video.srcObject !== stream) video.srcObject = stream;
}

/** Runs async steps one after the other, in the order they were queued: signals must not overtake each other. */
export function serial() {
  let tail = Promise.resolve();
  return (step) => (tail = tail.then(step).catch(report));
}
