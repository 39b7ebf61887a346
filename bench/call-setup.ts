/**
 * Call set-up time: how long from "call placed" until ICE connects and until video shows, for
 * `<call-widget>` against three references measured in the same run:
 *   floor           two RTCPeerConnections in one page, descriptions and candidates handed over in JS:
 *                   cameras, negotiation, ICE, DTLS and decoding, and no signaling at all;
 *   peerjs          PeerJS 1.5.5 with its own PeerServer, used as its documentation shows;
 *   socketio        a minimal Socket.IO relay and a bare RTCPeerConnection with trickle ICE;
 *   widget          the built `dist/call-widget.js` on a plain page, through the reference server; the
 *                   callee accepts the moment it rings;
 *   floor-ringing   the floor's two connections negotiated and connected with empty senders, cameras open;
 *                   2 s after "placed" both put their tracks in at once: the browser's own time from
 *                   accept to the first frame both ways, what the widget's accept is measured against;
 *   widget-ringing  the same, but the callee lets it ring 2 s first, as a visitor takes to answer: only its
 *                   accept → first frame is reported (what connecting while ringing buys).
 *
 * Each run places one call of every scenario, in an order rotated from run to run so none always goes
 * first; a warm-up round before the first run is not counted. One headless Chromium with fake camera and
 * microphone, a fresh browser context for every page, everything on this machine (host candidates, no
 * STUN or TURN). Pages mark events with `Date.now()`: all of them run in one browser on one machine, so
 * marks of the caller's and the callee's page share one clock (see bench/call-setup/pages/common.js).
 *
 * Every scenario opens its cameras after "call placed": the caller when it places the call, the callee when
 * it learns of it (the widget's callee when it starts ringing; the floor's both at once).
 *
 * `node --import tsx bench/call-setup.ts [--quick] [--runs N] [--camera-ms N]` prints the table; `--camera-ms`
 * makes every camera open N ms later, as real webcams do (the fake device opens in tens of ms). `run()` is what
 * `npm run bench` calls.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { withBrowser } from './browser-run.js';
import { startBenchServers, type BenchServers, type PageName } from './call-setup/servers.js';
import { chromiumCpuMs } from './proc.js';
import { bounded } from './wait.js';
import { quantiles, ratio, table, type BenchOptions, type BenchSection } from './stats.js';

type Scenario = PageName | 'widget-ringing' | 'floor-ringing';

const SCENARIOS: readonly Scenario[] = ['floor', 'peerjs', 'socketio', 'widget', 'floor-ringing', 'widget-ringing'];
/** The scenarios compared from "placed" on; the `-ringing` ones spend part of that ringing on purpose. */
const COMPARED: readonly Scenario[] = ['floor', 'peerjs', 'socketio', 'widget'];
/** How long the `widget-ringing` callee lets it ring: a quick visitor. */
const RING_MS = 2000;
const LABELS: Record<Scenario, string> = {
  floor: 'floor',
  peerjs: 'PeerJS',
  socketio: 'Socket.IO relay',
  widget: '`<call-widget>`',
  'widget-ringing': `\`<call-widget>\`, ${RING_MS / 1000} s ring`,
  'floor-ringing': `floor, ${RING_MS / 1000} s ring`,
};

const isWidget = (scenario: Scenario) => scenario === 'widget' || scenario === 'widget-ringing';
const isRinging = (scenario: Scenario) => scenario === 'widget-ringing' || scenario === 'floor-ringing';

const DEFAULT_RUNS = 20;
const QUICK_RUNS = 3;

/**
 * Bounds on every wait: a scenario that exceeds one is recorded with the figures it did reach and the rest
 * missing, never hangs the bench. Loopback set-ups take well under a second; these leave room for a loaded
 * machine without letting a stuck run cost more than a few seconds.
 */
const PAGE_READY_MS = 15_000;
const CALL_MS = 15_000;
const BROWSER_CALL_MS = 5_000;
/** How long from "placed" Chromium's CPU time is counted: every design has set up its call well within it. */
const CPU_WINDOW_MS = 1_000;

/** Marks of both pages of one call, by `side:event` (see the page scripts for the names). */
type Marks = Record<string, number>;

