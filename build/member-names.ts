/**
 * Which members the minifier renames (terser, build/terser-pass.ts): the packages' `_likeThis` ones, and ours
 * that never leave the bundle; and the checks that keep a renamed member from being read by its old name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseSync, Visitor, type Plugin } from 'vite';
import { sourceFile } from './stand-ins.js';

/**
 * Internal members renamed across the whole bundle and its chunks like local names (build/terser-pass.ts):
 * socket.io-client and engine.io-client name theirs `_likeThis` (58 of them, some 20 characters long); they
 * never reach the wire or our code: 0.3 KB gzip. `_$…` is Lit's cross-version protocol and `__proto__`-like
 * names are the language's, so only `_` + letter.
 */
export const MANGLED = /^_[a-zA-Z]/;
/**
 * Members the minifier must leave alone because some bundled module reaches them through a quoted name, which
 * it does not rename (socket.io-client's socket.js: `this.io["_reconnecting"]`, `this.io["_destroy"]`).
 * quotedNamesKeptWhole() fails the build on any other such name.
 */
export const QUOTED = ['_reconnecting', '_destroy'];

/**
 * Our own members that never leave the bundle, renamed too (compressAgain): a member of a class or interface in
 * src/ keeps its name when anything outside the bundle may read or write it by that name, and is renamed
 * otherwise (0.6 KB gzip). Kept:
 *
 * - names that the platform or a bundled package declares (TypeScript's DOM and ES libraries, the packages'
 *   type declarations): whatever the bundle hands to them or gets from them, `getStats()` reports included;
 * - the names of the element's public surface (PUBLIC_TYPES) and of every type reachable from it, wherever
 *   that type is declared (an event's detail may be a type of the core): found by the type checker;
 * - names declared in the wire protocol (WIRE, its schemas' keys too) and in EXTERNAL_SHAPES, our files whose
 *   data crosses the bundle's edge without going through the element: the browser's statistics reports, what
 *   is kept in localStorage;
 * - names that any bundled module holds as a string (`obj["name"]`, `"name" in obj`, a key built from a list of
 *   strings), found while bundling; the part built apart fails its build instead (it is built after the list).
 *
 * The bundle exports nothing (src/script-tag.ts), so nothing else reaches its objects by name. The package
 * (dist/lib) is tsc's output and keeps every name.
 */
const EXTERNAL_SHAPES = ['core/rtc-stats', 'core/devices'];
/** The wire protocol: its schemas are objects, whose keys are the wire's names. */
const WIRE = 'protocol/protocol';
/** The files whose exports make the element's surface: the element itself, its events, its context. */
const PUBLIC_TYPES = ['call-widget', 'events', 'call-context'];
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
        // `constructor(private readonly provider: …)`: a member too.
        (ts.isParameter(node) && ts.isParameterPropertyDeclaration(node, node.parent)) ||
        (keys && (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)));
      if (member && named.name && ts.isIdentifier(named.name)) names.add(named.name.text);
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  }
  return names;
}

/**
 * Every property name of the exports of `files` (for a class, its instances' public members) and of the types
 * reachable from them: their properties' types, functions' parameters and results, type arguments, union
 * members. Types declared outside src/ (the DOM's, Lit's) are not walked: their names are kept anyway.
 */
