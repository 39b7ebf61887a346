/**
 * What Linux's /proc says about a process, for the benches that measure processes from outside.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;
/** Ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 nearly everywhere), read once when needed. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** A process's parent and command name, and the user + system CPU seconds it has used so far. */
export function processStat(pid: number): { parent: number; command: string; cpuSeconds: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses, which may hold spaces): state, ppid, …, utime (14), stime (15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    parent: Number(fields[1]),
    command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond(),
  };
}

/** User + system CPU seconds a process has used so far. */
export const cpuSeconds = (pid: number) => processStat(pid).cpuSeconds;

/**
 * CPU time (user + system) of this process's Chromium descendants, in ms, from /proc; null where there is no
 * /proc. Playwright starts Chromium as a child of this process, and every Chromium process descends from it;
 * the bench's servers are children too, but not Chromium.
 */
export function chromiumCpuMs(): number | null {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return null;
  }
  const info = new Map<number, ReturnType<typeof processStat>>();
  for (const pid of pids) {
    try {
      info.set(pid, processStat(pid));
    } catch {
      // The process ended while we read.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = info.get(pid)?.parent, hops = 0; p && hops < 64; p = info.get(p)?.parent, hops++) if (p === process.pid) return true;
    return false;
  };
  let seconds = 0;
  for (const [pid, { command, cpuSeconds }] of info) if (/chrom/i.test(command) && descends(pid)) seconds += cpuSeconds;
  return Math.round(seconds * 1000);
}
