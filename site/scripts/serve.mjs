#!/usr/bin/env node
/**
 * Serves LearnODIBI: a Jupyter notebook server on 127.0.0.1 whose odibi kernels each run in a
 * sandbox (@odibi/kernel/host), then `next start` (the production build) with the server's address
 * and token, and the secret that signs visitor cookies, in its environment only. Prints the site's
 * address. Ctrl-C/SIGTERM stops both.
 *
 *   node site/scripts/serve.mjs [--port 3000] [--host 127.0.0.1]
 *
 * Environment: ODIBI_SITE_RUNTIME (where kernels' state and folders go), ODIBI_SITE_HOSTS (the
 * host:port names a public deployment answers to), ODIBI_SANDBOX=off (kernels unconfined: only on
 * a machine nobody else can reach; the benchmarks compare against it).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJupyterHost } from '@odibi/kernel/host';

const SITE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(SITE, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const port = Number(arg('port', process.env.PORT ?? 3000));
const host = arg('host', '127.0.0.1');
const dataDir = process.env.ODIBI_DATA_DIR ?? path.join(REPO, 'examples/iot/data');
const examplesDir = process.env.ODIBI_EXAMPLES_DIR ?? path.join(REPO, 'examples');
const sandboxed = process.env.ODIBI_SANDBOX !== 'off';
if (!sandboxed) {
  console.warn('WARNING: ODIBI_SANDBOX=off: cells run unconfined, as this user, with this machine\'s files and network. Never let anyone else reach this site.');
}

let jupyter;
try {
  jupyter = await startJupyterHost({
    runtimeDir: process.env.ODIBI_SITE_RUNTIME ?? path.join(SITE, '.runtime'),
    sandbox: sandboxed ? { mounts: { 'lessons/data': dataDir, examples: examplesDir }, workdirs: ['lessons', 'notebooks'] } : false,
    log: process.env.ODIBI_SITE_VERBOSE ? (t) => process.stderr.write(t) : undefined,
  });
} catch (err) {
  console.error(`LearnODIBI cannot start its kernels: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`);
  process.exit(1);
}

const hosts = process.env.ODIBI_SITE_HOSTS ?? [`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`].join(',');
const nextBin = path.join(REPO, 'node_modules/next/dist/bin/next');
const next = spawn(process.execPath, [nextBin, 'start', '-H', host, '-p', String(port)], {
  cwd: SITE,
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    ODIBI_JUPYTER_URL: jupyter.baseUrl,
    ODIBI_JUPYTER_TOKEN: jupyter.token,
    ODIBI_JUPYTER_ROOT: jupyter.rootDir,
    ODIBI_SANDBOX_STATE: jupyter.sandboxStateDir ?? '',
    ODIBI_SITE_SECRET: process.env.ODIBI_SITE_SECRET ?? randomBytes(32).toString('hex'),
    ODIBI_SITE_HOSTS: hosts,
    ODIBI_DATA_DIR: dataDir,
    ODIBI_EXAMPLES_DIR: examplesDir,
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
next.stdout.on('data', (d) => {
  const s = String(d);
  if (/Ready|started server/i.test(s)) console.log(`LearnODIBI is at http://${host}:${port}  (kernels ${sandboxed ? 'sandboxed' : 'UNCONFINED'}, through Jupyter on ${jupyter.baseUrl}; Ctrl-C stops both)`);
  else if (process.env.ODIBI_SITE_VERBOSE) process.stdout.write(s);
});
// One stop for every caller (a signal, and next exiting because of it): each waits for all of it.
let stopping;
const stop = () => {
  stopping ??= (async () => {
    // Next waits for open responses, and a cell's may never end once its kernel is gone.
    if (next.exitCode === null) {
      const exited = new Promise((r) => next.once('exit', r));
      next.kill('SIGTERM');
      if (await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]) === false) next.kill('SIGKILL');
    }
    await jupyter.stop();
  })();
  return stopping;
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
next.on('exit', async (code) => {
  await stop();
  process.exit(code ?? 0);
});
