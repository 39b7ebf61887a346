/**
 * `npm run bench:reconnect`: how fast a call notices a 5 s cut of one side's link and how fast video comes
 * back once the link returns, against the browser's own detection measured in the same run.
 *
 * In the NAT lab (real NATs, real coturn, real Chromium; see test/network/lab.ts), for each run: a call
 * between client A and client B (both behind symmetric NATs, so through TURN), then A's router drops every
 * packet for 5 s. Per side it records
 *   (a) cut → the widget's `reconnecting`,
 *   (b) cut → the browser's own `iceConnectionState` `disconnected`, on a plain `RTCPeerConnection` between
 *       the same two pages with the same fake camera and nothing watching it (the widget's own connection
 *       cannot show it: the widget restarts ICE long before the browser would say anything),
 *   (c) link restored → remote video frames decoding again.
 * Times come from Date.now() in the pages and in this process: one machine, one clock.
 *
 * Then, on one more call, how fast the quality score notices loss: N times, 5 % of client A's outgoing packets
 * dropped (iptables on its router) until client B's widget shows 3 bars or fewer, then the loss lifted until it
 * shows 4 or more again. Per repetition it records loss on → B's first lower level and → B at ≤ 3 bars (times of
 * the `call-quality-change` events in B's page), and loss lifted → ≥ 4 bars.
 *
 * Options: `--runs N` (default 10, for both parts), `--quick` (2 runs), `--readme` (put the tables in the
 * README). Needs root, like the NAT lab.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { labUnavailable } from '../test/network/lab.js';
import { INET } from '../test/network/lab.js';
import { LabWorld, ORIGIN, call, close, settle, widgetState, type Host } from '../test/network/lab-world.js';
import { writeReadmeSection } from './readme-section.js';
import { quantiles, ratio } from './stats.js';
import { sleep } from './wait.js';

const CUT_SECONDS = 5;
/** Bounds on every wait: a run that exceeds them is recorded as missing a figure, never hangs the bench. */
const DETECT_LIMIT_MS = 20_000;
const RECOVER_LIMIT_MS = 30_000;

const args = process.argv.slice(2);
const runs = args.includes('--quick') ? 2 : Number(args[args.indexOf('--runs') + 1] ?? 10) || 10;

/**
 * Installed in each page once the call is connected: every 100 ms, how many remote video frames the widget's
 * connection has decoded (a rebuild replaces the connection, and its counter starts again from zero).
 */
const PROBE = `(() => {
  const el = document.querySelector('call-widget');
  window.frameLog = [];
  window.probe = setInterval(async () => {
    const pc = el.peerConnection;
    if (!pc) return;
    let frames = 0;
    (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded ?? 0; });
    window.frameLog.push({ at: Date.now(), frames });
  }, 100);
})()`;

/**
 * The browser on its own: a second connection between the two pages, relayed by the lab's TURN-over-TCP-443
 * coturn (its own server, so its path can be kept cut while the widget's is restored: the browser needs longer
 * than the 5 s cut to notice anything). It carries the fake microphone, so packets flow as in a call (audio
 * only: the machines have two cores, and the browser's detection does not depend on the kind of media).
 */
/** A session description as the pages hand it over (this process has no DOM types). */
interface Description {
  type: string;
  sdp: string;
}

const BASELINE_TURN = `turn:${INET.turnTcp443}:443?transport=tcp`;
const BASELINE_SETUP = (role: 'offer' | 'answer', remote?: Description) => `(async () => {
  const { iceServers } = await (await fetch('${ORIGIN}/ice-servers')).json();
  const turn = iceServers.find((s) => [].concat(s.urls).includes('${BASELINE_TURN}'));
  const pc = new RTCPeerConnection({ iceServers: [{ ...turn, urls: '${BASELINE_TURN}' }], iceTransportPolicy: 'relay' });
  window.baseline = pc;
  window.baselineLog = [];
  pc.addEventListener('iceconnectionstatechange', () => window.baselineLog.push({ at: Date.now(), state: pc.iceConnectionState }));
  const media = await navigator.mediaDevices.getUserMedia({ audio: true });
  media.getTracks().forEach((t) => pc.addTrack(t, media));
  ${role === 'answer' ? `await pc.setRemoteDescription(${JSON.stringify(remote)});` : ''}
  await pc.setLocalDescription();
  // Whole descriptions, candidates inside: this process carries them, so no trickle channel is needed.
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 10000);
  });
  return { type: pc.localDescription.type, sdp: pc.localDescription.sdp };
})()`;

