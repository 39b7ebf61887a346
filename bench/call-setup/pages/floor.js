/**
 * The floor: caller and callee are two RTCPeerConnections in this one page, and "signaling" is a function
 * call. What is left is what no signaling design can remove: cameras, offer/answer, ICE, DTLS, the first
 * decoded frame. Both cameras start at once when the call is placed; nothing waits that need not.
 */
import { arm, camera, mark, params, serial, show, watchConnection, watchFirstFrame } from './common.js';

const callerVideo = document.querySelector('#caller-remote');
const calleeVideo = document.querySelector('#callee-remote');

/**
 * The two connections of a floor call, followed from their creation, each showing what the other sends.
 * `toCallee` and `toCaller` are the two directions of "signaling": queues, so a candidate never reaches a
 * side before the description it belongs to.
 */
function connectionPair() {
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  watchConnection(caller, 'caller');
  watchConnection(callee, 'callee');
  caller.addEventListener('track', ({ streams }) => show(callerVideo, streams[0]));
  callee.addEventListener('track', ({ streams }) => show(calleeVideo, streams[0]));
  const toCallee = serial();
  const toCaller = serial();
  caller.addEventListener('icecandidate', ({ candidate }) => candidate && toCallee(() => callee.addIceCandidate(candidate)));
  callee.addEventListener('icecandidate', ({ candidate }) => candidate && toCaller(() => caller.addIceCandidate(candidate)));
  return { caller, callee, toCallee, toCaller };
}

function watchFirstFrames() {
  watchFirstFrame(callerVideo, 'caller:remoteFrame');
  watchFirstFrame(calleeVideo, 'callee:remoteFrame');
}

async function place() {
  mark('caller:placed');
  const { caller, callee, toCallee, toCaller } = connectionPair();
  watchFirstFrames();
  const [callerMedia, calleeMedia] = [camera('caller'), camera('callee')];
  const callerStream = await callerMedia;
  for (const track of callerStream.getTracks()) caller.addTrack(track, callerStream);
  const offered = caller.setLocalDescription().then(() => caller.localDescription);
  toCallee(async () => {
    await callee.setRemoteDescription(await offered);
    const calleeStream = await calleeMedia;
    for (const track of calleeStream.getTracks()) callee.addTrack(track, calleeStream);
    const answered = callee.setLocalDescription().then(() => callee.localDescription);
    toCaller(async () => caller.setRemoteDescription(await answered));
  });
}

/**
 * The floor of accepting a call that connected while it rang: the same two connections, negotiated and
 * connected with empty senders (as the widget's are while it rings), cameras open; `accept-after` ms after
 * "placed" both sides put their tracks in at once (`replaceTrack`), with no signaling hop between them.
 * What is left is the browser's own time from a sender getting its track to the far side showing a frame.
 */
async function placeRinging(acceptAfter) {
  const placed = Date.now();
  mark('caller:placed');
  const { caller, callee, toCallee, toCaller } = connectionPair();
  const media = Promise.all([camera('caller'), camera('callee')]);

  for (const kind of ['audio', 'video']) caller.addTransceiver(kind, { direction: 'sendrecv', streams: [new MediaStream()] });
  await caller.setLocalDescription();
  const answered = new Promise((resolve) =>
    toCallee(async () => {
      await callee.setRemoteDescription(caller.localDescription);
      const stream = new MediaStream();
      for (const transceiver of callee.getTransceivers()) {
        transceiver.direction = 'sendrecv';
        transceiver.sender.setStreams(stream);
      }
      await callee.setLocalDescription();
      resolve(callee.localDescription);
    }),
  );
  toCaller(async () => caller.setRemoteDescription(await answered));
  const streams = await media;

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, placed + acceptAfter - Date.now())));
  watchFirstFrames();
  mark('callee:accept');
  for (const [pc, stream] of [[caller, streams[0]], [callee, streams[1]]]) {
    for (const { sender, receiver } of pc.getTransceivers()) {
      void sender.replaceTrack(stream.getTracks().find((track) => track.kind === receiver.track.kind));
    }
  }
}

const acceptAfter = Number(params.get('accept-after') ?? 0);
arm(acceptAfter > 0 ? () => placeRinging(acceptAfter) : place);
