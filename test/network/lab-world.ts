/**
 * The NAT lab with its services running (coturn twice, the reference server) and Chromium on its hosts:
 * what the network suites share. See lab.ts for the topology.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../support/chromium.mjs';
import { startServer } from '../support/servers.mjs';
import { INET, NatLab } from './lab.js';

export const SECRET = 'nat-lab-shared-secret';
export const ORIGIN = `http://${INET.signaling}:443`;
export const TURN_URLS = [
  `turn:${INET.signaling}:3478?transport=udp`,
  `turn:${INET.signaling}:3478?transport=tcp`,
  `turn:${INET.turnTcp443}:443?transport=tcp`,
];

export interface Host {
  browser: Browser;
  page: Page;
}

export type WidgetOptions = Record<string, string>;
export type Routes = Record<string, () => object>;

type Server = Awaited<ReturnType<typeof startServer>>;

export class LabWorld {
  readonly lab = new NatLab();
  readonly servers = new Map<string, Server>();
  readonly #serverEnv = {
    HOST: INET.signaling,
    ALLOWED_ORIGINS: ORIGIN,
    ICE_SERVERS: JSON.stringify([{ urls: `stun:${INET.signaling}:3478` }]),
    TURN_URLS: TURN_URLS.join(','),
    TURN_SECRET: SECRET,
    // Resume tokens stay valid across a restart of the server only when they are signed with a fixed key.
    RESUME_SECRET: 'nat-lab-resume-secret',
    // The reconnect test waits for the room and connection counts, which /healthz shows only on request.
    HEALTHZ_DETAILS: 'on',
  };

  /** Builds the lab and starts coturn and the signaling server(s); `extraServers` maps port → TURN_TTL. */
  async start(extraServers: Record<number, number> = {}): Promise<void> {
    assert.ok(existsSync('dist/call-widget.js'), 'dist/call-widget.js is missing: run `npm run build` first');
    NatLab.removeStale();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (this.lab.teardown(), process.exit(130)));
    process.once('exit', () => this.lab.teardown());
    this.lab.build();
    const turn = (ip: string, port: number, extra: string[], relayPorts: [number, number]) =>
      this.lab.spawn(this.lab.ns.inet, 'turnserver', [
        '--listening-ip', ip, '--listening-port', String(port), '--relay-ip', ip,
        '--min-port', String(relayPorts[0]), '--max-port', String(relayPorts[1]),
        '--use-auth-secret', '--static-auth-secret', SECRET, '--realm', 'lab.example',
        '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--no-multicast-peers',
        // Short allocations make the browser refresh them every ~10 s, so a test of a minute sees refreshes
        // made after the first credentials expired (coturn's default of 10 minutes would need a long test).
        '--max-allocate-lifetime', '20',
        '--log-file', `${this.lab.dir}/turn-${port}.log`, '--simple-log',
        '--pidfile', `${this.lab.dir}/turn-${port}.pid`, '--userdb', `${this.lab.dir}/turn-${port}.db`,
        ...extra,
      ]);
    turn(INET.signaling, 3478, [], [49152, 50151]);
    // The firewall scenario's way out: TURN over TCP on 443, on its own address (.10:443 is signaling).
    turn(INET.turnTcp443, 443, ['--no-udp'], [50152, 51151]);
    await Promise.all([
      this.startSignaling(443, 600),
      ...Object.entries(extraServers).map(([port, ttl]) => this.startSignaling(Number(port), ttl)),
      this.lab.waitForListener(this.lab.ns.inet, 3478, 'udp'),
      this.lab.waitForListener(this.lab.ns.inet, 443),
    ]);
  }

  /** Starts (or restarts) the reference server on `port` inside the internet namespace. */
  async startSignaling(port: number, turnTtl = 600): Promise<void> {
    const server = await startServer({
      name: `lab-signaling-${port}`,
      netns: this.lab.ns.inet,
      env: { ...this.#serverEnv, PORT: String(port), TURN_TTL: String(turnTtl) },
    });
    this.servers.set(String(port), server);
  }

  /** Kills the server on `port` abruptly, as a crash would. */
  async killSignaling(port: number): Promise<void> {
    const server = this.servers.get(String(port));
    this.servers.delete(String(port));
    if (!server || server.process.exitCode !== null) return;
    await new Promise((resolve) => {
      server.process.once('exit', resolve);
      server.process.kill('SIGKILL');
    });
  }

  teardown(): void {
    this.lab.teardown();
  }

  /**
   * A TURN server address on the public host whose traffic to coturn can be delayed (test/network/delay-line.ts):
   * `urls` for a client's ICE servers, `delay(ms)` to change the delay. Stopped at teardown.
   */
  async startDelayLine(): Promise<{ urls: string; delay(ms: number): Promise<void> }> {
    const child = this.lab.spawn(this.lab.ns.pub, process.execPath, ['--import', 'tsx', 'test/network/delay-line.ts', INET.pub, '3478', INET.signaling, '3478'], {}, 'pipe');
    const lines: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const until = async (line: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!lines.includes(line)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the delay line did not say "${line}" within ${timeoutMs} ms: ${lines.join(' / ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      lines.splice(lines.indexOf(line), 1);
    };
    await until('ready', 15_000);
    return {
      urls: `turn:${INET.pub}:3478?transport=udp`,
      delay: async (ms: number) => {
        child.stdin!.write(`${ms}\n`);
        await until(`delay ${ms}`, 5000);
      },
    };
  }

  /** Opens the widget in Chromium inside `namespace`; the page comes from the lab's signaling origin. */
  async host(namespace: string, room: string, name: string, options: WidgetOptions, routes: Routes = {}): Promise<Host> {
    const browser = await chromium.launch({
      executablePath: this.lab.chromiumIn(namespace, chromiumPath()),
      args: [
        ...CHROMIUM_ARGS,
        // Camera access over plain HTTP on a non-local address: there is no CA in the lab to serve HTTPS.
        `--unsafely-treat-insecure-origin-as-secure=${ORIGIN}`,
        '--disable-features=WebRtcHideLocalIpsWithMdns',
      ],
      timeout: 30_000,
    });
    const page = await browser.newPage();
    // Answering by itself unless told otherwise (`'auto-answer': 'off'`): the tests click nothing.
    const { 'auto-answer': autoAnswer = '', ...rest } = options;
    const attrs = Object.entries({ 'signaling-url': ORIGIN, room, 'display-name': name, ...(autoAnswer !== 'off' && { 'auto-answer': '' }), ...rest })
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    await page.route(`${ORIGIN}/lab.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script type="module" src="${ORIGIN}/call-widget.js"></script>
<call-widget ${attrs}></call-widget>
<script>
  // Everything the widget reports, for the test to read afterwards.
  window.events = [];
  const el = document.querySelector('call-widget');
  for (const type of ['call-state-change', 'call-error', 'call-reconnect', 'call-quality-change']) {
    el.addEventListener(type, (e) => window.events.push({ type, at: Date.now(), ...e.detail }));
  }
</script>`,
      }),
    );
    for (const [path, body] of Object.entries(routes)) {
      await page.route(`${ORIGIN}${path}`, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(body()) }));
    }
    await page.goto(`${ORIGIN}/lab.html`, { timeout: 20_000 });
    return { browser, page };
  }
}

