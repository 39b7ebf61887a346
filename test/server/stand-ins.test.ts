/**
 * The bundle's stand-ins for library internals (build/stand-ins.ts, build/left-out.ts, src/transport/) either all apply or the build
 * fails: a socket.io-client update that renames or drops a module they replace must not quietly ship the
 * original, or a stand-in that no longer fits. Each case runs the real build config on the real packages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Plugin } from 'vite';
import { viteBuild as bundle } from '../support/vite-build.js';

/** What a package update that renames a module does: its importer now reaches it under another name. */
function renamed(from: string, to: string): Plugin {
  return {
    name: 'test:renamed',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!source.endsWith(`/${from}`) || !importer) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      return resolved && join(dirname(resolved.id), to);
    },
    load: (id) => (id.endsWith(`/${to}`) ? readFileSync(join(dirname(id), from), 'utf8') : null),
  };
}

/** What a valibot update that moves its entry does: `valibot` resolves to another file of the package. */
function valibotEntry(file: string): Plugin {
  return {
    name: 'test:valibot-entry',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source !== 'valibot') return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      return resolved && join(dirname(resolved.id), file);
    },
  };
}

/** What a package update that renames a class member does. */
function memberRenamed(file: RegExp, from: string, to: string): Plugin {
  return {
    name: 'test:member-renamed',
    enforce: 'pre',
    transform: (code, id) => (file.test(id) ? code.replaceAll(`${from}(`, `${to}(`) : null),
  };
}

describe('bundle stand-ins', () => {
  it('all apply to socket.io-client as it is', async () => {
    const code = await bundle(`export { io } from 'socket.io-client';`);
    // The stand-in's own wording, not the original's (engine.io-client's parseuri checks for a 2000-character URI).
    assert.doesNotMatch(code, /URI too long/);
  });

  it('serve valibot-subset for valibot', async () => {
    const entry = `export { io } from 'socket.io-client'; export { object, safeParse } from 'valibot';`;
    const code = await bundle(entry);
    // valibot's schemas carry the Standard Schema interface; the subset's do not.
    assert.match(readFileSync(new URL('../../node_modules/valibot/dist/index.mjs', import.meta.url), 'utf8'), /~standard/);
    assert.doesNotMatch(code, /~standard/);
    await assert.rejects(
      bundle(entry, { plugins: [valibotEntry('index.min.mjs')] }),
      /valibot-subset: 1 of the 1 modules it stands in for were not bundled/,
    );
  });

  it('fail the build when a module they replace is renamed', async () => {
    await assert.rejects(
      bundle(`export { io } from 'socket.io-client';`, { plugins: [renamed('parseuri.js', 'parse-uri.js')] }),
      /platform-uri-parser: 1 of the 1 modules it stands in for were not bundled/,
    );
  });

  it('fail the build when a module they replace is no longer imported', async () => {
    // engine.io-client alone reaches the packet codec, the transports and the URI parser, but not socket.io-parser.
    await assert.rejects(bundle(`export { Socket } from 'engine.io-client';`), (error: Error) => {
      assert.match(error.message, /text-only-socket-io-parser: 1 of the 1 modules/);
      assert.doesNotMatch(error.message, /platform-uri-parser|only-the-transports-used|text-only-engine-io-packets/);
      return true;
    });
  });

  it('leave out the members of the packages\' classes that the widget never reaches', async () => {
    const original = readFileSync(new URL('../../node_modules/socket.io-client/build/esm/socket.js', import.meta.url), 'utf8');
    assert.match(original, /listenersAnyOutgoing\(\)/);
    const code = await bundle(`export { io } from 'socket.io-client';`);
    assert.doesNotMatch(code, /listenersAnyOutgoing|prependAny/);
    // engine.io-client's upgrade probe: its body goes ("probe error" is its wording), its name stays.
    assert.match(readFileSync(new URL('../../node_modules/engine.io-client/build/esm/socket.js', import.meta.url), 'utf8'), /probe error/);
    assert.doesNotMatch(code, /probe error/);
  });

  it('fail the build when a member they leave out is gone from the package', async () => {
    await assert.rejects(
      bundle(`export { io } from 'socket.io-client';`, { plugins: [memberRenamed(/socket\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/, 'onAnyOutgoing', 'onEveryOutgoing')] }),
      /class Socket has no onAnyOutgoing any more/,
    );
  });

  it('fail the build when bundled code uses a member they leave out', async () => {
    await assert.rejects(
      bundle(`export { io } from 'socket.io-client';\nexport const log = (socket) => socket.onAny((event) => console.log(event));`),
      /entry-\d+\.js uses onAny, which the build leaves out of its package/,
    );
  });
});
