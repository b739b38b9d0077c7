/**
 * What a sandbox launcher leaves for the host that runs Jupyter (the LearnODIBI gateway): per
 * kernel, how it runs (its cgroup, for CPU use) and why it last stopped (out of memory, crashed).
 * Files under `<stateDir>/kernels/<kernel id>/`, written atomically by the launcher.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '@odibi/core/atomic-write';
import path from 'node:path';
import { cpuSecondsOf } from './cgroup.js';
import { processAlive } from './pids.js';

export interface KernelStatus {
  launcherPid: number;
  uid: number;
  startedAt: string;
  /** Where the kernel's CPU time is counted, if the host has cgroups. */
  cgroup?: { version: 1 | 2; cpuDir?: string };
}

export interface KernelExit {
  at: string;
  /** `memory`: killed for passing its memory limit; `crash`: ended on its own; `stopped`: shut down. */
  reason: 'memory' | 'crash' | 'stopped';
  /** Said to the user, e.g. "it used more than its 1 GiB of memory". */
  message: string;
  code: number | null;
  signal: string | null;
}

export function kernelDir(stateDir: string, kernelId: string): string {
  if (!/^[\w-]{1,100}$/.test(kernelId)) throw new Error(`"${kernelId}" is not a kernel id`);
  return path.join(stateDir, 'kernels', kernelId);
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomicSync(file, `${JSON.stringify(value)}\n`);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function writeKernelStatus(stateDir: string, kernelId: string, status: KernelStatus): void {
  writeJson(path.join(kernelDir(stateDir, kernelId), 'status.json'), status);
}

export function writeKernelExit(stateDir: string, kernelId: string, exit: KernelExit): void {
  writeJson(path.join(kernelDir(stateDir, kernelId), 'exit.json'), exit);
}

/** Why the kernel last stopped, if it ran sandboxed and has stopped since `since`. */
export function readKernelExit(stateDir: string, kernelId: string, since = 0): KernelExit | undefined {
  const exit = readJson<KernelExit>(path.join(kernelDir(stateDir, kernelId), 'exit.json'));
  return exit && Date.parse(exit.at) >= since ? exit : undefined;
}

/** CPU seconds the kernel has used so far (undefined if the host does not count them). */
export function kernelCpuSeconds(stateDir: string, kernelId: string): number | undefined {
  const s = readJson<KernelStatus>(path.join(kernelDir(stateDir, kernelId), 'status.json'));
  return s?.cgroup ? cpuSecondsOf(s.cgroup.version, s.cgroup.cpuDir) : undefined;
}

/**
 * Removes what kernels that are long gone left behind (a kernel shut down cleanly removes its own
 * folder; one that crashed keeps its exit.json for the host to read for a while).
 */
export function sweepKernelDirs(stateDir: string, maxAgeMs = 60 * 60_000, now = Date.now()): void {
  const root = path.join(stateDir, 'kernels');
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(root, name);
    try {
      const status = readJson<KernelStatus>(path.join(dir, 'status.json'));
      if (status && processAlive(status.launcherPid)) continue;
      if (now - statSync(dir).mtimeMs > maxAgeMs) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone meanwhile.
    }
  }
}

