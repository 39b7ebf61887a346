import { defineConfig, type Plugin } from 'vite';

/**
 * socket.io-client always bundles all three of engine.io-client's transports, WebTransport included, through
 * engine.io-client's `transports/index.js`. The widget asks for `['websocket', 'polling']` only
 * (src/core/signaling-client.ts) and engine.io never opens or upgrades to a transport the client did not list,
 * so WebTransport, and the stream codec of engine.io-parser that only it uses, never run: 2.7 KB minified,
 * 0.8 KB gzip (bench/bundle.ts). This serves that module without it. Should the widget ever list
 * `webtransport`, remove this plugin.
 */
function withoutWebTransport(): Plugin {
  const transports = /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;
  let applied = false;
  return {
    name: 'call-widget:without-webtransport',
    apply: 'build',
    load(id) {
      if (!transports.test(id)) return null;
      applied = true;
      // The same module minus WebTransport; the `.node.js` names are mapped to the browser files by the
      // package's `browser` field, as for the original.
      return [
        `import { XHR } from "./polling-xhr.node.js";`,
        `import { WS } from "./websocket.node.js";`,
        `export const transports = { websocket: WS, polling: XHR };`,
      ].join('\n');
    },
    buildEnd() {
      if (!applied) this.warn('engine.io-client/build/esm/transports/index.js was not bundled: WebTransport may be back in the bundle');
    },
  };
}

/**
 * `npm run build`: one self-contained ES module, `dist/call-widget.js`, with Lit and socket.io-client inside,
 * so a site owner needs a single script tag and nothing else.
 */
export default defineConfig({
  plugins: [withoutWebTransport()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Library mode leaves ES output unminified (whitespace, names) by default; this file ships to every
        // visitor as is, so the bundler's own minifier is switched on for it.
        minify: true,
        // Otherwise 156 `@__PURE__` / `@__NO_SIDE_EFFECTS__` annotations stay in (0.2 KB gzip). They only help
        // a bundler drop unused code, and nothing here is unused: importing the module defines the element,
        // which reaches all of it. (There are no license comments to keep: none survive minification anyway.)
        comments: false,
        // Minifying drops the licence comments of what is bundled; their licences ask for the notice to travel
        // with the code, so one line names them all.
        postBanner:
          '/*! call-widget (MIT). Bundles Lit (BSD-3-Clause, Google LLC), socket.io-client, engine.io-client, socket.io-parser, engine.io-parser, @socket.io/component-emitter (MIT, Guillermo Rauch and contributors), valibot (MIT, Fabian Hiller) */',
      },
    },
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'call-widget.js',
    },
  },
});
