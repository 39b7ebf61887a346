/**
 * `vite build` with the project's vite.config.ts, in memory, of an entry module given as code: for tests of the
 * build's own rules (test/server/stand-ins.test.ts, test/server/mangle-props.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type Rolldown } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const entries = mkdtempSync(join(root, 'node_modules/.cache/vite-build-'));
after(() => rmSync(entries, { recursive: true, force: true }));
let count = 0;

/**
 * The bundle's code. Entries live inside the project (node_modules/.cache) so that they resolve its packages;
 * `extension` is the entry's (`ts` for TypeScript).
 */
export async function viteBuild(code: string, { plugins = [], extension = 'js' }: { plugins?: Plugin[]; extension?: string } = {}): Promise<string> {
  const entry = join(entries, `entry-${++count}.${extension}`);
  // Every stand-in of the config fails the build when its module is not bundled, valibot's too: an entry that
  // does not reach valibot of itself reaches it here.
  writeFileSync(entry, code.includes('valibot') ? code : `${code}\nexport { safeParse as valibotSafeParse } from 'valibot';\n`);
  const output = (await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'silent',
    plugins,
    build: { write: false, sourcemap: false, lib: { entry, formats: ['es'], fileName: () => 'entry.js' } },
  })) as Rolldown.RolldownOutput[];
  return output[0]!.output[0].code;
}
