/**
 * The custom-elements manifest (`npm run analyze`, dist/custom-elements.json) lists every event the element
 * declares in src/events.ts, with its class as the type, so editors and docs tools know `event.detail`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The analyzer takes --outdir relative to the project.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const outdir = mkdtempSync(join(root, 'node_modules/.cache/manifest-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

interface Declaration {
  kind: string;
  name: string;
  tagName?: string;
  events?: { name: string; type?: { text: string } }[];
}
interface Manifest {
  modules: { path: string; declarations?: Declaration[] }[];
}

/** The manifest as `npm run analyze` makes it, written elsewhere than dist/. */
function analyze(): Manifest {
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.analyze as string;
  assert.match(script, /--outdir dist\b/);
  execFileSync('sh', ['-c', `npx ${script.replace(/--outdir dist\b/, `--outdir ${JSON.stringify(relative(root, outdir))}`)}`], { cwd: root, stdio: 'pipe' });
  return JSON.parse(readFileSync(join(outdir, 'custom-elements.json'), 'utf8'));
}

/** `'call-state-change': CallStateChangeEvent` and the like, from src/events.ts's HTMLElementEventMap. */
function declaredEvents(): Map<string, string> {
  const source = readFileSync(join(root, 'src/events.ts'), 'utf8');
  const map = /interface HTMLElementEventMap \{([^}]*)\}/.exec(source)?.[1] ?? '';
  return new Map([...map.matchAll(/'([\w-]+)': (\w+);/g)].map(([, name, type]) => [name!, type!]));
}

describe('custom-elements manifest', () => {
  let manifest: Manifest;
  let declarations: (Declaration & { module: string })[];
  before(() => {
    manifest = analyze();
    declarations = manifest.modules.flatMap((module) => (module.declarations ?? []).map((declaration) => ({ module: module.path, ...declaration })));
  });

  it('covers all of src/', () => {
    const paths = manifest.modules.map((module) => module.path);
    for (const path of ['src/call-widget.ts', 'src/events.ts', 'src/core/call-session.ts', 'src/transport/engine-io-uri.ts']) assert.ok(paths.includes(path), path);
  });

  it("types each of the element's events with its class from src/events.ts", () => {
    const element = declarations.find((declaration) => declaration.tagName === 'call-widget');
    assert.ok(element, 'no <call-widget> in the manifest');
    const events = declaredEvents();
    assert.ok(events.size >= 3, 'no events read from src/events.ts');
    assert.deepEqual(
      new Map((element.events ?? []).map((event) => [event.name, event.type?.text])),
      events,
    );
    for (const type of events.values()) {
      assert.ok(declarations.some((declaration) => declaration.kind === 'class' && declaration.name === type && declaration.module === 'src/events.ts'), `${type} is not in the manifest`);
    }
  });
});