interface Sample {
  run: number;
  scenario: Scenario;
  /** Place in this run's order, from 0. */
  position: number;
  marks: Marks;
  /** The caller page's navigation start (`performance.timeOrigin`), for page load → `ready`. */
  callerNavigationStart: number | null;
  /** Problems the pages reported, and why the run stopped early, if it did. */
  errors: string[];
  /** The machine's 1-minute load average when the call started: these machines are shared. */
  load: number;
  /** CPU time all of Chromium's processes spent in the `CPU_WINDOW_MS` from "placed" on (Linux). */
  cpuMs: number | null;
}

/** Derived figures of one sample, in ms; null where an event was not seen in time. */
interface Figures {
  iceConnected: number | null;
  firstFrameOneWay: number | null;
  firstFrameTwoWay: number | null;
  /** Widget and `floor-ringing` only. */
  acceptToFirstFrame: number | null;
  loadToReady: number | null;
  cpuMs: number | null;
  /** Where the time goes: `MILESTONES` of the scenario, from "placed" (`-ringing`: from the accept). */
  milestones: Record<string, number | null>;
}

/** Events of a call set-up worth locating in time, as [label, mark]. */
const MILESTONES: Record<'plain' | 'widget', Array<[string, string]>> = {
  plain: [
    ['caller camera open', 'caller:camera'],
    ['callee camera open', 'callee:camera'],
    ['offer applied at callee', 'callee:signaling:have-remote-offer'],
    ['answer set at callee', 'callee:negotiated'],
    ['answer applied at caller', 'caller:negotiated'],
    ['caller ICE connected', 'caller:iceConnected'],
    ['two-way frame', 'twoWayFrame'],
  ],
  widget: [
    ['caller connection created', 'caller:peerConnection'],
    ['callee ringing', 'callee:ringing'],
    ['callee accepts', 'callee:accept'],
    ['callee connection created', 'callee:peerConnection'],
    ['offer applied at callee', 'callee:signaling:have-remote-offer'],
    ['answer set at callee', 'callee:negotiated'],
    ['answer applied at caller', 'caller:negotiated'],
    ['caller ICE connected', 'caller:iceConnected'],
    ['accept reaches caller', 'caller:connecting'],
    ['two-way frame', 'twoWayFrame'],
  ],
};

const between = (from: number | undefined | null, to: number | undefined | null) =>
  from === undefined || from === null || to === undefined || to === null ? null : Math.round(to - from);

function figures(sample: Sample): Figures {
  const m: Marks = { ...sample.marks };
  if (m['caller:remoteFrame'] !== undefined && m['callee:remoteFrame'] !== undefined) {
    m.twoWayFrame = Math.max(m['caller:remoteFrame'], m['callee:remoteFrame']);
  }
  const widget = isWidget(sample.scenario);
  const origin = m[isRinging(sample.scenario) ? 'callee:accept' : 'caller:placed'];
  return {
    iceConnected: between(m['caller:placed'], m['caller:iceConnected']),
    firstFrameOneWay: between(m['caller:placed'], m['callee:remoteFrame']),
    firstFrameTwoWay: between(m['caller:placed'], m.twoWayFrame),
    acceptToFirstFrame: widget || sample.scenario === 'floor-ringing' ? between(m['callee:accept'], m.twoWayFrame) : null,
    loadToReady: widget ? between(sample.callerNavigationStart, m['caller:ready']) : null,
    cpuMs: sample.cpuMs,
    milestones: Object.fromEntries(MILESTONES[widget ? 'widget' : 'plain'].map(([label, name]) => [label, between(origin, m[name])])),
  };
}

const message = (error: unknown) => (error as Error)?.message?.split('\n')[0] ?? String(error);

/**
 * Page expressions are strings: tsx would wrap functions passed to `evaluate` in helpers the page lacks.
 * `PRESENT` is when the callee is in place for the caller to arrive: its PeerJS id registered, its relay room
 * joined, its widget alone in the room.
 */
export const ARMED = 'window.bench?.armed === true';
export const PRESENT: Record<PageName, string> = {
  floor: ARMED,
  peerjs: ARMED,
  socketio: ARMED,
  widget: "window.bench?.marks['callee:waiting'] !== undefined",
};
/** Everything a call is measured by has happened on that page. */
const DONE = {
  caller: "['caller:iceConnected', 'caller:remoteFrame'].every((name) => name in window.bench.marks)",
  callee: "'callee:remoteFrame' in window.bench.marks",
};