function publicSurface(files: string[], src: string): Set<string> {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    experimentalDecorators: true,
    useDefineForClassFields: false,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const names = new Set<string>();
  const seen = new Set<ts.Type>();
  const ours = (declaration: ts.Node | undefined) => !!declaration && declaration.getSourceFile().fileName.startsWith(src.replaceAll('\\', '/'));
  const hidden = (declaration: ts.Declaration) => (ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
  const walk = (type: ts.Type): void => {
    if (seen.has(type)) return;
    seen.add(type);
    if (type.isUnionOrIntersection()) return type.types.forEach(walk);
    const symbol = type.aliasSymbol ?? type.getSymbol();
    if (symbol && !symbol.declarations?.some(ours) && !(type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Anonymous)) {
      // A type of the platform or a package (MediaStream, Promise, Array): only its type arguments can be ours.
      if (type.flags & ts.TypeFlags.Object) checker.getTypeArguments(type as ts.TypeReference).forEach(walk);
      return;
    }
    for (const property of type.getProperties()) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration || hidden(declaration) || property.name.startsWith('#')) continue;
      names.add(property.name);
      walk(checker.getTypeOfSymbolAtLocation(property, declaration));
    }
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const parameter of signature.getParameters()) walk(checker.getTypeOfSymbolAtLocation(parameter, parameter.valueDeclaration!));
      walk(signature.getReturnType());
    }
    if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) checker.getTypeArguments(type as ts.TypeReference).forEach(walk);
  };
  for (const file of files) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
    for (const exported of module ? checker.getExportsOfModule(module) : []) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      if (!declaration) continue;
      walk(checker.getDeclaredTypeOfSymbol(symbol));
      walk(checker.getTypeOfSymbolAtLocation(symbol, declaration));
    }
  }
  return names;
}

/** What TypeScript's libraries and the given packages declare: read once per process (tests build many times). */
const declaredBy = new Map<string, Set<string>>();
function platformAndPackageMembers(modules: string, packages = DECLARING_PACKAGES): Set<string> {
  const key = packages.join(' ');
  let names = declaredBy.get(key);
  if (!names) {
    names = new Set([
      ...declaredMembers(filesUnder(join(modules, 'typescript/lib'), 'd.ts').filter((file) => /[\\/]lib\.[\w.]+\.d\.ts$/.test(file))),
      ...declaredMembers(packages.flatMap((name) => filesUnder(join(modules, name), 'd.ts'))),
    ]);
    declaredBy.set(key, names);
  }
  return names;
}

/**
 * Members of socket.io-client's and engine.io-client's classes renamed like ours (0.25 KB gzip): their own
 * methods and state, which nothing outside the bundle reaches either, as the bundle exports nothing and the
 * widget hands its Socket.IO objects to no one. Named one by one rather than found, because the packages
 * declare the wire's shapes as members too (the handshake's `sid` and `pingInterval`, a packet's `nsp`), and
 * those must keep their names. The build fails on a name the packages no longer declare; one that the
 * platform or Lit declares too, that crosses the bundle's edge through our code (a callback of our public
 * surface named `onError`), or that a bundled module holds as a string, keeps its name.
 */
export const PACKAGE_INTERNAL = [
  // @socket.io/component-emitter
  'emitReserved', 'hasListeners',
  // socket.io-client: Manager, Socket
  'skipReconnect', 'maybeReconnectOnOpen', 'onreconnect', 'ondecoded', 'ondata', 'onping', 'cleanup', 'backoff',
  'reconnectionAttempts', 'reconnectionDelay', 'reconnectionDelayMax', 'randomizationFactor',
  'receiveBuffer', 'sendBuffer', 'subEvents', 'notifyOutgoingListeners', 'emitEvent', 'emitBuffered', 'onpacket', 'onevent', 'onack',
  'subs', 'acks', 'ids', 'engine', 'encoder', 'decoder',
  // engine.io-client: Socket, and the timers it installs on itself and its transports
  'setTransport', 'createTransport', 'onHandshake', 'priorWebsocketSuccess', 'setTimeoutFn', 'clearTimeoutFn',
  // engine.io-client: Transport, which the WebSocket and the long-polling part (built apart, same names) extend
  'onOpen', 'onClose', 'onData', 'onPacket', 'onError', 'supportsBinary', 'doOpen', 'doClose', 'doWrite',
];
const SOCKET_IO_PACKAGES = ['socket.io-client', 'engine.io-client', '@socket.io/component-emitter'];

