/**
 * Server footprint: what the reference signaling server costs per visitor, beside PeerServer (PeerJS's
 * server, the `peer` package; see bench/peer-server.ts) measured in the same run.
 *
 * (a) Idle connections. For each case a fresh server process (started as test/support/servers.mjs starts it,
 *     the way `npm start` runs it) and a separate client process (bench/server-footprint/clients.ts) that
 *     opens the connections 100 at a time, in two equal batches; with Socket.IO, two per room, each joining
 *     as the widget does. The server's VmRSS (/proc/<pid>/status) is read on the empty server and after each
 *     batch, each time after a full GC: a preloaded hook (bench/server-footprint/memory-hook.mjs) collects
 *     garbage on SIGUSR2 and prints `process.memoryUsage()`, so the live heap's share is known too. The second
 *     batch alone gives the marginal cost, without the one-off growth the first one pays for. One more case
 *     runs the same server with a smaller young generation (a V8 flag, no code change).
 * (b) Signaling throughput. Simulated calls between pairs of the widget's own SignalingClient (each call:
 *     join, invite, accept, offer, answer, 10 candidates each way, hang up, leave), as fast as they go and
 *     then started at a fixed 500 calls/s. Every relayed signal is timed from the sender's emit to the
 *     receiver's handler (both sides of a call in one process: one clock), so a figure includes the client's
 *     own Socket.IO and validation work, as a browser's would. Server and client CPU are reported so that a
 *     client-bound run shows as one; with 4 cores or more the clients get two processes.
 *
 * Server settings: SIGNAL_RATE=10000 and SIGNAL_BURST=100000 (the maxima), because a bench pair reuses one
 * connection for call after call and would otherwise be throttled to 50 messages/s; ALLOWED_ORIGINS=* (the
 * clients send no Origin, allowed either way; this only silences the warning). No per-IP connection limit
 * exists on the Socket.IO side. PeerServer runs with its defaults except `concurrent_limit`.
 *
 * Run alone: `node --import tsx bench/server-footprint.ts [--quick]` (--quick: 300 connections, 2 s runs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer } from '../test/support/servers.mjs';
import { cpuSeconds } from './proc.js';
import type { CallsResult, ClientKind, Command, OpenResult } from './server-footprint/clients.js';
import { quantiles, ratio, table, type BenchOptions, type BenchSection } from './stats.js';
import { sleep } from './wait.js';

const HERE = fileURLToPath(new URL('./server-footprint/', import.meta.url));
const CLIENTS = `${HERE}clients.ts`;
const MEMORY_HOOK = pathToFileURL(`${HERE}memory-hook.mjs`).href;

/** Goals from the issue. */
const GOAL_KIB_PER_CONNECTION = 12;
const GOAL_RATE = 500;
const GOAL_P99_MS = 5;

/** Size of the synthetic offer and answer: a browser's audio+video SDP with the usual codecs is about 5 KB. */
const SDP_CHARS = 5000;

/** Connections opened at once: a burst, but not one that overflows the listen backlog and waits on SYN retries. */
const OPEN_CONCURRENCY = 100;