/** Connects the baseline between the two pages; resolves once both say `connected` (bounded). */
async function startBaseline(alice: Host, bob: Host): Promise<void> {
  const offer = (await alice.page.evaluate(BASELINE_SETUP('offer'))) as Description;
  const answer = (await bob.page.evaluate(BASELINE_SETUP('answer', offer))) as Description;
  await alice.page.evaluate(`window.baseline.setRemoteDescription(${JSON.stringify(answer)})`);
  const connected = `window.baseline.iceConnectionState === 'connected' || window.baseline.iceConnectionState === 'completed'`;
  await Promise.all([alice.page.waitForFunction(connected, undefined, { timeout: 15_000 }), bob.page.waitForFunction(connected, undefined, { timeout: 15_000 })]);
}

/** Router A's rules that keep the baseline's path cut after the widget's link is restored. */
const baselineRules = [
  ['-p', 'tcp', '-d', INET.turnTcp443, '--dport', '443'],
  ['-p', 'tcp', '-s', INET.turnTcp443, '--sport', '443'],
];

type Metric = 'reconnecting' | 'iceDisconnected' | 'videoAgain';

interface Sample {
  side: 'Alice (cut side)' | 'Bob';
  reconnecting: number | null;
  iceDisconnected: number | null;
  videoAgain: number | null;
  /** The widget's state once recovery was over (or its time limit was). */
  outcome: string;
  /** When video was not seen again: the frame counts of the last second, to tell a frozen decoder from a lost call. */
  framesAtEnd?: number[];
}


/** The first `reconnecting` after `since`, from the page's event log. */
async function reconnectingAt(h: Host, since: number): Promise<number | null> {
  const events = (await h.page.evaluate('window.events')) as Array<{ type: string; state?: string; at: number }>;
  return events.find((e) => e.type === 'call-state-change' && e.state === 'reconnecting' && e.at >= since)?.at ?? null;
}

async function iceDisconnectedAt(h: Host, since: number): Promise<number | null> {
  const log = (await h.page.evaluate('window.baselineLog ?? []')) as Array<{ at: number; state: string }>;
  return log.find((e) => e.state === 'disconnected' && e.at >= since)?.at ?? null;
}

/** When frames were decoded again after `since`: the first sample whose count rose over the one before it. */
async function videoAgainAt(h: Host, since: number): Promise<number | null> {
  const log = (await h.page.evaluate('window.frameLog')) as Array<{ at: number; frames: number }>;
  for (let i = 1; i < log.length; i++) {
    if (log[i].at < since) continue;
    const rose = log[i].frames > log[i - 1].frames || (log[i].frames > 0 && log[i].frames < log[i - 1].frames);
    if (rose) return log[i].at;
  }
  return null;
}

