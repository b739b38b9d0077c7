#!/usr/bin/env node
/**
 * Serves LearnODIBI: starts a Jupyter notebook server on 127.0.0.1 (a free port, a random token,
 * the odibi kernelspec on JUPYTER_PATH), then `next start` (the production build) with the
 * server's address and token in its environment only. Prints the site's address. Ctrl-C/SIGTERM
 * stops both.
 *
 *   node site/scripts/serve.mjs [--port 3000] [--host 127.0.0.1]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SITE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(SITE, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const port = Number(arg('port', process.env.PORT ?? 3000));
const host = arg('host', '127.0.0.1');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const jupyterPrefix = path.join(REPO, '.jupyter');
if (!existsSync(path.join(jupyterPrefix, 'share/jupyter/kernels/odibi/kernel.json'))) {
  await new Promise((resolve, reject) => spawn(process.execPath, [path.join(REPO, 'kernel/dist/cli.js'), 'install', '--prefix', jupyterPrefix], { stdio: 'inherit' }).on('exit', (c) => (c === 0 ? resolve() : reject(new Error('kernel install failed')))));
}
// Where visitors' folders and Jupyter's runtime files go (tests point it at a temp folder).
const runtime = process.env.ODIBI_SITE_RUNTIME ?? path.join(REPO, 'site/.runtime');
const root = path.join(runtime, 'jupyter');
await mkdir(root, { recursive: true });
const token = randomBytes(24).toString('hex');
const jport = await freePort();
const env = {
  ...process.env,
  JUPYTER_PATH: path.join(jupyterPrefix, 'share/jupyter'),
  JUPYTER_RUNTIME_DIR: path.join(runtime, 'jupyter-runtime'),
  PYDEVD_DISABLE_FILE_VALIDATION: '1',
};
const jupyter = spawn('/usr/bin/jupyter', ['notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${jport}`, `--NotebookApp.token=${token}`, '--NotebookApp.open_browser=False', `--NotebookApp.notebook_dir=${root}`], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
let jupyterLog = '';
jupyter.stderr.on('data', (d) => (jupyterLog = (jupyterLog + d).slice(-4000)));
const baseUrl = `http://127.0.0.1:${jport}/`;
for (let i = 0; ; i++) {
  if (await fetch(`${baseUrl}api/status?token=${token}`).then((r) => r.ok, () => false)) break;
  if (i > 150 || jupyter.exitCode !== null) {
    console.error(`the Jupyter server did not start:\n${jupyterLog}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

const nextBin = path.join(REPO, 'node_modules/next/dist/bin/next');
const next = spawn(process.execPath, [nextBin, 'start', '-H', host, '-p', String(port)], {
  cwd: SITE,
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ODIBI_JUPYTER_URL: baseUrl, ODIBI_JUPYTER_TOKEN: token, ODIBI_JUPYTER_ROOT: root, ODIBI_DATA_DIR: process.env.ODIBI_DATA_DIR ?? path.join(REPO, 'examples/iot/data') },
  stdio: ['ignore', 'pipe', 'inherit'],
});
next.stdout.on('data', (d) => {
  const s = String(d);
  if (/Ready|started server/i.test(s)) console.log(`LearnODIBI is at http://${host}:${port}  (kernels through Jupyter on 127.0.0.1:${jport}; Ctrl-C stops both)`);
  else if (process.env.ODIBI_SITE_VERBOSE) process.stdout.write(s);
});
// The notebook server does not shut its kernels down when it is killed: do it first.
async function shutdownKernels() {
  const kernels = await fetch(`${baseUrl}api/kernels?token=${token}`).then((r) => r.json(), () => []);
  await Promise.allSettled(kernels.map((k) => fetch(`${baseUrl}api/kernels/${k.id}?token=${token}`, { method: 'DELETE' })));
}
// One stop for every caller (a signal, and next exiting because of it): each waits for all of it.
let stopping;
const stop = () => {
  stopping ??= (async () => {
    next.kill('SIGTERM');
    await Promise.race([shutdownKernels(), new Promise((r) => setTimeout(r, 5000))]);
    jupyter.kill('SIGTERM');
  })();
  return stopping;
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
next.on('exit', async (code) => {
  await stop();
  process.exit(code ?? 0);
});
