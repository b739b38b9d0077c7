import { describe, expect, it } from 'vitest';
import { bwrapArgs, etcFiles, sandboxEnv } from './bwrap.js';
import { DEFAULT_LIMITS, type SandboxConfig } from './config.js';

const config: SandboxConfig = {
  stateDir: '/var/lib/odibi-sandbox',
  uids: [61000, 61999],
  mounts: { 'lessons/data': '/repo/examples/iot/data', examples: '/repo/examples' },
  workdirs: ['lessons', 'notebooks'],
  runtime: ['/repo/node_modules', '/repo/kernel/dist'],
  command: ['/usr/bin/node', '/repo/kernel/dist/cli.js', 'start'],
  limits: DEFAULT_LIMITS,
};
const args = bwrapArgs(config, {
  uid: 61003, workdir: 'lessons', runDir: '/var/lib/odibi-sandbox/kernels/k1/run',
  fds: { seccomp: 3, info: 4, passwd: 5, group: 6 },
  host: { symlinks: { '/lib': 'usr/lib', '/bin': 'usr/bin' }, etcFiles: ['/etc/ld.so.cache'] },
});
const pairs = (flag: string) => args.flatMap((a, i) => (a === flag ? [[args[i + 1], args[i + 2]]] : []));

describe('the bubblewrap command line', () => {
  it('unshares every namespace, the network included, clears the environment and loads the filter', () => {
    for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup', '--clearenv', '--die-with-parent', '--new-session']) expect(args).toContain(flag);
    expect(args.slice(args.indexOf('--seccomp'), args.indexOf('--seccomp') + 2)).toEqual(['--seccomp', '3']);
  });

  it('shows the host read-only and only in part: /usr, the runtime, the data; never / or /etc as a whole', () => {
    const ro = pairs('--ro-bind');
    expect(ro).toEqual(expect.arrayContaining([['/usr', '/usr'], ['/repo/node_modules', '/repo/node_modules'], ['/repo/kernel/dist', '/repo/kernel/dist'], ['/etc/ld.so.cache', '/etc/ld.so.cache'], ['/repo/examples/iot/data', '/home/learner/lessons/data'], ['/repo/examples', '/home/learner/examples']]));
    expect(ro.map(([from]) => from)).not.toContain('/');
    expect(ro.map(([from]) => from)).not.toContain('/etc');
    // The only writable binds: the kernel's own run folder (its sockets).
    expect(pairs('--bind')).toEqual([['/var/lib/odibi-sandbox/kernels/k1/run', '/run/odibi']]);
  });

  it('gives the kernel a size-limited tmpfs home and starts it in its working folder', () => {
    const i = args.indexOf('--tmpfs');
    expect(args.slice(i - 4, i + 2)).toEqual(['--size', String(DEFAULT_LIMITS.diskBytes), '--perms', '0777', '--tmpfs', '/home/learner']);
    expect(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2)).toEqual(['--chdir', '/home/learner/lessons']);
  });

  it('makes every folder the kernel walks through readable (bwrap makes its own 0700)', () => {
    const dirs = args.flatMap((a, i) => (a === '--dir' ? [[args[i - 1], args[i + 1]]] : []));
    for (const d of ['/repo', '/repo/kernel', '/etc', '/run', '/home']) expect(dirs).toContainEqual(['0755', d]);
  });

  it('points /tmp into the home, unless the runtime lives under /tmp (a checkout in a temp folder)', () => {
    expect(pairs('--symlink')).toContainEqual(['/home/learner/.tmp', '/tmp']);
    const inTmp = bwrapArgs({ ...config, runtime: ['/tmp/checkout/node_modules'] }, {
      uid: 61003, workdir: '', runDir: '/r', fds: { info: 4, passwd: 5, group: 6 }, host: { symlinks: {}, etcFiles: [] },
    });
    expect(inTmp.join(' ')).not.toContain('--symlink /home/learner/.tmp /tmp');
    expect(inTmp.join(' ')).toContain('--perms 0755 --dir /tmp --perms 0755 --dir /tmp/checkout --ro-bind /tmp/checkout/node_modules /tmp/checkout/node_modules');
  });

  it('drops to its uid under a process limit, with no capabilities left', () => {
    const cmd = args.slice(args.indexOf('--') + 1);
    expect(cmd).toEqual([
      '/usr/bin/prlimit', '--nproc=256:256', '--core=0:0', '--',
      '/usr/bin/setpriv', '--reuid=61003', '--regid=61003', '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--',
      '/usr/bin/node', '/repo/kernel/dist/cli.js', 'start', '/run/odibi/connection.json',
    ]);
  });

  it('passes only its own environment: limits for DuckDB and error hints, no host variable', () => {
    const env = Object.fromEntries(pairs('--setenv'));
    expect(env).toEqual(sandboxEnv(config, 'lessons'));
    expect(env.ODIBI_DUCKDB_MEMORY_LIMIT).toBe('256MiB');
    expect(Object.keys(env).some((k) => /TOKEN|SECRET|JUPYTER/.test(k))).toBe(false);
    expect(etcFiles(61003).passwd).toContain('learner:x:61003:61003');
  });
});