async function oneRun(world: LabWorld): Promise<Sample[]> {
  const { lab } = world;
  lab.setRouter(lab.ns.routerA, 'symmetric');
  lab.setRouter(lab.ns.routerB, 'symmetric');
  const iceUrl = { 'ice-servers-url': `${ORIGIN}/ice-servers` };
  const outcome = await call(world, [lab.ns.clientA, iceUrl], [lab.ns.clientB, iceUrl]);
  const { alice, bob } = outcome;
  try {
    if (outcome.ra.state !== 'connected' || outcome.rb.state !== 'connected') throw new Error(`the call did not connect: ${outcome.ra.state}/${outcome.rb.state}`);
    await Promise.all([alice.page.evaluate(PROBE), bob.page.evaluate(PROBE)]);
    await startBaseline(alice, bob);
    // Let media settle so the cut lands on a call in its steady state.
    await sleep(2000);
    const router = lab.ns.routerA;
    const cutAt = Date.now();
    lab.cut(router);
    for (const rule of baselineRules) lab.exec(router, 'iptables', '-I', 'FORWARD', '1', ...rule, '-j', 'DROP');
    let restoredAt: number;
    try {
      try {
        await Promise.all([widgetState(alice, 'reconnecting', DETECT_LIMIT_MS), widgetState(bob, 'reconnecting', DETECT_LIMIT_MS)]).catch(() => {});
        await sleep(Math.max(0, cutAt + CUT_SECONDS * 1000 - Date.now()));
      } finally {
        lab.restore(router);
        restoredAt = Date.now();
      }
      await Promise.all([settle(alice, ['connected', 'failed'], RECOVER_LIMIT_MS), settle(bob, ['connected', 'failed'], RECOVER_LIMIT_MS)]).catch(() => {});
      // Back to `connected` means RTP arrives; video may still wait for a key frame, or for the sender's
      // bandwidth estimate to let its encoder resume (audio comes first). Wait (bounded) for decoded frames.
      const decoding = `window.frameLog.some((e, i) => i > 0 && e.at >= ${restoredAt} && e.frames !== window.frameLog[i - 1].frames)`;
      const frameLimit = { timeout: Math.max(1, restoredAt + RECOVER_LIMIT_MS - Date.now()) };
      await Promise.all([alice.page.waitForFunction(decoding, undefined, frameLimit), bob.page.waitForFunction(decoding, undefined, frameLimit)]).catch(() => {});
      const noticed = `(window.baselineLog ?? []).some((e) => e.state === 'disconnected' && e.at >= ${cutAt})`;
      await Promise.all([alice.page.waitForFunction(noticed, undefined, { timeout: Math.max(1, cutAt + DETECT_LIMIT_MS - Date.now()) }), bob.page.waitForFunction(noticed, undefined, { timeout: Math.max(1, cutAt + DETECT_LIMIT_MS - Date.now()) })]).catch(() => {});
    } finally {
      for (const rule of baselineRules) lab.exec(router, 'iptables', '-D', 'FORWARD', ...rule, '-j', 'DROP');
    }
    const sample = async (h: Host, side: Sample['side']): Promise<Sample> => {
      const [r, d, v, outcome] = await Promise.all([reconnectingAt(h, cutAt), iceDisconnectedAt(h, cutAt), videoAgainAt(h, restoredAt), h.page.evaluate(`document.querySelector('call-widget').state`)]);
      const sample: Sample = { side, reconnecting: r && r - cutAt, iceDisconnected: d && d - cutAt, videoAgain: v && v - restoredAt, outcome: String(outcome) };
      if (v === null) sample.framesAtEnd = ((await h.page.evaluate('window.frameLog.slice(-10)')) as Array<{ frames: number }>).map((e) => e.frames);
      return sample;
    };
    return [await sample(alice, 'Alice (cut side)'), await sample(bob, 'Bob')];
  } finally {
    await close(alice, bob);
  }
}

/** Loss switched on → the level changes; bounded like the rest. */
const LOSS_PERCENT = 5;
const LOSS_LIMIT_MS = 20_000;
const LIFT_LIMIT_MS = 30_000;

interface LossSample {
  /** Loss on → B's first lower level, and → B at ≤ 3 bars; loss lifted → B at ≥ 4 bars (ms). */
  firstDrop: number | null;
  atMost3: number | null;
  backTo4: number | null;
}

/** The first `call-quality-change` at or after `since` whose level passes `test`, from B's page. */
async function levelAt(h: Host, since: number, test: string): Promise<number | null> {
  return (await h.page.evaluate(`(window.events.find((e) => e.type === 'call-quality-change' && e.at >= ${since} && e.level !== null && (${test})) ?? {}).at ?? null`)) as number | null;
}