export const widgetState = (h: Host, state: string, timeout: number) =>
  h.page.locator(`call-widget[state="${state}"]`).waitFor({ state: 'attached', timeout });

export interface WidgetReport {
  state: string;
  reason: string | null;
  path: { kind: string; protocol: string; local: string; remote: string } | null;
  diagnostics: any;
  hasPeerConnection: boolean;
}

export const report = (h: Host) =>
  h.page.evaluate(`(() => {
    const el = document.querySelector('call-widget');
    return { state: el.state, reason: el.reason ?? null, path: el.path, diagnostics: el.diagnostics, hasPeerConnection: el.peerConnection !== null };
  })()`) as Promise<WidgetReport>;

/** The events the page recorded (state changes, errors, reconnect attempts), with their time. */
export const events = (h: Host) => h.page.evaluate('window.events') as Promise<Array<Record<string, any>>>;

/**
 * Waits until the widget has been in `state`, however briefly: read from its recorded state changes, which a
 * state that lasts less than a poll of the live attribute (an ICE restart that succeeds at once) still leaves.
 */
export async function passedThrough(h: Host, state: string, timeout: number): Promise<void> {
  await h.page.waitForFunction(
    (wanted) => (window as unknown as { events: Array<{ type: string; state?: string }> }).events.some((e) => e.type === 'call-state-change' && e.state === wanted),
    state,
    { timeout },
  );
}