const SERVER_ENV = {
  ALLOWED_ORIGINS: '*',
  SIGNAL_RATE: '10000',
  SIGNAL_BURST: '100000',
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${MEMORY_HOOK}`.trim(),
};

type StartedServer = Awaited<ReturnType<typeof startServer>>;

interface IdleCase {
  name: string;
  entry: string;
  clients: ClientKind;
  /** Node/V8 flags for the server beyond the bench's own. */
  nodeOptions?: string;
}

const IDLE_CASES: readonly IdleCase[] = [
  { name: 'reference server ← widget clients (WebSocket first)', entry: 'server/main.ts', clients: 'widget' },
  { name: 'PeerServer ← PeerJS-protocol WebSocket clients', entry: 'bench/peer-server.ts', clients: 'peerjs' },
  { name: 'reference server ← socket.io-client defaults (polling, then upgrade)', entry: 'server/main.ts', clients: 'socketio-defaults' },
  {
    // Not a change to the server: a flag a deployment can set (NODE_OPTIONS; docs/DEPLOYMENT.md, section 5).
    // V8 grows the young generation up to 16 MB per semi-space under a burst of allocations (here,
    // handshakes) and keeps it committed. Not the default: under signaling load it makes scavenges about
    // three times as frequent.
    name: 'reference server run with `--max-semi-space-size=4` ← widget clients',
    entry: 'server/main.ts',
    clients: 'widget',
    nodeOptions: '--max-semi-space-size=4',
  },
];


// ---------------------------------------------------------------------------------------------------------
// Processes

/** Children still running, so that an interrupted bench leaves none behind. */
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killAll);

function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function launchServer(entry: string, name: string, nodeOptions = ''): Promise<StartedServer> {
  const env = { ...SERVER_ENV, NODE_OPTIONS: `${SERVER_ENV.NODE_OPTIONS} ${nodeOptions}`.trim() };
  const server = await startServer({ entry, env, name });
  track(server.process);
  return server;
}

/** The client process, and one request/answer at a time over IPC, each bounded. */
function launchClients() {
  const stderr: string[] = [];
  const child = track(fork(CLIENTS, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

  function request<T>(command: Command, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`client process: no answer to ${command.cmd} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`client process exited (${code}) during ${command.cmd}:\n${stderr.join('')}`));
      };
      child.once('exit', onExit);
      child.once('message', (answer: { ok: true; result: T } | { ok: false; error: string }) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (answer.ok) resolve(answer.result);
        else reject(new Error(`client process: ${answer.error}`));
      });
      child.send(command);
    });
  }

  async function close() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await request({ cmd: 'close' }, 10_000).catch(() => child.kill('SIGKILL'));
    await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
  }

  return { request, close };
}

// ---------------------------------------------------------------------------------------------------------
// Measuring a process from outside

/** Resident set size in bytes. */
function vmRss(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kib) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib[1]) * 1024;
}

interface Memory {
  /** VmRSS just before the forced GC. */
  rssBeforeGc: number;
  /** VmRSS after it. */
  rss: number;
  heapUsed: number;
  /** What V8 has committed for its heap: heapUsed plus free space it keeps (a grown young generation). */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Asks the server's memory hook for a full GC and its memory figures. */
async function memory(server: StartedServer): Promise<Memory> {
  const rssBeforeGc = vmRss(server.process.pid!);
  const stdout = server.process.stdout!;
  const reported = new Promise<NodeJS.MemoryUsage>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => done(new Error('the server did not report its memory within 10 s (is the memory hook loaded?)')), 10_000);
    const onData = (chunk: string) => {
      buffer += chunk;
      const line = /\[bench-memory\] (\{.*\})\n/.exec(buffer);
      if (line) done(null, JSON.parse(line[1]) as NodeJS.MemoryUsage);
    };
    const done = (error: Error | null, usage?: NodeJS.MemoryUsage) => {
      clearTimeout(timer);
      stdout.off('data', onData);
      if (error) reject(error);
      else resolve(usage!);
    };
    stdout.on('data', onData);
  });
  server.process.kill('SIGUSR2');
  const usage = await reported;
  return { rssBeforeGc, rss: vmRss(server.process.pid!), heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

/** Relay latency's quantiles, from one sort of what can be 100k+ values. */
function latencyQuantiles(latencies: readonly number[]) {
  const [p50, p90, p99, max] = quantiles(latencies, [0.5, 0.9, 0.99, 1]);
  return { p50, p90, p99, max };
}

/** Samples a process's CPU time every 100 ms; `percent(from, to)` is its CPU use between two Date.now() times. */
function cpuSampler(pid: number) {
  const samples: Array<{ at: number; seconds: number }> = [];
  const take = () => {
    try {
      samples.push({ at: Date.now(), seconds: cpuSeconds(pid) });
    } catch {
      // The process is gone (it crashed, or is being stopped): the run reports that through its own error.
    }
  };
  take();
  const timer = setInterval(take, 100);
  let stopped = false;
  return {
    /** Takes a last sample (once: the process may be gone the second time). */
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      take();
    },
    percent(from: number, to: number): number | null {
      const first = samples.find((s) => s.at >= from);
      const last = samples.findLast((s) => s.at <= to);
      if (!first || !last || last.at <= first.at) return null;
      return ((last.seconds - first.seconds) / ((last.at - first.at) / 1000)) * 100;
    },
  };
}

