/**
 * The bundle's stand-ins for parts of its packages (src/transport/, src/protocol/valibot-subset.ts), each
 * checked against the original by a test, and the package modules treated as free of side effects.
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/**
 * The Engine.IO transports the bundle holds: WebSocket only. socket.io-client reaches engine.io-client's
 * `transports/index.js`, which bundles three: WebSocket, long-polling over XMLHttpRequest and WebTransport.
 * This plugin serves that module with WebSocket alone:
 *
 * - WebTransport goes: the widget asks for `['websocket', 'polling']` only (src/core/signaling-client.ts) and
 *   engine.io never opens or upgrades to a transport the client did not list, so WebTransport, and the stream
 *   codec of engine.io-parser that only it uses, never run: 0.8 KB gzip.
 * - Long-polling is loaded on demand, once a WebSocket could not connect (src/transport/polling-on-demand.ts),
 *   from a file beside the bundle (BUILT_APART): 0.6 KB gzip that most visitors never need. It is
 *   engine.io-client's `Fetch`, its own `fetch()`-based transport (exported for this choice), instead of `XHR`:
 *   same Engine.IO protocol, 0.75 KB gzip less. Like XHR without `withCredentials` it sends no cookies
 *   (`credentials: 'omit'`), here not even to a same-origin server; nothing in this project relies on cookies
 *   (one server, no sticky sessions). `polling-xhr.js` is still imported by engine.io-client's index for its
 *   `XHR` export; it is marked free of side effects (SIDE_EFFECT_FREE below) so that the unused class goes.
 *
 * Should the widget ever list `webtransport`, or need XHR polling (cookies to its own origin, `extraHeaders`
 * that fetch cannot send), change this plugin. Node (tests, benches) does not use it: there socket.io-client
 * picks its own transports, polling included.
 */
export function onlyTheTransportsUsed(): Plugin {
  const transports = /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;
  // `websocket.node.js` is mapped to the browser file by the package's `browser` field, as for the original. An
  // object of its own, to which polling-on-demand.ts adds `polling` once loaded.
  return standIn('only-the-transports-used', transports, 1, () =>
    [`import { WS } from "./websocket.node.js";`, `export const transports = { websocket: WS };`].join('\n'),
  );
}

/**
 * engine.io-parser's packet codec for text only. Its browser `encodePacket.js` and `decodePacket.js` also
 * carry binary messages (Blob and ArrayBuffer, base64 over long-polling: a FileReader and a base64 table,
 * 0.55 KB gzip); Socket.IO sends binary frames only for binary attachments, which the widget's packet parser
 * neither makes nor accepts (src/transport/socket-io-text-parser.ts). Both modules are served from
 * src/transport/engine-io-text-packets.ts, the same wire format for text, checked against engine.io-parser in
 * test/server/engine-io-text-packets.test.ts. Node (tests, benches) keeps engine.io-parser's own.
 */
export function textOnlyEngineIoPackets(): Plugin {
  const codec = /[\\/]engine\.io-parser[\\/]build[\\/]esm[\\/](encode|decode)Packet\.browser\.js$/;
  return standIn('text-only-engine-io-packets', codec, 2, ([, which]) =>
    which === 'encode'
      ? `export { encodePacket, encodePacketToBinary } from ${ours('transport/engine-io-text-packets')};`
      : `export { decodePacket } from ${ours('transport/engine-io-text-packets')};`,
  );
}

/**
 * engine.io-client's URI parser (`contrib/parseuri.js`: a 14-group regular expression with IPv6 and path
 * helpers, 0.4 KB gzip) by the browser's URL parser, for the host, protocol, port and query that
 * engine.io-client reads of it: src/transport/engine-io-uri.ts, checked against the original in
 * test/server/engine-io-uri.test.ts.
 */
export function platformUriParser(): Plugin {
  const parser = /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]contrib[\\/]parseuri\.js$/;
  return standIn('platform-uri-parser', parser, 1, () => `export { parse } from ${ours('transport/engine-io-uri')};`);
}

/**
 * socket.io-parser by src/transport/socket-io-text-parser.ts, the same wire format for text packets, checked
 * against socket.io-parser in test/server/socket-io-text-parser.test.ts: the binary support of the original
 * (1.2 KB gzip) stays out. The widget uses socket.io-client's default parser, so this is the one it runs in the
 * bundle (Node and the unbundled tests run socket.io-parser itself).
 */
export function textOnlySocketIoParser(): Plugin {
  const parser = /[\\/]socket\.io-parser[\\/]build[\\/]esm[\\/]index\.js$/;
  return standIn('text-only-socket-io-parser', parser, 1, () => `export * from ${ours('transport/socket-io-text-parser')};`);
}

/**
 * valibot by src/protocol/valibot-subset.ts: the 18 functions protocol.ts builds its schemas from, with the same
 * results and messages for what `parse()` reads (checked against valibot on every schema of the protocol in
 * test/server/valibot-subset.test.ts), and none of valibot's generality (async, i18n, defaults, Standard Schema):
 * 1.2 KB gzip. The server keeps valibot itself.
 */
export function valibotSubset(): Plugin {
  const valibot = /[\\/]valibot[\\/]dist[\\/]index\.mjs$/;
  return standIn('valibot-subset', valibot, 1, () => `export * from ${ours('protocol/valibot-subset')};`);
}

/** The path of one of our modules (`name` under src/, without `.ts`). */
export const sourceFile = (name: string): string => fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url));
/** The same, as a string literal for generated code. */
export const ours = (name: string): string => JSON.stringify(sourceFile(name));

/**
 * Serves a module of ours in place of `count` modules of a package whose resolved ids match `original`. The
 * build fails when fewer were bundled: the package has changed (a file renamed or moved, or no longer imported),
 * and the stand-in would silently not apply, or no longer fit it. test/server/stand-ins.test.ts shows it failing.
 */
function standIn(name: string, original: RegExp, count: number, replacement: (match: RegExpExecArray) => string): Plugin {
  const applied = new Set<string>();
  return {
    name: `call-widget:${name}`,
    apply: 'build',
    buildStart() {
      applied.clear();
    },
    load(id) {
      const match = original.exec(id);
      if (!match) return null;
      applied.add(id);
      return replacement(match);
    },
    buildEnd(error) {
      // A build that failed already says why; this would only add noise.
      if (error || applied.size >= count) return;
      this.error(
        `${name}: ${count - applied.size} of the ${count} modules it stands in for were not bundled (${original}): ` +
          'the package has changed, so check the stand-in against it and update the pattern (build/stand-ins.ts)',
      );
    },
  };
}

/**
 * Modules treated as free of side effects (`treeshake.moduleSideEffects` in vite.config.ts). Each one's top-level code only
 * serves exports the widget does not import, so without this their unused parts would stay in the bundle.
 */
export const SIDE_EFFECT_FREE = [
  // engine.io-client's XHR polling transport (see onlyTheTransportsUsed): engine.io-client's index still
  // re-exports it; its module-level `pagehide` listener aborts pending XHRs, of which there are none, and its
  // probe `XMLHttpRequest` is for XHR only.
  /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]polling-xhr\.js$/,
  // socket.io-client's entry, whose `Object.assign(io, { Manager, Socket, io, connect })` makes `io.connect()`
  // work. The widget builds its Manager itself (src/core/signaling-client.ts), so `io`, its URL parser and its
  // cache of Managers go.
  /[\\/]socket\.io-client[\\/]build[\\/]esm[\\/]index\.js$/,
];
