import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import minifyHTMLLiterals from '@lit-labs/rollup-plugin-minify-html-literals';
import MagicString from 'magic-string';
import { minify as terser } from 'terser';
import ts from 'typescript';
import { build, defineConfig, parseSync, Visitor, type Plugin } from 'vite';

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
function onlyTheTransportsUsed(): Plugin {
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
function textOnlyEngineIoPackets(): Plugin {
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
function platformUriParser(): Plugin {
  const parser = /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]contrib[\\/]parseuri\.js$/;
  return standIn('platform-uri-parser', parser, 1, () => `export { parse } from ${ours('transport/engine-io-uri')};`);
}

/**
 * socket.io-parser by src/transport/socket-io-text-parser.ts, the same wire format for text packets, checked
 * against socket.io-parser in test/server/socket-io-text-parser.test.ts: the binary support of the original
 * (1.2 KB gzip) stays out. The widget uses socket.io-client's default parser, so this is the one it runs in the
 * bundle (Node and the unbundled tests run socket.io-parser itself).
 */
function textOnlySocketIoParser(): Plugin {
  const parser = /[\\/]socket\.io-parser[\\/]build[\\/]esm[\\/]index\.js$/;
  return standIn('text-only-socket-io-parser', parser, 1, () => `export * from ${ours('transport/socket-io-text-parser')};`);
}

/**
 * valibot by src/protocol/valibot-subset.ts: the 18 functions protocol.ts builds its schemas from, with the same
 * results and messages for what `parse()` reads (checked against valibot on every schema of the protocol in
 * test/server/valibot-subset.test.ts), and none of valibot's generality (async, i18n, defaults, Standard Schema):
 * 1.2 KB gzip. The server keeps valibot itself.
 */
function valibotSubset(): Plugin {
  const valibot = /[\\/]valibot[\\/]dist[\\/]index\.mjs$/;
  return standIn('valibot-subset', valibot, 1, () => `export * from ${ours('protocol/valibot-subset')};`);
}

/** The path of one of our stand-ins, as a string literal for generated code. */
const ours = (name: string) => JSON.stringify(fileURLToPath(new URL(`src/${name}.ts`, import.meta.url)));

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
          'the package has changed, so check the stand-in against it and update the pattern (vite.config.ts)',
      );
    },
  };
}

/**
 * Members of the bundled packages' classes that the widget never reaches, left out of the bundle (a class's
 * methods stay in whole otherwise: a minifier cannot know that nobody calls one):
 *
 * - socket.io-client's `Socket`: the catch-all listeners (`onAny`, `onAnyOutgoing` and their kin) and the
 *   `volatile` and `compress` flags. The widget listens by event name, never sends volatile packets and leaves
 *   compression to the default. What is left of the
 *   catch-alls (the lists they would fill, always empty) runs as before. And the queue of packets to retry
 *   (`_addToQueue`, `_drainQueue`), which only the `retries` option fills: the widget resends what matters
 *   itself, across reconnects (src/core/signaling-client.ts); their bodies go, the calls stay.
 * - engine.io-client's `Socket`: the probe that upgrades a long-polling connection to WebSocket (`_probe`).
 *   The widget opens WebSocket first and polls only where that failed (src/transport/polling-on-demand.ts),
 *   and it turns upgrades off (`upgrade: false`, src/core/signaling-client.ts), under which the probe never
 *   runs; its body goes, the call that `upgrade: true` would make stays harmless. So does the list of upgrades
 *   the server offers (`_filterUpgrades`), which only the probe reads.
 *
 * The build fails when a listed member is not found (the package changed) or when another bundled module
 * names a removed one (test/server/stand-ins.test.ts shows both). Node (tests, benches) keeps the whole classes.
 */
const LEFT_OUT: Array<{ module: RegExp; className: string; removed: string[]; emptied: string[] }> = [
  {
    module: /[\\/]socket\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/,
    className: 'Socket',
    removed: ['onAny', 'prependAny', 'offAny', 'listenersAny', 'onAnyOutgoing', 'prependAnyOutgoing', 'offAnyOutgoing', 'listenersAnyOutgoing', 'volatile', 'compress'],
    emptied: ['_addToQueue', '_drainQueue'],
  },
  {
    module: /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/,
    className: 'Socket',
    removed: [],
    emptied: ['_probe', '_filterUpgrades'],
  },
];