/** The 1-minute load average, from /proc/loadavg. */
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/** The soft limit on open files, which bounds the connections one process can hold. */
function openFileLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !line || line[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line[1]);
}

// ---------------------------------------------------------------------------------------------------------
// (a) Idle connections

interface IdleResult {
  case: IdleCase;
  count: number;
  opened: number;
  /** The two batches of `count / 2` connections. */
  batches: [OpenResult, OpenResult];
  /** Memory of the empty server, after the first batch, after the second. */
  memory: [Memory, Memory, Memory];
  /** Bytes per open connection against the empty server: what `count` connections cost, start-up growth included. */
  rssPerConnection: number;
  rssBeforeGcPerConnection: number;
  heapPerConnection: number;
  /** Bytes per connection of the second batch only: the marginal cost, one-off growth of the first batch excluded. */
  marginalRssPerConnection: number;
  marginalHeapPerConnection: number;
  /** Seconds until every connection was open, and until every one was open and (Socket.IO) joined. */
  openSeconds: number;
  readySeconds: number;
  /** `socketio-defaults`: seconds until every connection had moved to WebSocket. */
  upgradeSeconds: number | null;
  /** Server CPU (user + system) spent while the connections were opened and joined, per connection. */
  serverCpuMsPerConnection: number;
}

/**
 * One idle case: a fresh server, then `count` connections in two equal batches, memory read (after a full GC)
 * on the empty server and after each batch. The first batch also pays for one-off growth (V8's young
 * generation grows under the burst of handshakes, the allocator keeps what it was given); the second batch,
 * against the first, is the marginal cost of one more connection.
 */
