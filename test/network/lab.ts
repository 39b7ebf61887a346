/**
 * A small internet built from Linux network namespaces, for testing what crosses real NATs:
 *
 *                      inet (bridge br0, 203.0.113.0/24)
 *        signaling :443 on .10, coturn UDP+TCP 3478 on .10, coturn TCP 443 on .11
 *          |                        |                              |
 *   router A (.2)             router B (.3)                 public host (.20)
 *   NAT / firewall            NAT / firewall
 *          |                        |
 *   client A 192.0.2.10      client B 198.51.100.10
 *
 * Only documentation address ranges, nothing in the root namespace: every link is created directly inside
 * the namespaces, and deleting the namespaces removes it all. Every command has a time limit.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INET = { gateway: '203.0.113.1', signaling: '203.0.113.10', turnTcp443: '203.0.113.11', pub: '203.0.113.20' };
export const LAN_A = { router: '192.0.2.1', client: '192.0.2.10', wan: '203.0.113.2' };
export const LAN_B = { router: '198.51.100.1', client: '198.51.100.10', wan: '203.0.113.3' };
/** The dead end's gateway: an unused documentation address, known only to the sink's neighbour table. */
const SINK_GATEWAY = '203.0.113.254';

/**
 * How a router treats its clients' traffic:
 * - `symmetric`: a new public port for every destination (`MASQUERADE --random-fully`), as on most mobile
 *   networks: STUN's answer is useless to the peer.
 * - `cone`: the public port follows the private one (plain `MASQUERADE`), so STUN-learned addresses work.
 * - `firewall-443`: a corporate network that lets out only TCP to port 443.
 */
export type RouterMode = 'symmetric' | 'cone' | 'firewall-443';

const COMMAND_TIMEOUT_MS = 10_000;

export class NatLab {
  readonly prefix: string;
  readonly ns: { inet: string; routerA: string; routerB: string; clientA: string; clientB: string; pub: string };
  readonly dir: string;
  readonly #processes: ChildProcess[] = [];
  #torn = false;

  constructor() {
    // The pid keeps two runs apart, and lets a later run clean up after one that was killed.
    this.prefix = `cwl${process.pid}`;
    const n = (name: string) => `${this.prefix}-${name}`;
    this.ns = { inet: n('inet'), routerA: n('ra'), routerB: n('rb'), clientA: n('a'), clientB: n('b'), pub: n('pub') };
    this.dir = mkdtempSync(join(tmpdir(), 'call-widget-lab-'));
  }

  /** Removes namespaces left by runs whose process is gone (a kill -9 skips every cleanup hook). */
  static removeStale(): void {
    const names = run('ip', ['netns', 'list']).split('\n').map((line) => line.split(' ')[0]);
    for (const name of names) {
      const pid = /^cwl(\d+)-/.exec(name)?.[1];
      if (pid && !isAlive(Number(pid))) run('ip', ['netns', 'delete', name]);
    }
  }

  build(): void {
    const { ns } = this;
    for (const name of Object.values(ns)) {
      run('ip', ['netns', 'add', name]);
      this.ip(name, 'link', 'set', 'lo', 'up');
    }
    // The internet: one bridge; the signaling server and coturn live on its own addresses.
    this.ip(ns.inet, 'link', 'add', 'br0', 'type', 'bridge');
    this.ip(ns.inet, 'link', 'set', 'br0', 'up');
    for (const address of [INET.gateway, INET.signaling, INET.turnTcp443]) this.ip(ns.inet, 'addr', 'add', `${address}/24`, 'dev', 'br0');
    this.#sink(ns.inet);

    // Each router's WAN side and the public host plug into the bridge.
    const plug = (name: string, port: string, address: string) => {
      this.ip(ns.inet, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'wan', 'netns', name);
      this.ip(ns.inet, 'link', 'set', port, 'master', 'br0', 'up');
      this.ip(name, 'addr', 'add', `${address}/24`, 'dev', 'wan');
      this.ip(name, 'link', 'set', 'wan', 'up');
    };
    plug(ns.routerA, 'p-ra', LAN_A.wan);
    plug(ns.routerB, 'p-rb', LAN_B.wan);
    plug(ns.pub, 'p-pub', INET.pub);
    this.#sink(ns.pub);

    // Each client sits alone on its router's LAN.
    const lan = (router: string, client: string, lanNet: { router: string; client: string }) => {
      this.ip(router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client);
      this.ip(router, 'addr', 'add', `${lanNet.router}/24`, 'dev', 'lan');
      this.ip(router, 'link', 'set', 'lan', 'up');
      this.ip(client, 'addr', 'add', `${lanNet.client}/24`, 'dev', 'eth0');
      this.ip(client, 'link', 'set', 'eth0', 'up');
      this.ip(client, 'route', 'add', 'default', 'via', lanNet.router);
      // The internet does not route to private networks: packets for the other LAN end in inet's sink.
      this.ip(router, 'route', 'add', 'default', 'via', INET.gateway);
      this.exec(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    };
    lan(ns.routerA, ns.clientA, LAN_A);
    lan(ns.routerB, ns.clientB, LAN_B);
  }

  /**
   * A default route into a dead end. Without one, a packet for an unrouted (private) address fails at once
   * with ENETUNREACH, and coturn closes the whole allocation when a peer's private candidate does that.
   * The veth's far end stays down and the gateway's neighbour entry is permanent: packets vanish quietly.
   */
  #sink(name: string): void {
    this.ip(name, 'link', 'add', 'sink', 'type', 'veth', 'peer', 'name', 'sink-peer');
    this.ip(name, 'link', 'set', 'sink', 'up');
    this.ip(name, 'route', 'add', 'default', 'via', SINK_GATEWAY, 'dev', 'sink', 'onlink');
    this.ip(name, 'neigh', 'add', SINK_GATEWAY, 'lladdr', '02:00:00:00:00:01', 'dev', 'sink', 'nud', 'permanent');
  }

