/** What the build leaves out of the bundled packages' classes. */
import MagicString from 'magic-string';
import { parseSync, Visitor, type Plugin } from 'vite';

/**
 * Members of the bundled packages' classes that the widget never reaches, left out of the bundle (a class's
 * methods stay in whole otherwise: a minifier cannot know that nobody calls one):
 *
 * - socket.io-client's `Socket`: the catch-all listeners (`onAny`, `onAnyOutgoing` and their kin) and the
 *   `volatile` and `compress` flags. The widget listens by event name, never sends volatile packets and leaves
 *   compression to the default. What is left of the catch-alls (the lists they would fill, always empty) runs
 *   as before. And the queue of packets to retry
 *   (`_addToQueue`, `_drainQueue`), which only the `retries` option fills: the widget resends what matters
 *   itself, across reconnects (src/core/signaling-client.ts); their bodies go, the calls stay.
 * - engine.io-client's `Socket`: the probe that upgrades a long-polling connection to WebSocket (`_probe`).
 *   The widget opens WebSocket first and polls only where that failed (src/transport/polling-on-demand.ts),
 *   and it turns upgrades off (`upgrade: false`, src/core/signaling-client.ts), under which the probe never
 *   runs; its body goes, the call that `upgrade: true` would make stays harmless. So does the list of upgrades
 *   the server offers (`_filterUpgrades`), which only the probe reads.
 *
 * The build fails when a listed member is not found (the package changed) or when another bundled module
 * names a removed one (test/server/stand-ins.test.ts shows both). Node (tests, benches) keeps the whole classes.
 */
const LEFT_OUT: Array<{ module: RegExp; className: string; removed: string[]; emptied: string[] }> = [
  {
    module: /[\\/]socket\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/,
    className: 'Socket',
    removed: ['onAny', 'prependAny', 'offAny', 'listenersAny', 'onAnyOutgoing', 'prependAnyOutgoing', 'offAnyOutgoing', 'listenersAnyOutgoing', 'volatile', 'compress'],
    emptied: ['_addToQueue', '_drainQueue'],
  },
  {
    module: /[\\/]engine\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/,
    className: 'Socket',
    removed: [],
    emptied: ['_probe', '_filterUpgrades'],
  },
];

/** The removed members that are getters: read without a call. */
const GETTERS = ['volatile'];

export function unusedMembersLeftOut(): Plugin {
  const removedNames = LEFT_OUT.flatMap((entry) => entry.removed).join('|');
  // A method is used by a call (`.compress(`: other modules read `options.compress`, a plain field), a getter by
  // any read; either by a quoted name.
  const named = new RegExp(`\\.\\s*(${removedNames})\\s*\\(|\\.\\s*(${GETTERS.join('|')})\\b|["'\`](${removedNames})["'\`]`);
  const done = new Set<RegExp>();
  return {
    name: 'call-widget:unused-members-left-out',
    apply: 'build',
    buildStart() {
      done.clear();
    },
    transform(code, id) {
      const file = id.split('?')[0]!;
      const entry = LEFT_OUT.find((candidate) => candidate.module.test(file));
      if (!entry) {
        const use = /\.[cm]?[jt]s$/.test(file) ? named.exec(code) : null;
        if (use) this.error(`${file} uses ${use[1] ?? use[2] ?? use[3]}, which the build leaves out of its package (LEFT_OUT in build/left-out.ts)`);
        return null;
      }
      const out = new MagicString(code);
      const members = new Map<string, { start: number; end: number; body?: { start: number; end: number } }>();
      new Visitor({
        ClassDeclaration: (node) => {
          if (node.id?.name !== entry.className) return;
          for (const member of node.body.body) {
            if ((member.type === 'MethodDefinition' || member.type === 'PropertyDefinition') && member.key.type === 'Identifier') {
              const body = member.type === 'MethodDefinition' ? member.value.body : null;
              members.set(member.key.name, { start: member.start, end: member.end, ...(body && { body: { start: body.start, end: body.end } }) });
            }
          }
        },
      }).visit(parseSync(file, code).program);
      const missing = [...entry.removed, ...entry.emptied].filter((name) => !members.has(name));
      if (missing.length > 0) this.error(`${file}: class ${entry.className} has no ${missing.join(', ')} any more: check LEFT_OUT in build/left-out.ts against the package`);
      for (const name of entry.removed) out.remove(members.get(name)!.start, members.get(name)!.end);
      for (const name of entry.emptied) out.overwrite(members.get(name)!.body!.start, members.get(name)!.body!.end, '{}');
      done.add(entry.module);
      return { code: out.toString(), map: out.generateMap({ hires: true, source: file }) };
    },
    buildEnd(error) {
      const skipped = LEFT_OUT.filter((entry) => !done.has(entry.module));
      if (!error && skipped.length > 0) this.error(`LEFT_OUT in build/left-out.ts: ${skipped.map((entry) => entry.module).join(', ')} not bundled: the package has changed`);
    },
  };
}
