/**
 * `odibi-kernel sandbox --config <file> <connection-file>`: what a sandboxed kernelspec runs. As
 * root, outside the sandbox, it prepares one kernel's confinement and stays as its parent:
 *
 * - a uid of its own, a cgroup with its limits, a folder for its Unix sockets;
 * - Jupyter's `ipc` socket paths (`<ip>-<port>`) become links into that folder, so Jupyter reaches
 *   the kernel with no network, and the kernel sees no other kernel's sockets;
 * - bubblewrap with the seccomp filter, in a process group of its own (Jupyter's SIGINT to our
 *   group must not kill the sandbox); SIGINT is passed on to the kernel process inside;
 * - when the sandbox ends, why (out of memory, crashed) goes to the status folder for the host.
 */
import { spawn } from 'node:child_process';
import { chownSync, chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { bwrapArgs, etcFiles } from './bwrap.js';
import { Cgroup } from './cgroup.js';
import { formatSize, readSandboxConfig, RUN_DIR } from './config.js';
import { currentArch, networkFilter } from './seccomp.js';
import { kernelDir, sweepKernelDirs, writeKernelExit, writeKernelStatus, type KernelExit } from './status.js';
import { claimUid, releaseUid } from './uids.js';

export class SandboxError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'SandboxError';
    this.hint = hint;
  }
}

const TOOLS = ['/usr/bin/bwrap', '/usr/bin/setpriv', '/usr/bin/prlimit'];
const PORTS = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;

interface Connection {
  transport: string;
  ip: string;
  [port: string]: unknown;
}

/** The kernel id in Jupyter's connection file name (`kernel-<id>.json`). */
export function kernelIdOf(connectionFile: string): string {
  const base = path.basename(connectionFile, '.json');
  return (base.startsWith('kernel-') ? base.slice('kernel-'.length) : base).replace(/[^\w-]/g, '_');
}

