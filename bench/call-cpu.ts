/**
 * CPU of a connected call: Chromium's CPU time over a minute of a call with video both ways, `<call-widget>`
 * against the plain Socket.IO relay page of the call-setup bench (a bare RTCPeerConnection showing the remote
 * video, nothing else), both measured in the same run, in the same browser, in alternating order.
 *
 * What the widget adds over the relay page is what it does during a call: its stats poll twice a second (for
 * recovery, the quality score and the peer's voice level), the quality report relayed to the peer, and its
 * rendering (the quality bars, the self view beside the remote video). The media itself (capture, encoding,
 * decoding, painting the remote video) is the same on both pages.
 *
 * CPU time is user + system of every Chromium process this bench started, from /proc (bench/proc.ts), counted
 * from 3 s after both sides show the first remote frame (the encoders' ramp-up is not a connected call's
 * steady state) over `WINDOW_MS`. Figures are CPU ms per second of call, for the two pages of one call.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { withBrowser } from './browser-run.js';
import { ARMED, PRESENT } from './call-setup.js';
import { startBenchServers, type BenchServers } from './call-setup/servers.js';
import { chromiumCpuMs } from './proc.js';
import { quantiles, ratio, table, type BenchOptions, type BenchSection } from './stats.js';
import { bounded, sleep } from './wait.js';

type Scenario = 'socketio' | 'widget';
const LABELS: Record<Scenario, string> = { socketio: 'Socket.IO relay page', widget: '`<call-widget>`' };

const WINDOW_MS = 60_000;
const QUICK_WINDOW_MS = 5_000;
const RUNS = 3;
const QUICK_RUNS = 1;
const SETTLE_MS = 3_000;
const PAGE_MS = 15_000;
const FRAMES = "['caller:remoteFrame', 'callee:remoteFrame'].some((name) => name in window.bench.marks)";

interface Sample {
  run: number;
  scenario: Scenario;
  /** Chromium CPU ms per second of call; null if the call did not show video both ways in time. */
  cpuMsPerSecond: number | null;
  error?: string;
}

async function oneCall(contexts: () => Promise<BrowserContext>, servers: BenchServers, scenario: Scenario, run: number, windowMs: number): Promise<Sample> {
  const opened: BrowserContext[] = [];
  const id = `cpu-${scenario}-r${run}-${Math.random().toString(36).slice(2, 8)}`;
  const open = async (role: 'caller' | 'callee'): Promise<Page> => {
    const context = await contexts();
    opened.push(context);
    const page = await bounded(context.newPage(), PAGE_MS, 'new page');
    const query = new URLSearchParams({ role, 'accept-after': '0', 'camera-ms': '0', room: id, id: `${id}-${role}`, callee: `${id}-callee`, server: servers.callServer, peerServer: servers.peerServer, relay: servers.relay });
    await page.goto(`${servers.site}/${scenario}?${query.toString()}`, { timeout: PAGE_MS });
    return page;
  };
  try {
    const callee = await open('callee');
    await callee.waitForFunction(PRESENT[scenario], undefined, { timeout: PAGE_MS });
    const caller = await open('caller');
    await Promise.all([caller, callee].map((p) => p.waitForFunction(ARMED, undefined, { timeout: PAGE_MS })));
    await bounded(caller.evaluate('void window.bench.place()'), PAGE_MS, 'place');
    await Promise.all([caller, callee].map((p) => p.waitForFunction(FRAMES, undefined, { timeout: PAGE_MS })));
    await sleep(SETTLE_MS);
    const before = chromiumCpuMs();
    const start = Date.now();
    await sleep(windowMs);
    const after = chromiumCpuMs();
    const errors = (await Promise.all([caller, callee].map((p) => p.evaluate('window.bench.errors') as Promise<string[]>))).flat();
    if (before === null || after === null) return { run, scenario, cpuMsPerSecond: null, error: 'no /proc' };
    return { run, scenario, cpuMsPerSecond: Math.round((after - before) / ((Date.now() - start) / 1000)), ...(errors.length && { error: errors.join('; ') }) };
  } catch (error) {
    return { run, scenario, cpuMsPerSecond: null, error: (error as Error).message.split('\n')[0] };
  } finally {
    await Promise.allSettled(opened.map((c) => bounded(c.close(), PAGE_MS, 'close context')));
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchSection> {
  const runs = quick ? QUICK_RUNS : RUNS;
  const windowMs = quick ? QUICK_WINDOW_MS : WINDOW_MS;
  const { result: samples, bundle } = await withBrowser(startBenchServers, async ({ browser, servers }) => {
    const samples: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      // Alternating which goes first, so neither always has the warmer browser.
      const order: Scenario[] = r % 2 ? ['widget', 'socketio'] : ['socketio', 'widget'];
      for (const scenario of order) {
        const sample = await oneCall(() => bounded(browser.newContext(), PAGE_MS, 'new context'), servers, scenario, r + 1, windowMs);
        console.error(`run ${r + 1}/${runs} ${scenario}: ${sample.cpuMsPerSecond ?? '–'} CPU ms/s${sample.error ? ` (${sample.error})` : ''}`);
        samples.push(sample);
      }
    }
    return samples;
  });
  const stat = (scenario: Scenario) => {
    const values = samples.filter((s) => s.scenario === scenario && s.cpuMsPerSecond !== null).map((s) => s.cpuMsPerSecond!);
    const [median, p90] = quantiles(values, [0.5, 0.9]);
    return { median, p90, n: values.length };
  };
  const [relay, widget] = [stat('socketio'), stat('widget')];
  const shown = (v: number | null) => (v === null ? '–' : `${v} ms/s`);
  const goalMet = relay.median && widget.median ? (widget.median / relay.median <= 1.05 ? 'yes' : 'no') : 'no data';
  const markdown = [
    table(
      ['page', 'Chromium CPU per second of call (median)', 'p90', 'n', 'vs relay page', 'goal'],
      [
        [LABELS.socketio, shown(relay.median), shown(relay.p90), relay.n, '1.00x', 'baseline'],
        [LABELS.widget, shown(widget.median), shown(widget.p90), widget.n, ratio(widget.median, relay.median), `≤ 1.05x: ${goalMet}`],
      ],
    ),
    '',
    `A connected call with video both ways, both pages in one headless Chromium, CPU time (user + system, all Chromium processes) over ${windowMs / 1000} s from ${SETTLE_MS / 1000} s after the first frames; ${runs} run(s) of each, alternating.${bundle.before === bundle.after ? '' : ' **The build changed during the run.**'}`,
  ].join('\n');
  return { title: 'CPU of a connected call', markdown, data: { windowMs, runs, samples, bundle } };
}
