/**
 * The client side of bench/server-footprint.ts, in a process of its own so that what is measured on the
 * server is the server's alone. The parent drives it over IPC: one command at a time, one answer each.
 *
 * - `open`: idle connections of one kind.
 *   - `widget`: the widget's own SignalingClient (src/core/signaling-client.ts, so its Socket.IO options:
 *     WebSocket first, polling as the fallback), each joining a room as the widget does, two per room.
 *   - `socketio-defaults`: socket.io-client with its defaults (long-polling first, then the upgrade to
 *     WebSocket), joining the same way.
 *   - `peerjs`: what the PeerJS client opens to PeerServer: one WebSocket to `/peerjs?key&id&token&version`,
 *     open once the server says OPEN, with PeerJS's heartbeat every 5 s.
 * - `calls`: simulated calls between pairs of SignalingClients, as fast as they go or started at a fixed rate,
 *   timing every relayed signal from the sender's emit to the receiver's handler (one process, one clock).
 * - `close`: closes everything and exits.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { SignalingClient, type ServerMessage } from '../../src/core/signaling-client.js';
import { PROTOCOL_VERSION, type RelayedEvent, type RelayedPayload } from '../../src/protocol/protocol.js';
import { bounded, sleep } from '../wait.js';

export type ClientKind = 'widget' | 'socketio-defaults' | 'peerjs';

export type Command =
  /** `first`: the index of the first new connection, so that a second batch continues the rooms and ids of the first. */
  | { cmd: 'open'; kind: ClientKind; url: string; first: number; count: number; concurrency: number; timeoutMs: number }
  | { cmd: 'calls'; url: string; pairs: number; rate: number | null; warmupMs: number; durationMs: number; sdpChars: number }
  | { cmd: 'close' };

export interface OpenResult {
  opened: number;
  failed: number;
  /** From the first connection attempt until every connection is open (Socket.IO: connected; PeerJS: OPEN). */
  openMs: number;
  /** Socket.IO kinds: the joins after that, until every join is acknowledged. */
  joinMs: number | null;
  /** `socketio-defaults`: until every connection has moved from polling to WebSocket. */
  upgradeMs: number | null;
  errors: string[];
}

export interface CallsResult {
  pairs: number;
  /** Calls per second asked for; null when each pair calls back to back as fast as it can. */
  offeredRate: number | null;
  windowMs: number;
  /** Calls that finished inside the measurement window, and their rate. */
  completed: number;
  callsPerSecond: number;
  /** Calls that failed (a refused message, a missing signal); the first few reasons in `errors`. */
  failed: number;
  /** Fixed rate: most calls that were due but had no free pair to run on at once (0: never behind). */
  maxBacklog: number;
  /** Every relayed signal timed in the window (sender emit → receiver handler), in milliseconds. */
  latenciesMs: number[];
  /** This process's CPU over the window (100 = one core) and its event loop's p99 delay: is the client the limit? */
  clientCpuPercent: number;
  clientLoopDelayP99Ms: number;
  /** Wall-clock bounds of the window (Date.now()), for the parent's server CPU figure. */
  windowStart: number;
  windowEnd: number;
  errors: string[];
}

/** Every wait is bounded: a signal that never arrives fails its call instead of hanging the bench. */
const SIGNAL_TIMEOUT_MS = 10_000;
const CANDIDATES_PER_SIDE = 10;
/** PeerJS's default `pingInterval`. */
const PEERJS_HEARTBEAT_MS = 5000;
const PEERJS_VERSION = '1.5.5';
const MAX_ERRORS_KEPT = 5;


/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; resolves when all have settled. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Everything this process holds open, for `close`. */
const closers: Array<() => void> = [];
const errors: string[] = [];
const noteError = (error: unknown) => {
  if (errors.length < MAX_ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
};

// ---------------------------------------------------------------------------------------------------------
// Idle connections

const noop = () => {};

/** A SignalingClient that only counts what goes wrong: idle connections have nothing to do. */
function idleSignalingClient(url: string): SignalingClient {
  const client = new SignalingClient({
    url,
    onMessage: noop,
    onInvalid: (event, error) => noteError(`invalid ${event}: ${error.message}`),
    onDisconnect: (reason) => noteError(`disconnected: ${reason}`),
    onReconnect: noop,
  });
  closers.push(() => client.close());
  return client;
}

/** socket.io-client with its own defaults; resolves once connected. */
function defaultsSocket(url: string, timeoutMs: number): Promise<Socket> {
  const socket = io(url, { autoConnect: false, reconnection: false });
  closers.push(() => socket.disconnect());
  return bounded(
    new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
      socket.connect();
    }),
    timeoutMs,
    'connect',
  );
}