async function idle(c: IdleCase, count: number, settleMs: number): Promise<IdleResult> {
  const server = await launchServer(c.entry, c.name, c.nodeOptions);
  const clients = launchClients();
  try {
    // Let start-up work (module loading, JIT) finish so that it is not counted against the connections.
    await sleep(settleMs);
    const empty = await memory(server);
    const half = Math.floor(count / 2);
    let serverCpu = 0;
    const batch = async (first: number, size: number): Promise<[OpenResult, Memory]> => {
      const cpuBefore = cpuSeconds(server.process.pid!);
      const open = await clients.request<OpenResult>(
        { cmd: 'open', kind: c.clients, url: server.url, first, count: size, concurrency: OPEN_CONCURRENCY, timeoutMs: 30_000 },
        size * 100 + 60_000,
      );
      serverCpu += cpuSeconds(server.process.pid!) - cpuBefore;
      if (open.opened === 0) throw new Error(`${c.name}: no connection opened (${open.errors.join('; ')})`);
      await sleep(settleMs);
      return [open, await memory(server)];
    };
    const [first, middle] = await batch(0, half);
    const [second, full] = await batch(half, count - half);
    const opened = first.opened + second.opened;
    const seconds = (key: 'openMs' | 'joinMs') => ((first[key] ?? 0) + (second[key] ?? 0)) / 1000;
    return {
      case: c,
      count,
      opened,
      batches: [first, second],
      memory: [empty, middle, full],
      rssPerConnection: (full.rss - empty.rss) / opened,
      rssBeforeGcPerConnection: (full.rssBeforeGc - empty.rssBeforeGc) / opened,
      heapPerConnection: (full.heapUsed - empty.heapUsed) / opened,
      marginalRssPerConnection: (full.rss - middle.rss) / second.opened,
      marginalHeapPerConnection: (full.heapUsed - middle.heapUsed) / second.opened,
      openSeconds: seconds('openMs'),
      readySeconds: seconds('openMs') + seconds('joinMs'),
      upgradeSeconds: first.upgradeMs === null || second.upgradeMs === null ? null : (first.upgradeMs + second.upgradeMs) / 1000,
      serverCpuMsPerConnection: (serverCpu * 1000) / opened,
    };
  } finally {
    await clients.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// (b) Calls

/** One calls run, summed over its client processes. */
interface CallsRun {
  clientProcesses: number;
  pairs: number;
  offeredRate: number | null;
  callsPerSecond: number;
  completed: number;
  failed: number;
  maxBacklog: number;
  latency: { count: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };
  serverCpuPercent: number | null;
  /**
   * Server CPU per completed call: what a call costs the server whatever else the machine was doing, so
   * `1000 / serverCpuMsPerCall` is the rate one core could carry (an upper bound: queues grow before that).
   */
  serverCpuMsPerCall: number | null;
  /** Summed over the client processes (100 = one core). */
  clientCpuPercent: number;
  clientLoopDelayP99Ms: number;
  errors: string[];
}

/**
 * A calls run against a fresh server: `pairs` and `rate` split evenly over `processes` client processes (both
 * sides of a call stay in one process, so a signal's two timestamps come from one clock).
 */
async function callsRun(processes: number, pairs: number, rate: number | null, warmupMs: number, durationMs: number): Promise<CallsRun> {
  const server = await launchServer('server/main.ts', 'server');
  const clients = Array.from({ length: processes }, launchClients);
  const cpu = cpuSampler(server.process.pid!);
  try {
    const results = await Promise.all(
      clients.map((c, i) =>
        c.request<CallsResult>(
          {
            cmd: 'calls',
            url: server.url,
            pairs: Math.floor(pairs / processes) + (i < pairs % processes ? 1 : 0),
            rate: rate === null ? null : rate / processes,
            warmupMs,
            durationMs,
            sdpChars: SDP_CHARS,
          },
          warmupMs + durationMs + 90_000,
        ),
      ),
    );
    cpu.stop();
    const from = Math.max(...results.map((r) => r.windowStart));
    const to = Math.min(...results.map((r) => r.windowEnd));
    const latencies = results.flatMap((r) => r.latenciesMs);
    const sum = (f: (r: CallsResult) => number) => results.reduce((total, r) => total + f(r), 0);
    const serverCpuPercent = cpu.percent(from, to);
    const completed = sum((r) => r.completed);
    return {
      clientProcesses: processes,
      pairs,
      offeredRate: rate,
      completed,
      callsPerSecond: sum((r) => r.callsPerSecond),
      failed: sum((r) => r.failed),
      maxBacklog: sum((r) => r.maxBacklog),
      latency: { count: latencies.length, ...latencyQuantiles(latencies) },
      serverCpuPercent,
      serverCpuMsPerCall: serverCpuPercent === null || completed === 0 ? null : ((serverCpuPercent / 100) * (to - from)) / completed,
      clientCpuPercent: sum((r) => r.clientCpuPercent),
      clientLoopDelayP99Ms: Math.max(...results.map((r) => r.clientLoopDelayP99Ms)),
      errors: results.flatMap((r) => r.errors),
    };
  } finally {
    cpu.stop();
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (value: number | null) => (value === null ? '–' : value.toFixed(2));
const pct = (value: number | null) => (value === null ? '–' : `${value.toFixed(0)} %`);

export async function run(options: BenchOptions): Promise<BenchSection> {
  const count = options.quick ? 300 : 2000;
  const settleMs = options.quick ? 1000 : 3000;
  const limit = openFileLimit();
  // The client process holds every connection (plus Node's own descriptors); the server as many again.
  if (limit < count + 200) {
    throw new Error(`open-file limit ${limit} is too low for ${count} connections: raise it first (e.g. \`ulimit -n ${count * 2}\`; the hard limit bounds how far)`);
  }

  // Ctrl-C would end this process without its 'exit' handlers, leaving the servers running: kill them first,
  // then let the signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals) => {
    killAll();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    return await measure(options, count, settleMs, limit);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

async function measure(options: BenchOptions, count: number, settleMs: number, limit: number): Promise<BenchSection> {
  const idleResults: IdleResult[] = [];
  for (const c of IDLE_CASES) idleResults.push(await idle(c, count, settleMs));

  const warmupMs = options.quick ? 500 : 1000;
  const durationMs = options.quick ? 2000 : 10_000;
  const maxPairs = options.quick ? 16 : 64;
  const ratePairs = options.quick ? 100 : 250;
  // Both sides of every call run in the client processes, which therefore do about as much Socket.IO work as the
  // server: with cores to spare, the clients get two processes so that they are not the first to saturate.
  const clientProcesses = os.cpus().length >= 4 ? 2 : 1;
  const loadBefore = loadAverage();
  const fastest = await callsRun(clientProcesses, maxPairs, null, warmupMs, durationMs);
  const fixed = await callsRun(clientProcesses, ratePairs, GOAL_RATE, warmupMs, durationMs);

  const peer = idleResults.find((r) => r.case.clients === 'peerjs')!;
  const widget = idleResults.find((r) => r.case.clients === 'widget' && !r.case.nodeOptions)!;
  const tuned = idleResults.find((r) => r.case.nodeOptions);
  const idleTable = table(
    ['server ← clients', 'open', 'RSS KiB/conn (marginal)', 'live heap KiB/conn', 'vs PeerServer (RSS)', 's to open + join (open only)', 'vs PeerServer (time)', 'server CPU ms/conn'],
    idleResults.map((r) => [
      r.case.name,
      `${r.opened}/${r.count}`,
      `${kib(r.rssPerConnection)} (${kib(r.marginalRssPerConnection)})`,
      kib(r.heapPerConnection),
      ratio(r.rssPerConnection, peer.rssPerConnection),
      r.case.clients === 'peerjs'
        ? r.openSeconds.toFixed(2)
        : `${r.readySeconds.toFixed(2)} (${r.openSeconds.toFixed(2)}${r.upgradeSeconds !== null ? `; on WebSocket after ${r.upgradeSeconds.toFixed(2)}` : ''})`,
      ratio(r.readySeconds, peer.readySeconds),
      r.serverCpuMsPerConnection.toFixed(2),
    ]),
  );
  const callRow = (label: string, r: CallsRun) => [
    label,
    `${r.pairs} (${r.clientProcesses})`,
    r.callsPerSecond.toFixed(0),
    `${ms(r.latency.p50)} / ${ms(r.latency.p99)} / ${ms(r.latency.max)}`,
    r.failed,
    pct(r.serverCpuPercent),
    r.serverCpuMsPerCall === null ? '–' : `${r.serverCpuMsPerCall.toFixed(2)} (≈ ${(1000 / r.serverCpuMsPerCall).toFixed(0)}/s)`,
    pct(r.clientCpuPercent),
    ms(r.clientLoopDelayP99Ms),
  ];
  const callsTable = table(
    ['calls', 'pairs (client processes)', 'calls/s', 'relay ms p50 / p99 / max', 'failed calls', 'server CPU', 'server CPU ms/call (≈ calls/s per core)', 'client CPU', 'client loop delay p99 ms'],
    [callRow('as fast as they go (each pair back to back)', fastest), callRow(`started at ${GOAL_RATE}/s`, fixed)],
  );

  const kibGoalMet = widget.rssPerConnection / 1024 <= GOAL_KIB_PER_CONNECTION;
  const openGoalMet = widget.readySeconds <= peer.readySeconds;
  const rateReached = fixed.callsPerSecond >= GOAL_RATE * 0.98 && fixed.maxBacklog === 0;
  const p99GoalMet = rateReached && fixed.latency.p99 !== null && fixed.latency.p99 < GOAL_P99_MS;
  const clientBound = (r: CallsRun) => r.clientCpuPercent / r.clientProcesses > 90 && (r.serverCpuPercent ?? 0) < r.clientCpuPercent / r.clientProcesses;
  const failures = [...idleResults.flatMap((r) => r.batches.flatMap((b) => b.errors)), ...fastest.errors, ...fixed.errors];
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, open-file limit ${limit}`;

  const markdown = [
    `**Idle connections**: ${count} per case, opened ${OPEN_CONCURRENCY} at a time by a separate process, in two batches. Server VmRSS and heap after a full GC, ${settleMs / 1000} s after each batch, per connection against the empty server; marginal = second batch only (one-off growth excluded). 1 KiB = 1024 B.`,
    '',
    idleTable,
    '',
    `**Signaling**: simulated calls (join, invite, accept, offer + answer of ${(SDP_CHARS / 1000).toFixed(0)} KB, 10 candidates each way, hang-up, leave) for ${durationMs / 1000} s after ${warmupMs / 1000} s of warm-up; relay = sender's emit → receiver's handler; ${(fastest.latency.count + fixed.latency.count).toLocaleString('en')} signals timed.`,
    '',
    callsTable,
    '',
    `- Goal ≤ ${GOAL_KIB_PER_CONNECTION} KiB per idle connection: **${kibGoalMet ? 'met' : 'not met'}**: ${kib(widget.rssPerConnection)} KiB RSS (marginal ${kib(widget.marginalRssPerConnection)}), of which ${kib(widget.heapPerConnection)} KiB live heap; PeerServer ${kib(peer.rssPerConnection)} KiB.${tuned ? ` With \`${tuned.case.nodeOptions}\`: ${kib(tuned.rssPerConnection)} KiB.` : ''}`,
    `- Goal: opening ${count} no slower than PeerServer: **${openGoalMet ? 'met' : 'not met'}**: ${widget.readySeconds.toFixed(2)} s to open and join vs ${peer.readySeconds.toFixed(2)} s (${ratio(widget.readySeconds, peer.readySeconds)}); server CPU ${ratio(widget.serverCpuMsPerConnection, peer.serverCpuMsPerConnection)} PeerServer's per connection. The wall time includes the client process's work: the widget's SignalingClient against bare WebSockets for PeerServer.`,
    `- Goal relay p99 < ${GOAL_P99_MS} ms at ${GOAL_RATE} calls/s: **${p99GoalMet ? 'met' : 'not met'}** (${fixed.callsPerSecond.toFixed(0)} calls/s completed, p99 ${ms(fixed.latency.p99)} ms${fixed.maxBacklog ? `, up to ${fixed.maxBacklog} due calls waiting for a free pair` : ''}).${[fastest, fixed].some(clientBound) ? ' The client process was busier than the server in at least one run: that run measures the client as much as the server.' : ''}`,
    `- Server: SIGNAL_RATE=10000, SIGNAL_BURST=100000 (not throttled), ALLOWED_ORIGINS=*. ${machine}; load average (1 min) ${loadBefore} before the calls runs, ${loadAverage()} after: the machine is shared, so a busy neighbour shows in latency and calls/s first (server CPU ms/call holds up best).`,
    ...(failures.length ? [`- Errors seen (first few): ${failures.slice(0, 5).join('; ')}`] : []),
  ].join('\n');

  return {
    title: 'Server footprint',
    markdown,
    data: { machine, openFileLimit: limit, connections: count, openConcurrency: OPEN_CONCURRENCY, settleMs, idle: idleResults, calls: { fastest, fixed } },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const section = await run({ quick: process.argv.includes('--quick') });
  console.log(`${section.title}\n\n${section.markdown}`);
}
