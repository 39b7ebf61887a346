/**
 * A UDP delay line for the NAT lab: a TURN client's datagrams to coturn are held `delay` ms before they go on
 * (the client's egress only); what comes back passes at once. It stands in for `tc netem delay`, which is not
 * in every kernel (not in the one the lab was written on). Each client address gets its own upstream socket,
 * as a NAT would, so coturn sees one allocation per client, and whatever reaches that socket (coturn's
 * answers, or a peer's relay sending to the client's server-reflexive address) goes back to the client.
 *
 *   node --import tsx test/network/delay-line.ts <listen ip> <listen port> <coturn ip> <coturn port>
 *
 * Reads new delays from stdin, one number of milliseconds a line; prints `ready` once it listens.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';

const [listenIp, listenPort, targetIp, targetPort] = process.argv.slice(2);
let delayMs = 0;
const front = createSocket('udp4');
const upstream = new Map<string, Socket>();

function upstreamFor(client: RemoteInfo): Socket {
  const key = `${client.address}:${client.port}`;
  let socket = upstream.get(key);
  if (!socket) {
    socket = createSocket('udp4');
    socket.on('message', (message) => front.send(message, client.port, client.address));
    socket.bind(0, listenIp);
    upstream.set(key, socket);
  }
  return socket;
}

front.on('message', (message, client) => {
  const socket = upstreamFor(client);
  const send = () => socket.send(message, Number(targetPort), targetIp);
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const value = Number(line.trim());
  if (Number.isFinite(value) && value >= 0) delayMs = value;
  console.log(`delay ${delayMs}`);
});
// The test's end closes stdin: so does the line.
process.stdin.on('end', () => process.exit(0));

front.bind(Number(listenPort), listenIp, () => console.log('ready'));
