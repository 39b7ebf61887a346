/**
 * The minifier renames every `_name` member across the bundle (terser: build/terser-pass.ts, build/member-names.ts) but not
 * a string, so `obj["_name"]` would stop meeting `obj._name` without a word. The build refuses such a string in
 * any bundled module, ours or a package's, unless the name is one the minifier keeps (QUOTED).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { viteBuild } from '../support/vite-build.js';

/** The build with the sample in it; socket.io-client too, which the build's stand-ins insist on. */
const withSample = (code: string, extension = 'js') => viteBuild(`${code}\nexport { io } from 'socket.io-client';\n`, { extension });

/** The build's complaint, or null when it built. */
async function refusal(code: string, extension = 'js'): Promise<string | null> {
  try {
    await withSample(code, extension);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('mangled members are never read by a quoted name', () => {
  it('renames `_name` members and keeps those read by a quoted name in the bundled packages', async () => {
    const code = await withSample(`export const read = (x) => [x._destroy, x._reconnecting, x._internalMember, x.$_plain, x._$litProtocol];`);
    assert.match(code, /\._destroy\b/);
    assert.match(code, /\._reconnecting\b/);
    assert.doesNotMatch(code, /_internalMember/);
    assert.match(code, /\.\$_plain\b/);
    assert.match(code, /\._\$litProtocol\b/);
  });

  for (const [form, code] of [
    ['a computed member', `export const read = (x) => x["_internalMember"];`],
    ['an `in` test', `export const has = (x) => '_internalMember' in x;`],
    ['a quoted key', `export const make = () => ({ '_internalMember': 1 });`],
    ['a template literal', 'export const read = (x) => x[`_internalMember`];'],
    ['a name kept in a variable', `const key = '_internalMember';\nexport const read = (x) => Reflect.get(x, key);`],
  ]) {
    it(`fails the build on ${form}`, async () => {
      const message = await refusal(code!);
      assert.match(message ?? 'it built', /a quoted name of a member the minifier renames/);
      assert.match(message!, /entry-\d+\.js:\d+: "_internalMember"/);
    });
  }

  it("names the TypeScript source's line", async () => {
    const message = await refusal(`interface Thing {\n  _internalMember?: number;\n}\n\nexport const read = (x: Thing) => x['_internalMember'];\n`, 'ts');
    assert.match(message ?? 'it built', /entry-\d+\.ts:5: "_internalMember"/);
  });

  it('lets through names the minifier keeps, types, and strings that are not member names', async () => {
    const code = `type Kind = '_internalMember';\ninterface Thing { '_internalMember'?: Kind }\nexport const kind: Kind | Thing | undefined = undefined;\nexport const none = new Map<'_internalMember', number>();\nexport const read = (x: any) => [x['_destroy'], x['__proto__'], x['_$litType$'], '_ two words', 'a_b'];\n`;
    assert.equal(await refusal(code, 'ts'), null);
  });
});
