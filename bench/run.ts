/**
 * `npm run bench`: the side-by-side benchmarks, each against a baseline measured in the same run.
 *   1. call setup: `<call-widget>` against two peer connections in one page (the floor), PeerJS and a plain
 *      socket.io relay, in real Chromium on loopback;
 *   2. bundle: what `dist/call-widget.js` weighs, by input, beside PeerJS and socket.io-client;
 *   3. server: memory and time for idle connections beside PeerServer, and signaling throughput;
 *   4. camera switch: a camera switched mid-call until the peer shows the new camera, the widget's
 *      `replaceTrack` against a renegotiating switch (`removeTrack` + `addTrack` and a new offer/answer);
 *   5. call CPU: Chromium's CPU time over a minute of a connected call, the widget against the plain
 *      Socket.IO relay page.
 * Prints one markdown document, writes it with the raw figures to `bench/results/<date>.{md,json}`, and with
 * `--readme` puts it in the README. `--quick`: a few runs each, to prove the benches work (CI); not a
 * measurement. `--only call-setup,bundle,server,camera-switch,call-cpu` runs some of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { run as bundle } from './bundle.js';
import { run as callCpu } from './call-cpu.js';
import { run as callSetup } from './call-setup.js';
import { run as cameraSwitch } from './camera-switch.js';
import { writeReadmeSection } from './readme-section.js';
import { run as server } from './server-footprint.js';
import type { BenchOptions, BenchSection } from './stats.js';

const SECTIONS: Record<string, (options: BenchOptions) => Promise<BenchSection>> = {
  'call-setup': callSetup,
  bundle,
  server,
  'camera-switch': cameraSwitch,
  'call-cpu': callCpu,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : Object.keys(SECTIONS);
const unknown = only.filter((name) => !(name in SECTIONS));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}

const date = new Date().toISOString().slice(0, 10);
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;

const results: Record<string, BenchSection> = {};
const failures: string[] = [];
for (const name of only) {
  console.error(`\n=== bench: ${name}${quick ? ' (quick)' : ''}`);
  try {
    results[name] = await SECTIONS[name]({ quick });
  } catch (error) {
    // One bench failing must not hide the others' results; the exit code still says so.
    failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
    console.error(`bench ${name} failed: ${(error as Error).stack ?? String(error)}`);
  }
}

const document = [
  `Measured ${date} on ${machine}${quick ? ' — QUICK MODE: a few runs only, not a measurement' : ''}.`,
  ...Object.values(results).map((section) => `\n#### ${section.title}\n\n${section.markdown.trim()}`),
  ...(failures.length ? [`\nFailed: ${failures.map((f) => f.split('\n')[0]).join('; ')}`] : []),
].join('\n');
console.log(`\n${document}\n`);

mkdirSync('bench/results', { recursive: true });
const base = `bench/results/${date}${quick ? '-quick' : ''}`;
writeFileSync(`${base}.md`, `${document}\n`);
writeFileSync(`${base}.json`, `${JSON.stringify({ date, machine, quick, sections: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data])), failures }, null, 2)}\n`);
console.error(`written to ${base}.md and ${base}.json`);
if (args.includes('--readme') && !quick && !failures.length) {
  writeReadmeSection('results', document);
  console.error('README.md updated');
}
process.exit(failures.length ? 1 : 0);