/** Waits for one of `states`; returns which, with the widget's path and diagnostics. */
export async function settle(h: Host, states: string[], timeout: number): Promise<WidgetReport> {
  await Promise.any(states.map((s) => widgetState(h, s, timeout)));
  return report(h);
}

/** The selected pair's local candidate, straight from getStats (not through the widget's own reading). */
export const selectedLocalCandidate = (h: Host) =>
  h.page.evaluate(`(async () => {
    const pc = document.querySelector('call-widget').peerConnection;
    const stats = await pc.getStats();
    let pair;
    stats.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
    const local = pair && stats.get(pair.localCandidateId);
    return local ? { id: local.id, type: local.candidateType, relayProtocol: local.relayProtocol ?? null, url: local.url ?? null, address: local.address } : null;
  })()`) as Promise<{ id: string; type: string; relayProtocol: string | null; url: string | null; address: string } | null>;

/** Candidate types at both ends of the selected pair, straight from getStats. */
export const selectedPairTypes = (h: Host) =>
  h.page.evaluate(`(async () => {
    const stats = await document.querySelector('call-widget').peerConnection.getStats();
    let pair;
    stats.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
    return pair ? { local: stats.get(pair.localCandidateId)?.candidateType, remote: stats.get(pair.remoteCandidateId)?.candidateType } : null;
  })()`) as Promise<{ local: string; remote: string } | null>;

export const framesDecoded = (h: Host) =>
  h.page.evaluate(`(async () => {
    const pc = document.querySelector('call-widget').peerConnection;
    if (!pc) return 0;
    const stats = await pc.getStats();
    let frames = 0;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded ?? 0; });
    return frames;
  })()`) as Promise<number>;

/**
 * Remote video is decoding: more than 5 frames in one second, within `withinMs` (after a path change the
 * decoder may wait a moment for a key frame). The failure says what was seen.
 */
export async function expectVideoDecoding(h: Host, label = 'remote video', withinMs = 5000) {
  const seen: number[] = [await framesDecoded(h)];
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    seen.push(await framesDecoded(h));
    if (seen.length >= 3 && seen.at(-1)! > seen.at(-3)! + 5) return;
  }
  assert.fail(`${label}: frames are being decoded (framesDecoded every 500 ms: ${seen.join(', ')})`);
}

export async function close(...hosts: Host[]) {
  await Promise.all(hosts.map((h) => h.browser.close().catch(() => {})));
}

export interface CallOutcome {
  alice: Host;
  bob: Host;
  ra: WidgetReport;
  rb: WidgetReport;
  seconds: number;
}

/** Two hosts join one room; the first calls; the second answers by itself. Closes both if it throws. */
export async function call(
  world: LabWorld,
  a: [string, WidgetOptions, Routes?],
  b: [string, WidgetOptions, Routes?],
  timeout = 40_000,
): Promise<CallOutcome> {
  const room = `lab-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const alice = await world.host(a[0], room, 'Alice', a[1], a[2]);
  const bob = await world.host(b[0], room, 'Bob', b[1], b[2]).catch(async (error) => {
    await close(alice);
    throw error;
  });
  try {
    await widgetState(alice, 'ready', 20_000);
    const started = Date.now();
    await alice.page.evaluate(`document.querySelector('call-widget').call()`);
    const [ra, rb] = await Promise.all([settle(alice, ['connected', 'failed'], timeout), settle(bob, ['connected', 'failed'], timeout)]);
    return { alice, bob, ra, rb, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    await close(alice, bob);
    throw error;
  }
}
