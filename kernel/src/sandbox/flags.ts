/** `odibi-kernel install --sandbox` flags → a sandbox config (one parser, tested on its own). */
import path from 'node:path';
import { parseSize, sandboxConfig, type SandboxConfig, type SandboxLimits } from './config.js';

export interface SandboxFlags {
  stateDir?: string;
  mount?: string[];
  workdir?: string[];
  uids?: string;
  memory?: string;
  disk?: string;
  processes?: string;
  cpus?: string;
  heap?: string;
  duckdbMemory?: string;
  duckdbThreads?: string;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!(n > 0)) throw new Error(`--${flag} must be a positive number, not "${text}"`);
  return n;
}

export function sandboxConfigFromFlags(o: SandboxFlags): SandboxConfig {
  const mounts: Record<string, string> = {};
  for (const m of o.mount ?? []) {
    const eq = m.indexOf('=');
    if (eq <= 0) throw new Error(`--mount takes <at>=<host folder>, not "${m}"`);
    const at = path.posix.normalize(m.slice(0, eq));
    if (at.startsWith('/') || at.startsWith('..')) throw new Error(`--mount ${m}: <at> must be a path inside the kernel home`);
    mounts[at] = m.slice(eq + 1);
  }
  const range = /^(\d+)-(\d+)$/.exec(o.uids ?? '61000-61999');
  if (!range || Number(range[1]) < 1000 || Number(range[2]) < Number(range[1])) throw new Error(`--uids takes <first>-<last> (unprivileged, from 1000 up), not "${o.uids}"`);
  const limits: Partial<SandboxLimits> = {};
  if (o.memory) limits.memoryBytes = parseSize(o.memory);
  if (o.disk) limits.diskBytes = parseSize(o.disk);
  if (o.processes) limits.processes = positive('processes', o.processes);
  if (o.cpus) limits.cpus = positive('cpus', o.cpus);
  if (o.heap) limits.heapBytes = parseSize(o.heap);
  if (o.duckdbMemory) limits.duckdbMemoryBytes = parseSize(o.duckdbMemory);
  if (o.duckdbThreads) limits.duckdbThreads = positive('duckdb-threads', o.duckdbThreads);
  return sandboxConfig({ stateDir: o.stateDir ?? '/var/lib/odibi-sandbox', uids: [Number(range[1]), Number(range[2])], mounts, workdirs: o.workdir ?? [], limits });
}
