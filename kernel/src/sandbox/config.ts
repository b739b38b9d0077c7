/**
 * What a sandboxed kernel may see and use: written once by `odibi-kernel install --sandbox` beside
 * the kernelspec, read by every launch. Sizes are bytes; the install command takes `512m`, `1g`.
 */
import { realpathSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SandboxLimits {
  /** The kernel's whole memory (cgroup): Node, DuckDB, and the files in its folder (a tmpfs). */
  memoryBytes: number;
  /** The writable folder (`/home/learner`, a tmpfs of this size). */
  diskBytes: number;
  /** Processes and threads (cgroup pids.max, and RLIMIT_NPROC of the kernel's own uid). */
  processes: number;
  /**
   * CPU cores the kernel may use at once (cgroup CPU quota). Kernels share what they all use
   * fairly anyway (one cgroup each, equal weights); the cap keeps one from taking a big machine.
   */
  cpus: number;
  /** Node's JavaScript heap (`--max-old-space-size`). */
  heapBytes: number;
  /** DuckDB's `memory_limit` and `threads` inside the kernel (and `odibi` commands it runs). */
  duckdbMemoryBytes: number;
  duckdbThreads: number;
}

export interface SandboxConfig {
  /**
   * Host folder for per-kernel state (sockets, status, uid claims). Root-only; no sandbox sees it.
   */
  stateDir: string;
  /** Unprivileged uids handed to kernels, one per live kernel: [first, last]. */
  uids: [number, number];
  /** Read-only folders shown inside the kernel's home, e.g. {"lessons/data": "/repo/examples/iot/data"}. */
  mounts: Record<string, string>;
  /**
   * Working folders a kernel may start in, under its home. Jupyter starts a kernel in a host folder
   * (from the session's path); its last part picks one of these, e.g. `lessons` or `notebooks`.
   */
  workdirs: string[];
  /** Host paths the kernel runs from (packages, the built core and kernel): read-only, same path inside. */
  runtime: string[];
  /** The kernel's command inside the sandbox, before `<connection-file>`. */
  command: string[];
  limits: SandboxLimits;
}

const MB = 1024 * 1024;

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 1024 * MB,
  diskBytes: 128 * MB,
  processes: 256,
  // Two: a kernel's boot (TypeScript, V8's background compiler and GC) takes ~1.6 cores for 2.5 s;
  // held to one core it takes 4.
  cpus: 2,
  heapBytes: 512 * MB,
  duckdbMemoryBytes: 256 * MB,
  duckdbThreads: 1,
};

/** The kernel's home inside the sandbox. */
export const HOME = '/home/learner';
/** Where the kernel's sockets and connection file are, inside. */
export const RUN_DIR = '/run/odibi';

/** "512m", "1g", "300k", or bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a size; write e.g. 512m or 1g`);
  const unit = { '': 1, k: 1024, m: MB, g: 1024 * MB }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MB && bytes % (1024 * MB) === 0) return `${bytes / (1024 * MB)} GiB`;
  if (bytes >= MB) return `${Math.round(bytes / MB)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

const require = createRequire(import.meta.url);

/** A package's folder, through any workspace symlink. */
function packageDir(name: string): string {
  return realpathSync(path.dirname(require.resolve(`${name}/package.json`)));
}

/**
 * What the kernel runs from: every node_modules folder above this package and above @odibi/core,
 * and of both packages their package.json, bin/, dist/ and templates/ (never their sources).
 */
export function defaultRuntime(): string[] {
  const kernelDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const coreDir = packageDir('@odibi/core');
  const paths = new Set<string>();
  for (const dir of [kernelDir, coreDir]) {
    for (const part of ['package.json', 'bin', 'dist', 'templates']) {
      if (existsSync(path.join(dir, part))) paths.add(path.join(dir, part));
    }
    for (let d = dir; ; d = path.dirname(d)) {
      const nm = path.join(d, 'node_modules');
      if (existsSync(nm)) paths.add(realpathSync(nm));
      if (path.dirname(d) === d) break;
    }
  }
  return [...paths].sort();
}

/** `node <heap limit> <this package's cli.js> start`: what runs inside. */
export function defaultCommand(limits: SandboxLimits): string[] {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  return [process.execPath, `--max-old-space-size=${Math.round(limits.heapBytes / MB)}`, cli, 'start'];
}

export interface SandboxOptions {
  stateDir: string;
  mounts?: Record<string, string>;
  workdirs?: string[];
  uids?: [number, number];
  limits?: Partial<SandboxLimits>;
}

/** A complete config: the runtime and kernel command of this installation, default limits. */
export function sandboxConfig(o: SandboxOptions): SandboxConfig {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  return {
    stateDir: path.resolve(o.stateDir),
    uids: o.uids ?? [61000, 61999],
    mounts: Object.fromEntries(Object.entries(o.mounts ?? {}).map(([at, from]) => [at, path.resolve(from)])),
    workdirs: o.workdirs ?? [],
    runtime: defaultRuntime(),
    command: defaultCommand(limits),
    limits,
  };
}

export function readSandboxConfig(file: string): SandboxConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the sandbox config ${file}: ${(err as Error).message}; write it again with \`odibi-kernel install --sandbox\``);
  }
  const c = raw as Partial<SandboxConfig>;
  const problems: string[] = [];
  if (typeof c.stateDir !== 'string' || !path.isAbsolute(c.stateDir)) problems.push('stateDir must be an absolute path');
  if (!Array.isArray(c.uids) || c.uids.length !== 2 || !(c.uids[0] > 0 && c.uids[1] >= c.uids[0])) problems.push('uids must be [first, last], both above 0');
  if (!c.mounts || typeof c.mounts !== 'object') problems.push('mounts must be an object');
  else for (const [at, from] of Object.entries(c.mounts)) {
    if (path.isAbsolute(at) || at.split('/').includes('..')) problems.push(`mount "${at}" must be a relative path inside the home`);
    if (!path.isAbsolute(from)) problems.push(`mount "${at}" must come from an absolute path`);
  }
  if (!Array.isArray(c.workdirs) || c.workdirs.some((w) => typeof w !== 'string' || w.includes('/') || w.startsWith('.'))) problems.push('workdirs must be folder names');
  if (!Array.isArray(c.runtime) || c.runtime.some((p) => typeof p !== 'string' || !path.isAbsolute(p))) problems.push('runtime must be absolute paths');
  if (!Array.isArray(c.command) || c.command.length === 0) problems.push('command must be the kernel command');
  const limits = { ...DEFAULT_LIMITS, ...(c.limits ?? {}) };
  for (const [k, v] of Object.entries(limits)) if (!(typeof v === 'number' && v > 0)) problems.push(`limits.${k} must be a positive number`);
  if (problems.length) throw new Error(`the sandbox config ${file} is not valid: ${problems.join('; ')}`);
  return { ...(c as SandboxConfig), limits };
}