/** The removed members that are getters: read without a call. */
const GETTERS = ['volatile'];

function unusedMembersLeftOut(): Plugin {
  const removedNames = LEFT_OUT.flatMap((entry) => entry.removed).join('|');
  // A method is used by a call (`.compress(`: other modules read `options.compress`, a plain field), a getter by
  // any read; either by a quoted name.
  const named = new RegExp(`\\.\\s*(${removedNames})\\s*\\(|\\.\\s*(${GETTERS.join('|')})\\b|["'\`](${removedNames})["'\`]`);
  const done = new Set<RegExp>();
  return {
    name: 'call-widget:unused-members-left-out',
    apply: 'build',
    buildStart() {
      done.clear();
    },
    transform(code, id) {
      const file = id.split('?')[0]!;
      const entry = LEFT_OUT.find((candidate) => candidate.module.test(file));
      if (!entry) {
        const use = /\.[cm]?[jt]s$/.test(file) ? named.exec(code) : null;
        if (use) this.error(`${file} uses ${use[1] ?? use[2] ?? use[3]}, which the build leaves out of its package (LEFT_OUT in vite.config.ts)`);
        return null;
      }
      const out = new MagicString(code);
      const members = new Map<string, { start: number; end: number; body?: { start: number; end: number } }>();
      new Visitor({
        ClassDeclaration: (node) => {
          if (node.id?.name !== entry.className) return;
          for (const member of node.body.body) {
            if ((member.type === 'MethodDefinition' || member.type === 'PropertyDefinition') && member.key.type === 'Identifier') {
              const body = member.type === 'MethodDefinition' ? member.value.body : null;
              members.set(member.key.name, { start: member.start, end: member.end, ...(body && { body: { start: body.start, end: body.end } }) });
            }
          }
        },
      }).visit(parseSync(file, code).program);
      const missing = [...entry.removed, ...entry.emptied].filter((name) => !members.has(name));
      if (missing.length > 0) this.error(`${file}: class ${entry.className} has no ${missing.join(', ')} any more: check LEFT_OUT in vite.config.ts against the package`);
      for (const name of entry.removed) out.remove(members.get(name)!.start, members.get(name)!.end);
      for (const name of entry.emptied) out.overwrite(members.get(name)!.body!.start, members.get(name)!.body!.end, '{}');
      done.add(entry.module);
      return { code: out.toString(), map: out.generateMap({ hires: true, source: file }) };
    },
    buildEnd(error) {
      const skipped = LEFT_OUT.filter((entry) => !done.has(entry.module));
      if (!error && skipped.length > 0) this.error(`LEFT_OUT in vite.config.ts: ${skipped.map((entry) => entry.module).join(', ')} not bundled: the package has changed`);
    },
  };
}

/**
 * Modules treated as free of side effects (`treeshake.moduleSideEffects` below). Each one's top-level code only
 * serves exports the widget does not import, so without this their unused parts would stay in the bundle.
 */
const SIDE_EFFECT_FREE = [
  // engine.io-client's XHR polling transport (see onlyTheTransportsUsed): engine.io-client's index still
  // re-exports it; its module-level `pagehide` listener aborts pending XHRs, of which there are none, and its
  // probe `XMLHttpRequest` is for XHR only.
  /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]polling-xhr\.js$/,
  // socket.io-client's entry, whose `Object.assign(io, { Manager, Socket, io, connect })` makes `io.connect()`
  // work. The widget builds its Manager itself (src/core/signaling-client.ts), so `io`, its URL parser and its
  // cache of Managers go.
  /[\\/]socket\.io-client[\\/]build[\\/]esm[\\/]index\.js$/,
];