const pageOf = (scenario: Scenario): PageName =>
  scenario === 'widget-ringing' ? 'widget' : scenario === 'floor-ringing' ? 'floor' : scenario;

async function oneCall(browser: Browser, servers: BenchServers, scenario: Scenario, run: number, position: number, cameraMs: number): Promise<Sample> {
  const sample: Sample = { run, scenario, position, marks: {}, callerNavigationStart: null, errors: [], load: os.loadavg()[0], cpuMs: null };
  const contexts: BrowserContext[] = [];
  // PeerJS ids allow single dashes between letters and digits only.
  const id = `${scenario}-r${run + 1}-${Math.random().toString(36).slice(2, 8)}`;
  const open = async (role: 'caller' | 'callee') => {
    const context = await bounded(browser.newContext(), BROWSER_CALL_MS, 'new context');
    contexts.push(context);
    const page = await bounded(context.newPage(), BROWSER_CALL_MS, 'new page');
    const query = new URLSearchParams({
      role,
      'accept-after': String(isRinging(scenario) ? RING_MS : 0),
      'camera-ms': String(cameraMs),
      room: id,
      id: `${id}-${role}`,
      callee: `${id}-callee`,
      server: servers.callServer,
      peerServer: servers.peerServer,
      relay: servers.relay,
    });
    await page.goto(`${servers.site}/${pageOf(scenario)}?${query.toString()}`, { timeout: PAGE_READY_MS });
    return page;
  };
  let pages: Page[] = [];
  try {
    // The floor is one page playing both sides; the others are two visitors, the callee there first.
    const onePage = pageOf(scenario) === 'floor';
    const callee = await open(onePage ? 'caller' : 'callee');
    pages = [callee];
    await callee.waitForFunction(PRESENT[pageOf(scenario)], undefined, { timeout: PAGE_READY_MS });
    const caller = onePage ? callee : await open('caller');
    pages = [...new Set([caller, callee])];
    await Promise.all(pages.map((p) => p.waitForFunction(ARMED, undefined, { timeout: PAGE_READY_MS })));

    const cpuBefore = chromiumCpuMs();
    const placedAt = Date.now();
    await bounded(caller.evaluate("void window.bench.place().catch((e) => window.bench.errors.push(String(e?.message ?? e)))"), BROWSER_CALL_MS, 'place');
    const done = onePage ? [`${DONE.caller} && ${DONE.callee}`] : [DONE.caller, DONE.callee];
    const waits = await Promise.allSettled(
      [caller, callee].slice(0, done.length).map((p, i) => p.waitForFunction(done[i], undefined, { timeout: CALL_MS, polling: 20 })),
    );
    // The same window for every design: a slower one is not charged for the video it decodes meanwhile.
    if (Date.now() - placedAt <= CPU_WINDOW_MS) {
      await new Promise((resolve) => setTimeout(resolve, placedAt + CPU_WINDOW_MS - Date.now()));
      const cpuAfter = chromiumCpuMs();
      if (cpuBefore !== null && cpuAfter !== null) sample.cpuMs = cpuAfter - cpuBefore;
    }
    for (const wait of waits) if (wait.status === 'rejected') sample.errors.push(message(wait.reason));
    sample.callerNavigationStart = await bounded(caller.evaluate('performance.timeOrigin') as Promise<number>, BROWSER_CALL_MS, 'timeOrigin');
  } catch (error) {
    sample.errors.push(message(error));
  } finally {
    // Whatever the pages saw is kept, also when the run stopped early.
    for (const p of pages) {
      try {
        const seen = (await bounded(p.evaluate('({ marks: window.bench?.marks ?? {}, errors: window.bench?.errors ?? [] })'), BROWSER_CALL_MS, 'marks')) as {
          marks: Marks;
          errors: string[];
        };
        Object.assign(sample.marks, seen.marks);
        sample.errors.push(...seen.errors);
      } catch (error) {
        sample.errors.push(message(error));
      }
    }
    await Promise.allSettled(contexts.map((c) => bounded(c.close(), BROWSER_CALL_MS, 'close context')));
  }
  return sample;
}