/** Resolves once the connection runs over WebSocket (socket.io-client's defaults start with polling). */
function upgraded(socket: Socket, timeoutMs: number): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return bounded(new Promise<void>((resolve) => engine.once('upgrade', () => resolve())), timeoutMs, 'upgrade');
}

/** One PeerJS-protocol connection; resolves when PeerServer has said OPEN. */
function peerjsSocket(url: string, i: number, timeoutMs: number): Promise<void> {
  const id = `bench-${i}-${Math.random().toString(36).slice(2, 10)}`;
  const token = Math.random().toString(36).slice(2);
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/peerjs?key=peerjs&id=${id}&token=${token}&version=${PEERJS_VERSION}`);
  let heartbeat: NodeJS.Timeout | undefined;
  closers.push(() => {
    clearInterval(heartbeat);
    ws.terminate();
  });
  return bounded(
    new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const message = JSON.parse((data as Buffer).toString()) as { type: string; payload?: { msg?: string } };
        if (message.type === 'OPEN') {
          heartbeat = setInterval(() => ws.send(JSON.stringify({ type: 'HEARTBEAT' })), PEERJS_HEARTBEAT_MS);
          resolve();
        } else if (message.type === 'ERROR' || message.type === 'ID-TAKEN') reject(new Error(`PeerServer: ${message.type} ${message.payload?.msg ?? ''}`));
      });
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('closed before OPEN')));
    }),
    timeoutMs,
    'PeerServer OPEN',
  );
}

async function open({ kind, url, first, count, concurrency, timeoutMs }: Extract<Command, { cmd: 'open' }>): Promise<OpenResult> {
  errors.length = 0;
  let failed = 0;
  const attempt = async (step: () => Promise<unknown>) => {
    try {
      await step();
      return true;
    } catch (error) {
      failed++;
      noteError(error);
      return false;
    }
  };
  const started = performance.now();

  if (kind === 'peerjs') {
    await pool(count, concurrency, async (i) => void (await attempt(() => peerjsSocket(url, first + i, timeoutMs))));
    return { opened: count - failed, failed, openMs: performance.now() - started, joinMs: null, upgradeMs: null, errors };
  }

  // Socket.IO: connect every client first, then join them (two per room, as two visitors of one page would),
  // so the two phases are timed apart.
  const join = kind === 'widget' ? widgetJoins(url, timeoutMs) : defaultsJoins(url, timeoutMs);
  const connected: Array<number> = [];
  await pool(count, concurrency, async (i) => {
    if (await attempt(() => join.connect(first + i))) connected.push(first + i);
  });
  const openMs = performance.now() - started;
  const joinStarted = performance.now();
  await pool(connected.length, concurrency, async (k) => void (await attempt(() => join.join(connected[k], `idle-${Math.floor(connected[k] / 2)}`))));
  const joinMs = performance.now() - joinStarted;
  let upgradeMs: number | null = null;
  if (join.upgrades) {
    await Promise.all(join.upgrades.map((p) => attempt(() => p)));
    upgradeMs = performance.now() - started;
  }
  return { opened: count - failed, failed, openMs, joinMs, upgradeMs, errors };
}

interface Joins {
  connect(i: number): Promise<void>;
  join(i: number, room: string): Promise<void>;
  upgrades?: Array<Promise<void>>;
}

function widgetJoins(url: string, timeoutMs: number): Joins {
  const clients = new Map<number, SignalingClient>();
  return {
    connect: async (i) => {
      const client = idleSignalingClient(url);
      clients.set(i, client);
      await client.connect(timeoutMs);
    },
    join: async (i, room) => void (await clients.get(i)!.join(room)),
  };
}

function defaultsJoins(url: string, timeoutMs: number): Joins {
  const sockets = new Map<number, Socket>();
  const upgrades: Array<Promise<void>> = [];
  return {
    connect: async (i) => {
      const socket = await defaultsSocket(url, timeoutMs);
      sockets.set(i, socket);
      upgrades.push(upgraded(socket, timeoutMs));
    },
    join: async (i, room) => {
      const ack = (await sockets.get(i)!.timeout(timeoutMs).emitWithAck('join', { v: PROTOCOL_VERSION, room })) as { ok: boolean; error?: { message: string } };
      if (!ack.ok) throw new Error(`join refused: ${ack.error?.message}`);
    },
    upgrades,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Calls

/**
 * A synthetic SDP of about `chars` characters: the server neither parses nor checks SDP beyond its length, so
 * only the size matters for what it costs.
 */
function syntheticSdp(chars: number): string {
  const lines = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS'];
  for (let pt = 96; lines.join('\r\n').length < chars; pt++) {
    lines.push(`a=rtpmap:${pt} VP8/90000`, `a=rtcp-fb:${pt} goog-remb`, `a=rtcp-fb:${pt} transport-cc`, `a=rtcp-fb:${pt} nack pli`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A trickled host candidate; `side` and `i` make it unique within a call, which is how it is timed. */
const candidateLine = (side: 'a' | 'b', i: number) =>
  `candidate:${side}${i} 1 udp 2122260223 192.0.2.${i + 1} ${50_000 + i} typ host generation 0 ufrag Bnch network-id 1`;

/** Send times of signals in flight, by a key both ends compute from the payload alone (`from` and `n` aside). */
const sentAt = new Map<string, number>();
const latencies: number[] = [];
let recording = false;

function signalKey(event: string, payload: Record<string, unknown>): string {
  const detail =
    event === 'description'
      ? (payload.description as { type: string }).type
      : event === 'candidate'
        ? (payload.candidate as { candidate: string }).candidate
        : '';
  return `${String(payload.callId)}|${event}|${detail}`;
}

/** One side of a simulated call: the widget's SignalingClient, and waits for what it should receive. */
class Participant {
  readonly signaling: SignalingClient;
  #waits: Array<{ match: (m: ServerMessage) => boolean; resolve: () => void }> = [];

  constructor(url: string) {
    this.signaling = new SignalingClient({
      url,
      onMessage: (message) => this.#receive(message),
      onInvalid: (event, error) => noteError(`invalid ${event}: ${error.message}`),
      onDisconnect: (reason) => noteError(`disconnected: ${reason}`),
      onReconnect: noop,
    });
    closers.push(() => this.signaling.close());
  }

  #receive(message: ServerMessage) {
    const key = signalKey(message.event, message.payload as unknown as Record<string, unknown>);
    const at = sentAt.get(key);
    if (at !== undefined) {
      sentAt.delete(key);
      if (recording) latencies.push(performance.now() - at);
    }
    const index = this.#waits.findIndex((wait) => wait.match(message));
    if (index >= 0) this.#waits.splice(index, 1)[0].resolve();
  }

  /** Resolves when `count` messages matching `match` have arrived; set up before the action that causes them. */
  expect(match: (m: ServerMessage) => boolean, count = 1): Promise<void> {
    let left = count;
    return bounded(
      new Promise<void>((resolve) => {
        const wait = {
          match,
          resolve: () => {
            if (--left === 0) return resolve();
            this.#waits.push(wait);
          },
        };
        this.#waits.push(wait);
      }),
      SIGNAL_TIMEOUT_MS,
      'signal',
    );
  }

  /** Sends a relayed message, noting when, and resolves with its ack. */
  send<E extends RelayedEvent>(event: E, payload: RelayedPayload<E>): Promise<unknown> {
    sentAt.set(signalKey(event, payload as Record<string, unknown>), performance.now());
    return this.signaling.send(event, payload);
  }

  forget() {
    this.#waits = [];
  }
}

const is = (event: string, callId: string, extra: (payload: Record<string, unknown>) => boolean = () => true) => (m: ServerMessage) =>
  m.event === event && (m.payload as unknown as Record<string, unknown>).callId === callId && extra(m.payload as unknown as Record<string, unknown>);

/**
 * One call as two widgets signal it (docs/PROTOCOL.md, "Sequence: a call"): both join a fresh room, invite,
 * accept, offer and answer with 10 trickled candidates each way, hang up, and leave so the pair can call again.
 */
async function oneCall(a: Participant, b: Participant, n: number, sdp: string): Promise<void> {
  const callId = `c${n}`;
  const room = `call-${n}`;
  const peerJoined = a.expect((m) => m.event === 'peer-joined');
  await a.signaling.join(room);
  await b.signaling.join(room);
  await peerJoined;

  const invited = b.expect(is('invite', callId));
  await a.send('invite', { callId, media: 'video' });
  await invited;
  const accepted = a.expect(is('accept', callId));
  await b.send('accept', { callId });
  await accepted;

  const offered = b.expect(is('description', callId, (p) => (p.description as { type: string }).type === 'offer'));
  const candidatesAtB = b.expect(is('candidate', callId), CANDIDATES_PER_SIDE);
  const answered = a.expect(is('description', callId, (p) => (p.description as { type: string }).type === 'answer'));
  const candidatesAtA = a.expect(is('candidate', callId), CANDIDATES_PER_SIDE);
  const trickle = (from: Participant, side: 'a' | 'b') =>
    Array.from({ length: CANDIDATES_PER_SIDE }, (_, i) => from.send('candidate', { callId, candidate: { candidate: candidateLine(side, i), sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'Bnch' } }));
  const sentByA = [a.send('description', { callId, description: { type: 'offer', sdp } }), ...trickle(a, 'a')];
  await offered;
  const sentByB = [b.send('description', { callId, description: { type: 'answer', sdp } }), ...trickle(b, 'b')];
  await Promise.all([...sentByA, ...sentByB, candidatesAtB, answered, candidatesAtA]);

  const hungUp = b.expect(is('hangup', callId));
  await a.send('hangup', { callId, reason: 'hangup' });
  await hungUp;
  await Promise.all([a.signaling.leave(), b.signaling.leave()]);
}

async function calls({ url, pairs, rate, warmupMs, durationMs, sdpChars }: Extract<Command, { cmd: 'calls' }>): Promise<CallsResult> {
  const sdp = syntheticSdp(sdpChars);
  latencies.length = 0;
  sentAt.clear();
  const participants = Array.from({ length: pairs * 2 }, () => new Participant(url));
  await pool(participants.length, 100, (i) => participants[i].signaling.connect(SIGNAL_TIMEOUT_MS));
  const free = Array.from({ length: pairs }, (_, p) => [participants[2 * p], participants[2 * p + 1]] as const);

  let n = 0;
  let completed = 0;
  let failed = 0;

  /** One call on a pair; never rejects: a failed call is counted and its pair cleaned up for the next. */
  const runCall = async ([a, b]: readonly [Participant, Participant]) => {
    try {
      await oneCall(a, b, ++n, sdp);
      if (recording) completed++;
    } catch (error) {
      failed++;
      noteError(error);
      a.forget();
      b.forget();
      // Out of the room whatever state the call was left in; a "not in room" refusal is fine here.
      await Promise.allSettled([a.signaling.leave(), b.signaling.leave()]);
    }
  };

  /** Each pair calls again as soon as its last call is over, until `until`. */
  const closedLoop = async (loopPairs: ReadonlyArray<readonly [Participant, Participant]>, until: number) => {
    await Promise.all(
      loopPairs.map(async (pair) => {
        while (performance.now() < until) await runCall(pair);
      }),
    );
  };

  // Warm-up, not recorded: a few pairs back to back, so that both processes have compiled their hot paths
  // before the measured load starts (a cold server falls behind a fixed rate and never catches up).
  await closedLoop(free.slice(0, 16), performance.now() + warmupMs);

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  recording = true;
  const windowStart = Date.now();
  const cpuAtStart = process.cpuUsage();
  const begin = performance.now();
  const end = begin + durationMs;
  let maxBacklog = 0;
  let cpu: NodeJS.CpuUsage;
  let windowEnd: number;

  if (rate === null) {
    // The window lasts until the last calls started before its end are over, and counts them.
    await closedLoop(free, end);
    cpu = process.cpuUsage(cpuAtStart);
    windowEnd = Date.now();
    recording = false;
  } else {
    // Open loop: calls fall due at `rate` per second whatever became of earlier ones; a due call waits only
    // for a free pair, and the most that ever waited is reported.
    const inFlight = new Set<Promise<void>>();
    let started = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - begin) / 1000) * rate);
      while (started < due && free.length > 0) {
        const pair = free.pop()!;
        const call = runCall(pair).finally(() => {
          inFlight.delete(call);
          free.push(pair);
        });
        inFlight.add(call);
        started++;
      }
      maxBacklog = Math.max(maxBacklog, due - started);
      await sleep(1);
    }
    // The window ends on time; calls still in flight finish unrecorded.
    cpu = process.cpuUsage(cpuAtStart);
    windowEnd = Date.now();
    recording = false;
    await bounded(Promise.allSettled([...inFlight]), SIGNAL_TIMEOUT_MS * 2, 'calls still in flight').catch(noteError);
  }
  loopDelay.disable();

  const windowMs = windowEnd - windowStart;
  return {
    pairs,
    offeredRate: rate,
    windowMs,
    completed,
    callsPerSecond: completed / (windowMs / 1000),
    failed,
    maxBacklog,
    latenciesMs: latencies.map((value) => Math.round(value * 1000) / 1000),
    clientCpuPercent: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
    clientLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    windowStart,
    windowEnd,
    errors,
  };
}

// ---------------------------------------------------------------------------------------------------------

process.on('message', async (command: Command) => {
  try {
    if (command.cmd === 'open') process.send!({ ok: true, result: await open(command) });
    else if (command.cmd === 'calls') process.send!({ ok: true, result: await calls(command) });
    else {
      for (const close of closers.splice(0)) close();
      process.send!({ ok: true, result: null }, () => process.exit(0));
    }
  } catch (error) {
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) });
  }
});
// The parent going away (killed, crashed) takes this process with it.
process.on('disconnect', () => process.exit(0));
