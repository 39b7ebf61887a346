/**
 * The floor: caller and callee are two RTCPeerConnections in this one page, and "signaling" is a function
 * call. What is left is what no signaling design can remove: cameras, offer/answer, ICE, DTLS, the first
 * decoded frame. Both cameras start at once when the call is placed; nothing waits that need not.
 */
import { arm, camera, mark, serial, show, watchConnection, watchFirstFrame } from './common.js';

const callerVideo = document.querySelector('#caller-remote');
const calleeVideo = document.querySelector('#callee-remote');

async function place() {
  mark('caller:placed');
  const caller = new RTCPeerConnection();
  const callee = new RTCPeerConnection();
  watchConnection(caller, 'caller');
  watchConnection(callee, 'callee');
  watchFirstFrame(callerVideo, 'caller:remoteFrame');
  watchFirstFrame(calleeVideo, 'callee:remoteFrame');
  caller.addEventListener('track', ({ streams }) => show(callerVideo, streams[0]));
  callee.addEventListener('track', ({ streams }) => show(calleeVideo, streams[0]));

  // Each direction is a queue, so a candidate never reaches a side before the description it belongs to.
  const toCallee = serial();
  const toCaller = serial();
  caller.addEventListener('icecandidate', ({ candidate }) => candidate && toCallee(() => callee.addIceCandidate(candidate)));
  callee.addEventListener('icecandidate', ({ candidate }) => candidate && toCaller(() => caller.addIceCandidate(candidate)));

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

arm(place);
