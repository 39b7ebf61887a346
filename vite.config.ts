import { defineConfig } from 'vite';

/**
 * `npm run build`: one self-contained ES module, `dist/call-widget.js`, with Lit and socket.io-client inside,
 * so a site owner needs a single script tag and nothing else.
 */
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    // Library mode leaves ES output unminified (whitespace, names) by default; this file ships to every
    // visitor as is, so the bundler's own minifier is switched on for it.
    rolldownOptions: { output: { minify: true } },
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'call-widget.js',
    },
  },
});