/**
 * Internal members renamed across the whole bundle and its chunks like local names (compressAgain below): socket.io-client and
 * engine.io-client name theirs `_likeThis` (58 of them, some 20 characters long); they never reach the wire or
 * our code: 0.3 KB gzip. `_$…` is Lit's cross-version protocol and `__proto__`-like names are the language's,
 * so only `_` + letter.
 */
const MANGLED = /^_[a-zA-Z]/;
/**
 * Members the minifier must leave alone because some bundled module reaches them through a quoted name, which
 * it does not rename (socket.io-client's socket.js: `this.io["_reconnecting"]`, `this.io["_destroy"]`).
 * quotedNamesKeptWhole() fails the build on any other such name.
 */
const QUOTED = ['_reconnecting', '_destroy'];

/**
 * Our own members that never leave the bundle, renamed too (compressAgain): a member of a class or interface in
 * src/ keeps its name when anything outside the bundle may read or write it by that name, and is renamed
 * otherwise (0.4 KB gzip). Kept:
 *
 * - names that the platform or a bundled package declares (TypeScript's DOM and ES libraries, the packages'
 *   type declarations): whatever the bundle hands to them or gets from them, `getStats()` reports included;
 * - names declared in EXTERNAL_SHAPES, our files whose types cross the bundle's edge: the wire protocol, the
 *   element's API, its events and context, the ICE summary, what is kept in localStorage and IndexedDB;
 * - names that any bundled module holds as a string (`obj["name"]`, `"name" in obj`, a key built from a list of
 *   strings), found while bundling; the part built apart fails its build instead (it is built after the list).
 *
 * The bundle exports nothing (src/script-tag.ts), so nothing else reaches its objects by name. The package
 * (dist/lib) is tsc's output and keeps every name.
 */
const EXTERNAL_SHAPES = [
  'protocol/protocol',
  'events',
  'call-context',
  'call-widget',
  'core/ice-diagnostics',
  'core/devices',
  'core/local-media',
  'core/session-options',
  'core/rtc-stats',
  'core/dtls-certificate',
];
const DECLARING_PACKAGES = ['lit', 'lit-html', 'lit-element', '@lit/reactive-element', '@lit/context', 'socket.io-client', 'engine.io-client', 'socket.io-parser', '@socket.io/component-emitter', 'engine.io-parser', 'valibot'];

/**
 * The member names that classes, interfaces and type literals of `files` declare; with `keys`, object literals'
 * keys too (the protocol's schemas are objects: `v.object({ resumed: v.boolean() })`).
 */
function declaredMembers(files: string[], keys = false): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      const named = node as ts.Node & { name?: ts.Node };
      const member =
        ts.isPropertyDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isPropertySignature(node) ||
        ts.isMethodSignature(node) ||
        (keys && (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)));
      if (member && named.name && ts.isIdentifier(named.name)) names.add(named.name.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  }
  return names;
}

const filesUnder = (dir: string, suffix: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith(suffix)).map((name) => join(dir, name)) : [];

