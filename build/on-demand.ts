/** The parts of the widget loaded on demand, beside the bundle, and the licence line of each file. */
import { build, type Plugin } from 'vite';
import { internalMembersUnquoted, quotedNamesKeptWhole, type NameCache } from './member-names.js';
import { sourceFile, textOnlyEngineIoPackets } from './stand-ins.js';
import { compressAgain } from './terser-pass.js';

/**
 * Parts loaded on demand that extend classes of the bundle's packages (long-polling is an engine.io-client
 * `Transport`, as the bundle's WebSocket is): as chunks they would import those from the bundle, which
 * selfContainedChunks refuses. Each is bundled apart instead, with its own copy of what it shares (engine.io's
 * Transport, the packet codec, the emitter: objects the bundle's code only calls methods of), and emitted beside
 * the bundle under the given name; the bundle's `import()` of the module becomes that relative URL.
 */
const BUILT_APART: Record<string, string> = { 'transport/long-polling': 'call-widget-long-polling.js' };

export function builtApart(names: NameCache): Plugin {
  const files = new Map(Object.entries(BUILT_APART).map(([name, file]) => [sourceFile(name), file]));
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
              output: { minify: OXC_MINIFY, comments: false, postBanner: POLLING_BANNER },
            },
          },
        });
        const chunks = [output].flat().flatMap((result) => ('output' in result ? result.output : []));
        for (const chunk of chunks) {
          if (chunk.type !== 'chunk') continue;
          this.emitFile({ type: 'asset', fileName: chunk.fileName, source: chunk.code });
          if (chunk.map) this.emitFile({ type: 'asset', fileName: `${chunk.fileName}.map`, source: chunk.map.toString() });
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
export function selfContainedChunks(): Plugin {
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

/** The bundler's own minifier, for the bundle and the parts built apart alike. */
export const OXC_MINIFY = { compress: true, mangle: true, codegen: true };

/**
 * Minifying drops the licence comments of what is bundled; their licences ask for the notice to travel with the
 * code, so one line in each file names what it holds (socket.io-parser and valibot are not: stand-ins replace
 * them whole). The chunks of our own code carry only ours.
 */
export const BANNER =
  '/*! call-widget (MIT). Bundles Lit (BSD-3-Clause, Google LLC), socket.io-client, engine.io-client, engine.io-parser, @socket.io/component-emitter (MIT, Guillermo Rauch and contributors) */';
const POLLING_BANNER =
  '/*! call-widget (MIT). Bundles engine.io-client, engine.io-parser, @socket.io/component-emitter (MIT, Guillermo Rauch and contributors) */';
export const OWN_BANNER = '/*! call-widget (MIT) */';
