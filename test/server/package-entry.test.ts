/**
 * What npm users import: `call-widget` resolves to the modules in dist/lib (tsc's output of src/), which
 * import Lit and socket.io-client as packages, for the user's bundler to share with the rest of their app; the
 * script-tag bundle (dist/call-widget.js) carries both inside and exports nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { build } from 'esbuild';

before(() => {
  assert.ok(existsSync('dist/lib/index.js') && existsSync('dist/call-widget.js'), 'dist/ is missing: run `npm run build` first');
});

describe('the package entry', () => {
  it('is the modules of dist/lib, whose exports a bundler sees, with Lit and socket.io-client left to it', async () => {
    const result = await build({
      stdin: { contents: `export * from 'call-widget';`, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.includes('dist/lib/index.js'), inputs.slice(0, 5).join(', '));
    assert.ok(inputs.some((input) => input.startsWith('node_modules/lit-html/')));
    assert.ok(inputs.some((input) => input.startsWith('node_modules/socket.io-client/')));
    const exports = Object.values(result.metafile.outputs)[0]!.exports;
    for (const name of ['CallWidget', 'CallSession', 'CallMachine', 'CallStateChangeEvent', 'ErrorCode', 'callContext', 'normalizeIceServersResponse']) {
      assert.ok(exports.includes(name), `${name} in ${exports.join(', ')}`);
    }
  });

  it('has type declarations beside its modules', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    assert.ok(existsSync(pkg.exports['.']!.types));
    assert.match(readFileSync(pkg.exports['.']!.types, 'utf8'), /CallWidget/);
  });

  it('is not the script-tag bundle, which defines the element and exports nothing', () => {
    const bundle = readFileSync('dist/call-widget.js', 'utf8');
    assert.match(bundle, /customElements\.define\("call-widget"/);
    assert.doesNotMatch(bundle, /\bexport\s*\{/);
  });
});
