/**
 * PeerJS 1.5.5 with its own PeerServer, used the way its documentation shows: the caller opens its camera
 * and calls `peer.call(id, stream)`; the callee opens its camera on `call` and answers with it.
 */
import { arm, camera, mark, params, report, show, watchConnection, watchFirstFrame } from './common.js';

const role = params.get('role');
const video = document.querySelector('#remote');
const server = new URL(params.get('peerServer'));
const peer = new window.peerjs.Peer(params.get('id'), {
  host: server.hostname,
  port: Number(server.port),
  path: '/',
  secure: false,
  // No STUN: like every other scenario here, host candidates on this machine only.
  config: { iceServers: [] },
  debug: 0,
});
peer.on('error', report);

function connect(call) {
  watchConnection(call.peerConnection, role);
  watchFirstFrame(video, `${role}:remoteFrame`);
  call.on('stream', (stream) => show(video, stream));
  call.on('error', report);
}

if (role === 'callee') {
  peer.on('call', async (call) => {
    mark('callee:incoming');
    const stream = await camera('callee');
    call.answer(stream);
    connect(call);
  });
}

peer.on('open', () =>
  arm(async () => {
    mark('caller:placed');
    const stream = await camera('caller');
    connect(peer.call(params.get('callee'), stream));
  }),
);
