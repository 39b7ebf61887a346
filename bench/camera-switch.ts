/**
 * Camera switch mid-call: from the moment the caller asks for another camera until the callee presents the
 * first frame from that camera, for `<call-widget>` against a renegotiating switch measured in the same run:
 *   widget        `callWidget.selectDevice('videoinput', id)`: the new camera goes into the connected video
 *                 sender with `RTCRtpSender.replaceTrack`, no offer, no answer;
 *   renegotiate   on the same widget call (same connection, same reference server, same negotiator), the
 *                 page stops the old camera, opens the new one, `removeTrack`s the old sender and `addTrack`s
 *                 the new track: a new m-line, a new offer and answer through the server, a new track at the
 *                 far side (see bench/camera-switch/pages/call.js).
 *
 * Each call is a fresh pair of pages (a browser context each) in one headless Chromium with three fake cameras,
 * connected through the reference server on loopback. Once the callee has shown the first camera steadily,
 * the caller switches `fake_device_0` → `fake_device_2`, waits, and switches back: two samples a call. The
 * callee tells the cameras apart by the colour of their frames' corners (bench/camera-switch/pages/cameras.js);
 * `fake_device_1` is never chosen (a depth camera that crashes Chromium when sent). Each run makes one call of
 * each scenario, the order alternating from run to run; a warm-up round before is not counted.
 *
 * Offers and signaling state changes on both pages are counted around every switch: the widget's must stay
 * at zero (no renegotiation), the renegotiating one's must be one offer a switch (it did renegotiate).
 *
 * `node --import tsx bench/camera-switch.ts [--quick] [--runs N]` prints the table; `run()` is what
 * `npm run bench` calls. `BENCH_PORT_BASE=N` puts the site on port N and the reference server on N + 1 (any
 * free ports otherwise).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { withBrowser } from './browser-run.js';
import { startSwitchServers, type SwitchServers } from './camera-switch/servers.js';
import { quantiles, ratio, table, type BenchOptions, type BenchSection } from './stats.js';
import { bounded, sleep } from './wait.js';

type Scenario = 'widget' | 'renegotiate';
const SCENARIOS: readonly Scenario[] = ['widget', 'renegotiate'];
const LABELS: Record<Scenario, string> = {
  widget: '`<call-widget>` `selectDevice` (`replaceTrack`)',
  renegotiate: 'renegotiating (`removeTrack` + `addTrack`, new offer/answer)',
};

/** The cameras switched between, in order, starting from the default one (the first listed). */
const FIRST_CAMERA = 'fake_device_0';
const SWITCHES = ['fake_device_2', 'fake_device_0'];

const DEFAULT_RUNS = 12;
const QUICK_RUNS = 2;
/** The goal from the issue: the widget's switch within this, and below the renegotiating one. */
const GOAL_MS = 500;

/**
 * Bounds on every wait (a run that exceeds one is recorded with what it reached, never hangs the bench), and
 * the pauses that keep one switch from measuring the previous one's after-effects.
 */
const PAGE_READY_MS = 15_000;
const CALL_MS = 15_000;
const SWITCH_MS = 5_000;
const BROWSER_CALL_MS = 5_000;
/**
 * Frames of the first camera the callee shows before the first switch (20 fps: 1.5 s). Right after
 * connecting, the sender's bandwidth estimate is still ramping up, and a switch then would measure that.
 */
const STEADY_FRAMES = 30;
/** After a switch, before the next one: the new camera's stream settles (bitrate, key frames). */
const SETTLE_MS = 1_000;

/** One switch: what the pages saw, in ms from the caller's request, null where it was not seen in time. */
interface Sample {
  run: number;
  scenario: Scenario;
  from: string;
  to: string;
  /** The callee presented the first frame from `to`. */
  firstFrame: number | null;
  /** The switching call returned (widget: the new track is in the sender; renegotiate: `addTrack` done). */
  returned: number | null;
  /** The caller's `getUserMedia` for the new camera resolved. */
  cameraOpen: number | null;
  /** Renegotiate only: the caller set its offer, and the far side's answer. */
  offerSet: number | null;
  answerApplied: number | null;
  /** Offers made and signaling state changes on either page, from the request until `SETTLE_MS` after the frame. */
  offers: number;
  signalingChanges: number;
  /** Frames the callee presented between the request and the new camera's first, by camera (or `unclear`). */
  framesBefore: Record<string, number>;
  /** What the caller's sender carried once the switch returned (the label asked for, if right). */
  sending: string | null;
  /** The machine's 1-minute load average at the switch: these machines are shared. */
  load: number;
  errors: string[];
}

