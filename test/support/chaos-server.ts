/**
 * The reference server with a hostile relay, for the test that candidates survive delay and reordering:
 * every description is held back 400 ms, every candidate by a random 0-150 ms, so candidates routinely
 * overtake the description they belong to and each other.
 *
 * It can also cut one widget's signaling link from the server side, for the tests of a lost link. A widget
 * whose `signaling-url` carries `?link=<name>` is known by that name. A handshake request (any request to
 * `/socket.io/` without a session) carrying `cut=<name>` closes that widget's connections without a goodbye,
 * so its client sees the transport close and keeps reconnecting, and refuses its new handshakes as an
 * unreachable server would; one carrying `mend=<name>` lets them through again. Places are held for a
 * participant whose link dropped for RESUME_GRACE (2 s here), so a link cut for longer makes the peer hear
 * `peer-left`.
 */
import type { IncomingMessage } from 'node:http';
import { startCallServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

const loaded = loadConfig({ RESUME_GRACE: '2', ...process.env, ALLOWED_ORIGINS: '*' });
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));

const server = await startCallServer(loaded.config, {
  relay: (event, _payload, deliver) => {
    if (event === 'description') setTimeout(deliver, 400);
    else if (event === 'candidate') setTimeout(deliver, Math.random() * 150);
    else deliver();
  },
});

type AllowRequest = (request: IncomingMessage, callback: (message: string | null, success: boolean) => void) => void;
interface EngineSocket {
  request?: IncomingMessage | null;
  close(): void;
  once(event: 'close', listener: () => void): void;
}
const engine = server.io.engine as unknown as {
  opts: { allowRequest?: AllowRequest };
  on(event: 'connection', listener: (socket: EngineSocket) => void): void;
};
const query = (url: string | undefined) => new URL(url ?? '/', 'http://chaos').searchParams;
/** Open connections by link name, and the names whose link is cut. */
const links = new Map<EngineSocket, string>();
const cut = new Set<string>();
engine.on('connection', (socket) => {
  const link = query(socket.request?.url).get('link');
  if (!link) return;
  links.set(socket, link);
  socket.once('close', () => links.delete(socket));
});
const guard = engine.opts.allowRequest;
engine.opts.allowRequest = (request, callback) => {
  const params = query(request.url);
  const toCut = params.get('cut');
  const toMend = params.get('mend');
  if (toCut) {
    cut.add(toCut);
    for (const [socket, link] of links) if (link === toCut) socket.close();
    return callback('cut', false);
  }
  if (toMend) {
    cut.delete(toMend);
    return callback('mended', false);
  }
  if (cut.has(params.get('link') ?? '')) return callback('unreachable', false);
  if (guard) return guard(request, callback);
  callback(null, true);
};

console.log(`listening on ${server.url}`);
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
