/**
 * Whether a process that wrote something (a staging file, a lock) is still there, without trusting
 * any clock: its pid, and on Linux its start time in clock ticks after boot, name it exactly, so a
 * pid reused by a later process (a restarted container) is told apart.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Field 22 of /proc/<pid>/stat: when the process started, in ticks after boot; undefined off Linux. */
export function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which may hold spaces and parentheses.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** This process's start ticks, or 0 where they cannot be read (then only the pid is compared). */
export const OWN_START = startTicksOf(process.pid) ?? 0;

/**
 * Whether `pid` is a live process (EPERM: alive, under another user) and, when `start` is known
 * (not 0) and can be read, the same process that recorded it.
 */
export function processAlive(pid: number, start = 0): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!start) return true;
  const now = startTicksOf(pid);
  return now === undefined || now === start;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Which pid namespace of which machine since which boot this process runs in, as 8 hex digits:
 * pids compare only within it. The host name alone is not enough (two containers on one host may
 * share it but not their pids).
 */
export const PID_SPACE = createHash('sha1')
  .update(`${hostname()}\n${readOr('/proc/sys/kernel/random/boot_id')}\n${(() => {
    try {
      return readFileSync('/proc/self/ns/pid', 'utf8');
    } catch {
      return '';
    }
  })()}`)
  .digest('hex').slice(0, 8);