async function lossRuns(world: LabWorld, runs: number): Promise<{ samples: LossSample[]; failures: string[] }> {
  const { lab } = world;
  lab.setRouter(lab.ns.routerA, 'symmetric');
  lab.setRouter(lab.ns.routerB, 'symmetric');
  const iceUrl = { 'ice-servers-url': `${ORIGIN}/ice-servers` };
  const { alice, bob, ra, rb } = await call(world, [lab.ns.clientA, iceUrl], [lab.ns.clientB, iceUrl]);
  const samples: LossSample[] = [];
  const failures: string[] = [];
  const level = (min: number, max: number, timeout: number) =>
    bob.page.waitForFunction(`(() => { const l = document.querySelector('call-widget').quality?.level; return l != null && l >= ${min} && l <= ${max}; })()`, undefined, { timeout, polling: 100 });
  try {
    if (ra.state !== 'connected' || rb.state !== 'connected') throw new Error(`the call did not connect: ${ra.state}/${rb.state}`);
    // A clean start: 5 bars (the warm-up is 3 windows and a rise takes two).
    await level(5, 5, 30_000);
    for (let i = 1; i <= runs; i++) {
      const before = (await bob.page.evaluate(`document.querySelector('call-widget').quality.level`)) as number;
      const lossAt = Date.now();
      lab.egressLoss(lab.ns.routerA, LOSS_PERCENT);
      let liftedAt: number;
      try {
        await level(0, 3, LOSS_LIMIT_MS).catch(() => {});
      } finally {
        lab.setRouter(lab.ns.routerA, 'symmetric');
        liftedAt = Date.now();
      }
      // Back to 5, so the next repetition starts where this one did.
      await level(4, 5, LIFT_LIMIT_MS).catch(() => {});
      const [drop, low, back] = await Promise.all([levelAt(bob, lossAt, `e.level < ${before}`), levelAt(bob, lossAt, 'e.level <= 3'), levelAt(bob, liftedAt, 'e.level >= 4')]);
      const sample = { firstDrop: drop && drop - lossAt, atMost3: low && low - lossAt, backTo4: back && back - liftedAt };
      samples.push(sample);
      console.log(`loss run ${i}/${runs}: first drop ${seconds(sample.firstDrop)} s, ≤ 3 bars ${seconds(sample.atMost3)} s; lifted → ≥ 4 bars ${seconds(sample.backTo4)} s`);
      await level(5, 5, LIFT_LIMIT_MS).catch(() => failures.push(`loss run ${i}: not back to 5 bars within ${LIFT_LIMIT_MS / 1000} s`));
    }
  } catch (error) {
    failures.push(`loss runs: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await close(alice, bob);
  }
  return { samples, failures };
}

const seconds = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(2));

async function main() {
  const unavailable = labUnavailable();
  if (unavailable) {
    console.error(`bench:reconnect cannot run: ${unavailable}`);
    process.exit(1);
  }
  const world = new LabWorld();
  const samples: Sample[] = [];
  const failures: string[] = [];
  let loss: { samples: LossSample[]; failures: string[] } = { samples: [], failures: [] };
  try {
    await world.start();
    for (let i = 1; i <= runs; i++) {
      try {
        const run = await oneRun(world);
        samples.push(...run);
        console.log(`run ${i}/${runs}: ${run.map((s) => `${s.side}: reconnecting ${seconds(s.reconnecting)} s, ICE disconnected ${seconds(s.iceDisconnected)} s, video ${seconds(s.videoAgain)} s${s.framesAtEnd ? ` (${s.outcome}, frames ${s.framesAtEnd.join(',')})` : ''}`).join(' | ')}`);
      } catch (error) {
        failures.push(`run ${i}: ${(error as Error).message}`);
        console.log(`run ${i}/${runs} failed: ${(error as Error).message}`);
      }
    }
    loss = await lossRuns(world, runs);
    failures.push(...loss.failures);
  } finally {
    world.teardown();
  }

  const rows: Array<{ metric: string; side: string; median: number | null; p90: number | null; n: number; goal: string; met: string }> = [];
  /** Within `limitMs`, or by how much not. */
  const within = (value: number | null, limitMs: number) =>
    value === null ? 'no data' : value <= limitMs ? 'yes' : `no (+${seconds(value - limitMs)} s)`;
  for (const side of ['Alice (cut side)', 'Bob'] as const) {
    const stat = (key: Metric) => {
      const values = samples.filter((s) => s.side === side && s[key] !== null).map((s) => s[key]!);
      const [median, p90] = quantiles(values, [0.5, 0.9]);
      return { side, median, p90, n: values.length };
    };
    const [a, b, c] = [stat('reconnecting'), stat('iceDisconnected'), stat('videoAgain')];
    rows.push(
      { metric: '(a) cut → `reconnecting`', ...a, goal: '≤ 3 s, well under (b)', met: `${within(a.median, 3000)}; ${b.median ? `${ratio(a.median, b.median)} (b)` : '(b) not seen'}` },
      { metric: '(b) cut → `iceConnectionState` `disconnected` of a plain connection (the browser alone)', ...b, goal: 'baseline', met: '' },
      { metric: '(c) link restored → remote video decoding', ...c, goal: '≤ 2 s', met: within(c.median, 2000) },
    );
  }

  const date = new Date().toISOString().slice(0, 10);
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  const table = [
    `Reconnect after a ${CUT_SECONDS} s link cut, ${runs} runs, ${date}, ${machine} (seconds; n = runs where the event was seen)`,
    '',
    '| metric | side | median | p90 | n | goal | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.metric} | ${r.side} | ${seconds(r.median)} | ${seconds(r.p90)} | ${r.n} | ${r.goal} | ${r.met} |`),
  ].join('\n');
  const lossStat = (key: keyof LossSample) => {
    const values = loss.samples.map((s) => s[key]).filter((v): v is number => v !== null);
    const [median, p90] = quantiles(values, [0.5, 0.9]);
    return { median, p90, n: values.length };
  };
  const lossRows = [
    { metric: `${LOSS_PERCENT} % loss on → first lower level`, ...lossStat('firstDrop'), goal: '', met: '' },
    { metric: `${LOSS_PERCENT} % loss on → ≤ 3 bars`, ...lossStat('atMost3'), goal: '≤ 5 s', met: within(lossStat('atMost3').median, 5000) },
    { metric: 'loss lifted → ≥ 4 bars', ...lossStat('backTo4'), goal: '≤ 15 s', met: within(lossStat('backTo4').median, 15_000) },
  ];
  const lossTable = [
    `Quality level after ${LOSS_PERCENT} % loss on one side's uplink, at the other side, ${runs} repetitions on one call, ${date}, ${machine} (seconds; n = repetitions where the level was seen)`,
    '',
    '| metric | median | p90 | n | goal | met |',
    '|---|---|---|---|---|---|',
    ...lossRows.map((r) => `| ${r.metric} | ${seconds(r.median)} | ${seconds(r.p90)} | ${r.n} | ${r.goal} | ${r.met} |`),
  ].join('\n');
  console.log(`\n${table}\n\n${lossTable}\n`);
  if (failures.length) console.log(`runs that failed: ${failures.join('; ')}`);

  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/reconnect-${date}${args.includes('--quick') ? '-quick' : ''}.json`;
  writeFileSync(file, JSON.stringify({ date, machine, node: process.version, cutSeconds: CUT_SECONDS, runs, samples, rows, loss: { percent: LOSS_PERCENT, samples: loss.samples, rows: lossRows }, failures }, null, 2) + '\n');
  console.log(`written to ${file}`);
  if (args.includes('--readme') && !args.includes('--quick') && samples.length) {
    writeReadmeSection('reconnect', table);
    if (loss.samples.length) writeReadmeSection('quality-loss', lossTable);
    console.log('README.md updated');
  }
  // Proof that it works: a bench whose every run failed says so with its exit code.
  if (!samples.length || !loss.samples.length) process.exit(1);
}

await main();
