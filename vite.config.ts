import minifyHTMLLiterals from '@lit-labs/rollup-plugin-minify-html-literals';
import { defineConfig } from 'vite';
import { cssLiteralsAsStrings } from './build/css-literals.js';
import { unusedMembersLeftOut } from './build/left-out.js';
import { internalMembersRenamed, quotedNamesKeptWhole, type NameCache } from './build/member-names.js';
import { BANNER, builtApart, OWN_BANNER, OXC_MINIFY, selfContainedChunks } from './build/on-demand.js';
import {
  onlyTheTransportsUsed,
  platformUriParser,
  SIDE_EFFECT_FREE,
  textOnlyEngineIoPackets,
  textOnlySocketIoParser,
  valibotSubset,
} from './build/stand-ins.js';
import { compressAgain } from './build/terser-pass.js';

// The build's plugins are in build/: what stands in for parts of the packages (stand-ins.ts), what is left out
// of them (left-out.ts), which members are renamed (member-names.ts), the terser pass (terser-pass.ts), the parts
// loaded on demand (on-demand.ts).

/** terser's name cache and our renamed members, shared by the bundle, its chunks and the parts built apart. */
const names: NameCache = { cache: {}, internal: [] };

/**
 * `npm run build`: one self-contained ES module, `dist/call-widget.js`, with Lit and socket.io-client inside,
 * so a site owner needs a single script tag and nothing else; beside it the files it loads on demand
 * (`call-widget-*.js`), which are deployed with it. (The package's modules, dist/lib, are tsc's.)
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
    // Then the `css` templates, minified, become the one string each holds (build/css-literals.ts).
    cssLiteralsAsStrings(),
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
      // The build's own plugins take most of its few seconds by design (the type checker's walk of the element's
      // surface, terser): no warning about it on every build.
      checks: { bundlerTimings: false },
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
        minify: OXC_MINIFY,
        // No comments: annotations (`@__PURE__`) only help a bundler drop unused code, and this file is not bundled
        // again (0.2 KB gzip); there are no licence comments to keep, as none survive minification (the banner
        // below names them). `_likeThis` members are renamed by terser, across chunks (build/terser-pass.ts).
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
