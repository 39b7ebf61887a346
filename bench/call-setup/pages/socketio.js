/**
 * The plain relay baseline: a minimal Socket.IO server that forwards `signal` messages to the other page in
 * the room, and a bare RTCPeerConnection with trickle ICE. The caller offers; the callee starts its camera
 * when the offer arrives (while applying it) and answers. Same transport as the widget: WebSocket only.
 */
import { io } from '/vendor/socket.io.esm.min.js';
import { arm, camera, mark, params, report, serial, show, watchConnection, watchFirstFrame } from './common.js';

const role = params.get('role');
const video = document.querySelector('#remote');
const socket = io(params.get('relay'), { transports: ['websocket'] });
let pc = null;
/** Candidates that came before the description they belong to. */
const held = [];
const inbox = serial();

function open() {
  pc = new RTCPeerConnection();
  watchConnection(pc, role);
  watchFirstFrame(video, `${role}:remoteFrame`);
  pc.addEventListener('track', ({ streams }) => show(video, streams[0]));
  pc.addEventListener('icecandidate', ({ candidate }) => candidate && socket.emit('signal', { candidate }));
  return pc;
}

async function onSignal({ description, candidate }) {
  if (candidate) {
    if (pc?.remoteDescription) await pc.addIceCandidate(candidate);
    else held.push(candidate);
    return;
  }
  if (description.type === 'offer') {
    mark('callee:incoming');
    const media = camera('callee');
    open();
    await pc.setRemoteDescription(description);
    const stream = await media;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    await pc.setLocalDescription();
    socket.emit('signal', { description: pc.localDescription });
  } else {
    await pc.setRemoteDescription(description);
  }
  for (const queued of held.splice(0)) await pc.addIceCandidate(queued).catch(report);
}

socket.on('signal', (message) => inbox(() => onSignal(message)));
socket.on('connect_error', report);
socket.on('connect', () =>
  socket.emit('join', params.get('room'), () =>
    arm(async () => {
      mark('caller:placed');
      open();
      const stream = await camera('caller');
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      await pc.setLocalDescription();
      socket.emit('signal', { description: pc.localDescription });
    }),
  ),
);