interface Row {
  metric: string;
  scenario: Scenario;
  median: number | null;
  p90: number | null;
  n: number;
  /** The figure of the floor it is compared with (its median). */
  floorMedian: number | null;
  goal: string;
  met: string;
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`);

/** "yes (…)" or "no (…)", with how far off the goal is. */
function verdict(ok: boolean, detail: string): string {
  return `${ok ? 'yes' : 'no'} (${detail})`;
}

type Metric = Exclude<keyof Figures, 'milestones'>;

function summarize(samples: Sample[], runs: number) {
  const stat = (values: number[]) => {
    const [median, p90] = quantiles(values, [0.5, 0.9]);
    return { median, p90, n: values.length };
  };
  const derived = samples.map((s) => ({ scenario: s.scenario, figures: figures(s) }));
  const of = (scenario: Scenario, pick: (f: Figures) => number | null) =>
    derived.filter((s) => s.scenario === scenario).map((s) => pick(s.figures)).filter((v): v is number => v !== null);
  const metric = (scenario: Scenario, key: Metric) => stat(of(scenario, (f) => f[key]));

  const rows: Row[] = [];
  const metrics: Array<[Metric, string]> = [
    ['iceConnected', 'placed → ICE connected (caller)'],
    ['firstFrameOneWay', 'placed → first frame, one-way (callee sees caller)'],
    ['firstFrameTwoWay', 'placed → first frame, two-way (both see each other)'],
  ];
  for (const [key, label] of metrics) {
    const floor = metric('floor', key).median;
    for (const scenario of COMPARED) rows.push({ metric: label, scenario, ...metric(scenario, key), floorMedian: floor, goal: '', met: '' });
  }

  // What each design costs the machine: on 2 shared cores, CPU spent is time another step waits for.
  const floorCpu = metric('floor', 'cpuMs').median;
  for (const scenario of COMPARED) {
    rows.push({ metric: `Chromium CPU time in the ${CPU_WINDOW_MS / 1000} s from placed`, scenario, ...metric(scenario, 'cpuMs'), floorMedian: floorCpu, goal: '', met: '' });
  }

  // Goal 1: the widget's two-way set-up within 15 % of the floor, and faster than both usual ways to build it.
  const twoWay = (scenario: Scenario) => metric(scenario, 'firstFrameTwoWay').median;
  const [w, floor, peerjs, relay] = [twoWay('widget'), twoWay('floor'), twoWay('peerjs'), twoWay('socketio')];
  const widgetRow = rows.find((r) => r.scenario === 'widget' && r.metric.includes('two-way'))!;
  widgetRow.goal = '≤ 1.15x floor, below PeerJS and the relay';
  if (w !== null && floor !== null && peerjs !== null && relay !== null) {
    const limit = 1.15 * floor;
    const parts = [
      w <= limit ? `${ratio(w, floor)}` : `${ratio(w, floor)}: ${ms(w - limit)} over 1.15x`,
      w < peerjs ? `${ms(peerjs - w)} below PeerJS` : `${ms(w - peerjs)} above PeerJS`,
      w < relay ? `${ms(relay - w)} below the relay` : `${ms(w - relay)} above the relay`,
    ];
    widgetRow.met = verdict(w <= limit && w < peerjs && w < relay, parts.join('; '));
  } else widgetRow.met = 'no data';

  // Goal 2: once the callee accepts, video both ways within half the floor's whole set-up. The floor's own
  // accept (tracks put into connected senders, no signaling) shows how much of that the browser needs.
  const acceptLimit = floor === null ? null : 0.5 * floor;
  const floorAccept = metric('floor-ringing', 'acceptToFirstFrame');
  rows.push({
    metric: `accept → first frame, two-way (accepted after ${RING_MS / 1000} s of ringing)`,
    scenario: 'floor-ringing',
    ...floorAccept,
    floorMedian: floor,
    goal: '',
    met: '',
  });
  for (const [scenario, when] of [
    ['widget', 'accepted as soon as it rings'],
    ['widget-ringing', `accepted after ${RING_MS / 1000} s of ringing`],
  ] as const) {
    const accept = metric(scenario, 'acceptToFirstFrame');
    const under = accept.median !== null && acceptLimit !== null && accept.median <= acceptLimit;
    rows.push({
      metric: `accept → first frame, two-way (${when})`,
      scenario: 'widget',
      ...accept,
      floorMedian: floor,
      goal: '≤ 0.5x floor placed → two-way frame',
      met:
        accept.median === null || acceptLimit === null
          ? 'no data'
          : verdict(
              under,
              (under ? `${ms(acceptLimit - accept.median)} to spare` : `${ms(accept.median - acceptLimit)} over ${ms(acceptLimit)}`) +
                (scenario === 'widget-ringing' && floorAccept.median !== null ? `; the floor's own accept: ${ms(floorAccept.median)}` : ''),
            ),
    });
  }
  rows.push({ metric: 'page load → `ready` (second visitor)', scenario: 'widget', ...metric('widget', 'loadToReady'), floorMedian: null, goal: '', met: '' });

  // Milestones in the order they typically happen (by median), which differs between designs.
  const milestones = Object.fromEntries(
    SCENARIOS.map((scenario) => [
      scenario,
      MILESTONES[isWidget(scenario) ? 'widget' : 'plain']
        .map(([label]) => ({ label, ...stat(of(scenario, (f) => f.milestones[label])) }))
        .filter((m) => m.median !== null)
        .sort((a, b) => a.median! - b.median!),
    ]),
  ) as Record<Scenario, Array<{ label: string; median: number | null; p90: number | null; n: number }>>;
  const missing = SCENARIOS.map((s) => [s, runs - of(s, (f) => f.firstFrameTwoWay).length] as const).filter(([, n]) => n > 0);
  const loads = samples.map((s) => s.load);
  return { rows, milestones, missing, load: { min: Math.min(...loads), max: Math.max(...loads) } };
}