interface PageState {
  errors: string[];
  offers: number;
  signalingChanges: number;
  cameraOpenAt: number | null;
  described: Record<string, number>;
  watched: { label: string; armedAt: number; seenAt: number | null; before: Record<string, number> } | null;
}

const message = (error: unknown) => (error as Error)?.message?.split('\n')[0] ?? String(error);
const between = (from: number, to: number | null | undefined) => (to === null || to === undefined || to < from ? null : Math.round(to - from));
const STATE = '({ errors: bench.errors, offers: bench.offers, signalingChanges: bench.signalingChanges, cameraOpenAt: bench.cameraOpenAt, described: bench.described, watched: bench.watched })';
const state = (page: Page) => bounded(page.evaluate(STATE), BROWSER_CALL_MS, 'page state') as Promise<PageState>;

/** One call of `scenario`: connects, waits for steady video, then switches camera `SWITCHES.length` times. */
async function oneCall(browser: Browser, servers: SwitchServers, scenario: Scenario, run: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  const contexts: BrowserContext[] = [];
  const room = `switch-${scenario}-r${run + 1}-${Math.random().toString(36).slice(2, 8)}`;
  const open = async (role: 'caller' | 'callee') => {
    const context = await bounded(browser.newContext(), BROWSER_CALL_MS, 'new context');
    contexts.push(context);
    const page = await bounded(context.newPage(), BROWSER_CALL_MS, 'new page');
    const query = new URLSearchParams({ role, room, server: servers.callServer });
    await page.goto(`${servers.site}/call?${query.toString()}`, { timeout: PAGE_READY_MS });
    return page;
  };
  const failed = (error: unknown, from: string, to: string) =>
    samples.push({ run, scenario, from, to, firstFrame: null, returned: null, cameraOpen: null, offerSet: null, answerApplied: null, offers: 0, signalingChanges: 0, framesBefore: {}, sending: null, load: os.loadavg()[0], errors: [message(error)] });
  let from = FIRST_CAMERA;
  try {
    // The callee is in the room first, alone ("waiting"), as in the call-setup bench; then the caller comes.
    const callee = await open('callee');
    await callee.waitForFunction("bench.state === 'waiting'", undefined, { timeout: PAGE_READY_MS });
    const caller = await open('caller');
    const pages: Page[] = [caller, callee];
    await Promise.all(pages.map((p) => p.waitForFunction('bench.ready', undefined, { timeout: PAGE_READY_MS })));
    await bounded(caller.evaluate('bench.place()'), CALL_MS, 'call()');
    await callee.waitForFunction(`bench.steadyFrames >= ${STEADY_FRAMES}`, undefined, { timeout: CALL_MS });

    for (const to of SWITCHES) {
      const load = os.loadavg()[0];
      // The callee watches before the caller asks: no frame of the new camera can come before it looks.
      await callee.evaluate(`bench.watchFor(${JSON.stringify(to)})`);
      const before = await Promise.all(pages.map(state));
      const switched = (await bounded(caller.evaluate(`bench.switchCamera(${JSON.stringify(scenario)}, ${JSON.stringify(to)})`), SWITCH_MS, 'switch')) as {
        requestedAt: number;
        returnedAt: number;
        sending: string | null;
      };
      const errors: string[] = [];
      await callee.waitForFunction('bench.watched.seenAt !== null', undefined, { timeout: SWITCH_MS }).catch((error: unknown) => errors.push(`no frame from ${to}: ${message(error)}`));
      // Anything the switch set off (an offer late, say) shows in the counts by the end of the pause.
      await sleep(SETTLE_MS);
      const [callerAfter, calleeAfter] = await Promise.all(pages.map(state));
      const at = switched.requestedAt;
      // Described after the request only: the call's own offer and answer are older.
      const described = (type: string) => between(at, callerAfter.described[type] !== before[0].described[type] ? callerAfter.described[type] : null);
      samples.push({
        run,
        scenario,
        from,
        to,
        firstFrame: between(at, calleeAfter.watched?.seenAt),
        returned: between(at, switched.returnedAt),
        cameraOpen: between(at, callerAfter.cameraOpenAt),
        offerSet: described('have-local-offer'),
        answerApplied: described('stable'),
        offers: callerAfter.offers - before[0].offers + calleeAfter.offers - before[1].offers,
        signalingChanges: callerAfter.signalingChanges - before[0].signalingChanges + calleeAfter.signalingChanges - before[1].signalingChanges,
        framesBefore: calleeAfter.watched?.before ?? {},
        sending: switched.sending,
        load,
        errors: [...errors, ...callerAfter.errors.slice(before[0].errors.length), ...calleeAfter.errors.slice(before[1].errors.length)],
      });
      from = to;
    }
  } catch (error) {
    // The switches not made are recorded as missing, with why.
    for (const to of SWITCHES.slice(samples.length)) {
      failed(error, from, to);
      from = to;
    }
  } finally {
    await Promise.allSettled(contexts.map((c) => bounded(c.close(), BROWSER_CALL_MS, 'close context')));
  }
  return samples;
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`);

interface Stat {
  median: number | null;
  p90: number | null;
  n: number;
}

/** One scenario's figures over all its switches (times in ms from the request). */
interface ScenarioFigures {
  firstFrame: Stat;
  /** `firstFrame` by the camera switched to. */
  byCamera: Record<string, Stat>;
  returned: Stat;
  cameraOpen: Stat;
  offerSet: Stat;
  answerApplied: Stat;
  switches: number;
  offers: number;
  signalingChanges: number;
  /** Switches whose sender did not carry the camera asked for once the switch returned. */
  wrongSender: number;
  unclearFrames: number;
  /** Switches without a frame of the new camera within `SWITCH_MS`. */
  missing: number;
  /** Widget: switches with an offer or a signaling change; renegotiate: switches with other than one offer. */
  unexpectedNegotiation: number;
}

function summarize(samples: Sample[]) {
  const stat = (values: Array<number | null>): Stat => {
    const seen = values.filter((v): v is number => v !== null);
    const [median, p90] = quantiles(seen, [0.5, 0.9]);
    return { median, p90, n: seen.length };
  };
  const of = (scenario: Scenario, to?: string) => samples.filter((s) => s.scenario === scenario && (to === undefined || s.to === to));
  const figures = Object.fromEntries(
    SCENARIOS.map((scenario) => {
      const mine = of(scenario);
      return [
        scenario,
        {
          firstFrame: stat(mine.map((s) => s.firstFrame)),
          byCamera: Object.fromEntries(SWITCHES.map((to) => [to, stat(of(scenario, to).map((s) => s.firstFrame))])),
          returned: stat(mine.map((s) => s.returned)),
          cameraOpen: stat(mine.map((s) => s.cameraOpen)),
          offerSet: stat(mine.map((s) => s.offerSet)),
          answerApplied: stat(mine.map((s) => s.answerApplied)),
          switches: mine.length,
          offers: mine.reduce((sum, s) => sum + s.offers, 0),
          signalingChanges: mine.reduce((sum, s) => sum + s.signalingChanges, 0),
          wrongSender: mine.filter((s) => s.sending !== null && s.sending !== s.to).length,
          unclearFrames: mine.reduce((sum, s) => sum + (s.framesBefore.unclear ?? 0), 0),
          missing: mine.filter((s) => s.firstFrame === null).length,
          // The widget's switch must not renegotiate; the baseline must, once (more would be something else: an ICE restart, say).
          unexpectedNegotiation: mine.filter((s) => (scenario === 'widget' ? s.offers !== 0 || s.signalingChanges !== 0 : s.offers !== 1)).length,
        },
      ];
    }),
  ) as Record<Scenario, ScenarioFigures>;
  const loads = samples.map((s) => s.load);
  return { figures, load: { min: Math.min(...loads), max: Math.max(...loads) } };
}
function render(summary: ReturnType<typeof summarize>, runs: number, machine: string, cores: number, bundleChanged: boolean): string {
  const { widget, renegotiate } = summary.figures;
  const w = widget.firstFrame.median;
  const r = renegotiate.firstFrame.median;
  let met = 'no data';
  if (w !== null && r !== null) {
    const ok = w <= GOAL_MS && w < r;
    const parts = [w <= GOAL_MS ? `${ms(GOAL_MS - w)} under ${GOAL_MS} ms` : `${ms(w - GOAL_MS)} over ${GOAL_MS} ms`, w < r ? `${ms(r - w)} below renegotiating` : `${ms(w - r)} above renegotiating`];
    met = `${ok ? 'yes' : 'no'} (${parts.join('; ')})`;
  }
  const metric = 'camera switch → first frame of the new camera at the peer';
  const body = [
    [metric, LABELS.widget, ms(w), ms(widget.firstFrame.p90), ratio(w, r), widget.firstFrame.n, `≤ ${GOAL_MS} ms and below renegotiating`, met],
    [metric, LABELS.renegotiate, ms(r), ms(renegotiate.firstFrame.p90), ratio(r, r), renegotiate.firstFrame.n, '', ''],
  ];
  const steps = (scenario: Scenario) => {
    const f = summary.figures[scenario];
    const list: Array<[string, number | null]> =
      scenario === 'widget'
        ? [
            ['new camera open', f.cameraOpen.median],
            ['`selectDevice` resolved (track in the sender)', f.returned.median],
            ['first frame at the peer', f.firstFrame.median],
          ]
        : [
            ['new camera open', f.cameraOpen.median],
            ['`addTrack` done', f.returned.median],
            ['offer set', f.offerSet.median],
            ['answer applied', f.answerApplied.median],
            ['first frame at the peer', f.firstFrame.median],
          ];
    const byCamera = SWITCHES.map((to) => `to ${to} ${ms(f.byCamera[to].median)}`).join(', ');
    return `${LABELS[scenario]}: ${list.map(([label, value]) => `${label} ${ms(value)}`).join(', ')} (by camera: ${byCamera})`;
  };
  const negotiation = (scenario: Scenario) => {
    const f = summary.figures[scenario];
    return `${LABELS[scenario]}: ${f.offers} offer${f.offers === 1 ? '' : 's'} and ${f.signalingChanges} signaling state change${f.signalingChanges === 1 ? '' : 's'} (both pages) in ${f.switches} switches`;
  };
  const { min, max } = summary.load;
  const notes = [
    `${runs} run${runs === 1 ? '' : 's'} of one call per scenario, ${SWITCHES.length} switches a call (${[FIRST_CAMERA, ...SWITCHES].join(' → ')}), plus one warm-up round (not counted), ` +
      `the order alternating per run; ${machine}; 1-minute load average ${min.toFixed(1)}–${max.toFixed(1)} on ${cores} cores` +
      (max > cores ? ' (other work shared the machine: trust the ratio within this run more than the milliseconds)' : '') +
      `. "× renegotiating": the median over the renegotiating switch's median. n: switches whose new camera was seen within ${SWITCH_MS / 1000} s.`,
    'Timed from the caller page\'s request (`selectDevice`, or the first step of the renegotiating switch: stopping the old camera) to the ' +
      'presentation time (`requestVideoFrameCallback`) of the first frame at the callee whose corners are the new camera\'s colour (the ' +
      'two fake cameras paint the same green picture but differently coloured corner squares). Both pages in one Chromium: one clock.',
    'The baseline is the same widget call (same `RTCPeerConnection`, reference server and perfect-negotiation code): the page stops ' +
      'the old camera, opens the new one, `removeTrack`s the video sender and `addTrack`s the new track; the widget\'s negotiator sends ' +
      'the offer `negotiationneeded` asks for and the far side\'s widget answers. The callee shows the new track it receives in a ' +
      '`<video>`, as an app must; both scenarios are read from such a `<video>` of the bench\'s own, beside the widget\'s.',
    `Renegotiation, counted around each switch until ${SETTLE_MS / 1000} s after its frame: ${negotiation('widget')}; ${negotiation('renegotiate')}.`,
    `Where the time goes (medians from the request):\n  - ${steps('widget')}\n  - ${steps('renegotiate')}`,
  ];
  const checks: string[] = [];
  for (const scenario of SCENARIOS) {
    const f = summary.figures[scenario];
    if (f.missing) checks.push(`${LABELS[scenario]}: ${f.missing} switch${f.missing === 1 ? '' : 'es'} without the new camera's frame`);
    const offBy = f.unexpectedNegotiation;
    if (offBy) checks.push(`${LABELS[scenario]}: ${offBy} switch${offBy === 1 ? '' : 'es'} with ${scenario === 'widget' ? 'an offer or a signaling change' : 'other than one offer'}`);
    if (f.wrongSender) checks.push(`${LABELS[scenario]}: ${f.wrongSender} switch${f.wrongSender === 1 ? '' : 'es'} whose sender did not carry the camera asked for`);
  }
  if (checks.length) notes.push(`**${checks.join('; ')}.**`);
  const unclear = SCENARIOS.map((s) => summary.figures[s].unclearFrames);
  notes.push(`Frames the callee could not assign to a camera before the new one's first (smeared by the switch): ${SCENARIOS.map((s, i) => `${LABELS[s]} ${unclear[i]}`).join(', ')}.`);
  if (bundleChanged) notes.push('**`dist/call-widget.js` changed during the run: the widget\'s figures mix two builds.**');
  return `${table(['metric', 'scenario', 'median', 'p90', '× renegotiating', 'n', 'goal', 'met'], body)}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
}

/** `count` rounds of both scenarios, numbered from `first` (-1: the warm-up). */
async function rounds(browser: Browser, servers: SwitchServers, count: number, first: number, log: (line: string) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let run = first; run < first + count; run++) {
    // Alternated by run: neither scenario always goes first.
    const order = Math.max(run, 0) % 2 ? [...SCENARIOS].reverse() : SCENARIOS;
    const line: string[] = [];
    for (const scenario of order) {
      const made = await oneCall(browser, servers, scenario, run);
      samples.push(...made);
      line.push(`${scenario} ${made.map((s) => `${ms(s.firstFrame)}${s.offers ? ` (${s.offers} offer${s.offers === 1 ? '' : 's'})` : ''}${s.errors.length ? ` [${s.errors[0]}]` : ''}`).join(' / ')}`);
    }
    log(`${run < 0 ? 'warm-up' : `run ${run + 1}/${first + count}`}: ${line.join(', ')}  [switch → first new frame]`);
  }
  return samples;
}

export async function run(options: BenchOptions & { runs?: number }): Promise<BenchSection> {
  const runs = options.runs ?? (options.quick ? QUICK_RUNS : DEFAULT_RUNS);
  const portBase = Number(process.env.BENCH_PORT_BASE ?? 0);
  if (!(Number.isInteger(portBase) && portBase >= 0 && portBase < 65535)) throw new Error(`BENCH_PORT_BASE=${process.env.BENCH_PORT_BASE} is not a port`);
  const log = (line: string) => console.error(`[camera-switch] ${line}`);
  const { result, bundle } = await withBrowser(
    () => startSwitchServers(portBase),
    async ({ browser, servers, machine, cores }) => {
      const warmUp = await rounds(browser, servers, 1, -1, log);
      const samples = await rounds(browser, servers, runs, 0, log);
      return { warmUp, samples, machine, cores, summary: summarize(samples) };
    },
  );
  const { warmUp, samples, machine, cores, summary } = result;
  return {
    title: 'Camera switch',
    markdown: render(summary, runs, machine, cores, bundle.before !== bundle.after),
    data: { runs, quick: options.quick, machine, switches: [FIRST_CAMERA, ...SWITCHES], bundle, samples, warmUp, summary },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : undefined;
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) {
    console.error('usage: node --import tsx bench/camera-switch.ts [--quick] [--runs N]');
    process.exit(2);
  }
  const section = await run({ quick: args.includes('--quick'), runs });
  console.log(section.markdown);
}
