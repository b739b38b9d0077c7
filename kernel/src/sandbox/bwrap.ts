/**
 * The bubblewrap command line for one kernel: new PID, IPC, UTS, cgroup and network namespaces, a
 * root file system that holds only the runtime (read-only), the configured data (read-only), a
 * size-limited tmpfs home and the folder of the kernel's sockets; then, inside, the process limits
 * and the switch to the kernel's own unprivileged uid. Pure: the launcher runs what this returns.
 */
import path from 'node:path';
import { HOME, RUN_DIR, type SandboxConfig } from './config.js';

export interface BwrapFacts {
  uid: number;
  /** Working folder under the home ('' for the home itself). */
  workdir: string;
  /** Host folder bound at RUN_DIR: the kernel's sockets and its connection file. */
  runDir: string;
  /** File descriptors bwrap reads: the seccomp filter, where it writes its info, /etc/passwd and /etc/group. */
  fds: { seccomp?: number; info: number; passwd: number; group: number };
  /** Host facts that decide a few binds: merged /usr symlinks, and which /etc files exist. */
  host: { symlinks: Record<string, string>; etcFiles: string[] };
}

/** The environment inside: nothing of the host's (no token, no secret), just what a kernel needs. */
export function sandboxEnv(config: SandboxConfig, workdir: string): Record<string, string> {
  const l = config.limits;
  return {
    HOME,
    USER: 'learner',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TMPDIR: `${HOME}/.tmp`,
    NO_UPDATE_NOTIFIER: '1',
    ODIBI_DUCKDB_MEMORY_LIMIT: `${Math.floor(l.duckdbMemoryBytes / (1024 * 1024))}MiB`,
    ODIBI_DUCKDB_THREADS: String(l.duckdbThreads),
    // The kernel words its errors with these (a full disk, no network, a memory limit).
    ODIBI_SANDBOX: JSON.stringify({ memoryBytes: l.memoryBytes, diskBytes: l.diskBytes, processes: l.processes, duckdbMemoryBytes: l.duckdbMemoryBytes, home: HOME, workdir }),
  };
}

export function bwrapArgs(config: SandboxConfig, facts: BwrapFacts): string[] {
  const args: string[] = [
    '--die-with-parent', '--new-session',
    '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup',
    '--hostname', 'odibi-sandbox',
    '--clearenv',
  ];
  if (facts.fds.seccomp !== undefined) args.push('--seccomp', String(facts.fds.seccomp));
  args.push('--info-fd', String(facts.fds.info));

  // Folders bwrap makes on its own are root-only (0700): every parent the kernel must walk
  // through is made first, world-readable.
  const made = new Set<string>(['/']);
  const parents = (p: string) => {
    const missing: string[] = [];
    for (let d = path.dirname(p); !made.has(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      args.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
  };
  const roBind = (from: string, to = from) => {
    parents(to);
    args.push('--ro-bind', from, to);
    made.add(to);
  };

  roBind('/usr');
  for (const [at, target] of Object.entries(facts.host.symlinks)) args.push('--symlink', target, at);
  for (const f of facts.host.etcFiles) roBind(f);
  parents('/etc/passwd');
  args.push('--perms', '0644', '--ro-bind-data', String(facts.fds.passwd), '/etc/passwd', '--perms', '0644', '--ro-bind-data', String(facts.fds.group), '/etc/group');
  args.push('--proc', '/proc', '--dev', '/dev');
  parents(RUN_DIR);
  args.push('--bind', facts.runDir, RUN_DIR);

  parents(HOME);
  args.push('--size', String(config.limits.diskBytes), '--perms', '0777', '--tmpfs', HOME);
  made.add(HOME);
  for (const dir of ['.tmp', ...config.workdirs]) {
    args.push('--perms', '0777', '--dir', `${HOME}/${dir}`);
    made.add(`${HOME}/${dir}`);
  }
  for (const [at, from] of Object.entries(config.mounts)) roBind(from, path.posix.join(HOME, at));
  for (const p of config.runtime) roBind(p);
  // /tmp leads into the home (its quota), unless the runtime itself lives under /tmp (a checkout
  // in a temp folder): then /tmp holds just those read-only binds, and TMPDIR still points home.
  if (!made.has('/tmp')) args.push('--symlink', `${HOME}/.tmp`, '/tmp');

  args.push('--chdir', facts.workdir ? `${HOME}/${facts.workdir}` : HOME);
  for (const [k, v] of Object.entries(sandboxEnv(config, facts.workdir))) args.push('--setenv', k, v);
  // Only to drop to the kernel's uid below; the uid switch clears them, and no_new_privs keeps
  // any set-uid program from giving them back.
  args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID');

  const l = config.limits;
  args.push(
    '--',
    '/usr/bin/prlimit', `--nproc=${l.processes}:${l.processes}`, '--core=0:0', '--',
    '/usr/bin/setpriv', `--reuid=${facts.uid}`, `--regid=${facts.uid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--',
    ...config.command, `${RUN_DIR}/connection.json`,
  );
  return args;
}

/** /etc/passwd and /etc/group inside: just the kernel's user, so tools that look it up find it. */
export function etcFiles(uid: number): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nlearner:x:${uid}:${uid}:learner:${HOME}:/usr/sbin/nologin\n`,
    group: `root:x:0:\nlearner:x:${uid}:\n`,
  };
}