  /** (Re)configures a router's NAT and filtering; drops connection-tracking state from the last mode. */
  setRouter(router: string, mode: RouterMode): void {
    this.exec(router, 'iptables', '-t', 'nat', '-F');
    this.exec(router, 'iptables', '-F');
    this.exec(router, 'iptables', '-P', 'FORWARD', 'ACCEPT');
    const masquerade = ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE'];
    this.exec(router, 'iptables', ...masquerade, ...(mode === 'symmetric' ? ['--random-fully'] : []));
    // Nothing from the internet reaches a client unless it belongs to a flow the client started.
    this.exec(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    this.exec(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-j', 'DROP');
    if (mode === 'firewall-443') {
      this.exec(router, 'iptables', '-A', 'FORWARD', '-i', 'lan', '-p', 'tcp', '--dport', '443', '-j', 'ACCEPT');
      this.exec(router, 'iptables', '-A', 'FORWARD', '-i', 'lan', '-j', 'DROP');
    }
  }

  /** Cuts a router's link both ways (a Wi-Fi blip): every forwarded packet is dropped until `restore`. */
  cut(router: string): void {
    this.exec(router, 'iptables', '-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'cut', '-j', 'DROP');
  }

  restore(router: string): void {
    this.exec(router, 'iptables', '-D', 'FORWARD', '-m', 'comment', '--comment', 'cut', '-j', 'DROP');
  }

  /** Drops a share of the packets crossing a router, both ways, at random (tc netem is not in every kernel). */
  loss(router: string, percent: number): void {
    this.exec(router, 'iptables', '-I', 'FORWARD', '1', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP');
  }

  /**
   * Drops a share of the UDP packets a router's client sends (its uplink only), at random: the lossy Wi-Fi or
   * uplink of one side. Undone by `setRouter`.
   */
  egressLoss(router: string, percent: number): void {
    this.exec(router, 'iptables', '-I', 'FORWARD', '1', '-i', 'lan', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP');
  }

  /** Blocks WebSocket upgrades through a router, as some corporate proxies do; plain HTTP still passes. */
  blockWebSocket(router: string): void {
    this.exec(router, 'iptables', '-I', 'FORWARD', '1', '-p', 'tcp', '-m', 'string', '--algo', 'bm', '--icase', '--string', 'upgrade: websocket', '-j', 'REJECT', '--reject-with', 'tcp-reset');
  }

  /**
   * Gives a router a new public address, as a handover to another network does: the NAT forgets every
   * mapping of the old one, so the call's current path is dead.
   */
  renumber(router: string, from: string, to: string): void {
    // Without promotion, deleting the old (primary) address would take the new one in the same subnet with it.
    this.exec(router, 'sysctl', '-qw', 'net.ipv4.conf.wan.promote_secondaries=1');
    this.ip(router, 'addr', 'add', `${to}/24`, 'dev', 'wan');
    this.ip(router, 'addr', 'del', `${from}/24`, 'dev', 'wan');
    this.ip(router, 'route', 'replace', 'default', 'via', INET.gateway);
  }

  /** Starts a long-running process inside a namespace; it is killed at teardown. */
  spawn(name: string, command: string, args: string[], env: Record<string, string> = {}, stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', name, command, ...args], {
      env: { ...process.env, ...env },
      stdio: [stdin, 'pipe', 'pipe'],
    });
    this.#processes.push(child);
    return child;
  }

  /** Waits (bounded) until something listens on `port` inside `name`. */
  async waitForListener(name: string, port: number, protocol: 'tcp' | 'udp' = 'tcp', timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const out = this.exec(name, 'ss', protocol === 'tcp' ? '-ltnH' : '-lunH');
      if (out.split('\n').some((line) => line.includes(`:${port} `))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing listens on ${protocol} ${port} in ${name} after ${timeoutMs} ms`);
  }

  /** An executable that runs Chromium inside `name`, for Playwright's `executablePath`. */
  chromiumIn(name: string, chromium: string): string {
    const path = join(this.dir, `chromium-${name}`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${name} ${chromium} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  ip(name: string, ...args: string[]): string {
    return run('ip', ['-n', name, ...args]);
  }

  exec(name: string, command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', name, command, ...args]);
  }

  /** Kills what the lab started and deletes its namespaces; safe to call twice and from exit hooks. */
  teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    for (const child of this.#processes) {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    for (const name of Object.values(this.ns)) {
      try {
        // Anything still running in the namespace (a browser that outlived its driver) goes with it.
        execFileSync('ip', ['netns', 'pids', name], { timeout: COMMAND_TIMEOUT_MS })
          .toString()
          .split('\n')
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // Already gone.
            }
          });
        execFileSync('ip', ['netns', 'delete', name], { timeout: COMMAND_TIMEOUT_MS, stdio: 'ignore' });
      } catch {
        // Never built, or already deleted.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why the lab cannot run here, or null when it can. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the NAT lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces, iptables); run the suite as root to include it';
  for (const tool of ['ip', 'iptables', 'turnserver', 'ss']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `the NAT lab needs ${tool} (Debian: apt-get install iproute2 iptables coturn)`;
    }
  }
  return null;
}