/** The build's list of renamed members of ours: `names.internal`, filled by buildEnd, read by compressAgain. */
function internalMembersRenamed(names: NameCache): Plugin {
  const src = fileURLToPath(new URL('src/', import.meta.url));
  const modules = fileURLToPath(new URL('node_modules/', import.meta.url));
  let kept = new Set<string>();
  let strings = new Set<string>();
  return {
    name: 'call-widget:internal-members-renamed',
    apply: 'build',
    buildStart() {
      const declared = declaredMembers(filesUnder(src, '.ts'));
      kept = new Set([
        ...declaredMembers(filesUnder(join(modules, 'typescript/lib'), 'd.ts').filter((file) => /[\\/]lib\.[\w.]+\.d\.ts$/.test(file))),
        ...declaredMembers(DECLARING_PACKAGES.flatMap((name) => filesUnder(join(modules, name), 'd.ts'))),
        ...declaredMembers(EXTERNAL_SHAPES.map((name) => JSON.parse(ours(name)) as string)),
        // The protocol's schemas are objects, whose keys are the wire's names.
        ...declaredMembers([JSON.parse(ours('protocol/protocol')) as string], true),
      ]);
      names.internal = [...declared].filter((name) => !kept.has(name) && !name.startsWith('_'));
      strings = new Set();
    },
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (!/\.[cm]?[jt]s$/.test(file)) return null;
      for (const match of code.matchAll(/["'`]([A-Za-z_$][\w$]*)["'`]/g)) strings.add(match[1]!);
      return null;
    },
    buildEnd() {
      names.internal = names.internal.filter((name) => !strings.has(name));
    },
  };
}

/** For a part built apart, after the list is made: a string that names a renamed member fails its build. */
function internalMembersUnquoted(names: NameCache): Plugin {
  return {
    name: 'call-widget:internal-members-unquoted',
    apply: 'build',
    transform(code, id) {
      const hit = [...code.matchAll(/["'`]([A-Za-z_$][\w$]*)["'`]/g)].find((match) => names.internal.includes(match[1]!));
      if (hit) this.error(`${id} holds "${hit[1]}" as a string, a member the bundle renames (internalMembersRenamed in vite.config.ts)`);
      return null;
    },
  };
}

/**
 * Fails the build when a bundled module (ours or a package's) holds a string that is a mangled member's name,
 * as in `obj["_name"]`, `"_name" in obj`, `{ "_name": 1 }` or `const key = "_name"`: the minifier renames
 * `obj._name` and leaves the string, so the two no longer meet, silently. Such a name goes into QUOTED, or the
 * code reads it as `obj._name`. It also warns about a QUOTED name nothing reads by a string any more (not in a
 * part built apart, which holds only some of the packages).
 * test/server/mangle-props.test.ts shows it failing.
 */
function quotedNamesKeptWhole({ warnStale = true } = {}): Plugin {
  const found: string[] = [];
  const quoted = new Set<string>();
  return {
    name: 'call-widget:quoted-names-kept-whole',
    apply: 'build',
    // Before TypeScript is stripped, so that lines are the source's.
    enforce: 'pre',
    buildStart() {
      found.length = 0;
      quoted.clear();
    },
    transform(code, id) {
      if (!/\.[cm]?[jt]s$/.test(id.split('?')[0]!) || !code.includes('_')) return null;
      const lineOf = (offset: number) => code.slice(0, offset).split('\n').length;
      // Types, not values: nothing at run time reads by a name in them.
      const types: { start: number; end: number }[] = [];
      const type = (node: { start: number; end: number }) => void types.push(node);
      const check = (name: string, offset: number) => {
        if (!MANGLED.test(name) || !/^[\w$]+$/.test(name)) return;
        if (types.some(({ start, end }) => start <= offset && offset < end)) return;
        if (QUOTED.includes(name)) quoted.add(name);
        else found.push(`${id}:${lineOf(offset)}: "${name}"`);
      };
      new Visitor({
        Literal: (node) => void (typeof node.value === 'string' && check(node.value, node.start)),
        TemplateLiteral: (node) => void (node.expressions.length === 0 && check(node.quasis[0]!.value.cooked ?? '', node.start)),
        TSTypeAnnotation: type,
        TSTypeAliasDeclaration: type,
        TSInterfaceDeclaration: type,
        TSTypeParameterInstantiation: type,
      }).visit(parseSync(id.split('?')[0]!, code).program);
      return null;
    },
    buildEnd(error) {
      if (error) return;
      if (found.length > 0) {
        this.error(
          `a quoted name of a member the minifier renames (mangleProps in vite.config.ts); read it as \`obj._name\`, or add it to QUOTED:\n  ${found.join('\n  ')}`,
        );
      }
      const stale = QUOTED.filter((name) => !quoted.has(name));
      if (warnStale && stale.length > 0) this.warn(`QUOTED in vite.config.ts: nothing bundled reads ${stale.join(', ')} by a quoted name any more`);
    },
  };
}

/**
 * terser over each chunk once the bundler's own minifier (oxc) is done (`generateBundle`), for two things:
 *
 * - Another compression pass: together they find more (conditions and returns to merge) than oxc alone, and
 *   terser drops what oxc leaves of unused valibot schemas (their arguments, as oxc keeps a call's arguments
 *   that are calls themselves): 0.2 KB gzip.
 * - The members named `_likeThis` renamed (MANGLED, QUOTED). oxc can rename members only in a build of one
 *   chunk, and the widget has parts it loads on demand whose code reads members of objects made by the bundle
 *   (long-polling reads its socket's `_cookieJar`); one name cache for the bundle, its chunks and the parts
 *   built apart (`names`, emptied when a build starts) gives a member the same short name in each.
 *
 * terser composes its source map with the chunk's, so dist's map still points at src/.
 */
/** The members terser renames: the `_likeThis` ones and ours that never leave the bundle. */
const renamed = (names: NameCache) => new RegExp(`${MANGLED.source}|^(${names.internal.join('|') || '(?!)'})$`);

function compressAgain(names: NameCache): Plugin {
  return {
    name: 'call-widget:compress-again',
    apply: 'build',
    async generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        // The chunk's source map: an asset beside it by now when the build writes files, on the chunk otherwise.
        const asset = bundle[`${chunk.fileName}.map`];
        const map = asset?.type === 'asset' ? String(asset.source) : chunk.map?.toString();
        const result = await terser(chunk.code, {
          module: true,
          ecma: 2020,
          compress: { passes: 2 },
          mangle: { properties: { regex: renamed(names), reserved: QUOTED } },
          nameCache: names.cache,
          format: { comments: /^!/ },
          sourceMap: map ? { content: map, url: `${chunk.fileName}.map` } : false,
        });
        chunk.code = result.code!;
        if (asset?.type === 'asset') asset.source = String(result.map);
        else if (chunk.map && result.map) Object.assign(chunk.map, JSON.parse(String(result.map)));
      }
    },
  };
}

/**
 * terser's name cache (its `props` map), shared by every output of one build, and our members it renames
 * (internalMembersRenamed).
 */
interface NameCache {
  cache: Record<string, unknown>;
  internal: string[];
}

/**
 * Parts loaded on demand that extend classes of the bundle's packages (long-polling is an engine.io-client
 * `Transport`, as the bundle's WebSocket is): as chunks they would import those from the bundle, which
 * selfContainedChunks refuses. Each is bundled apart instead, with its own copy of what it shares (engine.io's
 * Transport, the packet codec, the emitter: objects the bundle's code only calls methods of), and emitted beside
 * the bundle under the given name; the bundle's `import()` of the module becomes that relative URL.
 */
const BUILT_APART: Record<string, string> = { 'transport/long-polling': 'call-widget-long-polling.js' };

function builtApart(names: NameCache): Plugin {
  const files = new Map(Object.entries(BUILT_APART).map(([name, file]) => [JSON.parse(ours(name)) as string, file]));
  return {
    name: 'call-widget:built-apart',
    apply: 'build',
    enforce: 'pre',
    buildStart() {
      names.cache = {};
    },
    async resolveId(source, importer, options) {
      if (!importer || files.has(importer)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const file = resolved && files.get(resolved.id);
      return file ? { id: `./${file}`, external: true } : null;
    },
    async generateBundle() {
      for (const [entry, file] of files) {
        const output = await build({
          configFile: false,
          logLevel: 'warn',
          plugins: [textOnlyEngineIoPackets(), quotedNamesKeptWhole({ warnStale: false }), internalMembersUnquoted(names), compressAgain(names)],
          build: {
            write: false,
            target: 'es2022',
            sourcemap: true,
            lib: { entry, formats: ['es'], fileName: () => file },
            rolldownOptions: {
              // Only the exports are wanted: a package module's top-level work (engine.io's `offline` listener)
              // is the bundle's to do.
              treeshake: { moduleSideEffects: (id) => !id.includes('node_modules') },
              output: { minify: { compress: true, mangle: true, codegen: true }, comments: false, postBanner: POLLING_BANNER },
            },
          },
        });
        const chunks = [output].flat().flatMap((result) => ('output' in result ? result.output : []));
        for (const chunk of chunks) {
          if (chunk.type === 'chunk') this.emitFile({ type: 'asset', fileName: chunk.fileName, source: chunk.code });
          if (chunk.type === 'chunk' && chunk.map) this.emitFile({ type: 'asset', fileName: `${chunk.fileName}.map`, source: chunk.map.toString() });
        }
      }
    },
  };
}

/**
 * Fails the build when a chunk loaded on demand (an `import()` in src/) imports anything at run time: what it
 * needs of the bundle is passed to it as arguments. Otherwise the bundler would split what the two share into
 * more files, which the bundle would have to load before anything runs; and a chunk's `import "./call-widget.js"`
 * would load a second copy of the widget on a page that loaded the bundle under another URL (a `?v=2` query).
 */
function selfContainedChunks(): Plugin {
  return {
    name: 'call-widget:self-contained-chunks',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || chunk.isEntry) continue;
        const imports = [...chunk.imports, ...chunk.dynamicImports];
        if (imports.length > 0) {
          this.error(`${chunk.fileName}, loaded on demand, imports ${imports.join(', ')}: pass what it needs of the bundle to it instead`);
        }
      }
    },
  };
}

/**
 * Minifying drops the licence comments of what is bundled; their licences ask for the notice to travel with the
 * code, so one line in each file names what it holds (socket.io-parser and valibot are not: stand-ins replace
 * them whole). The chunks of our own code carry only ours.
 */
const BANNER =
  '/*! call-widget (MIT). Bundles Lit (BSD-3-Clause, Google LLC), socket.io-client, engine.io-client, engine.io-parser, @socket.io/component-emitter (MIT, Guillermo Rauch and contributors) */';
const POLLING_BANNER =
  '/*! call-widget (MIT). Bundles engine.io-client, engine.io-parser, @socket.io/component-emitter (MIT, Guillermo Rauch and contributors) */';
const OWN_BANNER = '/*! call-widget (MIT) */';

const names: NameCache = { cache: {}, internal: [] };

/**
 * `npm run build`: one self-contained ES module, `dist/call-widget.js`, with Lit and socket.io-client inside,
 * so a site owner needs a single script tag and nothing else.
 */
export default defineConfig({
  plugins: [
    onlyTheTransportsUsed(),
    textOnlyEngineIoPackets(),
    platformUriParser(),
    textOnlySocketIoParser(),
    valibotSubset(),
    internalMembersRenamed(names),
    unusedMembersLeftOut(),
    quotedNamesKeptWhole(),
    // The whitespace, comments and quotes of our `html` and `css` templates go (Lit's own plugin: lightningcss
    // for the styles, html-minifier-next for the markup), which the JS minifier leaves in template literals.
    minifyHTMLLiterals({ include: ['src/**/*.ts'], failOnError: true }),
    builtApart(names),
    compressAgain(names),
    selfContainedChunks(),
  ],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    rolldownOptions: {
      treeshake: {
        // Modules whose only top-level side effects serve exports the widget does not use; marked free of them,
        // what of them is unused drops out like any unused code.
        moduleSideEffects: (id) => !SIDE_EFFECT_FREE.some((module) => module.test(id)),
      },
      output: {
        // The parts loaded on demand (selfContainedChunks), each a file beside the bundle named for what it holds.
        chunkFileNames: 'call-widget-[name].js',
        // Library mode leaves ES output unminified (whitespace, names) by default; this file ships to every
        // visitor as is, so the bundler's own minifier is switched on for it.
        minify: {
          compress: true,
          mangle: true,
          codegen: true,
          // Members named `_likeThis` are renamed by terser, across chunks (compressAgain).
        },
        // No comments but the `@__PURE__` / `@__NO_SIDE_EFFECTS__` annotations, for terser (compressAgain), which
        // runs before the bundler's minifier and drops what they mark as unused (schemas the client does not
        // read, src/protocol/protocol.ts); terser leaves them out of its output (0.2 KB gzip). There are no
        // license comments to keep: none survive minification anyway.
        comments: false,
        postBanner: (chunk) => (chunk.isEntry ? BANNER : OWN_BANNER),
      },
    },
    lib: {
      entry: 'src/script-tag.ts',
      formats: ['es'],
      fileName: () => 'call-widget.js',
    },
  },
});