function packageInternalMembers(modules: string): string[] {
  const declared = platformAndPackageMembers(modules, SOCKET_IO_PACKAGES);
  const stale = PACKAGE_INTERNAL.filter((name) => !declared.has(name));
  if (stale.length > 0) throw new Error(`PACKAGE_INTERNAL in build/member-names.ts: the packages no longer declare ${stale.join(', ')}: check the list against them`);
  const elsewhere = platformAndPackageMembers(modules, DECLARING_PACKAGES.filter((name) => !SOCKET_IO_PACKAGES.includes(name)));
  return PACKAGE_INTERNAL.filter((name) => !elsewhere.has(name));
}

const filesUnder = (dir: string, suffix: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith(suffix)).map((name) => join(dir, name)) : [];

/** The words that `code` holds between quotes: names it may reach members by. */
const quotedWords = (code: string): string[] => [...code.matchAll(/["'`]([A-Za-z_$][\w$]*)["'`]/g)].map((match) => match[1]!);

/**
 * Our members that may be renamed as far as src/ tells (before the strings of the bundled modules are known):
 * computed again only when a file of src/ changed, as tests build many times in one process.
 */
let candidates: { key: string; names: string[] } | undefined;
function renamableMembers(src: string, modules: string): string[] {
  const files = filesUnder(src, '.ts');
  const key = files.map((file) => `${file}:${statSync(file).mtimeMs}`).join('\n');
  if (candidates?.key !== key) {
    // What crosses the bundle's edge through our own code: kept whoever declares it, the packages' internals too.
    const crossing = new Set([
      ...declaredMembers(EXTERNAL_SHAPES.map(sourceFile)),
      ...declaredMembers([sourceFile(WIRE)], true),
      ...publicSurface(PUBLIC_TYPES.map(sourceFile), src),
    ]);
    const kept = new Set([...platformAndPackageMembers(modules), ...crossing]);
    const ours = [...declaredMembers(files)].filter((name) => !kept.has(name) && !name.startsWith('_'));
    candidates = { key, names: [...new Set([...ours, ...packageInternalMembers(modules).filter((name) => !crossing.has(name))])] };
  }
  return candidates.names;
}

/** The build's list of renamed members of ours: `names.internal`, filled by buildEnd, read by compressAgain. */
export function internalMembersRenamed(names: NameCache): Plugin {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const modules = fileURLToPath(new URL('../node_modules/', import.meta.url));
  const strings = new Set<string>();
  return {
    name: 'call-widget:internal-members-renamed',
    apply: 'build',
    buildStart() {
      names.internal = renamableMembers(src, modules);
      strings.clear();
    },
    transform(code, id) {
      if (/\.[cm]?[jt]s$/.test(id.split('?')[0]!)) for (const word of quotedWords(code)) strings.add(word);
      return null;
    },
    buildEnd() {
      names.internal = names.internal.filter((name) => !strings.has(name));
    },
  };
}

/** For a part built apart, after the list is made: a string that names a renamed member fails its build. */
export function internalMembersUnquoted(names: NameCache): Plugin {
  return {
    name: 'call-widget:internal-members-unquoted',
    apply: 'build',
    transform(code, id) {
      const hit = quotedWords(code).find((word) => names.internal.includes(word));
      if (hit) this.error(`${id} holds "${hit}" as a string, a member the bundle renames (internalMembersRenamed in build/member-names.ts)`);
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
export function quotedNamesKeptWhole({ warnStale = true } = {}): Plugin {
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
          `a quoted name of a member the minifier renames (MANGLED in build/member-names.ts); read it as \`obj._name\`, or add it to QUOTED:\n  ${found.join('\n  ')}`,
        );
      }
      const stale = QUOTED.filter((name) => !quoted.has(name));
      if (warnStale && stale.length > 0) this.warn(`QUOTED in build/member-names.ts: nothing bundled reads ${stale.join(', ')} by a quoted name any more`);
    },
  };
}

/**
 * terser's name cache (its `props` map), shared by every output of one build, and our members it renames
 * (internalMembersRenamed).
 */
export interface NameCache {
  cache: Record<string, unknown>;
  internal: string[];
}