function render(summary: ReturnType<typeof summarize>, runs: number, machine: string, cores: number, bundleChanged: boolean, cameraMs: number): string {
  const body = summary.rows.map((r) => [
    r.metric,
    LABELS[r.scenario],
    ms(r.median),
    ms(r.p90),
    r.floorMedian === null ? '' : ratio(r.median, r.floorMedian),
    r.n,
    r.goal,
    r.met,
  ]);
  const where = SCENARIOS.map((scenario) => {
    const from = isRinging(scenario) ? 'from the accept' : 'from placed';
    return `${LABELS[scenario]} (${from}): ${summary.milestones[scenario].map((m) => `${m.label} ${ms(m.median)}`).join(', ')}`;
  });
  const { min, max } = summary.load;
  const notes = [
    `${runs} run${runs === 1 ? '' : 's'} plus one warm-up round (not counted), the scenarios interleaved in an order rotated per run; ${machine}; ` +
      `1-minute load average ${min.toFixed(1)}–${max.toFixed(1)} on ${cores} cores` +
      (max > cores ? ' (other work shared the machine: trust the ratios within this run more than the milliseconds)' : '') +
      '. "× floor": the median over the floor\'s median of the same metric (for accept → first frame: over the floor\'s placed → ' +
      `two-way frame). n: runs in which the event was seen within ${CALL_MS / 1000} s.`,
    '"Placed": the caller page starts the call with its camera still closed (`call()` for the widget); each callee opens its camera ' +
      'when it learns of the call. ICE connected: the caller\'s `iceConnectionState` `connected`/`completed` or `connectionState` ' +
      '`connected`, whichever first. First frame: `requestVideoFrameCallback` on the remote `<video>`, at the frame\'s presentation ' +
      'time. One-way: the callee shows the caller\'s video; two-way: the later of both sides\' first frames.',
    'Every page shows the remote video 320 px wide; the widget gets `style="width: 320px"`, as a site owner sizes it. Its ' +
      'default fills its container, and headless Chromium paints video without a GPU: at this viewport\'s full width the ' +
      'widget\'s pages would spend far more CPU on painting than the others, which says nothing about call set-up.',
    `Chromium CPU time: user and system time of all of Chromium's processes (browser, GPU, network service, both pages' ` +
      `renderers) in the ${CPU_WINDOW_MS / 1000} s after "placed", from /proc; a run that took longer to show video is left out. ` +
      `The machine has ${cores * CPU_WINDOW_MS} ms of CPU in that time: a design that needs more of it waits for the CPU at ` +
      'each step when the machine is shared.',
    'The widget\'s callee calls `accept()` in a microtask after the `ringing` event (as a click would come after it), or, in the ' +
      `second accept row, ${RING_MS / 1000} s later; nothing else differs. The widget runs with its default attributes (no \`preconnect\` ` +
      'attribute set).',
    `Where the time goes (medians, in the order they happen):\n${where.map((line) => `  - ${line}`).join('\n')}`,
    'Page load → `ready`: navigation start of the second visitor\'s page until its widget is `ready` (the script from the call ' +
      'server, the Socket.IO connection, the join).',
  ];
  if (summary.missing.length) {
    notes.push(`Runs without a two-way frame within ${CALL_MS / 1000} s: ${summary.missing.map(([s, n]) => `${LABELS[s]} ${n}`).join(', ')}.`);
  }
  if (cameraMs > 0) {
    notes.unshift(
      `**Every camera opens ${cameraMs} ms later than the fake device would** (\`--camera-ms ${cameraMs}\`), as real webcams take ` +
        'hundreds of milliseconds to start where the fake one is fast (the "camera open" steps below); every design gets the same delay.',
    );
  }
  if (bundleChanged) notes.push('**`dist/call-widget.js` changed during the run: the widget\'s figures mix two builds.**');
  return `${table(['metric', 'scenario', 'median', 'p90', '× floor', 'n', 'goal', 'met'], body)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
}

/** Runs `count` rounds of all scenarios, numbered from `first` (-1: the warm-up). */
async function rounds(browser: Browser, servers: BenchServers, count: number, first: number, cameraMs: number, log: (line: string) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let run = first; run < first + count; run++) {
    // Rotated by run: over as many runs as there are scenarios, each takes every place in the order once.
    const order = SCENARIOS.map((_, i) => SCENARIOS[(i + Math.max(run, 0)) % SCENARIOS.length]);
    const line: string[] = [];
    for (const [position, scenario] of order.entries()) {
      const sample = await oneCall(browser, servers, scenario, run, position, cameraMs);
      samples.push(sample);
      const f = figures(sample);
      line.push(`${scenario} ${ms(f.iceConnected)}/${ms(f.firstFrameTwoWay)}${sample.errors.length ? ` (${sample.errors[0]})` : ''}`);
    }
    log(`${run < 0 ? 'warm-up' : `run ${run + 1}/${first + count}`}: ${line.join(', ')}  [ICE connected/two-way frame]`);
  }
  return samples;
}

export async function run(options: BenchOptions & { runs?: number; cameraMs?: number }): Promise<BenchSection> {
  const runs = options.runs ?? (options.quick ? QUICK_RUNS : DEFAULT_RUNS);
  const cameraMs = options.cameraMs ?? 0;
  const log = (line: string) => console.error(`[call-setup] ${line}`);
  const { result, bundle } = await withBrowser(startBenchServers, async ({ browser, servers, machine, cores }) => {
    const warmUp = await rounds(browser, servers, 1, -1, cameraMs, log);
    const samples = await rounds(browser, servers, runs, 0, cameraMs, log);
    return { warmUp, samples, machine, cores, summary: summarize(samples, runs) };
  });
  const { warmUp, samples, machine, cores, summary } = result;
  return {
    title: 'Call set-up',
    markdown: render(summary, runs, machine, cores, bundle.before !== bundle.after, cameraMs),
    data: { runs, quick: options.quick, machine, ringMs: RING_MS, cameraMs, bundle, samples: samples.map((s) => ({ ...s, figures: figures(s) })), warmUp, summary },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const runs = option('--runs');
  const cameraMs = option('--camera-ms');
  if ((runs !== undefined && !(Number.isInteger(runs) && runs > 0)) || (cameraMs !== undefined && !(Number.isInteger(cameraMs) && cameraMs >= 0 && cameraMs <= 5000))) {
    console.error('usage: node --import tsx bench/call-setup.ts [--quick] [--runs N] [--camera-ms 0-5000]');
    process.exit(2);
  }
  const section = await run({ quick: args.includes('--quick'), runs, cameraMs });
  console.log(section.markdown);
}
