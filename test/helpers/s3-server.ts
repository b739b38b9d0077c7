/**
 * A real S3 server for storage tests: Debian's Ceph radosgw, with one monitor and one memstore OSD,
 * all on 127.0.0.1 in a private temp folder. `scripts/setup.sh --system` installs the packages
 * (ceph-mon ceph-osd radosgw). Start-up takes ~1 s (with Ceph's default 1 s monitor commit interval
 * it would be ~10 s, as radosgw creates its pools one monitor commit after another).
 *
 * Every daemon runs in the foreground (`-f`) in its own process group, under `setpriv --pdeathsig
 * KILL`, so the kernel kills it when the test process dies, even by SIGKILL; a watcher
 * (`reaper.ts`) kills the groups and removes the folder on `stop()` or when the test process dies.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { freeServerPort, isListening } from './ports.js';
import { startReaper } from './reaper.js';

export interface S3Server {
  /** `http://127.0.0.1:<port>`; use path-style addressing (`forcePathStyle: true`). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

const ACCESS_KEY = 'ODIBITESTACCESSKEY00';
const SECRET_KEY = 'odibi-test-secret-key-not-a-real-one00';
const REGION = 'us-east-1';
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph'];

interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  if (!text) return '';
  return `--- ${path.basename(file)} (last ${lines} lines)\n${text.split('\n').slice(-lines).join('\n')}\n`;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startS3Server(): Promise<S3Server> {
  const missing = BINARIES.filter((b) => !existsSync(`/usr/bin/${b}`));
  if (missing.length) {
    throw new Error(`Ceph is not installed (missing ${missing.join(', ')}): run \`bash scripts/setup.sh --system\` or \`apt-get install --no-install-recommends ceph-mon ceph-osd radosgw\``);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'odibi-s3-')); // mode 0700
  const logDir = path.join(dir, 'log');
  for (const d of ['mon', 'osd', 'rgw', 'run', 'log', 'crash']) mkdirSync(path.join(dir, d));
  const conf = path.join(dir, 'ceph.conf');
  const monPort = await freeServerPort();
  let rgwPort = await freeServerPort();
  while (rgwPort === monPort) rgwPort = await freeServerPort();
  const fsid = randomUUID();
  const env = { ...process.env, CEPH_CONF: conf };

  writeFileSync(
    conf,
    `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
public network = 127.0.0.0/8
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms cluster mode = crc
ms service mode = crc
ms mon service mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# Commit monitor changes at once instead of batching them for 1 s: radosgw creates its pools one
# map epoch after another, which otherwise takes ~10 s.
paxos propose interval = 0.01
paxos min wait = 0.001
# Do not warn about, or stop on, a fuller disk: the OSD keeps its data in memory, the monitor store is tiny.
mon data avail warn = 1
mon data avail crit = 0
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${logDir}/$name.log
crash dir = ${dir}/crash
keyring = ${dir}/keyring
[mon.a]
mon data = ${dir}/mon
[osd.0]
osd data = ${dir}/osd
osd objectstore = memstore
memstore device bytes = 2147483648
[client.rgw]
rgw data = ${dir}/rgw
# endpoint= binds 127.0.0.1 only (port= would bind every address).
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw enable usage log = false
rgw enable ops log = false
`,
  );

  const daemons: Daemon[] = [];
  const reaper = startReaper(dir);
  let stopped: Promise<void> | undefined;
  // SIGKILL at once: a memstore OSD given SIGTERM would first write its whole store to disk.
  const stop = () =>
    (stopped ??= (async () => {
      await reaper.cleanup();
      await Promise.race([Promise.all(daemons.map((d) => d.exited)), sleep(10_000)]);
    })());

  // radosgw's log first: it is the last daemon to start, and the one that usually says what is wrong.
  const logs = () => ['client.rgw.log', 'rgw.out', 'client.admin.log', 'osd.0.log', 'osd.out', 'mon.a.log', 'mon.out'].map((f) => tail(path.join(logDir, f))).join('');
  const fail = async (what: string, detail = ''): Promise<never> => {
    const text = `radosgw test server: ${what}${detail ? `\n${detail.trim()}` : ''}\n${logs()}`;
    await stop();
    throw new Error(text);
  };

  const run = (cmd: string, args: string[], timeout = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(cmd, ['-c', conf, ...args], { env, cwd: dir, timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${err.code ?? err.signal ?? err.message}):\n${stderr || stdout}`));
        else resolve(stdout);
      });
    });

  const daemon = (name: string, cmd: string, args: string[]) => {
    const out = openSync(path.join(logDir, `${name}.out`), 'a');
    // setpriv execs the daemon, so the group led by this pid is the daemon's.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', cmd, '-c', conf, '-f', ...args], { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    reaper.track(child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => {});
    daemons.push({ name, child, exited });
    return child;
  };

  try {
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, path.join(dir, 'monmap')]);
    await run('ceph-mon', ['-i', 'a', '--mkfs', '--monmap', path.join(dir, 'monmap')]);
  } catch (e) {
    return fail('could not create the monitor', (e as Error).message);
  }
  const mon = daemon('mon', 'ceph-mon', ['-i', 'a']);

  // `ceph osd new` retries until the monitor answers, so it doubles as the wait for the monitor.
  const osdUuid = randomUUID();
  try {
    const id = (await run('ceph', ['--connect-timeout', '20', 'osd', 'new', osdUuid])).trim();
    if (id !== '0') return fail(`unexpected OSD id ${id}`);
    await run('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
  } catch (e) {
    return fail(mon.exitCode !== null ? `ceph-mon exited with ${mon.exitCode}` : 'could not create the OSD', (e as Error).message);
  }
  daemon('osd', 'ceph-osd', ['-i', '0']);
  const deadline = Date.now() + 90_000;
  const gone = () => daemons.map((d) => d.child).find((c) => c.exitCode !== null || c.signalCode !== null);

  // Start radosgw only once the OSD is up: radosgw creates its pools first thing, and when it does
  // that while the OSD is still booting, one of its requests is resent only on a 5 s timer tick.
  const osdLog = path.join(logDir, 'osd.0.log');
  while (!(existsSync(osdLog) && readFileSync(osdLog, 'utf8').includes('state: booting -> active'))) {
    const dead = gone();
    if (dead) return fail(`${daemons.find((d) => d.child === dead)!.name} exited (${dead.exitCode ?? dead.signalCode}) before the OSD was up`);
    if (Date.now() > deadline) return fail('the OSD did not come up within 90 s');
    await sleep(50);
  }
  daemon('rgw', 'radosgw', ['-n', 'client.rgw']);
  // Wait for the bind without connecting (see ports.ts on why connecting early is harmful).
  while (!isListening(rgwPort)) {
    const dead = gone();
    if (dead) return fail(`${daemons.find((d) => d.child === dead)!.name} exited (${dead.exitCode ?? dead.signalCode}) before radosgw listened on ${rgwPort}`);
    if (Date.now() > deadline) return fail(`radosgw did not listen on 127.0.0.1:${rgwPort} within 90 s`);
    await sleep(100);
  }

  try {
    await run('radosgw-admin', ['user', 'create', '--uid=odibi', '--display-name=odibi tests', `--access-key=${ACCESS_KEY}`, `--secret-key=${SECRET_KEY}`]);
  } catch (e) {
    return fail('could not create the S3 user', (e as Error).message);
  }

  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const s3 = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, maxAttempts: 1 });
  try {
    let lastError = '';
    for (;;) {
      try {
        await s3.send(new ListBucketsCommand({}));
        break;
      } catch (e) {
        lastError = `${(e as Error).name}: ${(e as Error).message}`;
      }
      const dead = gone();
      if (dead) return fail(`${daemons.find((d) => d.child === dead)!.name} exited (${dead.exitCode ?? dead.signalCode})`, lastError);
      if (Date.now() > deadline) return fail('ListBuckets did not succeed within 90 s', lastError);
      await sleep(100);
    }
  } finally {
    s3.destroy();
  }

  return { endpoint, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, region: REGION, stop };
}
