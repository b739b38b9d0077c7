/**
 * A control group per kernel: memory (the kernel and its tmpfs), process count and CPU quota, on
 * cgroup v2 or v1, whichever the host mounts. Groups live under `odibi-sandbox/` and are named
 * after the launcher's pid, so the next launch can remove those whose launcher is gone.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from './pids.js';

const PARENT = 'odibi-sandbox';
const PERIOD_US = 100_000;

export interface CgroupLimits {
  memoryBytes: number;
  processes: number;
  cpus: number;
}

/** Where a host mounts its controllers: one v2 hierarchy, or a mount point per v1 controller. */
export type Hierarchy = { version: 2; root: string } | { version: 1; roots: Partial<Record<'memory' | 'pids' | 'cpu' | 'cpuacct', string>> };

/** Reads /proc/self/mounts (or the text given, for tests). */
export function findHierarchy(mounts = readFileSync('/proc/self/mounts', 'utf8')): Hierarchy | undefined {
  const v1: Partial<Record<'memory' | 'pids' | 'cpu' | 'cpuacct', string>> = {};
  let v2: string | undefined;
  for (const line of mounts.split('\n')) {
    const [, where, type, options] = line.split(' ');
    if (type === 'cgroup2' && !v2) v2 = where;
    if (type === 'cgroup') {
      for (const c of ['memory', 'pids', 'cpu', 'cpuacct'] as const) if (options.split(',').includes(c) && !v1[c]) v1[c] = where;
    }
  }
  if (v1.memory && v1.pids) return { version: 1, roots: v1 };
  if (v2 && existsSync(path.join(v2, 'cgroup.controllers'))) {
    const available = readFileSync(path.join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (available.includes('memory') && available.includes('pids')) return { version: 2, root: v2 };
  }
  return undefined;
}


export class Cgroup {
  readonly #h: Hierarchy;
  /** The group's folder in each hierarchy it is in. */
  readonly dirs: string[];
  readonly #memoryDir: string;
  /** Where CPU time is counted (cpuacct in v1). */
  readonly cpuDir: string | undefined;

  private constructor(h: Hierarchy, dirs: string[], memoryDir: string, cpuDir: string | undefined) {
    this.#h = h;
    this.dirs = dirs;
    this.#memoryDir = memoryDir;
    this.cpuDir = cpuDir;
  }

  get version(): 1 | 2 {
    return this.#h.version;
  }

  /** A new group with these limits, or undefined where the host has no writable cgroups. */
  static create(name: string, limits: CgroupLimits, h = findHierarchy()): Cgroup | undefined {
    if (!h) return undefined;
    try {
      return h.version === 2 ? Cgroup.#createV2(h, name, limits) : Cgroup.#createV1(h, name, limits);
    } catch {
      return undefined;
    }
  }

  static #createV2(h: Extract<Hierarchy, { version: 2 }>, name: string, l: CgroupLimits): Cgroup {
    const parent = path.join(h.root, PARENT);
    mkdirSync(parent, { recursive: true });
    // Controllers must be handed down from the root to the parent before a child can use them.
    const controllers = ['memory', 'pids', 'cpu'].filter((c) => readFileSync(path.join(h.root, 'cgroup.controllers'), 'utf8').includes(c));
    for (const d of [h.root, parent]) writeFileSync(path.join(d, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
    const dir = path.join(parent, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'memory.max'), String(l.memoryBytes));
    if (existsSync(path.join(dir, 'memory.swap.max'))) writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    writeFileSync(path.join(dir, 'pids.max'), String(l.processes));
    if (controllers.includes('cpu')) writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(l.cpus * PERIOD_US)} ${PERIOD_US}`);
    return new Cgroup(h, [dir], dir, dir);
  }

  static #createV1(h: Extract<Hierarchy, { version: 1 }>, name: string, l: CgroupLimits): Cgroup {
    const dir = (c: keyof typeof h.roots) => path.join(h.roots[c]!, PARENT, name);
    const made = new Set<string>();
    for (const c of ['memory', 'pids', 'cpu', 'cpuacct'] as const) {
      if (!h.roots[c]) continue;
      mkdirSync(dir(c), { recursive: true });
      made.add(dir(c));
    }
    writeFileSync(path.join(dir('memory'), 'memory.limit_in_bytes'), String(l.memoryBytes));
    // Without swap accounting the file is absent; with it, swap must not stretch the limit.
    const memsw = path.join(dir('memory'), 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(l.memoryBytes));
    writeFileSync(path.join(dir('pids'), 'pids.max'), String(l.processes));
    if (h.roots.cpu) {
      writeFileSync(path.join(dir('cpu'), 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(path.join(dir('cpu'), 'cpu.cfs_quota_us'), String(Math.round(l.cpus * PERIOD_US)));
    }
    return new Cgroup(h, [...made], dir('memory'), h.roots.cpuacct ? dir('cpuacct') : undefined);
  }

  /** The files a process writes its pid to, to join the group (in every hierarchy). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /** How many times the kernel's OOM killer struck inside the group. */
  oomKills(): number {
    const file = this.#h.version === 2 ? 'memory.events' : 'memory.oom_control';
    const m = /^oom_kill (\d+)$/m.exec(readIfExists(path.join(this.#memoryDir, file)));
    return m ? Number(m[1]) : 0;
  }

  /** CPU time used by the group, in seconds (undefined without CPU accounting). */
  cpuSeconds(): number | undefined {
    return cpuSecondsOf(this.#h.version, this.cpuDir);
  }

  /** Removes the group once its processes are gone (retrying briefly while the kernel exits). */
  async remove(): Promise<void> {
    for (const d of this.dirs) {
      for (let i = 0; i < 20; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }

  /** Removes the groups of launchers that are gone (killed before they could clean up). */
  static sweep(h = findHierarchy()): void {
    if (!h) return;
    const parents = h.version === 2 ? [path.join(h.root, PARENT)] : Object.values(h.roots).map((r) => path.join(r!, PARENT));
    for (const parent of parents) {
      let names: string[] = [];
      try {
        names = readdirSync(parent, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      } catch {
        continue;
      }
      for (const name of names) {
        const pid = Number(/^k(\d+)$/.exec(name)?.[1]);
        if (!pid || processAlive(pid)) continue;
        try {
          rmdirSync(path.join(parent, name));
        } catch {
          // Still has processes: its sandbox is still dying; the next sweep takes it.
        }
      }
    }
  }
}

/** CPU seconds from a group folder the launcher recorded (the host's gateway reads this). */
export function cpuSecondsOf(version: 1 | 2, dir: string | undefined): number | undefined {
  if (!dir) return undefined;
  if (version === 2) {
    const m = /^usage_usec (\d+)$/m.exec(readIfExists(path.join(dir, 'cpu.stat')));
    return m ? Number(m[1]) / 1e6 : undefined;
  }
  const ns = readIfExists(path.join(dir, 'cpuacct.usage')).trim();
  return ns ? Number(ns) / 1e9 : undefined;
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
