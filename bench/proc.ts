/**
 * What Linux's /proc says about a process, for the benches that measure processes from outside.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