/** /bin, /lib… on a merged-/usr host are links into /usr: the same links inside. */
function hostLayout(): { symlinks: Record<string, string>; dirs: string[]; etcFiles: string[] } {
  const symlinks: Record<string, string> = {};
  const dirs: string[] = [];
  for (const p of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) symlinks[p] = readlinkSync(p);
      else if (st.isDirectory()) dirs.push(p);
    } catch {
      // Not on this host.
    }
  }
  return { symlinks, dirs, etcFiles: ['/etc/ld.so.cache', '/etc/localtime'].filter((f) => existsSync(f)) };
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function launchSandboxed(configFile: string, connectionFile: string): Promise<number> {
  if (process.getuid?.() !== 0) {
    throw new SandboxError('the sandboxed kernel must be started by root (it creates namespaces and switches to an unprivileged uid)', 'run the Jupyter server as root, or install the kernel without --sandbox for trusted use');
  }
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (missing.length) throw new SandboxError(`missing ${missing.join(', ')}`, 'install bubblewrap and util-linux (apt-get install bubblewrap), e.g. with `bash scripts/setup.sh --jupyter`');
  const config = readSandboxConfig(configFile);
  const conn = JSON.parse(readFileSync(connectionFile, 'utf8')) as Connection;
  if (conn.transport !== 'ipc') {
    throw new SandboxError(`the connection file asks for ${conn.transport}, but a sandboxed kernel has no network`, 'start Jupyter with --KernelManager.transport=ipc');
  }
  const kernelId = kernelIdOf(connectionFile);
  const kdir = kernelDir(config.stateDir, kernelId);
  mkdirSync(kdir, { recursive: true, mode: 0o700 });
  const uid = await claimUid(config.stateDir, config.uids);

  // The kernel's run folder: its sockets (it binds them) and its connection file, and nothing else.
  const runDir = path.join(kdir, 'run');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { mode: 0o700 });
  chownSync(runDir, uid, uid);
  const inside = path.join(runDir, 'connection.json');
  writeFileSync(inside, JSON.stringify({ ...conn, ip: `${RUN_DIR}/k` }), { mode: 0o400 });
  chownSync(inside, uid, uid);
  for (const key of PORTS) {
    const port = Number(conn[key]);
    const link = `${conn.ip}-${port}`;
    try {
      unlinkSync(link);
    } catch {
      // Not there yet.
    }
    symlinkSync(path.join(runDir, `k-${port}`), link);
  }

  Cgroup.sweep();
  sweepKernelDirs(config.stateDir);
  const l = config.limits;
  const cgroup = Cgroup.create(`k${process.pid}`, { memoryBytes: l.memoryBytes, processes: l.processes, cpus: l.cpus });
  if (!cgroup) process.stderr.write('odibi sandbox: no writable cgroups here; memory, process and CPU limits fall back to the Node heap, DuckDB and RLIMIT_NPROC limits\n');
  const arch = currentArch();
  if (!arch) process.stderr.write(`odibi sandbox: no seccomp filter for ${process.arch}; the network namespace alone keeps the network out\n`);

  const layout = hostLayout();
  const cwdName = path.basename(process.cwd());
  const workdir = config.workdirs.includes(cwdName) ? cwdName : '';
  const fds = { seccomp: arch ? 3 : undefined, info: 4, passwd: 5, group: 6 };
  const args = bwrapArgs({ ...config, runtime: [...layout.dirs, ...config.runtime] }, { uid, workdir, runDir, fds, host: layout });

  // Joining the cgroup happens in the shell that becomes bwrap, so nothing in the sandbox ever
  // runs outside it.
  const join = 'printf "%s\\n" "$ODIBI_CGROUP_PROCS" | while IFS= read -r f; do [ -z "$f" ] || echo $$ > "$f" || exit 125; done || exit 125; exec /usr/bin/bwrap "$@"';
  const child = spawn('/bin/sh', ['-c', join, 'sh', ...args], {
    detached: true,
    env: { PATH: '/usr/bin:/bin', ODIBI_CGROUP_PROCS: (cgroup?.procsFiles ?? []).join('\n') },
    stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  const feed = (fd: number, data: Buffer | string) => (child.stdio[fd] as Writable).end(data);
  feed(3, arch ? networkFilter(arch) : '');
  const etc = etcFiles(uid);
  feed(5, etc.passwd);
  feed(6, etc.group);

  let sandboxPid: number | undefined;
  let info = '';
  child.stdio[4]!.on('data', (d: Buffer) => {
    info += d;
    const m = /"child-pid":\s*(\d+)/.exec(info);
    if (m && !sandboxPid) sandboxPid = Number(m[1]);
  });
  writeKernelStatus(config.stateDir, kernelId, {
    launcherPid: process.pid, uid, startedAt: new Date().toISOString(),
    cgroup: cgroup ? { version: cgroup.version, cpuDir: cgroup.cpuDir } : undefined,
  });

  // The kernel is the first process under bubblewrap's init inside the sandbox.
  const kernelPid = () => (sandboxPid ? readChildren(sandboxPid)[0] : undefined);
  const signalKernel = (sig: NodeJS.Signals) => {
    const pid = kernelPid();
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      // Gone meanwhile.
    }
  };
  // An interrupt that comes while the kernel boots has nothing to stop, and would kill it: pass it
  // on only once the kernel has bound its sockets (its handlers are in place by then).
  const booted = path.join(runDir, `k-${Number(conn.shell_port)}`);
  process.on('SIGINT', () => {
    if (existsSync(booted)) signalKernel('SIGINT');
  });
  const stop = () => {
    signalKernel('SIGTERM');
    setTimeout(() => {
      if (sandboxPid) process.kill(sandboxPid, 'SIGKILL');
    }, 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  const exit = explainExit(code, signal, cgroup?.oomKills() ?? 0, l.memoryBytes);
  // A kernel shut down on purpose leaves nothing; why another stopped stays for the host to read.
  if (exit.reason === 'stopped') rmSync(kdir, { recursive: true, force: true });
  else writeKernelExit(config.stateDir, kernelId, exit);
  rmSync(runDir, { recursive: true, force: true });
  releaseUid(config.stateDir, uid);
  await cgroup?.remove();
  return code ?? 1;
}

export function explainExit(code: number | null, signal: string | null, oomKills: number, memoryBytes: number): KernelExit {
  const at = new Date().toISOString();
  if (oomKills > 0) return { at, reason: 'memory', message: `it used more than its ${formatSize(memoryBytes)} of memory`, code, signal };
  if (code === 0) return { at, reason: 'stopped', message: 'it was shut down', code, signal };
  if (code === 125) return { at, reason: 'crash', message: 'the sandbox could not be set up (see the server log)', code, signal };
  return { at, reason: 'crash', message: signal ? `it was stopped by ${signal}` : `it stopped with exit code ${code}`, code, signal };
}

/** Makes a folder the sandbox's state dir: root-only. */
export function prepareStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
